package search

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sync/atomic"
	"time"

	"weiquan"
)

// CaseReader is what the follower reads from the system of record.
type CaseReader interface {
	GetCases(ctx context.Context, ids []string) ([]*weiquan.Case, error)
	// ScanCases walks the cases written at or after since (all for zero).
	ScanCases(ctx context.Context, since time.Time) iter.Seq2[*weiquan.Case, error]
}

// ChangeSource delivers the ids of cases written since the last call,
// blocking until there is at least one.
type ChangeSource interface {
	Next(ctx context.Context) ([]string, error)
}

// Follower keeps the index in step with the store: a reconcile pass over
// what was written since the checkpoint, then every change the feed reports.
// The checkpoint is a time: every case written before it is indexed.
type Follower struct {
	Index   *Index
	Store   CaseReader
	Changes ChangeSource
	Now     func() time.Time
	Logger  *slog.Logger

	// holdCheckpoint keeps Run from advancing the checkpoint while a
	// reconcile beside it has not finished (Follow).
	holdCheckpoint atomic.Bool
}

// followMargin is subtracted from the checkpoint when reconciling: a case's
// updated_at is set before its write commits, so a write can land in the
// store a little after a later checkpoint was taken.
const followMargin = 5 * time.Minute

const followBatch = 1000

// applyChunk is the most cases one write to the index carries: a write holds
// the index for its length (about a millisecond per case), and a person
// waiting for their own change (WaitForVersion) waits for the write in
// progress.
const applyChunk = 100

func (f *Follower) now() time.Time {
	if f.Now == nil {
		return time.Now()
	}
	return f.Now()
}

func (f *Follower) log() *slog.Logger {
	if f.Logger == nil {
		return slog.Default()
	}
	return f.Logger
}

// Reconcile indexes every case written since the checkpoint (less a
// margin) whose indexed version is older, and advances the checkpoint. It
// returns the number of cases it (re)indexed. It
// runs at start-up, after the feed is subscribed, so that what a crash kept
// from the index is found and nothing written meanwhile is missed.
func (f *Follower) Reconcile(ctx context.Context) (int, error) {
	started := f.now()
	cp, err := f.Index.Checkpoint()
	if err != nil {
		return 0, err
	}
	var since time.Time
	if cp != "" {
		t, err := time.Parse(time.RFC3339Nano, cp)
		if err != nil {
			return 0, fmt.Errorf("search: checkpoint %q is not a time: %w", cp, err)
		}
		since = t.Add(-followMargin)
	}
	n := 0
	batch := make([]*weiquan.Case, 0, followBatch)
	flush := func(checkpoint string) error {
		// Most cases are already indexed at their version: skip those, so a
		// reconcile costs a read of the store, not a rewrite of the index.
		ids := make([]string, len(batch))
		for i, c := range batch {
			ids[i] = c.ID
		}
		have, err := f.Index.IndexedVersions(ctx, ids)
		if err != nil {
			return err
		}
		stale := batch[:0]
		for _, c := range batch {
			if v, ok := have[c.ID]; !ok || v < c.Version {
				stale = append(stale, c)
			}
		}
		if len(stale) > 0 || checkpoint != "" {
			if err := f.apply(ctx, stale, checkpoint); err != nil {
				return err
			}
		}
		n += len(stale)
		batch = batch[:0]
		return nil
	}
	for c, err := range f.Store.ScanCases(ctx, since) {
		if err != nil {
			return n, fmt.Errorf("search: reconcile: %w", err)
		}
		batch = append(batch, c)
		if len(batch) == followBatch {
			if err := flush(""); err != nil {
				return n, err
			}
		}
	}
	if err := flush(started.UTC().Format(time.RFC3339Nano)); err != nil {
		return n, err
	}
	return n, nil
}

// apply indexes cases in chunks of applyChunk, the checkpoint with the last.
func (f *Follower) apply(ctx context.Context, cases []*weiquan.Case, checkpoint string) error {
	for len(cases) > applyChunk {
		if err := f.Index.Apply(ctx, Changes{Cases: cases[:applyChunk]}); err != nil {
			return err
		}
		cases = cases[applyChunk:]
	}
	return f.Index.Apply(ctx, Changes{Cases: cases, Checkpoint: checkpoint})
}

// Follow keeps the index in step with the store until ctx ends or the feed
// fails: it applies the feed's changes from the start and reconciles beside
// them. A reconcile after a restart can read for minutes (everything written
// since the checkpoint, less the margin); meanwhile the cases people change
// are searchable at once, rather than their lists waiting out the
// read-your-writes bound. Until the reconcile has finished the checkpoint
// stays where it was, so that a crash meanwhile leaves the same cases to
// reconcile; a failed reconcile leaves it there for good (the next start
// tries again). reconciled, if not nil, is told how the reconcile went.
func (f *Follower) Follow(ctx context.Context, reconciled func(n int, err error)) error {
	f.holdCheckpoint.Store(true)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		n, err := f.Reconcile(ctx)
		if err == nil {
			f.holdCheckpoint.Store(false)
		}
		if reconciled != nil && ctx.Err() == nil {
			reconciled(n, err)
		}
	}()
	err := f.Run(ctx)
	cancel()
	<-done
	return err
}

// Run applies the feed's changes until ctx ends. A failed batch is retried:
// the ids stay owed, and a restart's reconcile covers them in any case.
// From its start the index's WaitForVersion may read cases from f.Store.
func (f *Follower) Run(ctx context.Context) error {
	read := f.Store.GetCases
	f.Index.readThrough.Store(&read)
	var owed []string
	for {
		if len(owed) == 0 {
			ids, err := f.Changes.Next(ctx)
			if err != nil {
				if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
					return nil
				}
				return err
			}
			owed = ids
		}
		fetched := f.now()
		cases, err := f.Store.GetCases(ctx, owed)
		if err == nil {
			checkpoint := ""
			if !f.holdCheckpoint.Load() {
				checkpoint = fetched.Add(-time.Second).UTC().Format(time.RFC3339Nano)
			}
			err = f.apply(ctx, cases, checkpoint)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			f.log().Warn("search index update failed; retrying", "cases", len(owed), "err", err)
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return nil
			}
			continue
		}
		owed = owed[:0]
	}
}
