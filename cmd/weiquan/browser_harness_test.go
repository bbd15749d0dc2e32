package main

// The browser harness: every browser test of every page area drives the
// same running weiquan (started once per package run with Main, on
// 127.0.0.1:0, with the embedded FerretDB and the local SMS log) from one
// shared headless Chromium, each test in its own tab and its own browser
// context (cookies are not shared between tests).
//
//	svc := sharedService(t)                       // the running service
//	user, pw := svc.newUser(t, weiquan.RoleOperator)
//	ctx := newTab(t, 1280, 900)                   // skips when chromium is absent
//	signIn(t, ctx, svc, user, pw)
//	browse(t, ctx, svc.Base+"/console")
//	screenshot(t, ctx, "console")
//
// Chromium missing: the tests skip with a message, unless
// WEIQUAN_BROWSER_TESTS=required (CI), when they fail.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"weiquan"
)

// browserTestsEnv set to "required" turns a missing Chromium into a failure.
const browserTestsEnv = "WEIQUAN_BROWSER_TESTS"

// chromiumPath is Debian's chromium; WEIQUAN_CHROMIUM overrides it.
func chromiumPath() string {
	if p := os.Getenv("WEIQUAN_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// liveAdminPassword is the bootstrap administrator's password of the shared
// service.
const liveAdminPassword = "browser-harness-admin-pw"

// liveService is the weiquan every browser test talks to.
type liveService struct {
	// Base is "http://127.0.0.1:port".
	Base string
	// AdminPassword signs in as "admin".
	AdminPassword string
	adminToken    string
	stderr        *syncBuffer
	stop          func()
}

var (
	liveOnce sync.Once
	live     *liveService
	liveErr  error

	browserOnce sync.Once
	browserCtx  context.Context
	browserErr  error
	browserStop func()

	harnessSeq atomic.Int64
	// harnessSkew moves the service's clock forward (advanceClock).
	harnessSkew atomic.Int64
)

// advanceClock moves the shared service's clock forward by d until the test
// ends: past a resend gap or a session's idle time without waiting for it.
func advanceClock(t testing.TB, d time.Duration) {
	harnessSkew.Add(int64(d))
	t.Cleanup(func() { harnessSkew.Add(-int64(d)) })
}

// sharedService starts weiquan the first time a test asks for it and gives
// every later caller the same one; it stops when the package's tests end
// (stopBrowserHarness, called from TestMain).
func sharedService(t testing.TB) *liveService {
	t.Helper()
	liveOnce.Do(func() { live, liveErr = startLiveService() })
	if liveErr != nil {
		t.Fatalf("start the shared service: %v", liveErr)
	}
	return live
}

func startLiveService() (*liveService, error) {
	dir, err := os.MkdirTemp("", "weiquan-browser-")
	if err != nil {
		return nil, err
	}
	env := map[string]string{
		"WEIQUAN_ADDR":           "127.0.0.1:0",
		"WEIQUAN_DATA_DIR":       filepath.Join(dir, "data"),
		"WEIQUAN_ADMIN_PASSWORD": liveAdminPassword,
	}
	// Every Main after this one reads the skewable clock; the skew is zero
	// except inside a test that called advanceClock.
	clock = func() time.Time { return time.Now().Add(time.Duration(harnessSkew.Load())) }
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, nil, func(k string) string { return env[k] }, strings.NewReader(""), stdout, stderr)
	}()
	s := &liveService{AdminPassword: liveAdminPassword, stderr: stderr}
	s.stop = func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
		_ = os.RemoveAll(dir)
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		if m := servingRE.FindStringSubmatch(stderr.String()); m != nil {
			s.Base = "http://" + m[1]
			break
		}
		select {
		case err := <-done:
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("weiquan exited before serving: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("weiquan did not start listening:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	token, err := apiLogin(s.Base, "admin", liveAdminPassword)
	if err != nil {
		s.stop()
		return nil, err
	}
	s.adminToken = token
	return s, nil
}

// apiLogin signs in over the API and returns the bearer token.
func apiLogin(base, username, password string) (string, error) {
	raw, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(string(raw)))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var r struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 || r.Token == "" {
		return "", fmt.Errorf("login %s: status %d, %v", username, resp.StatusCode, err)
	}
	return r.Token, nil
}

// stopBrowserHarness closes the shared browser and stops the shared service.
func stopBrowserHarness() {
	if browserStop != nil {
		browserStop()
	}
	if live != nil {
		live.stop()
	}
}

// api is a JSON client of the shared service signed in as the administrator.
func (s *liveService) api(t testing.TB) *client {
	return &client{t: t, base: s.Base, token: s.adminToken, http: &http.Client{Timeout: 20 * time.Second}}
}

// apiAs is a JSON client signed in as the given staff member.
func (s *liveService) apiAs(t testing.TB, username, password string) *client {
	t.Helper()
	c := &client{t: t, base: s.Base, http: &http.Client{Timeout: 20 * time.Second}}
	c.login(username, password)
	return c
}

// harnessPassword is the password of every user newUser creates.
const harnessPassword = "browser-test-pw-1"

// newUser creates a staff account with a unique name (through the admin API)
// and returns its name and password. Officers and supervisors need units,
// e.g. "amr-350203".
func (s *liveService) newUser(t testing.TB, role weiquan.Role, units ...string) (username, password string) {
	t.Helper()
	username = fmt.Sprintf("%s%d", role, harnessSeq.Add(1))
	if units == nil {
		units = []string{}
	}
	status, body := s.api(t).do("POST", "/api/v1/admin/users", map[string]any{
		"username": username, "password": harnessPassword, "role": role, "units": units})
	if status != 201 {
		t.Fatalf("create %s user %s: %d %s", role, username, status, body)
	}
	return username, harnessPassword
}

// smsEntry is one message of the local SMS log.
type smsEntry struct {
	Seq      int64  `json:"seq"`
	CaseID   string `json:"case_id"`
	Template string `json:"template"`
	To       string `json:"to"`
	Body     string `json:"body"`
}

func (s *liveService) smsLog(t testing.TB) []smsEntry {
	t.Helper()
	status, body := s.api(t).do("GET", "/api/v1/admin/sms-log?limit=500", nil)
	if status != 200 {
		t.Fatalf("sms log: %d %s", status, body)
	}
	var r struct {
		Items []smsEntry `json:"items"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("sms log %s: %v", body, err)
	}
	return r.Items
}

// smsMark is the highest sequence number in the SMS log now: pass it to
// waitSMS to see only messages sent after this point.
func (s *liveService) smsMark(t testing.TB) int64 {
	t.Helper()
	var max int64
	for _, m := range s.smsLog(t) {
		if m.Seq > max {
			max = m.Seq
		}
	}
	return max
}

// sentTo reports whether a log entry's recipient is phone, whether the log
// shows it in full (+8613800138000) or masked (138****8000).
func sentTo(to, phone string) bool {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, to)
	return strings.HasSuffix(digits, phone) || strings.Contains(to, weiquan.MaskPhone(phone))
}

// waitSMS waits (up to 20 s) for a message to phone logged after mark whose
// body matches match (nil: any), and returns it.
func (s *liveService) waitSMS(t testing.TB, phone string, mark int64, match func(smsEntry) bool) smsEntry {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, m := range s.smsLog(t) {
			if m.Seq > mark && sentTo(m.To, phone) && (match == nil || match(m)) {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no SMS to %s after #%d in the local log", weiquan.MaskPhone(phone), mark)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var otpRE = regexp.MustCompile(`(?:^|\D)(\d{6})(?:\D|$)`)

// waitCode waits for a one-time code sent to phone after mark and returns
// its six digits.
func (s *liveService) waitCode(t testing.TB, phone string, mark int64) string {
	t.Helper()
	m := s.waitSMS(t, phone, mark, func(m smsEntry) bool { return m.CaseID == "" && otpRE.MatchString(m.Body) })
	return otpRE.FindStringSubmatch(m.Body)[1]
}

// sharedBrowserCtx starts the one headless Chromium of the package run, or
// skips the test (fails it under WEIQUAN_BROWSER_TESTS=required) when there
// is none.
func sharedBrowserCtx(t testing.TB) context.Context {
	t.Helper()
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv(browserTestsEnv) == "required" {
			t.Fatalf("browser tests are required (%s=required) but Chromium is not at %s: %v", browserTestsEnv, path, err)
		}
		t.Skipf("browser test skipped: Chromium not found at %s (apt-get install chromium; %s=required makes this a failure)", path, browserTestsEnv)
	}
	browserOnce.Do(func() {
		dir, err := os.MkdirTemp("", "weiquan-chromium-")
		if err != nil {
			browserErr = err
			return
		}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
			chromedp.ExecPath(path),
			chromedp.Flag("headless", true),
			chromedp.Flag("no-sandbox", true),
			chromedp.Flag("disable-gpu", true),
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("no-first-run", true),
			chromedp.Flag("no-default-browser-check", true),
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.Flag("disable-dev-shm-usage", true),
			chromedp.Flag("lang", "zh-CN"),
			chromedp.UserDataDir(dir),
		)
		bctx, cancelBrowser := chromedp.NewContext(allocCtx)
		browserStop = func() {
			cancelBrowser()
			cancelAlloc()
			_ = os.RemoveAll(dir)
		}
		// The first run starts the browser and binds it to the context it
		// is given, so it gets bctx itself, not one with a timeout.
		if err := chromedp.Do(bctx); err != nil {
			browserErr = fmt.Errorf("start %s: %w", path, err)
			return
		}
		browserCtx = bctx
	})
	if browserErr != nil {
		t.Fatalf("headless Chromium: %v", browserErr)
	}
	return browserCtx
}

// newTab opens a tab of the shared browser in a fresh browser context (no
// cookies from other tests) with a width×height viewport; it closes when the
// test ends. Every action on it is bounded by 90 s.
func newTab(t *testing.T, width, height int64) context.Context {
	t.Helper()
	parent := sharedBrowserCtx(t)
	tab, closeTab := chromedp.NewContext(parent, chromedp.WithNewBrowserContext())
	ctx, cancel := context.WithTimeout(tab, 90*time.Second)
	t.Cleanup(func() {
		cancel()
		closeTab()
		if t.Failed() && live != nil {
			// The service's recent log lines say what went wrong on its side.
			out := live.stderr.String()
			if len(out) > 4000 {
				out = out[len(out)-4000:]
			}
			t.Logf("service log (tail):\n%s", out)
		}
	})
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	return ctx
}

// must runs browser steps and fails the test at the first error, naming what
// the steps were for.
func must(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// browse loads url and fails unless the page answered 200.
func browse(t testing.TB, ctx context.Context, url string) {
	t.Helper()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	if resp.Status != 200 {
		t.Fatalf("open %s: status %d", url, resp.Status)
	}
}

// submit clicks sel (a submit button or link) and waits for the page it
// leads to; it returns that page's response (after redirects).
func submit(t testing.TB, ctx context.Context, sel string) *network.Response {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("click %s and wait for the next page: %v", sel, err)
	}
	return resp
}

// text is the visible text of the first element matching sel (waiting for it
// to appear).
func text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// location is the URL the tab shows.
func location(t testing.TB, ctx context.Context) string {
	t.Helper()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatalf("location: %v", err)
	}
	return u
}

// signIn signs a staff member in through the login page and fails unless
// the browser leaves the login page (for the person's home page: /console,
// /desk, /dashboard or /admin by role).
func signIn(t testing.TB, ctx context.Context, svc *liveService, username, password string) {
	t.Helper()
	browse(t, ctx, svc.Base+"/login")
	must(t, ctx, "fill the login form",
		chromedp.SetValue(chromedp.ID("username"), username),
		chromedp.SetValue(chromedp.ID("password"), password))
	resp := submit(t, ctx, `form[action="/login"] button[type=submit]`)
	if strings.Contains(location(t, ctx), "/login") {
		t.Fatalf("sign in as %s: still on the login page (status %d)", username, resp.Status)
	}
}

// screenshot saves a full-page PNG named name.png under the test's artifact
// directory (kept with `go test -artifacts`, see README) and returns its path.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// watchDialogs records (and dismisses) every alert/confirm/prompt the tab
// opens from now on; the returned func lists their messages. An XSS payload
// that runs shows up here.
func watchDialogs(t testing.TB, ctx context.Context) func() []string {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	events := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			mu.Lock()
			seen = append(seen, ev.Message)
			mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// a11yProblems lists, for the page the tab shows, every visible form control
// without a label and a page wider than the viewport (sideways scrolling on
// a phone).
const a11yScript = `(() => {
  const out = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || el.type === "submit" || el.type === "button") continue;
    if (el.offsetParent === null) continue;
    const named = (el.labels && el.labels.length > 0) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!named) out.push("no label: " + (el.name || el.id || el.outerHTML.slice(0, 60)));
  }
  const w = document.documentElement.scrollWidth, vw = window.innerWidth;
  if (w > vw + 1) out.push("page " + w + "px wide in a " + vw + "px viewport");
  return out;
})()`

// assertAccessible fails for each form control without a label and for a
// page that scrolls sideways at the tab's viewport.
func assertAccessible(t testing.TB, ctx context.Context, where string) {
	t.Helper()
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](a11yScript))
	if err != nil {
		t.Fatalf("%s: accessibility check: %v", where, err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", where, p)
	}
}

// waitText waits (up to 15 s) until the first element matching sel contains
// want — for text a script fills in after a request — and returns the text.
func waitText(t testing.TB, ctx context.Context, sel, want string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`(() => { const el = document.querySelector(`+strconv.Quote(sel)+`); return el ? el.textContent : ""; })()`))
		if err == nil && strings.Contains(got, want) {
			return strings.TrimSpace(got)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never showed %q (last: %q, %v)", sel, want, got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
