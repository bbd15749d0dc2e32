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
// of several tries, the figure noise affects least.
func TestLoginTimingDoesNotRevealUsernames(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)
	a := &Accounts{Store: st, Now: func() time.Time { return now }, IdleTimeout: time.Hour, MaxAge: time.Hour}
	if _, err := a.CreateUser(ctx, NewUser{Username: "op1", Password: "correct horse battery", Role: weiquan.RoleOperator}); err != nil {
		t.Fatal(err)
	}
	fastest := func(username func(i int) string) time.Duration {
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
	known := fastest(func(int) string { return "op1" })
	unknown := fastest(func(i int) string { return fmt.Sprintf("nobody%d", i) })
	if unknown < known/3 {
		t.Errorf("unknown user answered in %v, wrong password in %v: timing reveals which usernames exist", unknown, known)
	}
	t.Logf("fastest refusal: wrong password %v, unknown user %v", known, unknown)
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
