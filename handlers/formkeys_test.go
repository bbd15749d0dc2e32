package handlers_test

import (
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan/handlers"
)

// instances starts n apps over e's store and services, as instances behind
// a load balancer (or one restarted) are: sharing the store and the forms'
// signing key, nothing else.
func (e *env) instances(n int) []*env {
	var out []*env
	for range n {
		app := handlers.New(handlers.Config{Logger: e.logs.logger(), CSRFKey: []byte("csrf-key-shared-by-instances-0123")}, e.deps)
		other := *e
		other.app = app
		out = append(out, &other)
	}
	return out
}

// countCases is how many cases the store holds.
func (e *env) countCases(t *testing.T) int {
	t.Helper()
	n := 0
	for _, err := range e.store.ScanCases(context.Background(), time.Time{}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return n
}

// TestOneCasePerFormAcrossInstances: the operator's form posted to two
// instances at once, then to an instance started afterwards (a restart),
// saves one case, and every post leads to it.
func TestOneCasePerFormAcrossInstances(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	apps := e.instances(2)
	b := newFormClient(apps[0], op)
	b.get(t, "/console?caller=13800138000")
	form := consoleForm(func(f url.Values) { f.Set("dup_ack", "1") })
	// The form as the page would submit it: its token and key.
	m := csrfInPage.FindSubmatch(b.last.body)
	k := formKeyInPage.FindSubmatch(b.last.body)
	if m == nil || k == nil {
		t.Fatalf("no _csrf or form_key in the console: %.300s", b.last.body)
	}
	form.Set("_csrf", string(m[1]))
	form.Set("form_key", string(k[1]))

	before := e.countCases(t)
	locs := make([]string, 4)
	var wg sync.WaitGroup
	for i := range locs {
		wg.Go(func() {
			r := newFormClient(apps[i%2], op).request(t, "POST", "/console", form)
			if r.status != fiber.StatusSeeOther {
				t.Errorf("post %d: %d %.300s", i, r.status, textOf(r.body))
			}
			locs[i] = r.header.Get("Location")
		})
	}
	wg.Wait()
	loc := locs[0]
	if !strings.HasPrefix(loc, "/console/cases/") {
		t.Fatalf("post leads to %q", loc)
	}
	for i, l := range locs {
		if l != loc {
			t.Errorf("post %d leads to %q, want the same case %q", i, l, loc)
		}
	}

	restarted := e.instances(1)[0]
	r := newFormClient(restarted, op).request(t, "POST", "/console", form)
	if r.status != fiber.StatusSeeOther || r.header.Get("Location") != loc {
		t.Errorf("post after a restart: %d %s, want the same case %s", r.status, r.header.Get("Location"), loc)
	}
	if n := e.countCases(t) - before; n != 1 {
		t.Errorf("%d cases saved from one form posted six times, want 1", n)
	}

	// The key is on the case, and in none of its views.
	id := strings.TrimPrefix(loc, "/console/cases/")
	if c := e.stored(id); !strings.HasSuffix(c.Source.FormKey, string(k[1])) {
		t.Errorf("the case's form key is %q, want one ending in the form's %q", c.Source.FormKey, k[1])
	}
	for _, v := range []response{e.do("GET", "/api/v1/cases/"+id, op, nil), newFormClient(restarted, op).get(t, loc)} {
		if strings.Contains(string(v.body), string(k[1])) || strings.Contains(string(v.body), "form_key\":") {
			t.Errorf("a view of the case shows its form key: %.300s", v.body)
		}
	}
}

// TestConsumerFormOnceAcrossInstances: a consumer's complaint filed on one
// instance and posted again on another, and after a restart, stays one
// case.
func TestConsumerFormOnceAcrossInstances(t *testing.T) {
	e := newEnv(t)
	const phone = "13700137002"
	registerPII(phone)
	apps := e.instances(2)
	b := newFormClient(apps[0], "")
	b.get(t, "/complaint")
	form := url.Values{"complainant.name": {"陈小姐"}, "complainant.phone": {phone},
		"respondent.name": {"福州某某美容美发店"}, "respondent.address": {"福州市鼓楼区五四路88号"},
		"subject.category": {"beauty"}, "subject.problem": {"prepaid_refund"},
		"description": {"办了预付卡，店铺关门后无法退款。"}, "demands": {"refund"}, "consent.sms": {"1"}}
	if r := b.post(t, "/complaint", withStep(form, "code")); r.status != 200 {
		t.Fatalf("ask for a code: %d %.400s", r.status, textOf(r.body))
	}
	code := e.outboxCode(t, phone)
	filed := withStep(withCode(form, code), "file")
	before := e.countCases(t)
	r := b.post(t, "/complaint", filed) // sets _csrf and form_key in filed
	loc := r.header.Get("Location")
	if r.status != fiber.StatusSeeOther || !strings.HasPrefix(loc, "/track/") {
		t.Fatalf("file: %d %s %.400s", r.status, loc, textOf(r.body))
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/track/"), "?filed=1")

	// The same browser (its cookies) posting the same form elsewhere.
	for name, inst := range map[string]*env{"another instance": apps[1], "a restarted instance": e.instances(1)[0]} {
		other := newFormClient(inst, "")
		other.cookies = b.cookies
		r := other.request(t, "POST", "/complaint", filed)
		if r.status != fiber.StatusSeeOther || r.header.Get("Location") != "/track/"+id {
			t.Errorf("post on %s: %d %s, want /track/%s", name, r.status, r.header.Get("Location"), id)
		}
	}
	if n := e.countCases(t) - before; n != 1 {
		t.Errorf("%d cases filed from one form posted three times, want 1", n)
	}
	if c := e.stored(id); c.Source.FormKey != "public|"+filed.Get("form_key") {
		t.Errorf("the case's form key is %q, want the form's", c.Source.FormKey)
	}
}
