package handlers

import (
	"html/template"
	"net/url"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/search"
)

// The supervisor's dashboard: what waits for a unit (unplaced cases, with
// the assign form), what is overdue, how many cases come in by channel,
// category, unit and city and how that moves, what mediation recovered, and
// which businesses draw clusters of complaints. Every number comes from the
// search index through the same scoped code as GET /api/v1/stats/… (stats.go),
// so the page and the API always agree and neither shows a case the person
// may not see. Administrators read it; assigning is the dispatcher's.

// dashboardPages registers the dashboard.
func (s *Server) dashboardPages(app *fiber.App) {
	app.Get("/dashboard", s.requirePageSession, requireRole(weiquan.RoleSupervisor, weiquan.RoleAdmin), s.dashboard)
}

// dashboardListSize is the length of the unplaced and overdue lists.
const dashboardListSize = 20

type unitGroup struct {
	City  string
	Units []weiquan.Term
}

type dashboardCharts struct {
	Trend, ChannelTrend, Channel, Category, Unit, City template.HTML
}

type dashboardData struct {
	Summary      StatsSummary
	Trend        StatsTrend
	Days         int
	DayChoice    []int
	Unplaced     []search.Summary
	MoreUnplaced bool
	Overdue      []queueItem
	Clusters     []Cluster
	Charts       dashboardCharts
	CanAssign    bool
	Units        []unitGroup
	// Filters and their choices.
	City, Channel, Category string
	Cities                  []weiquan.Term
	Channels, Categories    []weiquan.Term
	Export, Filters         string
}

func (s *Server) dashboard(c *fiber.Ctx) error {
	q, err := s.statsFilter(c)
	if err != nil {
		return err
	}
	days, err := trendDays(c)
	if err != nil {
		return err
	}
	a := actor(c)
	d := dashboardData{Days: days, DayChoice: []int{7, 30, 90}, CanAssign: s.isDispatcher(a),
		City: c.Query("city"), Channel: c.Query("channel"), Category: c.Query("category"),
		Channels: weiquan.Vocabulary.Channels, Categories: weiquan.Vocabulary.Categories}
	for _, div := range weiquan.Divisions {
		if div.Level == weiquan.LevelCity {
			d.Cities = append(d.Cities, weiquan.Term{Code: div.Code, Label: div.Name})
		}
	}
	if d.Summary, err = s.summary(c, q); err != nil {
		return err
	}
	if d.Trend, err = s.trend(c, q, days); err != nil {
		return err
	}
	if d.Clusters, err = s.clusters(c, q); err != nil {
		return err
	}
	// Unplaced: waiting at a dispatch centre for a person to assign.
	uq := q
	uq.Status, uq.Sort, uq.PageSize = []string{string(weiquan.StatusRegistered)}, search.SortCreated, dashboardListSize
	res, err := s.scopedSearch(c, uq)
	if err != nil {
		return err
	}
	d.Unplaced, d.MoreUnplaced = res.Items, res.NextCursor != ""
	now := s.Accounts.Now()
	oq := q
	oq.Overdue, oq.Now, oq.Sort, oq.PageSize = true, now, search.SortDeadline, dashboardListSize
	if res, err = s.scopedSearch(c, oq); err != nil {
		return err
	}
	for _, it := range res.Items {
		d.Overdue = append(d.Overdue, queueItem{Summary: it, Overdue: true})
	}
	if d.CanAssign && len(d.Unplaced) > 0 {
		d.Units = s.unitGroups(a)
	}
	d.Charts = s.dashboardCharts(d.Summary, d.Trend)

	filters := url.Values{}
	for _, k := range []string{"city", "channel", "category", "unit", "status", "kind", "q"} {
		if v := c.Query(k); v != "" {
			filters.Set(k, v)
		}
	}
	d.Export = "/api/v1/export.csv?" + filters.Encode()
	if days != defaultTrendDays {
		filters.Set("days", strconv.Itoa(days))
	}
	d.Filters = filters.Encode()
	return s.render(c, fiber.StatusOK, "dashboard.html", Page{Title: "指挥中心", Nav: "dashboard",
		Flash: s.doneMessage(c.Query("done")), Data: d})
}

// unitGroups are the units a dispatcher can assign to, by city.
func (s *Server) unitGroups(a weiquan.Actor) []unitGroup {
	scope := s.Units.Scope(a)
	byCity := map[string]*unitGroup{}
	var order []string
	for _, u := range s.Units.All() {
		if u.Type == weiquan.UnitDispatch || (scope != nil && !slices.Contains(scope, u.ID)) {
			continue
		}
		city := weiquan.CityCode(u.DivisionCode)
		g := byCity[city]
		if g == nil {
			name := "全省"
			if dv, ok := weiquan.DivisionByCode(city); ok {
				name = dv.Name
			}
			g = &unitGroup{City: name}
			byCity[city] = g
			order = append(order, city)
		}
		g.Units = append(g.Units, weiquan.Term{Code: u.ID, Label: u.Name})
	}
	slices.Sort(order)
	out := make([]unitGroup, 0, len(order))
	for _, city := range order {
		out = append(out, *byCity[city])
	}
	return out
}

// chartTop is how many values a bar chart shows.
const chartTop = 12

func (s *Server) dashboardCharts(sum StatsSummary, tr StatsTrend) dashboardCharts {
	bars := func(dim string) []barItem {
		var out []barItem
		for _, sc := range sum.By[dim] {
			if len(out) == chartTop {
				break
			}
			out = append(out, barItem{Label: sc.Label, Value: sc.Count})
		}
		return out
	}
	series := []lineSeries{{Label: "全部", Values: tr.Total}}
	byChannel := []lineSeries{}
	for i, ts := range tr.By[search.TrendChannel] {
		if i == 6 {
			break
		}
		byChannel = append(byChannel, lineSeries{Label: ts.Label, Values: ts.Counts})
	}
	span := strconv.Itoa(len(tr.Days))
	return dashboardCharts{
		Trend:        lineChart("近 "+span+" 天每日登记案件数", tr.Days, series),
		ChannelTrend: lineChart("近 "+span+" 天各渠道每日登记案件数", tr.Days, byChannel),
		Channel:      barChart("按渠道", bars(search.FacetChannel)),
		Category:     barChart("按类别（前 12）", bars(search.FacetCategory)),
		Unit:         barChart("按承办单位（前 12）", bars(search.FacetUnit)),
		City:         barChart("按地市", bars(search.FacetCity)),
	}
}

// isDispatcher tells a supervisor of a dispatch centre, who assigns what
// routing could not place (the state machine decides each case; this only
// decides whether the page offers the form).
func (s *Server) isDispatcher(a weiquan.Actor) bool {
	if a.Role != weiquan.RoleSupervisor {
		return false
	}
	for _, id := range a.UnitIDs {
		if u, ok := s.Units.Get(id); ok && u.Type == weiquan.UnitDispatch {
			return true
		}
	}
	return false
}
