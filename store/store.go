// Package store is the system of record: cases, users, sessions and units in
// MongoDB (or the embedded FerretDB, which speaks the same protocol). It is
// the only package that knows the driver; everything it returns is a domain
// type or a *weiquan.Error.
package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// Collection names.
const (
	collCases    = "cases"
	collCounters = "counters"
	collUsers    = "users"
	collSessions = "sessions"
	collUnits    = "units"
	collSMS      = "sms"    // opt-outs, numbers' cases, the local SMS log (messages.go, optout.go)
	collOTP      = "otp"    // consumers' one-time codes and their send counters (otp.go)
	collOutbox   = "outbox" // SMS that belong to no case (outbox.go)
)

// Options tune a Store to the server behind it.
type Options struct {
	// Embedded is set for the in-process FerretDB (SQLite): it has no atomic read-modify-write
	// (findAndModify/update = query then write, unlocked) and pushes down only `{_id: x}` filters.
	// The store then serialises read-modify-write per key inside this process and filters by _id only.
	Embedded bool
	Now      func() time.Time // injectable clock; default time.Now
}

// Store is the MongoDB-backed system of record. It is safe for concurrent use.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	opts   Options

	cases    *mongo.Collection
	counters *mongo.Collection
	users    *mongo.Collection
	sessions *mongo.Collection
	units    *mongo.Collection
	sms      *mongo.Collection
	otp      *mongo.Collection
	outbox   *mongo.Collection

	// locks serialises read-modify-write per document when Embedded; see
	// Options.Embedded. Unused against MongoDB, whose updates are atomic.
	locks keyedMutex

	intake *intakeBatcher
	feed   feed
	// outboxFeed announces new outbox messages (outbox.go).
	outboxFeed feed
	audit      auditChains // audit.go
	// formKeysPurged is when this process last deleted old form keys (formkeys.go).
	formKeysPurged purgeMark
}

// Open connects to the server at uri, checks that it answers and creates the
// collections and indexes the store needs (idempotently).
func Open(ctx context.Context, uri, dbName string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetAppName("weiquan"))
	if err != nil {
		// Connect only parses and validates options; it does not dial.
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	// A case is acknowledged to a person (case number read back to the
	// caller) only once it survives a primary failover. A counter must too,
	// or a rolled-back $inc would hand out the same case number twice.
	majority := options.Collection().SetWriteConcern(writeconcern.Majority())
	db := client.Database(dbName)
	s := &Store{
		client:   client,
		db:       db,
		opts:     opts,
		cases:    db.Collection(collCases, majority),
		counters: db.Collection(collCounters, majority),
		users:    db.Collection(collUsers),
		sessions: db.Collection(collSessions),
		units:    db.Collection(collUnits),
		sms:      db.Collection(collSMS),
		otp:      db.Collection(collOTP),
		outbox:   db.Collection(collOutbox, majority),
	}
	if err := s.Ping(ctx); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, err
	}
	if err := s.ensureSchema(ctx); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, err
	}
	s.startIntake()
	return s, nil
}

// Close disconnects from the server.
func (s *Store) Close(ctx context.Context) error {
	s.stopIntake()
	if err := s.client.Disconnect(ctx); err != nil && !errors.Is(err, mongo.ErrClientDisconnected) {
		return fmt.Errorf("store: disconnect: %w", err)
	}
	return nil
}

// Ping checks that the server answers.
func (s *Store) Ping(ctx context.Context) error {
	return storeError("ping", s.client.Ping(ctx, readpref.Primary()))
}

// Collections returns the names of the collections the store uses, so that
// the embedded server can repair their _id indexes. Open creates them all,
// so the repair can run right after it.
func (s *Store) Collections() []string {
	return []string{collCases, collCounters, collUsers, collSessions, collUnits, collSMS, collAPITokens, collOTP, collOutbox, collAudit, collNotices, collSettings, collFormKeys}
}

// DropDatabase removes the store's database. Tests use it to clean up.
func (s *Store) DropDatabase(ctx context.Context) error {
	return storeError("drop database", s.db.Drop(ctx))
}

// ensureSchema creates every collection explicitly, so that the embedded
// server has a table for each before its _id index is repaired, and the
// indexes needed for correctness.
func (s *Store) ensureSchema(ctx context.Context) error {
	for _, name := range s.Collections() {
		err := s.db.CreateCollection(ctx, name)
		var ce mongo.CommandError
		if errors.As(err, &ce) && ce.HasErrorCode(codeNamespaceExists) {
			continue
		}
		if err != nil {
			return storeError("create collection "+name, err)
		}
	}
	indexes := []struct {
		coll  *mongo.Collection
		model mongo.IndexModel
	}{
		{s.users, mongo.IndexModel{
			Keys:    bson.D{{Key: "username", Value: 1}},
			Options: options.Index().SetName("username_unique").SetUnique(true),
		}},
		{s.sessions, mongo.IndexModel{
			Keys:    bson.D{{Key: "user_id", Value: 1}},
			Options: options.Index().SetName("user_id"),
		}},
	}
	if !s.opts.Embedded {
		// The search index's reconcile pass reads recently written cases. The
		// embedded server could not use this index (it filters in Go), so it
		// would only slow its writes.
		indexes = append(indexes, struct {
			coll  *mongo.Collection
			model mongo.IndexModel
		}{s.cases, mongo.IndexModel{
			Keys:    bson.D{{Key: "updated_at", Value: 1}},
			Options: options.Index().SetName("updated_at"),
		}})
		// The API walks the audit trail by _id (audit.go); these serve
		// questions asked in the database directly.
		for _, f := range []string{"case_id", "actor_id"} {
			indexes = append(indexes, struct {
				coll  *mongo.Collection
				model mongo.IndexModel
			}{s.db.Collection(collAudit), mongo.IndexModel{
				Keys:    bson.D{{Key: f, Value: 1}, {Key: "at", Value: -1}},
				Options: options.Index().SetName(f + "_at").SetSparse(true),
			}})
		}
	}
	for _, ix := range indexes {
		if _, err := ix.coll.Indexes().CreateOne(ctx, ix.model); err != nil {
			return storeError("create index on "+ix.coll.Name(), err)
		}
	}
	if err := s.ensureOutboxIndexes(ctx); err != nil {
		return err
	}
	if err := s.ensureFormKeyIndexes(ctx); err != nil {
		return err
	}
	return s.ensureSweepIndexes(ctx)
}

// lock serialises read-modify-write on one document when the server cannot
// do it atomically (see Options.Embedded). Against MongoDB it does nothing.
func (s *Store) lock(ctx context.Context, coll, id string) (unlock func(), err error) {
	if !s.opts.Embedded {
		return func() {}, nil
	}
	unlock, err = s.locks.lock(ctx, coll+"/"+id)
	if err != nil {
		// The id stays out of the message: for sessions it is a token hash.
		return nil, storeError("wait for lock in "+coll, err)
	}
	return unlock, nil
}

// keyedMutex is a set of mutexes created on demand per key and forgotten
// when nobody holds or waits for them, so that it does not grow with the
// number of documents ever touched.
type keyedMutex struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds a token while locked; a channel so that waiting can observe ctx
	refs int           // holders and waiters
}

func (k *keyedMutex) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.m == nil {
		k.m = make(map[string]*keyLock)
	}
	l := k.m[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		k.m[key] = l
	}
	l.refs++
	k.mu.Unlock()

	release := func() {
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.m, key)
		}
		k.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() {
			<-l.ch
			release()
		}, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
