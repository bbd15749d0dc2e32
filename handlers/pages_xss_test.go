package handlers_test

import (
	"bytes"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
)

// xssPayloads are stored in every text field of a case; no page may give
// them back unescaped.
var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
}

// xssComplaint is a complaint with payload in every free-text field.
func xssComplaint(p string) map[string]any {
	b := validComplaint()
	b["source"] = map[string]any{"call_id": "PBX" + p, "caller_number": "13800138000"}
	b["complainant"] = map[string]any{"name": "张" + p, "phone": "13800138000", "address": "福州市鼓楼区" + p}
	b["respondent"] = map[string]any{"name": "厦门电器" + p, "uscc": "91350203MA2YJ6QX1Y",
		"address": "厦门市思明区湖滨南路88号" + p, "platform": "平台" + p, "shop": "店铺" + p}
	b["subject"] = map[string]any{"category": "household_appliances", "problem": "quality", "product": "空调" + p,
		"brand": "格力" + p, "model": "KFR" + p, "purchase_date": "2026-10-01", "amount_fen": 359900}
	b["title"] = "标题" + p
	b["description"] = "经过" + p
	return b
}

// assertEscaped fails when body holds the payload as markup; shown, when
// set, also requires the payload's escaped text on the page (so the check
// looks at a page that really shows the field).
func assertEscaped(t *testing.T, where string, r response, p string, shown bool) {
	t.Helper()
	if r.status >= 500 {
		t.Errorf("%s: status %d", where, r.status)
		return
	}
	for _, raw := range []string{p, "<script>alert(1)", "<img src=x onerror", `"><img`} {
		if strings.Contains(p, raw) && bytes.Contains(r.body, []byte(raw)) {
			i := bytes.Index(r.body, []byte(raw))
			t.Errorf("%s: unescaped %q in the page: …%s…", where, raw, r.body[max(0, i-120):min(len(r.body), i+80)])
		}
	}
	if shown && !bytes.Contains(r.body, []byte(html.EscapeString(p))) {
		t.Errorf("%s (%d): the payload is not shown at all (escaped %q expected): %.300s", where, r.status, html.EscapeString(p), textOf(r.body))
	}
}

// TestPagesEscapeEveryField stores the payloads in every text field of a
// case (and in a public and an internal note, and a consumer's form) and
// checks every page that shows them.
func TestPagesEscapeEveryField(t *testing.T) {
	for i, p := range xssPayloads {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			e := newEnv(t)
			op := e.login("op1")
			r := e.do("POST", "/api/v1/cases", op, xssComplaint(p))
			if r.status != 201 {
				t.Fatalf("intake: %d %s", r.status, r.body)
			}
			id := r.json(t)["id"].(string)
			c := e.stored(id)
			if c.UnitID != "amr-350203" {
				t.Fatalf("the case went to %q", c.UnitID)
			}
			off := e.login("off1")
			for _, public := range []bool{true, false} {
				r := e.do("POST", "/api/v1/cases/"+id+"/actions/note", off,
					map[string]any{"version": e.stored(id).Version, "note": fmt.Sprintf("备注%v%s", public, p), "public": public})
				if r.status != 200 {
					t.Fatalf("note: %d %s", r.status, r.body)
				}
			}
			// Usernames cannot carry markup at all.
			admin := e.newAdmin()
			if r := e.do("POST", "/api/v1/admin/users", admin, map[string]any{"username": "x" + p, "password": testPassword,
				"role": "operator"}); r.status != 422 {
				t.Errorf("a username with markup: %d, want 422", r.status)
			}

			// The operator's pages.
			ob := newFormClient(e, op)
			assertEscaped(t, "console history", ob.get(t, "/console?caller=13800138000&call_id="+url.QueryEscape(p)), p, true)
			assertEscaped(t, "console read-back", ob.get(t, "/console/cases/"+id), p, true)
			form := consoleForm(func(f url.Values) {
				for k := range f {
					switch k {
					case "complainant.name", "respondent.name", "respondent.address", "subject.product", "description",
						"source.call_id", "subject.amount":
						f.Set(k, f.Get(k)+p)
					}
				}
				f.Set("title", p)
				f.Set("answer", p)
				f.Set("respondent.platform", p)
			})
			assertEscaped(t, "console form shown again", ob.post(t, "/console", form), p, true)

			// The consumer's pages: the form shown again, and the case's
			// public view (public note included).
			cb := newFormClient(e, "")
			cb.get(t, "/complaint")
			assertEscaped(t, "consumer form shown again", cb.post(t, "/complaint", url.Values{
				"complainant.name": {p}, "complainant.phone": {"13800138000"}, "respondent.name": {p},
				"respondent.address": {p}, "description": {p}, "subject.product": {p}, "otp_code": {p}}), p, true)
			cb.get(t, "/track?id="+id)
			cb.post(t, "/track", url.Values{"id": {id}, "phone": {"13800138000"}, "step": {"code"}})
			r = cb.post(t, "/track", url.Values{"id": {id}, "phone": {"13800138000"}, "code": {e.outboxCode(t, "13800138000")}})
			if r.status != 303 {
				t.Fatalf("track: %d %.300s", r.status, textOf(r.body))
			}
			assertEscaped(t, "consumer tracking page", cb.get(t, "/track/"+id), p, true)

			// The staff pages that show the case (desk, dashboard).
			offb := newFormClient(e, off)
			assertEscaped(t, "desk queue", offb.get(t, "/desk"), p, true)
			assertEscaped(t, "desk case page", offb.get(t, "/desk/cases/"+id), p, true)
			assertEscaped(t, "dashboard", newFormClient(e, admin).get(t, "/dashboard"), p, false)

			// The administrator's pages: a unit named with the payload, the
			// SMS log (messages about the case), the accounts.
			ab := newFormClient(e, admin)
			r = e.do("PUT", "/api/v1/admin/units/station-350203-xss", admin, sampleStation("服务站"+p))
			unitShown := r.status == 200 || r.status == 201
			if !unitShown && r.status != 422 {
				t.Errorf("a unit named with markup: %d %s", r.status, r.body)
			}
			assertEscaped(t, "admin units", ab.get(t, "/admin/units"), p, unitShown)
			if unitShown {
				assertEscaped(t, "admin unit form", ab.get(t, "/admin/units/edit?id=station-350203-xss"), p, true)
			}
			t.Logf("a unit named with markup is stored: %v", unitShown)
			for _, path := range []string{"/admin", "/admin/users", "/admin/sms", "/admin/tokens", "/admin/rules", "/admin/policies"} {
				r := ab.get(t, path)
				if r.status != 200 {
					t.Errorf("admin page %s: %d", path, r.status)
				}
				assertEscaped(t, "admin page "+path, r, p, false)
			}
			// Every page there is, as each kind of staff member, the case's
			// number standing for :id: a page added later is covered too.
			if r := e.do("POST", "/api/v1/admin/users", admin, map[string]any{"username": "xss-sup", "password": testPassword,
				"role": "supervisor", "units": []string{"amr-350200"}}); r.status != 201 {
				t.Fatalf("supervisor: %d %s", r.status, r.body)
			}
			sup := newFormClient(e, e.login("xss-sup"))
			swept := 0
			for _, rt := range e.app.GetRoutes(true) {
				if rt.Method != "GET" || strings.HasPrefix(rt.Path, "/api/") || strings.HasPrefix(rt.Path, "/static") ||
					strings.HasPrefix(rt.Path, "/hooks/") || rt.Path == "/healthz" || rt.Path == "/readyz" {
					continue
				}
				path := strings.ReplaceAll(rt.Path, ":id", id)
				if strings.Contains(path, ":") {
					continue
				}
				for who, br := range map[string]*formClient{"operator": ob, "officer": offb, "supervisor": sup, "admin": ab} {
					assertEscaped(t, who+" "+path, br.get(t, path), p, false)
				}
				swept++
			}
			if swept < 10 {
				t.Errorf("only %d pages swept", swept)
			}
			t.Logf("swept %d pages as four roles", swept)
			// The desk's case page lists units to send the case to.
			assertEscaped(t, "desk case page with the unit", offb.get(t, "/desk/cases/"+id), p, true)
		})
	}
}
