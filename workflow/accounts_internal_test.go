package workflow

import (
	"context"
	"fmt"
	"testing"
	"time"

	"weiquan"
	"weiquan/store/storetest"
)

// An unknown username must cost as much as a wrong password, or the
// answer's timing tells which accounts exist. Without the dummy hash the
// unknown user answers some 30 times faster; the test allows a factor of 3
// so that a busy machine does not make it flaky, and compares the fastest
// of several tries, the figure noise affects least; a failing round is
// measured again (up to three rounds) before the test fails, since a real
// regression fails every round.
func TestLoginTimingDoesNotRevealUsernames(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)
	a := &Accounts{Store: st, Now: func() time.Time { return now }, IdleTimeout: time.Hour, MaxAge: time.Hour}
	if _, err := a.CreateUser(ctx, NewUser{Username: "op1", Password: "correct horse battery", Role: weiquan.RoleOperator}); err != nil {
		t.Fatal(err)
	}
	fastest := func(a *Accounts, username func(i int) string) time.Duration {
		best := time.Hour
		for i := range 4 { // below the per-account limit of 5
			start := time.Now()
			_, _, err := a.Login(ctx, username(i), "wrong password!", fmt.Sprintf("192.0.2.%d", i))
			took := time.Since(start)
			if weiquan.ErrorCode(err) != weiquan.EUnauthorized {
				t.Fatalf("got %v, want unauthorized", err)
			}
			best = min(best, took)
		}
		return best
	}
	var known, unknown time.Duration
	for round := range 3 {
		// A fresh throttle each round: four failures per account per round.
		fresh := &Accounts{Store: st, Now: a.Now, IdleTimeout: time.Hour, MaxAge: time.Hour}
		known = fastest(fresh, func(int) string { return "op1" })
		unknown = fastest(fresh, func(i int) string { return fmt.Sprintf("nobody%d-%d", round, i) })
		t.Logf("round %d, fastest refusal: wrong password %v, unknown user %v", round, known, unknown)
		if unknown >= known/3 {
			return
		}
	}
	t.Errorf("unknown user answered in %v, wrong password in %v: timing reveals which usernames exist", unknown, known)
}

func TestIsAPIToken(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"wqt_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", true},
		{"wqt_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", false},  // stray bits in the last character
		{"wqt_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false},   // short
		{"wqt_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false}, // long
		{"wqt_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", false},  // padding
		{"wqt_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+", false},  // standard alphabet
		{"WQT_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false},
		{"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", false}, // a session token
		{"", false},
	} {
		if got := IsAPIToken(tt.in); got != tt.want {
			t.Errorf("IsAPIToken(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// A form sent with an empty field is not a guess: refusing it must not
// lock the address or the account.
func TestEmptyLoginFieldsDoNotCountAgainstTheThrottle(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)
	a := &Accounts{Store: st, Now: func() time.Time { return now }, IdleTimeout: time.Hour, MaxAge: time.Hour}
	if _, err := a.CreateUser(ctx, NewUser{Username: "op1", Password: "correct horse battery", Role: weiquan.RoleOperator}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	for i := range loginMaxPerAddr + 5 {
		for _, f := range [][2]string{{"op1", ""}, {"", "correct horse battery"}, {"  ", ""}} {
			if _, _, err := a.Login(ctx, f[0], f[1], "192.0.2.1"); weiquan.ErrorCode(err) != weiquan.EUnauthorized {
				t.Fatalf("attempt %d %q: got %v, want unauthorized", i, f, err)
			}
		}
	}
	if _, _, err := a.Login(ctx, "op1", "correct horse battery", "192.0.2.1"); err != nil {
		t.Errorf("after empty submissions: %v", err)
	}
}
