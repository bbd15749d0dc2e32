package handlers

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/workflow"
)

// csrfHarness is the CSRF middleware in front of routes that count the
// requests that reached them, so that "refused" provably means "nothing
// ran".
type csrfHarness struct {
	t       *testing.T
	s       *Server
	app     *fiber.App
	reached atomic.Int64
}

func newCSRFHarness(t *testing.T, key []byte) *csrfHarness {
	t.Helper()
	h := &csrfHarness{t: t}
	h.s = &Server{cfg: Config{SecureCookies: true}, log: slog.New(slog.DiscardHandler), csrfKey: key,
		Deps: Deps{Accounts: &workflow.Accounts{MaxAge: time.Hour}}}
	h.app = fiber.New(fiber.Config{ErrorHandler: h.s.errorHandler})
	h.app.Use(h.s.csrfProtect)
	h.app.Get("/api/t/form", func(c *fiber.Ctx) error { return c.SendString(h.s.csrfToken(c)) })
	h.app.Get("/api/t/form-twice", func(c *fiber.Ctx) error {
		return c.SendString(h.s.csrfToken(c) + " " + h.s.csrfToken(c))
	})
	// A sign-in that renders a form in the same response, as a page might.
	h.app.Post("/api/t/signin", func(c *fiber.Ctx) error {
		h.reached.Add(1)
		h.s.setSessionCookie(c, c.Query("as"))
		return c.SendString(h.s.csrfToken(c))
	})
	count := func(c *fiber.Ctx) error { h.reached.Add(1); return c.SendStatus(fiber.StatusNoContent) }
	h.app.Post("/api/t/do", count)
	h.app.Put("/api/t/do", count)
	h.app.Patch("/api/t/do", count)
	h.app.Delete("/api/t/do", count)
	h.app.Post("/hooks/twilio/status", count)
	h.app.Post("/page/do", count)
	return h
}

type csrfReq struct {
	method, path string
	cookies      map[string]string
	header       map[string]string
	contentType  string
	body         string
}

type csrfResp struct {
	status  int
	body    string
	cookies []*http.Cookie
}

func (h *csrfHarness) do(r csrfReq) csrfResp {
	h.t.Helper()
	if r.method == "" {
		r.method = "POST"
	}
	req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	for k, v := range r.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := h.app.Test(req, -1)
	if err != nil {
		h.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return csrfResp{status: resp.StatusCode, body: string(raw), cookies: resp.Cookies()}
}

// anonymous fetches a form as a visitor without a session and returns the
// nonce cookie and the form's token.
func (h *csrfHarness) anonymous() (nonce, token string) {
	h.t.Helper()
	r := h.do(csrfReq{method: "GET", path: "/api/t/form"})
	for _, c := range r.cookies {
		if c.Name == csrfCookie {
			nonce = c.Value
		}
	}
	if nonce == "" || r.body == "" {
		h.t.Fatalf("form without a nonce cookie or token: %+v", r)
	}
	return nonce, r.body
}

func (h *csrfHarness) sessionToken(session string) string {
	h.t.Helper()
	return h.do(csrfReq{method: "GET", path: "/api/t/form", cookies: map[string]string{sessionCookie: session}}).body
}

func form(token string) string { return url.Values{"_csrf": {token}, "title": {"漏水"}}.Encode() }

func multipartBody(t *testing.T, token string) (string, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("title", "漏水")
	_ = w.WriteField("_csrf", token)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), b.String()
}

func TestCSRF(t *testing.T) {
	h := newCSRFHarness(t, []byte("csrf-test-key-0123456789"))
	nonce, anonTok := h.anonymous()
	sessA, sessB := randomToken(), randomToken()
	tokA, tokB := h.sessionToken(sessA), h.sessionToken(sessB)
	if tokA == tokB || tokA == anonTok || len(tokA) != csrfLen {
		t.Fatalf("tokens not distinct or malformed: %q %q %q", tokA, tokB, anonTok)
	}
	anon := map[string]string{csrfCookie: nonce}
	asA := map[string]string{sessionCookie: sessA}
	const formCT = "application/x-www-form-urlencoded"
	mpCT, mpBody := multipartBody(t, tokA)
	otherNonce, _ := h.anonymous()

	tests := []struct {
		name string
		req  csrfReq
		pass bool
	}{
		{"visitor form with its token", csrfReq{path: "/api/t/do", cookies: anon, contentType: formCT, body: form(anonTok)}, true},
		{"visitor form without token", csrfReq{path: "/api/t/do", cookies: anon, contentType: formCT, body: "title=x"}, false},
		{"visitor token without its cookie", csrfReq{path: "/api/t/do", contentType: formCT, body: form(anonTok)}, false},
		{"visitor token with another visitor's cookie", csrfReq{path: "/api/t/do", cookies: map[string]string{csrfCookie: otherNonce}, contentType: formCT, body: form(anonTok)}, false},
		{"nonce itself as the token", csrfReq{path: "/api/t/do", cookies: anon, contentType: formCT, body: form(nonce)}, false},
		{"staff form with its session's token", csrfReq{path: "/api/t/do", cookies: asA, contentType: formCT, body: form(tokA)}, true},
		{"staff form without token", csrfReq{path: "/api/t/do", cookies: asA, contentType: formCT, body: "title=x"}, false},
		{"token of another session", csrfReq{path: "/api/t/do", cookies: asA, contentType: formCT, body: form(tokB)}, false},
		{"visitor token with a session cookie", csrfReq{path: "/api/t/do", cookies: map[string]string{sessionCookie: sessA, csrfCookie: nonce}, contentType: formCT, body: form(anonTok)}, false},
		{"token one character off", csrfReq{path: "/api/t/do", cookies: asA, contentType: formCT, body: form(flipLast(tokA))}, false},
		{"token in the header", csrfReq{method: "DELETE", path: "/api/t/do", cookies: asA, header: map[string]string{"X-CSRF-Token": tokA}}, true},
		{"multipart form with token", csrfReq{method: "PUT", path: "/api/t/do", cookies: asA, contentType: mpCT, body: mpBody}, true},
		{"text/plain body carrying the field", csrfReq{path: "/api/t/do", cookies: asA, contentType: "text/plain", body: form(tokA)}, false},
		{"token in the query string", csrfReq{path: "/api/t/do?_csrf=" + url.QueryEscape(tokA), cookies: asA, contentType: formCT, body: "title=x"}, false},
		{"no content type, no token", csrfReq{method: "PATCH", path: "/api/t/do", cookies: asA}, false},
		{"JSON with a session cookie", csrfReq{path: "/api/t/do", cookies: asA, contentType: "application/json", body: `{}`}, true},
		{"JSON with charset", csrfReq{path: "/api/t/do", cookies: asA, contentType: "application/json; charset=utf-8", body: `{}`}, true},
		{"JSON-looking text/plain", csrfReq{path: "/api/t/do", cookies: asA, contentType: "text/plain", body: `{}`}, false},
		{"bearer token", csrfReq{path: "/api/t/do", header: map[string]string{"Authorization": "Bearer " + sessA}, contentType: formCT, body: "title=x"}, true},
		{"page form without token", csrfReq{path: "/page/do", cookies: asA, contentType: formCT, body: "title=x"}, false},
		{"page form with token", csrfReq{path: "/page/do", cookies: asA, contentType: formCT, body: form(tokA)}, true},
		{"Twilio webhook", csrfReq{path: "/hooks/twilio/status", contentType: formCT, body: "MessageStatus=delivered"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.reached.Load()
			r := h.do(tt.req)
			reached := h.reached.Load() - before
			if tt.pass {
				if r.status != 204 || reached != 1 {
					t.Fatalf("got %d (handler ran %d times) %s, want 204", r.status, reached, r.body)
				}
				return
			}
			if r.status != 403 || reached != 0 {
				t.Fatalf("got %d (handler ran %d times), want 403 before any handler", r.status, reached)
			}
			var body struct{ Error errorPayload }
			if err := json.Unmarshal([]byte(r.body), &body); err != nil {
				t.Fatal(err)
			}
			want := msgCSRFAPI
			if !strings.HasPrefix(tt.req.path, "/api/") {
				want = "页面已过期，请刷新后重试"
			}
			if body.Error.Code != weiquan.ECSRF || body.Error.Message != want {
				t.Errorf("got %+v, want code csrf with the message %q", body.Error, want)
			}
		})
	}

	t.Run("GET is never checked", func(t *testing.T) {
		if r := h.do(csrfReq{method: "GET", path: "/api/t/form", cookies: asA}); r.status != 200 {
			t.Errorf("got %d", r.status)
		}
	})

	t.Run("the visitor cookie is HttpOnly, Secure behind TLS, SameSite=Lax and set once", func(t *testing.T) {
		r := h.do(csrfReq{method: "GET", path: "/api/t/form-twice"})
		var set []*http.Cookie
		for _, c := range r.cookies {
			if c.Name == csrfCookie {
				set = append(set, c)
			}
		}
		if len(set) != 1 || !set[0].HttpOnly || !set[0].Secure || set[0].SameSite != http.SameSiteLaxMode {
			t.Fatalf("got cookies %+v", set)
		}
		if a, b, _ := strings.Cut(r.body, " "); a != b {
			t.Errorf("two calls in one request gave %q and %q", a, b)
		}
		// A visitor who has the cookie keeps it: no new Set-Cookie.
		r = h.do(csrfReq{method: "GET", path: "/api/t/form", cookies: anon})
		if len(r.cookies) != 0 || r.body != anonTok {
			t.Errorf("got cookies %v and token %q, want none and the same token", r.cookies, r.body)
		}
	})

	t.Run("a planted junk cookie is replaced", func(t *testing.T) {
		r := h.do(csrfReq{method: "GET", path: "/api/t/form", cookies: map[string]string{csrfCookie: "attacker"}})
		if len(r.cookies) != 1 || r.cookies[0].Value == "attacker" || !validNonce(r.cookies[0].Value) {
			t.Errorf("got cookies %v", r.cookies)
		}
	})

	t.Run("a form rendered right after sign-in belongs to the new session", func(t *testing.T) {
		newSess := randomToken()
		r := h.do(csrfReq{path: "/api/t/signin?as=" + newSess, cookies: anon, contentType: formCT, body: form(anonTok)})
		if r.status != 200 {
			t.Fatalf("sign-in: %d %s", r.status, r.body)
		}
		next := h.do(csrfReq{path: "/api/t/do", cookies: map[string]string{sessionCookie: newSess}, contentType: formCT, body: form(r.body)})
		if next.status != 204 {
			t.Errorf("form of the new session: got %d, want 204", next.status)
		}
	})

	t.Run("the same key after a restart accepts open forms, another key does not", func(t *testing.T) {
		same := newCSRFHarness(t, []byte("csrf-test-key-0123456789"))
		if r := same.do(csrfReq{path: "/api/t/do", cookies: asA, contentType: formCT, body: form(tokA)}); r.status != 204 {
			t.Errorf("same key: got %d, want 204", r.status)
		}
		other := newCSRFHarness(t, []byte("another-key-0123456789ab"))
		if r := other.do(csrfReq{path: "/api/t/do", cookies: asA, contentType: formCT, body: form(tokA)}); r.status != 403 {
			t.Errorf("other key: got %d, want 403", r.status)
		}
	})
}

func flipLast(s string) string {
	b := []byte(s)
	if b[len(b)-1] == 'A' {
		b[len(b)-1] = 'B'
	} else {
		b[len(b)-1] = 'A'
	}
	return string(b)
}
