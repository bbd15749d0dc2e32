package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"weiquan"
	"weiquan/seed"
)

// BenchmarkConsoleAndPublicPages measures the time the service takes to answer each page of
// the operator's and the consumer's paths over a store of 100,000 seeded
// cases (WEIQUAN_BENCH_PAGE_CASES overrides the number), one request at a
// time from one client over loopback, as a browser sends them. The target
// is p95 ≤ 150 ms for every page.
//
//	go test -run '^$' -bench BenchmarkConsoleAndPublicPages -benchtime 1x -timeout 30m ./cmd/weiquan
func BenchmarkConsoleAndPublicPages(b *testing.B) {
	stored := 100000
	if v, err := strconv.Atoi(os.Getenv("WEIQUAN_BENCH_PAGE_CASES")); err == nil && v > 0 {
		stored = v
	}
	const rounds = 200
	dir := b.TempDir()
	env := map[string]string{"WEIQUAN_ADDR": "127.0.0.1:0", "WEIQUAN_DATA_DIR": dir,
		"WEIQUAN_ADMIN_PASSWORD": "benchmark-password", "WEIQUAN_LOG_LEVEL": "info"}
	getenv := func(k string) string { return env[k] }

	// Seed the store directly (as `weiquan seed` does), then start the
	// service on it: the index is built from the store at start.
	cfg, _, err := loadConfig(getenv)
	if err != nil {
		b.Fatal(err)
	}
	a, err := openApp(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.bootstrap(context.Background()); err != nil {
		b.Fatal(err)
	}
	// The seeded cases owe no SMS: in a store of this size the messages of
	// old cases went out long ago. Seeded with their registration messages
	// owed, the service would start by working off 100,000 of them (at
	// night, postponing each: one write apiece) while the pages are timed,
	// and measure that backlog instead of the pages.
	owe := a.engine.Owe
	a.engine.Owe = nil
	gen := seed.New(3, seed.Options{Now: time.Now()})
	var mu sync.Mutex
	caller := ""
	t0 := time.Now()
	if _, _, _, err := load(8, stored, func(int) error {
		mu.Lock()
		d := gen.Next()
		mu.Unlock()
		cs, err := a.intake.RegisterAt(context.Background(), weiquan.Actor{UserID: "seed"}, d, d.CreatedAt)
		if err == nil && caller == "" && cs.Complainant.Phone != "" {
			mu.Lock()
			caller = cs.Complainant.Phone
			mu.Unlock()
		}
		return err
	}); err != nil {
		b.Fatal(err)
	}
	a.engine.Owe = owe
	a.close()
	b.Logf("seeded %d cases in %s", stored, time.Since(t0).Round(time.Second))

	stderr := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	t0 = time.Now()
	go func() { done <- Main(ctx, nil, getenv, strings.NewReader(""), io.Discard, stderr) }()
	defer func() { cancel(); <-done }()
	var base string
	for deadline := time.Now().Add(20 * time.Minute); base == ""; time.Sleep(50 * time.Millisecond) {
		if m := servingRE.FindStringSubmatch(stderr.String()); m != nil {
			base = "http://" + m[1]
		}
		if time.Now().After(deadline) {
			b.Fatalf("the service did not start: %s", stderr.String())
		}
	}
	b.Logf("started (index built from the store) in %s", time.Since(t0).Round(time.Second))
	// Right after the start the index follower re-reads what was written
	// in the last minutes before it (here: the whole seed) and follows new
	// writes only after that, so lists that wait for a person's own last
	// write wait their full bound meanwhile. Time the pages in the steady
	// state that follows.
	reconciled := regexp.MustCompile(`search index reconciled`)
	for !reconciled.MatchString(stderr.String()) {
		if time.Since(t0) > 20*time.Minute {
			b.Fatalf("the index did not reconcile: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Logf("index reconciled with the store %s after the start", time.Since(t0).Round(time.Second))

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(method, path string, form url.Values) (int, string, string) {
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, base+path, body)
		req.Header.Set("Accept", "text/html")
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(raw)
	}
	csrfRE := regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	keyRE := regexp.MustCompile(`name="form_key" value="([^"]+)"`)
	_, _, page := do("GET", "/login", nil)
	if st, _, _ := do("POST", "/login", url.Values{"_csrf": {csrfRE.FindStringSubmatch(page)[1]},
		"username": {"admin"}, "password": {"benchmark-password"}}); st != 303 {
		b.Fatalf("sign in: %d", st)
	}

	type result struct {
		page          string
		p50, p95, max time.Duration
	}
	var results []result
	measure := func(name string, prepare func(i int) (string, string, url.Values), want int) {
		lat := make([]time.Duration, rounds)
		for i := range rounds {
			method, path, form := prepare(i)
			start := time.Now()
			st, _, body := do(method, path, form)
			lat[i] = time.Since(start)
			if st != want {
				b.Fatalf("%s: %d, want %d: %.300s", name, st, want, body)
			}
		}
		slices.Sort(lat)
		results = append(results, result{name, lat[rounds/2], lat[rounds*95/100], lat[rounds-1]})
	}
	b.ResetTimer()
	callerPath := "/console?caller=" + url.QueryEscape(caller) + "&call_id=PBX-1"
	measure("GET /console?caller=… (history by phone)", func(int) (string, string, url.Values) {
		return "GET", callerPath, nil
	}, 200)
	var saved []string
	measure("POST /console (save, duplicate check)", func(i int) (string, string, url.Values) {
		_, _, page := do("GET", callerPath, nil)
		return "POST", "/console", url.Values{"_csrf": {csrfRE.FindStringSubmatch(page)[1]},
			"form_key": {keyRE.FindStringSubmatch(page)[1]}, "kind": {"complaint"}, "channel": {"12315"},
			"source.call_id": {"PBX-1"}, "complainant.name": {"张三"}, "complainant.phone": {caller},
			"respondent.name": {fmt.Sprintf("厦门某某商行%d", i)}, "respondent.address": {"厦门市思明区湖滨南路88号"},
			"subject.category": {"household_appliances"}, "subject.problem": {"quality"},
			"description": {"空调安装后漏水，商家拒绝退货。"}, "demands": {"refund"}}
	}, 303)
	// The same registration over the JSON API, for comparison: what the
	// write itself costs on this machine now.
	token, err := apiLogin(base, "admin", "benchmark-password")
	if err != nil {
		b.Fatal(err)
	}
	apiLat := make([]time.Duration, rounds)
	for i := range rounds {
		body := fmt.Sprintf(`{"kind":"complaint","channel":"12315","complainant":{"name":"张三","phone":%q},`+
			`"respondent":{"name":"泉州某某商行%d","address":"厦门市思明区湖滨南路88号"},`+
			`"subject":{"category":"household_appliances","problem":"quality"},"description":"空调漏水。","demands":["refund"]}`, caller, i)
		req, _ := http.NewRequest("POST", base+"/api/v1/cases", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		apiLat[i] = time.Since(start)
		if resp.StatusCode != 201 {
			b.Fatalf("API intake: %d", resp.StatusCode)
		}
	}
	slices.Sort(apiLat)
	results = append(results, result{"POST /api/v1/cases (API, for comparison)", apiLat[rounds/2], apiLat[rounds*95/100], apiLat[rounds-1]})
	_, _, page = do("GET", callerPath, nil)
	for _, m := range regexp.MustCompile(`href="/console/cases/(\d{14})"`).FindAllStringSubmatch(page, -1) {
		saved = append(saved, m[1])
	}
	if len(saved) == 0 {
		b.Fatal("no saved case in the caller's history")
	}
	measure("GET /console/cases/{id} (read-back)", func(i int) (string, string, url.Values) {
		return "GET", "/console/cases/" + saved[i%len(saved)], nil
	}, 200)
	for _, p := range []string{"/", "/complaint", "/track"} {
		measure("GET "+p, func(int) (string, string, url.Values) { return "GET", p, nil }, 200)
	}
	b.StopTimer()
	for _, r := range results {
		b.Logf("%-45s p50 %6.1f ms  p95 %6.1f ms  max %6.1f ms", r.page,
			float64(r.p50.Microseconds())/1000, float64(r.p95.Microseconds())/1000, float64(r.max.Microseconds())/1000)
		if r.p95 > 150*time.Millisecond {
			b.Errorf("%s: p95 %s over 150 ms", r.page, r.p95)
		}
	}
}
