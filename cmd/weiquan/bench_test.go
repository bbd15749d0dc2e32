package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
	"weiquan/handlers"
	"weiquan/seed"
)

// benchService runs the whole service on the embedded default in a temporary
// directory, as `go run ./cmd/weiquan` would.
func benchService(b *testing.B) (*app, string) {
	b.Helper()
	cfg, _, err := loadConfig(func(k string) string {
		switch k {
		case "WEIQUAN_DATA_DIR":
			return b.TempDir()
		case "WEIQUAN_ADMIN_PASSWORD":
			return "benchmark-password"
		case "WEIQUAN_LOG_LEVEL":
			return "warn"
		}
		return ""
	})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := openApp(context.Background(), cfg, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(a.close)
	if _, err := a.bootstrap(context.Background()); err != nil {
		b.Fatal(err)
	}
	srv := handlers.New(handlers.Config{Logger: log, RequestTimeout: cfg.RequestTimeout}, a.deps())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Listener(ln) }()
	b.Cleanup(func() { _ = srv.Shutdown() })
	return a, "http://" + ln.Addr().String()
}

// load runs total calls of fn from clients goroutines and returns the rate
// and the latency percentiles.
func load(clients, total int, fn func(i int) error) (rate float64, p50, p99 time.Duration, err error) {
	var next atomic.Int64
	lat := make([]time.Duration, total)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				t0 := time.Now()
				if err := fn(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if e, ok := firstErr.Load().(error); ok {
		return 0, 0, 0, e
	}
	slices.Sort(lat)
	return float64(total) / elapsed.Seconds(), lat[total/2], lat[total*99/100], nil
}

// BenchmarkIntake measures HTTP intake with 16 concurrent clients on the
// embedded default, then the raw driver InsertOne of the same document
// against the same database, so the two rates are comparable.
func BenchmarkIntake(b *testing.B) {
	const clients, total = 16, 4000
	a, base := benchService(b)
	c := &client{t: b, base: base, http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: clients}}}
	c.login("admin", "benchmark-password")
	gen := seed.New(1, seed.Options{Now: time.Now()})
	bodies := make([][]byte, total)
	for i := range bodies {
		d := gen.Next()
		raw, err := json.Marshal(intakeBody(d))
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = raw
	}
	var sample atomic.Value
	b.ResetTimer()
	rate, p50, p99, err := load(clients, total, func(i int) error {
		req, _ := http.NewRequest("POST", base+"/api/v1/cases", bytesReader(bodies[i]))
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.http.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 201 {
			return fmt.Errorf("intake: %d %s", resp.StatusCode, raw)
		}
		sample.CompareAndSwap(nil, raw)
		return nil
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(rate, "cases/s")
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")

	// The same stored document, inserted with the raw driver under fresh ids.
	var doc weiquan.Case
	if err := json.Unmarshal(sample.Load().([]byte), &doc); err != nil {
		b.Fatal(err)
	}
	cl, err := mongo.Connect(options.Client().ApplyURI(a.server.URI()))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Disconnect(context.Background())
	coll := cl.Database(a.cfg.MongoDB).Collection("raw_cases")
	rawRate, _, rawP99, err := load(clients, total, func(i int) error {
		d := doc
		d.ID = fmt.Sprintf("R%013d", i)
		_, err := coll.InsertOne(context.Background(), d)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(rawRate, "raw-inserts/s")
	b.ReportMetric(float64(rawP99.Microseconds())/1000, "raw-p99-ms")
	b.ReportMetric(rate/rawRate, "intake/raw")
}

// BenchmarkGetCase measures GET /api/v1/cases/{id} with 50,000 cases stored.
func BenchmarkGetCase(b *testing.B) {
	const stored, clients, total = 50000, 16, 5000
	a, base := benchService(b)
	gen := seed.New(2, seed.Options{Now: time.Now()})
	ids := make([]string, 0, stored)
	var mu sync.Mutex
	ctx := context.Background()
	if _, _, _, err := load(8, stored, func(int) error {
		mu.Lock()
		d := gen.Next()
		mu.Unlock()
		cs, err := a.intake.RegisterAt(ctx, weiquan.Actor{UserID: "seed"}, d, d.CreatedAt)
		if err != nil {
			return err
		}
		mu.Lock()
		ids = append(ids, cs.ID)
		mu.Unlock()
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	c := &client{t: b, base: base, http: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: clients}}}
	c.login("admin", "benchmark-password")
	get := func(i int) error {
		req, _ := http.NewRequest("GET", base+"/api/v1/cases/"+ids[(i*7919)%len(ids)], nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		resp, err := c.http.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 {
			return fmt.Errorf("get: %d", resp.StatusCode)
		}
		return nil
	}
	b.ResetTimer()
	// One client: the latency of a read itself. Sixteen: the same under a
	// load that saturates both cores, where waiting for a core dominates.
	for _, n := range []int{1, clients} {
		rate, p50, p99, err := load(n, total, get)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rate, fmt.Sprintf("reads/s-%dc", n))
		b.ReportMetric(float64(p50.Microseconds())/1000, fmt.Sprintf("p50-ms-%dc", n))
		b.ReportMetric(float64(p99.Microseconds())/1000, fmt.Sprintf("p99-ms-%dc", n))
	}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// intakeBody is the part of a draft case that a client sends to intake.
func intakeBody(d weiquan.Case) map[string]any {
	return map[string]any{
		"kind": d.Kind, "channel": d.Channel,
		"source":      map[string]any{"call_id": d.Source.CallID, "caller_number": d.Source.CallerNumber},
		"complainant": d.Complainant, "respondent": d.Respondent, "subject": d.Subject,
		"title": d.Title, "description": d.Description, "demands": d.Demands, "consent": d.Consent,
	}
}
