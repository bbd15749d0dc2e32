package main

import (
	"strings"
	"testing"

	"weiquan"
)

// TestBrowserHarness checks the harness itself: the shared service answers,
// a staff member signs in through the login page in a real browser, and the
// screenshot lands in the artifact directory.
func TestBrowserHarness(t *testing.T) {
	ctx := newTab(t, 1280, 800)
	svc := sharedService(t)
	user, pw := svc.newUser(t, weiquan.RoleOperator)
	signIn(t, ctx, svc, user, pw)
	if got := location(t, ctx); got != svc.Base+"/console" {
		t.Errorf("an operator lands on %s, want the console", got)
	}
	if p := screenshot(t, ctx, "signed-in"); !strings.HasSuffix(p, "signed-in.png") {
		t.Errorf("screenshot path %s", p)
	}
}
