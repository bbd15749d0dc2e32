package handlers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"weiquan"
	"weiquan/workflow"
)

// textOf is a page's text without tags, to check what a person reads.
func textOf(body []byte) string {
	s := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(string(body), " ")
	return strings.Join(strings.Fields(s), " ")
}

// mustContain fails for every want that the page's text lacks.
func mustContain(t *testing.T, where string, r response, wants ...string) {
	t.Helper()
	txt := textOf(r.body)
	for _, w := range wants {
		if !strings.Contains(txt, w) && !bytes.Contains(r.body, []byte(w)) {
			t.Errorf("%s: no %q in the page (%d): %.600s", where, w, r.status, txt)
		}
	}
}

// intake registers a case as the operator and returns it.
func (e *env) intake(op string, mod func(m map[string]any)) weiquan.Case {
	e.t.Helper()
	body := validComplaint()
	if mod != nil {
		mod(body)
	}
	r := e.do("POST", "/api/v1/cases", op, body)
	if r.status != 201 {
		e.t.Fatalf("intake: %d %s", r.status, r.body)
	}
	var c weiquan.Case
	if err := json.Unmarshal(r.body, &c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) stored(id string) *weiquan.Case {
	e.t.Helper()
	c, err := e.store.GetCase(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// newUsers has the administrator create staff accounts (username, role,
// unit) and returns the administrator's token.
func (e *env) newUsers(users ...[3]string) string {
	e.t.Helper()
	admin := e.newAdmin()
	for _, u := range users {
		body := map[string]any{"username": u[0], "password": testPassword, "role": u[1]}
		if u[2] != "" {
			body["units"] = []string{u[2]}
		}
		if r := e.do("POST", "/api/v1/admin/users", admin, body); r.status != 201 {
			e.t.Fatalf("create %s: %d %s", u[0], r.status, r.body)
		}
	}
	return admin
}

func inAnotherUnit(m map[string]any) {
	r := m["respondent"].(map[string]any)
	r["name"], r["uscc"], r["address"] = "厦门湖里某某商行", "", "厦门市湖里区枋湖路1号"
	m["title"] = "湖里区商行的投诉"
}

func TestDeskQueue(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	first := e.intake(op, nil)
	e.clock.Add(3 * 24 * time.Hour)
	op = e.login("op1")
	second := e.intake(op, func(m map[string]any) { m["title"] = "第二件：热水器不加热" })
	other := e.intake(op, inAnotherUnit)
	if other.UnitID != "amr-350206" {
		t.Fatalf("the other case went to %s", other.UnitID)
	}
	// 2026-12-08 10:00: the first case's acceptance limit (7 working days,
	// to 12-07) has passed, the second's (to 12-08) not yet.
	e.clock.Add(9 * 24 * time.Hour)
	off := e.pageAs("off1")

	r := off.get(t, "/desk")
	if r.status != 200 {
		t.Fatalf("GET /desk: %d %s", r.status, r.body)
	}
	mustContain(t, "desk", r, first.ID, second.ID, "第二件：热水器不加热", "已超期", "思明区市场监督管理局")
	if bytes.Contains(r.body, []byte(other.ID)) {
		t.Errorf("the desk of amr-350203 lists %s, a case of amr-350206", other.ID)
	}
	if i, j := bytes.Index(r.body, []byte(first.ID)), bytes.Index(r.body, []byte(second.ID)); i > j {
		t.Errorf("queue not by deadline: %s (earlier deadline) after %s", first.ID, second.ID)
	}
	if n := bytes.Count(r.body, []byte(`class="badge overdue"`)); n != 1 {
		t.Errorf("got %d overdue marks, want 1 (only %s is past its deadline)", n, first.ID)
	}
	assertNoFullPII(t, "desk", r.body)

	t.Run("overdue only", func(t *testing.T) {
		r := off.get(t, "/desk?overdue=true")
		if r.status != 200 || !bytes.Contains(r.body, []byte(first.ID)) || bytes.Contains(r.body, []byte(second.ID)) {
			t.Errorf("overdue filter: %d, want only %s: %s", r.status, first.ID, textOf(r.body))
		}
	})
	t.Run("text search within the queue", func(t *testing.T) {
		r := off.get(t, "/desk?q="+url.QueryEscape("热水器"))
		if !bytes.Contains(r.body, []byte(second.ID)) {
			t.Errorf("search 热水器: %s", textOf(r.body))
		}
		if bytes.Contains(r.body, []byte(`href="/desk/cases/`+first.ID)) {
			t.Errorf("search 热水器 lists %s", first.ID)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		if r := e.anonymousPages().get(t, "/desk"); r.status != 303 || r.header.Get("Location") != "/login?next=%2Fdesk" {
			t.Errorf("anonymous: %d to %q, want 303 to the sign-in page", r.status, r.header.Get("Location"))
		}
		r := e.pageAs("op1").get(t, "/desk")
		if r.status != 403 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("operator: %d %s, want a 403 page", r.status, r.header.Get("Content-Type"))
		}
		mustContain(t, "operator refused", r, "话务员")
	})
}

func TestDeskCasePage(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	cs := e.intake(op, func(m map[string]any) {
		m["description"] = `<script>alert("x")</script> 请回电 13800138000`
	})
	off := e.pageAs("off1")
	path := "/desk/cases/" + cs.ID

	r := off.get(t, path)
	if r.status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	mustContain(t, "case page", r, cs.Title, "138****8000", "厦门某某电器有限公司", "格力",
		"办理经过", "登记", "分派依据", "county", "amr-350203", "短信记录", "疑似重复",
		"受理", "不予受理", "退回指挥中心", `id="do-accept"`, `name="version" value="1"`)
	// Only the actions the case allows: an assigned complaint cannot be
	// mediated or closed with an agreement yet.
	for _, no := range []string{`id="do-start_mediation"`, `id="do-record_agreement"`, `id="do-assign"`, `id="do-reopen"`} {
		if bytes.Contains(r.body, []byte(no)) {
			t.Errorf("the case page offers %s for an assigned case", no)
		}
	}
	// The rejection form offers the grounds of Art. 15.
	for _, g := range workflow.Grounds() {
		if !bytes.Contains(r.body, []byte(`value="`+g.Code+`"`)) {
			t.Errorf("rejection ground %s missing", g.Code)
		}
	}
	if bytes.Contains(r.body, []byte(`<script>alert`)) {
		t.Error("the description's script tag reached the page unescaped")
	}
	assertNoFullPII(t, "case page", r.body)

	t.Run("full view is audited once", func(t *testing.T) {
		r := off.postDirect(t, path+"/full", url.Values{})
		if r.status != 200 || !bytes.Contains(r.body, []byte("13800138000")) {
			t.Fatalf("full view: %d, full phone shown: %v", r.status, bytes.Contains(r.body, []byte("13800138000")))
		}
		admin := e.newAdmin()
		a := e.do("GET", "/api/v1/admin/audit?case="+cs.ID, admin, nil)
		if a.status != 200 {
			t.Fatalf("audit: %d %s", a.status, a.body)
		}
		if n := bytes.Count(a.body, []byte(`"read_pii"`)); n != 1 {
			t.Errorf("got %d read_pii audit entries, want 1: %s", n, a.body)
		}
	})
	t.Run("other unit is refused with a page", func(t *testing.T) {
		r := e.pageAs("off2").get(t, path)
		if r.status != 403 || !strings.Contains(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("off2: %d %s", r.status, r.header.Get("Content-Type"))
		}
		mustContain(t, "other unit", r, "不在您所属单位的管辖范围内")
		if bytes.Contains(r.body, []byte(cs.Title)) {
			t.Error("the refusal shows the case's title")
		}
		if r := e.pageAs("off2").postDirect(t, path+"/actions/accept", url.Values{"version": {"1"}}); r.status != 403 {
			t.Errorf("off2 accepting: %d", r.status)
		}
		if got := e.stored(cs.ID); got.Status != weiquan.StatusAssigned {
			t.Errorf("a refused action changed the case: %s", got.Status)
		}
	})
	t.Run("no such case", func(t *testing.T) {
		if r := off.get(t, "/desk/cases/20200101999999"); r.status != 404 {
			t.Errorf("got %d, want 404", r.status)
		}
	})
}

func TestDeskActions(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	cs := e.intake(op, nil)
	off := e.pageAs("off1")
	path := "/desk/cases/" + cs.ID
	act := func(action string, form url.Values) response {
		t.Helper()
		return off.postDirect(t, path+"/actions/"+action, form)
	}

	t.Run("without the form token nothing happens", func(t *testing.T) {
		r := off.request(t, "POST", path+"/actions/accept", url.Values{"version": {"1"}})
		if r.status != 403 || e.stored(cs.ID).Version != 1 {
			t.Errorf("got %d, version %d", r.status, e.stored(cs.ID).Version)
		}
	})
	t.Run("reject without a ground comes back with the field named", func(t *testing.T) {
		r := act("reject", url.Values{"version": {"1"}})
		if r.status != 422 {
			t.Fatalf("got %d", r.status)
		}
		mustContain(t, "reject", r, "请选择不予受理的理由", `open id="action-reject"`)
		if e.stored(cs.ID).Version != 1 {
			t.Error("a refused rejection changed the case")
		}
	})
	t.Run("accept", func(t *testing.T) {
		r := act("accept", url.Values{"version": {"1"}})
		if r.status != 303 || r.header.Get("Location") != path+"?done=accept" {
			t.Fatalf("got %d to %q", r.status, r.header.Get("Location"))
		}
		page := off.get(t, r.header.Get("Location"))
		mustContain(t, "after accept", page, "受理：已完成", "已受理", `id="do-start_mediation"`, `name="version" value="2"`)
	})
	t.Run("a stale version shows the fresh case", func(t *testing.T) {
		r := act("accept", url.Values{"version": {"1"}})
		if r.status != 409 {
			t.Fatalf("got %d", r.status)
		}
		mustContain(t, "stale", r, "案件已被他人修改", "第 1 版", "第 2 版", "已受理", `name="version" value="2"`)
	})
	t.Run("amount in yuan is checked", func(t *testing.T) {
		r := act("record_agreement", url.Values{"version": {"2"}, "amount_yuan": {"三千元"}})
		if r.status != 422 {
			t.Fatalf("got %d", r.status)
		}
		mustContain(t, "bad amount", r, "请填写以元为单位的金额", `value="三千元"`)
	})
	t.Run("mediate and close with the amount recovered", func(t *testing.T) {
		if r := act("start_mediation", url.Values{"version": {"2"}}); r.status != 303 {
			t.Fatalf("start_mediation: %d %s", r.status, textOf(r.body))
		}
		r := act("record_agreement", url.Values{"version": {"3"}, "amount_yuan": {"3,599.50"}, "note": {"商家同意退货退款"}})
		if r.status != 303 {
			t.Fatalf("record_agreement: %d %s", r.status, textOf(r.body))
		}
		got := e.stored(cs.ID)
		if got.Status != weiquan.StatusClosed || got.Outcome != weiquan.OutcomeResolved || got.Result.AmountRecoveredFen != 359950 {
			t.Errorf("got %s %s %d", got.Status, got.Outcome, got.Result.AmountRecoveredFen)
		}
		page := off.get(t, path)
		mustContain(t, "closed", page, "调解成功", "3599.50 元", "商家同意退货退款")
		if bytes.Contains(page.body, []byte(`id="do-accept"`)) {
			t.Error("a closed case still offers accept")
		}
	})
}

func TestParseYuanThroughTheForm(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	off := e.pageAs("off1")
	tests := []struct {
		in   string
		want int64 // -1: refused
	}{
		{"0", 0}, {"12", 1200}, {"12.5", 1250}, {"12.05", 1205}, {"￥1,000.00", 100000}, {"88元", 8800},
		{"-5", -1}, {"1.234", -1}, {"", -1}, {"1e3", -1},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			cs := e.intake(op, nil)
			path := "/desk/cases/" + cs.ID + "/actions/"
			if r := off.postDirect(t, path+"accept", url.Values{"version": {"1"}}); r.status != 303 {
				t.Fatalf("accept: %d", r.status)
			}
			r := off.postDirect(t, path+"record_agreement", url.Values{"version": {"2"}, "amount_yuan": {tt.in}})
			got := e.stored(cs.ID)
			switch {
			case tt.want < 0 && (r.status != 422 || got.Status != weiquan.StatusAccepted):
				t.Errorf("got %d, status %s; want 422 and nothing changed", r.status, got.Status)
			case tt.want >= 0 && (r.status != 303 || got.Result.AmountRecoveredFen != tt.want):
				t.Errorf("got %d, %d fen; want %d", r.status, got.Result.AmountRecoveredFen, tt.want)
			}
		})
	}
}

// dashboardEnv has cases in two cities, one of them unplaced, one resolved,
// and a supervisor for Xiamen's dispatch centre.
type dashboardEnv struct {
	*env
	resolved, unplaced, other weiquan.Case
	fuzhou                    weiquan.Case
}

func newDashboardEnv(t *testing.T) *dashboardEnv {
	e := newEnv(t)
	e.newUsers([3]string{"sup-xm", "supervisor", "dispatch-350200"}, [3]string{"sup-fz", "supervisor", "amr-350100"})
	op := e.login("op1")
	d := &dashboardEnv{env: e}
	d.resolved = e.intake(op, nil)
	d.unplaced = e.intake(op, func(m map[string]any) { m["title"] = "待分派：退回的投诉" })
	d.other = e.intake(op, inAnotherUnit)
	d.fuzhou = e.intake(op, func(m map[string]any) {
		r := m["respondent"].(map[string]any)
		r["name"], r["uscc"], r["address"] = "福州鼓楼某某公司", "", "福州市鼓楼区五四路1号"
		m["channel"] = "12365"
		m["title"] = "福州的投诉"
	})
	off := e.login("off1")
	for _, st := range []struct {
		id, action string
		body       map[string]any
	}{
		{d.resolved.ID, "accept", map[string]any{"version": 1}},
		{d.resolved.ID, "record_agreement", map[string]any{"version": 2, "amount_recovered_fen": 120050}},
		{d.unplaced.ID, "return", map[string]any{"version": 1, "reason": "被投诉人在海沧区经营"}},
	} {
		if r := e.do("POST", "/api/v1/cases/"+st.id+"/actions/"+st.action, off, st.body); r.status != 200 {
			t.Fatalf("%s: %d %s", st.action, r.status, r.body)
		}
	}
	return d
}

func TestDashboard(t *testing.T) {
	d := newDashboardEnv(t)
	sup := d.pageAs("sup-xm")

	r := sup.get(t, "/dashboard")
	if r.status != 200 {
		t.Fatalf("GET /dashboard: %d %s", r.status, textOf(r.body))
	}
	mustContain(t, "dashboard", r, "待分派：退回的投诉", d.unplaced.ID, `id="assign-`+d.unplaced.ID+`"`,
		"1200.50", "<svg", "按渠道", "按地市", "厦门市", "export.csv")
	if bytes.Contains(r.body, []byte(d.fuzhou.ID)) || bytes.Contains(r.body, []byte("福州市</text>")) {
		t.Errorf("Xiamen's dashboard shows Fuzhou's case")
	}
	if got := textOf(r.body); !strings.Contains(got, "案件总数 3") {
		t.Errorf("want 3 cases in Xiamen: %.400s", got)
	}
	assertNoFullPII(t, "dashboard", r.body)

	t.Run("assign the unplaced case", func(t *testing.T) {
		r := sup.postDirect(t, "/desk/cases/"+d.unplaced.ID+"/actions/assign",
			url.Values{"version": {"2"}, "unit_id": {"amr-350205"}, "next": {"/dashboard"}})
		if r.status != 303 || !strings.HasPrefix(r.header.Get("Location"), "/dashboard?done=assign") {
			t.Fatalf("got %d to %q: %s", r.status, r.header.Get("Location"), textOf(r.body))
		}
		if got := d.stored(d.unplaced.ID); got.UnitID != "amr-350205" || got.Status != weiquan.StatusAssigned {
			t.Errorf("got %s at %s", got.Status, got.UnitID)
		}
		page := sup.get(t, r.header.Get("Location"))
		mustContain(t, "after assign", page, "指派，已完成", "没有待分派的案件")
	})
	t.Run("refusals", func(t *testing.T) {
		if r := d.anonymousPages().get(t, "/dashboard"); r.status != 303 {
			t.Errorf("anonymous: %d", r.status)
		}
		r := d.pageAs("off1").get(t, "/dashboard")
		if r.status != 403 {
			t.Errorf("officer: %d", r.status)
		}
		mustContain(t, "officer refused", r, "办案人员")
	})
	t.Run("a supervisor of an agency, not a dispatch centre, is offered no assign form", func(t *testing.T) {
		r := d.pageAs("sup-fz").get(t, "/dashboard")
		if r.status != 200 || bytes.Contains(r.body, []byte(`actions/assign`)) {
			t.Errorf("sup-fz: %d, assign form shown: %v", r.status, bytes.Contains(r.body, []byte(`actions/assign`)))
		}
	})
	t.Run("administrator reads without assign forms", func(t *testing.T) {
		admin := newFormClient(d.env, d.login("admin1"))
		r := admin.get(t, "/dashboard")
		if r.status != 200 || bytes.Contains(r.body, []byte(`action="/desk/cases/`)) {
			t.Errorf("admin: %d, assign form shown: %v", r.status, bytes.Contains(r.body, []byte(`action="/desk/cases/`)))
		}
		mustContain(t, "admin", r, "福州市", "案件总数 4")
	})
}

func TestStatsAPI(t *testing.T) {
	d := newDashboardEnv(t)
	sup := d.login("sup-xm")

	var sum struct {
		Total, Overdue, Unplaced uint64
		Open, Resolved           int
		RecoveredFen             int64 `json:"recovered_fen"`
		By                       map[string][]struct {
			Value, Label string
			Count        int
		}
	}
	r := d.do("GET", "/api/v1/stats/summary", sup, nil)
	if r.status != 200 {
		t.Fatalf("summary: %d %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Total != 3 || sum.Open != 2 || sum.Unplaced != 1 || sum.Resolved != 1 || sum.RecoveredFen != 120050 {
		t.Errorf("got %+v", sum)
	}
	if len(sum.By["city"]) != 1 || sum.By["city"][0].Label != "厦门市" || sum.By["city"][0].Count != 3 {
		t.Errorf("by city: %+v", sum.By["city"])
	}

	var tr struct {
		Days  []string
		Total []int
		By    map[string][]struct {
			Value  string
			Total  int
			Counts []int
		}
	}
	r = d.do("GET", "/api/v1/stats/trend?days=7", sup, nil)
	if r.status != 200 {
		t.Fatalf("trend: %d %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &tr); err != nil {
		t.Fatal(err)
	}
	if len(tr.Days) != 7 || tr.Days[6] != "2026-11-26" || tr.Total[6] != 3 {
		t.Errorf("trend: days %v total %v", tr.Days, tr.Total)
	}

	t.Run("filters as the list takes them", func(t *testing.T) {
		for _, tt := range []struct {
			who  string
			want float64
		}{{"sup-xm", 0}, {"sup-fz", 1}, {"admin1", 1}} {
			r := d.do("GET", "/api/v1/stats/summary?channel=12365", d.login(tt.who), nil)
			if r.status != 200 || r.json(t)["total"].(float64) != tt.want {
				t.Errorf("%s channel=12365: %d %s, want total %v", tt.who, r.status, r.body, tt.want)
			}
		}
		if r := d.do("GET", "/api/v1/stats/summary?channel=nonsense", sup, nil); r.status != 422 {
			t.Errorf("unknown channel: %d", r.status)
		}
	})

	t.Run("a person's own change is counted at once", func(t *testing.T) {
		before := d.do("GET", "/api/v1/stats/summary", sup, nil).json(t)
		if r := d.do("POST", "/api/v1/cases/"+d.unplaced.ID+"/actions/assign", sup,
			map[string]any{"version": 2, "unit_id": "amr-350205"}); r.status != 200 {
			t.Fatalf("assign: %d %s", r.status, r.body)
		}
		after := d.do("GET", "/api/v1/stats/summary", sup, nil).json(t)
		assigned := func(m map[string]any) float64 {
			for _, sc := range m["by"].(map[string]any)["status"].([]any) {
				if sc.(map[string]any)["value"] == "assigned" {
					return sc.(map[string]any)["count"].(float64)
				}
			}
			return 0
		}
		if after["unplaced"].(float64) != 0 || assigned(after) != assigned(before)+1 {
			t.Errorf("after assigning: unplaced %v, assigned %v (before %v)", after["unplaced"], assigned(after), assigned(before))
		}
	})
	t.Run("scope and roles", func(t *testing.T) {
		fz := d.login("sup-fz")
		r := d.do("GET", "/api/v1/stats/summary", fz, nil)
		if r.status != 200 || r.json(t)["total"].(float64) != 1 {
			t.Errorf("Fuzhou supervisor: %d %s", r.status, r.body)
		}
		for _, who := range []string{"off1", "op1"} {
			if r := d.do("GET", "/api/v1/stats/summary", d.login(who), nil); r.status != 403 {
				t.Errorf("%s: %d", who, r.status)
			}
		}
		if r := d.do("GET", "/api/v1/stats/trend?days=0", sup, nil); r.status != 422 {
			t.Errorf("days=0: %d", r.status)
		}
	})
}

func TestClustersOnTheDashboard(t *testing.T) {
	e := newEnv(t)
	e.newUsers([3]string{"sup-xm", "supervisor", "dispatch-350200"})
	op := e.login("op1")
	var ids []string
	for i := 0; i < workflow.ClusterSize; i++ {
		ids = append(ids, e.intake(op, func(m map[string]any) {
			m["complainant"].(map[string]any)["phone"] = fmt.Sprintf("1390000%04d", i)
		}).ID)
	}
	r := e.do("GET", "/api/v1/stats/clusters", e.login("sup-xm"), nil)
	if r.status != 200 {
		t.Fatalf("clusters: %d %s", r.status, r.body)
	}
	var out struct {
		Items []struct {
			Respondent string
			Count      int
		}
	}
	_ = json.Unmarshal(r.body, &out)
	if len(out.Items) != 1 || out.Items[0].Respondent != "厦门某某电器有限公司" || out.Items[0].Count < 1 {
		t.Errorf("got %s", r.body)
	}
	page := e.pageAs("sup-xm").get(t, "/dashboard")
	mustContain(t, "clusters", page, "群体性投诉线索", "厦门某某电器有限公司", ids[len(ids)-1])
}

func TestExportCSV(t *testing.T) {
	d := newDashboardEnv(t)
	op := d.login("op1")
	registerPII("13912345678")
	// A title that a spreadsheet would run as a formula.
	formula := d.intake(op, func(m map[string]any) {
		m["title"] = "=HYPERLINK(\"http://evil\")空调"
		m["complainant"].(map[string]any)["phone"] = "13912345678"
	})
	sup := d.login("sup-xm")

	r := d.do("GET", "/api/v1/export.csv", sup, nil)
	if r.status != 200 {
		t.Fatalf("export: %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
		t.Errorf("content disposition %q", cd)
	}
	if !bytes.HasPrefix(r.body, []byte("\xEF\xBB\xBF")) {
		t.Fatal("no UTF-8 byte-order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "案件编号" || rows[0][3] != "状态" {
		t.Errorf("header %v", rows[0])
	}
	if len(rows) != 1+4 {
		t.Fatalf("got %d rows, want the 4 cases of Xiamen: %v", len(rows)-1, rows)
	}
	byID := map[string][]string{}
	for _, row := range rows[1:] {
		byID[row[0]] = row
	}
	if _, ok := byID[d.fuzhou.ID]; ok {
		t.Error("Xiamen's export holds Fuzhou's case")
	}
	res := byID[d.resolved.ID]
	if res == nil || res[3] != "办结" || res[4] != "调解成功" || res[9] != "思明区市场监督管理局" || res[10] != "*******8000" {
		t.Errorf("resolved row %v", res)
	}
	if f := byID[formula.ID]; f == nil || !strings.HasPrefix(f[6], "'=") {
		t.Errorf("a formula title is not neutralised: %v", f)
	}
	assertNoFullPII(t, "export", r.body)

	t.Run("same filters as the list", func(t *testing.T) {
		r := d.do("GET", "/api/v1/export.csv?status=closed", sup, nil)
		rows, _ := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\xEF\xBB\xBF")))).ReadAll()
		if len(rows) != 2 || rows[1][0] != d.resolved.ID {
			t.Errorf("status=closed: %v", rows)
		}
		if r := d.do("GET", "/api/v1/export.csv?status=nonsense", sup, nil); r.status != 422 {
			t.Errorf("bad filter: %d", r.status)
		}
	})
	t.Run("scope and roles", func(t *testing.T) {
		r := d.do("GET", "/api/v1/export.csv", d.login("off2"), nil)
		rows, _ := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\xEF\xBB\xBF")))).ReadAll()
		if r.status != 200 || len(rows) != 2 || rows[1][0] != d.other.ID {
			t.Errorf("off2 (湖里): %d %v", r.status, rows)
		}
		if r := d.do("GET", "/api/v1/export.csv", op, nil); r.status != 403 {
			t.Errorf("operator: %d", r.status)
		}
		if r := d.do("GET", "/api/v1/export.csv", "", nil); r.status != 401 {
			t.Errorf("anonymous: %d", r.status)
		}
	})
	t.Run("the export is audited", func(t *testing.T) {
		admin := d.login("admin1")
		a := d.do("GET", "/api/v1/admin/audit?user=u-sup-xm", admin, nil)
		if a.status != 200 || !bytes.Contains(a.body, []byte("export_csv")) {
			t.Errorf("audit of the exporter: %d %s", a.status, a.body)
		}
	})
}

// authzPage is authzDo for pages: the credential is the session cookie,
// and a form carries the anti-forgery token the sign-in page renders for
// that cookie, as a browser's form would (none for a visitor without one).
func authzPage(t *testing.T, e *env, method, path, token string, body any) response {
	t.Helper()
	p := newFormClient(e, token)
	form, _ := body.(url.Values)
	if method == "GET" || token == "" {
		return p.request(t, method, path, form)
	}
	if form == nil {
		form = url.Values{}
	}
	return p.postDirect(t, path, form)
}

// TestStaffPagesEscapeEveryField stores script and attribute-breaking
// payloads in every text field a person can type and checks that the
// desk, the case page and the dashboard show them as text.
func TestStaffPagesEscapeEveryField(t *testing.T) {
	e := newEnv(t)
	e.newUsers([3]string{"sup-xm", "supervisor", "dispatch-350200"})
	const script, attr = `<script>alert(1)</script>`, `"><img src=x onerror=alert(2)>`
	payload := func(s string) string { return s + script + attr }
	op := e.login("op1")
	cs := e.intake(op, func(m map[string]any) {
		m["title"] = payload("标题")
		m["description"] = payload("描述")
		m["source"].(map[string]any)["call_id"] = "PBX" + attr
		c := m["complainant"].(map[string]any)
		c["name"], c["address"] = "张"+attr, payload("福州市鼓楼区")
		r := m["respondent"].(map[string]any)
		r["name"] = payload("厦门某某电器有限公司")
		s := m["subject"].(map[string]any)
		s["product"], s["brand"], s["model"] = payload("空调"), payload("格力"), payload("KFR")
	})
	off := e.login("off1")
	if r := e.do("POST", "/api/v1/cases/"+cs.ID+"/actions/note", off, map[string]any{"version": 1, "note": payload("备注")}); r.status != 200 {
		t.Fatalf("note: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/cases/"+cs.ID+"/actions/return", off, map[string]any{"version": 2, "reason": payload("退回")}); r.status != 200 {
		t.Fatalf("return: %d %s", r.status, r.body)
	}
	pages := []struct {
		who, path string
	}{
		{"off1", "/desk/cases/" + cs.ID},
		{"sup-xm", "/desk"},
		{"sup-xm", "/desk/cases/" + cs.ID},
		{"sup-xm", "/dashboard"},
		{"sup-xm", "/desk?q=" + url.QueryEscape(script)},
	}
	for _, p := range pages {
		r := e.pageAs(p.who).get(t, p.path)
		if r.status != 200 {
			t.Fatalf("%s as %s: %d %s", p.path, p.who, r.status, textOf(r.body))
		}
		for _, bad := range []string{"<script>alert", "<img src=x", "onerror=alert(2)>"} {
			if bytes.Contains(r.body, []byte(bad)) {
				t.Errorf("%s as %s: %q reached the page unescaped", p.path, p.who, bad)
			}
		}
		if p.path != "/desk?q="+url.QueryEscape(script) && !bytes.Contains(r.body, []byte("&lt;script&gt;alert(1)&lt;/script&gt;")) {
			t.Errorf("%s as %s: the payload is not shown as text", p.path, p.who)
		}
	}
}
