package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"weiquan"
)

// siming is a complaint against a business in 思明区, which routing sends
// to 思明区市场监督管理局 (amr-350203).
func siming(phone, title string) map[string]any {
	return map[string]any{
		"kind": "complaint", "channel": "12315",
		"complainant": map[string]any{"name": "陈七", "phone": phone, "address": "厦门市思明区莲前西路2号"},
		"respondent":  map[string]any{"name": "厦门某某家电商行", "address": "厦门市思明区湖滨南路188号"},
		"subject":     map[string]any{"category": "household_appliances", "problem": "quality", "product": "冰箱", "amount_fen": 258800},
		"title":       title,
		"description": "冰箱买回三天就不制冷，商家拒绝退换。",
		"demands":     []string{"refund"},
		"consent":     map[string]any{"sms": true, "mediation": true},
	}
}

// newCase registers a case over the API as a new operator and returns its
// number.
func newCase(t *testing.T, svc *liveService, body map[string]any) string {
	t.Helper()
	op, pw := svc.newUser(t, weiquan.RoleOperator)
	status, raw := svc.apiAs(t, op, pw).do("POST", "/api/v1/cases", body)
	if status != 201 {
		t.Fatalf("register a case: %d %s", status, raw)
	}
	var c struct {
		ID     string `json:"id"`
		UnitID string `json:"unit_id"`
	}
	_ = json.Unmarshal(raw, &c)
	if c.UnitID != "amr-350203" {
		t.Fatalf("case %s went to %q, want amr-350203", c.ID, c.UnitID)
	}
	return c.ID
}

func caseOf(t *testing.T, svc *liveService, id string) weiquan.Case {
	t.Helper()
	status, raw := svc.api(t).do("GET", "/api/v1/cases/"+id, nil)
	if status != 200 {
		t.Fatalf("read case %s: %d %s", id, status, raw)
	}
	var c weiquan.Case
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// act opens an action's form on the case page, fills it and submits it.
func act(t *testing.T, ctx context.Context, action string, fill ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	must(t, ctx, "open the form of "+action, chromedp.Click(chromedp.CSS("#action-"+action+" summary"), chromedp.NodeVisible))
	if len(fill) > 0 {
		must(t, ctx, "fill the form of "+action, fill...)
	}
	if resp := submit(t, ctx, "#do-"+action); resp.Status != 200 {
		t.Fatalf("%s: the page answered %d", action, resp.Status)
	}
}

// TestBrowserOfficerAcceptsMediatesAndCloses: an officer of the unit finds
// the new case in the queue, accepts it, starts mediation and closes it
// with an agreement and the amount recovered, each from the case page.
func TestBrowserOfficerAcceptsMediatesAndCloses(t *testing.T) {
	ctx := newTab(t, 1280, 1000)
	svc := sharedService(t)
	phone := testMobile()
	id := newCase(t, svc, siming(phone, "冰箱不制冷，要求退货（办案台测试）"))
	user, pw := svc.newUser(t, weiquan.RoleOfficer, "amr-350203")

	signIn(t, ctx, svc, user, pw)
	if got := location(t, ctx); got != svc.Base+"/desk" {
		t.Fatalf("an officer lands on %s, want the desk", got)
	}
	if got := text(t, ctx, "table.queue"); !strings.Contains(got, id) {
		t.Fatalf("the queue does not list the new case %s: %q", id, got)
	}
	if resp := submit(t, ctx, `a[href="/desk/cases/`+id+`"]`); resp.Status != 200 {
		t.Fatalf("open the case: %d", resp.Status)
	}
	if got := text(t, ctx, "#complainant-phone"); got != weiquan.MaskPhone(phone) {
		t.Errorf("the case page shows the phone as %q, want %q", got, weiquan.MaskPhone(phone))
	}

	act(t, ctx, "accept")
	if got := text(t, ctx, "#case-status"); got != "已受理" {
		t.Fatalf("after accepting: status %q", got)
	}
	act(t, ctx, "start_mediation")
	if got := text(t, ctx, "#case-status"); got != "调解中" {
		t.Fatalf("after starting mediation: status %q", got)
	}
	act(t, ctx, "record_agreement",
		chromedp.SetValue(chromedp.ID("f-record_agreement-amount_yuan"), "2588.00"),
		chromedp.SetValue(chromedp.ID("f-record_agreement-note"), "商家同意退货并全额退款"))
	if got := text(t, ctx, "#case-status"); got != "办结" {
		t.Fatalf("after the agreement: status %q", got)
	}
	if got := text(t, ctx, "#recovered"); got != "2588.00 元" {
		t.Errorf("amount recovered shown as %q", got)
	}
	if got := text(t, ctx, "#case-outcome"); got != "调解成功" {
		t.Errorf("outcome shown as %q", got)
	}
	screenshot(t, ctx, "officer-case-closed")

	c := caseOf(t, svc, id)
	if c.Status != weiquan.StatusClosed || c.Outcome != weiquan.OutcomeResolved || c.Result.AmountRecoveredFen != 258800 {
		t.Errorf("stored: %s %s %d fen", c.Status, c.Outcome, c.Result.AmountRecoveredFen)
	}
	var types []string
	for _, e := range c.Events {
		types = append(types, e.Type)
	}
	if got := strings.Join(types, ","); !strings.HasSuffix(got, "accept,start_mediation,record_agreement") {
		t.Errorf("timeline %s", got)
	}
}

// TestBrowserSupervisorAssignsAndDownloadsCSV: Xiamen's dispatcher sees a
// case an officer returned, assigns it to another district from the
// dashboard, and downloads the CSV export of the city's cases.
func TestBrowserSupervisorAssignsAndDownloadsCSV(t *testing.T) {
	ctx := newTab(t, 1280, 1000)
	svc := sharedService(t)
	phone := testMobile()
	id := newCase(t, svc, siming(phone, "冰箱噪音大，被投诉人实际在海沧（指挥中心测试）"))
	off, offPW := svc.newUser(t, weiquan.RoleOfficer, "amr-350203")
	if status, raw := svc.apiAs(t, off, offPW).do("POST", "/api/v1/cases/"+id+"/actions/return",
		map[string]any{"version": 1, "reason": "被投诉人实际经营地在海沧区"}); status != 200 {
		t.Fatalf("return: %d %s", status, raw)
	}
	sup, supPW := svc.newUser(t, weiquan.RoleSupervisor, "dispatch-350200")

	signIn(t, ctx, svc, sup, supPW)
	if got := location(t, ctx); got != svc.Base+"/dashboard" {
		t.Fatalf("a supervisor lands on %s, want the dashboard", got)
	}
	if got := text(t, ctx, "#unplaced"); !strings.Contains(got, id) {
		t.Fatalf("the unplaced list does not show %s: %q", id, got)
	}
	screenshot(t, ctx, "dashboard")
	must(t, ctx, "choose 海沧区", chromedp.SetValue(chromedp.ID("assign-"+id), "amr-350205"))
	if resp := submit(t, ctx, "#assign-submit-"+id); resp.Status != 200 {
		t.Fatalf("assign: the page answered %d", resp.Status)
	}
	if got := text(t, ctx, ".flash"); !strings.Contains(got, id) {
		t.Errorf("no confirmation of the assignment: %q", got)
	}
	if c := caseOf(t, svc, id); c.UnitID != "amr-350205" || c.Status != weiquan.StatusAssigned {
		t.Fatalf("after assigning: %s at %s", c.Status, c.UnitID)
	}

	// Download the export the way a person does: click the link.
	dir := t.TempDir()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	yes := true
	if _, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &yes,
		BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
	}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	must(t, ctx, "click the export link", chromedp.Click(chromedp.ID("export-csv"), chromedp.NodeVisible))
	var file string
	timeout := time.After(30 * time.Second)
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("the download was cancelled")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			file = filepath.Join(dir, ev.GUID)
			break
		}
		select {
		case <-timeout:
			t.Fatal("the download did not complete in 30 s")
		default:
		}
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read the download: %v", err)
	}
	if !bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")) {
		t.Fatal("the CSV has no UTF-8 byte-order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
	if err != nil {
		t.Fatalf("parse the CSV: %v", err)
	}
	if len(rows) < 2 || rows[0][0] != "案件编号" {
		t.Fatalf("CSV header %v, %d rows", rows[0], len(rows))
	}
	var row []string
	for _, r := range rows[1:] {
		if r[0] == id {
			row = r
		}
	}
	if row == nil {
		t.Fatalf("the export lacks case %s", id)
	}
	if row[3] != "已分派" || row[9] != "海沧区市场监督管理局" || row[10] != "*******"+phone[7:] {
		t.Errorf("row of %s: %v", id, row)
	}
	if bytes.Contains(raw, []byte(phone)) {
		t.Error("the export holds the full phone number")
	}
	for _, r := range rows[1:] {
		if len(r) > 9 && strings.Contains(r[9], "福州") {
			t.Errorf("Xiamen's export holds a case of %s", r[9])
		}
	}
}
