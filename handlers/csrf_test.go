package handlers_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// browser is a minimal cookie-keeping client for the pages, the way a
// person's browser talks to weiquan: forms, cookies, no Authorization.
type browser struct {
	e       *env
	cookies map[string]string
}

func (e *env) browser() *browser { return &browser{e: e, cookies: map[string]string{}} }

func (b *browser) send(method, path string, form url.Values, header map[string]string) response {
	b.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := b.e.app.Test(req, -1)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

var csrfInputRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// formToken fetches a page and returns the token its forms carry.
func (b *browser) formToken(path string) string {
	b.e.t.Helper()
	r := b.send("GET", path, nil, nil)
	m := csrfInputRE.FindSubmatch(r.body)
	if r.status != 200 || m == nil {
		b.e.t.Fatalf("GET %s: %d, no _csrf field in\n%.600s", path, r.status, r.body)
	}
	return string(m[1])
}

// TestCSRFOnTheRealPages drives sign-in and sign-out through the pages'
// forms: without the token nothing happens, with it the form works.
func TestCSRFOnTheRealPages(t *testing.T) {
	e := newEnv(t)
	creds := url.Values{"username": {"op1"}, "password": {testPassword}}
	with := func(v url.Values, token string) url.Values {
		out := url.Values{"_csrf": {token}}
		for k, vs := range v {
			out[k] = vs
		}
		return out
	}

	visitor := e.browser()
	loginTok := visitor.formToken("/login")
	if visitor.cookies["weiquan_csrf"] == "" {
		t.Fatal("the sign-in page set no weiquan_csrf cookie")
	}

	t.Run("sign-in form without its token signs nobody in", func(t *testing.T) {
		r := visitor.send("POST", "/login", creds, nil)
		if r.status != 403 || !strings.Contains(string(r.body), "页面已过期，请刷新后重试") {
			t.Fatalf("got %d, want 403 with the Chinese message:\n%.400s", r.status, r.body)
		}
		if visitor.cookies["weiquan_session"] != "" {
			t.Error("a session cookie was set")
		}
	})

	t.Run("sign-in form with another visitor's token", func(t *testing.T) {
		other := e.browser()
		otherTok := other.formToken("/login")
		if r := visitor.send("POST", "/login", with(creds, otherTok), nil); r.status != 403 {
			t.Errorf("got %d, want 403", r.status)
		}
	})

	t.Run("sign-in form with its token", func(t *testing.T) {
		r := visitor.send("POST", "/login", with(creds, loginTok), nil)
		if r.status != 303 || visitor.cookies["weiquan_session"] == "" {
			t.Fatalf("got %d (cookies %v), want 303 and a session", r.status, visitor.cookies)
		}
	})

	staffTok := visitor.formToken("/console")
	session := visitor.cookies["weiquan_session"]
	alive := func() bool { return e.do("GET", "/api/v1/taxonomy", session, nil).status == 200 }

	colleague := e.browser()
	colleague.send("POST", "/login", with(creds, colleague.formToken("/login")), nil)
	colleagueTok := colleague.formToken("/console")

	t.Run("sign-out form without token changes nothing", func(t *testing.T) {
		if r := visitor.send("POST", "/logout", url.Values{}, nil); r.status != 403 {
			t.Errorf("got %d, want 403", r.status)
		}
		if !alive() {
			t.Error("the session ended anyway")
		}
	})

	t.Run("token of another session is refused", func(t *testing.T) {
		if r := visitor.send("POST", "/logout", with(url.Values{}, colleagueTok), nil); r.status != 403 {
			t.Errorf("got %d, want 403", r.status)
		}
		if r := visitor.send("POST", "/logout", with(url.Values{}, loginTok), nil); r.status != 403 {
			t.Errorf("the pre-sign-in token: got %d, want 403", r.status)
		}
		if !alive() {
			t.Error("the session ended anyway")
		}
	})

	t.Run("JSON with the session cookie needs no token", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/api/v1/cases", strings.NewReader(mustJSON(t, validComplaint())))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: "weiquan_session", Value: session})
		resp, err := e.app.Test(req, -1)
		if err != nil || resp.StatusCode != 201 {
			t.Errorf("got %v %v, want 201", resp.StatusCode, err)
		}
	})

	t.Run("a form with a bearer token needs no CSRF token", func(t *testing.T) {
		other := e.login("off1")
		req := httptest.NewRequest("POST", "/api/v1/auth/logout", strings.NewReader("x=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+other)
		resp, err := e.app.Test(req, -1)
		if err != nil || resp.StatusCode != 204 {
			t.Errorf("got %v %v, want 204", resp.StatusCode, err)
		}
	})

	t.Run("an API form post with the cookie but no token is told to send JSON", func(t *testing.T) {
		r := visitor.send("POST", "/api/v1/auth/logout", url.Values{"x": {"1"}}, map[string]string{"Accept": "application/json"})
		if r.status != 403 || errorOf(t, r)["code"] != "csrf" || !strings.Contains(errorOf(t, r)["message"].(string), "JSON") {
			t.Errorf("got %d %s", r.status, r.body)
		}
		if !alive() {
			t.Error("the session ended anyway")
		}
	})

	t.Run("sign-out form with its token", func(t *testing.T) {
		r := visitor.send("POST", "/logout", with(url.Values{}, staffTok), nil)
		if r.status != 303 {
			t.Fatalf("got %d, want 303", r.status)
		}
		if alive() {
			t.Error("the session survived sign-out")
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
