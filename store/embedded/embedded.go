// Package embedded runs FerretDB v1 in process with its SQLite backend: the
// zero-setup database of the default installation and of the tests. The
// store talks to it over the MongoDB wire protocol on a loopback port, like
// to any MongoDB server.
//
// What it is for: one office or a pilot, tens of thousands of cases, one
// weiquan process. FerretDB's SQLite backend answers only a filter that is
// exactly `{_id: x}` from an index (after RepairIDIndexes: about a
// millisecond per case read at 50,000 cases on 2 cores); every other filter
// reads and decodes the whole collection in Go, roughly 16–40 µs per
// document. Production, and anything that needs several instances, runs on
// MongoDB.
package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	_ "modernc.org/sqlite" // database/sql driver "sqlite", the one FerretDB uses
)

// ErrLocked is returned by Start when another server holds the directory.
var ErrLocked = errors.New("data directory is in use by another process")

// startTimeout bounds the wait for a new server to answer when the caller's
// context has no deadline.
const startTimeout = 30 * time.Second

// newMu serialises ferretdb.New: it writes package-level state of FerretDB
// (its version info), which two servers started at once would race on.
var newMu sync.Mutex

// Server is a running FerretDB with its data in one directory.
type Server struct {
	dir    string
	uri    string
	lock   *os.File
	cancel context.CancelFunc
	done   chan error

	closeOnce sync.Once
	closeErr  error
}

// Start runs FerretDB on 127.0.0.1 (a free port) with its data in dir,
// creating dir if needed, and returns once it answers. A directory is used by
// one server at a time: a second Start on it fails with ErrLocked.
func Start(ctx context.Context, dir string, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.Default()
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded: data directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("embedded: create data directory: %w", err)
	}
	lock, err := lockDir(abs)
	if err != nil {
		return nil, err
	}

	s, err := start(ctx, abs, lock, logger)
	if err != nil {
		_ = unlockDir(lock)
		return nil, err
	}
	return s, nil
}

func start(ctx context.Context, dir string, lock *os.File, logger *slog.Logger) (*Server, error) {
	fl := slog.New(quietHandler{logger.Handler()}).With(slog.String("component", "ferretdb"))

	newMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: sqliteURL(dir),
		Logger:    fl,
	})
	newMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("embedded: start FerretDB in %s: %w", dir, err)
	}

	runCtx, cancel := context.WithCancel(context.Background())
	s := &Server{dir: dir, lock: lock, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- f.Run(runCtx) }()
	s.uri = f.MongoDBURI()

	if err := waitReady(ctx, s.uri); err != nil {
		cancel()
		<-s.done
		return nil, fmt.Errorf("embedded: FerretDB in %s does not answer: %w", dir, err)
	}
	logger.Info("embedded database started", slog.String("dir", dir), slog.String("uri", s.uri))
	return s, nil
}

// sqliteURL is FerretDB's directory URL: "file:" and a path ending in "/",
// escaped so that FerretDB's URL parsing gives back the same path.
func sqliteURL(dir string) string {
	p := filepath.ToSlash(dir)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // Windows drive letter
	}
	return "file:" + (&url.URL{Path: strings.TrimSuffix(p, "/") + "/"}).EscapedPath()
}

// waitReady pings the server until it answers: the listener accepts TCP as
// soon as it exists, but only a ping proves the backend opened its files.
func waitReady(ctx context.Context, uri string) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		return err
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	return client.Ping(ctx, readpref.Primary())
}

// URI is the MongoDB connection string of the server.
func (s *Server) URI() string { return s.uri }

// Dir is the absolute data directory.
func (s *Server) Dir() string { return s.dir }

// Close stops the listener, waits for connections to end (clients still
// connected get a few seconds), closes the SQLite databases, which
// checkpoints their write-ahead logs, and releases the directory. Calling it
// again returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		err := <-s.done
		if uerr := unlockDir(s.lock); uerr != nil && err == nil {
			err = uerr
		}
		if err != nil {
			s.closeErr = fmt.Errorf("embedded: close %s: %w", s.dir, err)
		}
	})
	return s.closeErr
}

// RepairIDIndexes adds, for each collection, an index on the expression FerretDB's _id equality query uses
// (_ferretdb_sjson->'$._id'); FerretDB's own unique index is on _ferretdb_sjson->"_id" which SQLite cannot use.
// Table names come from FerretDB's `_ferretdb_collections` table in <dir>/<db>.sqlite. Idempotent.
//
// Without it every lookup, update and delete by _id scans the table
// (measured: 64 ms instead of 0.23 ms at 50,000 cases). A collection that does
// not exist yet is an error rather than skipped: it would silently stay slow.
func (s *Server) RepairIDIndexes(ctx context.Context, db string, collections []string) error {
	sdb, err := s.openSQLite(db)
	if err != nil {
		return err
	}
	defer sdb.Close()

	tables, err := tableNames(ctx, sdb)
	if err != nil {
		return fmt.Errorf("embedded: repair _id indexes of %s: %w", db, err)
	}
	for _, coll := range collections {
		table, ok := tables[coll]
		if !ok {
			return fmt.Errorf("embedded: repair _id index of %s.%s: no such collection", db, coll)
		}
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s (%s)`,
			quoteIdent(idIndexName(table)), quoteIdent(table), idExpr)
		if _, err := sdb.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("embedded: repair _id index of %s.%s: %w", db, coll, err)
		}
	}
	return nil
}

// idExpr is the expression FerretDB's SQLite backend compares with the
// marshalled _id (metadata.IDColumn in FerretDB).
const idExpr = `_ferretdb_sjson->'$._id'`

func idIndexName(table string) string { return table + "_wq_id" }

// openSQLite opens an existing database file of the server beside FerretDB's
// own connections: the busy timeout waits out their write locks, and mode=rw
// refuses to create a file FerretDB does not know about.
func (s *Server) openSQLite(db string) (*sql.DB, error) {
	file := filepath.Join(s.dir, db+".sqlite")
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("embedded: database %s: %w", db, err)
	}
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(file)}).EscapedPath() +
		"?mode=rw&_pragma=busy_timeout(10000)"
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("embedded: open %s: %w", file, err)
	}
	sdb.SetMaxOpenConns(1)
	return sdb, nil
}

// tableNames maps collection names to FerretDB's table names.
func tableNames(ctx context.Context, sdb *sql.DB) (map[string]string, error) {
	rows, err := sdb.QueryContext(ctx, `SELECT name, table_name FROM "_ferretdb_collections"`)
	if err != nil {
		return nil, fmt.Errorf("read FerretDB metadata: %w", err)
	}
	defer rows.Close()
	tables := map[string]string{}
	for rows.Next() {
		var name, table string
		if err := rows.Scan(&name, &table); err != nil {
			return nil, fmt.Errorf("read FerretDB metadata: %w", err)
		}
		tables[name] = table
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read FerretDB metadata: %w", err)
	}
	return tables, nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quietHandler keeps FerretDB's warnings and errors and drops the rest:
// it logs every connection at info level. It also drops the warning FerretDB
// writes for every command that fails, with the whole response: failures
// such as a duplicate key are normal answers the store turns into domain
// errors, and the response can quote document values (a username, a phone
// number) that do not belong in a log.
type quietHandler struct {
	slog.Handler
}

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h quietHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelWarn && (strings.HasPrefix(r.Message, "Response ") || strings.HasPrefix(r.Message, "Proxy response ")) {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(attrs)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name)}
}
