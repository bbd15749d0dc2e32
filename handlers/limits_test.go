package handlers

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"weiquan/workflow"
)

type limitClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *limitClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *limitClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestLimitByAddress runs the middleware on a real listener and calls it
// from two loopback addresses: each has its own allowance, the window
// slides, and a refusal is the JSON error shape with Retry-After.
func TestLimitByAddress(t *testing.T) {
	clk := &limitClock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	s := &Server{log: slog.New(slog.DiscardHandler), Deps: Deps{Accounts: &workflow.Accounts{Now: clk.Now}}}
	app := fiber.New(fiber.Config{ErrorHandler: s.errorHandler, DisableStartupMessage: true})
	app.Post("/limited", s.limitByAddress("test", 3, time.Minute), func(c *fiber.Ctx) error {
		return c.SendStatus(fiber.StatusAccepted)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	url := "http://" + ln.Addr().String() + "/limited"

	clientFrom := func(ip string) *http.Client {
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
		return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}, Timeout: 5 * time.Second}
	}
	a, b := clientFrom("127.0.0.1"), clientFrom("127.0.0.2")
	post := func(t *testing.T, cl *http.Client) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), "POST", url, nil)
		resp, err := cl.Do(req)
		if err != nil {
			t.Skipf("loopback address not usable here: %v", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}

	for i := range 3 {
		if r, body := post(t, a); r.StatusCode != 202 {
			t.Fatalf("request %d within the limit: %d %s", i+1, r.StatusCode, body)
		}
		clk.Add(10 * time.Second)
	}
	// 10:00:30, three requests at :00, :10, :20.
	r, body := post(t, a)
	if r.StatusCode != 429 {
		t.Fatalf("fourth request: %d %s, want 429", r.StatusCode, body)
	}
	if got := r.Header.Get("Retry-After"); got != "30" {
		t.Errorf("Retry-After = %q, want 30 (the :00 request leaves the window at 10:01:00)", got)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != "rate_limited" {
		t.Errorf("body %s: want the error shape with code rate_limited (%v)", body, err)
	}
	if !hasHan(e.Error.Message) {
		t.Errorf("message %q is not Chinese", e.Error.Message)
	}

	// Another address is not held up by the first.
	if r, body := post(t, b); r.StatusCode != 202 {
		t.Errorf("other address: %d %s", r.StatusCode, body)
	}

	// A refused request does not count: once :00 has left the window one
	// more is allowed, and only one.
	clk.Add(31 * time.Second) // 10:01:01
	if r, body := post(t, a); r.StatusCode != 202 {
		t.Errorf("after the oldest left the window: %d %s", r.StatusCode, body)
	}
	if r, _ := post(t, a); r.StatusCode != 429 {
		t.Errorf("window full again: %d, want 429", r.StatusCode)
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// TestRateLimiterForgetsIdleClients: the map does not grow with every
// address ever seen.
func TestRateLimiterForgetsIdleClients(t *testing.T) {
	clk := &limitClock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	l := newRateLimiter(2, time.Minute, clk.Now)
	for i := range 1000 {
		if _, ok := l.allow("10.0.0." + string(rune('0'+i%10)) + "-" + time.Duration(i).String()); !ok {
			t.Fatal("a first request was refused")
		}
	}
	clk.Add(2 * time.Minute)
	l.allow("10.9.9.9")
	l.mu.Lock()
	n := len(l.hits)
	l.mu.Unlock()
	if n != 1 {
		t.Errorf("after two idle windows the limiter holds %d clients, want 1", n)
	}
}

// TestLimitByAddressBehindAProxy: behind a trusted proxy each client is
// limited by the address the proxy reports; a client that is not the proxy
// cannot choose its address by sending the header itself.
func TestLimitByAddressBehindAProxy(t *testing.T) {
	clk := &limitClock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	s := &Server{log: slog.New(slog.DiscardHandler), Deps: Deps{Accounts: &workflow.Accounts{Now: clk.Now}}}
	app := fiber.New(withTrustedProxies(fiber.Config{ErrorHandler: s.errorHandler, DisableStartupMessage: true}, []string{"127.0.0.1"}))
	app.Post("/limited", s.limitByAddress("test", 2, time.Minute), func(c *fiber.Ctx) error {
		return c.SendString(c.IP())
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	url := "http://" + ln.Addr().String() + "/limited"
	post := func(t *testing.T, from, realIP string) (int, string) {
		t.Helper()
		d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
		cl := &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}, Timeout: 5 * time.Second}
		req, _ := http.NewRequest("POST", url, nil)
		if realIP != "" {
			req.Header.Set("X-Real-IP", realIP)
		}
		resp, err := cl.Do(req)
		if err != nil {
			t.Skipf("loopback address not usable here: %v", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	steps := []struct {
		from, realIP string
		status       int
		seenAs       string
	}{
		{"127.0.0.1", "203.0.113.5", 200, "203.0.113.5"},
		{"127.0.0.1", "203.0.113.5", 200, "203.0.113.5"},
		{"127.0.0.1", "203.0.113.5", 429, ""},
		{"127.0.0.1", "203.0.113.6", 200, "203.0.113.6"}, // another client behind the proxy
		{"127.0.0.1", "not an address", 200, "127.0.0.1"},
		{"127.0.0.2", "198.51.100.1", 200, "127.0.0.2"}, // not the proxy: the header is ignored
		{"127.0.0.2", "198.51.100.2", 200, "127.0.0.2"},
		{"127.0.0.2", "198.51.100.3", 429, ""},
	}
	for i, st := range steps {
		status, body := post(t, st.from, st.realIP)
		if status != st.status || (st.seenAs != "" && body != st.seenAs) {
			t.Errorf("step %d (from %s, X-Real-IP %q): %d %q, want %d %q", i+1, st.from, st.realIP, status, body, st.status, st.seenAs)
		}
	}
}
