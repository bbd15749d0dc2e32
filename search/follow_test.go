package search_test

import (
	"context"
	"iter"
	"path/filepath"
	"testing"
	"time"

	"weiquan"
	"weiquan/search"
	"weiquan/store"
	"weiquan/store/storetest"
)

// gatedScan is the real store whose reconcile scan waits for the test, as a
// long reconcile after a restart would.
type gatedScan struct {
	*store.Store
	gate chan struct{}
}

func (g gatedScan) ScanCases(ctx context.Context, since time.Time) iter.Seq2[*weiquan.Case, error] {
	return func(yield func(*weiquan.Case, error) bool) {
		select {
		case <-g.gate:
		case <-ctx.Done():
			yield(nil, ctx.Err())
			return
		}
		for c, err := range g.Store.ScanCases(ctx, since) {
			if !yield(c, err) {
				return
			}
		}
	}
}

// TestFollowIndexesChangesWhileReconciling: a case changed while the
// reconcile after a start is still reading is searchable at once, the
// checkpoint does not move until the reconcile is done, and then the
// reconcile has brought in what the index missed.
func TestFollowIndexesChangesWhileReconciling(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, weiquan.Shanghai)
	newCase := func() *weiquan.Case {
		c := &weiquan.Case{Kind: weiquan.KindComplaint, Status: weiquan.StatusRegistered, Version: 1, CreatedAt: at, UpdatedAt: time.Now(), Title: "空调漏水"}
		if err := st.InsertNewCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	opts := search.Options{PhoneKey: []byte("follow-test-key-0123456789")}
	ix, err := search.Rebuild(ctx, filepath.Join(t.TempDir(), "index"), opts,
		search.Source{Checkpoint: time.Now().UTC().Format(time.RFC3339Nano), Cases: st.ScanCases(ctx, time.Time{})})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	missed := newCase() // written while no follower ran: the reconcile's to find
	before, err := ix.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}

	sub := st.Subscribe()
	defer sub.Close()
	gate := make(chan struct{})
	f := &search.Follower{Index: ix, Store: gatedScan{st, gate}, Changes: sub}
	fctx, stop := context.WithCancel(ctx)
	reconciled := make(chan error, 1)
	followed := make(chan error, 1)
	go func() {
		followed <- f.Follow(fctx, func(_ int, err error) { reconciled <- err })
	}()

	changed := newCase()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := ix.WaitForVersion(wctx, changed.ID, changed.Version); err != nil {
		t.Fatalf("a case changed during the reconcile is not indexed: %v", err)
	}
	if cp, _ := ix.Checkpoint(); cp != before {
		t.Errorf("checkpoint moved to %q during the reconcile (was %q): a crash now would skip what it has not read", cp, before)
	}
	if have, _ := ix.IndexedVersions(ctx, []string{missed.ID}); len(have) != 0 {
		t.Fatalf("the missed case is indexed before the reconcile read it: %v", have)
	}

	close(gate)
	select {
	case err := <-reconciled:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("reconcile did not finish")
	}
	if have, _ := ix.IndexedVersions(ctx, []string{missed.ID}); have[missed.ID] != missed.Version {
		t.Errorf("after the reconcile the missed case is at %v, want version %d", have, missed.Version)
	}
	if cp, _ := ix.Checkpoint(); cp <= before {
		t.Errorf("checkpoint %q did not advance past %q after the reconcile", cp, before)
	}
	stop()
	if err := <-followed; err != nil {
		t.Errorf("Follow: %v", err)
	}
}

// gatedFeed is the store's real feed held back by the test, as a feed
// working off a backlog would be.
type gatedFeed struct {
	*store.Subscription
	gate chan struct{}
}

func (g gatedFeed) Next(ctx context.Context) ([]string, error) {
	select {
	case <-g.gate:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.Subscription.Next(ctx)
}

// TestWaitForVersionReadsThroughABacklog: a person's own write is
// searchable within moments even when the feed has not delivered it.
func TestWaitForVersionReadsThroughABacklog(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	ix, err := search.Rebuild(ctx, filepath.Join(t.TempDir(), "index"),
		search.Options{PhoneKey: []byte("follow-test-key-0123456789")}, search.Source{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	sub := st.Subscribe()
	defer sub.Close()
	gate := make(chan struct{})
	fctx, stop := context.WithCancel(ctx)
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		_ = (&search.Follower{Index: ix, Store: st, Changes: gatedFeed{sub, gate}}).Run(fctx)
	}()
	defer func() { stop(); <-followed }()

	at := time.Date(2026, 11, 26, 9, 0, 0, 0, weiquan.Shanghai)
	c := &weiquan.Case{Kind: weiquan.KindComplaint, Status: weiquan.StatusRegistered, Version: 1, CreatedAt: at, UpdatedAt: at, Title: "热水器不出热水"}
	if err := st.InsertNewCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := ix.WaitForVersion(wctx, c.ID, c.Version); err != nil {
		t.Fatalf("own write not indexed while the feed is held back: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("waited %s for a case the store had", d)
	}
	res, err := ix.Search(ctx, search.Query{Text: "热水器"})
	if err != nil || res.Total != 1 || res.Items[0].ID != c.ID {
		t.Fatalf("search after the wait: %+v, %v", res, err)
	}
	// The feed delivering the same version later changes nothing.
	close(gate)
	wctx2, cancel2 := context.WithTimeout(ctx, 5*time.Second)
	defer cancel2()
	if err := ix.WaitForVersion(wctx2, c.ID, c.Version); err != nil {
		t.Fatal(err)
	}
}
