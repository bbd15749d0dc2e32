// Package handlers is the only package that knows HTTP: the JSON API under
// /api/v1, health endpoints, and the one table that maps domain error codes
// to HTTP statuses.
package handlers

import (
	"context"
	"html/template"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/workflow"
)

// Store is what the handlers read directly; writes go through workflow.
type Store interface {
	GetCase(ctx context.Context, id string) (*weiquan.Case, error)
	ListUnits(ctx context.Context) ([]weiquan.Unit, error)
	Ping(ctx context.Context) error
	// ClaimFormKey, RecordFormKey and ReleaseFormKey remember which case
	// each submitted intake form saved (pages_intake.go).
	ClaimFormKey(ctx context.Context, key string, now time.Time) (caseID, token string, err error)
	RecordFormKey(ctx context.Context, key, token, caseID string) error
	ReleaseFormKey(ctx context.Context, key, token string) error
}

// Config holds what the HTTP layer needs to know about its surroundings.
type Config struct {
	// SecureCookies marks the session cookie Secure (set when the public URL
	// is https).
	SecureCookies bool
	// RequestTimeout bounds the work of one request.
	RequestTimeout time.Duration
	// TrustedProxies are the reverse proxies whose X-Real-IP header names
	// the client (WEIQUAN_TRUSTED_PROXIES; limits.go).
	TrustedProxies []string
	Logger         *slog.Logger
	// TrackURL is the tracking link of a case, {id} standing for its number
	// (WEIQUAN_TRACK_URL); default /track?id={id}.
	TrackURL string
	// CSRFKey signs the anti-forgery tokens of forms (csrf.go). It must
	// survive restarts or open forms stop working; empty means a random key
	// for this process (tests).
	CSRFKey []byte
	// CountTTL is how long the dashboard reuses its counts (stats.go); 0
	// means the default countTTL, a negative value never reuses them
	// (benchmarks of the counting itself).
	CountTTL time.Duration
}

// Deps are the services the handlers call.
type Deps struct {
	Store    Store
	Intake   *workflow.Intake
	Accounts *workflow.Accounts
	Tokens   *workflow.Tokens // API tokens of integrations; nil refuses them
	Engine   *workflow.Engine
	Router   *workflow.Router
	Units    *workflow.Units
	Notices  *workflow.Notices // units' deadline notices (notices.go); nil answers 503
	Search   Searcher
	SMS      SMS
	// OTP issues and checks consumers' SMS codes (public.go); nil answers
	// the public endpoints 503.
	OTP *workflow.OTP
	// Audit is the append-only audit trail (pii.go); Keys open sealed ID
	// numbers for the audited full view.
	Audit AuditTrail
	// Admin changes accounts, units, rules and policies at run time
	// (admin.go); nil answers those endpoints 503.
	Admin *workflow.Admin
	Keys  *weiquan.KeyRing
}

// Server holds the dependencies of the handlers.
type Server struct {
	Deps
	cfg    Config
	log    *slog.Logger
	writes lastWrites
	// csrfKey is Config.CSRFKey or a random key (csrf.go).
	csrfKey []byte
	pages   map[string]*template.Template
	// counts keeps the dashboard's counts for a few seconds (stats.go).
	counts countCache
}

// New builds the fiber application with every route.
func New(cfg Config, deps Deps) *fiber.App {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 15 * time.Second
	}
	s := &Server{Deps: deps, cfg: cfg, log: cfg.Logger, csrfKey: cfg.CSRFKey}
	if len(s.csrfKey) == 0 {
		s.csrfKey = []byte(randomToken())
	}
	pages, err := s.templates()
	if err != nil {
		// The templates are embedded: a parse error is a bug caught by any test.
		panic(err)
	}
	s.pages = pages
	app := fiber.New(withTrustedProxies(fiber.Config{
		AppName:               "weiquan",
		BodyLimit:             1 << 20,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler:          s.errorHandler,
	}, cfg.TrustedProxies))
	app.Use(s.recoverer, s.accessLog, s.csrfProtect)

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", s.ready)

	app.Post("/hooks/twilio/status", s.twilioStatus)
	app.Post("/hooks/twilio/inbound", s.twilioInbound)

	api := app.Group("/api/v1")
	api.Post("/auth/login", s.login)
	api.Post("/auth/logout", s.logout)
	s.publicRoutes(api)

	staff := api.Group("", s.requireSession)
	staff.Post("/auth/password", s.changePassword)
	staff.Post("/admin/users", s.createUser)
	staff.Post("/admin/tokens", s.createToken)
	staff.Get("/admin/tokens", s.listTokens)
	staff.Delete("/admin/tokens/:id", s.revokeToken)
	staff.Get("/taxonomy", s.taxonomy)
	staff.Get("/units", s.units)
	staff.Post("/cases", s.createCase)
	staff.Get("/cases", s.listCases)
	staff.Get("/cases/:id", s.getCase)
	staff.Post("/cases/:id/actions/:action", s.act)
	staff.Get("/cases/:id/duplicates", s.caseDuplicates)
	staff.Post("/duplicates", s.checkDuplicates)
	staff.Get("/divisions/resolve", s.resolveDivision)
	staff.Get("/admin/sms-log", s.smsLog)
	staff.Get("/admin/audit", s.auditLog)
	staff.Post("/routing/explain", s.explainRouting)
	s.adminRoutes(staff)
	staff.Get("/notices", s.listNotices)
	staff.Post("/notices/:id/read", s.readNotice)
	s.statsRoutes(staff) // stats.go: /stats/…, /export.csv

	s.pageRoutes(app)

	app.Use(func(c *fiber.Ctx) error {
		return weiquan.Errorf(weiquan.ENotFound, "没有这个地址：%s %s", c.Method(), c.Path())
	})
	return app
}

// ctx bounds a request's work by the configured timeout.
func (s *Server) ctx(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), s.cfg.RequestTimeout)
}

func (s *Server) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		return weiquan.WrapError(weiquan.EUnavailable, "数据库不可用", err)
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

func (s *Server) taxonomy(c *fiber.Ctx) error {
	return c.JSON(weiquan.Vocabulary)
}

func (s *Server) units(c *fiber.Ctx) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	units, err := s.Store.ListUnits(ctx)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": units, "total": len(units)})
}
