package handlers

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"mime"
	"strings"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/workflow"
)

// Cross-site request forgery: another site can make a signed-in officer's
// browser post a form here, cookie and all (SameSite=Lax stops most of it,
// but not a top-level POST from an old browser or a sibling subdomain). So
// every state-changing request a browser could send cross-site must carry a
// token only our own pages know:
//
//   - a staff member's token is an HMAC of their session id under a server
//     key: nothing to store, valid exactly as long as the session, useless
//     with any other session;
//   - an anonymous visitor's token is an HMAC of a random nonce kept in the
//     cookie weiquan_csrf (a signed double-submit cookie).
//
// JSON bodies and requests with an Authorization header are exempt: a
// browser sends neither cross-site without a CORS preflight, which weiquan
// never answers. Twilio's webhooks are exempt and checked by signature.
const (
	csrfCookie = "weiquan_csrf"
	csrfField  = "_csrf"
	csrfHeader = "X-CSRF-Token"
	// csrfLen is the length of a token or nonce: 32 bytes in unpadded
	// base64url.
	csrfLen = 43

	csrfNonceKey   = "weiquan.csrf_nonce"   // Locals: the anonymous nonce set in this response
	csrfSessionKey = "weiquan.csrf_session" // Locals: the session token set (or "" cleared) in this response

	msgCSRF = "页面已过期，请刷新后重试"
	// msgCSRFAPI is for programs posting to the API without a JSON content
	// type (curl -d sends a form type): the page's message would mislead.
	msgCSRFAPI = "请以 JSON 提交（Content-Type: application/json）或使用 API 令牌；表单提交须带有效的 CSRF 令牌"
)

// csrfProtect refuses a state-changing browser request without a valid
// token, before any handler runs, so a refused request changes nothing.
func (s *Server) csrfProtect(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions, fiber.MethodTrace:
		return c.Next()
	}
	if strings.HasPrefix(c.Path(), "/hooks/twilio/") || len(c.Request().Header.Peek(fiber.HeaderAuthorization)) > 0 {
		return c.Next()
	}
	ct := mediaType(c)
	if ct == fiber.MIMEApplicationJSON {
		return c.Next()
	}
	if !s.validCSRF(c, submittedCSRF(c, ct)) {
		if strings.HasPrefix(c.Path(), "/api/") {
			return &weiquan.Error{Code: weiquan.ECSRF, Message: msgCSRFAPI}
		}
		return &weiquan.Error{Code: weiquan.ECSRF, Message: msgCSRF}
	}
	return c.Next()
}

// mediaType is the request's content type without parameters, lower case;
// "" when absent or unparsable.
func mediaType(c *fiber.Ctx) string {
	raw := c.Get(fiber.HeaderContentType)
	if raw == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(raw)
	if err != nil {
		return ""
	}
	return mt
}

// submittedCSRF reads the token from the header or from the form body. The
// query string is not looked at: a token in a URL leaks through logs and
// Referer headers.
func submittedCSRF(c *fiber.Ctx, ct string) string {
	if v := c.Get(csrfHeader); v != "" {
		return v
	}
	switch ct {
	case fiber.MIMEApplicationForm:
		return string(c.Request().PostArgs().Peek(csrfField))
	case fiber.MIMEMultipartForm:
		if form, err := c.MultipartForm(); err == nil {
			if v := form.Value[csrfField]; len(v) > 0 {
				return v[0]
			}
		}
	}
	return ""
}

// validCSRF checks a submitted token against the request's own cookies:
// the session's token when a session cookie came with the request, else the
// anonymous nonce's.
func (s *Server) validCSRF(c *fiber.Ctx, got string) bool {
	if len(got) != csrfLen {
		return false
	}
	var want string
	if sess := c.Cookies(sessionCookie); sess != "" {
		want = s.csrfFor("session", workflow.SessionID(sess))
	} else if nonce := c.Cookies(csrfCookie); validNonce(nonce) {
		want = s.csrfFor("anon", nonce)
	} else {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// csrfToken is the token to put in a form as _csrf (or send as
// X-CSRF-Token). It follows the cookies the browser will send with the form:
// the session set or cleared in this very response wins over the request's,
// so a page rendered right after sign-in or sign-out posts back correctly.
// For a visitor without a session it sets the weiquan_csrf cookie when
// absent.
func (s *Server) csrfToken(c *fiber.Ctx) string {
	sess := c.Cookies(sessionCookie)
	if v, ok := c.Locals(csrfSessionKey).(string); ok {
		sess = v
	}
	if sess != "" {
		return s.csrfFor("session", workflow.SessionID(sess))
	}
	nonce, _ := c.Locals(csrfNonceKey).(string)
	if nonce == "" {
		nonce = c.Cookies(csrfCookie)
	}
	if !validNonce(nonce) {
		nonce = randomToken()
		c.Cookie(&fiber.Cookie{Name: csrfCookie, Value: nonce, Path: "/", HTTPOnly: true,
			Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode})
	}
	c.Locals(csrfNonceKey, nonce)
	return s.csrfFor("anon", nonce)
}

// csrfFor is the HMAC of one kind of binding ("session" or "anon") and its
// value under the server key. The kind keeps a nonce from ever passing for a
// session id.
func (s *Server) csrfFor(kind, value string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte("weiquan-csrf\x00" + kind + "\x00" + value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validNonce accepts only what randomToken makes, so a cookie planted with
// junk is replaced rather than trusted.
func validNonce(v string) bool {
	if len(v) != csrfLen {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 32
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand does not fail on supported platforms (Go 1.24+ panics
		// instead of returning an error); keep the signature simple.
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
