package store

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestKeyedMutexSerialisesOneKey(t *testing.T) {
	var (
		k       keyedMutex
		wg      sync.WaitGroup
		inside  int
		maxSeen int
		mu      sync.Mutex
	)
	for range 8 {
		wg.Go(func() {
			for range 50 {
				unlock, err := k.lock(context.Background(), "cases/1")
				if err != nil {
					t.Errorf("lock: %v", err)
					return
				}
				mu.Lock()
				inside++
				maxSeen = max(maxSeen, inside)
				mu.Unlock()
				time.Sleep(10 * time.Microsecond)
				mu.Lock()
				inside--
				mu.Unlock()
				unlock()
			}
		})
	}
	wg.Wait()
	if maxSeen != 1 {
		t.Errorf("%d holders at once, want 1", maxSeen)
	}
	if len(k.m) != 0 {
		t.Errorf("%d keys left after every lock was released, want 0", len(k.m))
	}
}

func TestKeyedMutexKeysAreIndependent(t *testing.T) {
	var k keyedMutex
	unlock, err := k.lock(context.Background(), "cases/1")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	other, err := k.lock(ctx, "cases/2")
	if err != nil {
		t.Fatalf("lock of another key while cases/1 is held: %v", err)
	}
	other()
}

func TestKeyedMutexWaitEndsWithContext(t *testing.T) {
	var k keyedMutex
	unlock, err := k.lock(context.Background(), "cases/1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := k.lock(ctx, "cases/1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("lock of a held key until the deadline: %v, want %v", err, context.DeadlineExceeded)
	}
	unlock()
	if len(k.m) != 0 {
		t.Errorf("%d keys left after the waiter gave up and the holder unlocked, want 0", len(k.m))
	}
}
