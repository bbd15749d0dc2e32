package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"weiquan/search"
)

// indexDir is where the search index lives: beside the embedded database,
// and under the data directory with an external MongoDB too (each instance
// keeps its own index).
func (a *app) indexDir() string { return filepath.Join(a.cfg.DataDir, "index") }

// phoneKey is the secret under which phone numbers are hashed in the index:
// WEIQUAN_PHONE_HASH_KEY, else a key generated once and kept in the data
// directory (readable by the service only).
func (a *app) phoneKey() ([]byte, error) {
	if a.cfg.PhoneHashKey != "" {
		return []byte(a.cfg.PhoneHashKey), nil
	}
	path := filepath.Join(a.cfg.DataDir, "phone-hash.key")
	raw, err := os.ReadFile(path)
	if err == nil {
		key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
		if err != nil || len(key) < 16 {
			return nil, fmt.Errorf("%s is damaged: delete it and run weiquan reindex", path)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(a.cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	a.log.Info("generated the phone hashing key of the search index", "file", path)
	return key, nil
}

func (a *app) searchOptions() (search.Options, error) {
	key, err := a.phoneKey()
	return search.Options{PhoneKey: key, Logger: a.log, Now: clock}, err
}

// openSearch opens the index, rebuilding it from the store when it is
// missing, damaged or of an older mapping. The caller subscribes to the
// store's feed first, so nothing written during a rebuild is missed.
func (a *app) openSearch(ctx context.Context) (*search.Index, error) {
	opts, err := a.searchOptions()
	if err != nil {
		return nil, err
	}
	ix, err := search.Open(a.indexDir(), opts)
	if err == nil {
		return ix, nil
	}
	if !errors.Is(err, search.ErrNeedsRebuild) {
		return nil, err
	}
	if _, statErr := os.Stat(a.indexDir()); errors.Is(statErr, os.ErrNotExist) {
		a.log.Info("creating the search index from the store", "dir", a.indexDir())
	} else {
		a.log.Warn("search index must be rebuilt from the store", "reason", err.Error())
	}
	return a.rebuildIndex(ctx, opts, func(p search.Progress) {
		a.log.Info("rebuilding search index", "cases", p.Indexed, "rate", int(p.Rate()))
	})
}

func (a *app) rebuildIndex(ctx context.Context, opts search.Options, progress func(search.Progress)) (*search.Index, error) {
	// Cases written during the rebuild are younger than this checkpoint, so
	// the reconcile pass after it picks them up.
	checkpoint := time.Now().UTC().Format(time.RFC3339Nano)
	return search.Rebuild(ctx, a.indexDir(), opts, search.Source{
		Checkpoint: checkpoint,
		Cases:      a.store.ScanCases(ctx, time.Time{}),
		Progress:   progress,
	})
}

// follow keeps the index current until ctx ends: the feed, with a reconcile
// beside it each time following (re)starts.
func (a *app) follow(ctx context.Context, ix *search.Index, sub search.ChangeSource) {
	f := &search.Follower{Index: ix, Store: a.store, Changes: sub, Logger: a.log}
	for {
		start := time.Now()
		err := f.Follow(ctx, func(n int, err error) {
			if err != nil {
				a.log.Error("search index reconcile failed; run weiquan reindex", "err", err)
				return
			}
			a.log.Info("search index reconciled with the store", "reindexed", n, "took", time.Since(start).Round(time.Millisecond))
		})
		if err == nil || ctx.Err() != nil {
			return
		}
		// A change stream that lost its place: what it missed is found by
		// reconciling again while following resumes.
		a.log.Error("search index lost the change feed; reconciling", "err", err)
		select {
		case <-time.After(5 * time.Second):
		case <-ctx.Done():
			return
		}
	}
}

// caseFeed follows case writes: on a MongoDB replica set through its
// change stream, which sees every instance's writes; otherwise (the
// embedded database, a standalone MongoDB) through the in-process feed,
// which sees this instance's.
func (a *app) caseFeed(ctx context.Context) interface {
	Next(context.Context) ([]string, error)
	Close()
} {
	if a.server == nil {
		cs, err := a.store.WatchCases(ctx)
		if err == nil {
			return cs
		}
		a.log.Info("MongoDB offers no change stream (not a replica set): following this instance's writes", "err", err)
	}
	return a.store.Subscribe()
}

func reindexCmd(ctx context.Context, args []string, env Env) error {
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := openForCommand(ctx, env)
	if err != nil {
		return err
	}
	defer a.close()
	opts, err := a.searchOptions()
	if err != nil {
		return err
	}
	opts.Logger = slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	total, err := a.store.CountCases(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	ix, err := a.rebuildIndex(ctx, opts, func(p search.Progress) {
		fmt.Fprintf(env.Stderr, "\rreindexed %d/%d cases (%.0f cases/s)", p.Indexed, total, p.Rate())
	})
	if err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	n, _ := ix.DocCount()
	if err := ix.Close(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\nreindexed %d cases in %s into %s\n", n, time.Since(start).Round(time.Millisecond), a.indexDir())
	return nil
}
