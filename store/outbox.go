package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
)

// The outbox collection holds the SMS that belong to no case — one-time
// codes — owed, claimed and recorded like a case's messages (messages.go)
// but one document each, numbered by a counter (_id = Seq). The
// notifications dispatcher drains it: it learns of new messages from the
// outbox feed (SubscribeOutbox) in this process and from OwedOutbox at start
// and, with several instances on one MongoDB, on its rescans.

const (
	outboxCounter = "outbox"
	msgOutboxGone = "短信不存在"
)

// outboxDoc is an outbox message as stored.
type outboxDoc struct {
	ID                    int64 `bson:"_id"`
	weiquan.OutboxMessage `bson:",inline"`
}

// OutboxFeedID is how the outbox feed names message seq.
func OutboxFeedID(seq int) string { return strconv.Itoa(seq) }

// EnqueueOutbox numbers m, stores it — owed unless m says otherwise — and
// tells the outbox feed. It returns m as stored.
func (s *Store) EnqueueOutbox(ctx context.Context, m weiquan.OutboxMessage) (weiquan.OutboxMessage, error) {
	const op = "enqueue SMS"
	seq, err := s.nextCounter(ctx, outboxCounter)
	if err != nil {
		return weiquan.OutboxMessage{}, err
	}
	if m.Status == "" {
		m.Status = weiquan.MessageOwed
	}
	m.Seq, m.Rev = int(seq), 0
	normalizeOutbox(&m)
	if _, err := s.outbox.InsertOne(ctx, outboxDoc{ID: seq, OutboxMessage: m}); err != nil {
		return weiquan.OutboxMessage{}, storeError(op, err)
	}
	s.outboxFeed.published(OutboxFeedID(m.Seq))
	return m, nil
}

func normalizeOutbox(m *weiquan.OutboxMessage) {
	m.CreatedAt, m.UpdatedAt = weiquan.InShanghai(m.CreatedAt), weiquan.InShanghai(m.UpdatedAt)
	for _, p := range []**time.Time{&m.NotBefore, &m.SentAt, &m.LeaseUntil, &m.ExpiresAt} {
		if *p != nil {
			t := weiquan.InShanghai(**p)
			*p = &t
		}
	}
}

// GetOutbox reads outbox message seq; a missing one is ENotFound.
func (s *Store) GetOutbox(ctx context.Context, seq int) (*weiquan.OutboxMessage, error) {
	var d outboxDoc
	err := s.outbox.FindOne(ctx, bson.D{{Key: "_id", Value: int64(seq)}}).Decode(&d)
	if err != nil {
		return nil, notFound(fmt.Sprintf("get SMS %d", seq), err, msgOutboxGone)
	}
	normalizeOutbox(&d.OutboxMessage)
	return &d.OutboxMessage, nil
}

// UpdateOutbox reads outbox message seq, lets fn change it and writes it
// back atomically when fn returns true (fn may run again on a fresh read
// against MongoDB). It returns the message as written or read; a missing
// one is ENotFound.
func (s *Store) UpdateOutbox(ctx context.Context, seq int, fn func(m *weiquan.OutboxMessage) bool) (*weiquan.OutboxMessage, error) {
	unlock, err := s.lock(ctx, collOutbox, OutboxFeedID(seq))
	if err != nil {
		return nil, err
	}
	defer unlock()
	op := fmt.Sprintf("update SMS %d", seq)
	for range maxMessageRetries {
		var d outboxDoc
		if err := s.outbox.FindOne(ctx, bson.D{{Key: "_id", Value: int64(seq)}}).Decode(&d); err != nil {
			return nil, notFound(op, err, msgOutboxGone)
		}
		normalizeOutbox(&d.OutboxMessage)
		old := d.Rev
		if !fn(&d.OutboxMessage) {
			return &d.OutboxMessage, nil
		}
		d.ID, d.Seq, d.Rev = int64(seq), seq, old+1
		normalizeOutbox(&d.OutboxMessage)
		res, err := s.outbox.ReplaceOne(ctx, bson.D{{Key: "_id", Value: int64(seq)}, {Key: "rev", Value: old}}, d)
		if err != nil {
			return nil, storeError(op, err)
		}
		if res.MatchedCount == 1 {
			return &d.OutboxMessage, nil
		}
	}
	return nil, weiquan.WrapError(weiquan.EUnavailable, msgMessagesBusy,
		fmt.Errorf("store: %s: still changing after %d attempts", op, maxMessageRetries))
}

// OwedOutbox lists the outbox messages still owed, oldest first. On
// MongoDB an index on status serves it; the embedded server reads the
// collection, which PurgeOutbox keeps short.
func (s *Store) OwedOutbox(ctx context.Context) ([]weiquan.OutboxMessage, error) {
	const op = "list owed SMS"
	cur, err := s.outbox.Find(ctx, bson.D{{Key: "status", Value: weiquan.MessageOwed}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, storeError(op, err)
	}
	var docs []outboxDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeError(op, err)
	}
	out := make([]weiquan.OutboxMessage, len(docs))
	for i, d := range docs {
		normalizeOutbox(&d.OutboxMessage)
		out[i] = d.OutboxMessage
	}
	return out, nil
}

// PurgeOutbox deletes the finished outbox messages last changed before
// before, and returns how many: a code's record is of no use once the code
// is long dead.
func (s *Store) PurgeOutbox(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.outbox.DeleteMany(ctx, bson.D{
		{Key: "status", Value: bson.D{{Key: "$ne", Value: weiquan.MessageOwed}}},
		{Key: "updated_at", Value: bson.D{{Key: "$lt", Value: before}}},
	})
	if err != nil {
		return 0, storeError("purge SMS outbox", err)
	}
	return res.DeletedCount, nil
}

// SubscribeOutbox follows new outbox messages in this process; Next answers
// their seq (OutboxFeedID).
func (s *Store) SubscribeOutbox() *Subscription {
	sub := &Subscription{f: &s.outboxFeed, dirty: map[string]struct{}{}, signal: make(chan struct{}, 1)}
	s.outboxFeed.mu.Lock()
	if s.outboxFeed.subs == nil {
		s.outboxFeed.subs = map[*Subscription]struct{}{}
	}
	s.outboxFeed.subs[sub] = struct{}{}
	s.outboxFeed.mu.Unlock()
	return sub
}

// nextCounter increments the counter named key and returns its new value.
func (s *Store) nextCounter(ctx context.Context, key string) (int64, error) {
	op := "allocate number " + key
	unlock, err := s.lock(ctx, collCounters, key)
	if err != nil {
		return 0, err
	}
	defer unlock()
	var counter struct {
		Seq int64 `bson:"seq"`
	}
	filter := bson.D{{Key: "_id", Value: key}}
	update := bson.D{{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(1)}}}}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	err = s.counters.FindOneAndUpdate(ctx, filter, update, opts).Decode(&counter)
	if mongo.IsDuplicateKeyError(err) {
		err = s.counters.FindOneAndUpdate(ctx, filter, update, opts).Decode(&counter)
	}
	if err != nil {
		return 0, storeError(op, err)
	}
	return counter.Seq, nil
}

// ensureOutboxIndexes creates the index that finds owed messages on MongoDB
// (the embedded server could not use it).
func (s *Store) ensureOutboxIndexes(ctx context.Context) error {
	if s.opts.Embedded {
		return nil
	}
	_, err := s.outbox.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "status", Value: 1}},
		Options: options.Index().SetName("status"),
	})
	return storeError("create index on outbox", err)
}
