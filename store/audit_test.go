package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"weiquan"
	"weiquan/store"
	"weiquan/store/storetest"
)

// openTwice opens two stores on one fresh database, as two processes (or one
// process before and after a restart) would.
func openTwice(t *testing.T) (*store.Store, *store.Store) {
	t.Helper()
	uri, emb := storetest.URI(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "wqt_audit_" + hex.EncodeToString(b)
	ctx := context.Background()
	open := func() *store.Store {
		s, err := store.Open(ctx, uri, name, store.Options{Embedded: emb})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a, c := open(), open()
	t.Cleanup(func() {
		_ = a.DropDatabase(ctx)
		_ = a.Close(ctx)
		_ = c.Close(ctx)
	})
	return a, c
}

func TestAuditTrail(t *testing.T) {
	s, other := openTwice(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)
	add := func(st *store.Store, actor, caseID, action string) weiquan.AuditEntry {
		t.Helper()
		at = at.Add(time.Minute)
		e := weiquan.AuditEntry{At: at, ActorID: actor, Role: weiquan.RoleOfficer, Address: "10.0.0.7",
			CaseID: caseID, Action: action, Detail: action + " detail"}
		if err := st.InsertAudit(ctx, &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	// Interleaved cases and actors, the second store writing too: it knows
	// nothing of the first's numbers and must not overwrite or lose any.
	var all []weiquan.AuditEntry
	for i := range 7 {
		st := s
		if i%3 == 2 {
			st = other
		}
		all = append(all, add(st, "u-a", "20261126000001", fmt.Sprintf("act%d", i)))
		all = append(all, add(st, "u-b", "20261126000002", fmt.Sprintf("act%d", i)))
		if i%2 == 0 {
			all = append(all, add(st, "u-a", "", fmt.Sprintf("admin%d", i)))
		}
	}
	want := func(keep func(e weiquan.AuditEntry) bool) []weiquan.AuditEntry {
		var out []weiquan.AuditEntry
		for i := len(all) - 1; i >= 0; i-- {
			if keep(all[i]) {
				out = append(out, all[i])
			}
		}
		return out
	}
	list := func(st *store.Store, q weiquan.AuditQuery) []weiquan.AuditEntry {
		t.Helper()
		var out []weiquan.AuditEntry
		for range 50 {
			p, err := st.ListAudit(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Items...)
			if p.Next == 0 {
				return out
			}
			q.Before = p.Next
		}
		t.Fatal("paging does not end")
		return nil
	}
	for _, tc := range []struct {
		name string
		q    weiquan.AuditQuery
		keep func(e weiquan.AuditEntry) bool
	}{
		{"by case", weiquan.AuditQuery{CaseID: "20261126000001", Limit: 3},
			func(e weiquan.AuditEntry) bool { return e.CaseID == "20261126000001" }},
		{"by user, with and without case", weiquan.AuditQuery{ActorID: "u-a", Limit: 4},
			func(e weiquan.AuditEntry) bool { return e.ActorID == "u-a" }},
		{"by case and user", weiquan.AuditQuery{CaseID: "20261126000002", ActorID: "u-a", Limit: 5},
			func(e weiquan.AuditEntry) bool { return false }},
		{"by case and its user", weiquan.AuditQuery{CaseID: "20261126000002", ActorID: "u-b", Limit: 200},
			func(e weiquan.AuditEntry) bool { return e.CaseID == "20261126000002" }},
		{"unknown case", weiquan.AuditQuery{CaseID: "20261126000009", Limit: 10},
			func(e weiquan.AuditEntry) bool { return false }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, st := range []*store.Store{s, other} {
				got, w := list(st, tc.q), want(tc.keep)
				if len(got) != len(w) {
					t.Fatalf("got %d entries, want %d: %+v", len(got), len(w), got)
				}
				for i := range w {
					if !reflect.DeepEqual(got[i], w[i]) {
						t.Fatalf("entry %d:\n got %+v\nwant %+v", i, got[i], w[i])
					}
				}
			}
		})
	}
	t.Run("a query names a case or a user", func(t *testing.T) {
		if _, err := s.ListAudit(ctx, weiquan.AuditQuery{Limit: 10}); weiquan.ErrorCode(err) != weiquan.EInvalid {
			t.Fatalf("got %v", err)
		}
		if _, err := s.ListAudit(ctx, weiquan.AuditQuery{CaseID: "x", Limit: weiquan.MaxAuditPage + 1}); weiquan.ErrorCode(err) != weiquan.EInvalid {
			t.Fatalf("got %v", err)
		}
	})
}

// Entries recorded at once are committed together and none is lost or
// numbered twice.
func TestAuditConcurrent(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	const writers, each = 24, 5
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				e := weiquan.AuditEntry{ActorID: fmt.Sprintf("u-%d", w%4), CaseID: fmt.Sprintf("2026112600000%d", w%3),
					Action: "note", Detail: fmt.Sprintf("%d/%d", w, i)}
				if w%5 == 0 {
					e.CaseID = ""
				}
				if err := s.InsertAudit(ctx, &e); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	total := 0
	for u := range 4 {
		p, err := s.ListAudit(ctx, weiquan.AuditQuery{ActorID: fmt.Sprintf("u-%d", u), Limit: weiquan.MaxAuditPage})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Items {
			if seen[e.Detail] {
				t.Errorf("entry %s listed twice", e.Detail)
			}
			seen[e.Detail] = true
		}
		total += len(p.Items)
	}
	if total != writers*each {
		t.Errorf("users' trails hold %d entries, want %d", total, writers*each)
	}
	byCase := 0
	for c := range 3 {
		p, err := s.ListAudit(ctx, weiquan.AuditQuery{CaseID: fmt.Sprintf("2026112600000%d", c), Limit: weiquan.MaxAuditPage})
		if err != nil {
			t.Fatal(err)
		}
		byCase += len(p.Items)
	}
	if want := (writers - 5) * each; byCase != want { // writers 0, 5, 10, 15, 20 record no case
		t.Errorf("cases' trails hold %d entries, want %d", byCase, want)
	}
}
