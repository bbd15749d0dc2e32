package handlers

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/search"
	"weiquan/workflow"
)

// The counts behind the supervisor's dashboard (DESIGN §10 GET
// /api/v1/stats/…). They take the filters of GET /api/v1/cases, and every
// count is limited to the cases the person may see, like every list.
//
//	GET /api/v1/stats/summary   totals, open, overdue, unplaced, recovered, counts by status/channel/category/unit/city
//	GET /api/v1/stats/trend     cases registered per day (?days=30, at most 366) in total and by channel, category, unit, city
//	GET /api/v1/stats/clusters  respondents with a cluster of complaints (群体性投诉)

// statsRoles may read the counts: a supervisor for their units, an
// administrator for everything.
var statsRoles = []weiquan.Role{weiquan.RoleSupervisor, weiquan.RoleAdmin}

// statsRoutes registers the stats and export endpoints in the staff group.
func (s *Server) statsRoutes(staff fiber.Router) {
	only := requireRole(statsRoles...)
	staff.Get("/stats/summary", only, s.statsSummary)
	staff.Get("/stats/trend", only, s.statsTrend)
	staff.Get("/stats/clusters", only, s.statsClusters)
	staff.Get("/export.csv", requireRole(exportRoles...), s.exportCSV)
}

// StatCount is one value of a dimension with its Chinese label.
type StatCount struct {
	Value string `json:"value"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

// StatsSummary answers GET /api/v1/stats/summary.
type StatsSummary struct {
	Total        uint64 `json:"total"`
	Open         int    `json:"open"`
	Overdue      uint64 `json:"overdue"`
	Unplaced     uint64 `json:"unplaced"` // waiting at a dispatch centre
	Clustered    uint64 `json:"clustered"`
	Resolved     int    `json:"resolved"`
	RecoveredFen int64  `json:"recovered_fen"`
	// By counts by status, channel, category, unit and city, largest first.
	By map[string][]StatCount `json:"by"`
}

// statsFilter reads the list filters and limits them to the person's scope.
func (s *Server) statsFilter(c *fiber.Ctx) (search.Query, error) {
	q, err := parseQuery(c)
	if err != nil {
		return q, err
	}
	q.Scope = s.Units.Scope(actor(c))
	// Counts and the lists beside them are about the work a supervisor's
	// units hold now: a case that only passed through one of them and moved
	// to another city is that city's to count. So the units holding the case
	// must be in scope too, not only some unit of its trail.
	q.UnitIDs = splitList(c.Query("unit"))
	if q.Scope != nil {
		if len(q.UnitIDs) == 0 {
			q.UnitIDs = q.Scope
		} else {
			q.UnitIDs = slices.DeleteFunc(q.UnitIDs, func(id string) bool { return !slices.Contains(q.Scope, id) })
			if len(q.UnitIDs) == 0 {
				q.UnitIDs = []string{} // only units outside the scope: nothing
			}
		}
	}
	q.Cursor, q.Facets = "", false
	return q, nil
}

func (s *Server) summary(c *fiber.Ctx, q search.Query) (StatsSummary, error) {
	ctx, cancel := s.ctx(c)
	defer cancel()
	s.awaitOwnWrite(ctx, actor(c).UserID)
	st, err := cached(s, c, countKey("stats", q), func() (search.Stats, error) { return s.Search.Stats(ctx, q) })
	if err != nil {
		return StatsSummary{}, err
	}
	out := StatsSummary{Total: st.Total, Resolved: st.Resolved, RecoveredFen: st.RecoveredFen, By: map[string][]StatCount{}}
	for dim, counts := range st.Facets {
		list := make([]StatCount, 0, len(counts))
		for _, fc := range counts {
			list = append(list, StatCount{Value: fc.Value, Label: s.dimensionLabel(dim, fc.Value), Count: fc.Count})
			if dim == search.FacetStatus && fc.Value != string(weiquan.StatusClosed) {
				out.Open += fc.Count
			}
		}
		sort.SliceStable(list, func(i, j int) bool {
			if list[i].Count != list[j].Count {
				return list[i].Count > list[j].Count
			}
			return list[i].Value < list[j].Value
		})
		out.By[dim] = list
	}
	count := func(mod func(q *search.Query)) (uint64, error) {
		cq := q
		mod(&cq)
		return s.Search.Count(ctx, cq)
	}
	if out.Overdue, err = count(func(q *search.Query) { q.Overdue, q.Now = true, s.Accounts.Now() }); err != nil {
		return out, err
	}
	if out.Unplaced, err = count(func(q *search.Query) { q.Status = []string{string(weiquan.StatusRegistered)} }); err != nil {
		return out, err
	}
	if out.Clustered, err = count(func(q *search.Query) {
		q.Flags = []string{workflow.FlagCluster}
		q.Status = openStatusCodes()
	}); err != nil {
		return out, err
	}
	return out, nil
}

func openStatusCodes() []string {
	out := make([]string, 0, len(workflow.OpenStatuses))
	for _, st := range workflow.OpenStatuses {
		out = append(out, string(st))
	}
	return out
}

// dimensionLabel is the Chinese of a facet value.
func (s *Server) dimensionLabel(dim, v string) string {
	if v == search.Unset || v == "" {
		switch dim {
		case search.FacetUnit:
			return "未分派"
		case search.FacetCity:
			return "未知地区"
		}
		return "未填写"
	}
	switch dim {
	case search.FacetStatus, search.TrendTotal:
		return termLabel("status", v)
	case search.FacetChannel:
		return termLabel("channel", v)
	case search.FacetCategory:
		return termLabel("category", v)
	case search.FacetUnit:
		return s.unitLabel(v)
	case search.FacetCity:
		if d, ok := weiquan.DivisionByCode(v); ok {
			return d.Name
		}
	}
	return v
}

func (s *Server) statsSummary(c *fiber.Ctx) error {
	q, err := s.statsFilter(c)
	if err != nil {
		return err
	}
	out, err := s.summary(c, q)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// TrendSeries is one line of a trend.
type TrendSeries struct {
	Value  string `json:"value"`
	Label  string `json:"label"`
	Total  int    `json:"total"`
	Counts []int  `json:"counts"`
}

// StatsTrend answers GET /api/v1/stats/trend.
type StatsTrend struct {
	Days  []string `json:"days"`
	Total []int    `json:"total"`
	// By holds, per dimension (channel, category, unit, city), a series per
	// value, largest first.
	By map[string][]TrendSeries `json:"by"`
}

const (
	defaultTrendDays = 30
	maxTrendDays     = 366
)

func (s *Server) trend(c *fiber.Ctx, q search.Query, days int) (StatsTrend, error) {
	ctx, cancel := s.ctx(c)
	defer cancel()
	s.awaitOwnWrite(ctx, actor(c).UserID)
	from := s.Accounts.Now().In(weiquan.Shanghai).AddDate(0, 0, -(days - 1))
	tr, err := cached(s, c, countKey("trend", q, from.Format("2006-01-02"), days), func() (search.Trend, error) {
		return s.Search.Trend(ctx, q, from, days)
	})
	if err != nil {
		return StatsTrend{}, err
	}
	out := StatsTrend{Days: tr.Days, Total: tr.Series[search.TrendTotal][""], By: map[string][]TrendSeries{}}
	for _, dim := range []string{search.TrendChannel, search.TrendCategory, search.TrendUnit, search.TrendCity} {
		list := []TrendSeries{}
		for v, counts := range tr.Series[dim] {
			ts := TrendSeries{Value: v, Label: s.dimensionLabel(dim, v), Counts: counts}
			for _, n := range counts {
				ts.Total += n
			}
			list = append(list, ts)
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].Total != list[j].Total {
				return list[i].Total > list[j].Total
			}
			return list[i].Value < list[j].Value
		})
		out.By[dim] = list
	}
	return out, nil
}

func (s *Server) statsTrend(c *fiber.Ctx) error {
	q, err := s.statsFilter(c)
	if err != nil {
		return err
	}
	days, err := trendDays(c)
	if err != nil {
		return err
	}
	out, err := s.trend(c, q, days)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

func trendDays(c *fiber.Ctx) (int, error) {
	raw := c.Query("days")
	if raw == "" {
		return defaultTrendDays, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxTrendDays {
		return 0, weiquan.ValidationErrors{"days": {Code: "invalid_days",
			Message: "统计天数须为 1–" + strconv.Itoa(maxTrendDays)}}.Err()
	}
	return n, nil
}

// Cluster is the complaints against one respondent that raised the cluster
// signal.
type Cluster struct {
	Respondent string        `json:"respondent"`
	Count      int           `json:"count"`
	Open       int           `json:"open"`
	Latest     time.Time     `json:"latest"`
	Cases      []ClusterCase `json:"cases"`
}

// ClusterCase is one case of a cluster.
type ClusterCase struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Title  string `json:"title"`
	UnitID string `json:"unit_id"`
}

// clusterCap bounds the flagged cases read for the cluster list.
const clusterCap = 500

// clusters groups the flagged cases the person may see by respondent, the
// largest group first.
func (s *Server) clusters(c *fiber.Ctx, q search.Query) ([]Cluster, error) {
	q.Flags = []string{workflow.FlagCluster}
	q.Sort, q.PageSize, q.Text = search.SortCreated, search.MaxPageSize, ""
	ctx, cancel := s.ctx(c)
	defer cancel()
	s.awaitOwnWrite(ctx, actor(c).UserID)
	by := map[string]*Cluster{}
	var order []string
	for read := 0; read < clusterCap; {
		res, err := s.Search.Search(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, it := range res.Items {
			cl := by[it.RespondentName]
			if cl == nil {
				cl = &Cluster{Respondent: it.RespondentName, Cases: []ClusterCase{}}
				by[it.RespondentName] = cl
				order = append(order, it.RespondentName)
			}
			cl.Count++
			if it.Status != string(weiquan.StatusClosed) {
				cl.Open++
			}
			if it.CreatedAt.After(cl.Latest) {
				cl.Latest = it.CreatedAt
			}
			cl.Cases = append(cl.Cases, ClusterCase{ID: it.ID, Status: it.Status, Title: it.Title, UnitID: it.UnitID})
		}
		read += len(res.Items)
		if res.NextCursor == "" {
			break
		}
		q.Cursor = res.NextCursor
	}
	out := make([]Cluster, 0, len(order))
	for _, name := range order {
		out = append(out, *by[name])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out, nil
}

func (s *Server) statsClusters(c *fiber.Ctx) error {
	q, err := s.statsFilter(c)
	if err != nil {
		return err
	}
	out, err := s.clusters(c, q)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": out, "total": len(out)})
}

// countTTL is how long the dashboard's counts by status, channel, category,
// unit and city and its trends are reused. Counting every case of the
// province takes a facet pass over the whole index (tens of milliseconds at
// 100,000 cases, growing with the store), and a dashboard left open or
// opened by every supervisor of a city asks for the same numbers again and
// again; a count a few seconds old is what a dashboard shows anyway. The
// lists (unplaced, overdue, clusters) and the headline counts (overdue,
// unplaced) are never reused, and a person's own changes are seen at once:
// their last write is part of the key.
const countTTL = 20 * time.Second

// countCacheMax bounds the entries kept; when full, the cache starts over.
const countCacheMax = 512

type countCache struct {
	mu sync.Mutex
	m  map[string]countEntry
}

type countEntry struct {
	at time.Time
	v  any
}

// cached answers key from the cache when fresh, else computes and keeps it.
func cached[T any](s *Server, c *fiber.Ctx, key string, compute func() (T, error)) (T, error) {
	if v, ok := s.writes.m.Load(actor(c).UserID); ok {
		cv := v.(caseVersion)
		key += fmt.Sprintf("|own:%s@%d", cv.id, cv.version)
	}
	ttl := s.cfg.CountTTL
	if ttl == 0 {
		ttl = countTTL
	}
	if ttl < 0 {
		return compute()
	}
	now := time.Now() // real time: the entry's age, whatever the domain clock says
	cc := &s.counts
	cc.mu.Lock()
	if e, ok := cc.m[key]; ok && now.Sub(e.at) < ttl {
		cc.mu.Unlock()
		return e.v.(T), nil
	}
	cc.mu.Unlock()
	v, err := compute()
	if err != nil {
		return v, err
	}
	cc.mu.Lock()
	if cc.m == nil || len(cc.m) >= countCacheMax {
		cc.m = map[string]countEntry{}
	}
	cc.m[key] = countEntry{at: now, v: v}
	cc.mu.Unlock()
	return v, nil
}

// countKey names a query's counts: every field of the query, the access
// scope included.
func countKey(kind string, q search.Query, extra ...any) string {
	q.Cursor, q.PageSize, q.Sort, q.Facets = "", 0, "", false
	for _, p := range []**int64{&q.AmountMin, &q.AmountMax} {
		if *p != nil {
			extra = append(extra, **p)
		} else {
			extra = append(extra, "-")
		}
		*p = nil // a pointer would print as its address
	}
	return fmt.Sprintf("%s|%#v|%v", kind, q, extra)
}
