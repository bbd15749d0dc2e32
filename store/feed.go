package store

import (
	"context"
	"iter"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
)

// feed is the in-process change feed: every committed case write marks the
// case dirty for each subscriber. Ids are coalesced, so a burst of writes to
// one case costs its follower one read, and a slow follower never blocks a
// writer or grows without bound beyond the set of cases it has not caught
// up with.
type feed struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Subscription receives the ids of cases written since it last asked.
type Subscription struct {
	f      *feed
	mu     sync.Mutex
	dirty  map[string]struct{}
	signal chan struct{} // holds a token while dirty is non-empty
}

// Subscribe starts following case writes. Subscribe before reading the
// store for a reconcile, so nothing written during it is missed.
func (s *Store) Subscribe() *Subscription {
	sub := &Subscription{f: &s.feed, dirty: map[string]struct{}{}, signal: make(chan struct{}, 1)}
	s.feed.mu.Lock()
	if s.feed.subs == nil {
		s.feed.subs = map[*Subscription]struct{}{}
	}
	s.feed.subs[sub] = struct{}{}
	s.feed.mu.Unlock()
	return sub
}

// Close stops the subscription.
func (sub *Subscription) Close() {
	sub.f.mu.Lock()
	delete(sub.f.subs, sub)
	sub.f.mu.Unlock()
}

// Next waits until at least one case was written and returns the ids of all
// cases written since the last call.
func (sub *Subscription) Next(ctx context.Context) ([]string, error) {
	select {
	case <-sub.signal:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	sub.mu.Lock()
	defer sub.mu.Unlock()
	ids := make([]string, 0, len(sub.dirty))
	for id := range sub.dirty {
		ids = append(ids, id)
	}
	clear(sub.dirty)
	return ids, nil
}

// published is called after a case write committed.
func (f *feed) published(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for sub := range f.subs {
		sub.mu.Lock()
		for _, id := range ids {
			sub.dirty[id] = struct{}{}
		}
		sub.mu.Unlock()
		select {
		case sub.signal <- struct{}{}:
		default:
		}
	}
}

// GetCases reads many cases by number; missing ones are left out.
func (s *Store) GetCases(ctx context.Context, ids []string) ([]*weiquan.Case, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if s.opts.Embedded {
		// FerretDB answers only a lone {_id: x} from an index; an $in scans.
		out := make([]*weiquan.Case, 0, len(ids))
		for _, id := range ids {
			c, err := s.GetCase(ctx, id)
			if weiquan.ErrorCode(err) == weiquan.ENotFound {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, nil
	}
	cur, err := s.cases.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, storeError("get cases", err)
	}
	var out []*weiquan.Case
	if err := cur.All(ctx, &out); err != nil {
		return nil, storeError("get cases", err)
	}
	return out, nil
}

// ScanCases walks every case written at or after since (all cases for the
// zero time), in no particular order: the source for a rebuild or a
// reconcile of the search index. On the embedded server this reads the
// whole table whatever since is; on MongoDB the updated_at index serves it.
func (s *Store) ScanCases(ctx context.Context, since time.Time) iter.Seq2[*weiquan.Case, error] {
	return func(yield func(*weiquan.Case, error) bool) {
		filter := bson.D{}
		if !since.IsZero() {
			filter = bson.D{{Key: "updated_at", Value: bson.D{{Key: "$gte", Value: since}}}}
		}
		cur, err := s.cases.Find(ctx, filter, options.Find().SetBatchSize(1000))
		if err != nil {
			yield(nil, storeError("scan cases", err))
			return
		}
		defer cur.Close(context.WithoutCancel(ctx))
		for cur.Next(ctx) {
			var c weiquan.Case
			if err := cur.Decode(&c); err != nil {
				yield(nil, storeError("scan cases: decode", err))
				return
			}
			if !yield(&c, nil) {
				return
			}
		}
		if err := cur.Err(); err != nil {
			yield(nil, storeError("scan cases", err))
		}
	}
}

// CountCases is the number of stored cases.
func (s *Store) CountCases(ctx context.Context) (int64, error) {
	n, err := s.cases.EstimatedDocumentCount(ctx)
	return n, storeError("count cases", err)
}
