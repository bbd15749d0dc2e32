package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/store/storetest"
	"weiquan/workflow"
)

type fuzzClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fuzzClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fuzzClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// FuzzCredentials sends arbitrary Authorization headers, session cookies
// and CSRF tokens through the real middleware (csrfProtect, requireSession)
// backed by the real store, and checks that nothing panics, that only a
// live credential ever authenticates — and as its own owner —, that a live
// one always does, and that a form passes the CSRF check only with the
// token of the cookie it came with:
//
//	go test ./handlers -run '^$' -fuzz=FuzzCredentials -fuzztime=15s
func FuzzCredentials(f *testing.F) {
	ctx := context.Background()
	st := storetest.New(f)
	clk := &fuzzClock{t: time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)}
	accounts := &workflow.Accounts{Store: st, Now: clk.Now, IdleTimeout: 30 * time.Minute, MaxAge: 8 * time.Hour, CacheTTL: 10 * time.Second}
	tokens := &workflow.Tokens{Store: st, Now: clk.Now, CacheTTL: 10 * time.Second}
	const pw = "correct horse battery"
	if _, err := accounts.CreateUser(ctx, workflow.NewUser{Username: "op1", Password: pw, Role: weiquan.RoleOperator}); err != nil {
		f.Fatal(err)
	}
	clk.Add(time.Second)
	login := func() string {
		tok, _, err := accounts.Login(ctx, "op1", pw, "127.0.0.1")
		if err != nil {
			f.Fatal(err)
		}
		return tok
	}
	newToken := func(nt workflow.NewToken) (string, string) {
		tok, rec, err := tokens.Create(ctx, nt, "u-admin")
		if err != nil {
			f.Fatal(err)
		}
		return tok, rec.ActorID()
	}
	sessLive, sessEnded := login(), login()
	if err := accounts.Logout(ctx, sessEnded); err != nil {
		f.Fatal(err)
	}
	apiLive, apiWho := newToken(workflow.NewToken{Name: "pbx", Role: weiquan.RoleOperator})
	apiRevoked, revokedWho := newToken(workflow.NewToken{Name: "old", Role: weiquan.RoleOperator})
	if _, err := tokens.Revoke(ctx, strings.TrimPrefix(revokedWho, "tok-")); err != nil {
		f.Fatal(err)
	}
	soon := clk.Now().Add(time.Minute)
	apiExpired, _ := newToken(workflow.NewToken{Name: "temp", Role: weiquan.RoleOperator, ExpiresAt: &soon})
	if _, err := tokens.Authenticate(ctx, apiExpired); err != nil { // cached while it was live
		f.Fatal(err)
	}
	clk.Add(2 * time.Minute)

	// What authenticates, and as whom: sessions by bearer or cookie, API
	// tokens by bearer only.
	byBearer := map[string]string{sessLive: "u-op1", apiLive: apiWho}
	byCookie := map[string]string{sessLive: "u-op1"}

	s := &Server{Deps: Deps{Accounts: accounts, Tokens: tokens}, cfg: Config{RequestTimeout: 5 * time.Second},
		log: slog.New(slog.DiscardHandler), csrfKey: []byte("fuzz-csrf-key-0123456789")}
	app := fiber.New(fiber.Config{ErrorHandler: s.errorHandler})
	// seen is what the server made of the request, whatever the transport
	// did to the bytes: the oracle judges that, not what was sent.
	var seen struct{ auth, cookie, nonce, token, who string }
	app.Use(func(c *fiber.Ctx) error {
		seen.auth, seen.cookie, seen.nonce, seen.who = c.Get(fiber.HeaderAuthorization), c.Cookies(sessionCookie), c.Cookies(csrfCookie), ""
		seen.token = c.Get(csrfHeader)
		if seen.token == "" && c.Method() == fiber.MethodPost {
			seen.token = string(c.Request().PostArgs().Peek(csrfField))
		}
		return c.Next()
	}, s.csrfProtect)
	app.Get("/api/form", func(c *fiber.Ctx) error { return c.SendString(s.csrfToken(c)) })
	app.All("/api/p", s.requireSession, func(c *fiber.Ctx) error {
		seen.who = actor(c).UserID
		return c.SendStatus(fiber.StatusOK)
	})
	get := func(cookie string) (token, nonce string) {
		req := httptest.NewRequest("GET", "/api/form", nil)
		if cookie != "" {
			req.Header.Set("Cookie", sessionCookie+"="+cookie)
		}
		resp, err := app.Test(req, -1)
		if err != nil {
			f.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		for _, ck := range resp.Cookies() {
			if ck.Name == csrfCookie {
				nonce = ck.Value
			}
		}
		return string(raw), nonce
	}
	goodSess, _ := get(sessLive)
	goodAnon, nonce := get("")

	for _, cred := range []string{sessLive, sessEnded, apiLive, apiRevoked, apiExpired, "", "x"} {
		for _, tok := range []string{goodSess, goodAnon, nonce, ""} {
			for _, flags := range []uint8{0, 1 | 2, 1 | 4, 1 | 4 | 16, 1 | 8, 1 | 2 | 4 | 8} {
				f.Add("Bearer "+cred, cred, tok, flags)
			}
		}
	}
	f.Add("Bearer  "+apiLive+" \t", sessEnded, goodSess, uint8(1|2|4))
	f.Add("bearer "+apiLive, "", "", uint8(2))
	f.Add("Basic "+sessLive, sessLive, goodSess, uint8(1|2|4))
	f.Add("Bearer "+apiLive[:20], apiLive, "", uint8(2|4))
	f.Add("Bearer wqt_"+strings.Repeat("_", 43), "", "", uint8(2))

	f.Fuzz(func(t *testing.T, auth, cookie, token string, flags uint8) {
		post := flags&1 != 0
		method := "GET"
		var body io.Reader
		if post {
			method = "POST"
			if flags&16 == 0 {
				body = strings.NewReader(url.Values{csrfField: {token}}.Encode())
			}
		}
		req := httptest.NewRequest(method, "/api/p", body)
		if post {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if flags&16 != 0 {
				req.Header.Set(csrfHeader, token)
			}
		}
		if flags&2 != 0 {
			req.Header.Set("Authorization", auth)
		}
		var cookies []string
		if flags&4 != 0 {
			cookies = append(cookies, sessionCookie+"="+cookie)
		}
		if flags&8 != 0 {
			cookies = append(cookies, csrfCookie+"="+nonce)
		}
		if len(cookies) > 0 {
			req.Header.Set("Cookie", strings.Join(cookies, "; "))
		}
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Skip("request not sendable:", err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()

		var want string
		if seen.auth != "" {
			if rest, ok := strings.CutPrefix(seen.auth, "Bearer "); ok {
				want = byBearer[strings.TrimSpace(rest)]
			}
		} else {
			want = byCookie[seen.cookie]
		}
		if post {
			// The token of a form is the HMAC of the cookie it came with
			// (seeds made by the fuzzing coordinator carry its own live
			// pairs, valid here too under the same key).
			csrfOK := seen.auth != "" ||
				(seen.cookie != "" && seen.token == s.csrfFor("session", workflow.SessionID(seen.cookie))) ||
				(seen.cookie == "" && validNonce(seen.nonce) && seen.token == s.csrfFor("anon", seen.nonce))
			if seen.cookie == sessLive && seen.token == goodSess && !csrfOK {
				t.Fatalf("the rendered form's token is not the session's: %+v", seen)
			}
			if !csrfOK {
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(raw), `"code":"csrf"`) {
					t.Fatalf("form passed the CSRF check without its token: %d %s (seen %+v)", resp.StatusCode, raw, seen)
				}
				return
			}
		}
		switch {
		case resp.StatusCode == http.StatusOK && (want == "" || seen.who != want):
			t.Fatalf("authenticated as %q, want %q (seen %+v)", seen.who, want, seen)
		case resp.StatusCode == http.StatusUnauthorized && want != "":
			t.Fatalf("live credential of %s refused: %s (seen %+v)", want, raw, seen)
		case resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized:
			t.Fatalf("got %d %s (seen %+v), want 200 or 401", resp.StatusCode, raw, seen)
		}
	})
}
