package store

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// ChangeStream is the change feed of a MongoDB replica set: the ids of cases
// written by any instance, not only this process (the in-process
// Subscription sees only its own writes). It has the Subscription's
// methods, so the search follower and the SMS dispatcher take either.
//
// A broken stream is reopened after the last change it delivered (its
// resume token), so a failover or a dropped connection loses nothing; when
// the token has fallen off the oplog, Next reports the error and the
// caller's reconcile pass (a scan since its checkpoint) covers the gap.
type ChangeStream struct {
	coll   *mongo.Collection
	stream *mongo.ChangeStream
	token  bson.Raw
	log    *slog.Logger
}

// changeStreamBatch bounds the ids one Next returns.
const changeStreamBatch = 1000

// WatchCases opens a change stream on the cases collection, starting now.
// Open it before the reconcile pass so nothing written during the pass is
// missed. A standalone server or the embedded FerretDB cannot stream
// changes: that error says so, and the caller keeps the in-process feed.
func (s *Store) WatchCases(ctx context.Context) (*ChangeStream, error) {
	cs := &ChangeStream{coll: s.cases, log: slog.Default()}
	if err := cs.open(ctx); err != nil {
		return nil, err
	}
	return cs, nil
}

// watchPipeline keeps only what the feed needs: which case changed.
var watchPipeline = mongo.Pipeline{
	{{Key: "$match", Value: bson.D{{Key: "operationType", Value: bson.D{{Key: "$in", Value: bson.A{"insert", "update", "replace"}}}}}}},
	{{Key: "$project", Value: bson.D{{Key: "documentKey", Value: 1}}}},
}

func (cs *ChangeStream) open(ctx context.Context) error {
	opts := options.ChangeStream().SetMaxAwaitTime(time.Second)
	if cs.token != nil {
		opts.SetResumeAfter(cs.token)
	}
	stream, err := cs.coll.Watch(ctx, watchPipeline, opts)
	if err != nil {
		return storeError("watch cases", err)
	}
	cs.stream = stream
	return nil
}

// Next blocks until at least one case was written and returns the ids of
// the cases written since the last call (each once).
func (cs *ChangeStream) Next(ctx context.Context) ([]string, error) {
	seen := map[string]struct{}{}
	var ids []string
	add := func() {
		var ev struct {
			DocumentKey struct {
				ID string `bson:"_id"`
			} `bson:"documentKey"`
		}
		if err := bson.Unmarshal(cs.stream.Current, &ev); err == nil && ev.DocumentKey.ID != "" {
			if _, dup := seen[ev.DocumentKey.ID]; !dup {
				seen[ev.DocumentKey.ID] = struct{}{}
				ids = append(ids, ev.DocumentKey.ID)
			}
		}
		cs.token = cs.stream.ResumeToken()
	}
	for {
		if cs.stream == nil {
			if err := cs.open(ctx); err != nil {
				return nil, err
			}
		}
		if cs.stream.Next(ctx) {
			add()
			// Take what else is already there without waiting, so a burst of
			// writes costs the follower one batch.
			for len(ids) < changeStreamBatch && cs.stream.TryNext(ctx) {
				add()
			}
			return ids, nil
		}
		err := cs.stream.Err()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		_ = cs.stream.Close(context.Background())
		cs.stream = nil
		if err == nil || !resumable(err) {
			// The next call starts afresh from now; the caller reconciles
			// what fell between.
			cs.token = nil
			return nil, storeError("follow case changes", errors.Join(errors.New("change stream ended"), err))
		}
		cs.log.Warn("case change stream broke; resuming", "err", err)
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// resumable says whether reopening the stream after its resume token can
// work: a network failure or failover can; a lost oplog position cannot.
func resumable(err error) bool {
	var se mongo.ServerError
	if errors.As(err, &se) && (se.HasErrorCode(286) || se.HasErrorLabel("NonResumableChangeStreamError")) {
		return false // ChangeStreamHistoryLost
	}
	return unavailable(err) || (errors.As(err, &se) && se.HasErrorLabel("ResumableChangeStreamError"))
}

// Close ends the stream.
func (cs *ChangeStream) Close() {
	if cs.stream != nil {
		_ = cs.stream.Close(context.Background())
		cs.stream = nil
	}
}
