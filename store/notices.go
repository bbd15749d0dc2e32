package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"weiquan"
)

// collNotices holds the deadline notices of the units: one document per
// unit (its inbox), _id the unit's id.
//
// Why an inbox per unit and not a document per notice: the officer desk
// lists a unit's notices on every visit, and on the embedded FerretDB any
// filter but `_id` equality reads the whole collection (DESIGN §4.3), which
// grows with every warning ever raised. An inbox is read by `_id`: a desk
// costs one read per unit in the person's scope, whatever the history. The
// price is the cap: an inbox keeps the latest MaxUnitNotices notices,
// dropping the oldest read ones first — the unit's queue, sorted by
// deadline, still lists every case near or past one.
const collNotices = "notices"

// MaxUnitNotices is how many notices a unit's inbox keeps.
const MaxUnitNotices = 300

type inboxDoc struct {
	ID    string           `bson:"_id"`
	Rev   int64            `bson:"rev"` // compare-and-swap on MongoDB
	Items []weiquan.Notice `bson:"items"`
}

const msgNoticeNotFound = "没有这条通知"

// AddNotices files notices in their units' inboxes. A notice whose id is
// already there is left as it is (read or not): the deadline sweeper may
// file the same warning again after a lost save, and must not make it
// unread or appear twice.
func (s *Store) AddNotices(ctx context.Context, notices []weiquan.Notice) error {
	byUnit := map[string][]weiquan.Notice{}
	var units []string
	for _, n := range notices {
		if n.UnitID == "" || n.ID == "" {
			return fmt.Errorf("store: add notice %q: no unit or id", n.ID)
		}
		if byUnit[n.UnitID] == nil {
			units = append(units, n.UnitID)
		}
		byUnit[n.UnitID] = append(byUnit[n.UnitID], n)
	}
	for _, unit := range units {
		err := s.updateInbox(ctx, unit, func(items []weiquan.Notice) ([]weiquan.Notice, bool) {
			changed := false
			for _, n := range byUnit[unit] {
				if slices.ContainsFunc(items, func(m weiquan.Notice) bool { return m.ID == n.ID }) {
					continue
				}
				n.ReadAt, n.ReadBy = nil, ""
				items = append(items, n)
				changed = true
			}
			return capInbox(items), changed
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// capInbox drops the oldest read notices, then the oldest, beyond
// MaxUnitNotices. items are in the order they were filed.
func capInbox(items []weiquan.Notice) []weiquan.Notice {
	over := len(items) - MaxUnitNotices
	if over <= 0 {
		return items
	}
	out := items[:0:0]
	for _, n := range items {
		if over > 0 && n.ReadAt != nil {
			over--
			continue
		}
		out = append(out, n)
	}
	return out[max(0, len(out)-MaxUnitNotices):]
}

// UnitNotices returns every notice in the inboxes of the units named, in
// no particular order.
func (s *Store) UnitNotices(ctx context.Context, unitIDs []string) ([]weiquan.Notice, error) {
	var out []weiquan.Notice
	coll := s.db.Collection(collNotices)
	for _, unit := range unitIDs {
		var doc inboxDoc
		err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: unit}}).Decode(&doc)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return nil, storeError("read the notices of unit "+unit, err)
		}
		out = append(out, doc.Items...)
	}
	return out, nil
}

// MarkNoticeRead records that by read notice id at at; a notice read
// before keeps its first reading. A notice not (or no longer) in its unit's
// inbox is ENotFound.
func (s *Store) MarkNoticeRead(ctx context.Context, id, by string, at time.Time) (weiquan.Notice, error) {
	var got *weiquan.Notice
	unit := weiquan.NoticeUnit(id)
	if unit == "" {
		return weiquan.Notice{}, weiquan.WrapError(weiquan.ENotFound, msgNoticeNotFound, fmt.Errorf("store: notice id %q is malformed", id))
	}
	err := s.updateInbox(ctx, unit, func(items []weiquan.Notice) ([]weiquan.Notice, bool) {
		got = nil
		for i := range items {
			if items[i].ID != id {
				continue
			}
			changed := items[i].ReadAt == nil
			if changed {
				t := weiquan.InShanghai(at)
				items[i].ReadAt, items[i].ReadBy = &t, by
			}
			n := items[i]
			got = &n
			return items, changed
		}
		return items, false
	})
	if err != nil {
		return weiquan.Notice{}, err
	}
	if got == nil {
		return weiquan.Notice{}, weiquan.WrapError(weiquan.ENotFound, msgNoticeNotFound, fmt.Errorf("store: notice %s not found", id))
	}
	return *got, nil
}

// updateInbox runs fn on the inbox of unit and writes back what it returns
// when it reports a change: under the document's lock on the embedded
// server, as a compare-and-swap on rev on MongoDB (fn may then run again).
func (s *Store) updateInbox(ctx context.Context, unit string, fn func([]weiquan.Notice) ([]weiquan.Notice, bool)) error {
	op := "update the notices of unit " + unit
	coll := s.db.Collection(collNotices)
	unlock, err := s.lock(ctx, collNotices, unit)
	if err != nil {
		return err
	}
	defer unlock()
	for range maxMessageRetries {
		var doc inboxDoc
		err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: unit}}).Decode(&doc)
		exists := err == nil
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return storeError(op, err)
		}
		items, changed := fn(slices.Clone(doc.Items))
		if !changed {
			return nil
		}
		next := inboxDoc{ID: unit, Rev: doc.Rev + 1, Items: items}
		if !exists {
			_, err = coll.InsertOne(ctx, next)
			if mongo.IsDuplicateKeyError(err) {
				continue // another writer created it first
			}
			return storeError(op, err)
		}
		res, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: unit}, {Key: "rev", Value: doc.Rev}}, next)
		if err != nil {
			return storeError(op, err)
		}
		if res.MatchedCount == 1 {
			return nil
		}
	}
	return weiquan.WrapError(weiquan.EUnavailable, "通知正在被频繁修改，请稍后重试",
		fmt.Errorf("store: %s: still changing after %d attempts", op, maxMessageRetries))
}
