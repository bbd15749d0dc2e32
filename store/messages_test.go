package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"weiquan"
	"weiquan/store"
	"weiquan/store/storetest"
)

// caseWithMessages stores a case with n owed messages (seq 1..n).
func caseWithMessages(t *testing.T, s *store.Store, id string, n int) *weiquan.Case {
	t.Helper()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)
	c := &weiquan.Case{ID: id, Version: 1, Kind: weiquan.KindComplaint, Status: weiquan.StatusRegistered,
		CreatedAt: at, UpdatedAt: at, Messages: []weiquan.Message{}}
	for i := 1; i <= n; i++ {
		c.Messages = append(c.Messages, weiquan.Message{Seq: i, Template: "registered", To: "+8613800138000",
			Body: fmt.Sprintf("message %d", i), Segments: 1, Status: weiquan.MessageOwed, CreatedAt: c.CreatedAt,
			UpdatedAt: c.CreatedAt})
	}
	if err := s.CreateCase(context.Background(), c); err != nil {
		t.Fatalf("CreateCase: %v", err)
	}
	return c
}

// stores runs a test on the store as the tests are configured (embedded or
// MongoDB) and, on the embedded server, also on a store that takes the
// MongoDB code path (compare-and-swap on the messages array instead of the
// in-process lock), so that both paths' logic is exercised here.
func stores(t *testing.T, test func(t *testing.T, s *store.Store)) {
	t.Run("as configured", func(t *testing.T) { test(t, storetest.New(t)) })
	if _, embedded := storetest.URI(t); embedded {
		t.Run("MongoDB code path", func(t *testing.T) { test(t, openUnlocked(t)) })
	}
}

// openUnlocked opens a store on the shared embedded server with Embedded
// unset. Only sequential tests may use it: FerretDB's updates are not atomic.
func openUnlocked(t *testing.T) *store.Store {
	t.Helper()
	uri, _ := storetest.URI(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "wqt_msgpath_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	s, err := store.Open(ctx, uri, name, store.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := s.DropDatabase(ctx); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
		_ = s.Close(ctx)
	})
	return s
}

func TestUpdateMessages(t *testing.T) {
	stores(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := caseWithMessages(t, s, "20261126000001", 2)

		got, err := s.UpdateMessages(ctx, c.ID, func(c *weiquan.Case) bool {
			c.Messages[1].Status = weiquan.MessageQueued
			c.Messages[1].SID = "SM1"
			return true
		})
		if err != nil {
			t.Fatalf("UpdateMessages: %v", err)
		}
		if got.Messages[1].SID != "SM1" {
			t.Errorf("returned case has SID %q, want SM1", got.Messages[1].SID)
		}
		stored, err := s.GetCase(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Version != c.Version {
			t.Errorf("version got %d, want %d: a delivery update must not bump it", stored.Version, c.Version)
		}
		if m := stored.Messages[1]; m.Status != weiquan.MessageQueued || m.SID != "SM1" {
			t.Errorf("stored message 2 got status %q SID %q, want queued SM1", m.Status, m.SID)
		}
		if m := stored.Messages[0]; m.Status != weiquan.MessageOwed {
			t.Errorf("message 1 got status %q, want it untouched (owed)", m.Status)
		}

		t.Run("no change writes nothing", func(t *testing.T) {
			got, err := s.UpdateMessages(ctx, c.ID, func(c *weiquan.Case) bool {
				c.Messages[0].Status = "scribbled"
				return false
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Messages[0].Status != "scribbled" {
				t.Errorf("returned case should be what fn saw")
			}
			stored, _ := s.GetCase(ctx, c.ID)
			if stored.Messages[0].Status != weiquan.MessageOwed {
				t.Errorf("stored status got %q, want owed", stored.Messages[0].Status)
			}
		})
		t.Run("missing case", func(t *testing.T) {
			_, err := s.UpdateMessages(ctx, "20261126999999", func(*weiquan.Case) bool { return true })
			if got := weiquan.ErrorCode(err); got != weiquan.ENotFound {
				t.Errorf("error code got %q (%v), want %q", got, err, weiquan.ENotFound)
			}
		})
	})
}

// A message update that lands between another writer's read and write makes
// that writer read again, so neither update is lost. On the embedded server
// the lock serialises them instead, so the nested update has to wait: it
// runs in a goroutine that the outer update cannot wait for.
func TestUpdateMessagesRetriesAfterConcurrentChange(t *testing.T) {
	s := openUnlocked(t)
	ctx := context.Background()
	c := caseWithMessages(t, s, "20261126000002", 2)

	calls := 0
	_, err := s.UpdateMessages(ctx, c.ID, func(c *weiquan.Case) bool {
		calls++
		if calls == 1 {
			if _, err := s.UpdateMessages(ctx, c.ID, func(c *weiquan.Case) bool {
				c.Messages[0].SID = "SM-first"
				return true
			}); err != nil {
				t.Errorf("inner UpdateMessages: %v", err)
			}
		}
		c.Messages[1].SID = "SM-second"
		return true
	})
	if err != nil {
		t.Fatalf("UpdateMessages: %v", err)
	}
	if calls != 2 {
		t.Errorf("fn called %d times, want 2 (once more after the concurrent change)", calls)
	}
	stored, _ := s.GetCase(ctx, c.ID)
	if got := []string{stored.Messages[0].SID, stored.Messages[1].SID}; !slices.Equal(got, []string{"SM-first", "SM-second"}) {
		t.Errorf("SIDs got %v, want both updates kept", got)
	}
}

func TestUpdateMessagesConcurrent(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	const n, rounds = 6, 10
	c := caseWithMessages(t, s, "20261126000003", n)

	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for range rounds {
				_, err := s.UpdateMessages(ctx, c.ID, func(c *weiquan.Case) bool {
					c.Messages[i].Attempts++
					return true
				})
				if err != nil {
					t.Errorf("UpdateMessages %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	stored, _ := s.GetCase(ctx, c.ID)
	for i, m := range stored.Messages {
		if m.Attempts != rounds {
			t.Errorf("message %d got %d attempts, want %d: updates were lost", i+1, m.Attempts, rounds)
		}
	}
}

func TestUpdateCaseKeepsMessageUpdates(t *testing.T) {
	stores(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := caseWithMessages(t, s, "20261126000004", 1)
		sub := s.Subscribe()
		defer sub.Close()

		got, err := s.UpdateCase(ctx, c.ID, func(c *weiquan.Case) (bool, error) {
			// The dispatcher records the send after this writer read the case.
			if _, err := s.UpdateMessages(ctx, c.ID, func(c *weiquan.Case) bool {
				c.Messages[0].Status, c.Messages[0].SID = weiquan.MessageSent, "SM-dispatcher"
				return true
			}); err != nil {
				t.Errorf("UpdateMessages: %v", err)
			}
			c.Satisfaction = 5
			c.Messages = append(c.Messages, weiquan.Message{Seq: 2, Template: "closed", Status: weiquan.MessageOwed})
			return true, nil
		})
		if err != nil {
			t.Fatalf("UpdateCase: %v", err)
		}
		stored, _ := s.GetCase(ctx, c.ID)
		for _, cc := range []*weiquan.Case{got, stored} {
			if cc.Version != c.Version+1 {
				t.Errorf("version got %d, want %d", cc.Version, c.Version+1)
			}
			if cc.Satisfaction != 5 {
				t.Errorf("satisfaction got %d, want 5", cc.Satisfaction)
			}
			if len(cc.Messages) != 2 {
				t.Fatalf("got %d messages, want 2", len(cc.Messages))
			}
			if m := cc.Messages[0]; m.Status != weiquan.MessageSent || m.SID != "SM-dispatcher" {
				t.Errorf("message 1 got %q %q, want the dispatcher's sent SM-dispatcher", m.Status, m.SID)
			}
			if m := cc.Messages[1]; m.Template != "closed" || m.Status != weiquan.MessageOwed {
				t.Errorf("message 2 got %q %q, want the appended owed closed", m.Template, m.Status)
			}
		}
		ids := nextIDs(t, sub)
		if !slices.Contains(ids, c.ID) {
			t.Errorf("feed got %v, want %s", ids, c.ID)
		}
	})
}

func nextIDs(t *testing.T, sub *store.Subscription) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ids, err := sub.Next(ctx)
	if err != nil {
		t.Fatalf("feed: %v", err)
	}
	return ids
}

func TestUpdateCaseRetriesOnConflict(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	c := caseWithMessages(t, s, "20261126000005", 0)

	calls := 0
	got, err := s.UpdateCase(ctx, c.ID, func(cur *weiquan.Case) (bool, error) {
		calls++
		if calls == 1 {
			// An officer saves in between.
			other := *cur
			other.Title = "officer's title"
			if err := s.SaveCase(ctx, &other, cur.Version); err != nil {
				t.Errorf("SaveCase: %v", err)
			}
		}
		cur.Satisfaction = 3
		return true, nil
	})
	if err != nil {
		t.Fatalf("UpdateCase: %v", err)
	}
	if calls != 2 {
		t.Errorf("fn called %d times, want 2", calls)
	}
	if got.Title != "officer's title" || got.Satisfaction != 3 || got.Version != c.Version+2 {
		t.Errorf("got title %q satisfaction %d version %d, want the officer's title, 3, %d",
			got.Title, got.Satisfaction, got.Version, c.Version+2)
	}

	t.Run("no change", func(t *testing.T) {
		got, err := s.UpdateCase(ctx, c.ID, func(*weiquan.Case) (bool, error) { return false, nil })
		if err != nil || got.Version != c.Version+2 {
			t.Errorf("got version %d, err %v; want %d, nil", got.Version, err, c.Version+2)
		}
	})
	t.Run("fn error", func(t *testing.T) {
		want := weiquan.Errorf(weiquan.EConflict, "no")
		_, err := s.UpdateCase(ctx, c.ID, func(*weiquan.Case) (bool, error) { return false, want })
		if err != want {
			t.Errorf("got %v, want fn's error", err)
		}
	})
}

func TestPhoneCases(t *testing.T) {
	stores(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for id, phone := range map[string]string{
			"20261126000002": "13800138000", "20261125000009": "13800138000", "20261127000001": "13800138000",
			"20261126000003": "13900139000",
		} {
			c := caseWithMessages(t, s, id, 0)
			c.Complainant.Phone = phone
			if err := s.SaveCase(ctx, c, c.Version); err != nil {
				t.Fatal(err)
			}
		}
		for _, phone := range []string{"+8613800138000", "138 0013 8000"} {
			got, err := s.PhoneCases(ctx, phone)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"20261127000001", "20261126000002", "20261125000009"}; !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v (newest first)", phone, got, want)
			}
		}
		for _, phone := range []string{"+8613700137000", "not a number"} {
			none, err := s.PhoneCases(ctx, phone)
			if err != nil || len(none) != 0 {
				t.Errorf("%s: got %v, %v; want none", phone, none, err)
			}
		}
	})
}

func TestOptOut(t *testing.T) {
	stores(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const phone = "+8613800138000"
		at := time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)

		check := func(want bool) {
			t.Helper()
			got, err := s.OptedOut(ctx, phone)
			if err != nil || got != want {
				t.Errorf("OptedOut got %v, %v; want %v", got, err, want)
			}
		}
		check(false)
		if err := s.OptOut(ctx, phone, at, "TD"); err != nil {
			t.Fatalf("OptOut: %v", err)
		}
		check(true)
		if err := s.OptOut(ctx, phone, at.Add(time.Hour), "退订"); err != nil {
			t.Fatalf("second OptOut: %v", err)
		}
		check(true)
		if other, _ := s.OptedOut(ctx, "+8613900139000"); other {
			t.Errorf("another number is opted out too")
		}
		if err := s.OptIn(ctx, phone); err != nil {
			t.Fatalf("OptIn: %v", err)
		}
		check(false)
		if err := s.OptIn(ctx, phone); err != nil {
			t.Errorf("second OptIn: %v", err)
		}
	})
}

func TestSMSLog(t *testing.T) {
	stores(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		empty, err := s.ListSMSLog(ctx, 10)
		if err != nil || len(empty) != 0 || empty == nil {
			t.Errorf("empty log got %#v, %v; want an empty list", empty, err)
		}
		at := time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)
		for i := 1; i <= 3; i++ {
			m := weiquan.Message{Seq: i, Template: "registered", To: "+8613800138000", Body: fmt.Sprintf("正文%d", i), Segments: 1}
			seq, err := s.AppendSMSLog(ctx, "20261126000001", m, at.Add(time.Duration(i)*time.Minute))
			if err != nil {
				t.Fatalf("AppendSMSLog: %v", err)
			}
			if seq != int64(i) {
				t.Errorf("entry %d got seq %d", i, seq)
			}
		}
		got, err := s.ListSMSLog(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Body != "正文3" || got[1].Body != "正文2" {
			t.Fatalf("got %+v, want entries 3 and 2", got)
		}
		e := got[0]
		if e.Seq != 3 || e.CaseID != "20261126000001" || e.MessageSeq != 3 || e.To != "+8613800138000" ||
			e.Template != "registered" || e.Segments != 1 || !e.At.Equal(at.Add(3*time.Minute)) {
			t.Errorf("entry got %+v", e)
		}
		if _, err := s.ListSMSLog(ctx, 0); weiquan.ErrorCode(err) != weiquan.EInvalid {
			t.Errorf("limit 0 got %v, want EInvalid", err)
		}
	})
}
