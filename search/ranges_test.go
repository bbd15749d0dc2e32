package search

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"weiquan"
)

// TestRangeSpansCoverExactly checks the split of a range against the values
// themselves: a value is in [lo, hi] exactly when one span holds its term
// at that span's level, and never in two spans.
func TestRangeSpansCoverExactly(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	now := int64(1_790_000_000)
	pick := func() int64 {
		switch r.IntN(4) {
		case 0:
			return r.Int64N(1 << 40)
		case 1:
			return now + r.Int64N(1<<20) - 1<<19
		case 2:
			return (now >> 16 << 16) + r.Int64N(3) - 1 // on and beside block edges
		default:
			return r.Int64N(1000)
		}
	}
	for range 2000 {
		lo, hi := pick(), pick()
		if r.IntN(10) == 0 {
			lo = 0
		}
		if r.IntN(10) == 0 {
			hi = maxRangeValue
		}
		spans := rangeSpans(lo, hi)
		for range 50 {
			var v int64
			switch r.IntN(3) {
			case 0:
				v = lo + r.Int64N(3) - 1
			case 1:
				v = hi + r.Int64N(3) - 1
			default:
				v = pick()
			}
			if v < 0 || v > maxRangeValue {
				continue
			}
			in := 0
			for _, s := range spans {
				x := v >> (rangeStep * s.level)
				if x >= s.from && x <= s.to {
					in++
				}
			}
			want := 0
			if v >= lo && v <= hi {
				want = 1
			}
			if in != want {
				t.Fatalf("[%d, %d] split into %v: value %d is in %d spans, want %d", lo, hi, spans, v, in, want)
			}
		}
	}
}

func TestRangeTermsSortAsNumbers(t *testing.T) {
	vals := []int64{0, 1, 15, 16, 255, 256, 4095, 65536, 1 << 33, maxRangeValue}
	for level := range rangeLevels {
		for i := 1; i < len(vals); i++ {
			a, b := rangeTerm(level, vals[i-1]>>(rangeStep*level)), rangeTerm(level, vals[i]>>(rangeStep*level))
			if a > b || (a == b && vals[i-1]>>(rangeStep*level) != vals[i]>>(rangeStep*level)) {
				t.Errorf("level %d: %d → %q, %d → %q out of order", level, vals[i-1], a, vals[i], b)
			}
		}
	}
}

// TestRangeFiltersMatchTheValues runs random created, amount and deadline
// ranges through Search over an index and compares every answer with the
// cases' own values.
func TestRangeFiltersMatchTheValues(t *testing.T) {
	cases := sampleCases(300, 7)
	r := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, weiquan.Shanghai)
	for i, c := range cases {
		// Times a few seconds to months apart, many on the same second, and
		// amounts from nothing to millions of yuan.
		c.CreatedAt = base.Add(time.Duration(r.Int64N(int64(90*24*time.Hour))) / time.Second * time.Second)
		if i%10 == 0 {
			c.CreatedAt = base
		}
		c.Subject.AmountFen = []int64{0, 1, 255, 256, 65535, 65536, r.Int64N(1 << 34)}[r.IntN(7)]
	}
	ix, _ := newTestIndex(t, cases)
	pick := func() time.Time {
		c := cases[r.IntN(len(cases))]
		return c.CreatedAt.Add(time.Duration(r.IntN(3)-1) * time.Second)
	}
	for range 60 {
		q := Query{PageSize: MaxPageSize}
		switch r.IntN(3) {
		case 0:
			q.CreatedFrom = pick()
		case 1:
			q.CreatedTo = pick()
		default:
			q.CreatedFrom, q.CreatedTo = pick(), pick()
		}
		if r.IntN(2) == 0 {
			lo, hi := cases[r.IntN(len(cases))].Subject.AmountFen, cases[r.IntN(len(cases))].Subject.AmountFen
			q.AmountMin, q.AmountMax = &lo, &hi
			if r.IntN(3) == 0 {
				q.AmountMax = nil
			}
		}
		var want []string
		for _, c := range cases {
			if (!q.CreatedFrom.IsZero() && c.CreatedAt.Before(q.CreatedFrom)) || (!q.CreatedTo.IsZero() && !c.CreatedAt.Before(q.CreatedTo)) {
				continue
			}
			if (q.AmountMin != nil && c.Subject.AmountFen < *q.AmountMin) || (q.AmountMax != nil && c.Subject.AmountFen > *q.AmountMax) {
				continue
			}
			want = append(want, c.ID)
		}
		slices.Sort(want)
		// Unscored (sorted by time) and scored (by relevance, with text):
		// bleve searches the range differently in each.
		q.Sort = []string{SortCreated, SortRelevance}[r.IntN(2)]
		if got := allIDs(t, ix, q); !slices.Equal(got, want) {
			t.Fatalf("created [%s, %s), amount %v–%v, sort %s: got %d cases, want %d", q.CreatedFrom, q.CreatedTo, q.AmountMin, q.AmountMax, q.Sort, len(got), len(want))
		}
		q.Text, q.Sort = "的", SortRelevance
		withText := allIDs(t, ix, Query{Text: q.Text, PageSize: MaxPageSize})
		want = slices.DeleteFunc(want, func(id string) bool { _, ok := slices.BinarySearch(withText, id); return !ok })
		if got := allIDs(t, ix, q); !slices.Equal(got, want) || len(withText) == 0 {
			t.Fatalf("created [%s, %s), amount %v–%v with text: got %d cases, want %d (text alone %d)", q.CreatedFrom, q.CreatedTo, q.AmountMin, q.AmountMax, len(got), len(want), len(withText))
		}
	}
}

// allIDs pages through every answer to q, sorted by id.
func allIDs(t *testing.T, ix *Index, q Query) []string {
	t.Helper()
	var ids []string
	for {
		res, err := ix.Search(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range res.Items {
			ids = append(ids, it.ID)
		}
		if res.NextCursor == "" || len(res.Items) == 0 {
			break
		}
		q.Cursor = res.NextCursor
	}
	slices.Sort(ids)
	return ids
}
