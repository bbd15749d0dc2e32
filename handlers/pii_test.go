package handlers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"weiquan"
	"weiquan/notifications/twiliofake"
	"weiquan/workflow"
)

// testKeys seal ID numbers in the handlers' tests.
var testKeys = func() *weiquan.KeyRing {
	k, err := weiquan.ParseKeyRing("t1:" + base64.StdEncoding.EncodeToString([]byte("handlers-test-key-32-bytes-long!")))
	if err != nil {
		panic(err)
	}
	return k
}()

// syncBuffer is a log destination tests can read while handlers write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// logger logs everything, debug included (the access log is debug), to b.
func (b *syncBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Personal data the tests use, in every form it could be written. Tests
// that use other numbers add them with registerPII.
const (
	piiPhone    = "13800138000"
	piiIDNumber = "350203199001010018" // a valid GB 11643 number
)

var (
	piiMu     sync.Mutex
	piiValues = map[string]bool{piiPhone: true, piiIDNumber: true}
)

// registerPII adds full phone or ID numbers (as digits, an ID number with
// its X) that assertNoFullPII must never find.
func registerPII(values ...string) {
	piiMu.Lock()
	defer piiMu.Unlock()
	for _, v := range values {
		piiValues[strings.ToUpper(v)] = true
	}
}

// digitRun is a run of digits as people write numbers: grouped by spaces or
// dashes, in full width, an ID number's X at the end.
var digitRun = regexp.MustCompile(`[0-9０-９][0-9０-９ \-－]*[0-9０-９XxＸｘ]`)

// assertNoFullPII fails the test when body contains a registered full phone
// or ID number in any grouping (138 0013 8000, +86 138-0013-8000,
// full-width digits); masked forms (138****8000) pass. where names the
// output in the failure.
func assertNoFullPII(t *testing.T, where string, body []byte) {
	t.Helper()
	if excerpt, ok := fullPIIIn(body); ok {
		t.Errorf("%s shows a full phone or ID number: …%s…", where, excerpt)
	}
}

// fullPIIIn finds a registered number in body and returns the text around
// it.
func fullPIIIn(body []byte) (string, bool) {
	piiMu.Lock()
	values := make([]string, 0, len(piiValues))
	for v := range piiValues {
		values = append(values, v)
	}
	piiMu.Unlock()
	for _, loc := range digitRun.FindAllIndex(body, -1) {
		d := weiquan.NormalizeIDNumber(strings.ReplaceAll(string(body[loc[0]:loc[1]]), "－", ""))
		for _, v := range values {
			if strings.Contains(d, v) {
				from, to := max(0, loc[0]-80), min(len(body), loc[1]+80)
				return string(body[from:to]), true
			}
		}
	}
	return "", false
}

func TestAssertNoFullPII(t *testing.T) {
	for _, tc := range []struct {
		body string
		leak bool
	}{
		{`{"phone":"138****8000","id_number_masked":"3502**********0018"}`, false},
		{`{"phone":"13800138000"}`, true},
		{`回电 138 0013 8000`, true},
		{`+86 138-0013-8000`, true},
		{`１３８００１３８０００`, true},
		{`身份证350203199001010018`, true},
		{`订单 20261126000123`, false},
	} {
		if _, leak := fullPIIIn([]byte(tc.body)); leak != tc.leak {
			t.Errorf("%q: found=%v, want %v", tc.body, leak, tc.leak)
		}
	}
}

// piiComplaint is a complaint that carries every kind of personal data, in
// fields and typed into free text.
func piiComplaint() map[string]any {
	c := validComplaint()
	c["complainant"].(map[string]any)["id_number"] = "350203 19900101 0018"
	c["description"] = "10月1日购买的空调漏水，商家拒绝退货。请回电 138 0013 8000，身份证号350203199001010018。"
	return c
}

// TestNoFullPIIInOutputs scans every staff output that exists: the intake
// answer, the case, action answers, lists and searches, duplicates, routing
// explanations, the SMS log, the audit trail, error answers, and every log
// line written meanwhile (the handlers' logger and slog's default).
func TestNoFullPIIInOutputs(t *testing.T) {
	defaultLogs := &syncBuffer{}
	prev := slog.Default()
	slog.SetDefault(defaultLogs.logger())
	t.Cleanup(func() { slog.SetDefault(prev) })

	e := newEnv(t)
	op := e.login("op1")
	admin := e.newAdmin()
	seen := map[string][]byte{}
	check := func(where string, r response, want int) map[string]any {
		t.Helper()
		if r.status != want {
			t.Fatalf("%s: %d %s", where, r.status, r.body)
		}
		seen[where] = r.body
		assertNoFullPII(t, where, r.body)
		var m map[string]any
		_ = json.Unmarshal(r.body, &m)
		return m
	}

	created := check("intake 201", e.do("POST", "/api/v1/cases", op, piiComplaint()), 201)
	id, _ := created["id"].(string)
	cp := created["complainant"].(map[string]any)
	if cp["phone"] != "138****8000" || cp["id_number_masked"] != "3502**********0018" || cp["id_number"] != nil {
		t.Fatalf("intake answer complainant: %v", cp)
	}
	if d, _ := created["description"].(string); !regexp.MustCompile(`138\*+8000`).MatchString(d) || !strings.Contains(d, "3502**********0018") {
		t.Errorf("description not masked: %q", d)
	}
	got := e.do("GET", "/api/v1/cases/"+id, op, nil)
	check("case GET", got, 200)
	if !bytes.Equal(got.body, seen["intake 201"]) {
		t.Errorf("GET and the intake answer differ:\n%s\n%s", got.body, seen["intake 201"])
	}
	// The store and the index hold no clear ID number either.
	doc, err := e.store.CaseDocument(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(doc, piiIDNumber) || !strings.Contains(doc, "id_number_sealed") {
		t.Errorf("stored case: %s", doc)
	}

	off := e.login("off1") // 思明区, where the respondent is
	version := int64(created["version"].(float64))
	check("action answer", e.do("POST", "/api/v1/cases/"+id+"/actions/accept", off, map[string]any{"version": version}), 200)
	for _, q := range []string{"", "?q=空调", "?q=" + piiPhone, "?phone=" + piiPhone, "?q=350203199001010018", "?sort=created&page_size=5"} {
		check("list "+q, e.do("GET", "/api/v1/cases"+q, op, nil), 200)
		check("officer list "+q, e.do("GET", "/api/v1/cases"+q, off, nil), 200)
	}
	check("duplicates of a draft", e.do("POST", "/api/v1/duplicates", op,
		map[string]string{"phone": piiPhone, "respondent_name": "厦门某某电器有限公司"}), 200)
	check("duplicates of a case", e.do("GET", "/api/v1/cases/"+id+"/duplicates", op, nil), 200)
	check("routing explanation", e.do("POST", "/api/v1/routing/explain?case_id="+id, op, nil), 200)
	check("bad ID number", e.do("POST", "/api/v1/cases", op, func() map[string]any {
		c := piiComplaint()
		c["complainant"].(map[string]any)["id_number"] = "350203199001010017"
		return c
	}()), 422)

	// An SMS to the complainant, as the local-log sender records it.
	if _, err := e.store.AppendSMSLog(context.Background(), id,
		weiquan.Message{Seq: 1, Template: "registered", To: "+86" + piiPhone, Body: "您的投诉已登记"}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	smsLog := check("SMS log", e.do("GET", "/api/v1/admin/sms-log", admin, nil), 200)
	if items, _ := smsLog["items"].([]any); len(items) != 1 || items[0].(map[string]any)["to"] != "+86138****8000" {
		t.Errorf("SMS log: %v", smsLog)
	}
	check("audit trail", e.do("GET", "/api/v1/admin/audit?case="+id, admin, nil), 200)

	// The full view has it all, and the logs still have none of it.
	full := e.do("GET", "/api/v1/cases/"+id+"?full=true", op, nil)
	if full.status != 200 || !bytes.Contains(full.body, []byte(`"id_number":"`+piiIDNumber+`"`)) ||
		!bytes.Contains(full.body, []byte(`"phone":"`+piiPhone+`"`)) {
		t.Fatalf("full view: %d %s", full.status, full.body)
	}
	assertNoFullPII(t, "handlers' log", e.logs.Bytes())
	assertNoFullPII(t, "default log", defaultLogs.Bytes())
	if len(e.logs.Bytes()) == 0 {
		t.Error("the handlers logged nothing: the log scan proves nothing")
	}
}

// auditEntries lists the trail of a case through the API, as an
// administrator reads it.
func auditEntries(t *testing.T, e *env, admin, caseID string) []weiquan.AuditEntry {
	t.Helper()
	r := e.do("GET", "/api/v1/admin/audit?case="+caseID+"&page_size=200", admin, nil)
	if r.status != 200 {
		t.Fatalf("audit trail: %d %s", r.status, r.body)
	}
	var page weiquan.AuditPage
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	return page.Items
}

func countAction(entries []weiquan.AuditEntry, action string) int {
	n := 0
	for _, x := range entries {
		if x.Action == action {
			n++
		}
	}
	return n
}

func TestFullViewIsAudited(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	admin := e.newAdmin()
	r := e.do("POST", "/api/v1/cases", op, piiComplaint())
	if r.status != 201 {
		t.Fatalf("intake: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	before := auditEntries(t, e, admin, id)
	if countAction(before, weiquan.AuditCaseCreated) != 1 || countAction(before, weiquan.AuditReadPII) != 0 {
		t.Fatalf("trail after intake: %+v", before)
	}
	// A masked read is not recorded; a full one is, exactly once.
	e.do("GET", "/api/v1/cases/"+id, op, nil)
	full := e.do("GET", "/api/v1/cases/"+id+"?full=true", op, nil)
	if full.status != 200 {
		t.Fatalf("full view: %d %s", full.status, full.body)
	}
	if cc := full.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("full view Cache-Control %q", cc)
	}
	after := auditEntries(t, e, admin, id)
	if n := countAction(after, weiquan.AuditReadPII); n != 1 || len(after) != len(before)+1 {
		t.Fatalf("after one full read: %d read_pii entries, %d → %d entries", n, len(before), len(after))
	}
	read := after[0] // newest first
	if read.Action != weiquan.AuditReadPII || read.Role != weiquan.RoleOperator || read.ActorID == "" ||
		read.Address == "" || read.CaseID != id || !strings.Contains(read.Detail, "身份证号") {
		t.Errorf("read entry %+v", read)
	}
	assertNoFullPII(t, "audit entry", []byte(read.Detail))

	// Refusals: with the reason, and no entry.
	for _, tc := range []struct {
		who, token string
		want       int
		says       string
	}{
		{"admin", admin, 403, "管理员"},
		{"officer of another unit", e.login("off2"), 403, ""},
	} {
		r := e.do("GET", "/api/v1/cases/"+id+"?full=true", tc.token, nil)
		if r.status != tc.want || !strings.Contains(string(r.body), tc.says) {
			t.Errorf("%s: %d %s", tc.who, r.status, r.body)
		}
		assertNoFullPII(t, tc.who, r.body)
	}
	if bad := e.do("GET", "/api/v1/cases/"+id+"?full=yes", op, nil); bad.status != 422 {
		t.Errorf("full=yes: %d", bad.status)
	}
	if n := countAction(auditEntries(t, e, admin, id), weiquan.AuditReadPII); n != 1 {
		t.Errorf("refused reads were recorded: %d read_pii entries", n)
	}

	// The trail by user answers the same entry.
	r = e.do("GET", "/api/v1/admin/audit?user="+read.ActorID+"&page_size=1", admin, nil)
	var page weiquan.AuditPage
	_ = json.Unmarshal(r.body, &page)
	if r.status != 200 || len(page.Items) != 1 || page.Items[0].ID != read.ID || page.Next == 0 {
		t.Errorf("by user: %d %s", r.status, r.body)
	}
	for _, bad := range []string{"", "?case=123", "?case=" + id + "&page_size=0", "?user=x&before=-1"} {
		if r := e.do("GET", "/api/v1/admin/audit"+bad, admin, nil); r.status != 422 {
			t.Errorf("audit%s: %d %s", bad, r.status, r.body)
		}
	}
}

// A report's complainant never reaches the respondent's side: here the
// dispatcher (wrongly, but the machine allows it) sends a report to an ODR
// enterprise, whose staff then see the case without the reporter.
func TestReporterHiddenFromRespondentSide(t *testing.T) {
	e := newEnv(t)
	units, err := workflow.DefaultUnits() // with the example ODR enterprises
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.UpsertUnits(context.Background(), units.All()); err != nil {
		t.Fatal(err)
	}
	accounts := &workflow.Accounts{Store: e.store, Now: e.clock.Now}
	for _, u := range []workflow.NewUser{
		{Username: "disp1", Password: testPassword, Role: weiquan.RoleSupervisor, UnitIDs: []string{"dispatch-350200"}},
		{Username: "odr1", Password: testPassword, Role: weiquan.RoleOfficer, UnitIDs: []string{"odr-xiamen-youxuan"}},
	} {
		if _, err := accounts.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	op := e.login("op1")
	report := piiComplaint()
	report["kind"] = "report"
	report["demands"] = []string{}
	report["complainant"].(map[string]any)["name"] = "李举报"
	report["title"] = "李举报反映商家销售假冒空调"
	r := e.do("POST", "/api/v1/cases", op, report)
	if r.status != 201 {
		t.Fatalf("intake: %d %s", r.status, r.body)
	}
	c := r.json(t)
	id := c["id"].(string)
	// 思明区's officer returns it to the dispatch centre, which assigns it.
	r = e.do("POST", "/api/v1/cases/"+id+"/actions/return", e.login("off1"),
		map[string]any{"version": c["version"], "reason": "请指挥中心重新分派"})
	if r.status != 200 {
		t.Fatalf("return: %d %s", r.status, r.body)
	}
	disp := e.login("disp1")
	r = e.do("POST", "/api/v1/cases/"+id+"/actions/assign", disp,
		map[string]any{"version": r.json(t)["version"], "unit_id": "odr-xiamen-youxuan", "note": "转企业核实"})
	if r.status != 200 {
		t.Skipf("the state machine does not let a report reach an ODR enterprise (%d %s): nothing to hide", r.status, r.body)
	}
	odr := e.login("odr1")
	got := e.do("GET", "/api/v1/cases/"+id, odr, nil)
	if got.status != 200 {
		t.Fatalf("ODR officer reading the case: %d %s", got.status, got.body)
	}
	for _, leak := range []string{"李举报", "138****8000", "3502**********0018", "福州市鼓楼区五四路100号"} {
		if strings.Contains(string(got.body), leak) {
			t.Errorf("the respondent's side sees %q: %s", leak, got.body)
		}
	}
	if cp := got.json(t)["complainant"].(map[string]any); cp["withheld"] != true {
		t.Errorf("complainant %v", cp)
	}
	if full := e.do("GET", "/api/v1/cases/"+id+"?full=true", odr, nil); full.status != 403 {
		t.Errorf("ODR officer's full view: %d %s", full.status, full.body)
	}
	list := e.do("GET", "/api/v1/cases?sort=created", odr, nil)
	if list.status != 200 || !strings.Contains(string(list.body), id) || strings.Contains(string(list.body), "8000") ||
		strings.Contains(string(list.body), "李举报") {
		t.Errorf("ODR officer's list: %d %s", list.status, list.body)
	}
	// The agency still sees who reported.
	if own := e.do("GET", "/api/v1/cases/"+id, disp, nil); !strings.Contains(string(own.body), "李举报") {
		t.Errorf("the dispatcher lost the reporter: %s", own.body)
	}
}

// A complainant's SMS reply changes their case; the trail records it by
// channel, without the number.
func TestSMSReplyAudited(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	r := e.do("POST", "/api/v1/cases", op, validComplaint())
	if r.status != 201 {
		t.Fatalf("intake: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	form := url.Values{"From": {"+86" + piiPhone}, "To": {"+15005550006"}, "Body": {"商家今天联系我了"}, "MessageSid": {"SM0456"}}
	req := httptest.NewRequest("POST", "/hooks/twilio/inbound", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twiliofake.Sign(testTwilioToken, testPublicURL+"/hooks/twilio/inbound", form))
	resp, err := e.app.Test(req, -1)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("inbound: %v %v", resp, err)
	}
	resp.Body.Close()
	entries := auditEntries(t, e, e.newAdmin(), id)
	if len(entries) == 0 || entries[0].Action != "sms_reply" || entries[0].ActorID != "sms" {
		t.Fatalf("trail: %+v", entries)
	}
	raw, _ := json.Marshal(entries)
	assertNoFullPII(t, "audit trail", raw)
}
