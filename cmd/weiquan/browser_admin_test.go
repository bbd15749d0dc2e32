package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserAdminCreatesOfficerAndDryRunsRule walks the administrator's
// main path in headless Chromium: sign in, create an officer account on the
// accounts page, then try a routing rule change on the rules page against a
// sample case and read the decision and its explanation — without saving.
func TestBrowserAdminCreatesOfficerAndDryRunsRule(t *testing.T) {
	ctx := newTab(t, 1280, 900)
	svc := sharedService(t)
	signIn(t, ctx, svc, "admin", svc.AdminPassword)
	if got := location(t, ctx); got != svc.Base+"/admin" {
		t.Errorf("an administrator lands on %s, want /admin", got)
	}

	// Create an officer of 思明区市场监督管理局.
	browse(t, ctx, svc.Base+"/admin/users")
	assertAccessible(t, ctx, "accounts page")
	username := fmt.Sprintf("officer-web-%d", time.Now().UnixNano()%1_000_000)
	const password = "officer web password"
	must(t, ctx, "fill the new account form",
		chromedp.SetValue(chromedp.ID("username"), username),
		chromedp.SetValue(chromedp.ID("password"), password),
		chromedp.SetValue(chromedp.ID("role"), "officer"),
		chromedp.SetValue(chromedp.ID("units"), "amr-350203"))
	if resp := submit(t, ctx, `#new-user button[type=submit]`); resp.Status != 200 {
		t.Fatalf("create the account: status %d", resp.Status)
	}
	if got := text(t, ctx, ".flash"); got != "账号已创建" {
		t.Errorf("confirmation %q", got)
	}
	if row := text(t, ctx, "table"); !strings.Contains(row, username) || !strings.Contains(row, "思明区市场监督管理局") {
		t.Errorf("the list does not show the new officer: %s", row)
	}
	officer := svc.apiAs(t, username, password)
	status, body := officer.do("GET", "/api/v1/cases", nil)
	if status != 200 {
		t.Errorf("the new officer cannot list cases: %d %s", status, body)
	}

	// Try a rule that sends 思明区's complaints to 湖里区, without saving.
	browse(t, ctx, svc.Base+"/admin/rules")
	assertAccessible(t, ctx, "rules page")
	current, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("rules")))
	if err != nil {
		t.Fatal(err)
	}
	const rule = `rule web-dry-run: kind=complaint division=350203 -> track=agency unit=amr-350206 note="浏览器试运行"`
	i := strings.Index(current, "\nrule ")
	if i < 0 {
		t.Fatalf("no rule in the text area: %.200s", current)
	}
	must(t, ctx, "edit the rules and the sample case",
		chromedp.SetValue(chromedp.ID("rules"), current[:i+1]+rule+"\n"+current[i+1:]),
		chromedp.SetValue(chromedp.ID("s-raddr"), "厦门市思明区湖滨南路88号"),
		chromedp.SetValue(chromedp.ID("s-kind"), "complaint"))
	if resp := submit(t, ctx, "#dry-run"); resp.Status != 200 {
		t.Fatalf("dry run: status %d", resp.Status)
	}
	result := text(t, ctx, "#result")
	for _, want := range []string{"amr-350206", "湖里区市场监督管理局", "web-dry-run", "浏览器试运行", "county-agency"} {
		if want == "county-agency" {
			// The explanation lists the rules tried before; the shipped
			// county rule comes after the new one and is not reached.
			if strings.Contains(result, want) {
				t.Errorf("the explanation reaches %s after the deciding rule", want)
			}
			continue
		}
		if !strings.Contains(result, want) {
			t.Errorf("the dry run result lacks %q: %s", want, result)
		}
	}
	if got := text(t, ctx, ".flash"); !strings.Contains(got, "规则未保存") {
		t.Errorf("flash %q", got)
	}
	// The text area keeps the edited rules for another try or for saving.
	kept, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("rules")))
	if !strings.Contains(kept, "web-dry-run") {
		t.Error("the edited rules were not kept in the form")
	}
	screenshot(t, ctx, "admin-rules-dry-run")

	// Nothing was saved: routing still sends 思明区 to its own bureau.
	status, body = svc.api(t).do("GET", "/api/v1/admin/rules", nil)
	if status != 200 || strings.Contains(string(body), "web-dry-run") {
		t.Errorf("the dry run saved the rules: %d", status)
	}
	status, body = svc.api(t).do("POST", "/api/v1/routing/explain", map[string]any{
		"kind": "complaint", "channel": "12315",
		"complainant": map[string]any{"name": "王五", "phone": "13700137000"},
		"respondent":  map[string]any{"name": "厦门某某电器有限公司", "address": "厦门市思明区湖滨南路88号"},
		"subject":     map[string]any{"category": "household_appliances", "problem": "quality"},
		"description": "空调漏水", "demands": []string{"refund"}})
	var d struct {
		UnitID string `json:"unit_id"`
	}
	_ = json.Unmarshal(body, &d)
	if status != 200 || d.UnitID != "amr-350203" {
		t.Errorf("routing after the dry run: %d %s", status, body)
	}
}
