package search

import (
	"context"
	"slices"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"weiquan"
)

// The deadline sweeper's own fields (mapping v5). A case is indexed with
// the due times of its running deadlines that still owe the sweeper
// something: sweep_warn while neither a warning nor an overdue notice was
// recorded for that deadline and due time, sweep_overdue while no overdue
// notice was. A case whose alerts are all recorded — an overdue case the
// unit has been told about — is then no candidate at all, however long it
// stays overdue. Without them every open case with a past deadline came
// back on every tick and was read from the store to find it owed nothing:
// at 100,000 open cases that is most of them, tens of seconds a tick.
const (
	fSweepWarn    = "sweep_warn"
	fSweepOverdue = "sweep_overdue"
)

// sweepRunning says which deadlines run in which status: the sweeper's
// contract (workflow.SweepSource); a deadline left from an earlier status
// is history.
var sweepRunning = []struct {
	name    string
	due     func(d weiquan.Deadlines) *time.Time
	running func(c *weiquan.Case) bool
}{
	{"accept_by", func(d weiquan.Deadlines) *time.Time { return d.AcceptBy },
		func(c *weiquan.Case) bool { return c.Status == weiquan.StatusAssigned }},
	{"track_by", func(d weiquan.Deadlines) *time.Time { return d.TrackBy },
		func(c *weiquan.Case) bool { return c.Status == weiquan.StatusAssigned }},
	{"mediate_by", func(d weiquan.Deadlines) *time.Time { return d.MediateBy },
		func(c *weiquan.Case) bool {
			return (c.Status == weiquan.StatusAccepted || c.Status == weiquan.StatusMediating) && c.Mediation.PausedAt == nil
		}},
	{"verify_by", func(d weiquan.Deadlines) *time.Time { return d.VerifyBy },
		func(c *weiquan.Case) bool { return c.Status == weiquan.StatusVerifying }},
}

// sweepFields adds the sweeper's fields of c to its index document.
func sweepFields(d map[string]any, c *weiquan.Case) {
	var warn, overdue []int64
	for _, r := range sweepRunning {
		due := r.due(c.Deadlines)
		if due == nil || !r.running(c) {
			continue
		}
		raised := func(kind string) bool {
			return slices.ContainsFunc(c.Alerts, func(a weiquan.Alert) bool {
				return a.Deadline == r.name && a.Kind == kind && a.Due.Equal(*due)
			})
		}
		if raised("overdue") {
			continue
		}
		overdue = append(overdue, due.Unix())
		if !raised("warning") {
			warn = append(warn, due.Unix())
		}
	}
	if len(warn) > 0 {
		d[fSweepWarn] = rangeTerms(warn...)
	}
	if len(overdue) > 0 {
		d[fSweepOverdue] = rangeTerms(overdue...)
	}
}

var openStatuses = []string{
	string(weiquan.StatusRegistered), string(weiquan.StatusAssigned), string(weiquan.StatusAccepted),
	string(weiquan.StatusMediating), string(weiquan.StatusVerifying),
}

// SweepCandidates answers the deadline sweeper's question — which open
// cases have a deadline before a time that may still owe a warning or an
// overdue notice — from the index instead of the store, where on the
// embedded server it would read every case.
type SweepCandidates struct {
	Index *Index
	Store interface {
		GetCases(ctx context.Context, ids []string) ([]*weiquan.Case, error)
	}
	// Now is the sweeper's clock. With it a case already warned about a
	// deadline is a candidate again only once that deadline has passed;
	// without it, whenever the deadline is before the horizon asked for.
	Now func() time.Time
}

// DueCases returns, in id order after `after`, up to limit open cases with
// a running deadline before `before` of which the sweeper has not recorded
// everything yet (sweepFields), read fresh from the store: the sweeper
// judges the stored case, never the index's copy. The index may lag the
// store by a moment; a case it offers that owes nothing any more is judged
// and left as it is.
func (sc SweepCandidates) DueCases(ctx context.Context, before time.Time, after string, limit int) ([]*weiquan.Case, error) {
	now := before
	if sc.Now != nil && sc.Now().Before(before) {
		now = sc.Now()
	}
	// Due times are whole seconds: "at or before t" is up to t's second.
	warnHi, overdueHi := before.Unix(), now.Unix()
	q := query.NewDisjunctionQuery([]query.Query{
		rangeQuery(fSweepWarn, nil, &warnHi),
		rangeQuery(fSweepOverdue, nil, &overdueHi),
	})
	n, err := sc.Index.idx.DocCount()
	if err != nil {
		return nil, err
	}
	req := bleve.NewSearchRequestOptions(q, int(n)+1, 0, false)
	req.Score = bleve.ScoreNone
	res, err := sc.Index.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		if h.ID > after {
			ids = append(ids, h.ID)
		}
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
