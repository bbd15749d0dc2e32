package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
	"weiquan/store"
	"weiquan/store/storetest"
)

// The audit trail's reads against what a filter on case_id would cost on
// the embedded server, with a trail of 20,000 entries (2,000 cases of ten
// entries, 50 users; 40,000 documents with the pointers). Run:
//
//	go test ./store -run '^$' -bench Audit -benchtime 10x -timeout 30m
//
// The trail is loaded with InsertMany in the layout InsertAudit writes, so
// that loading does not take minutes.
func auditBenchStore(b *testing.B) (*store.Store, *mongo.Collection, string, string) {
	b.Helper()
	const cases, perCase, users = 2_000, 10, 50
	// storetest repairs the embedded server's _id indexes, as the service
	// does at start-up: without that every look-up by _id scans.
	s := storetest.New(b)
	uri, _ := storetest.URI(b)
	ctx := context.Background()
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = client.Disconnect(ctx) })
	coll := client.Database(s.DatabaseName()).Collection("audit")
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, weiquan.Shanghai)
	userN := map[string]int64{}
	var batch []any
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if _, err := coll.InsertMany(ctx, batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	// The layout of store/audit.go: c/<case>/<n> entries, u/<user>/<n>
	// pointers.
	for c := 1; c <= cases; c++ {
		caseID := fmt.Sprintf("2026010100%04d", c)
		for n := 1; n <= perCase; n++ {
			actor := fmt.Sprintf("u-%02d", (c*7+n)%users)
			at = at.Add(time.Second)
			id := fmt.Sprintf("c/%s/%09d", caseID, n)
			batch = append(batch, bson.D{{Key: "_id", Value: id}, {Key: "entry_id", Value: id}, {Key: "at", Value: at},
				{Key: "actor_id", Value: actor}, {Key: "role", Value: "officer"}, {Key: "address", Value: "10.0.0.1"},
				{Key: "case_id", Value: caseID}, {Key: "action", Value: "accept"}, {Key: "detail", Value: "状态 assigned → accepted"}})
			userN[actor]++
			batch = append(batch, bson.D{{Key: "_id", Value: fmt.Sprintf("u/%s/%09d", actor, userN[actor])}, {Key: "ref", Value: id}})
			if len(batch) >= 90 {
				flush()
			}
		}
	}
	flush()
	return s, coll, "20260101001500", "u-07"
}

func BenchmarkAudit(b *testing.B) {
	s, coll, caseID, user := auditBenchStore(b)
	ctx := context.Background()
	b.Run("list by case (chain)", func(b *testing.B) {
		for b.Loop() {
			p, err := s.ListAudit(ctx, weiquan.AuditQuery{CaseID: caseID, Limit: 50})
			if err != nil || len(p.Items) != 10 {
				b.Fatalf("%d %v", len(p.Items), err)
			}
		}
	})
	b.Run("list by user, 50 newest (chain)", func(b *testing.B) {
		for b.Loop() {
			p, err := s.ListAudit(ctx, weiquan.AuditQuery{ActorID: user, Limit: 50})
			if err != nil || len(p.Items) != 50 {
				b.Fatalf("%d %v", len(p.Items), err)
			}
		}
	})
	b.Run("insert one entry", func(b *testing.B) {
		for b.Loop() {
			e := &weiquan.AuditEntry{ActorID: user, Role: weiquan.RoleOfficer, CaseID: caseID, Action: "note"}
			if err := s.InsertAudit(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("insert, 16 writers at once", func(b *testing.B) {
		b.SetParallelism(8) // 2 cores × 8
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				e := &weiquan.AuditEntry{ActorID: user, Role: weiquan.RoleOfficer, CaseID: caseID, Action: "note"}
				if err := s.InsertAudit(ctx, e); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("filter on case_id (what the chain avoids)", func(b *testing.B) {
		for b.Loop() {
			cur, err := coll.Find(ctx, bson.D{{Key: "case_id", Value: caseID}})
			if err != nil {
				b.Fatal(err)
			}
			var docs []bson.M
			if err := cur.All(ctx, &docs); err != nil || len(docs) < 10 {
				b.Fatalf("%d %v", len(docs), err)
			}
		}
	})
}
