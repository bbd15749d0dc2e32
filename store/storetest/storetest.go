// Package storetest gives tests a *store.Store on a database of their own.
//
// By default every test binary shares one embedded FerretDB, started on first
// use; WEIQUAN_TEST_MONGO_URI points the tests at a real MongoDB instead.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan/store"
	"weiquan/store/embedded"
)

// EnvMongoURI names the variable that points the tests at a real MongoDB.
const EnvMongoURI = "WEIQUAN_TEST_MONGO_URI"

// dbPrefix marks the databases tests create, so that leftovers of a crashed
// run can be recognised and dropped.
const dbPrefix = "wqt_"

// maxSlots bounds the data directories test binaries running at the same
// time can use (go test runs one binary per package, GOMAXPROCS at a time).
const maxSlots = 64

var (
	once      sync.Once
	server    *embedded.Server
	serverURI string
	startErr  error
)

// New returns a *store.Store on a fresh database (unique name per test), dropped at t.Cleanup.
// With WEIQUAN_TEST_MONGO_URI set it uses that server (Embedded=false); otherwise one embedded FerretDB per
// test binary (started lazily, sync.Once) and Embedded=true, with RepairIDIndexes done.
func New(t testing.TB) *store.Store {
	t.Helper()
	return NewWithOptions(t, store.Options{})
}

// NewWithOptions is New with options, typically a fixed clock. Embedded is
// set by the server in use, not by the caller: a store on FerretDB without
// it loses concurrent updates.
func NewWithOptions(t testing.TB, opts store.Options) *store.Store {
	t.Helper()
	uri, emb := URI(t)
	opts.Embedded = emb
	name := dbName(t.Name())

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := store.Open(ctx, uri, name, opts)
	if err != nil {
		t.Fatalf("storetest: open database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.DropDatabase(ctx); err != nil {
			t.Errorf("storetest: drop database %s: %v", name, err)
		}
		if err := s.Close(ctx); err != nil {
			t.Errorf("storetest: close store: %v", err)
		}
	})
	if emb {
		if err := server.RepairIDIndexes(ctx, name, s.Collections()); err != nil {
			t.Fatalf("storetest: %v", err)
		}
	}
	return s
}

// URI returns the server New uses and whether it is the embedded FerretDB,
// starting that on first use.
func URI(t testing.TB) (uri string, embedded bool) {
	t.Helper()
	if uri := os.Getenv(EnvMongoURI); uri != "" {
		return uri, false
	}
	once.Do(func() { serverURI, startErr = startServer() })
	if startErr != nil {
		t.Fatalf("storetest: %v", startErr)
	}
	return serverURI, true
}

// startServer starts the shared FerretDB in the first free directory of a
// small fixed set under the temporary directory. The server is never closed
// (it lives as long as the test binary), so a fresh directory per run would
// leave one behind every time; a fixed set is reused instead, and the
// directory lock tells which of them a running test binary holds.
func startServer() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	for i := range maxSlots {
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("weiquan-storetest-%d-%d", os.Getuid(), i))
		srv, err := embedded.Start(ctx, dir, logger)
		if errors.Is(err, embedded.ErrLocked) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("start embedded FerretDB: %w", err)
		}
		if err := dropLeftovers(ctx, srv.URI()); err != nil {
			_ = srv.Close()
			return "", err
		}
		server = srv
		return srv.URI(), nil
	}
	return "", fmt.Errorf("start embedded FerretDB: all %d directories under %s are in use", maxSlots, os.TempDir())
}

// dropLeftovers drops the databases of an earlier run that was killed
// before its cleanups ran; FerretDB opens every database file at start.
func dropLeftovers(ctx context.Context, uri string) error {
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return fmt.Errorf("drop leftover test databases: %w", err)
	}
	defer func() { _ = client.Disconnect(ctx) }()
	names, err := client.ListDatabaseNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("drop leftover test databases: %w", err)
	}
	for _, name := range names {
		if !strings.HasPrefix(name, dbPrefix) {
			continue
		}
		if err := client.Database(name).Drop(ctx); err != nil {
			return fmt.Errorf("drop leftover test database %s: %w", name, err)
		}
	}
	return nil
}

var unsafeChars = regexp.MustCompile(`[^a-zA-Z0-9_]+`)

// dbName makes a database name from the test name that is valid for both
// MongoDB and FerretDB (letters, digits, _ and -, at most 63 bytes) and
// unique across tests, runs and concurrent test binaries on one server.
func dbName(testName string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	suffix := "_" + hex.EncodeToString(b[:])
	base := strings.Trim(unsafeChars.ReplaceAllString(testName, "_"), "_")
	if max := 63 - len(dbPrefix) - len(suffix); len(base) > max {
		base = base[:max]
	}
	return dbPrefix + base + suffix
}
