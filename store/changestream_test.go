package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"weiquan"
	"weiquan/store/storetest"
)

// The change stream needs a MongoDB replica set. The embedded FerretDB and a
// standalone server refuse it, and the service then keeps the in-process
// feed; that refusal must be an error the caller can act on, not a hang.
func TestWatchCases(t *testing.T) {
	s := storetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := s.WatchCases(ctx)
	if err != nil {
		if _, emb := storetest.URI(t); emb {
			return // FerretDB 1.24 has no change streams: refused at once, as wanted
		}
		if strings.Contains(err.Error(), "replica set") {
			t.Skipf("the MongoDB at WEIQUAN_TEST_MONGO_URI is not a replica set: %v", err)
		}
		t.Fatalf("watch cases: %v", err)
	}
	defer cs.Close()
	if _, emb := storetest.URI(t); emb {
		t.Fatal("the embedded server accepted a change stream; the service would rely on it")
	}

	at := time.Date(2026, 11, 26, 9, 0, 0, 0, weiquan.Shanghai)
	var want []string
	for i := 0; i < 3; i++ {
		c := &weiquan.Case{Kind: weiquan.KindInquiry, CreatedAt: at, UpdatedAt: at, Version: 1}
		if err := s.InsertNewCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		want = append(want, c.ID)
	}
	c, err := s.GetCase(ctx, want[0])
	if err != nil {
		t.Fatal(err)
	}
	c.UpdatedAt = at.Add(time.Hour)
	if err := s.SaveCase(ctx, c, 1); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < len(want) {
		ids, err := cs.Next(ctx)
		if err != nil {
			t.Fatalf("next after %v: %v", got, err)
		}
		for _, id := range ids {
			if !slices.Contains(got, id) {
				got = append(got, id)
			}
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("changed ids: got %v, want %v", got, want)
	}
}
