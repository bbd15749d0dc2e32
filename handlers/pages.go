package handlers

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"weiquan"
)

// The pages are server-rendered with html/template from files embedded in
// the binary, so `go run ./cmd/weiquan` serves them with nothing to build and
// nothing fetched from elsewhere. A page file defines the block "content"
// (and may define "title" and "head"); files starting with "_" are partials
// shared by every page.

// The pattern names the files: a bare directory would leave out the
// "_" partials.
//
//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Page is what every template receives.
type Page struct {
	Title string
	// Nav names the navigation entry to mark as current.
	Nav  string
	User *weiquan.User // nil for a visitor who is not signed in
	// CSRF is the token every form posts back as _csrf.
	CSRF string
	// Flash is a one-line confirmation shown at the top ("已保存").
	Flash string
	// Error is a message for the whole form; FieldErrors name the fields.
	Error       string
	FieldErrors map[string]weiquan.FieldError
	Data        any
}

// templates parses every page with the layout and the partials.
func (s *Server) templates() (map[string]*template.Template, error) {
	base := template.New("layout.html").Funcs(s.templateFuncs())
	partials, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	if _, err := base.ParseFS(templateFS, append([]string{"templates/layout.html"}, partials...)...); err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := path.Base(p)
		if name == "layout.html" || strings.HasPrefix(name, "_") {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, p)
		if err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

func (s *Server) templateFuncs() template.FuncMap {
	return template.FuncMap{
		// label gives the Chinese of a taxonomy code: {{label "status" .Status}}.
		"label": func(kind string, code any) string { return termLabel(kind, fmt.Sprint(code)) },
		"yuan":  yuan,
		// when shows a time in Asia/Shanghai to the minute; day to the day.
		"when": func(t any) string { return formatTime(t, "2006-01-02 15:04") },
		"day":  func(t any) string { return formatTime(t, "2006-01-02") },
		"unitName": func(id string) string {
			if s.Units != nil {
				if u, ok := s.Units.Get(id); ok {
					return u.Name
				}
			}
			if id == "" {
				return "未分派"
			}
			return id
		},
		"maskPhone":    weiquan.MaskPhone,
		"roleName":     roleLabel,
		"unitTypeName": weiquan.UnitType.Label,
		// fieldError is a form field's error message: {{fieldError .FieldErrors "complainant.phone"}}.
		"fieldError": fieldError,
		// terms lists a taxonomy for a select: {{range terms "category"}}.
		"terms":     termsOf,
		"smsStatus": smsStatusLabel,
		"query":     url.QueryEscape,
		"has": func(list []string, v string) bool {
			for _, x := range list {
				if x == v {
					return true
				}
			}
			return false
		},
	}
}

// termLabel looks a code up in the taxonomy list named by kind.
func termLabel(kind, code string) string {
	lists := map[string][]weiquan.Term{
		"kind": weiquan.Vocabulary.Kinds, "channel": weiquan.Vocabulary.Channels,
		"category": weiquan.Vocabulary.Categories, "problem": weiquan.Vocabulary.Problems,
		"demand": weiquan.Vocabulary.Demands, "status": weiquan.Vocabulary.Statuses,
		"outcome": weiquan.Vocabulary.Outcomes, "track": weiquan.Vocabulary.Tracks,
	}
	if t, ok := weiquan.Lookup(lists[kind], code); ok {
		return t.Label
	}
	return code
}

// yuan formats an amount in fen as yuan with two decimals: 359900 → "3599.00".
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

func formatTime(v any, layout string) string {
	switch t := v.(type) {
	case time.Time:
		if t.IsZero() {
			return ""
		}
		return t.In(weiquan.Shanghai).Format(layout)
	case *time.Time:
		if t == nil || t.IsZero() {
			return ""
		}
		return t.In(weiquan.Shanghai).Format(layout)
	}
	return ""
}

// render writes a page. A template error is a bug: it becomes a 500 and
// nothing half-written reaches the browser.
func (s *Server) render(c *fiber.Ctx, status int, name string, p Page) error {
	t, ok := s.pages[name]
	if !ok {
		return weiquan.Errorf(weiquan.EInternal, "页面不存在：%s", name)
	}
	if p.User == nil {
		p.User, _ = c.Locals(userKey).(*weiquan.User)
	}
	if p.CSRF == "" {
		p.CSRF = s.csrfToken(c)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", p); err != nil {
		return weiquan.WrapError(weiquan.EInternal, "页面生成失败", err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(buf.Bytes())
}

// wantsHTML tells a browser's page request from an API call, so that errors
// on pages are pages and errors on the API are JSON.
func wantsHTML(c *fiber.Ctx) bool {
	p := c.Path()
	if strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/hooks/") || strings.HasPrefix(p, "/static/") {
		return false
	}
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/html") || c.Method() == fiber.MethodGet
}

// renderError shows an error as a page with the status of the one table.
func (s *Server) renderError(c *fiber.Ctx, status int, de *weiquan.Error) error {
	return s.render(c, status, "error.html", Page{Title: "出错了", Error: de.Message, Data: status})
}

// requirePageSession is requireSession for pages: a visitor who is not
// signed in (or whose session ended) is sent to the sign-in page and back.
func (s *Server) requirePageSession(c *fiber.Ctx) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	u, err := s.Accounts.Authenticate(ctx, c.Cookies(sessionCookie))
	if err != nil {
		var de *weiquan.Error
		if errors.As(err, &de) && de.Code == weiquan.EUnauthorized {
			return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusSeeOther)
		}
		return err
	}
	c.Locals(userKey, u)
	return c.Next()
}

// requireRole refuses a signed-in page visitor whose role is not listed.
func requireRole(roles ...weiquan.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a := actor(c)
		for _, r := range roles {
			if a.Role == r {
				return c.Next()
			}
		}
		return weiquan.Errorf(weiquan.EForbidden, "您的角色（%s）不能使用这个页面", roleLabel(a.Role))
	}
}

func roleLabel(r weiquan.Role) string {
	switch r {
	case weiquan.RoleOperator:
		return "话务员"
	case weiquan.RoleOfficer:
		return "办案人员"
	case weiquan.RoleSupervisor:
		return "指挥中心"
	case weiquan.RoleAdmin:
		return "管理员"
	}
	return "访客"
}

// homeOf is where a staff member lands after signing in.
func homeOf(r weiquan.Role) string {
	switch r {
	case weiquan.RoleOperator:
		return "/console"
	case weiquan.RoleOfficer:
		return "/desk"
	case weiquan.RoleSupervisor:
		return "/dashboard"
	case weiquan.RoleAdmin:
		return "/admin"
	}
	return "/"
}

// pageRoutes registers the pages. Each area lives in its own file.
func (s *Server) pageRoutes(app *fiber.App) {
	sub, _ := fs.Sub(staticFS, "static")
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(sub), MaxAge: 3600}))
	app.Get("/login", s.loginPage)
	app.Post("/login", s.loginSubmit)
	app.Post("/logout", s.logoutSubmit)
	s.publicPages(app)
	s.consolePages(app)
	s.deskPages(app)
	s.dashboardPages(app)
	s.adminPages(app)
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	return next
}

type loginForm struct {
	Username string
	Next     string
}

func (s *Server) loginPage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "login.html", Page{Title: "工作人员登录", Data: loginForm{Next: safeNext(c.Query("next"))}})
}

func (s *Server) loginSubmit(c *fiber.Ctx) error {
	form := loginForm{Username: strings.TrimSpace(c.FormValue("username")), Next: safeNext(c.FormValue("next"))}
	ctx, cancel := s.ctx(c)
	defer cancel()
	token, u, err := s.Accounts.Login(ctx, form.Username, c.FormValue("password"), c.IP())
	if err != nil {
		var de *weiquan.Error
		if errors.As(err, &de) && de.Code != weiquan.EInternal && de.Code != weiquan.EUnavailable {
			return s.render(c, statusOf[de.Code], "login.html", Page{Title: "工作人员登录", Error: de.Message, Data: form})
		}
		return err
	}
	s.setSessionCookie(c, token)
	dest := form.Next
	if dest == "" {
		dest = homeOf(u.Role)
	}
	return c.Redirect(dest, fiber.StatusSeeOther)
}

func (s *Server) logoutSubmit(c *fiber.Ctx) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	if err := s.Accounts.Logout(ctx, c.Cookies(sessionCookie)); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	return c.Redirect("/login", fiber.StatusSeeOther)
}
