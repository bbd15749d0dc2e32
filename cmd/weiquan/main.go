// Command weiquan runs the consumer-rights case platform and its
// administrative subcommands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
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
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
