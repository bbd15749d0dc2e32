package search

import (
	"context"
	"time"

	"weiquan"
)

// CountRespondentComplaints counts the complaints against one respondent
// (by credit code, else name) created since a time: the signal behind the
// cluster flag (群体性投诉).
func (ix *Index) CountRespondentComplaints(ctx context.Context, uscc, name string, since time.Time) (int, error) {
	q := Query{Kind: []string{string(weiquan.KindComplaint)}, CreatedFrom: since, PageSize: 1, Sort: SortCreated}
	if uscc != "" {
		q.RespondentUSCC = uscc
	} else {
		q.RespondentName = name
	}
	res, err := ix.Search(ctx, q)
	if err != nil {
		return 0, err
	}
	return int(res.Total), nil
}

// RecentRespondentComplaints lists the open complaints against one
// respondent created since a time, newest first, at most limit: the
// earlier complaints a cluster flag is raised on.
func (ix *Index) RecentRespondentComplaints(ctx context.Context, uscc, name string, since time.Time, limit int) ([]string, error) {
	q := Query{Kind: []string{string(weiquan.KindComplaint)}, Status: openStatuses, CreatedFrom: since,
		PageSize: limit, Sort: SortCreated}
	if uscc != "" {
		q.RespondentUSCC = uscc
	} else {
		q.RespondentName = name
	}
	res, err := ix.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(res.Items))
	for i, it := range res.Items {
		ids[i] = it.ID
	}
	return ids, nil
}
