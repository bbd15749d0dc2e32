package search

import (
	"context"
	"slices"
	"time"

	"weiquan"
)

// SweepCandidates answers the deadline sweeper's question — which open
// cases have a deadline before a time — from the index instead of the
// store, where on the embedded server it would read every case.
type SweepCandidates struct {
	Index *Index
	Store interface {
		GetCases(ctx context.Context, ids []string) ([]*weiquan.Case, error)
	}
}

var openStatuses = []string{
	string(weiquan.StatusRegistered), string(weiquan.StatusAssigned), string(weiquan.StatusAccepted),
	string(weiquan.StatusMediating), string(weiquan.StatusVerifying),
}

// DueCases returns, in id order after `after`, up to limit open cases whose
// next deadline is before `before`, read fresh from the store (the sweeper
// judges the stored case, never the index's copy).
func (sc SweepCandidates) DueCases(ctx context.Context, before time.Time, after string, limit int) ([]*weiquan.Case, error) {
	var ids []string
	q := Query{Status: openStatuses, DueBefore: before, Sort: SortDeadline, PageSize: MaxPageSize}
	for {
		res, err := sc.Index.Search(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, it := range res.Items {
			if it.ID > after {
				ids = append(ids, it.ID)
			}
		}
		if res.NextCursor == "" || len(res.Items) == 0 {
			break
		}
		q.Cursor = res.NextCursor
	}
	slices.Sort(ids)
	if len(ids) > limit {
		ids = ids[:limit]
	}
	cases, err := sc.Store.GetCases(ctx, ids)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(cases, func(a, b *weiquan.Case) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return cases, nil
}
