package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"sync"
	"time"

	"weiquan/handlers"
	"weiquan/notifications"
	"weiquan/search"
	"weiquan/workflow"
)

func serve(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	logFormat := fs.String("log-format", "", "text or json (overrides WEIQUAN_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, defaults, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	if *logFormat != "" {
		if *logFormat != "text" && *logFormat != "json" {
			return fmt.Errorf("--log-format must be text or json")
		}
		cfg.LogFormat = *logFormat
	}
	log := newLogger(env.Stderr, cfg.LogFormat, cfg.LogLevel)
	for _, name := range defaults {
		log.Info("default taken", "setting", name, "value", describeDefault(name, cfg))
	}

	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	// The keys other instances must share are checked before anything is
	// written or sent.
	csrfKey, otpKey, sharedKeys, err := a.servingKeys(ctx)
	if err != nil {
		return err
	}
	generated, err := a.bootstrap(ctx)
	if err != nil {
		return err
	}
	if generated != "" {
		fmt.Fprintf(env.Stdout, "\n管理员账号 admin 的初始密码（只显示这一次，请登录后修改）：%s\n\n", generated)
	}

	// Subscribe before the index is opened or rebuilt, so no write is missed.
	sub := a.caseFeed(ctx)
	defer sub.Close()
	ix, err := a.openSearch(ctx)
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	defer func() {
		if err := ix.Close(); err != nil {
			log.Warn("closing search index", "err", err)
		}
	}()
	a.search = ix
	a.intake.Clusters = ix
	// The background work — keeping the index current, the deadline
	// sweeper, the SMS dispatcher — stops before the index and the store
	// close (deferred earlier, so run later).
	bgCtx, stopBackground := context.WithCancel(ctx)
	var background sync.WaitGroup
	defer func() { stopBackground(); background.Wait() }()
	background.Go(func() { a.follow(bgCtx, ix, sub) })
	// The sweeper finds its candidates in the index, never by scanning the
	// store.
	sweeper := &workflow.Sweeper{Source: search.SweepCandidates{Index: ix, Store: a.store, Now: clock}, Engine: a.engine,
		Notices: a.store, Now: clock, Logger: log}
	background.Go(func() { sweeper.Run(bgCtx, cfg.SweepEvery) })
	// The SMS dispatcher sends what transitions owe. On the embedded database
	// this process is the only sender; with MongoDB other instances may be,
	// and their writes reach this one only through periodic rescans.
	sender, err := a.sender()
	if err != nil {
		return err
	}
	embedded := a.server != nil
	smsOpts := notifications.Options{Exclusive: embedded, Logger: log, Now: clock,
		Outbox: a.store, SubscribeOutbox: func() notifications.Feed { return a.store.SubscribeOutbox() }}
	if !embedded {
		smsOpts.Rescan, smsOpts.FullRescan = 30*time.Second, time.Hour
	}
	if !embedded {
		// Other instances on the same MongoDB may change units, rules and
		// policies; this one picks their changes up within half a minute.
		background.Go(func() { a.admin.RefreshEvery(bgCtx, 30*time.Second) })
	}
	dispatcher := notifications.NewDispatcher(a.store, func() notifications.Feed { return a.caseFeed(bgCtx) }, sender, smsOpts)
	background.Go(func() {
		if err := dispatcher.Run(bgCtx); err != nil {
			log.Error("SMS dispatcher stopped", "err", err)
		}
	})

	background.Go(func() { a.keepKeysSeen(bgCtx, sharedKeys) })
	a.otp = &workflow.OTP{Store: a.store, Key: otpKey, Compose: notifications.ComposeCode, Now: clock, Logger: log}
	background.Go(func() { a.otp.PurgeEvery(bgCtx, time.Hour) })
	app := handlers.New(handlers.Config{
		SecureCookies:  secureCookies(cfg.PublicURL),
		CSRFKey:        csrfKey,
		TrackURL:       cfg.TrackURL,
		RequestTimeout: cfg.RequestTimeout,
		TrustedProxies: cfg.TrustedProxies,
		Logger:         log,
	}, a.deps())

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "url", "http://"+ln.Addr().String())

	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	if err := app.ShutdownWithTimeout(10 * time.Second); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	// a.close (deferred) closes the store and flushes the embedded database.
	return nil
}

// describeDefault says what an unset setting means, without revealing any
// secret.
func describeDefault(name string, cfg Config) string {
	switch name {
	case "WEIQUAN_MONGO_URI":
		return "embedded FerretDB in " + cfg.DataDir
	case "WEIQUAN_ADMIN_PASSWORD":
		return "random at first start, printed once"
	case "WEIQUAN_PHONE_HASH_KEY", "WEIQUAN_CSRF_KEY", "WEIQUAN_OTP_KEY", "WEIQUAN_PII_KEYS":
		return "generated once in " + cfg.DataDir
	case "WEIQUAN_PUBLIC_URL":
		return cfg.PublicURL
	case "WEIQUAN_TRACK_URL":
		return cfg.TrackURL
	case "WEIQUAN_TWILIO_ACCOUNT_SID":
		return "none: SMS go to the local log"
	}
	for _, s := range settings {
		if s.env == name && s.def != "" {
			return s.def
		}
	}
	return "none"
}
