package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/handlers"
	"weiquan/notifications"
	"weiquan/notifications/twiliofake"
	"weiquan/search"
	"weiquan/store"
	"weiquan/store/storetest"
	"weiquan/workflow"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	t     *testing.T
	app   *fiber.App
	store *store.Store
	clock *clock
	// engine is the service's state machine; a test may set its Owe to
	// have transitions owe SMS (public_test.go).
	engine *workflow.Engine
	// logs holds everything the handlers logged (debug and up), for
	// assertNoFullPII (pii_test.go).
	logs *syncBuffer
	// deps are the app's services, for a test that starts another app
	// over the same store (formkeys_test.go).
	deps handlers.Deps
}

const (
	testPassword    = "correct horse battery"
	testTwilioToken = "twilio-test-auth-token"
	testPublicURL   = "https://weiquan.example.org"
)

func newEnv(t *testing.T) *env {
	t.Helper()
	st := storetest.New(t)
	ctx := context.Background()
	if err := st.UpsertUnits(ctx, weiquan.FujianUnits()); err != nil { // the examples are not needed here
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)}
	accounts := &workflow.Accounts{Store: st, Now: clk.Now, IdleTimeout: 30 * time.Minute, MaxAge: 8 * time.Hour, CacheTTL: 10 * time.Second}
	for _, u := range []workflow.NewUser{
		{Username: "op1", Password: testPassword, Role: weiquan.RoleOperator},
		{Username: "off1", Password: testPassword, Role: weiquan.RoleOfficer, UnitIDs: []string{"amr-350203"}},
		{Username: "off2", Password: testPassword, Role: weiquan.RoleOfficer, UnitIDs: []string{"amr-350206"}},
	} {
		if _, err := accounts.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	// Sessions must not predate the accounts' creation on the test clock.
	clk.Add(time.Second)
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
	engine := &workflow.Engine{Store: st, Router: router, Units: units, Calendar: cal, Policies: workflow.NewPolicies(), Now: clk.Now,
		Audit: st}
	// A real on-disk index following the store, as in the service.
	sub := st.Subscribe()
	ix, err := search.Rebuild(ctx, filepath.Join(t.TempDir(), "index"),
		search.Options{PhoneKey: []byte("test-phone-key-0123456789"), Now: clk.Now},
		search.Source{Cases: st.ScanCases(ctx, time.Time{})})
	if err != nil {
		t.Fatal(err)
	}
	fctx, stop := context.WithCancel(context.Background())
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		_ = (&search.Follower{Index: ix, Store: st, Changes: sub}).Run(fctx)
	}()
	t.Cleanup(func() { stop(); <-followed; sub.Close(); ix.Close() })
	logs := &syncBuffer{}
	deps := handlers.Deps{
		Store: st, Accounts: accounts, Tokens: &workflow.Tokens{Store: st, Now: clk.Now, CacheTTL: 10 * time.Second}, Engine: engine, Router: router, Units: units, Search: ix,
		Notices: &workflow.Notices{Store: st, Units: units, Now: clk.Now},
		SMS: handlers.SMS{AuthToken: testTwilioToken, PublicURL: testPublicURL, Store: st,
			Log: func(ctx context.Context, limit int) (any, error) { return st.ListSMSLog(ctx, limit) }},
		Intake: &workflow.Intake{Store: st, Now: clk.Now, Engine: engine, Clusters: ix, Keys: testKeys, Audit: st},
		Audit:  st, Keys: testKeys,
		Admin: &workflow.Admin{Store: st, Accounts: accounts, Units: units, Router: router, Policies: engine.Policies, Now: clk.Now,
			Log: logs.logger()},
		OTP: &workflow.OTP{Store: st, Key: []byte("test-otp-key-0123456789"), Compose: notifications.ComposeCode,
			Now: clk.Now},
	}
	app := handlers.New(handlers.Config{Logger: logs.logger()}, deps)
	return &env{t: t, app: app, store: st, clock: clk, logs: logs, engine: engine, deps: deps}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	return m
}

func (e *env) do(method, path, token string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.app.Test(req, -1)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

func (e *env) login(username string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": testPassword})
	if r.status != 200 {
		e.t.Fatalf("login %s: %d %s", username, r.status, r.body)
	}
	tok, _ := r.json(e.t)["token"].(string)
	if tok == "" {
		e.t.Fatalf("login %s: no token in %s", username, r.body)
	}
	return tok
}

func validComplaint() map[string]any {
	return map[string]any{
		"kind":    "complaint",
		"channel": "12315",
		"source":  map[string]any{"call_id": "PBX-88812", "caller_number": "138 0013 8000"},
		"complainant": map[string]any{
			"name": "张三", "phone": "13800138000", "address": "福州市鼓楼区五四路100号",
		},
		"respondent": map[string]any{
			"name": "厦门某某电器有限公司", "uscc": "91350203MA2YJ6QX1Y", "address": "厦门市思明区湖滨南路88号",
		},
		"subject": map[string]any{
			"category": "household_appliances", "problem": "quality", "product": "空调", "brand": "格力",
			"model": "KFR-35GW", "purchase_date": "2026-10-01", "amount_fen": 359900,
		},
		"title":       "空调安装后漏水，商家拒绝退货",
		"description": "10月1日购买的空调安装后一直漏水，多次联系商家维修无果，要求退货退款。",
		"demands":     []string{"refund"},
		"consent":     map[string]any{"sms": true, "mediation": true, "arbitration": false},
	}
}

func TestLoginLogout(t *testing.T) {
	e := newEnv(t)

	t.Run("unknown user and wrong password answer alike", func(t *testing.T) {
		a := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "nobody", "password": testPassword})
		b := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "op1", "password": "wrong password!"})
		if a.status != 401 || b.status != 401 {
			t.Fatalf("got %d and %d, want 401 both", a.status, b.status)
		}
		if !bytes.Equal(a.body, b.body) {
			t.Errorf("bodies differ, which tells an attacker which usernames exist:\n%s\n%s", a.body, b.body)
		}
	})

	t.Run("missing fields are named", func(t *testing.T) {
		r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": ""})
		if r.status != 422 {
			t.Fatalf("got %d, want 422", r.status)
		}
		fields := r.json(t)["error"].(map[string]any)["fields"].(map[string]any)
		if fields["username"] == nil || fields["password"] == nil {
			t.Errorf("got fields %v, want username and password", fields)
		}
	})

	t.Run("no session is refused", func(t *testing.T) {
		for _, path := range []string{"/api/v1/taxonomy", "/api/v1/units", "/api/v1/cases/20261126000001"} {
			if r := e.do("GET", path, "", nil); r.status != 401 {
				t.Errorf("GET %s without session: got %d, want 401", path, r.status)
			}
		}
		if r := e.do("POST", "/api/v1/cases", "", validComplaint()); r.status != 401 {
			t.Errorf("POST /cases without session: got %d, want 401", r.status)
		}
		if r := e.do("GET", "/api/v1/taxonomy", "not-a-token", nil); r.status != 401 {
			t.Errorf("bad token: got %d, want 401", r.status)
		}
	})

	t.Run("cookie session and logout", func(t *testing.T) {
		r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "op1", "password": testPassword})
		if r.status != 200 {
			t.Fatalf("login: %d %s", r.status, r.body)
		}
		cookie := r.header.Get("Set-Cookie")
		for _, want := range []string{"weiquan_session=", "HttpOnly", "SameSite=Lax", "path=/"} {
			if !strings.Contains(strings.ToLower(cookie), strings.ToLower(want)) {
				t.Errorf("Set-Cookie %q lacks %q", cookie, want)
			}
		}
		value := strings.TrimPrefix(strings.SplitN(cookie, ";", 2)[0], "weiquan_session=")
		req := httptest.NewRequest("GET", "/api/v1/taxonomy", nil)
		req.AddCookie(&http.Cookie{Name: "weiquan_session", Value: value})
		resp, err := e.app.Test(req, -1)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("cookie request: %v %v", err, resp.StatusCode)
		}

		if r := e.do("POST", "/api/v1/auth/logout", value, nil); r.status != 204 {
			t.Fatalf("logout: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/api/v1/taxonomy", value, nil); r.status != 401 {
			t.Errorf("after logout: got %d, want 401", r.status)
		}
	})

	t.Run("idle session expires", func(t *testing.T) {
		tok := e.login("op1")
		if r := e.do("GET", "/api/v1/taxonomy", tok, nil); r.status != 200 {
			t.Fatalf("fresh session: %d", r.status)
		}
		e.clock.Add(31 * time.Minute)
		r := e.do("GET", "/api/v1/taxonomy", tok, nil)
		if r.status != 401 {
			t.Fatalf("idle session: got %d, want 401", r.status)
		}
		if msg := r.json(t)["error"].(map[string]any)["message"]; msg != "登录已过期，请重新登录" {
			t.Errorf("got message %q", msg)
		}
	})

	t.Run("absolute expiry despite activity", func(t *testing.T) {
		tok := e.login("op1")
		for i := 0; i < 20; i++ { // 20 × 25 min = 8h20m, never idle for 30 min
			e.clock.Add(25 * time.Minute)
			r := e.do("GET", "/api/v1/taxonomy", tok, nil)
			if i < 18 && r.status != 200 {
				t.Fatalf("step %d: got %d, want 200", i, r.status)
			}
			if i == 19 && r.status != 401 {
				t.Fatalf("after 8h20m: got %d, want 401", r.status)
			}
		}
	})
}

func TestIntakeRoundTrip(t *testing.T) {
	e := newEnv(t)
	tok := e.login("op1")

	r := e.do("POST", "/api/v1/cases", tok, validComplaint())
	if r.status != 201 {
		t.Fatalf("POST /cases: %d %s", r.status, r.body)
	}
	created := r.json(t)
	id, _ := created["id"].(string)
	if id != "20261126000001" {
		t.Errorf("got id %q, want 20261126000001", id)
	}
	if loc := r.header.Get("Location"); loc != "/api/v1/cases/"+id {
		t.Errorf("got Location %q", loc)
	}
	got := e.do("GET", "/api/v1/cases/"+id, tok, nil)
	if got.status != 200 {
		t.Fatalf("GET: %d %s", got.status, got.body)
	}
	if !bytes.Equal(got.body, r.body) {
		t.Errorf("GET differs from the 201 body:\nPOST %s\nGET  %s", r.body, got.body)
	}

	var c weiquan.Case
	if err := json.Unmarshal(got.body, &c); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", c.Version, int64(1)},
		{"status (routed at once)", c.Status, weiquan.StatusAssigned},
		{"unit_id", c.UnitID, "amr-350203"},
		{"track", c.Track, weiquan.TrackAgency},
		{"department", c.Department, "consumer_protection"},
		{"policy", c.Policy, "order20-2022"},
		{"accept_by (7 working days)", c.Deadlines.AcceptBy.Format(time.RFC3339), "2026-12-07T23:59:59+08:00"},
		{"source.type", c.Source.Type, "hotline"},
		{"source.operator_id", c.Source.OperatorID, "u-op1"},
		{"source.caller_number (masked)", c.Source.CallerNumber, "138****8000"},
		{"complainant.phone (masked)", c.Complainant.Phone, "138****8000"},
		{"respondent.division_code (resolved from the address)", c.Respondent.DivisionCode, "350203"},
		{"subject.amount_fen", c.Subject.AmountFen, int64(359900)},
		{"subject.model", c.Subject.Model, "KFR-35GW"},
		{"demands", strings.Join(c.Demands, ","), "refund"},
		{"events", len(c.Events), 2},
		{"event type", c.Events[0].Type, weiquan.EventRegistered},
		{"second event", c.Events[1].To, weiquan.StatusAssigned},
		{"event actor", c.Events[0].Actor, "u-op1"},
		{"event public", c.Events[0].Public, true},
		{"created_at", c.CreatedAt.Equal(e.clock.Now()), true},
		{"created_at zone", c.CreatedAt.Format(time.RFC3339), "2026-11-26T10:00:01+08:00"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	// Every field of DESIGN §5 is present, even when empty.
	for _, field := range []string{"id", "version", "kind", "channel", "source", "complainant", "respondent", "subject",
		"title", "description", "demands", "consent", "status", "outcome", "track", "unit_id", "department",
		"deadlines", "policy", "links", "events", "created_at", "updated_at"} {
		if _, ok := created[field]; !ok {
			t.Errorf("field %q missing from the case", field)
		}
	}
}

func TestIntakeEveryChannelAndKind(t *testing.T) {
	e := newEnv(t)
	tok := e.login("op1")
	seen := map[string]bool{}
	for _, ch := range weiquan.Channels {
		for _, kind := range []string{"complaint", "report", "inquiry"} {
			body := validComplaint()
			body["channel"] = string(ch)
			body["kind"] = kind
			if kind == "inquiry" {
				body = map[string]any{"kind": "inquiry", "channel": string(ch), "description": "请问网购商品七天无理由退货的运费由谁承担？"}
			}
			r := e.do("POST", "/api/v1/cases", tok, body)
			if r.status != 201 {
				t.Errorf("%s/%s: got %d %s", ch, kind, r.status, r.body)
				continue
			}
			id := r.json(t)["id"].(string)
			if seen[id] {
				t.Errorf("case number %s given twice", id)
			}
			seen[id] = true
		}
	}
}

func TestIntakeRejectsAndStoresNothing(t *testing.T) {
	e := newEnv(t)
	tok := e.login("op1")
	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantCode   string
		wantField  string
	}{
		{"not JSON", "{kind:", 400, weiquan.EInvalid, ""},
		{"unknown field", func() any { b := validComplaint(); b["status"] = "closed"; return b }(), 400, weiquan.EInvalid, "status"},
		{"bad phone", func() any {
			b := validComplaint()
			b["complainant"].(map[string]any)["phone"] = "12345"
			return b
		}(), 422, weiquan.EValidation, "complainant.phone"},
		{"bad USCC check character", func() any {
			b := validComplaint()
			b["respondent"].(map[string]any)["uscc"] = "91350203MA2YJ6QX1C"
			return b
		}(), 422, weiquan.EValidation, "respondent.uscc"},
		{"too large", `{"kind":"inquiry","channel":"web","description":"` + strings.Repeat("很", 40000) + `"}`, 413, weiquan.ETooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/cases", tok, tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("got %d, want %d: %s", r.status, tt.wantStatus, r.body)
			}
			er := r.json(t)["error"].(map[string]any)
			if er["code"] != tt.wantCode {
				t.Errorf("got code %v, want %s", er["code"], tt.wantCode)
			}
			if msg, _ := er["message"].(string); msg == "" || !containsHan(msg) {
				t.Errorf("message %q should be Chinese", msg)
			}
			if tt.wantField != "" {
				fields, _ := er["fields"].(map[string]any)
				if _, ok := fields[tt.wantField]; !ok {
					t.Errorf("got fields %v, want %s named", fields, tt.wantField)
				}
			}
		})
	}
	// Nothing was stored and no number was used: the next case is the first.
	r := e.do("POST", "/api/v1/cases", tok, validComplaint())
	if r.status != 201 {
		t.Fatalf("valid case after rejections: %d %s", r.status, r.body)
	}
	if id := r.json(t)["id"]; id != "20261126000001" {
		t.Errorf("got id %v, want 20261126000001 (a rejected request consumed a number)", id)
	}
}

func TestReferenceEndpoints(t *testing.T) {
	e := newEnv(t)
	tok := e.login("off1")

	r := e.do("GET", "/api/v1/taxonomy", tok, nil)
	var tax weiquan.Taxonomy
	if err := json.Unmarshal(r.body, &tax); err != nil || r.status != 200 {
		t.Fatalf("taxonomy: %d %v", r.status, err)
	}
	if term, ok := weiquan.Lookup(tax.Categories, "finance"); !ok || term.Hotline != "12378" {
		t.Errorf("finance category: got %+v", term)
	}

	r = e.do("GET", "/api/v1/units", tok, nil)
	var units struct {
		Items []weiquan.Unit `json:"items"`
		Total int            `json:"total"`
	}
	if err := json.Unmarshal(r.body, &units); err != nil || r.status != 200 {
		t.Fatalf("units: %d %v", r.status, err)
	}
	byID := map[string]weiquan.Unit{}
	for _, u := range units.Items {
		byID[u.ID] = u
	}
	// 83 county agencies (84 counties less 金门), 9 city and 1 province agency, 10 dispatch centres.
	if units.Total != 103 || len(byID) != 103 {
		t.Errorf("got %d units, want 103", units.Total)
	}
	for id, want := range map[string]string{
		"amr-350203":      "思明区市场监督管理局",
		"amr-350128":      "平潭综合实验区市场监督管理局",
		"amr-350200":      "厦门市市场监督管理局",
		"dispatch-350000": "福建省市场监管投诉举报指挥中心",
	} {
		if byID[id].Name != want {
			t.Errorf("%s: got %q, want %q", id, byID[id].Name, want)
		}
	}
	if _, ok := byID["amr-350527"]; ok {
		t.Error("金门县 has an agency, but it is not administered by Fujian")
	}

	if r := e.do("GET", "/api/v1/cases/20990101000001", tok, nil); r.status != 404 {
		t.Errorf("unknown case: got %d, want 404", r.status)
	}
	if r := e.do("GET", "/api/v1/nothing-here", tok, nil); r.status != 404 || r.json(t)["error"] == nil {
		t.Errorf("unknown route: got %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/readyz", "", nil); r.status != 200 {
		t.Errorf("readyz: got %d", r.status)
	}
}

func containsHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func TestActionsOverHTTP(t *testing.T) {
	e := newEnv(t)
	op, off1, off2 := e.login("op1"), e.login("off1"), e.login("off2")
	r := e.do("POST", "/api/v1/cases", op, validComplaint())
	if r.status != 201 {
		t.Fatalf("intake: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	path := func(action string) string { return "/api/v1/cases/" + id + "/actions/" + action }

	steps := []struct {
		name       string
		token      string
		action     string
		body       any
		wantStatus int
		wantCase   string // status after a 200
	}{
		{"operator may not accept", op, "accept", map[string]any{"version": 1}, 403, ""},
		{"officer of another unit may not accept", off2, "accept", map[string]any{"version": 1}, 403, ""},
		{"stale version", off1, "accept", map[string]any{"version": 7}, 409, ""},
		{"unknown field", off1, "accept", map[string]any{"version": 1, "foo": 1}, 400, ""},
		{"unknown action", off1, "frobnicate", map[string]any{"version": 1}, 404, ""},
		{"officer of the unit accepts", off1, "accept", map[string]any{"version": 1}, 200, "accepted"},
		{"accept twice", off1, "accept", map[string]any{"version": 2}, 409, ""},
		{"start mediation", off1, "start_mediation", map[string]any{"version": 2}, 200, "mediating"},
		{"agreement with amount", off1, "record_agreement", map[string]any{"version": 3, "amount_recovered_fen": 359900, "note": "商家同意退货退款"}, 200, "closed"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			r := e.do("POST", path(st.action), st.token, st.body)
			if r.status != st.wantStatus {
				t.Fatalf("got %d, want %d: %s", r.status, st.wantStatus, r.body)
			}
			m := r.json(t)
			if st.wantStatus != 200 {
				if msg, _ := m["error"].(map[string]any)["message"].(string); !containsHan(msg) {
					t.Errorf("refusal without a Chinese reason: %s", r.body)
				}
				return
			}
			if m["status"] != st.wantCase {
				t.Errorf("got status %v, want %s", m["status"], st.wantCase)
			}
		})
	}
	var c weiquan.Case
	if err := json.Unmarshal(e.do("GET", "/api/v1/cases/"+id, off1, nil).body, &c); err != nil {
		t.Fatal(err)
	}
	if c.Outcome != weiquan.OutcomeResolved || c.Result.AmountRecoveredFen != 359900 {
		t.Errorf("got outcome %q amount %d", c.Outcome, c.Result.AmountRecoveredFen)
	}
	if c.Deadlines.MediateBy == nil {
		t.Error("accepting set no mediate_by")
	}
	if last := c.Events[len(c.Events)-1]; last.Actor != "u-off1" || last.To != weiquan.StatusClosed {
		t.Errorf("last event %+v", last)
	}
}

func TestRoutingExplain(t *testing.T) {
	e := newEnv(t)
	tok := e.login("op1")
	r := e.do("POST", "/api/v1/routing/explain", tok, validComplaint())
	if r.status != 200 {
		t.Fatalf("explain: %d %s", r.status, r.body)
	}
	var d workflow.Decision
	if err := json.Unmarshal(r.body, &d); err != nil {
		t.Fatal(err)
	}
	if d.UnitID != "amr-350203" || d.Track != weiquan.TrackAgency || len(d.Explanation) < 2 {
		t.Errorf("got %+v", d)
	}
	if !strings.Contains(strings.Join(d.Explanation, "\n"), "amr-350203") {
		t.Errorf("explanation does not name the unit: %v", d.Explanation)
	}
	finance := validComplaint()
	finance["subject"].(map[string]any)["category"] = "finance"
	r = e.do("POST", "/api/v1/routing/explain", tok, finance)
	if err := json.Unmarshal(r.body, &d); err != nil || d.Hotline != "12378" {
		t.Errorf("finance: got %+v (%v)", d, err)
	}
	if r := e.do("POST", "/api/v1/routing/explain", tok, map[string]any{"kind": "complaint"}); r.status != 422 {
		t.Errorf("invalid draft: got %d, want 422", r.status)
	}
}

func TestListCases(t *testing.T) {
	e := newEnv(t)
	op, off1, off2 := e.login("op1"), e.login("off1"), e.login("off2")
	var ids []string
	for i, addr := range []string{"厦门市思明区湖滨南路88号", "厦门市湖里区金山街道100号", "厦门市思明区莲前西路2号"} {
		body := validComplaint()
		body["respondent"].(map[string]any)["address"] = addr
		body["respondent"].(map[string]any)["uscc"] = ""
		body["description"] = fmt.Sprintf("第%d次投诉：空调漏水，商家拒绝退货。", i+1)
		r := e.do("POST", "/api/v1/cases", op, body)
		if r.status != 201 {
			t.Fatalf("intake: %d %s", r.status, r.body)
		}
		ids = append(ids, r.json(t)["id"].(string))
	}
	list := func(token, query string) (int, []string, map[string]any) {
		r := e.do("GET", "/api/v1/cases?"+query, token, nil)
		m := r.json(t)
		var got []string
		if items, ok := m["items"].([]any); ok {
			for _, it := range items {
				got = append(got, it.(map[string]any)["id"].(string))
			}
		}
		return r.status, got, m
	}
	tests := []struct {
		name   string
		token  string
		query  string
		status int
		want   []string // in order
	}{
		{"operator sees all, newest first", op, "sort=created", 200, []string{ids[2], ids[1], ids[0]}},
		{"Chinese text", op, "q=" + url.QueryEscape("漏水") + "&sort=created", 200, []string{ids[2], ids[1], ids[0]}},
		{"officer sees only their unit", off1, "sort=created", 200, []string{ids[2], ids[0]}},
		{"officer of the other unit", off2, "sort=created", 200, []string{ids[1]}},
		{"officer cannot widen the scope", off2, "unit=amr-350203", 200, nil},
		{"filter by county", op, "county=350206", 200, []string{ids[1]}},
		{"by phone", op, "phone=13800138000&sort=created", 200, []string{ids[2], ids[1], ids[0]}},
		{"unknown status", op, "status=lost", 422, nil},
		{"bad page size", op, "page_size=1000", 422, nil},
		{"bad phone", op, "phone=123", 422, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got, m := list(tt.token, tt.query)
			if status != tt.status {
				t.Fatalf("got %d, want %d: %v", status, tt.status, m)
			}
			if status == 200 && strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if status == 422 && m["error"].(map[string]any)["fields"] == nil {
				t.Errorf("422 without fields: %v", m)
			}
		})
	}
	// Paging with the cursor walks every case once.
	var walked []string
	cursor := ""
	for range 5 {
		_, got, m := list(op, "sort=created&page_size=2&cursor="+url.QueryEscape(cursor))
		walked = append(walked, got...)
		cursor, _ = m["next_cursor"].(string)
		if cursor == "" {
			break
		}
	}
	if strings.Join(walked, ",") != strings.Join([]string{ids[2], ids[1], ids[0]}, ",") {
		t.Errorf("paging walked %v", walked)
	}
	// An action is visible in the officer's next list.
	r := e.do("POST", "/api/v1/cases/"+ids[0]+"/actions/accept", off1, map[string]any{"version": 1})
	if r.status != 200 {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	if _, got, _ := list(off1, "status=accepted"); strings.Join(got, ",") != ids[0] {
		t.Errorf("accepted list right after accepting: got %v", got)
	}
}

func TestDuplicates(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	post := func(phone, uscc string) string {
		body := validComplaint()
		body["complainant"].(map[string]any)["phone"] = phone
		body["source"].(map[string]any)["caller_number"] = phone
		body["respondent"].(map[string]any)["uscc"] = uscc
		r := e.do("POST", "/api/v1/cases", op, body)
		if r.status != 201 {
			t.Fatalf("intake: %d %s", r.status, r.body)
		}
		return r.json(t)["id"].(string)
	}
	ids := func(r response) []string {
		var out []string
		for _, it := range r.json(t)["items"].([]any) {
			out = append(out, it.(map[string]any)["id"].(string))
		}
		return out
	}
	first := post("13800138000", "91350203MA2YJ6QX1Y")
	second := post("13800138000", "91350203MA2YJ6QX1Y")
	post("13900139000", "91350203MA2YJ6QX1Y") // another caller
	post("13800138000", "")                   // no credit code: compared by name, same name

	r := e.do("POST", "/api/v1/duplicates", op, map[string]string{"phone": "138 0013 8000", "respondent_uscc": "91350203MA2YJ6QX1Y"})
	if got := ids(r); r.status != 200 || strings.Join(got, ",") != second+","+first {
		t.Errorf("check before saving: %d %v, want [%s %s]", r.status, got, second, first)
	}
	if got := ids(e.do("GET", "/api/v1/cases/"+second+"/duplicates", op, nil)); strings.Join(got, ",") != first {
		t.Errorf("duplicates of %s: got %v, want [%s]", second, got, first)
	}
	if r := e.do("POST", "/api/v1/duplicates", op, map[string]string{"phone": "12"}); r.status != 422 {
		t.Errorf("bad phone: got %d", r.status)
	}
	// The operator links them; after 30 days nothing is offered any more.
	if r := e.do("POST", "/api/v1/cases/"+second+"/actions/link_duplicate", op, map[string]any{"version": 1, "case_id": first}); r.status != 200 {
		t.Fatalf("link: %d %s", r.status, r.body)
	}
	e.clock.Add(31 * 24 * time.Hour)
	tok := e.login("op1")
	if got := ids(e.do("GET", "/api/v1/cases/"+second+"/duplicates", tok, nil)); len(got) != 0 {
		t.Errorf("after 31 days: got %v", got)
	}
}

func TestTwilioWebhooks(t *testing.T) {
	e := newEnv(t)
	post := func(path string, form url.Values, signature string) response {
		req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if signature != "" {
			req.Header.Set("X-Twilio-Signature", signature)
		}
		resp, err := e.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return response{status: resp.StatusCode, header: resp.Header, body: raw}
	}
	form := url.Values{"From": {"+8613800138000"}, "To": {"+15005550006"}, "Body": {"TD"}, "MessageSid": {"SM0123"}}
	ctx := context.Background()

	for _, tt := range []struct{ name, signature string }{
		{"unsigned", ""},
		{"signed with another token", twiliofake.Sign("wrong-token", testPublicURL+"/hooks/twilio/inbound", form)},
		{"signed for another URL", twiliofake.Sign(testTwilioToken, testPublicURL+"/hooks/twilio/status", form)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := post("/hooks/twilio/inbound", form, tt.signature); r.status != 403 {
				t.Errorf("got %d, want 403", r.status)
			}
			if out, err := e.store.OptedOut(ctx, "+8613800138000"); err != nil || out {
				t.Errorf("a refused webhook changed something: opted out %v, %v", out, err)
			}
		})
	}
	r := post("/hooks/twilio/inbound", form, twiliofake.Sign(testTwilioToken, testPublicURL+"/hooks/twilio/inbound", form))
	if r.status != 200 || !strings.Contains(string(r.body), "<Response>") {
		t.Fatalf("signed TD: %d %s", r.status, r.body)
	}
	if out, err := e.store.OptedOut(ctx, "+8613800138000"); err != nil || !out {
		t.Errorf("TD did not opt the number out: %v, %v", out, err)
	}

	// The SMS log is for administrators only.
	if r := e.do("GET", "/api/v1/admin/sms-log", e.login("op1"), nil); r.status != 403 {
		t.Errorf("operator reading the SMS log: got %d", r.status)
	}
}

// newAdmin adds an administrator to the env's store and signs them in.
func (e *env) newAdmin() string {
	e.t.Helper()
	a := &workflow.Accounts{Store: e.store, Now: e.clock.Now}
	if _, err := a.CreateUser(context.Background(), workflow.NewUser{Username: "admin1", Password: testPassword, Role: weiquan.RoleAdmin}); err != nil {
		e.t.Fatal(err)
	}
	return e.login("admin1")
}

func errorOf(t *testing.T, r response) map[string]any {
	t.Helper()
	m, _ := r.json(t)["error"].(map[string]any)
	if m == nil {
		t.Fatalf("no error object in %s", r.body)
	}
	return m
}

func TestAdminCreatesUser(t *testing.T) {
	e := newEnv(t)
	admin := e.newAdmin()
	operator := e.login("op1")
	officer := map[string]any{"username": "off9", "password": "another long secret", "role": "officer", "units": []string{"amr-350203"}}

	tests := []struct {
		name       string
		token      string
		body       any
		wantStatus int
		wantCode   string
		wantField  string
	}{
		{"admin creates an officer", admin, officer, 201, "", ""},
		{"operator may not", operator, map[string]any{"username": "off8", "password": "another long secret", "role": "officer", "units": []string{"amr-350203"}}, 403, weiquan.EForbidden, ""},
		{"duplicate username", admin, map[string]any{"username": "off1", "password": "another long secret", "role": "operator"}, 409, weiquan.EConflict, "username"},
		{"invalid role and short password", admin, map[string]any{"username": "x9", "password": "short", "role": "boss"}, 422, weiquan.EValidation, "role"},
		{"unknown unit", admin, map[string]any{"username": "off7", "password": "another long secret", "role": "officer", "units": []string{"amr-000000"}}, 422, weiquan.EValidation, "units[0]"},
		{"unknown field", admin, map[string]any{"username": "off6", "password": "another long secret", "role": "operator", "disabled": true}, 400, weiquan.EInvalid, ""},
		{"no session", "", officer, 401, weiquan.EUnauthorized, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/admin/users", tt.token, tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
			if tt.wantStatus == 201 {
				return
			}
			er := errorOf(t, r)
			if er["code"] != tt.wantCode {
				t.Errorf("got code %v, want %s", er["code"], tt.wantCode)
			}
			if msg, _ := er["message"].(string); !containsHan(msg) {
				t.Errorf("got message %q, want Chinese", msg)
			}
			if tt.wantField != "" {
				if fields, _ := er["fields"].(map[string]any); fields[tt.wantField] == nil {
					t.Errorf("got fields %v, want %s", er["fields"], tt.wantField)
				}
			}
		})
	}

	t.Run("the created officer can sign in", func(t *testing.T) {
		r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "off9", "password": "another long secret"})
		if r.status != 200 {
			t.Fatalf("login off9: %d %s", r.status, r.body)
		}
		u := r.json(t)["user"].(map[string]any)
		if u["role"] != "officer" || fmt.Sprint(u["unit_ids"]) != "[amr-350203]" {
			t.Errorf("got user %v", u)
		}
	})

	t.Run("the answer holds no password hash", func(t *testing.T) {
		r := e.do("POST", "/api/v1/admin/users", admin, map[string]any{"username": "op9", "password": "another long secret", "role": "operator"})
		if r.status != 201 {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		if bytes.Contains(r.body, []byte("argon2")) || bytes.Contains(r.body, []byte("password")) {
			t.Errorf("body reveals the password hash: %s", r.body)
		}
		if got := r.json(t)["username"]; got != "op9" {
			t.Errorf("got username %v, want op9", got)
		}
	})
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	const newPassword = "a brand new passphrase"
	old := e.login("op1")
	other := e.login("op1") // a second session of the same user, e.g. another browser
	for _, tok := range []string{old, other} {
		if r := e.do("GET", "/api/v1/taxonomy", tok, nil); r.status != 200 { // now cached
			t.Fatalf("before: %d", r.status)
		}
	}

	refusals := []struct {
		name      string
		body      map[string]string
		wantField string
		wantCode  string
	}{
		{"wrong current password", map[string]string{"current_password": "not my password", "new_password": newPassword}, "current_password", "wrong_password"},
		{"missing current password", map[string]string{"new_password": newPassword}, "current_password", "required"},
		{"new password too short", map[string]string{"current_password": testPassword, "new_password": "short"}, "new_password", "weak_password"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/auth/password", old, tt.body)
			if r.status != 422 {
				t.Fatalf("got %d %s, want 422", r.status, r.body)
			}
			fields, _ := errorOf(t, r)["fields"].(map[string]any)
			f, _ := fields[tt.wantField].(map[string]any)
			if f == nil || f["code"] != tt.wantCode {
				t.Errorf("got fields %v, want %s: %s", fields, tt.wantField, tt.wantCode)
			}
			if r := e.do("GET", "/api/v1/taxonomy", old, nil); r.status != 200 {
				t.Errorf("a refused change ended the session: %d", r.status)
			}
		})
	}

	t.Run("change ends every session", func(t *testing.T) {
		r := e.do("POST", "/api/v1/auth/password", old, map[string]string{"current_password": testPassword, "new_password": newPassword})
		if r.status != 204 {
			t.Fatalf("got %d %s, want 204", r.status, r.body)
		}
		for name, tok := range map[string]string{"this session": old, "other session": other} {
			if r := e.do("GET", "/api/v1/taxonomy", tok, nil); r.status != 401 {
				t.Errorf("%s after the change: got %d, want 401", name, r.status)
			}
		}
	})

	t.Run("old password refused, new one works", func(t *testing.T) {
		if r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "op1", "password": testPassword}); r.status != 401 {
			t.Errorf("old password: got %d, want 401", r.status)
		}
		r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "op1", "password": newPassword})
		if r.status != 200 {
			t.Fatalf("new password: got %d %s", r.status, r.body)
		}
		tok, _ := r.json(t)["token"].(string)
		if r := e.do("GET", "/api/v1/taxonomy", tok, nil); r.status != 200 {
			t.Errorf("new session: got %d, want 200", r.status)
		}
	})

	t.Run("needs a session", func(t *testing.T) {
		r := e.do("POST", "/api/v1/auth/password", "", map[string]string{"current_password": testPassword, "new_password": newPassword})
		if r.status != 401 {
			t.Errorf("got %d, want 401", r.status)
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	e := newEnv(t)
	attempt := func(username, password string) response {
		return e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": password})
	}
	const msg = "登录失败次数过多，请 15 分钟后再试"

	var refusedKnown response
	t.Run("sixth attempt refused even with the right password", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			if r := attempt("op1", "wrong password!"); r.status != 401 {
				t.Fatalf("attempt %d: got %d, want 401", i+1, r.status)
			}
		}
		refusedKnown = attempt("op1", testPassword)
		if refusedKnown.status != 429 {
			t.Fatalf("got %d %s, want 429", refusedKnown.status, refusedKnown.body)
		}
		if got := errorOf(t, refusedKnown)["message"]; got != msg {
			t.Errorf("got message %v, want %s", got, msg)
		}
	})

	t.Run("unknown user answered alike", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			if r := attempt("nobody", "wrong password!"); r.status != 401 {
				t.Fatalf("attempt %d: got %d, want 401", i+1, r.status)
			}
		}
		r := attempt("nobody", testPassword)
		if r.status != 429 || !bytes.Equal(r.body, refusedKnown.body) {
			t.Errorf("got %d %s, want the same as for op1: %d %s", r.status, r.body, refusedKnown.status, refusedKnown.body)
		}
	})

	t.Run("other users are not locked out", func(t *testing.T) {
		e.login("off1")
	})

	t.Run("works again after the lockout", func(t *testing.T) {
		e.clock.Add(16 * time.Minute)
		e.login("op1")
	})

	t.Run("success resets the username's count", func(t *testing.T) {
		for i := 0; i < 4; i++ {
			attempt("off2", "wrong password!")
		}
		e.login("off2")
		for i := 0; i < 4; i++ {
			if r := attempt("off2", "wrong password!"); r.status != 401 {
				t.Fatalf("attempt %d after a success: got %d, want 401", i+1, r.status)
			}
		}
		e.login("off2")
	})

	t.Run("one address is limited across usernames", func(t *testing.T) {
		e.clock.Add(16 * time.Minute)
		for i := 0; i < 20; i++ {
			if r := attempt(fmt.Sprintf("ghost%d", i), "wrong password!"); r.status != 401 {
				t.Fatalf("attempt %d: got %d, want 401", i+1, r.status)
			}
		}
		if r := attempt("off1", testPassword); r.status != 429 {
			t.Errorf("after 20 failures from one address: got %d, want 429", r.status)
		}
		e.clock.Add(16 * time.Minute)
		e.login("off1")
	})
}

func TestMalformedBodiesNameTheField(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	r := e.do("POST", "/api/v1/cases", op, validComplaint())
	id := r.json(t)["id"].(string)
	for _, tt := range []struct {
		name      string
		body      any
		field     string
		fieldCode string
	}{
		{"unknown field", map[string]any{"version": 1, "foo": 1}, "foo", "unknown_field"},
		{"wrong type", map[string]any{"version": "one"}, "version", "invalid_type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/cases/"+id+"/actions/note", op, tt.body)
			if r.status != 400 {
				t.Fatalf("got %d, want 400: %s", r.status, r.body)
			}
			er := r.json(t)["error"].(map[string]any)
			fields, _ := er["fields"].(map[string]any)
			fe, _ := fields[tt.field].(map[string]any)
			if fe["code"] != tt.fieldCode || !containsHan(er["message"].(string)) {
				t.Errorf("got %s, want field %s with code %s and a Chinese message", r.body, tt.field, tt.fieldCode)
			}
		})
	}
}
