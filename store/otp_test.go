package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"weiquan"
	"weiquan/store/storetest"
)

// Many requests for one number at the same moment: the limit lets exactly
// one through (the check and the count are one step).
func TestReserveOTPSendIsAtomic(t *testing.T) {
	st := storetest.New(t)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)
	const n = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	granted := 0
	for range n {
		wg.Go(func() {
			wait, err := st.ReserveOTPSend(context.Background(), "13800138000", now, time.Minute, 5)
			if err != nil {
				t.Error(err)
				return
			}
			if wait == 0 {
				mu.Lock()
				granted++
				mu.Unlock()
			} else if wait != time.Minute {
				t.Errorf("wait %v, want 1m", wait)
			}
		})
	}
	wg.Wait()
	if granted != 1 {
		t.Errorf("%d of %d simultaneous requests got a code, want 1", granted, n)
	}
}

// The outbox numbers messages, keeps what it was given and finds the owed
// ones; an update that changes nothing writes nothing.
func TestOutboxRoundTrip(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)
	exp := now.Add(5 * time.Minute)
	var seqs []int
	for _, to := range []string{"+8613800138000", "+8613900139000"} {
		m, err := st.EnqueueOutbox(ctx, weiquan.OutboxMessage{Message: weiquan.Message{Template: "otp", To: to,
			Body: "code", Segments: 1, Urgent: true, CreatedAt: now, UpdatedAt: now}, ExpiresAt: &exp})
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, m.Seq)
	}
	if seqs[0] < 1 || seqs[1] != seqs[0]+1 {
		t.Fatalf("numbered %v", seqs)
	}
	got, err := st.GetOutbox(ctx, seqs[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.Seq != seqs[0] || got.To != "+8613800138000" || got.Status != weiquan.MessageOwed || !got.Urgent ||
		got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || !got.CreatedAt.Equal(now) {
		t.Errorf("read back %+v", got)
	}
	if _, err := st.UpdateOutbox(ctx, seqs[0], func(m *weiquan.OutboxMessage) bool {
		m.Status = weiquan.MessageSent
		return true
	}); err != nil {
		t.Fatal(err)
	}
	owed, err := st.OwedOutbox(ctx)
	if err != nil || len(owed) != 1 || owed[0].Seq != seqs[1] {
		t.Errorf("owed %+v %v, want only %d", owed, err, seqs[1])
	}
	if _, err := st.UpdateOutbox(ctx, 999999, func(*weiquan.OutboxMessage) bool { return true }); weiquan.ErrorCode(err) != weiquan.ENotFound {
		t.Errorf("missing message: %v", err)
	}
}
