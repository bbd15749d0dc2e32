package workflow

import (
	"strings"
	"sync"
	"time"

	"weiquan"
)

// Sign-in throttling limits password guessing: an attacker gets a handful of
// guesses per account and a few dozen per address in each window, then waits.
const (
	loginWindow       = 15 * time.Minute
	loginLockout      = 15 * time.Minute
	loginMaxPerUser   = 5
	loginMaxPerAddr   = 20
	loginSweepEvery   = time.Minute
	loginThrottledMsg = "登录失败次数过多，请 15 分钟后再试"
)

var errThrottled = weiquan.Errorf(weiquan.ERateLimited, loginThrottledMsg)

// failures counts recent failed sign-ins for one username or one address.
type failures struct {
	times       []time.Time // within the window, oldest first; never longer than the limit
	lockedUntil time.Time
}

// loginThrottle is in-process: with several instances each one counts on its
// own, which still bounds guessing to a small multiple of the limits.
type loginThrottle struct {
	mu        sync.Mutex
	byUser    map[string]*failures
	byAddr    map[string]*failures
	lastSweep time.Time
}

// userKey folds case and spaces: usernames are lower case, so "Admin " and
// "admin" share one counter. Unknown usernames get counters too, so a
// refusal says nothing about whether the account exists.
func userKey(username string) string { return strings.ToLower(strings.TrimSpace(username)) }

// locked reports whether either the username or the address is locked out.
func (t *loginThrottle) locked(username, address string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	if f := t.byUser[userKey(username)]; f != nil && now.Before(f.lockedUntil) {
		return true
	}
	if f := t.byAddr[address]; f != nil && now.Before(f.lockedUntil) {
		return true
	}
	return false
}

// fail records a failed attempt for both the username and the address.
func (t *loginThrottle) fail(username, address string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byUser == nil {
		t.byUser = map[string]*failures{}
		t.byAddr = map[string]*failures{}
	}
	record(t.byUser, userKey(username), loginMaxPerUser, now)
	record(t.byAddr, address, loginMaxPerAddr, now)
}

// succeed forgets the username's failures; the address keeps its count so a
// guesser cannot reset it by signing in to an account of their own.
func (t *loginThrottle) succeed(username string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.byUser, userKey(username))
}

func record(m map[string]*failures, key string, limit int, now time.Time) {
	f := m[key]
	if f == nil {
		f = &failures{}
		m[key] = f
	}
	f.times = recent(f.times, now)
	f.times = append(f.times, now)
	if len(f.times) >= limit {
		f.lockedUntil = now.Add(loginLockout)
		f.times = nil
	}
}

// recent drops the failures that have left the window.
func recent(times []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(times) && now.Sub(times[i]) >= loginWindow {
		i++
	}
	return times[i:]
}

// sweep drops counters with nothing left in the window and no lockout, at
// most once a minute, so memory follows recent traffic rather than history.
// Each address can add at most loginMaxPerAddr usernames per lockout period.
func (t *loginThrottle) sweep(now time.Time) {
	if now.Sub(t.lastSweep) < loginSweepEvery {
		return
	}
	t.lastSweep = now
	for _, m := range []map[string]*failures{t.byUser, t.byAddr} {
		for k, f := range m {
			f.times = recent(f.times, now)
			if len(f.times) == 0 && !now.Before(f.lockedUntil) {
				delete(m, k)
			}
		}
	}
}
