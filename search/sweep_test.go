package search_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"weiquan"
	"weiquan/search"
	"weiquan/store/storetest"
)

func TestSweepCandidatesFromIndex(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	day := func(d int) *time.Time {
		x := time.Date(2026, 12, d, 23, 59, 59, 0, weiquan.Shanghai)
		return &x
	}
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, weiquan.Shanghai)
	cases := []*weiquan.Case{
		{Status: weiquan.StatusAssigned, Deadlines: weiquan.Deadlines{AcceptBy: day(7)}},                      // due
		{Status: weiquan.StatusAssigned, Deadlines: weiquan.Deadlines{AcceptBy: day(20)}},                     // not yet
		{Status: weiquan.StatusAssigned, Deadlines: weiquan.Deadlines{AcceptBy: day(20), TrackBy: day(3)}},    // ODR track due
		{Status: weiquan.StatusMediating, Deadlines: weiquan.Deadlines{AcceptBy: day(1), MediateBy: day(30)}}, // old accept_by only
		{Status: weiquan.StatusClosed, Deadlines: weiquan.Deadlines{AcceptBy: day(1)}},                        // closed
		{Status: weiquan.StatusVerifying, Deadlines: weiquan.Deadlines{VerifyBy: day(5)}},                     // due
	}
	for _, c := range cases {
		c.Kind, c.Version, c.CreatedAt, c.UpdatedAt = weiquan.KindComplaint, 1, at, at
		if err := st.InsertNewCase(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	ix, err := search.Rebuild(ctx, filepath.Join(t.TempDir(), "index"),
		search.Options{PhoneKey: []byte("sweep-test-key-0123456789")}, search.Source{Cases: st.ScanCases(ctx, time.Time{})})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	sc := search.SweepCandidates{Index: ix, Store: st}
	before := *day(10)
	got, err := sc.DueCases(ctx, before, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{cases[0].ID, cases[2].ID, cases[5].ID}
	if len(got) != len(want) {
		t.Fatalf("got %d candidates, want %v", len(got), want)
	}
	for i, c := range got {
		if c.ID != want[i] {
			t.Errorf("candidate %d: got %s, want %s", i, c.ID, want[i])
		}
	}
	// Paging by id: after the first, with a limit of one.
	page, err := sc.DueCases(ctx, before, want[0], 1)
	if err != nil || len(page) != 1 || page[0].ID != want[1] {
		t.Errorf("second page: got %v, %v", page, err)
	}
}
