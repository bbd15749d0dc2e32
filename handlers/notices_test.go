package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"weiquan"
	"weiquan/workflow"
)

// TestDeadlineNotices: the sweeper's warning and overdue for a case reach
// its unit as notices, once each however often it runs; the unit's officer
// lists them unread first, newest first, page by page, and marks them read;
// nobody else reads or marks them.
func TestDeadlineNotices(t *testing.T) {
	e := newEnv(t)
	op, off1, off2 := e.login("op1"), e.login("off1"), e.login("off2")
	r := e.do("POST", "/api/v1/cases", op, validComplaint())
	if r.status != 201 {
		t.Fatalf("intake: %d %s", r.status, r.body)
	}
	cs := r.json(t)
	id := cs["id"].(string)
	if cs["unit_id"] != "amr-350203" || cs["status"] != "assigned" {
		t.Fatalf("the complaint is not with amr-350203: %v %v", cs["unit_id"], cs["status"])
	}

	units, err := workflow.DefaultUnits()
	if err != nil {
		t.Fatal(err)
	}
	router, err := workflow.DefaultRouter(units)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := workflow.NewCalendar()
	if err != nil {
		t.Fatal(err)
	}
	engine := &workflow.Engine{Store: e.store, Router: router, Units: units, Calendar: cal,
		Policies: workflow.NewPolicies(), Now: e.clock.Now}
	sw := &workflow.Sweeper{Source: e.store, Engine: engine, Notices: e.store, Now: e.clock.Now}
	tick := func(want workflow.SweepStats) {
		t.Helper()
		got, err := sw.Tick(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if got.Warnings != want.Warnings || got.Overdue != want.Overdue {
			t.Fatalf("tick at %s: got %+v, want %d warnings, %d overdue", e.clock.Now(), got, want.Warnings, want.Overdue)
		}
	}
	type page struct {
		Items      []weiquan.Notice `json:"items"`
		Unread     int              `json:"unread"`
		Total      int              `json:"total"`
		NextOffset int              `json:"next_offset"`
	}
	list := func(token, query string) page {
		t.Helper()
		r := e.do("GET", "/api/v1/notices"+query, token, nil)
		if r.status != 200 {
			t.Fatalf("notices%s: %d %s", query, r.status, r.body)
		}
		var p page
		decodeJSON(t, r.body, &p)
		return p
	}

	tick(workflow.SweepStats{}) // nothing near yet
	if p := list(off1, ""); p.Total != 0 || len(p.Items) != 0 || p.Items == nil {
		t.Fatalf("notices before any deadline is near: %+v", p)
	}
	// accept_by is 2026-12-07 (7 working days from 2026-11-26); two
	// working days before it the unit is warned, after it told it is overdue.
	e.clock.Add(7 * 24 * time.Hour) // 2026-12-03
	tick(workflow.SweepStats{Warnings: 1})
	tick(workflow.SweepStats{})
	e.clock.Add(5 * 24 * time.Hour) // 2026-12-08
	tick(workflow.SweepStats{Overdue: 1})
	tick(workflow.SweepStats{})

	// Sessions do not last the twelve days the clock moved.
	op, off1, off2 = e.login("op1"), e.login("off1"), e.login("off2")
	p := list(off1, "")
	if p.Total != 2 || p.Unread != 2 || len(p.Items) != 2 || p.NextOffset != 0 {
		t.Fatalf("officer of the unit: %+v", p)
	}
	overdue, warning := p.Items[0], p.Items[1] // newest first
	for _, tt := range []struct {
		n    weiquan.Notice
		kind string
	}{{overdue, weiquan.NoticeOverdue}, {warning, weiquan.NoticeWarning}} {
		if tt.n.Kind != tt.kind || tt.n.CaseID != id || tt.n.UnitID != "amr-350203" || tt.n.Deadline != "accept_by" ||
			tt.n.Note == "" || tt.n.ReadAt != nil {
			t.Errorf("notice %+v, want an unread %s of accept_by of %s", tt.n, tt.kind, id)
		}
	}
	if other := list(off2, ""); other.Total != 0 {
		t.Errorf("an officer of another unit sees %+v", other)
	}
	if r := e.do("GET", "/api/v1/notices", op, nil); r.status != 403 {
		t.Errorf("operator: got %d, want 403", r.status)
	}
	if r := e.do("GET", "/api/v1/notices", "", nil); r.status != 401 {
		t.Errorf("anonymous: got %d, want 401", r.status)
	}

	// Paging.
	first := list(off1, "?page_size=1")
	second := list(off1, fmt.Sprintf("?page_size=1&offset=%d", first.NextOffset))
	if len(first.Items) != 1 || first.Items[0].ID != overdue.ID || first.NextOffset != 1 ||
		len(second.Items) != 1 || second.Items[0].ID != warning.ID || second.NextOffset != 0 {
		t.Errorf("pages: %+v then %+v", first, second)
	}
	for _, q := range []string{"?page_size=0", "?page_size=101", "?offset=-1", "?page_size=x"} {
		if r := e.do("GET", "/api/v1/notices"+q, off1, nil); r.status != 422 {
			t.Errorf("%s: got %d, want 422", q, r.status)
		}
	}

	// Marking read: only the unit's own people; once.
	readPath := "/api/v1/notices/" + warning.ID + "/read"
	if r := e.do("POST", readPath, off2, nil); r.status != 403 {
		t.Errorf("another unit's officer marking it read: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/notices/amr-350203:nonsense/read", off1, nil); r.status != 404 {
		t.Errorf("unknown notice: %d %s", r.status, r.body)
	}
	r = e.do("POST", readPath, off1, nil)
	if r.status != 200 {
		t.Fatalf("mark read: %d %s", r.status, r.body)
	}
	var read weiquan.Notice
	decodeJSON(t, r.body, &read)
	if read.ReadAt == nil || read.ReadBy == "" {
		t.Fatalf("marked notice: %+v", read)
	}
	e.clock.Add(10 * time.Minute) // within the session's idle time
	var again weiquan.Notice
	decodeJSON(t, e.do("POST", readPath, off1, nil).body, &again)
	if again.ReadAt == nil || !again.ReadAt.Equal(*read.ReadAt) {
		t.Errorf("read again: read_at %v, want the first reading %v", again.ReadAt, read.ReadAt)
	}
	// A new tick does not make it unread again.
	tick(workflow.SweepStats{})
	p = list(off1, "")
	if p.Unread != 1 || p.Items[0].ID != overdue.ID || p.Items[1].ID != warning.ID || p.Items[1].ReadAt == nil {
		t.Errorf("after reading the warning: %+v", p)
	}
}

func decodeJSON(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("body is not the JSON expected: %v\n%s", err, raw)
	}
}
