package handlers_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// formClient is a browser without JavaScript, for the pages: it keeps the
// cookies the pages set (the session, the anonymous anti-forgery cookie, the
// tracking cookie), sends no Authorization header, and posts forms with the
// anti-forgery token (_csrf) a page rendered for it.
type formClient struct {
	e       *env
	cookies map[string]*http.Cookie
	// last is the last page shown: what a GET answered, or a post answered
	// with a page rather than a redirect. post submits its form.
	last response
}

// newFormClient is a browser holding session as its session cookie; "" for
// a visitor who is not signed in.
func newFormClient(e *env, session string) *formClient {
	b := &formClient{e: e, cookies: map[string]*http.Cookie{}}
	if session != "" {
		b.cookies["weiquan_session"] = &http.Cookie{Name: "weiquan_session", Value: session}
	}
	return b
}

// pageAs signs username in and returns their browser.
func (e *env) pageAs(username string) *formClient {
	e.t.Helper()
	return newFormClient(e, e.login(username))
}

// anonymousPages is a browser with no session.
func (e *env) anonymousPages() *formClient { return newFormClient(e, "") }

func (b *formClient) request(t *testing.T, method, path string, form url.Values) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return b.send(t, req)
}

// send sends req as this browser: with its cookies, keeping those the
// answer sets.
func (b *formClient) send(t *testing.T, req *http.Request) response {
	t.Helper()
	for _, c := range b.cookies {
		req.AddCookie(c)
	}
	resp, err := b.e.app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, body: raw}
	if req.Method == "GET" || resp.StatusCode != http.StatusSeeOther {
		b.last = r
	}
	return r
}

func (b *formClient) get(t *testing.T, path string) response {
	t.Helper()
	return b.request(t, "GET", path, nil)
}

var (
	csrfInPage    = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	formKeyInPage = regexp.MustCompile(`name="form_key" value="([^"]+)"`)
)

// post sends form with the _csrf (and form_key, unless set) of the last
// page, as submitting that page's form does.
func (b *formClient) post(t *testing.T, path string, form url.Values) response {
	t.Helper()
	m := csrfInPage.FindSubmatch(b.last.body)
	if m == nil {
		t.Fatalf("no _csrf in the last page: %.300s", b.last.body)
	}
	form.Set("_csrf", string(m[1]))
	if k := formKeyInPage.FindSubmatch(b.last.body); k != nil && form.Get("form_key") == "" {
		form.Set("form_key", string(k[1]))
	}
	return b.request(t, "POST", path, form)
}

// postDirect posts form to path without opening the page that carries it,
// for tests about what a handler does with a form: the token comes from
// the sign-in page, fetched first (a form's token depends only on the
// browser's session or anonymous cookie, not on the page).
func (b *formClient) postDirect(t *testing.T, path string, form url.Values) response {
	t.Helper()
	if r := b.get(t, "/login"); r.status != http.StatusOK {
		t.Fatalf("the sign-in page: %d %.300s", r.status, r.body)
	}
	return b.post(t, path, form)
}
