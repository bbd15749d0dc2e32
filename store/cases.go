package store

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
)

const (
	msgCaseNotFound  = "案件不存在"
	msgCaseExists    = "案件编号已存在"
	msgCaseConflict  = "案件已被他人修改，请刷新后重试"
	msgCaseIDsUsedUp = "当日案件编号已用尽，请联系管理员"

	// maxDailySeq is the largest sequence six digits can hold.
	maxDailySeq = 999_999
)

func caseID(day string, seq int64) string { return fmt.Sprintf("%s%06d", day, seq) }

// allocateSeq reserves n consecutive sequence numbers of a day with one
// atomic $inc and returns the first. Case numbers are YYYYMMDD of the day in
// Asia/Shanghai followed by a 6-digit sequence that starts at 000001 each
// day; numbers are never reused, even if the case they were allocated for
// is never stored.
func (s *Store) allocateSeq(ctx context.Context, day string, n int) (int64, error) {
	key := "case-" + day
	op := "allocate case number for " + day

	unlock, err := s.lock(ctx, collCounters, key)
	if err != nil {
		return 0, err
	}
	defer unlock()

	update := bson.D{
		{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(n)}}},
		{Key: "$set", Value: bson.D{{Key: "updated_at", Value: s.opts.Now()}}},
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var counter struct {
		Seq int64 `bson:"seq"`
	}
	err = s.counters.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: key}}, update, opts).Decode(&counter)
	if mongo.IsDuplicateKeyError(err) {
		// Two upserts raced to create the day's first counter document and
		// this one lost; the document exists now, so the retry increments it.
		err = s.counters.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: key}}, update, opts).Decode(&counter)
	}
	if err != nil {
		return 0, storeError(op, err)
	}
	first := counter.Seq - int64(n) + 1
	if first < 1 || counter.Seq > maxDailySeq {
		return 0, weiquan.WrapError(weiquan.EInternal, msgCaseIDsUsedUp,
			fmt.Errorf("store: %s: sequence %d out of range", op, counter.Seq))
	}
	return first, nil
}

// CreateCase inserts a new case. A case with the same number already stored
// is EConflict.
func (s *Store) CreateCase(ctx context.Context, c *weiquan.Case) error {
	if c.ID == "" {
		return errors.New("store: create case: case has no number")
	}
	_, err := s.cases.InsertOne(ctx, c)
	if err != nil {
		return duplicate("create case "+c.ID, err, msgCaseExists)
	}
	s.feed.published(c.ID)
	return nil
}

// GetCase returns the case with the given number, or ENotFound.
func (s *Store) GetCase(ctx context.Context, id string) (*weiquan.Case, error) {
	var c weiquan.Case
	err := s.cases.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&c)
	if err != nil {
		return nil, notFound("get case "+id, err, msgCaseNotFound)
	}
	return &c, nil
}

// SaveCase writes c as one atomic single-document update filtered on {_id: c.ID, version: expected};
// on success c.Version == expected+1 and UpdatedAt set by caller is kept. Stale version → EConflict
// (message says the case was changed by someone else, reload); missing → ENotFound.
//
// c's messages are merged with the stored ones (see saveCaseMerging): a
// message already stored is kept as stored, because the SMS dispatcher and
// the Twilio webhooks update delivery state without bumping the version;
// messages c added are appended. On success c.Messages is what was written.
func (s *Store) SaveCase(ctx context.Context, c *weiquan.Case, expected int64) error {
	op := fmt.Sprintf("save case %s at version %d", c.ID, expected)
	// Write a copy so that c keeps its version when the save fails and the
	// caller can report or retry with what it had.
	doc := *c
	doc.Version = expected + 1
	if err := s.saveCaseMerging(ctx, op, &doc, expected); err != nil {
		return err
	}
	c.Version, c.Messages = doc.Version, doc.Messages
	s.feed.published(c.ID)
	return nil
}
