package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
)

// DueCases returns open cases with a running deadline at or before before,
// ordered by case number, starting after the number after ("" for the first
// page), at most limit. A deadline runs while the case is in its status:
// accept_by and track_by while assigned, mediate_by while accepted or
// mediating and not paused, verify_by while verifying (the deadline
// sweeper's contract, workflow.SweepSource).
//
// On MongoDB each clause of the $or is answered from its (status, deadline)
// index and only the candidates are sorted. On the embedded FerretDB only
// `_id` equality reaches SQLite, so every call reads and decodes every case
// in the database, whatever limit says: BenchmarkDueCases measured about
// 4.4 s per call over 10,000 small cases (two shared cores, no race
// detector; TestDueCasesCost logs the same figure per run), nearly all of it
// FerretDB decoding each row's JSON — ten times DESIGN §4.3's 16–40 µs per
// document. So on the embedded store a sweeper tick costs one full scan per
// page of candidates, and the embedded mode suits a few thousand open cases
// until the search index answers this question instead.
func (s *Store) DueCases(ctx context.Context, before time.Time, after string, limit int) ([]*weiquan.Case, error) {
	if limit <= 0 {
		return nil, fmt.Errorf("store: due cases: limit %d, want > 0", limit)
	}
	lte := bson.D{{Key: "$lte", Value: before}}
	filter := bson.D{
		{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "status", Value: weiquan.StatusAssigned}, {Key: "deadlines.accept_by", Value: lte}},
			bson.D{{Key: "status", Value: weiquan.StatusAssigned}, {Key: "deadlines.track_by", Value: lte}},
			bson.D{
				{Key: "status", Value: bson.D{{Key: "$in", Value: bson.A{weiquan.StatusAccepted, weiquan.StatusMediating}}}},
				{Key: "deadlines.mediate_by", Value: lte},
				// null matches a missing field too: paused_at is omitted when unset.
				{Key: "mediation.paused_at", Value: nil},
			},
			bson.D{{Key: "status", Value: weiquan.StatusVerifying}, {Key: "deadlines.verify_by", Value: lte}},
		}},
	}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit))
	op := fmt.Sprintf("find cases due by %s after %q", before.Format(time.RFC3339), after)
	cur, err := s.cases.Find(ctx, filter, opts)
	if err != nil {
		return nil, storeError(op, err)
	}
	out := make([]*weiquan.Case, 0, limit)
	if err := cur.All(ctx, &out); err != nil {
		return nil, storeError(op, err)
	}
	return out, nil
}

// ensureSweepIndexes creates the indexes DueCases needs on MongoDB: one per
// $or clause, status first because every clause tests it for equality (or a
// short $in) before the deadline's range. They are left out on the embedded
// FerretDB, whose SQLite backend answers only `_id` equality from an index:
// there they would only make every case write slower.
func (s *Store) ensureSweepIndexes(ctx context.Context) error {
	if s.opts.Embedded {
		return nil
	}
	var models []mongo.IndexModel
	for _, d := range []string{"accept_by", "track_by", "mediate_by", "verify_by"} {
		models = append(models, mongo.IndexModel{
			Keys:    bson.D{{Key: "status", Value: 1}, {Key: "deadlines." + d, Value: 1}},
			Options: options.Index().SetName("sweep_" + d),
		})
	}
	if _, err := s.cases.Indexes().CreateMany(ctx, models); err != nil {
		return storeError("create deadline indexes on cases", err)
	}
	return nil
}
