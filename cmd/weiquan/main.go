// Command weiquan runs the consumer-rights case platform and its
// administrative subcommands.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"weiquan/notifications/twiliofake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Main(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "weiquan:", err)
		os.Exit(1)
	}
}

// Env is the process environment a run sees, so tests can start Main with
// exactly the configuration they mean.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

const usage = `weiquan — consumer-rights case platform

usage:
  weiquan [serve] [--log-format text|json]   run the service (the default)
  weiquan user add --username NAME --role ROLE [--unit ID]... --password-stdin
  weiquan seed --cases N [--seed S] [--corpus FILE]
  weiquan reindex                             rebuild the search index from the store
  weiquan pii rekey                           seal every ID number again under the active key of WEIQUAN_PII_KEYS
  weiquan twilio-fake [--addr 127.0.0.1:8089]  a local fake of Twilio's Messages API for development
  weiquan help

Configuration is read from WEIQUAN_* environment variables; see README.md.
`

// Main runs one command line. It returns when the command is done or, for
// serve, when ctx is cancelled and everything has been flushed.
func Main(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	env := Env{Getenv: getenv, Stdin: stdin, Stdout: stdout, Stderr: stderr}
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, env)
	case "user":
		return userCmd(ctx, args, env)
	case "seed":
		return seedCmd(ctx, args, env)
	case "reindex":
		return reindexCmd(ctx, args, env)
	case "pii":
		return piiCmd(ctx, args, env)
	case "twilio-fake":
		return twilioFakeCmd(ctx, args, env)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// twilioFakeCmd runs the fake Twilio Messages API the tests use, for trying
// the Twilio sender without an account: point WEIQUAN_TWILIO_API_URL at it.
func twilioFakeCmd(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("twilio-fake", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	addr := fs.String("addr", "127.0.0.1:8089", "address to listen on")
	sid := fs.String("account-sid", "", "account SID it accepts (default: the fake's own)")
	token := fs.String("auth-token", "", "auth token it accepts and signs callbacks with")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return twiliofake.Serve(ctx, *addr, twiliofake.Config{AccountSID: *sid, AuthToken: *token,
		Logger: slog.New(slog.NewTextHandler(env.Stderr, nil))})
}
