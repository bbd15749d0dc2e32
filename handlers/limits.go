package handlers

import (
	"fmt"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"weiquan"
)

// Request limits. The body size (1 MB, fiber's BodyLimit in New) and the
// request timeout (Config.RequestTimeout, s.ctx) hold for every request;
// page sizes are capped where lists are parsed (search.MaxPageSize); text
// fields are capped where each body is decoded. What is left is how often
// one client may call the public endpoints, which anyone can reach: that is
// limitByAddress.

// limitByAddress is middleware that lets each client address make at most n
// requests to the named endpoint group within any window of length per
// (a sliding window: the count is of the requests in the last per, not in a
// fixed clock interval a client could straddle to get twice the allowance).
// Over the limit it answers 429 (ERateLimited) with a Chinese message and
// Retry-After, the seconds until the oldest counted request leaves the
// window. The state is in this process: one instance serves a region, and
// a restart forgetting the counts costs at most one window's allowance.
func (s *Server) limitByAddress(name string, n int, per time.Duration) fiber.Handler {
	l := newRateLimiter(n, per, s.now)
	return func(c *fiber.Ctx) error {
		wait, ok := l.allow(c.IP())
		if ok {
			return c.Next()
		}
		secs := int((wait + time.Second - 1) / time.Second)
		if secs < 1 {
			secs = 1
		}
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		return &weiquan.Error{Code: weiquan.ERateLimited,
			Message: fmt.Sprintf("操作过于频繁，请 %s后再试", waitLabel(secs)),
			Err:     fmt.Errorf("rate limit %s: %d requests per %s exceeded", name, n, per)}
	}
}

// withTrustedProxies makes c.IP() the client's address behind the given
// reverse proxies: the X-Real-IP header, believed only on a connection from
// one of them (a client elsewhere sending it is ignored). X-Forwarded-For is
// not used: fiber takes its first entry, which the client writes, so anyone
// could pick a fresh address for every request and never be limited.
func withTrustedProxies(fc fiber.Config, proxies []string) fiber.Config {
	if len(proxies) == 0 {
		return fc
	}
	fc.EnableTrustedProxyCheck = true
	fc.TrustedProxies = proxies
	fc.ProxyHeader = "X-Real-IP"
	fc.EnableIPValidation = true
	return fc
}

// now is the clock of the handlers: the accounts' (a test's clock), else
// the real one.
func (s *Server) now() time.Time {
	if s.Accounts != nil && s.Accounts.Now != nil {
		return s.Accounts.Now()
	}
	return time.Now()
}

// waitLabel is "30 秒" or "5 分钟" for a message.
func waitLabel(secs int) string {
	if secs < 120 {
		return strconv.Itoa(secs) + " 秒"
	}
	return strconv.Itoa((secs+59)/60) + " 分钟"
}

// rateLimiter keeps, per key, the times of the requests in the window.
type rateLimiter struct {
	n   int
	per time.Duration
	now func() time.Time

	mu        sync.Mutex
	hits      map[string][]time.Time // oldest first, at most n
	lastSweep time.Time
}

func newRateLimiter(n int, per time.Duration, now func() time.Time) *rateLimiter {
	if n < 1 {
		n = 1
	}
	return &rateLimiter{n: n, per: per, now: now, hits: map[string][]time.Time{}}
}

// allow counts a request from key; when the window is full it counts
// nothing and returns how long until a request would be allowed.
func (l *rateLimiter) allow(key string) (time.Duration, bool) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	hits := l.hits[key]
	start := now.Add(-l.per)
	i := 0
	for i < len(hits) && !hits[i].After(start) {
		i++
	}
	hits = hits[i:]
	if len(hits) >= l.n {
		l.hits[key] = hits
		return hits[0].Add(l.per).Sub(now), false
	}
	l.hits[key] = append(hits, now)
	return 0, true
}

// sweep forgets, once a window, the keys with no request in the last
// window, so the map holds only the clients of the last two windows.
func (l *rateLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.per {
		return
	}
	l.lastSweep = now
	start := now.Add(-l.per)
	for k, hits := range l.hits {
		if len(hits) == 0 || !hits[len(hits)-1].After(start) {
			delete(l.hits, k)
		}
	}
}

// Text limits of the small JSON bodies the handlers decode themselves, in
// characters (intake has its own, in workflow.DecodeIntake; actions, in the
// state machine). They are far above any real value and far below what
// would cost anything to process, log or store.
const (
	maxUsernameChars = 64
	maxPasswordChars = 1024 // a password is hashed with argon2id; its length stays bounded
	maxUserUnits     = 50   // each unit is looked up
	maxNameChars     = 200
	maxPhoneChars    = 40
	maxUSCCChars     = 40
)

// capText adds a too_long field error when value is longer than max
// characters.
func capText(v weiquan.ValidationErrors, field, label, value string, max int) {
	if utf8.RuneCountInString(value) > max {
		v.Add(field, "too_long", fmt.Sprintf("%s不能超过 %d 个字符", label, max))
	}
}
