package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"weiquan"
	"weiquan/handlers"
	"weiquan/notifications"
	"weiquan/search"
	"weiquan/store"
	"weiquan/store/embedded"
	"weiquan/workflow"
)

// clock is the time of the whole service: every Now of the packages it
// wires. Tests set it to a time of their choosing (a working morning, out
// of the SMS quiet hours) so that a run does not depend on the hour it
// starts at.
var clock = time.Now

// app is the wired program: the store (embedded or external) and the
// workflow services built on it.
type app struct {
	cfg      Config
	log      *slog.Logger
	store    *store.Store
	server   *embedded.Server // nil with an external MongoDB
	units    *workflow.Units
	router   *workflow.Router
	engine   *workflow.Engine
	accounts *workflow.Accounts
	tokens   *workflow.Tokens
	intake   *workflow.Intake
	otp      *workflow.OTP // set when serving (it needs the data directory's key)
	search   *search.Index // open while serving

	// admin changes accounts, units, rules and policies at run time;
	// policyFileIDs are the policies WEIQUAN_POLICY_FILES loaded.
	admin         *workflow.Admin
	policyFileIDs []string
}

func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openApp connects to the configured database, starting the embedded one
// when no MongoDB is configured.
func openApp(ctx context.Context, cfg Config, log *slog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log}
	uri := cfg.MongoURI
	if uri == "" {
		srv, err := embedded.Start(ctx, cfg.DataDir, log)
		if err != nil {
			return nil, fmt.Errorf("start embedded database in %s: %w", cfg.DataDir, err)
		}
		a.server, uri = srv, srv.URI()
	}
	st, err := store.Open(ctx, uri, cfg.MongoDB, store.Options{Embedded: a.server != nil, Now: clock})
	if err != nil {
		a.close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	a.store = st
	if a.server != nil {
		if err := a.server.RepairIDIndexes(ctx, cfg.MongoDB, st.Collections()); err != nil {
			a.close()
			return nil, fmt.Errorf("repair embedded indexes: %w", err)
		}
	}
	if err := a.wireWorkflow(); err != nil {
		a.close()
		return nil, err
	}
	now := clock
	a.accounts = &workflow.Accounts{Store: st, Now: now, IdleTimeout: cfg.SessionIdle, MaxAge: cfg.SessionMaxAge,
		CacheTTL: 10 * time.Second}
	a.tokens = &workflow.Tokens{Store: st, Now: now, CacheTTL: 10 * time.Second}
	keys, err := a.piiKeys()
	if err != nil {
		a.close()
		return nil, fmt.Errorf("ID number keys: %w", err)
	}
	if err := a.checkPIIKeys(ctx, keys); err != nil {
		a.close()
		return nil, err
	}
	a.engine.Audit = st
	a.admin = &workflow.Admin{Store: st, Accounts: a.accounts, Units: a.units, Router: a.router,
		Policies: a.engine.Policies, Now: now, Log: log}
	if err := a.admin.Restore(ctx, a.adminBase()); err != nil {
		a.close()
		return nil, fmt.Errorf("administrators' changes: %w", err)
	}
	a.intake = &workflow.Intake{Store: st, Now: now, Engine: a.engine, Keys: keys, Audit: st}
	return a, nil
}

// deps are the services the HTTP handlers call.
func (a *app) deps() handlers.Deps {
	return handlers.Deps{Store: a.store, Intake: a.intake, Accounts: a.accounts, Tokens: a.tokens, Engine: a.engine, Router: a.router,
		Units: a.units, Search: a.search, OTP: a.otp, Audit: a.store, Keys: a.intake.Keys, Admin: a.admin,
		Notices: &workflow.Notices{Store: a.store, Units: a.units, Now: clock},
		SMS: handlers.SMS{AuthToken: a.cfg.Twilio.AuthToken, PublicURL: a.cfg.PublicURL, Store: a.store,
			Log: func(ctx context.Context, limit int) (any, error) { return a.store.ListSMSLog(ctx, limit) }}}
}

// sender is Twilio when an account is configured, else the local log.
func (a *app) sender() (notifications.Sender, error) {
	if a.cfg.Twilio.AccountSID == "" {
		return &notifications.LogSender{Log: a.store}, nil
	}
	return notifications.NewTwilio(a.cfg.Twilio)
}

// wireWorkflow loads the units, routing rules, holiday calendar and deadline
// policies, and builds the state machine on them.
func (a *app) wireWorkflow() error {
	units, err := workflow.DefaultUnits()
	if a.cfg.UnitsFile != "" {
		units, err = withFile(a.cfg.UnitsFile, func(f *os.File) (*workflow.Units, error) {
			return workflow.LoadUnits(f, filepath.Base(a.cfg.UnitsFile))
		})
	}
	if err != nil {
		return fmt.Errorf("load units: %w", err)
	}
	router, err := workflow.DefaultRouter(units)
	if a.cfg.RulesFile != "" {
		router, err = withFile(a.cfg.RulesFile, func(f *os.File) (*workflow.Router, error) {
			return workflow.LoadRules(f, filepath.Base(a.cfg.RulesFile), units)
		})
	}
	if err != nil {
		return fmt.Errorf("load routing rules: %w", err)
	}
	var calFiles []io.Reader
	for _, path := range a.cfg.CalendarFiles {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("holiday calendar: %w", err)
		}
		defer f.Close()
		calFiles = append(calFiles, f)
	}
	cal, err := workflow.NewCalendar(calFiles...)
	if err != nil {
		return fmt.Errorf("load holiday calendar: %w", err)
	}
	cal.SetLogger(a.log)
	year := clock().In(weiquan.Shanghai).Year()
	for _, y := range []int{year, year + 1} {
		if !cal.Covers(y) {
			a.log.Warn("no statutory holiday data for this year: deadlines count weekends only until a calendar file is added",
				"year", y)
		}
	}
	policies := workflow.NewPolicies()
	for _, path := range a.cfg.PolicyFiles {
		p, err := withFile(path, func(f *os.File) (workflow.Policy, error) { return workflow.LoadPolicy(f) })
		if err == nil {
			err = policies.Add(p)
			a.policyFileIDs = append(a.policyFileIDs, p.ID)
		}
		if err != nil {
			return fmt.Errorf("deadline policy %s: %w", path, err)
		}
	}
	if a.cfg.DefaultPolicy != "" {
		if err := policies.SetDefault(a.cfg.DefaultPolicy); err != nil {
			return fmt.Errorf("WEIQUAN_DEFAULT_POLICY: %w", err)
		}
	}
	a.units, a.router = units, router
	trackURL := a.cfg.TrackURL
	a.engine = &workflow.Engine{Store: a.store, Router: router, Units: units, Calendar: cal,
		Policies: policies, Now: clock,
		Owe: func(c *weiquan.Case, event string, now time.Time) []weiquan.Message {
			return notifications.Owed(c, event, trackURL, now)
		}}
	return nil
}

// adminBase is the configuration administrators' stored changes are laid
// over at start-up (workflow.Admin.Restore says which wins).
func (a *app) adminBase() workflow.AdminBase {
	name, text := a.router.Text()
	return workflow.AdminBase{RulesName: name, RulesText: text, RulesFile: a.cfg.RulesFile,
		DefaultPolicy: a.cfg.DefaultPolicy, PolicyFiles: a.policyFileIDs}
}

// withFile opens path for load and closes it after.
func withFile[T any](path string, load func(*os.File) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return load(f)
}

// close flushes and releases everything; safe on a half-opened app.
func (a *app) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if a.store != nil {
		if err := a.store.Close(ctx); err != nil {
			a.log.Warn("closing store", "err", err)
		}
	}
	if a.server != nil {
		if err := a.server.Close(); err != nil {
			a.log.Warn("closing embedded database", "err", err)
		}
	}
}

// bootstrap loads the Fujian units and makes sure an administrator exists.
// It returns the generated admin password when it had to make one up.
func (a *app) bootstrap(ctx context.Context) (generated string, err error) {
	if err := a.store.UpsertUnits(ctx, a.units.All()); err != nil {
		return "", fmt.Errorf("load units: %w", err)
	}
	_, err = a.store.GetUserByUsername(ctx, "admin")
	if err == nil {
		return "", nil
	}
	if weiquan.ErrorCode(err) != weiquan.ENotFound {
		return "", fmt.Errorf("look up admin: %w", err)
	}
	password := a.cfg.AdminPassword
	if password == "" {
		password = randomPassword()
		generated = password
	}
	if _, err := a.accounts.CreateUser(ctx, workflow.NewUser{Username: "admin", Password: password, Role: weiquan.RoleAdmin}); err != nil {
		if weiquan.ErrorCode(err) == weiquan.EConflict {
			return "", nil // another instance created it first
		}
		return "", fmt.Errorf("create admin: %w", err)
	}
	return generated, nil
}

// randomPassword is 20 characters from an alphabet without look-alikes, so it
// can be read off a terminal and typed.
func randomPassword() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679"
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("no randomness: " + err.Error()))
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
