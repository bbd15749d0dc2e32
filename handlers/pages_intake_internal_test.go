package handlers

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"weiquan"
	"weiquan/store"
	"weiquan/store/storetest"
	"weiquan/workflow"
)

// A form posted twice at once is saved once, whichever instance each post
// reaches: the second post waits for the first and is given its case; a
// post whose save failed leaves the form free to be sent again; a wait
// that runs out saves nothing; a claim whose post died lapses.
func TestFormKeysSaveOnce(t *testing.T) {
	st := storetest.New(t)
	var mu sync.Mutex
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	instance := func() *Server {
		return &Server{Deps: Deps{Store: st, Accounts: &workflow.Accounts{Now: clock}}, log: slog.New(slog.DiscardHandler)}
	}
	one, two := instance(), instance()
	ctx := context.Background()

	id, done, err := one.claimForm(ctx, "u1|key")
	if err != nil || id != "" || done == nil {
		t.Fatalf("first claim: %q %v %v", id, done == nil, err)
	}
	var wg sync.WaitGroup
	got := make([]string, 3)
	for i := range got {
		wg.Go(func() {
			id, done, err := two.claimForm(ctx, "u1|key")
			switch {
			case err != nil:
				id = err.Error()
			case done != nil:
				done("")
				id = "second save"
			}
			got[i] = id
		})
	}
	time.Sleep(3 * formKeyPoll) // let them wait on the first
	done("20261126000001")
	done("") // a deferred call after the save changes nothing
	wg.Wait()
	for i, id := range got {
		if id != "20261126000001" {
			t.Errorf("concurrent post %d on another instance: %q, want the first post's case", i, id)
		}
	}

	if id, done, err := two.claimForm(ctx, "u2|key"); err != nil || id != "" || done == nil {
		t.Errorf("another user's key is another form: %q %v", id, err)
	} else {
		done("")
		if id, done, err := one.claimForm(ctx, "u2|key"); err != nil || id != "" || done == nil {
			t.Errorf("a form whose save failed cannot be sent again: %q %v", id, err)
		}
	}

	// A post whose first post never answers gives up when its request does.
	if _, _, err := one.claimForm(ctx, "u3|key"); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 5*formKeyPoll)
	defer cancel()
	if id, done, err := two.claimForm(short, "u3|key"); weiquan.ErrorCode(err) != weiquan.EConflict || done != nil {
		t.Errorf("wait that ran out: %q %v %v, want a conflict and no save", id, done != nil, err)
	}
	advance(store.FormKeyClaimTimeout + time.Second)
	if id, done, err := two.claimForm(ctx, "u3|key"); err != nil || id != "" || done == nil {
		t.Errorf("a claim whose post died still holds: %q %v", id, err)
	}

	advance(store.FormKeyTTL)
	if id, done, err := one.claimForm(ctx, "u1|key"); err != nil || id != "" || done == nil {
		t.Errorf("a key older than a day still answers %q %v", id, err)
	}
}

func TestAmountFen(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"3599", 359900, true}, {"3599.5", 359950, true}, {"3,599.50", 359950, true}, {"￥12.05", 1205, true},
		{"12元", 1200, true}, {"0", 0, true}, {"1.234", 0, false}, {"-5", 0, false}, {"三千", 0, false}, {"1.", 0, false},
		{"", 0, false}, {"1e5", 0, false},
	} {
		got, ok := amountFen(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("amountFen(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
