package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func startServer(t *testing.T, dir string) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Start(ctx, dir, quietLogger())
	if err != nil {
		t.Fatalf("Start(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// connect returns a client that is disconnected before the server closes
// (cleanups run last in, first out), so that Close need not wait for it.
func connect(t *testing.T, s *Server) *mongo.Client {
	t.Helper()
	client, err := mongo.Connect(options.Client().ApplyURI(s.URI()))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	return client
}

// idPlan returns SQLite's plan for the statement FerretDB runs for a find by
// string _id (FerretDB's sqlite backend, collection.Query).
func idPlan(t *testing.T, s *Server, db, coll string) string {
	t.Helper()
	ctx := context.Background()
	sdb, err := s.openSQLite(db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	tables, err := tableNames(ctx, sdb)
	if err != nil {
		t.Fatal(err)
	}
	q := fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %s WHERE _ferretdb_sjson->'$._id' = ?`, quoteIdent(tables[coll]))
	rows, err := sdb.QueryContext(ctx, q, `"20261126000001"`)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var details []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		details = append(details, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(details, "; ")
}

// explainPlan returns the SQLite plan FerretDB reports for its own query of
// a find by _id, so that a change of FerretDB's query is noticed too.
func explainPlan(t *testing.T, client *mongo.Client, db, coll string) string {
	t.Helper()
	var res struct {
		QueryPlanner struct {
			Plan []string `bson:"Plan"`
		} `bson:"queryPlanner"`
		FilterPushdown bool `bson:"filterPushdown"`
	}
	cmd := bson.D{{Key: "explain", Value: bson.D{
		{Key: "find", Value: coll},
		{Key: "filter", Value: bson.D{{Key: "_id", Value: "20261126000001"}}},
	}}}
	if err := client.Database(db).RunCommand(context.Background(), cmd).Decode(&res); err != nil {
		t.Fatalf("explain: %v", err)
	}
	if !res.FilterPushdown {
		t.Errorf("FerretDB does not push the _id filter down to SQLite any more")
	}
	return strings.Join(res.QueryPlanner.Plan, "; ")
}

// TestRepairIDIndexes reads SQLite's query plan for FerretDB's _id lookup.
// It fails if FerretDB's own index starts serving the lookup (the repair is
// no longer needed) or if the repaired index does not (it no longer works).
func TestRepairIDIndexes(t *testing.T) {
	s := startServer(t, t.TempDir())
	client := connect(t, s)
	ctx := context.Background()
	const db = "plan"
	colls := []string{"cases", "units"}
	for _, coll := range colls {
		if _, err := client.Database(db).Collection(coll).InsertOne(ctx, bson.D{{Key: "_id", Value: "20261126000001"}}); err != nil {
			t.Fatalf("insert into %s: %v", coll, err)
		}
	}

	for _, coll := range colls {
		if got := idPlan(t, s, db, coll); !strings.HasPrefix(got, "SCAN ") {
			t.Errorf("%s: plan before repair = %q, want a SCAN: FerretDB's own _id index now serves the lookup, so RepairIDIndexes is no longer needed", coll, got)
		}
	}

	for i := range 2 { // the second run must be a no-op
		if err := s.RepairIDIndexes(ctx, db, colls); err != nil {
			t.Fatalf("RepairIDIndexes #%d: %v", i+1, err)
		}
	}

	for _, coll := range colls {
		got := idPlan(t, s, db, coll)
		if !strings.HasPrefix(got, "SEARCH ") || !strings.Contains(got, "_wq_id") {
			t.Errorf("%s: plan after repair = %q, want a SEARCH using the %s index", coll, got, "_wq_id")
		}
	}

	// FerretDB's explain prepares its query on a pooled connection, and
	// EXPLAIN on a connection that has not run a statement since the index
	// was added still shows the old plan (a real query re-prepares itself).
	// A restart gives it fresh connections, and a repair is not lost on one.
	_ = client.Disconnect(ctx)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = startServer(t, s.Dir())
	client = connect(t, s)
	for _, coll := range colls {
		got := explainPlan(t, client, db, coll)
		if !strings.Contains(got, "SEARCH ") || !strings.Contains(got, "_wq_id") {
			t.Errorf("%s: FerretDB's explain of a find by _id = %q, want a SEARCH using the repaired index", coll, got)
		}
	}

	// The repaired index must not get in the way of FerretDB's writes.
	cases := client.Database(db).Collection("cases")
	if _, err := cases.UpdateOne(ctx, bson.D{{Key: "_id", Value: "20261126000001"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 2}}}}); err != nil {
		t.Fatalf("update after repair: %v", err)
	}
	var got struct {
		V int `bson:"v"`
	}
	if err := cases.FindOne(ctx, bson.D{{Key: "_id", Value: "20261126000001"}}).Decode(&got); err != nil || got.V != 2 {
		t.Errorf("find after update = %+v, %v; want v 2", got, err)
	}
}

func TestRepairIDIndexesErrors(t *testing.T) {
	s := startServer(t, t.TempDir())
	client := connect(t, s)
	ctx := context.Background()
	if err := client.Database("present").CreateCollection(ctx, "cases"); err != nil {
		t.Fatalf("create collection: %v", err)
	}

	tests := []struct {
		name  string
		db    string
		colls []string
		want  string
	}{
		{"missing database", "absent", []string{"cases"}, "absent"},
		{"missing collection", "present", []string{"cases", "units"}, "units"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.RepairIDIndexes(ctx, tt.db, tt.colls)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("RepairIDIndexes(%s, %v) = %v, want an error naming %q", tt.db, tt.colls, err, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "absent.sqlite")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("RepairIDIndexes created a file for a missing database (stat: %v)", err)
	}
}

func TestStartLocked(t *testing.T) {
	dir := t.TempDir()
	first, err := Start(context.Background(), dir, quietLogger())
	if err != nil {
		t.Fatalf("first Start: %v", err)
	}

	_, err = Start(context.Background(), dir, quietLogger())
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Start on the same directory: %v, want ErrLocked", err)
	}
	if want := fmt.Sprintf("process %d", os.Getpid()); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the directory and %q", err, want)
	}

	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	again := startServer(t, dir)
	if again.Dir() != dir {
		t.Errorf("Dir() = %q, want %q", again.Dir(), dir)
	}
}

func TestDataSurvivesRestart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "数据 目录") // a path that needs escaping in the SQLite URL
	ctx := context.Background()
	type doc struct {
		ID   string `bson:"_id"`
		Name string `bson:"name"`
	}
	want := doc{ID: "20261126000001", Name: "林小姐"}

	first, err := Start(ctx, dir, quietLogger())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	client, err := mongo.Connect(options.Client().ApplyURI(first.URI()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Database("keep").Collection("cases").InsertOne(ctx, want); err != nil {
		t.Fatalf("insert: %v", err)
	}
	_ = client.Disconnect(ctx)
	if err := first.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Close checkpoints the write-ahead log into the database file.
	if fi, err := os.Stat(filepath.Join(dir, "keep.sqlite-wal")); err == nil && fi.Size() > 0 {
		t.Errorf("write-ahead log still holds %d bytes after Close", fi.Size())
	}

	second := startServer(t, dir)
	var got doc
	err = connect(t, second).Database("keep").Collection("cases").FindOne(ctx, bson.D{{Key: "_id", Value: want.ID}}).Decode(&got)
	if err != nil {
		t.Fatalf("find after restart: %v", err)
	}
	if got != want {
		t.Errorf("after restart got %+v, want %+v", got, want)
	}
}

func TestQuietHandler(t *testing.T) {
	tests := []struct {
		name  string
		level slog.Level
		msg   string
		want  bool
	}{
		{"info is dropped", slog.LevelInfo, "Connection started", false},
		{"warning is kept", slog.LevelWarn, "Failed to accept connection", true},
		{"failed command response is dropped", slog.LevelWarn, "Response header: length: 121", false},
		{"failed command body is dropped", slog.LevelWarn, "Response message:\n{}", false},
		{"response closing the connection is kept", slog.LevelError, "Response message:\n{}", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := slog.New(quietHandler{slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})})
			l.Log(context.Background(), tt.level, tt.msg)
			if got := buf.Len() > 0; got != tt.want {
				t.Errorf("logged = %v, want %v (output %q)", got, tt.want, buf.String())
			}
		})
	}
}

func TestSQLiteURL(t *testing.T) {
	tests := []struct {
		name, dir, want string
	}{
		{"plain", "/var/lib/weiquan", "file:/var/lib/weiquan/"},
		{"trailing slash", "/var/lib/weiquan/", "file:/var/lib/weiquan/"},
		{"space and hash", "/data/my dir#1", "file:/data/my%20dir%231/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sqliteURL(tt.dir); got != tt.want {
				t.Errorf("sqliteURL(%q) = %q, want %q", tt.dir, got, tt.want)
			}
		})
	}
}
