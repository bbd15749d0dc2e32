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

// TestSweepCandidatesSkipRecordedAlerts: a case whose warning is recorded
// comes back only once its deadline has passed, a case whose overdue notice
// is recorded not at all; a new due time (a resumed mediation) counts anew.
func TestSweepCandidatesSkipRecordedAlerts(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	day := func(d int) *time.Time {
		x := time.Date(2026, 12, d, 23, 59, 59, 0, weiquan.Shanghai)
		return &x
	}
	now := time.Date(2026, 12, 8, 9, 0, 0, 0, weiquan.Shanghai)
	horizon := *day(10)
	alert := func(deadline, kind string, due *time.Time) weiquan.Alert {
		return weiquan.Alert{Deadline: deadline, Kind: kind, Due: *due, At: now.Add(-time.Hour)}
	}
	tests := []struct {
		name string
		c    weiquan.Case
		want bool
	}{
		{"near, nothing recorded", weiquan.Case{Status: weiquan.StatusAssigned, Deadlines: weiquan.Deadlines{AcceptBy: day(9)}}, true},
		{"near, warned", weiquan.Case{Status: weiquan.StatusAssigned, Deadlines: weiquan.Deadlines{AcceptBy: day(9)},
			Alerts: []weiquan.Alert{alert("accept_by", "warning", day(9))}}, false},
		{"past, warned only", weiquan.Case{Status: weiquan.StatusAssigned, Deadlines: weiquan.Deadlines{AcceptBy: day(7)},
			Alerts: []weiquan.Alert{alert("accept_by", "warning", day(7))}}, true},
		{"past, overdue recorded", weiquan.Case{Status: weiquan.StatusAssigned, Deadlines: weiquan.Deadlines{AcceptBy: day(3)},
			Alerts: []weiquan.Alert{alert("accept_by", "warning", day(3)), alert("accept_by", "overdue", day(3))}}, false},
		{"overdue recorded for an earlier due time", weiquan.Case{Status: weiquan.StatusMediating,
			Deadlines: weiquan.Deadlines{MediateBy: day(4)},
			Alerts:    []weiquan.Alert{alert("mediate_by", "overdue", day(1))}}, true},
		{"paused mediation", weiquan.Case{Status: weiquan.StatusMediating, Deadlines: weiquan.Deadlines{MediateBy: day(4)},
			Mediation: weiquan.Mediation{PausedAt: &now}}, false},
		{"overdue recorded for accept_by, track_by still owed", weiquan.Case{Status: weiquan.StatusAssigned,
			Deadlines: weiquan.Deadlines{AcceptBy: day(3), TrackBy: day(9)},
			Alerts:    []weiquan.Alert{alert("accept_by", "overdue", day(3))}}, true},
	}
	want := map[string]string{}
	for i := range tests {
		c := &tests[i].c
		c.Kind, c.Version, c.CreatedAt, c.UpdatedAt = weiquan.KindComplaint, 1, now, now
		if err := st.InsertNewCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		if tests[i].want {
			want[c.ID] = tests[i].name
		}
	}
	ix, err := search.Rebuild(ctx, filepath.Join(t.TempDir(), "index"),
		search.Options{PhoneKey: []byte("sweep-test-key-0123456789")}, search.Source{Cases: st.ScanCases(ctx, time.Time{})})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	got, err := search.SweepCandidates{Index: ix, Store: st, Now: func() time.Time { return now }}.DueCases(ctx, horizon, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range got {
		seen[c.ID] = true
		if want[c.ID] == "" {
			for _, tt := range tests {
				if tt.c.ID == c.ID {
					t.Errorf("%s: a candidate, want none", tt.name)
				}
			}
		}
	}
	for id, name := range want {
		if !seen[id] {
			t.Errorf("%s: not a candidate", name)
		}
	}
}
