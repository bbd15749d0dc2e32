package handlers

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan/workflow"
)

// The session cookie's attributes decide whether scripts, other sites and
// plain-HTTP hops can get at it.
func TestSessionCookieAttributes(t *testing.T) {
	for _, secure := range []bool{false, true} {
		s := &Server{cfg: Config{SecureCookies: secure}, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Deps: Deps{Accounts: &workflow.Accounts{MaxAge: 8 * time.Hour}}}
		app := fiber.New()
		app.Get("/in", func(c *fiber.Ctx) error { s.setSessionCookie(c, "tok"); return nil })
		app.Get("/out", func(c *fiber.Ctx) error { s.clearSessionCookie(c); return nil })
		for _, path := range []string{"/in", "/out"} {
			resp, err := app.Test(httptest.NewRequest("GET", path, nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			cs := resp.Cookies()
			if len(cs) != 1 {
				t.Fatalf("%s: got cookies %v", path, cs)
			}
			c := cs[0]
			lifetime := c.MaxAge == 8*3600 && c.Value == "tok"
			if path == "/out" { // removed: expired, empty
				lifetime = c.Value == "" && (c.MaxAge < 0 || (!c.Expires.IsZero() && c.Expires.Before(time.Now())))
			}
			if c.Name != sessionCookie || !c.HttpOnly || c.Secure != secure || c.SameSite != http.SameSiteLaxMode ||
				c.Path != "/" || !lifetime {
				t.Errorf("secure=%v %s: got %q, want HttpOnly, Secure=%v, SameSite=Lax, Path=/ and the right lifetime",
					secure, path, c.Raw, secure)
			}
		}
	}
}
