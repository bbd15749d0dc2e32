package handlers

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/search"
)

// Searcher answers lists and queues from the search index.
type Searcher interface {
	Search(ctx context.Context, q search.Query) (search.Result, error)
	WaitForVersion(ctx context.Context, id string, version int64) error
	// Stats and Trend count cases for the dashboard (search/stats.go).
	Stats(ctx context.Context, q search.Query) (search.Stats, error)
	Count(ctx context.Context, q search.Query) (uint64, error)
	Trend(ctx context.Context, q search.Query, from time.Time, days int) (search.Trend, error)
}

// lastWrites remembers, per user, the last case version they wrote, so a
// list they open right after waits until the index has caught up with it
// (read-your-writes) instead of showing the case as it was.
type lastWrites struct{ m sync.Map }

type caseVersion struct {
	id      string
	version int64
}

func (l *lastWrites) note(userID string, c *weiquan.Case) {
	if userID != "" {
		l.m.Store(userID, caseVersion{c.ID, c.Version})
	}
}

// readYourWritesWait bounds how long a list waits for the index.
const readYourWritesWait = 2 * time.Second

func (s *Server) listCases(c *fiber.Ctx) error {
	q, err := parseQuery(c)
	if err != nil {
		return err
	}
	// unit= is a queue: the cases a unit holds now. What the person may see
	// at all (their units' cases, now or before) is scopedSearch's to add.
	q.UnitIDs = splitList(c.Query("unit"))
	res, err := s.scopedSearch(c, q)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

// awaitOwnWrite waits (bounded) until the index holds the last case version
// this user wrote. A timeout is not an error: the answer is a moment stale.
func (s *Server) awaitOwnWrite(ctx context.Context, userID string) {
	v, ok := s.writes.m.Load(userID)
	if !ok {
		return
	}
	cv := v.(caseVersion)
	wctx, cancel := context.WithTimeout(ctx, readYourWritesWait)
	defer cancel()
	_ = s.Search.WaitForVersion(wctx, cv.id, cv.version)
}

// parseQuery reads the list parameters, naming every bad one.
func parseQuery(c *fiber.Ctx) (search.Query, error) {
	v := weiquan.ValidationErrors{}
	q := search.Query{
		Text:           strings.TrimSpace(c.Query("q")),
		Phone:          strings.TrimSpace(c.Query("phone")),
		Status:         splitList(c.Query("status")),
		Kind:           splitList(c.Query("kind")),
		Channel:        splitList(c.Query("channel")),
		Track:          splitList(c.Query("track")),
		Outcome:        splitList(c.Query("outcome")),
		Category:       splitList(c.Query("category")),
		Problem:        splitList(c.Query("problem")),
		Department:     splitList(c.Query("department")),
		DivisionCounty: splitList(c.Query("county")),
		DivisionCity:   splitList(c.Query("city")),
		Sort:           c.Query("sort", search.SortRelevance),
		Cursor:         c.Query("cursor"),
		// Counts belong to the first page; recounting them for every later
		// page of a broad list would cost as much as the page itself.
		Facets: c.Query("facets", strconv.FormatBool(c.Query("cursor") == "")) != "false",
	}
	if len([]rune(q.Text)) > 100 {
		v.Add("q", "too_long", "搜索内容不能超过 100 个字")
	}
	if q.Phone != "" {
		if p, ok := weiquan.ParsePhone(q.Phone); ok {
			q.Phone = string(p)
		} else {
			v.Add("phone", "invalid_phone", "电话号码格式不正确")
		}
	}
	checkCodes := func(field string, values []string, terms []weiquan.Term) {
		for _, val := range values {
			if _, ok := weiquan.Lookup(terms, val); !ok {
				v.Add(field, "unknown_code", "没有这个选项："+val)
			}
		}
	}
	checkCodes("status", q.Status, weiquan.Vocabulary.Statuses)
	checkCodes("kind", q.Kind, weiquan.Vocabulary.Kinds)
	checkCodes("channel", q.Channel, weiquan.Vocabulary.Channels)
	checkCodes("track", q.Track, weiquan.Vocabulary.Tracks)
	checkCodes("outcome", q.Outcome, weiquan.Vocabulary.Outcomes)
	checkCodes("category", q.Category, weiquan.Vocabulary.Categories)
	checkCodes("problem", q.Problem, weiquan.Vocabulary.Problems)
	for _, field := range []struct {
		name string
		vals []string
	}{{"county", q.DivisionCounty}, {"city", q.DivisionCity}} {
		for _, code := range field.vals {
			if _, ok := weiquan.DivisionByCode(code); !ok {
				v.Add(field.name, "unknown_division", "没有这个行政区划："+code)
			}
		}
	}
	switch q.Sort {
	case search.SortRelevance, search.SortCreated, search.SortDeadline:
	default:
		v.Add("sort", "invalid_sort", "排序方式须为 relevance、created 或 deadline")
	}
	if ps := c.Query("page_size"); ps != "" {
		n, err := strconv.Atoi(ps)
		if err != nil || n < 1 || n > search.MaxPageSize {
			v.Add("page_size", "invalid_page_size", "每页条数须为 1–"+strconv.Itoa(search.MaxPageSize))
		}
		q.PageSize = n
	}
	for _, b := range []struct {
		name string
		dst  *time.Time
	}{{"created_from", &q.CreatedFrom}, {"created_to", &q.CreatedTo}} {
		if raw := c.Query(b.name); raw != "" {
			t, err := parseDateParam(raw)
			if err != nil {
				v.Add(b.name, "invalid_date", "日期格式应为 YYYY-MM-DD 或 RFC 3339")
			}
			*b.dst = t
		}
	}
	if raw := c.Query("created_to"); len(raw) == len("2006-01-02") && !q.CreatedTo.IsZero() {
		q.CreatedTo = q.CreatedTo.AddDate(0, 0, 1) // a date is inclusive: up to the end of that day
	}
	for _, b := range []struct {
		name string
		dst  **int64
	}{{"amount_min", &q.AmountMin}, {"amount_max", &q.AmountMax}} {
		if raw := c.Query(b.name); raw != "" {
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil || n < 0 {
				v.Add(b.name, "invalid_amount", "金额应为以分计的非负整数")
			}
			*b.dst = &n
		}
	}
	switch c.Query("overdue") {
	case "", "false":
	case "true":
		q.Overdue = true
	default:
		v.Add("overdue", "invalid_bool", "overdue 只能是 true 或 false")
	}
	return q, v.Err()
}

func parseDateParam(s string) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02", s, weiquan.Shanghai); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// splitList accepts "a,b" and drops empty items.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
