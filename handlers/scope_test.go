package handlers_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// listResult is the list answer as the tests read it.
type listResult struct {
	Total int `json:"total"`
	Items []struct {
		ID string `json:"id"`
	} `json:"items"`
	Facets map[string][]struct {
		Value string `json:"value"`
		Count int    `json:"count"`
	} `json:"facets"`
}

func (l listResult) ids() []string {
	out := make([]string, len(l.Items))
	for i, it := range l.Items {
		out[i] = it.ID
	}
	return out
}

// TestListsShowOnlyWhatThePersonMaySee: a case is in an officer's lists,
// counts and facets when their unit holds it or held it, and in nobody
// else's; the unit= queue is the cases a unit holds now.
func TestListsShowOnlyWhatThePersonMaySee(t *testing.T) {
	f := newAuthzFixture(t)
	e := f.e
	// A second case, routed to 湖里 (amr-350206) and never anywhere else.
	body := validComplaint()
	body["respondent"].(map[string]any)["address"] = "厦门市湖里区金山街道100号"
	body["respondent"].(map[string]any)["uscc"] = ""
	body["respondent"].(map[string]any)["name"] = "厦门湖里某某商行"
	r := authzDo(t, e, "POST", "/api/v1/cases", f.tokens[whoOperator], body)
	if r.status != 201 {
		t.Fatalf("intake: %d %s", r.status, r.body)
	}
	var huli struct {
		ID     string `json:"id"`
		UnitID string `json:"unit_id"`
	}
	_ = json.Unmarshal(r.body, &huli)
	if huli.UnitID != "amr-350206" {
		t.Fatalf("second case went to %q: %s", huli.UnitID, r.body)
	}
	f.settle(t)

	list := func(t *testing.T, who string, params url.Values) listResult {
		t.Helper()
		r := authzDo(t, e, "GET", "/api/v1/cases?"+params.Encode(), f.tokens[who], nil)
		if r.status != 200 {
			t.Fatalf("list as %s: %d %s", who, r.status, r.body)
		}
		var l listResult
		if err := json.Unmarshal(r.body, &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	all := url.Values{}
	byText := url.Values{"q": {"空调"}}
	byPhone := url.Values{"phone": {"13800138000"}}
	tests := []struct {
		who      string
		params   url.Values
		sees     []string
		notSees  []string
		facetNot string // a unit that must not appear in the unit facet
	}{
		{whoOther, all, []string{huli.ID}, []string{f.caseID}, "amr-350205"},
		{whoOther, byText, []string{huli.ID}, []string{f.caseID}, "amr-350205"},
		{whoOther, byPhone, []string{huli.ID}, []string{f.caseID}, "amr-350205"},
		{whoSupOther, all, nil, []string{f.caseID, huli.ID}, "amr-350205"},
		{whoTokenOther, byPhone, []string{huli.ID}, []string{f.caseID}, "amr-350205"},
		{whoOwn, all, []string{f.caseID}, []string{huli.ID}, "amr-350206"},
		// Passed through: visible, read-only, but not in the unit's queue.
		{whoPassed, all, []string{f.caseID}, []string{huli.ID}, "amr-350206"},
		{whoPassed, url.Values{"unit": {"amr-350203"}}, nil, []string{f.caseID, huli.ID}, ""},
		{whoOwn, url.Values{"unit": {"amr-350205"}}, []string{f.caseID}, []string{huli.ID}, ""},
		// A unit filter does not widen the scope.
		{whoOther, url.Values{"unit": {"amr-350205"}}, nil, []string{f.caseID, huli.ID}, ""},
		{whoParent, all, []string{f.caseID, huli.ID}, nil, ""},
		{whoOperator, byPhone, []string{f.caseID, huli.ID}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.who+" "+tt.params.Encode(), func(t *testing.T) {
			l := list(t, tt.who, tt.params)
			got := l.ids()
			for _, id := range tt.sees {
				if !slices.Contains(got, id) {
					t.Errorf("does not see case %s; got %v", id, got)
				}
			}
			for _, id := range tt.notSees {
				if slices.Contains(got, id) {
					t.Errorf("sees case %s it may not; got %v", id, got)
				}
			}
			if l.Total != len(got) {
				t.Errorf("total %d, but %d items", l.Total, len(got))
			}
			for name, counts := range l.Facets {
				sum := 0
				for _, fc := range counts {
					sum += fc.Count
					if name == "unit" && tt.facetNot != "" && fc.Value == tt.facetNot {
						t.Errorf("unit facet counts %d cases of %s", fc.Count, tt.facetNot)
					}
				}
				if sum != l.Total {
					t.Errorf("facet %s counts %d cases, total is %d", name, sum, l.Total)
				}
			}
		})
	}

	t.Run("duplicate warnings", func(t *testing.T) {
		check := func(who string) []string {
			r := authzDo(t, e, "POST", "/api/v1/duplicates", f.tokens[who],
				map[string]string{"phone": "13800138000", "respondent_name": "厦门某某电器有限公司"})
			if r.status != 200 {
				t.Fatalf("duplicates as %s: %d %s", who, r.status, r.body)
			}
			var l listResult
			_ = json.Unmarshal(r.body, &l)
			return l.ids()
		}
		if got := check(whoOther); slices.Contains(got, f.caseID) {
			t.Errorf("an officer of another unit is warned of case %s: %v", f.caseID, got)
		}
		if got := check(whoOwn); !slices.Contains(got, f.caseID) {
			t.Errorf("the holding unit's officer is not warned of case %s: %v", f.caseID, got)
		}
	})
}

// TestRefusalsSayWhatIsMissing: every 403 of the access rule says in Chinese
// why, naming where the case is now.
func TestRefusalsSayWhatIsMissing(t *testing.T) {
	f := newAuthzFixture(t)
	tests := []struct {
		name, who, method, path string
		body                    func() any
		want                    []string
	}{
		{"officer of another unit reads", whoOther, "GET", "/api/v1/cases/{case}", nil,
			[]string{"不在您所属单位的管辖范围内", "海沧区市场监督管理局"}},
		{"supervisor of another city reads", whoSupOther, "GET", "/api/v1/cases/{case}/duplicates", nil,
			[]string{"不在您监督的单位范围内", "海沧区市场监督管理局"}},
		{"officer of a unit it passed through acts", whoPassed, "POST", "/api/v1/cases/{case}/actions/note",
			func() any { return map[string]any{"version": f.version(), "note": "补充说明"} },
			[]string{"海沧区市场监督管理局", "只能查看"}},
		{"officer of another unit acts", whoOther, "POST", "/api/v1/cases/{case}/actions/accept",
			func() any { return map[string]any{"version": f.version()} },
			[]string{"不在您所属单位的管辖范围内"}},
		{"routing explained for a case not theirs", whoOther, "POST", "/api/v1/routing/explain?case_id={case}", nil,
			[]string{"不在您所属单位的管辖范围内"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != nil {
				body = tt.body()
			}
			r := authzDo(t, f.e, tt.method, strings.ReplaceAll(tt.path, "{case}", f.caseID), f.tokens[tt.who], body)
			if r.status != 403 {
				t.Fatalf("got %d, want 403: %s", r.status, r.body)
			}
			m := errorOf(t, r)
			msg, _ := m["message"].(string)
			if m["code"] != "forbidden" {
				t.Errorf("code %v, want forbidden", m["code"])
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not say %q", msg, w)
				}
			}
		})
	}
	// What the refused officer may do: read it.
	if r := authzDo(t, f.e, "GET", "/api/v1/cases/"+f.caseID, f.tokens[whoPassed], nil); r.status != 200 {
		t.Errorf("officer of a unit it passed through reading it: %d %s", r.status, r.body)
	}
}

type limitCase struct {
	name, method, path, token string
	body                      any
	status                    int
	code, field               string
}

// TestRequestLimits: oversized bodies, pages and fields are refused in the
// one error shape, naming the field, before anything is done.
func TestRequestLimits(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	admin := e.newAdmin()
	long := func(n int) string { return strings.Repeat("长", n) }
	tests := []limitCase{
		{"page size over the cap", "GET", "/api/v1/cases?page_size=1000", op, nil, 422, "validation_failed", "page_size"},
		{"search text too long", "GET", "/api/v1/cases?q=" + url.QueryEscape(long(101)), op, nil, 422, "validation_failed", "q"},
		{"note too long", "POST", "/api/v1/cases/20200101999999/actions/note", op,
			map[string]any{"version": 1, "note": long(2001)}, 404, "not_found", ""}, // no such case: looked up first
		{"duplicate check name too long", "POST", "/api/v1/duplicates", op,
			map[string]any{"phone": "13800138000", "respondent_name": long(201)}, 422, "validation_failed", "respondent_name"},
		{"duplicate check phone too long", "POST", "/api/v1/duplicates", op,
			map[string]any{"phone": strings.Repeat("1", 41)}, 422, "validation_failed", "phone"},
		{"sign-in password too long", "POST", "/api/v1/auth/login", "",
			map[string]any{"username": "op1", "password": strings.Repeat("p", 1025)}, 422, "validation_failed", "password"},
		{"sign-in username too long", "POST", "/api/v1/auth/login", "",
			map[string]any{"username": strings.Repeat("u", 65), "password": "x"}, 422, "validation_failed", "username"},
		{"new user with too many units", "POST", "/api/v1/admin/users", admin,
			map[string]any{"username": "many", "password": testPassword, "role": "officer", "units": slices.Repeat([]string{"amr-350203"}, 51)},
			422, "validation_failed", "units"},
		{"account update with too many units", "PUT", "/api/v1/admin/users/u-off1", admin,
			map[string]any{"role": "officer", "units": slices.Repeat([]string{"amr-350203"}, 51)}, 422, "validation_failed", "units"},
		{"API token with too many units", "POST", "/api/v1/admin/tokens", admin,
			map[string]any{"name": "many", "role": "officer", "units": slices.Repeat([]string{"amr-350203"}, 51)}, 422, "validation_failed", "units"},
		{"routing explain of an oversized draft", "POST", "/api/v1/routing/explain", op,
			map[string]any{"kind": "complaint", "title": long(5000)}, 422, "validation_failed", "title"},
	}
	// A case to put a note on.
	r := e.do("POST", "/api/v1/cases", op, validComplaint())
	if r.status != 201 {
		t.Fatalf("intake: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	tests = append(tests, limitCase{"note too long on a real case", "POST", "/api/v1/cases/" + id + "/actions/note", op,
		map[string]any{"version": 1, "note": long(2001)}, 422, "validation_failed", "note"},
		limitCase{"assign with a unit id too long", "POST", "/api/v1/cases/" + id + "/actions/note", op,
			map[string]any{"version": 1, "note": "x", "unit_id": strings.Repeat("a", 65)}, 422, "validation_failed", "unit_id"})
	// fiber refuses an oversized body while reading it, before any handler:
	// app.Test reports that as its own error, so this one goes over a real
	// connection.
	t.Run("body over 1 MB", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = e.app.Listener(ln) }()
		defer ln.Close()
		// The server answers before the client has sent the whole body and
		// closes: write from a goroutine and ignore its error (a reset is
		// expected), and read the answer from the same connection.
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		go func() {
			body := strings.Repeat("x", 2<<20)
			_, _ = fmt.Fprintf(conn, "POST /api/v1/cases HTTP/1.1\r\nHost: weiquan\r\nContent-Type: application/json\r\n"+
				"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n%s", op, len(body), body)
		}()
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		r := response{status: resp.StatusCode, header: resp.Header, body: raw}
		if r.status != 413 {
			t.Fatalf("got %d, want 413: %.300s", r.status, raw)
		}
		if m := errorOf(t, r); m["code"] != "too_large" || !containsHan(m["message"].(string)) {
			t.Errorf("got %s, want code too_large with a Chinese message", raw)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := authzDo(t, e, tt.method, tt.path, tt.token, tt.body)
			if r.status != tt.status {
				t.Fatalf("got %d, want %d: %.300s", r.status, tt.status, r.body)
			}
			m := errorOf(t, r)
			if m["code"] != tt.code {
				t.Errorf("code %v, want %s", m["code"], tt.code)
			}
			if msg, _ := m["message"].(string); !containsHan(msg) {
				t.Errorf("message %q is not Chinese", msg)
			}
			if tt.field != "" {
				fields, _ := m["fields"].(map[string]any)
				if fields[tt.field] == nil {
					t.Errorf("fields %v do not name %s", fields, tt.field)
				}
			}
		})
	}
}

// TestNoListLeaksACaseOutOfScope scans every list, count and export the API
// has for the callers who may not see the fixture case: neither its number
// nor the unit holding it appears (no case of theirs is at that unit).
func TestNoListLeaksACaseOutOfScope(t *testing.T) {
	f := newAuthzFixture(t)
	paths := []string{
		"/api/v1/cases",
		"/api/v1/cases?facets=true&page_size=100",
		"/api/v1/cases?q=" + f.caseID,
		"/api/v1/cases?q=" + url.QueryEscape("空调 漏水"),
		"/api/v1/cases?phone=13800138000",
		"/api/v1/cases?unit=amr-350205",
		"/api/v1/cases?status=assigned&sort=deadline",
		"/api/v1/cases?overdue=true",
		"/api/v1/export.csv",
		"/api/v1/export.csv?unit=amr-350205",
		"/api/v1/stats/summary",
		"/api/v1/stats/trend",
		"/api/v1/stats/clusters",
		"/api/v1/notices",
	}
	for _, who := range []string{whoOther, whoSupOther, whoTokenOther} {
		for _, p := range paths {
			t.Run(who+" "+p, func(t *testing.T) {
				r := authzDo(t, f.e, "GET", p, f.tokens[who], nil)
				if r.status == 403 {
					return // the endpoint is not for this role at all
				}
				if r.status != 200 {
					t.Fatalf("got %d: %.300s", r.status, r.body)
				}
				for _, leak := range []string{f.caseID, "amr-350205"} {
					if strings.Contains(string(r.body), leak) {
						t.Errorf("the answer contains %s: %.500s", leak, r.body)
					}
				}
			})
		}
	}
}

// A unit's counts and the lists beside them are about the cases it holds
// now: the supervisor of a unit the case only passed through still finds
// it in searches (read-only), but does not count it as theirs.
func TestCountsAreOfCasesHeldNow(t *testing.T) {
	f := newAuthzFixture(t)
	total := func(who string) float64 {
		r := authzDo(t, f.e, "GET", "/api/v1/stats/summary", f.tokens[who], nil)
		if r.status != 200 {
			t.Fatalf("%s: stats %d: %.300s", who, r.status, r.body)
		}
		n, _ := r.json(t)["total"].(float64)
		return n
	}
	if got := total(whoParent); got < 1 {
		t.Errorf("the supervisor above the holding unit counts %v cases, want the fixture counted", got)
	}
	if got := total(whoSupPassed); got != 0 {
		t.Errorf("the supervisor of a unit the case passed through counts %v cases, want 0", got)
	}
	r := authzDo(t, f.e, "GET", "/api/v1/cases?q="+f.caseID, f.tokens[whoSupPassed], nil)
	if r.status != 200 || !strings.Contains(string(r.body), f.caseID) {
		t.Errorf("the passed-through supervisor no longer finds the case: %d %.300s", r.status, r.body)
	}
}
