package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
)

// The SMS messages of a case (weiquan.Case.Messages) are written by two
// kinds of writer. A transition appends the messages it owes in the same
// SaveCase as the transition, under the version compare-and-swap. After
// that only the notifications dispatcher and the Twilio webhooks change a
// message (lease, SID, delivery status), through UpdateMessages, which
// writes the messages field alone and leaves the version as it is: a
// delivery receipt is not a change a person made, and bumping the version
// for it would refuse the next action of an officer who is looking at the
// case ("changed by someone else") every time an SMS went out.
//
// Because the version does not move, a transition that read the case before
// a delivery update and saves after it would write back the stale messages.
// saveCaseMerging is the save that prevents that: the stored copy of every
// message wins and only the messages the caller added are appended.

// maxMessageRetries bounds the optimistic retries of a message update
// against MongoDB when other writers keep changing the same case's messages.
const maxMessageRetries = 16

// maxCaseRetries bounds UpdateCase's re-reads after a version conflict.
const maxCaseRetries = 8

const msgMessagesBusy = "短信记录正在被频繁修改，请稍后重试"

// UpdateMessages reads case id, calls fn with it and, when fn reports a
// change, writes back c.Messages — only that field, without changing the
// version or the feed (the search index has nothing to learn from it). fn
// must change nothing but c.Messages; against MongoDB it may be called more
// than once, each time on a fresh read, so it must decide from its argument
// alone. The case is returned as written (or as read when fn changed
// nothing). A missing case is ENotFound.
//
// On the embedded server the update holds the case's lock, the same one
// SaveCase holds. On MongoDB it is a compare-and-swap on the messages array
// as read: the filter matches only while the stored array is byte for byte
// the one fn saw, so a concurrent message update or a concurrent save that
// appended messages makes it read again and retry.
func (s *Store) UpdateMessages(ctx context.Context, id string, fn func(c *weiquan.Case) bool) (*weiquan.Case, error) {
	op := "update messages of case " + id
	byID := bson.D{{Key: "_id", Value: id}}
	if s.opts.Embedded {
		unlock, err := s.lock(ctx, collCases, id)
		if err != nil {
			return nil, err
		}
		defer unlock()
		c, err := s.GetCase(ctx, id)
		if err != nil {
			return nil, err
		}
		if !fn(c) {
			return c, nil
		}
		res, err := s.cases.UpdateOne(ctx, byID, setMessages(c.Messages))
		if err != nil {
			return nil, storeError(op, err)
		}
		if res.MatchedCount == 0 {
			return nil, weiquan.WrapError(weiquan.ENotFound, msgCaseNotFound, fmt.Errorf("store: %s: case disappeared", op))
		}
		return c, nil
	}
	for range maxMessageRetries {
		raw, err := s.cases.FindOne(ctx, byID).Raw()
		if err != nil {
			return nil, notFound(op, err, msgCaseNotFound)
		}
		var c weiquan.Case
		if err := bson.Unmarshal(raw, &c); err != nil {
			return nil, fmt.Errorf("store: %s: decode: %w", op, err)
		}
		if !fn(&c) {
			return &c, nil
		}
		filter := bson.D{{Key: "_id", Value: id}, {Key: "messages", Value: messagesAsRead(raw)}}
		res, err := s.cases.UpdateOne(ctx, filter, setMessages(c.Messages))
		if err != nil {
			return nil, storeError(op, err)
		}
		if res.MatchedCount == 1 {
			return &c, nil
		}
		// The messages changed since the read (or the case is gone, which
		// the next read reports).
	}
	return nil, weiquan.WrapError(weiquan.EUnavailable, msgMessagesBusy,
		fmt.Errorf("store: %s: still changing after %d attempts", op, maxMessageRetries))
}

func setMessages(msgs []weiquan.Message) bson.D {
	return bson.D{{Key: "$set", Value: bson.D{{Key: "messages", Value: msgs}}}}
}

// messagesAsRead is the value to compare the stored messages field with:
// the raw array as read, or null for a missing or null field (an equality
// filter on null matches both).
func messagesAsRead(doc bson.Raw) any {
	v, err := doc.LookupErr("messages")
	if err != nil || v.Type == bson.TypeNull {
		return nil
	}
	return v
}

// saveCaseMerging is SaveCase that keeps the delivery state written by
// UpdateMessages since the caller read the case: doc.Messages becomes the
// stored messages followed by those of doc's messages whose seq is not
// stored (mergeMessages). doc.Version must already be expected+1. SaveCase
// should save through it; UpdateCase does.
func (s *Store) saveCaseMerging(ctx context.Context, op string, doc *weiquan.Case, expected int64) error {
	byID := bson.D{{Key: "_id", Value: doc.ID}}
	incoming := doc.Messages
	proj := options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}, {Key: "messages", Value: 1}})
	read := func() (bson.Raw, error) {
		raw, err := s.cases.FindOne(ctx, byID, proj).Raw()
		if err != nil {
			return nil, notFound(op, err, msgCaseNotFound)
		}
		var cur struct {
			Version int64 `bson:"version"`
		}
		if err := bson.Unmarshal(raw, &cur); err != nil {
			return nil, fmt.Errorf("store: %s: decode: %w", op, err)
		}
		if cur.Version != expected {
			return nil, weiquan.WrapError(weiquan.EConflict, msgCaseConflict,
				fmt.Errorf("store: %s: stored version is %d", op, cur.Version))
		}
		var stored struct {
			Messages []weiquan.Message `bson:"messages"`
		}
		if err := bson.Unmarshal(raw, &stored); err != nil {
			return nil, fmt.Errorf("store: %s: decode messages: %w", op, err)
		}
		doc.Messages = mergeMessages(stored.Messages, incoming)
		return raw, nil
	}

	if s.opts.Embedded {
		unlock, err := s.lock(ctx, collCases, doc.ID)
		if err != nil {
			return err
		}
		defer unlock()
		if _, err := read(); err != nil {
			return err
		}
		res, err := s.cases.ReplaceOne(ctx, byID, doc)
		if err != nil {
			return storeError(op, err)
		}
		if res.MatchedCount == 0 {
			return weiquan.WrapError(weiquan.ENotFound, msgCaseNotFound,
				fmt.Errorf("store: %s: case disappeared while saving", op))
		}
		return nil
	}
	for range maxMessageRetries {
		raw, err := read()
		if err != nil {
			return err
		}
		filter := bson.D{{Key: "_id", Value: doc.ID}, {Key: "version", Value: expected},
			{Key: "messages", Value: messagesAsRead(raw)}}
		res, err := s.cases.ReplaceOne(ctx, filter, doc)
		if err != nil {
			return storeError(op, err)
		}
		if res.MatchedCount == 1 {
			return nil
		}
		// A message update or a save came in between; the next read tells
		// which (a save is a conflict).
	}
	return weiquan.WrapError(weiquan.EUnavailable, msgMessagesBusy,
		fmt.Errorf("store: %s: messages still changing after %d attempts", op, maxMessageRetries))
}

// mergeMessages keeps every stored message as stored — once recorded, a
// message is changed only by the dispatcher and the webhooks — and appends
// the incoming messages whose seq is not stored, in their order.
func mergeMessages(stored, incoming []weiquan.Message) []weiquan.Message {
	have := make(map[int]bool, len(stored))
	for _, m := range stored {
		have[m.Seq] = true
	}
	out := slices.Clone(stored)
	for _, m := range incoming {
		if !have[m.Seq] {
			out = append(out, m)
			have[m.Seq] = true
		}
	}
	if out == nil && incoming != nil {
		// Keep an empty list an empty list rather than null.
		out = []weiquan.Message{}
	}
	return out
}

// UpdateCase reads case id, lets fn change it and saves it under the version
// compare-and-swap (bumping the version, feeding the change feed), keeping
// message updates made meanwhile. When someone saved in between, it reads
// again and calls fn again, so fn must decide from its argument alone. It is
// for automatic changes that are right on whatever version is current (an
// SMS reply recorded on the case), never for a person's action, which must
// be refused on a stale version instead. fn returns false to save nothing;
// the case is then returned as read.
func (s *Store) UpdateCase(ctx context.Context, id string, fn func(c *weiquan.Case) (bool, error)) (*weiquan.Case, error) {
	for range maxCaseRetries {
		c, err := s.GetCase(ctx, id)
		if err != nil {
			return nil, err
		}
		expected := c.Version
		changed, err := fn(c)
		if err != nil {
			return nil, err
		}
		if !changed {
			return c, nil
		}
		c.Version = expected + 1
		err = s.saveCaseMerging(ctx, fmt.Sprintf("update case %s at version %d", id, expected), c, expected)
		if weiquan.ErrorCode(err) == weiquan.EConflict {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.feed.published(id)
		return c, nil
	}
	return nil, weiquan.WrapError(weiquan.EConflict, msgCaseConflict,
		fmt.Errorf("store: update case %s: still conflicting after %d attempts", id, maxCaseRetries))
}

// The sms collection holds small documents of several kinds told apart by
// the prefix of their _id, so that every look-up is by _id, the one query
// the embedded server answers from an index:
//
//	optout:<E.164>     a number that replied TD/退订/STOP (optout.go)
//	log:<12 digits>    one entry of the local SMS log (AppendSMSLog)
//	logseq             the counter of the local SMS log
//
// Phone numbers are kept in clear, as they are in the cases themselves: a
// hash of an 11-digit number hides nothing from whoever can read the store.
const (
	smsOptOutPrefix = "optout:"
	smsLogPrefix    = "log:"
	smsLogCounter   = "logseq"
)

// maxPhoneCases bounds PhoneCases.
const maxPhoneCases = 20

// PhoneCases returns the numbers of the newest cases (at most 20) whose
// complainant has the number phone (E.164 as Twilio writes it, or as
// typed), newest first; none is an empty list. It is a query on
// complainant.phone, which no index serves: the embedded server reads
// every case for it (some seconds per 100,000 cases) and MongoDB scans the
// collection. That is acceptable for what calls it, an SMS reply; the
// search index answers the same question (a Query with Phone) from an
// index, for a service that gets many.
func (s *Store) PhoneCases(ctx context.Context, phone string) ([]string, error) {
	p, ok := weiquan.ParsePhone(phone)
	if !ok {
		return []string{}, nil
	}
	op := "find cases of " + p.Masked()
	opts := options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).
		SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(maxPhoneCases)
	cur, err := s.cases.Find(ctx, bson.D{{Key: "complainant.phone", Value: string(p)}}, opts)
	if err != nil {
		return nil, storeError(op, err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeError(op, err)
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids, nil
}

// SMSLogEntry is one message the local-log sender "sent": what an
// administrator reads in the development inbox (开发短信箱) when no Twilio
// account is configured.
type SMSLogEntry struct {
	Seq        int64     `json:"seq" bson:"seq"`
	At         time.Time `json:"at" bson:"at"`
	CaseID     string    `json:"case_id" bson:"case_id"`
	MessageSeq int       `json:"message_seq" bson:"message_seq"`
	Template   string    `json:"template" bson:"template"`
	To         string    `json:"to" bson:"to"`
	Body       string    `json:"body" bson:"body"`
	Segments   int       `json:"segments" bson:"segments"`
}

// maxSMSLogList bounds one ListSMSLog page.
const maxSMSLogList = 500

// AppendSMSLog appends message m of case caseID to the local SMS log and
// returns its sequence number (1, 2, …; a number whose insert failed is not
// reused).
func (s *Store) AppendSMSLog(ctx context.Context, caseID string, m weiquan.Message, at time.Time) (int64, error) {
	seq, err := s.nextSMSLogSeq(ctx)
	if err != nil {
		return 0, err
	}
	e := struct {
		ID          string `bson:"_id"`
		SMSLogEntry `bson:",inline"`
	}{smsLogID(seq), SMSLogEntry{Seq: seq, At: at, CaseID: caseID, MessageSeq: m.Seq, Template: m.Template,
		To: m.To, Body: m.Body, Segments: m.Segments}}
	if _, err := s.sms.InsertOne(ctx, e); err != nil {
		return 0, storeError(fmt.Sprintf("append SMS log entry %d", seq), err)
	}
	return seq, nil
}

func smsLogID(seq int64) string { return fmt.Sprintf("%s%012d", smsLogPrefix, seq) }

func (s *Store) nextSMSLogSeq(ctx context.Context) (int64, error) {
	const op = "allocate SMS log number"
	unlock, err := s.lock(ctx, collSMS, smsLogCounter)
	if err != nil {
		return 0, err
	}
	defer unlock()
	var counter struct {
		Seq int64 `bson:"seq"`
	}
	filter := bson.D{{Key: "_id", Value: smsLogCounter}}
	update := bson.D{{Key: "$inc", Value: bson.D{{Key: "seq", Value: int64(1)}}}}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	err = s.sms.FindOneAndUpdate(ctx, filter, update, opts).Decode(&counter)
	if mongo.IsDuplicateKeyError(err) {
		err = s.sms.FindOneAndUpdate(ctx, filter, update, opts).Decode(&counter)
	}
	if err != nil {
		return 0, storeError(op, err)
	}
	return counter.Seq, nil
}

// ListSMSLog returns the newest limit entries of the local SMS log, newest
// first. It reads the entries by _id counting down from the counter, so it
// costs limit look-ups on the embedded server however long the log is.
func (s *Store) ListSMSLog(ctx context.Context, limit int) ([]SMSLogEntry, error) {
	const op = "list SMS log"
	if limit <= 0 || limit > maxSMSLogList {
		return nil, weiquan.Errorf(weiquan.EInvalid, "条数应在 1 到 %d 之间", maxSMSLogList)
	}
	var counter struct {
		Seq int64 `bson:"seq"`
	}
	err := s.sms.FindOne(ctx, bson.D{{Key: "_id", Value: smsLogCounter}}).Decode(&counter)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return []SMSLogEntry{}, nil
	}
	if err != nil {
		return nil, storeError(op, err)
	}
	ids := make([]string, 0, limit)
	for seq := counter.Seq; seq > 0 && len(ids) < limit; seq-- {
		ids = append(ids, smsLogID(seq))
	}
	out := make([]SMSLogEntry, 0, len(ids))
	if s.opts.Embedded {
		for _, id := range ids {
			var e SMSLogEntry
			err := s.sms.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&e)
			if errors.Is(err, mongo.ErrNoDocuments) {
				continue // its insert failed after the number was taken
			}
			if err != nil {
				return nil, storeError(op, err)
			}
			out = append(out, e)
		}
		return out, nil
	}
	cur, err := s.sms.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}))
	if err != nil {
		return nil, storeError(op, err)
	}
	if err := cur.All(ctx, &out); err != nil {
		return nil, storeError(op, err)
	}
	return out, nil
}
