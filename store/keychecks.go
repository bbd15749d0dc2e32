package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// keyCheckPrefix marks, in the settings collection, the documents that
// remember the service's secret keys by their check values. They share the
// collection with administrators' changes, whose IDs never start so.
const keyCheckPrefix = "key_check:"

// KeyCheck is what the database remembers of one secret key that every
// instance sharing it must hold alike: a check value derived from the key
// (never the key), and which instances used it when.
type KeyCheck struct {
	Name  string    // e.g. "otp", "csrf", "pii:k1"
	Check string    // "" when the database has not seen the key yet
	SetAt time.Time // when Check was recorded
	// Retired marks a key of the ID number ring that no case was sealed
	// under any more when `weiquan pii rekey` last ran.
	Retired bool
	Seen    []KeySeen
}

// KeySeen is an instance that used a key, and when it last said so.
type KeySeen struct {
	Instance string    `bson:"instance"`
	At       time.Time `bson:"at"`
}

type keyCheckDoc struct {
	ID      string    `bson:"_id"`
	Check   string    `bson:"check"`
	SetAt   time.Time `bson:"set_at"`
	Retired bool      `bson:"retired,omitempty"`
	Seen    []KeySeen `bson:"seen"`
	// Version makes every write conditional on what was read, so that two
	// instances recording themselves at once do not drop each other.
	Version int64 `bson:"version"`
}

func (d keyCheckDoc) keyCheck() *KeyCheck {
	return &KeyCheck{Name: strings.TrimPrefix(d.ID, keyCheckPrefix), Check: d.Check, SetAt: d.SetAt,
		Retired: d.Retired, Seen: d.Seen}
}

// UpdateKeyCheck reads the key check called name (Check "" when there is
// none yet), lets fn change it and writes it back when fn says so. A write
// that lost a race with another instance is retried on what that one wrote.
// fn's error is returned as it is.
func (s *Store) UpdateKeyCheck(ctx context.Context, name string, fn func(kc *KeyCheck) (bool, error)) (*KeyCheck, error) {
	id := keyCheckPrefix + name
	unlock, err := s.lock(ctx, collSettings, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	for range 20 {
		var cur keyCheckDoc
		found := true
		if err := s.settings().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&cur); errors.Is(err, mongo.ErrNoDocuments) {
			found, cur = false, keyCheckDoc{ID: id}
		} else if err != nil {
			return nil, storeError("read key check "+name, err)
		}
		kc := cur.keyCheck()
		write, err := fn(kc)
		if err != nil {
			return nil, err
		}
		if !write {
			return kc, nil
		}
		next := keyCheckDoc{ID: id, Check: kc.Check, SetAt: kc.SetAt, Retired: kc.Retired, Seen: kc.Seen,
			Version: cur.Version + 1}
		if next.Seen == nil {
			next.Seen = []KeySeen{}
		}
		if !found {
			_, err := s.settings().InsertOne(ctx, next)
			if mongo.IsDuplicateKeyError(err) {
				continue // another instance recorded it first: decide again on what it wrote
			}
			if err != nil {
				return nil, storeError("record key check "+name, err)
			}
			return kc, nil
		}
		res, err := s.settings().ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: cur.Version}}, next)
		if err != nil {
			return nil, storeError("record key check "+name, err)
		}
		if res.MatchedCount == 1 {
			return kc, nil
		}
	}
	return nil, fmt.Errorf("store: record key check %s: other instances kept changing it", name)
}

// ListKeyChecks returns the key checks whose name starts with prefix, by
// name.
func (s *Store) ListKeyChecks(ctx context.Context, prefix string) ([]KeyCheck, error) {
	from := keyCheckPrefix + prefix
	cur, err := s.settings().Find(ctx,
		bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: from}, {Key: "$lt", Value: from + "\uffff"}}}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, storeError("list key checks", err)
	}
	var docs []keyCheckDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, storeError("list key checks", err)
	}
	out := make([]KeyCheck, 0, len(docs))
	for _, d := range docs {
		if strings.HasPrefix(d.ID, from) {
			out = append(out, *d.keyCheck())
		}
	}
	return out, nil
}
