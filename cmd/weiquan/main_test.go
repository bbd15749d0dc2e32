package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"weiquan"
)

// TestMain lets the crash test run this test binary as a real weiquan
// process that it can kill.
func TestMain(m *testing.M) {
	if os.Getenv("WEIQUAN_TEST_CHILD") == "1" {
		if err := Main(context.Background(), nil, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	stopBrowserHarness() // browser_harness_test.go
	os.Exit(code)
}

// syncBuffer is written by the program under test and read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var servingRE = regexp.MustCompile(`msg=serving addr=(\S+)`)

// waitFor polls out until re matches, or fails the test.
func waitFor(t *testing.T, out fmt.Stringer, re *regexp.Regexp, what string) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; output so far:\n%s", what, out.String())
	return nil
}

type client struct {
	t     testing.TB
	base  string
	token string
	http  *http.Client
}

func (c *client) do(method, path string, body any) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func (c *client) login(username, password string) {
	c.t.Helper()
	status, body := c.do("POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password})
	if status != 200 {
		c.t.Fatalf("login: %d %s", status, body)
	}
	var r struct{ Token string }
	if err := json.Unmarshal(body, &r); err != nil || r.Token == "" {
		c.t.Fatalf("login answer %s: %v", body, err)
	}
	c.token = r.Token
}

// complaint is the i-th call's complaint. Each names its own shop, so that
// many of them do not form a cluster (群体性投诉), whose flag would change
// the earlier cases after they were acknowledged.
func complaint(i int) map[string]any {
	return map[string]any{
		"kind": "complaint", "channel": "12315",
		"source":      map[string]any{"call_id": fmt.Sprintf("PBX-%d", i)},
		"complainant": map[string]any{"name": "李四", "phone": "13900139000"},
		"respondent":  map[string]any{"name": fmt.Sprintf("泉州某某服饰第%d分店", i), "address": "泉州市丰泽区东海街道100号"},
		"subject":     map[string]any{"category": "clothing", "problem": "quality", "product": "羽绒服", "amount_fen": 89900},
		"description": fmt.Sprintf("第%d号来电：羽绒服穿了一周就开线跑绒，商家不予退换。", i),
		"demands":     []string{"refund", "compensation"},
		"consent":     map[string]any{"sms": true, "mediation": true},
	}
}

func TestMainServesWithNoConfiguration(t *testing.T) {
	t.Chdir(t.TempDir())
	daytimeClock(t) // the local-log SMS goes out at once, whatever the hour of the run
	getenv := func(k string) string {
		if k == "WEIQUAN_ADDR" {
			return "127.0.0.1:0"
		}
		return ""
	}
	run := func() (stop func(), stdout, stderr *syncBuffer, base string) {
		stdout, stderr = &syncBuffer{}, &syncBuffer{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- Main(ctx, nil, getenv, strings.NewReader(""), stdout, stderr) }()
		m := waitFor(t, stderr, servingRE, "the service to listen")
		return stopMain(t, cancel, done), stdout, stderr, "http://" + m[1]
	}

	stop, stdout, stderr, base := run()
	pw := waitFor(t, stdout, regexp.MustCompile(`初始密码（只显示这一次，请登录后修改）：(\S+)`), "the admin password")[1]
	for _, s := range settings {
		if s.env == "WEIQUAN_ADDR" {
			continue
		}
		if n := strings.Count(stderr.String(), "setting="+s.env+" "); n != 1 {
			t.Errorf("default of %s logged %d times, want once", s.env, n)
		}
	}
	if strings.Contains(stderr.String(), pw) {
		t.Error("the admin password appears in the log")
	}

	c := &client{t: t, base: base, http: &http.Client{Timeout: 10 * time.Second}}
	if status, _ := c.do("GET", "/healthz", nil); status != 200 {
		t.Errorf("healthz: %d", status)
	}
	if status, _ := c.do("GET", "/readyz", nil); status != 200 {
		t.Errorf("readyz: %d", status)
	}
	c.login("admin", pw)
	status, created := c.do("POST", "/api/v1/cases", complaint(1))
	if status != 201 {
		t.Fatalf("intake: %d %s", status, created)
	}
	var cs struct {
		ID         string `json:"id"`
		Respondent struct {
			DivisionCode string `json:"division_code"`
		} `json:"respondent"`
	}
	if err := json.Unmarshal(created, &cs); err != nil || len(cs.ID) != 14 {
		t.Fatalf("case number in %s: %v", created, err)
	}
	if cs.Respondent.DivisionCode != "350503" {
		t.Errorf("丰泽区 address resolved to %q, want 350503", cs.Respondent.DivisionCode)
	}
	// The operator's own new case is in the list at once (read-your-writes).
	found := func(query string) bool {
		status, body := c.do("GET", "/api/v1/cases?"+query, nil)
		if status != 200 {
			t.Fatalf("search %s: %d %s", query, status, body)
		}
		return strings.Contains(string(body), `"id":"`+cs.ID+`"`)
	}
	if !found("q=%E7%BE%BD%E7%BB%92%E6%9C%8D") { // 羽绒服
		t.Error("the new case is not found by a word of its text")
	}
	if !found("phone=13900139000") {
		t.Error("the new case is not found by the complainant's phone")
	}
	// The case records the SMS it owes. With no Twilio account it goes to
	// the local log at once: the service's clock says it is a working
	// morning in Shanghai, out of the quiet hours.
	if !strings.Contains(string(created), `"template":"registered"`) {
		t.Errorf("the new case owes no registration SMS: %s", created)
	}
	{
		var sms struct {
			Items []struct {
				CaseID string `json:"case_id"`
				Body   string `json:"body"`
			} `json:"items"`
		}
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			status, body := c.do("GET", "/api/v1/admin/sms-log", nil)
			if status != 200 {
				t.Fatalf("sms log: %d %s", status, body)
			}
			_ = json.Unmarshal(body, &sms)
			if len(sms.Items) > 0 || time.Now().After(deadline) {
				break
			}
		}
		if len(sms.Items) == 0 || sms.Items[0].CaseID != cs.ID || !strings.Contains(sms.Items[0].Body, cs.ID) {
			t.Errorf("local SMS log: %+v, want a message about %s", sms.Items, cs.ID)
		}
	}
	if status, _ := c.do("POST", "/hooks/twilio/inbound", nil); status != 403 {
		t.Errorf("unsigned webhook: got %d, want 403", status)
	}
	stop()
	// A lost index is rebuilt from the store at the next start.
	if err := os.RemoveAll(filepath.Join("data", "index")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("data", "weiquan.sqlite")); err != nil {
		t.Errorf("embedded data not under ./data: %v", err)
	}

	// A second start keeps the data and the admin, and prints no new password.
	stop, stdout, _, base = run()
	defer stop()
	if strings.Contains(stdout.String(), "初始密码") {
		t.Error("a password was printed again on the second start")
	}
	c = &client{t: t, base: base, http: &http.Client{Timeout: 10 * time.Second}}
	c.login("admin", pw)
	status, got := c.do("GET", "/api/v1/cases/"+cs.ID, nil)
	if status != 200 || withoutMessages(t, got) != withoutMessages(t, created) {
		t.Errorf("after restart: %d\n got %s\nwant %s", status, got, created)
	}
	if !found("q=%E7%BE%BD%E7%BB%92%E6%9C%8D") {
		t.Error("after the index was lost and rebuilt, the case is not found")
	}
}

// TestCrashLosesNothingAcknowledged kills a real weiquan process with SIGKILL
// under concurrent intake; every case whose 201 reached a client must be there
// after a restart, exactly as acknowledged.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	const password = "crash-test-password"
	start := func() (*exec.Cmd, string) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "WEIQUAN_TEST_CHILD=1", "WEIQUAN_ADDR=127.0.0.1:0",
			"WEIQUAN_DATA_DIR="+dir, "WEIQUAN_ADMIN_PASSWORD="+password)
		stderr := &syncBuffer{}
		cmd.Stderr = stderr
		cmd.Stdout = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		m := waitFor(t, stderr, servingRE, "the child to listen")
		return cmd, "http://" + m[1]
	}

	cmd, base := start()
	// One sign-in before the load: argon2id under -race is slow, and the
	// kill must land while cases are being written, not while signing in.
	c := &client{t: t, base: base, http: &http.Client{Timeout: 10 * time.Second}}
	c.login("admin", password)
	acked := map[string][]byte{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	stopClients := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stopClients:
					return
				default:
				}
				status, body := c.do("POST", "/api/v1/cases", complaint(w*100000+i))
				if status == 0 {
					return // the process is gone
				}
				if status == 201 {
					var r struct{ ID string }
					if err := json.Unmarshal(body, &r); err == nil {
						mu.Lock()
						acked[r.ID] = body
						mu.Unlock()
					}
				}
			}
		}(w)
	}
	// Kill once enough cases are acknowledged that the test means something,
	// with writes still in flight.
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 100 {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(stopClients)
	wg.Wait()
	if len(acked) < 20 {
		t.Fatalf("only %d cases acknowledged before the kill; the test proves nothing", len(acked))
	}

	cmd, base = start()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	c = &client{t: t, base: base, http: &http.Client{Timeout: 10 * time.Second}}
	c.login("admin", password)
	for id, want := range acked {
		status, got := c.do("GET", "/api/v1/cases/"+id, nil)
		if status != 200 || withoutMessages(t, got) != withoutMessages(t, want) {
			t.Errorf("case %s after the crash: %d\n got %s\nwant %s", id, status, got, want)
		}
	}
	// The index caught up too: every acknowledged case is listed, at the
	// version the store holds (the reconcile pass finds what the kill kept
	// from the index).
	listed := map[string]float64{}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		clear(listed)
		cursor := ""
		for {
			status, body := c.do("GET", "/api/v1/cases?facets=false&page_size=100&sort=created&cursor="+cursor, nil)
			if status != 200 {
				t.Fatalf("list: %d %s", status, body)
			}
			var page struct {
				Items []struct {
					ID      string  `json:"id"`
					Version float64 `json:"version"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			if err := json.Unmarshal(body, &page); err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				listed[it.ID] = it.Version
			}
			if page.NextCursor == "" || len(page.Items) == 0 {
				break
			}
			cursor = url.QueryEscape(page.NextCursor)
		}
		missing := 0
		for id := range acked {
			if _, ok := listed[id]; !ok {
				missing++
			}
		}
		if missing == 0 {
			break
		}
	}
	for id, want := range acked {
		var c struct{ Version float64 }
		_ = json.Unmarshal(want, &c)
		if v, ok := listed[id]; !ok || v != c.Version {
			t.Errorf("case %s: index has version %v (listed %v), store has %v", id, v, ok, c.Version)
		}
	}

	// Numbering carries on after the crash without reusing a number.
	status, body := c.do("POST", "/api/v1/cases", complaint(-1))
	var r struct{ ID string }
	if status != 201 || json.Unmarshal(body, &r) != nil {
		t.Fatalf("intake after restart: %d %s", status, body)
	}
	if _, reused := acked[r.ID]; reused {
		t.Errorf("case number %s was given out again after the crash", r.ID)
	}
	t.Logf("%d acknowledged cases all survived SIGKILL", len(acked))
}

func TestSubcommands(t *testing.T) {
	dir := t.TempDir()
	getenv := func(k string) string {
		switch k {
		case "WEIQUAN_DATA_DIR":
			return dir
		case "WEIQUAN_ADMIN_PASSWORD":
			return "admin-password-1"
		case "WEIQUAN_ADDR":
			return "127.0.0.1:0"
		}
		return ""
	}
	run := func(stdin string, args ...string) (string, error) {
		var out, errOut syncBuffer
		err := Main(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut)
		return out.String() + errOut.String(), err
	}
	tests := []struct {
		name    string
		stdin   string
		args    []string
		wantErr string
		wantOut string
	}{
		{"add officer", "officer-password-1\n", []string{"user", "add", "--username", "wang", "--role", "officer", "--unit", "amr-350203", "--password-stdin"}, "", "created user wang"},
		{"same name again", "officer-password-1\n", []string{"user", "add", "--username", "wang", "--role", "operator", "--password-stdin"}, "用户名已存在", ""},
		{"password not from stdin", "", []string{"user", "add", "--username", "li", "--role", "operator"}, "--password-stdin is required", ""},
		{"unknown role", "officer-password-1\n", []string{"user", "add", "--username", "li", "--role", "boss", "--password-stdin"}, "role", ""},
		{"officer without unit", "officer-password-1\n", []string{"user", "add", "--username", "li", "--role", "officer", "--password-stdin"}, "units", ""},
		{"unknown unit", "officer-password-1\n", []string{"user", "add", "--username", "li", "--role", "officer", "--unit", "amr-999999", "--password-stdin"}, "amr-999999", ""},
		{"short password", "short\n", []string{"user", "add", "--username", "li", "--role", "operator", "--password-stdin"}, "password", ""},
		{"seed", "", []string{"seed", "--cases", "40", "--seed", "3"}, "", "seeded 40 cases"},
		{"unknown command", "", []string{"frobnicate"}, "unknown command", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(tt.stdin, tt.args...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v\n%s", err, out)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("output %q lacks %q", out, tt.wantOut)
			}
		})
	}

	// The officer added on the command line can sign in to the service.
	stderr := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Main(ctx, nil, getenv, strings.NewReader(""), io.Discard, stderr) }()
	defer func() { cancel(); <-done }()
	base := "http://" + waitFor(t, stderr, servingRE, "the service to listen")[1]
	c := &client{t: t, base: base, http: &http.Client{Timeout: 10 * time.Second}}
	c.login("wang", "officer-password-1")
	if status, body := c.do("GET", "/api/v1/units", nil); status != 200 {
		t.Errorf("officer reading units: %d %s", status, body)
	}
}

func TestConfigErrorsNameEveryBadSetting(t *testing.T) {
	bad := map[string]string{
		"WEIQUAN_MONGO_URI":       "postgres://x",
		"WEIQUAN_LOG_FORMAT":      "xml",
		"WEIQUAN_SESSION_IDLE":    "soon",
		"WEIQUAN_ADMIN_PASSWORD":  "short",
		"WEIQUAN_PUBLIC_URL":      "ftp://x",
		"WEIQUAN_REQUEST_TIMEOUT": "-1s",
		"WEIQUAN_TRUSTED_PROXIES": "10.0.0.1,proxy.example",
	}
	_, _, err := loadConfig(func(k string) string { return bad[k] })
	if err == nil {
		t.Fatal("got no error")
	}
	for k := range bad {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error does not name %s: %v", k, err)
		}
	}
	if strings.Contains(err.Error(), "short") {
		t.Error("the error shows the admin password")
	}
}

func TestREADMEDocumentsEverySetting(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range settings {
		if !strings.Contains(string(raw), "`"+s.env+"`") {
			t.Errorf("README.md does not document %s", s.env)
		}
	}
}

// TestAdministratorFiles loads a new deadline policy, a holiday file and a
// routing rules file from configuration, without a code change.
func TestAdministratorFiles(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("../../workflow/policies/order20-2022.json")
	if err != nil {
		t.Fatal(err)
	}
	policy := strings.Replace(strings.Replace(string(raw), `"order20-2022"`, `"order121-2026"`, 1), `"accept_days": 7`, `"accept_days": 10`, 1)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	policyFile := write("order121.json", policy)
	calFile := write("2030.txt", "year 2030\noff 2030-01-01 元旦\n")
	env := map[string]string{
		"WEIQUAN_DATA_DIR": filepath.Join(dir, "data"), "WEIQUAN_POLICY_FILES": policyFile,
		"WEIQUAN_DEFAULT_POLICY": "order121-2026", "WEIQUAN_CALENDAR_FILES": calFile,
	}
	cfg, _, err := loadConfig(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := openApp(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)
	draft := weiquan.Case{Kind: weiquan.KindComplaint, Channel: weiquan.Channel12315,
		Complainant: weiquan.Complainant{Name: "王五", Phone: "13700137000"},
		Respondent:  weiquan.Respondent{Name: "厦门某某电器有限公司", DivisionCode: "350203"},
		Subject:     weiquan.Subject{Category: "household_appliances", Problem: "quality"},
		Description: "空调漏水", Demands: []string{"refund"}}
	c, err := a.intake.RegisterAt(context.Background(), weiquan.Actor{UserID: "u-admin", Role: weiquan.RoleAdmin}, draft, at)
	if err != nil {
		t.Fatal(err)
	}
	if c.Policy != "order121-2026" || c.Deadlines.AcceptBy == nil ||
		c.Deadlines.AcceptBy.Format("2006-01-02") != "2026-12-10" { // 10 working days, not 7
		t.Errorf("got policy %q accept_by %v", c.Policy, c.Deadlines.AcceptBy)
	}

	// A broken file stops the start with a message naming it.
	env["WEIQUAN_RULES_FILE"] = write("bad.rules", "rule x: nonsense -> track=agency\n")
	cfg, _, _ = loadConfig(func(k string) string { return env[k] })
	a.close()
	if _, err := openApp(context.Background(), cfg, log); err == nil || !strings.Contains(err.Error(), "bad.rules") {
		t.Errorf("bad rules file: got %v", err)
	}
}

// withoutMessages drops the SMS of a case's JSON: their delivery status
// moves on by itself after the case is acknowledged.
func withoutMessages(t *testing.T, raw []byte) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("case JSON: %v", err)
	}
	delete(m, "messages")
	out, _ := json.Marshal(m)
	return string(out)
}
