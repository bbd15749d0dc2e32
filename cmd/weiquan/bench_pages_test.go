package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
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
	"weiquan/handlers"
	"weiquan/search"
	"weiquan/seed"
)

// BenchmarkPages measures the server time of every page a person opens —
// the operator console, the consumer pages, the officer desk and case page,
// the dashboard, the admin pages — on the embedded default holding
// WEIQUAN_BENCH_STAFF_CASES seeded cases (default 100,000), indexed through
// the bulk path (search.Rebuild from the store, as `weiquan reindex` and a
// first start do). Each page is asked for sequentially by one client (so
// the figure is the page's own cost, not queueing) and the p50/p95/p99 go to
// the benchmark's metrics and log. A page that does not exist (404) is
// reported as absent rather than failing the run.
//
//	go test -run '^$' -bench BenchmarkPages -benchtime 1x -timeout 90m ./cmd/weiquan
//
// WEIQUAN_BENCH_DIR keeps the data directory (store and index) between runs:
// a store that already holds the cases is not seeded again, an index that
// holds them all is not rebuilt. WEIQUAN_BENCH_PAGES measures only the pages
// whose name contains it; WEIQUAN_BENCH_PAGE_REQUESTS sets the requests per
// page (default 200).
func BenchmarkPages(b *testing.B) {
	n := 100_000
	if v := os.Getenv("WEIQUAN_BENCH_STAFF_CASES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("WEIQUAN_BENCH_STAFF_CASES=%q", v)
		}
	}
	requests := 200
	if v := os.Getenv("WEIQUAN_BENCH_PAGE_REQUESTS"); v != "" {
		requests, _ = strconv.Atoi(v)
	}
	dir := os.Getenv("WEIQUAN_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	ctx := context.Background()
	cfg, _, err := loadConfig(func(k string) string {
		switch k {
		case "WEIQUAN_DATA_DIR":
			return dir
		case "WEIQUAN_ADMIN_PASSWORD":
			return "benchmark-password"
		}
		return ""
	})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.close)
	if _, err := a.bootstrap(ctx); err != nil {
		b.Fatal(err)
	}

	// Seed the store (no index follows it: the index is built after, in bulk).
	have, err := a.store.CountCases(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if int(have) < n {
		start := time.Now()
		gen := seed.New(int64(have)+7, seed.Options{Now: time.Now()})
		var mu sync.Mutex
		if _, _, _, err := load(16, n-int(have), func(int) error {
			mu.Lock()
			d := gen.Next()
			mu.Unlock()
			_, err := a.intake.RegisterAt(ctx, weiquan.Actor{UserID: "seed"}, d, d.CreatedAt)
			return err
		}); err != nil {
			b.Fatal(err)
		}
		b.Logf("seeded %d cases in %s", n-int(have), time.Since(start).Round(time.Second))
	}
	start := time.Now()
	opts, err := a.searchOptions()
	if err != nil {
		b.Fatal(err)
	}
	// An index of a kept data directory is used when it holds every case;
	// otherwise it is built anew through the bulk path.
	ix, err := search.Open(a.indexDir(), opts)
	if err == nil {
		if docs, _ := ix.DocCount(); int(docs) < n {
			_ = ix.Close()
			ix, err = nil, search.ErrNeedsRebuild
		}
	}
	if err != nil {
		_ = os.RemoveAll(a.indexDir())
		if ix, err = a.rebuildIndex(ctx, opts, nil); err != nil {
			b.Fatal(err)
		}
		docs, _ := ix.DocCount()
		b.Logf("bulk index of %d cases built in %s", docs, time.Since(start).Round(time.Second))
	}
	b.Cleanup(func() { _ = ix.Close() })
	a.search = ix
	docs, _ := ix.DocCount()

	srv := handlers.New(handlers.Config{Logger: log, RequestTimeout: cfg.RequestTimeout}, a.deps())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Listener(ln) }()
	b.Cleanup(func() { _ = srv.Shutdown() })
	base := "http://" + ln.Addr().String()
	// The same service that never reuses the dashboard's counts, for the
	// "counts fresh" pages: what each count costs.
	fresh := handlers.New(handlers.Config{Logger: log, RequestTimeout: cfg.RequestTimeout, CountTTL: -1}, a.deps())
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = fresh.Listener(ln2) }()
	b.Cleanup(func() { _ = fresh.Shutdown() })
	freshBase := "http://" + ln2.Addr().String()

	// The people who open the pages.
	admin := &client{t: b, base: base, http: &http.Client{Timeout: 60 * time.Second}}
	admin.login("admin", "benchmark-password")
	users := map[string]string{"admin": admin.token}
	for _, u := range []struct{ name, role, unit string }{
		{"bench-op", "operator", ""}, {"bench-off", "officer", "amr-350203"}, {"bench-sup", "supervisor", "dispatch-350200"},
	} {
		body := map[string]any{"username": u.name, "password": "benchmark-password", "role": u.role, "units": []string{}}
		if u.unit != "" {
			body["units"] = []string{u.unit}
		}
		if status, raw := admin.do("POST", "/api/v1/admin/users", body); status != 201 && status != 409 {
			b.Fatalf("create %s: %d %s", u.name, status, raw)
		}
		c := &client{t: b, base: base, http: admin.http}
		c.login(u.name, "benchmark-password")
		users[u.role] = c.token
	}
	// A case of the officer's unit, and a caller with earlier cases.
	res, err := ix.Search(ctx, search.Query{UnitIDs: []string{"amr-350203"}, PageSize: 1, Sort: search.SortDeadline})
	if err != nil || len(res.Items) == 0 {
		b.Fatalf("no case of amr-350203 among the seeded ones: %v", err)
	}
	caseID := res.Items[0].ID
	cs, err := a.store.GetCase(ctx, caseID)
	if err != nil {
		b.Fatal(err)
	}
	caller := cs.Complainant.Phone

	// A "fresh" page is asked of the service that computes the dashboard's
	// counts for every request instead of reusing them (CountTTL -1).
	pages := []struct {
		name, who, path string
		fresh           bool
	}{
		{"console", "operator", "/console", false},
		{"console with caller", "operator", "/console?caller=" + url.QueryEscape(caller) + "&call_id=PBX-1", false},
		{"console case", "operator", "/console/cases/" + caseID, false},
		{"consumer home", "", "/", false},
		{"consumer complaint form", "", "/complaint", false},
		{"consumer report form", "", "/report", false},
		{"consumer track form", "", "/track", false},
		{"desk queue", "officer", "/desk", false},
		{"desk queue, overdue", "officer", "/desk?overdue=true", false},
		{"desk search", "officer", "/desk?q=" + url.QueryEscape("空调"), false},
		{"case page", "officer", "/desk/cases/" + caseID, false},
		{"dashboard (Xiamen dispatcher)", "supervisor", "/dashboard", false},
		{"dashboard (administrator, province)", "admin", "/dashboard", false},
		{"dashboard, 90 days", "supervisor", "/dashboard?days=90", false},
		{"dashboard (Xiamen dispatcher), counts fresh", "supervisor", "/dashboard", true},
		{"dashboard (administrator, province), counts fresh", "admin", "/dashboard", true},
		{"admin", "admin", "/admin", false},
		{"admin users", "admin", "/admin/users", false},
		{"admin tokens", "admin", "/admin/tokens", false},
		{"admin units", "admin", "/admin/units", false},
		{"admin rules", "admin", "/admin/rules", false},
		{"admin policies", "admin", "/admin/policies", false},
		{"admin SMS log", "admin", "/admin/sms", false},
	}
	hc := &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(who, path string) (int, error) {
		host := base
		if strings.HasPrefix(path, "fresh:") {
			host, path = freshBase, strings.TrimPrefix(path, "fresh:")
		}
		req, _ := http.NewRequest("GET", host+path, nil)
		req.Header.Set("Accept", "text/html")
		if tok := users[who]; tok != "" {
			req.AddCookie(&http.Cookie{Name: "weiquan_session", Value: tok})
		}
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	b.ResetTimer()
	type row struct {
		name          string
		p50, p95, p99 time.Duration
		status        int
	}
	var rows []row
	only := os.Getenv("WEIQUAN_BENCH_PAGES") // a part of a page's name: measure only those
	for _, p := range pages {
		if only != "" && !strings.Contains(p.name, only) {
			continue
		}
		path := p.path
		if p.fresh {
			path = "fresh:" + path
		}
		status, err := get(p.who, path) // warm: templates, caches, index pages
		if err != nil {
			b.Fatal(err)
		}
		if status == 404 {
			rows = append(rows, row{name: p.name, status: 404})
			continue
		}
		if status != 200 {
			b.Fatalf("%s (%s as %s): status %d", p.name, p.path, p.who, status)
		}
		lat := make([]time.Duration, requests)
		for i := range lat {
			t0 := time.Now()
			if _, err := get(p.who, path); err != nil {
				b.Fatal(err)
			}
			lat[i] = time.Since(t0)
		}
		slices.Sort(lat)
		r := row{name: p.name, status: 200, p50: lat[len(lat)/2], p95: lat[len(lat)*95/100], p99: lat[len(lat)*99/100]}
		rows = append(rows, r)
		b.ReportMetric(benchMS(r.p95), "p95-ms-"+benchMetricName(p.name))
	}
	b.StopTimer()
	b.Logf("%d cases, %d requests per page, one client:", docs, requests)
	b.Logf("| page | p50 | p95 | p99 |")
	for _, r := range rows {
		if r.status == 404 {
			b.Logf("| %s | (no such page) | | |", r.name)
			continue
		}
		b.Logf("| %s | %.1f ms | %.1f ms | %.1f ms |", r.name, benchMS(r.p50), benchMS(r.p95), benchMS(r.p99))
	}
}

func benchMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

var benchNonWord = regexp.MustCompile(`[^a-z0-9]+`)

func benchMetricName(s string) string {
	return strings.Trim(benchNonWord.ReplaceAllString(strings.ToLower(s), "-"), "-")
}
