package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"weiquan"
	"weiquan/seed"
	"weiquan/workflow"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// openForCommand is openApp for the short-lived subcommands: configuration
// from the environment, logs at warn level so the command's own output
// stands out.
func openForCommand(ctx context.Context, env Env) (*app, error) {
	cfg, _, err := loadConfig(env.Getenv)
	if err != nil {
		return nil, err
	}
	log := newLogger(env.Stderr, cfg.LogFormat, max(cfg.LogLevel, slog.LevelWarn))
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	if _, err := a.bootstrap(ctx); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

func userCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: weiquan user add --username NAME --role ROLE [--unit ID]... --password-stdin")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	username := fs.String("username", "", "login name")
	role := fs.String("role", "", "operator, officer, supervisor or admin")
	var units multiFlag
	fs.Var(&units, "unit", "unit id the user belongs to (repeatable), e.g. amr-350203")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if !*fromStdin {
		return errors.New("--password-stdin is required: passwords are never taken from the command line")
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("read password from stdin: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")

	a, err := openForCommand(ctx, env)
	if err != nil {
		return err
	}
	defer a.close()
	u, err := a.accounts.CreateUser(ctx, workflow.NewUser{Username: *username, Password: password, Role: weiquan.Role(*role), UnitIDs: units})
	if err != nil {
		var de *weiquan.Error
		if errors.As(err, &de) && len(de.Fields) > 0 {
			var parts []string
			for f, fe := range de.Fields {
				parts = append(parts, f+": "+fe.Message)
			}
			return fmt.Errorf("%s (%s)", de.Message, strings.Join(parts, "; "))
		}
		return err
	}
	fmt.Fprintf(env.Stdout, "created user %s (%s) role=%s units=%s\n", u.Username, u.ID, u.Role, strings.Join(u.UnitIDs, ","))
	return nil
}

func seedCmd(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	n := fs.Int("cases", 1000, "number of cases to create")
	seedVal := fs.Int64("seed", 1, "random seed: the same seed gives the same cases")
	corpus := fs.String("corpus", "", "CSV file with a review column to use as descriptions (e.g. ../shared/corpus/online_shopping_10_cats/online_shopping_10_cats.csv)")
	workers := fs.Int("workers", runtime.GOMAXPROCS(0)*2, "concurrent writers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 0 {
		return errors.New("--cases must not be negative")
	}
	opts := seed.Options{Now: time.Now()}
	if *corpus != "" {
		texts, err := seed.LoadCorpus(*corpus)
		if err != nil {
			return err
		}
		opts.Corpus = texts
	}
	a, err := openForCommand(ctx, env)
	if err != nil {
		return err
	}
	defer a.close()

	gen := seed.New(*seedVal, opts)
	drafts := make(chan weiquan.Case, 64)
	var done atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, *workers)
	start := time.Now()
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range drafts {
				if _, err := a.intake.RegisterAt(ctx, weiquan.Actor{UserID: "seed"}, d, d.CreatedAt); err != nil {
					errc <- err
					return
				}
				if k := done.Add(1); k%1000 == 0 {
					fmt.Fprintf(env.Stderr, "\rseeded %d/%d (%.0f cases/s)", k, *n, float64(k)/time.Since(start).Seconds())
				}
			}
		}()
	}
	var genErr error
feed:
	for i := 0; i < *n; i++ {
		select {
		case drafts <- gen.Next():
		case genErr = <-errc:
			break feed
		case <-ctx.Done():
			genErr = ctx.Err()
			break feed
		}
	}
	close(drafts)
	wg.Wait()
	if genErr == nil {
		select {
		case genErr = <-errc:
		default:
		}
	}
	if genErr != nil {
		return fmt.Errorf("seed stopped after %d cases: %w", done.Load(), genErr)
	}
	fmt.Fprintf(env.Stdout, "\nseeded %d cases in %s (seed %d)\n", done.Load(), time.Since(start).Round(time.Millisecond), *seedVal)
	return nil
}
