package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"weiquan"
	"weiquan/store"
	"weiquan/store/storetest"
)

// sweepAt is a Shanghai wall-clock time.
func sweepAt(day string, hour int) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, day, weiquan.Shanghai)
	if err != nil {
		panic(err)
	}
	return t.Add(time.Duration(hour) * time.Hour)
}

func sweepPtr(t time.Time) *time.Time { return &t }

// sweepCase is a stored case in a status with the given deadlines.
func sweepCase(id string, status weiquan.Status, d weiquan.Deadlines) *weiquan.Case {
	at := sweepAt("2026-11-26", 10)
	return &weiquan.Case{ID: id, Version: 1, Kind: weiquan.KindComplaint, Status: status, Deadlines: d,
		Links: []weiquan.Link{}, Events: []weiquan.Event{}, Alerts: []weiquan.Alert{}, Flags: []string{},
		CreatedAt: at, UpdatedAt: at}
}

func sweepIDs(cs []*weiquan.Case) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

func TestDueCases(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()

	past := sweepPtr(sweepAt("2026-12-07", 24).Add(-time.Second)) // 2026-12-07 23:59:59
	later := sweepPtr(sweepAt("2027-02-05", 24).Add(-time.Second))
	paused := func(c *weiquan.Case) *weiquan.Case {
		c.Mediation.PausedAt = sweepPtr(sweepAt("2026-12-01", 9))
		return c
	}
	closed := sweepCase("20261126000099", weiquan.StatusClosed, weiquan.Deadlines{AcceptBy: past, NoticeBy: past})
	closed.Outcome = weiquan.OutcomeRejected
	cases := []*weiquan.Case{
		sweepCase("20261126000001", weiquan.StatusAssigned, weiquan.Deadlines{AcceptBy: past}),
		sweepCase("20261126000002", weiquan.StatusAssigned, weiquan.Deadlines{AcceptBy: later}),
		sweepCase("20261126000003", weiquan.StatusAssigned, weiquan.Deadlines{TrackBy: past}),
		sweepCase("20261126000004", weiquan.StatusAccepted, weiquan.Deadlines{AcceptBy: past, MediateBy: later}),
		sweepCase("20261126000005", weiquan.StatusMediating, weiquan.Deadlines{AcceptBy: past, MediateBy: past}),
		paused(sweepCase("20261126000006", weiquan.StatusMediating, weiquan.Deadlines{MediateBy: past})),
		sweepCase("20261126000007", weiquan.StatusAccepted, weiquan.Deadlines{MediateBy: past}),
		sweepCase("20261126000008", weiquan.StatusVerifying, weiquan.Deadlines{AcceptBy: past, VerifyBy: past}),
		sweepCase("20261126000009", weiquan.StatusVerifying, weiquan.Deadlines{VerifyBy: later}),
		sweepCase("20261126000010", weiquan.StatusRegistered, weiquan.Deadlines{AcceptBy: past}),
		sweepCase("20261126000011", weiquan.StatusAssigned, weiquan.Deadlines{}),
		closed,
	}
	for _, c := range cases {
		if err := s.CreateCase(ctx, c); err != nil {
			t.Fatalf("CreateCase %s: %v", c.ID, err)
		}
	}
	due := []string{"20261126000001", "20261126000003", "20261126000005", "20261126000007", "20261126000008"}

	tests := []struct {
		name   string
		before time.Time
		after  string
		limit  int
		want   []string
	}{
		{"running deadlines up to before", sweepAt("2026-12-10", 9), "", 100, due},
		{"a deadline exactly at before counts", *past, "", 100, due},
		{"a second before the deadlines", past.Add(-time.Second), "", 100, nil},
		{"later deadlines come in when before reaches them", *later, "", 100,
			[]string{"20261126000001", "20261126000002", "20261126000003", "20261126000004", "20261126000005",
				"20261126000007", "20261126000008", "20261126000009"}},
		{"first page", sweepAt("2026-12-10", 9), "", 2, due[:2]},
		{"next page after the last id", sweepAt("2026-12-10", 9), due[1], 2, due[2:4]},
		{"last page", sweepAt("2026-12-10", 9), due[3], 2, due[4:]},
		{"past the end", sweepAt("2026-12-10", 9), due[4], 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.DueCases(ctx, tt.before, tt.after, tt.limit)
			if err != nil {
				t.Fatalf("DueCases: %v", err)
			}
			if ids := sweepIDs(got); !slices.Equal(ids, tt.want) {
				t.Errorf("got %v, want %v", ids, tt.want)
			}
		})
	}

	t.Run("returns whole cases", func(t *testing.T) {
		got, err := s.DueCases(ctx, *past, "", 1)
		if err != nil || len(got) != 1 {
			t.Fatalf("DueCases: %v, %d cases", err, len(got))
		}
		if got[0].Status != weiquan.StatusAssigned || got[0].Deadlines.AcceptBy == nil || !got[0].Deadlines.AcceptBy.Equal(*past) {
			t.Errorf("got %+v, want the stored case 20261126000001", got[0])
		}
	})
	t.Run("limit must be positive", func(t *testing.T) {
		if _, err := s.DueCases(ctx, *past, "", 0); err == nil {
			t.Error("got no error for limit 0")
		}
	})
}

// sweepSeed stores n open cases, one in every hundred with accept_by passed,
// the rest accepted with a mediate_by far off.
func sweepSeed(tb testing.TB, s *store.Store, n int) (dueCount int) {
	tb.Helper()
	ctx := context.Background()
	past := sweepPtr(sweepAt("2026-12-07", 24).Add(-time.Second))
	later := sweepPtr(sweepAt("2027-02-05", 24).Add(-time.Second))
	for i := range n {
		c := sweepCase(fmt.Sprintf("20261126%06d", i+1), weiquan.StatusAccepted, weiquan.Deadlines{AcceptBy: past, MediateBy: later})
		c.Title = "空调安装后漏水，商家拒绝退货"
		c.Description = "10月1日购买的空调安装后一直漏水，多次联系商家未果，商家拒绝退货。"
		c.Events = []weiquan.Event{{Seq: 1, At: c.CreatedAt, Actor: "u-op-7", Type: "registered", Public: true}}
		if i%100 == 0 {
			c.Status = weiquan.StatusAssigned
			dueCount++
		}
		if err := s.CreateCase(ctx, c); err != nil {
			tb.Fatalf("CreateCase: %v", err)
		}
	}
	return dueCount
}

// TestDueCasesCost records what the candidate query costs on the server in
// use; on the embedded FerretDB it scans, so the cost grows with all cases,
// not with the candidates.
func TestDueCasesCost(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	// Small, because seeding costs a write per case and the race detector
	// instruments FerretDB and its pure-Go SQLite too; BenchmarkDueCases
	// measures 10,000.
	const n = 500
	want := sweepSeed(t, s, n)

	before := sweepAt("2026-12-10", 9)
	start := time.Now()
	const rounds = 2
	for range rounds {
		got, err := s.DueCases(ctx, before, "", 500)
		if err != nil {
			t.Fatalf("DueCases: %v", err)
		}
		if len(got) != want {
			t.Fatalf("got %d due cases, want %d", len(got), want)
		}
	}
	per := time.Since(start) / rounds
	_, embedded := storetest.URI(t)
	t.Logf("DueCases over %d cases (%d due, embedded=%v): %v per query, about %v per 10,000 cases",
		n, want, embedded, per.Round(time.Millisecond), (per * 10_000 / n).Round(time.Millisecond))
}

// BenchmarkDueCases measures one candidate query over 10,000 open cases, 100
// of them due.
func BenchmarkDueCases(b *testing.B) {
	s := storetest.New(b)
	ctx := context.Background()
	want := sweepSeed(b, s, 10_000)
	before := sweepAt("2026-12-10", 9)
	b.ResetTimer()
	for b.Loop() {
		got, err := s.DueCases(ctx, before, "", 500)
		if err != nil || len(got) != want {
			b.Fatalf("DueCases: %v, %d cases, want %d", err, len(got), want)
		}
	}
}
