package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"weiquan"
	"weiquan/workflow"
)

// The authorisation matrix: every endpoint × every kind of caller, each cell
// the exact HTTP status. A route registered without a row fails
// TestAuthorisationMatrix, so a new endpoint cannot ship without someone
// deciding who may call it. Add a row (or several, for variants of one
// route) to authzRows when you add a route.
//
// Callers (columns). Case-bound endpoints are asked about the fixture case,
// a complaint against a business in 思明区 that routing sent to
// 思明区市场监督管理局 (amr-350203), whose officer returned it to 厦门's
// dispatch centre, which assigned it to 海沧区市场监督管理局 (amr-350205).
// Its unit trail is amr-350203, dispatch-350200, amr-350205.
const (
	whoAnonymous  = "anonymous"
	whoOperator   = "operator"
	whoAdmin      = "admin"
	whoOwn        = "officer/own"         // officer of amr-350205, which holds the case
	whoOther      = "officer/other"       // officer of amr-350206 (湖里), never held it
	whoPassed     = "officer/passed"      // officer of amr-350203 (思明), held it before
	whoParent     = "supervisor/parent"   // supervisor of amr-350200 (厦门市局), above amr-350205
	whoSupOther   = "supervisor/other"    // supervisor of amr-350100 (福州市局)
	whoSupPassed  = "supervisor/passed"   // supervisor of amr-350203 (思明), whose unit held it before
	whoTokenOp    = "token/operator"      // API token, role operator (an intake integration)
	whoTokenOther = "token/officer-other" // API token, role officer of amr-350206
)

var authzWho = []string{whoAnonymous, whoOperator, whoAdmin, whoOwn, whoOther, whoPassed, whoParent, whoSupOther,
	whoSupPassed, whoTokenOp, whoTokenOther}

// cells gives every caller the status def, then the pairs (caller, status)
// that differ: every cell is an exact status either way.
func cells(def int, pairs ...any) map[string]int {
	m := make(map[string]int, len(authzWho))
	for _, w := range authzWho {
		m[w] = def
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		w := pairs[i].(string)
		if !slices.Contains(authzWho, w) {
			panic("cells: unknown caller " + w)
		}
		m[w] = pairs[i+1].(int)
	}
	return m
}

// staff is def for every signed-in caller, 401 for the anonymous one.
func staff(def int, pairs ...any) map[string]int {
	return cells(def, append([]any{whoAnonymous, 401}, pairs...)...)
}

// caseBound is who may see the fixture case: the units that hold it or held
// it, the supervisors above them, operators and administrators.
func caseBound(ok int) map[string]int {
	return staff(ok, whoOther, 403, whoSupOther, 403, whoTokenOther, 403)
}

// adminOnly endpoints: tokens never reach /api/v1/admin/.
func adminOnly(ok int) map[string]int { return staff(403, whoAdmin, ok) }

type authzRow struct {
	method string // as registered: GET, POST, …; USE for a mounted handler
	route  string // the route pattern exactly as registered
	name   string // tells variants of one route apart
	// path is the request path; {case} is the fixture case, {missing} a
	// case number that does not exist, {token} the id of an API token
	// created for the cell.
	path string
	// reqMethod is the method sent when it differs from method (USE rows).
	reqMethod string
	// body is sent as JSON, or as a form when it is a url.Values.
	body func(f *authzFixture, who string) any
	// fresh: the request ends the caller's credential, so each cell signs
	// in anew (a person) or gets a token of its own (an API token), and the
	// standing credentials the other rows use stay live. A cell that
	// succeeds must leave its credential refused (401) afterwards.
	fresh bool
	// page: the credential travels as the session cookie, as a browser
	// sends it (pages ignore the Authorization header), and a form post
	// carries the token the pages render for that cookie (authzPage).
	page bool
	want map[string]int
}

// authzMiddleware are mounts that are not endpoints: they wrap the routes
// below them, which have rows of their own.
var authzMiddleware = []string{"USE /", "USE /api/v1"}

func authzRows() []authzRow {
	note := func(f *authzFixture, who string) any {
		return map[string]any{"version": f.version(), "note": "矩阵测试备注（" + who + "）"}
	}
	return []authzRow{
		{method: "GET", route: "/healthz", want: cells(200)},
		{method: "GET", route: "/readyz", want: cells(200)},
		// Twilio's webhooks answer only signed requests, whoever sends them.
		{method: "POST", route: "/hooks/twilio/status", want: cells(403)},
		{method: "POST", route: "/hooks/twilio/inbound", want: cells(403)},

		{method: "POST", route: "/api/v1/auth/login", name: "empty form",
			body: func(*authzFixture, string) any { return map[string]string{"username": "", "password": ""} }, want: cells(422)},
		// Logout ends a person's session and revokes an API token (each cell
		// a credential of its own: fresh).
		{method: "POST", route: "/api/v1/auth/logout", fresh: true, want: cells(204)},
		{method: "POST", route: "/api/v1/auth/password", name: "wrong current password",
			body: func(*authzFixture, string) any {
				return map[string]string{"current_password": "not the password", "new_password": "a brand new long secret"}
			},
			want: staff(422, whoTokenOp, 403, whoTokenOther, 403)},

		{method: "POST", route: "/api/v1/admin/users", body: func(f *authzFixture, _ string) any {
			return map[string]any{"username": f.unique("az-user"), "password": "another long secret", "role": "operator"}
		}, want: adminOnly(201)},
		{method: "POST", route: "/api/v1/admin/tokens", body: func(f *authzFixture, _ string) any {
			return map[string]any{"name": f.unique("az-token"), "role": "operator"}
		}, want: adminOnly(201)},
		{method: "GET", route: "/api/v1/admin/tokens", want: adminOnly(200)},
		{method: "DELETE", route: "/api/v1/admin/tokens/:id", path: "/api/v1/admin/tokens/{token}", want: adminOnly(204)},
		{method: "GET", route: "/api/v1/admin/sms-log", want: adminOnly(200)},
		// The audit trail: a case's for administrators and the supervisors
		// who may read the case; a user's for administrators only.
		{method: "GET", route: "/api/v1/admin/audit", name: "by case", path: "/api/v1/admin/audit?case={case}",
			want: staff(403, whoAdmin, 200, whoParent, 200, whoSupPassed, 200)},
		{method: "GET", route: "/api/v1/admin/audit", name: "by user", path: "/api/v1/admin/audit?user=u-op1",
			want: adminOnly(200)},
		// Administration (admin.go): people with the admin role only.
		{method: "GET", route: "/api/v1/admin/users", want: adminOnly(200)},
		{method: "PUT", route: "/api/v1/admin/users/:id", path: "/api/v1/admin/users/u-az-page",
			body: func(*authzFixture, string) any { return map[string]any{"role": "operator", "units": []string{}} },
			want: adminOnly(200)},
		{method: "POST", route: "/api/v1/admin/users/:id/password", path: "/api/v1/admin/users/u-az-page/password",
			body: func(*authzFixture, string) any { return map[string]any{"password": testPassword} },
			want: adminOnly(204)},
		{method: "GET", route: "/api/v1/admin/units", want: adminOnly(200)},
		{method: "PUT", route: "/api/v1/admin/units/:id", path: "/api/v1/admin/units/station-az-matrix",
			body: func(*authzFixture, string) any { return sampleStation("矩阵测试服务站（示例）") }, want: adminOnly(201)},
		{method: "GET", route: "/api/v1/admin/rules", want: adminOnly(200)},
		{method: "PUT", route: "/api/v1/admin/rules", body: func(*authzFixture, string) any {
			_, text := workflow.DefaultRules()
			return map[string]any{"text": text}
		}, want: adminOnly(200)},
		{method: "POST", route: "/api/v1/admin/rules/dry-run", body: func(*authzFixture, string) any {
			return map[string]any{"case": validComplaint()}
		}, want: adminOnly(200)},
		{method: "GET", route: "/api/v1/admin/policies", want: adminOnly(200)},
		{method: "POST", route: "/api/v1/admin/policies", body: func(f *authzFixture, _ string) any {
			return json.RawMessage(samplePolicy(f.unique("az-policy")))
		}, want: adminOnly(201)},
		{method: "PUT", route: "/api/v1/admin/policies/default", body: func(*authzFixture, string) any {
			return map[string]any{"id": "order20-2022"}
		}, want: adminOnly(200)},

		{method: "GET", route: "/api/v1/taxonomy", want: staff(200)},
		{method: "GET", route: "/api/v1/units", want: staff(200)},
		{method: "POST", route: "/api/v1/cases", body: func(*authzFixture, string) any { return validComplaint() }, want: staff(201)},
		{method: "GET", route: "/api/v1/cases", want: staff(200)},
		{method: "GET", route: "/api/v1/cases/:id", path: "/api/v1/cases/{case}", want: caseBound(200)},
		{method: "GET", route: "/api/v1/cases/:id", name: "no such case", path: "/api/v1/cases/{missing}", want: staff(404)},
		// The full view (personal information in clear, audited): those
		// who work the case now; never administrators or tokens (pii.go).
		{method: "GET", route: "/api/v1/cases/:id", name: "full view", path: "/api/v1/cases/{case}?full=true",
			want: staff(403, whoOperator, 200, whoOwn, 200, whoParent, 200)},
		// A note: anyone who may act on the case's unit; a unit the case
		// only passed through reads it but may not write to it.
		{method: "POST", route: "/api/v1/cases/:id/actions/:action", name: "note",
			path: "/api/v1/cases/{case}/actions/note", body: note,
			want: staff(200, whoOther, 403, whoPassed, 403, whoSupOther, 403, whoSupPassed, 403, whoTokenOther, 403)},
		// Deciding is the holding unit's officer's alone (422: the ground is
		// missing, which is checked only once the caller may act).
		{method: "POST", route: "/api/v1/cases/:id/actions/:action", name: "reject without a ground",
			path: "/api/v1/cases/{case}/actions/reject",
			body: func(f *authzFixture, _ string) any { return map[string]any{"version": f.version()} },
			want: staff(403, whoOwn, 422)},
		{method: "GET", route: "/api/v1/cases/:id/duplicates", path: "/api/v1/cases/{case}/duplicates", want: caseBound(200)},
		{method: "POST", route: "/api/v1/duplicates", body: func(*authzFixture, string) any {
			return map[string]string{"phone": "13800138000", "respondent_name": "厦门某某电器有限公司"}
		}, want: staff(200)},
		{method: "POST", route: "/api/v1/routing/explain", name: "draft",
			body: func(*authzFixture, string) any { return validComplaint() }, want: staff(200)},
		{method: "POST", route: "/api/v1/routing/explain", name: "stored case",
			path: "/api/v1/routing/explain?case_id={case}", want: caseBound(200)},
		// Deadline notices are for the people of units: their own units' (a
		// supervisor's, the units below), nobody else's. The notice named
		// is amr-350205's (the holding unit) and was never filed: 404 for
		// those who may read that unit's notices, 403 for the rest.
		{method: "GET", route: "/api/v1/notices", want: staff(200, whoOperator, 403, whoAdmin, 403, whoTokenOp, 403)},
		{method: "POST", route: "/api/v1/notices/:id/read", name: "holding unit's",
			path: "/api/v1/notices/amr-350205:{case}:accept_by:warning:20261207/read",
			want: staff(403, whoOwn, 404, whoParent, 404)},

		// The consumer's endpoints answer everyone alike: a signed-in
		// caller gains nothing there. A code request is accepted (each cell
		// asks for another number, so the per-number limit does not bite);
		// filing without a code and tracking without one are refused.
		{method: "POST", route: "/api/v1/public/otp", body: func(f *authzFixture, _ string) any {
			return map[string]string{"phone": fmt.Sprintf("137%08d", f.n.Add(1)), "purpose": "track", "case_id": f.caseID}
		}, want: cells(202)},
		{method: "POST", route: "/api/v1/public/cases", name: "no code", body: func(*authzFixture, string) any {
			b := validComplaint()
			delete(b, "channel")
			delete(b, "source")
			return b
		}, want: cells(422)},
		{method: "GET", route: "/api/v1/public/track/:id", name: "no code", path: "/api/v1/public/track/{case}", want: cells(401)},

		// Pages.
		{method: "USE", route: "/static", path: "/static/style.css", reqMethod: "GET", want: cells(200)},
		{method: "GET", route: "/login", want: cells(200)},
		// The sign-in form: a form post needs the page's anti-forgery token,
		// which an anonymous caller here does not have; the others pass by
		// their Authorization header. (A failed sign-in would count against
		// this address's login throttle, so the form signs in a real user.)
		{method: "POST", route: "/login", name: "form", body: func(*authzFixture, string) any {
			return url.Values{"username": {"az-page"}, "password": {testPassword}}
		}, want: cells(303, whoAnonymous, 403)},
		{method: "POST", route: "/logout", want: cells(303)},

		// The consumer pages (pages_public.go): open to all; a form post
		// without the page's token (no session, no anonymous cookie here)
		// is refused, an empty one answers with its field errors; a case's
		// tracking page without the tracking cookie sends to the form.
		{method: "GET", route: "/", page: true, want: cells(200)},
		{method: "GET", route: "/complaint", page: true, want: cells(200)},
		{method: "GET", route: "/report", page: true, want: cells(200)},
		{method: "GET", route: "/track", page: true, want: cells(200)},
		{method: "POST", route: "/complaint", name: "empty form", page: true,
			body: func(*authzFixture, string) any { return url.Values{} }, want: cells(422, whoAnonymous, 403)},
		{method: "POST", route: "/report", name: "empty form", page: true,
			body: func(*authzFixture, string) any { return url.Values{} }, want: cells(422, whoAnonymous, 403)},
		{method: "POST", route: "/track", name: "no code", page: true,
			body: func(f *authzFixture, _ string) any { return url.Values{"id": {f.caseID}, "phone": {"13800138000"}} },
			want: cells(422, whoAnonymous, 403)},
		{method: "GET", route: "/track/:id", name: "no tracking cookie", path: "/track/{case}", page: true, want: cells(303)},
		// The operator console (pages_console.go): operators and
		// administrators; an empty form answers with its field errors; the
		// fixture case is a complaint, which cannot be answered as an
		// inquiry (409).
		{method: "GET", route: "/console", page: true, want: cells(403, whoAnonymous, 303, whoOperator, 200, whoAdmin, 200,
			whoTokenOp, 303, whoTokenOther, 303)},
		{method: "POST", route: "/console", name: "empty form", page: true,
			body: func(*authzFixture, string) any { return url.Values{} },
			want: cells(403, whoOperator, 422, whoAdmin, 422, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "GET", route: "/console/cases/:id", path: "/console/cases/{case}", page: true,
			want: cells(403, whoAnonymous, 303, whoOperator, 200, whoAdmin, 200, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "POST", route: "/console/cases/:id/answer", name: "not an inquiry", path: "/console/cases/{case}/answer", page: true,
			body: func(f *authzFixture, _ string) any {
				return url.Values{"version": {fmt.Sprint(f.version())}, "answer": {"矩阵测试答复"}}
			},
			want: cells(403, whoOperator, 409, whoAdmin, 409, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "GET", route: "/api/v1/divisions/resolve", path: "/api/v1/divisions/resolve?address=%E5%8E%A6%E9%97%A8%E6%80%9D%E6%98%8E",
			want: staff(200)},

		// The officer desk and the dashboard (pages_desk.go,
		// pages_dashboard.go): a visitor without a session is sent to sign
		// in (an API token is no session), a role the page is not for gets
		// a 403 page. A form post without a session has no valid
		// anti-forgery token: 403 before anything else.
		{method: "GET", route: "/desk", page: true, want: cells(200, whoAnonymous, 303, whoOperator, 403, whoAdmin, 403,
			whoTokenOp, 303, whoTokenOther, 303)},
		{method: "GET", route: "/desk/cases/:id", path: "/desk/cases/{case}", page: true,
			want: cells(200, whoAnonymous, 303, whoOperator, 403, whoOther, 403, whoSupOther, 403, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "GET", route: "/desk/cases/:id", name: "no such case", path: "/desk/cases/{missing}", page: true,
			want: cells(404, whoAnonymous, 303, whoOperator, 403, whoTokenOp, 303, whoTokenOther, 303)},
		// The full view: the holding unit's officers and the supervisors
		// above it; a unit the case passed through may not (fullCaseView).
		{method: "POST", route: "/desk/cases/:id/full", path: "/desk/cases/{case}/full", page: true,
			body: func(*authzFixture, string) any { return url.Values{} },
			want: cells(403, whoOwn, 200, whoParent, 200, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "POST", route: "/desk/cases/:id/actions/:action", name: "note", path: "/desk/cases/{case}/actions/note", page: true,
			body: func(f *authzFixture, who string) any {
				return url.Values{"version": {fmt.Sprint(f.version())}, "note": {"矩阵测试备注（" + who + "）"}}
			},
			want: cells(403, whoOwn, 303, whoParent, 303, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "GET", route: "/dashboard", page: true, want: cells(403, whoAnonymous, 303, whoAdmin, 200, whoParent, 200,
			whoSupOther, 200, whoSupPassed, 200, whoTokenOp, 303, whoTokenOther, 303)},
		// The administrator's pages (pages_admin.go): administrators only;
		// no session sends to sign in, another role gets a 403 page, a form
		// post without a session fails its anti-forgery check (403).
		{method: "GET", route: "/admin", page: true,
			want: cells(403, whoAnonymous, 303, whoAdmin, 200, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "GET", route: "/admin/users", page: true,
			want: cells(403, whoAnonymous, 303, whoAdmin, 200, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "POST", route: "/admin/users", page: true,
			body: func(f *authzFixture, _ string) any {
				return url.Values{"username": {f.unique("az-pu")}, "password": {testPassword}, "role": {"operator"}}
			},
			want: cells(403, whoAdmin, 303, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "GET", route: "/admin/users/:id", path: "/admin/users/u-az-page", page: true,
			want: cells(403, whoAnonymous, 303, whoAdmin, 200, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "POST", route: "/admin/users/:id", path: "/admin/users/u-az-page", page: true,
			body: func(f *authzFixture, _ string) any { return url.Values{"role": {"operator"}} },
			want: cells(403, whoAdmin, 303, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "POST", route: "/admin/users/:id/password", path: "/admin/users/u-az-page/password", page: true,
			body: func(f *authzFixture, _ string) any { return url.Values{"password": {testPassword}} },
			want: cells(403, whoAdmin, 303, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "GET", route: "/admin/tokens", page: true,
			want: cells(403, whoAnonymous, 303, whoAdmin, 200, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "POST", route: "/admin/tokens", page: true,
			body: func(f *authzFixture, _ string) any {
				return url.Values{"name": {f.unique("az-page-token")}, "role": {"operator"}}
			},
			want: cells(403, whoAdmin, 201, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "POST", route: "/admin/tokens/:id/revoke", path: "/admin/tokens/{token}/revoke", page: true,
			body: func(f *authzFixture, _ string) any { return url.Values{} },
			want: cells(403, whoAdmin, 303, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "GET", route: "/admin/units", page: true,
			want: cells(403, whoAnonymous, 303, whoAdmin, 200, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "GET", route: "/admin/units/edit", path: "/admin/units/edit?id=station-350203-zhongshan", page: true,
			want: cells(403, whoAnonymous, 303, whoAdmin, 200, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "POST", route: "/admin/units", page: true,
			body: func(f *authzFixture, _ string) any {
				return url.Values{"id": {"station-az-page"}, "name": {"矩阵页面测试服务站（示例）"}, "example": {"on"}, "type": {"station"}, "division_code": {"350203"}, "members": {"91350203MA8ADMN01W"}}
			},
			want: cells(403, whoAdmin, 303, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "GET", route: "/admin/rules", page: true,
			want: cells(403, whoAnonymous, 303, whoAdmin, 200, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "POST", route: "/admin/rules", page: true,
			body: func(f *authzFixture, _ string) any { return url.Values{"rules": {fujianRules()}} },
			want: cells(403, whoAdmin, 303, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "POST", route: "/admin/rules/dry-run", page: true,
			body: func(f *authzFixture, _ string) any {
				return url.Values{"rules": {fujianRules()}, "kind": {"complaint"}, "channel": {"12315"}, "category": {"household_appliances"}, "problem": {"quality"}, "respondent_name": {"厦门某某电器有限公司"}, "respondent_address": {"厦门市思明区湖滨南路88号"}}
			},
			want: cells(403, whoAdmin, 200, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "GET", route: "/admin/policies", page: true,
			want: cells(403, whoAnonymous, 303, whoAdmin, 200, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "POST", route: "/admin/policies", page: true,
			body: func(f *authzFixture, _ string) any {
				return url.Values{"policy": {samplePolicy(f.unique("az-page-policy"))}}
			},
			want: cells(403, whoAdmin, 303, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "POST", route: "/admin/policies/default", page: true,
			body: func(f *authzFixture, _ string) any { return url.Values{"policy_id": {"order20-2022"}} },
			want: cells(403, whoAdmin, 303, whoTokenOp, 303, whoTokenOther, 303)},
		{method: "GET", route: "/admin/sms", page: true,
			want: cells(403, whoAnonymous, 303, whoAdmin, 200, whoTokenOp, 303, whoTokenOther, 303)},
		// The dashboard's numbers: supervisors and administrators.
		{method: "GET", route: "/api/v1/stats/summary", want: staff(403, whoAdmin, 200, whoParent, 200, whoSupOther, 200, whoSupPassed, 200)},
		{method: "GET", route: "/api/v1/stats/trend", want: staff(403, whoAdmin, 200, whoParent, 200, whoSupOther, 200, whoSupPassed, 200)},
		{method: "GET", route: "/api/v1/stats/clusters", want: staff(403, whoAdmin, 200, whoParent, 200, whoSupOther, 200, whoSupPassed, 200)},
		// The export: everyone but operators, each within their scope.
		{method: "GET", route: "/api/v1/export.csv", want: staff(200, whoOperator, 403, whoTokenOp, 403)},
	}
}

// authzFixture is the one environment the matrix runs in: the callers
// signed in, the fixture case in place.
type authzFixture struct {
	e       *env
	t       *testing.T
	tokens  map[string]string // caller → bearer token ("" for anonymous)
	users   map[string]string // caller → username, for callers that are people
	apiRole map[string][2]string
	caseID  string
	admin   string
	n       atomic.Int64
}

// settle waits until the search index holds the fixture's writes: a list
// by each person who wrote waits for their own last write (read-your-writes),
// so the lists other callers open next see the cases as they are.
func (f *authzFixture) settle(t *testing.T) {
	t.Helper()
	for _, who := range []string{whoOperator, whoAdmin, whoPassed} {
		if r := authzDo(t, f.e, "GET", "/api/v1/cases?page_size=1", f.tokens[who], nil); r.status != 200 {
			t.Fatalf("settle as %s: %d %s", who, r.status, r.body)
		}
	}
}

func (f *authzFixture) unique(prefix string) string { return fmt.Sprintf("%s-%d", prefix, f.n.Add(1)) }

// version is the fixture case's version now (notes move it on).
func (f *authzFixture) version() int64 {
	c, err := f.e.store.GetCase(context.Background(), f.caseID)
	if err != nil {
		f.t.Fatalf("read the fixture case: %v", err)
	}
	return c.Version
}

// apiToken has the admin create an API token and returns the token and its
// id.
func (f *authzFixture) apiToken(t *testing.T, role string, units []string) (string, string) {
	body := map[string]any{"name": f.unique("az"), "role": role}
	if units != nil {
		body["units"] = units
	}
	r := authzDo(t, f.e, "POST", "/api/v1/admin/tokens", f.admin, body)
	if r.status != 201 {
		t.Fatalf("create an API token: %d %s", r.status, r.body)
	}
	var out struct{ Token, ID string }
	if err := json.Unmarshal(r.body, &out); err != nil || out.Token == "" || out.ID == "" {
		t.Fatalf("create an API token: %v %s", err, r.body)
	}
	return out.Token, out.ID
}

// credential is what a cell sends: the caller's standing token, or for a
// fresh cell a new session (or API token).
func (f *authzFixture) credential(t *testing.T, who string, fresh bool) string {
	if !fresh || who == whoAnonymous {
		return f.tokens[who]
	}
	if u, ok := f.users[who]; ok {
		r := authzDo(t, f.e, "POST", "/api/v1/auth/login", "", map[string]string{"username": u, "password": testPassword})
		if r.status != 200 {
			t.Fatalf("sign in %s: %d %s", u, r.status, r.body)
		}
		var out struct{ Token string }
		_ = json.Unmarshal(r.body, &out)
		return out.Token
	}
	ru := f.apiRole[who]
	tok, _ := f.apiToken(t, ru[0], splitNonEmpty(ru[1]))
	return tok
}

func splitNonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// authzDo is env.do for subtests: failures belong to t.
func authzDo(t *testing.T, e *env, method, path, token string, body any) response {
	t.Helper()
	var rd io.Reader
	contentType := "application/json"
	switch b := body.(type) {
	case nil:
	case url.Values: // a form, as a browser posts it
		rd = strings.NewReader(b.Encode())
		contentType = "application/x-www-form-urlencoded"
	default:
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = strings.NewReader(string(raw))
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// newAuthzFixture signs everyone in and moves the fixture case through
// three units.
func newAuthzFixture(t *testing.T) *authzFixture {
	t.Helper()
	e := newEnv(t)
	f := &authzFixture{e: e, t: t, tokens: map[string]string{whoAnonymous: ""}, users: map[string]string{
		whoOperator: "op1", whoAdmin: "admin1", whoPassed: "off1", whoOther: "off2",
		whoOwn: "az-off-haicang", whoParent: "az-sup-xiamen", whoSupOther: "az-sup-fuzhou", whoSupPassed: "az-sup-siming",
	}, apiRole: map[string][2]string{whoTokenOp: {"operator", ""}, whoTokenOther: {"officer", "amr-350206"}}}
	f.admin = e.newAdmin()
	for _, u := range []struct {
		name, role, unit string
	}{
		{"az-off-haicang", "officer", "amr-350205"},
		{"az-sup-xiamen", "supervisor", "amr-350200"},
		{"az-sup-fuzhou", "supervisor", "amr-350100"},
		{"az-sup-siming", "supervisor", "amr-350203"},
		{"az-page", "operator", ""},
	} {
		body := map[string]any{"username": u.name, "password": testPassword, "role": u.role}
		if u.unit != "" {
			body["units"] = []string{u.unit}
		}
		r := authzDo(t, e, "POST", "/api/v1/admin/users", f.admin, body)
		if r.status != 201 {
			t.Fatalf("create %s: %d %s", u.name, r.status, r.body)
		}
	}
	for who := range f.users {
		if who == whoAdmin {
			f.tokens[who] = f.admin
			continue
		}
		f.tokens[who] = f.credential(t, who, true)
	}
	for who := range f.apiRole {
		f.tokens[who] = f.credential(t, who, true)
	}

	r := authzDo(t, e, "POST", "/api/v1/cases", f.tokens[whoOperator], validComplaint())
	if r.status != 201 {
		t.Fatalf("intake: %d %s", r.status, r.body)
	}
	var c weiquan.Case
	_ = json.Unmarshal(r.body, &c)
	if c.UnitID != "amr-350203" {
		t.Fatalf("the fixture case went to %q, want amr-350203", c.UnitID)
	}
	f.caseID = c.ID
	act := func(token, action string, body map[string]any) {
		body["version"] = f.version()
		r := authzDo(t, e, "POST", "/api/v1/cases/"+f.caseID+"/actions/"+action, token, body)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", action, r.status, r.body)
		}
		_ = json.Unmarshal(r.body, &c)
	}
	act(f.tokens[whoPassed], "return", map[string]any{"reason": "被投诉人实际经营地在海沧区"})
	act(f.admin, "assign", map[string]any{"unit_id": "amr-350205"})
	if want := []string{"amr-350203", "dispatch-350200", "amr-350205"}; c.UnitID != "amr-350205" || !slices.Equal(c.UnitTrail, want) {
		t.Fatalf("fixture case at %q with trail %v, want amr-350205 and %v", c.UnitID, c.UnitTrail, want)
	}
	f.settle(t)
	return f
}

func TestAuthorisationMatrix(t *testing.T) {
	f := newAuthzFixture(t)
	rows := authzRows()

	// Every registered route has a row, and every row a route.
	registered := authzRegistered(f)
	covered := map[string]bool{}
	for _, row := range rows {
		covered[row.method+" "+row.route] = true
	}
	var missing, stale []string
	for key := range registered {
		if !covered[key] && !slices.Contains(authzMiddleware, key) {
			missing = append(missing, key)
		}
	}
	for key := range covered {
		if !registered[key] {
			stale = append(stale, key)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	for _, key := range missing {
		t.Errorf("route %s has no row in the authorisation matrix (handlers/authz_test.go authzRows)", key)
	}
	for _, key := range stale {
		t.Errorf("the authorisation matrix has a row for %s, which is not a registered route", key)
	}

	for _, row := range rows {
		name := row.method + " " + row.route
		if row.name != "" {
			name += " (" + row.name + ")"
		}
		t.Run(name, func(t *testing.T) {
			for _, who := range authzWho {
				want, ok := row.want[who]
				if !ok {
					t.Fatalf("no cell for %s", who)
				}
				t.Run(who, func(t *testing.T) {
					path := row.path
					if path == "" {
						path = row.route
					}
					path = strings.ReplaceAll(path, "{case}", f.caseID)
					path = strings.ReplaceAll(path, "{missing}", "20200101999999")
					if strings.Contains(path, "{token}") {
						_, id := f.apiToken(t, "operator", nil)
						path = strings.ReplaceAll(path, "{token}", id)
					}
					method := row.method
					if row.reqMethod != "" {
						method = row.reqMethod
					}
					var body any
					if row.body != nil {
						body = row.body(f, who)
					}
					do := authzDo
					if row.page {
						do = authzPage
					}
					cred := f.credential(t, who, row.fresh)
					r := do(t, f.e, method, path, cred, body)
					if r.status != want {
						t.Errorf("%s %s as %s: got %d, want %d: %.300s", method, path, who, r.status, want, r.body)
					}
					if row.fresh && cred != "" && r.status < 300 {
						if r := authzDo(t, f.e, "GET", "/api/v1/taxonomy", cred, nil); r.status != 401 {
							t.Errorf("after %s %s as %s: the credential still works (%d), want 401", method, path, who, r.status)
						}
					}
				})
			}
		})
	}
}

// authzRegistered lists the app's routes as "METHOD /pattern", and its
// mounted handlers (app.Use, which fiber lists once per method) as
// "USE /prefix". HEAD, which fiber adds for every GET, answers as GET does.
func authzRegistered(f *authzFixture) map[string]bool {
	endpoints := map[string]int{}
	for _, r := range f.e.app.GetRoutes(true) {
		endpoints[r.Method+" "+r.Path]++
	}
	out := map[string]bool{}
	for _, r := range f.e.app.GetRoutes() {
		key := r.Method + " " + r.Path
		if endpoints[key] > 0 {
			endpoints[key]--
			if r.Method != "HEAD" {
				out[key] = true
			}
			continue
		}
		out["USE "+r.Path] = true
	}
	return out
}
