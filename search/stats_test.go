package search

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"weiquan"
)

// TestStatsCountWhatTheCasesSay checks the dashboard's counts against the
// cases themselves, for the whole index and for access scopes and filters.
func TestStatsCountWhatTheCasesSay(t *testing.T) {
	cases := sampleCases(600, 11)
	r := rand.New(rand.NewPCG(5, 5))
	for i, c := range cases {
		if c.Outcome == weiquan.OutcomeResolved {
			// Amounts with zeros and every digit, some of them zero.
			c.Result.AmountRecoveredFen = int64(r.IntN(5)) * int64(r.IntN(2_000_000))
		}
		if i%23 == 0 {
			c.Flags = []string{"cluster"}
		}
	}
	ix, _ := newTestIndex(t, cases)
	ctx := context.Background()

	tests := []struct {
		name  string
		q     Query
		match func(c *weiquan.Case) bool
	}{
		{"everything", Query{}, func(*weiquan.Case) bool { return true }},
		{"one unit's scope", Query{Scope: []string{"amr-350203"}}, func(c *weiquan.Case) bool { return c.UnitID == "amr-350203" }},
		{"complaints of 12315", Query{Kind: []string{"complaint"}, Channel: []string{"12315"}}, func(c *weiquan.Case) bool {
			return c.Kind == weiquan.KindComplaint && c.Channel == weiquan.Channel12315
		}},
		{"cluster flag", Query{Flags: []string{"cluster"}}, func(c *weiquan.Case) bool { return slices.Contains(c.Flags, "cluster") }},
		{"empty scope", Query{Scope: []string{}}, func(*weiquan.Case) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ix.Stats(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var total uint64
			var resolved int
			var fen int64
			byChannel := map[string]int{}
			for _, c := range cases {
				if !tt.match(c) {
					continue
				}
				total++
				byChannel[string(c.Channel)]++
				if c.Outcome == weiquan.OutcomeResolved {
					resolved++
					fen += c.Result.AmountRecoveredFen
				}
			}
			if got.Total != total || got.Resolved != resolved || got.RecoveredFen != fen {
				t.Errorf("got total %d resolved %d recovered %d, want %d %d %d",
					got.Total, got.Resolved, got.RecoveredFen, total, resolved, fen)
			}
			gotChannel := map[string]int{}
			for _, f := range got.Facets[FacetChannel] {
				gotChannel[f.Value] = f.Count
			}
			if len(gotChannel) != len(byChannel) {
				t.Errorf("got channels %v, want %v", gotChannel, byChannel)
			}
			for k, v := range byChannel {
				if gotChannel[k] != v {
					t.Errorf("channel %s: got %d, want %d", k, gotChannel[k], v)
				}
			}
		})
	}
}

func TestTrendCountsDays(t *testing.T) {
	cases := sampleCases(400, 12)
	ix, _ := newTestIndex(t, cases)
	from := testNow.AddDate(0, 0, -13)
	got, err := ix.Trend(context.Background(), Query{Scope: []string{"amr-350203", Unset}}, from, 14)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Days) != 14 || got.Days[13] != testNow.Format("2006-01-02") {
		t.Fatalf("got days %v", got.Days)
	}
	want := make([]int, 14)
	wantChannel := map[string][]int{}
	for _, c := range cases {
		if c.UnitID != "amr-350203" && c.UnitID != "" {
			continue
		}
		day := c.CreatedAt.In(weiquan.Shanghai).Format("2006-01-02")
		i := slices.Index(got.Days, day)
		if i < 0 {
			continue
		}
		want[i]++
		if wantChannel[string(c.Channel)] == nil {
			wantChannel[string(c.Channel)] = make([]int, 14)
		}
		wantChannel[string(c.Channel)][i]++
	}
	if !slices.Equal(got.Series[TrendTotal][""], want) {
		t.Errorf("total: got %v, want %v", got.Series[TrendTotal][""], want)
	}
	for ch, w := range wantChannel {
		if !slices.Equal(got.Series[TrendChannel][ch], w) {
			t.Errorf("channel %s: got %v, want %v", ch, got.Series[TrendChannel][ch], w)
		}
	}
	var sum int
	for _, n := range want {
		sum += n
	}
	if sum == 0 {
		t.Fatal("the sample has no case in the window: the test proves nothing")
	}
}

func TestCountAgreesWithSearch(t *testing.T) {
	ix, _ := newTestIndex(t, sampleCases(300, 13))
	ctx := context.Background()
	for _, q := range []Query{{}, {Status: []string{"registered"}}, {Overdue: true, Now: testNow}, {Scope: []string{}}, {Text: "空调"}} {
		n, err := ix.Count(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ix.Search(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if n != res.Total {
			t.Errorf("%+v: Count %d, Search total %d", q, n, res.Total)
		}
	}
}
