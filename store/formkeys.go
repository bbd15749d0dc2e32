package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
)

// The form_keys collection remembers, for a day, which case each submitted
// intake form saved, so that a form posted again — on another instance, or
// after a restart — leads to that case instead of registering a second one.
// One document per form, its _id the form's key (unique natively: no other
// index is needed for correctness, and every look-up is by _id, the one
// query the embedded server answers from an index).
//
// A key goes through three states: claimed by the post that is saving the
// form (claim is that post's token), saved (case_id set), or absent (never
// sent, sent without saving anything, or forgotten after a day).
const collFormKeys = "form_keys"

// FormKeyTTL is how long a form's key is remembered, from its claim.
const FormKeyTTL = 24 * time.Hour

// FormKeyClaimTimeout is how long a claim holds without a case: past it the
// post that claimed the key is taken to have died (a crash between claim and
// record), and the next post of the form may take the key over. It is well
// above a request's time limit (15 s by default), so a live post is not
// overtaken — unless its save itself hangs for longer (a new case, once
// queued, is written whatever the request's deadline, store/intake.go) and
// then succeeds: only then can one form give two cases.
const FormKeyClaimTimeout = 2 * time.Minute

// formKeyPurgePeriod is how often a claim also deletes the keys older than
// FormKeyTTL: they only take room, since a claim ignores them by their age.
const formKeyPurgePeriod = time.Hour

const msgFormKeyLost = "这份表单已被另一次提交接手"

// formKeyDoc is one form's key.
type formKeyDoc struct {
	ID     string    `bson:"_id"`
	Claim  string    `bson:"claim,omitempty"` // the token of the post saving the form
	At     time.Time `bson:"at"`              // when the key was claimed (or taken over)
	CaseID string    `bson:"case_id,omitempty"`
	Rev    int64     `bson:"rev"`
}

// purgeMark remembers when this process last purged old form keys.
type purgeMark struct {
	mu   sync.Mutex
	last time.Time
}

// ClaimFormKey claims the form key for a post at now. It answers one of:
//   - token set: this post holds the key and is to save the form; it must
//     call RecordFormKey with the case saved, or ReleaseFormKey when
//     nothing was;
//   - caseID set: the form was already saved as that case;
//   - neither: another post of the form is saving it; ask again shortly.
//
// A key older than FormKeyTTL counts as absent. A claim older than
// FormKeyClaimTimeout with no case is taken over, atomically (two late
// posts cannot both take it) — unless a case registered under the key is
// found (its Source.FormKey): the post that died had saved it, and the key
// is given that case.
func (s *Store) ClaimFormKey(ctx context.Context, key string, now time.Time) (caseID, token string, err error) {
	s.purgeFormKeysDue(ctx, now)
	now = weiquan.InShanghai(now)
	mine := newClaimToken()
	coll := s.db.Collection(collFormKeys)
	_, err = updateRev(ctx, s, coll, key, func(d *formKeyDoc, found bool) (bool, error) {
		caseID, token = "", ""
		age := now.Sub(d.At)
		if found && age < FormKeyTTL {
			if d.CaseID != "" {
				caseID = d.CaseID
				return false, nil
			}
			if age < FormKeyClaimTimeout {
				return false, nil // being saved
			}
			id, err := s.caseIDByFormKey(ctx, key)
			if err != nil {
				return false, err
			}
			if id != "" {
				d.Claim, d.CaseID, caseID = "", id, id
				return true, nil
			}
		}
		*d = formKeyDoc{ID: key, Claim: mine, At: now, Rev: d.Rev}
		token = mine
		return true, nil
	}, func(d *formKeyDoc) *int64 { return &d.Rev })
	if err != nil {
		return "", "", fmt.Errorf("claim form key: %w", err)
	}
	return caseID, token, nil
}

// RecordFormKey records caseID as the case saved under key by the post
// holding token. A claim taken over meanwhile (the post outlived
// FormKeyClaimTimeout) is EConflict and changes nothing.
func (s *Store) RecordFormKey(ctx context.Context, key, token, caseID string) error {
	if token == "" || caseID == "" {
		return errors.New("store: record form key: no token or case")
	}
	_, err := updateRev(ctx, s, s.db.Collection(collFormKeys), key, func(d *formKeyDoc, found bool) (bool, error) {
		if !found || d.Claim != token || d.CaseID != "" {
			return false, weiquan.Errorf(weiquan.EConflict, msgFormKeyLost)
		}
		d.Claim, d.CaseID = "", caseID
		return true, nil
	}, func(d *formKeyDoc) *int64 { return &d.Rev })
	if err != nil {
		return fmt.Errorf("record form key: %w", err)
	}
	return nil
}

// ReleaseFormKey frees key, claimed with token by a post that saved
// nothing, so that the form may be sent again. A key taken over or saved
// meanwhile is left alone.
func (s *Store) ReleaseFormKey(ctx context.Context, key, token string) error {
	if token == "" {
		return errors.New("store: release form key: no token")
	}
	const op = "release form key"
	unlock, err := s.lock(ctx, collFormKeys, key)
	if err != nil {
		return err
	}
	defer unlock()
	_, err = s.db.Collection(collFormKeys).DeleteOne(ctx, bson.D{
		{Key: "_id", Value: key}, {Key: "claim", Value: token},
		// null matches a missing field too: case_id is omitted when unset.
		{Key: "case_id", Value: nil},
	})
	return storeError(op, err)
}

// FormKeyCase reads key as stored, whatever its age: the case saved under
// it, and whether the key exists at all (a claim without a case yet).
func (s *Store) FormKeyCase(ctx context.Context, key string) (caseID string, found bool, err error) {
	var d formKeyDoc
	err = s.db.Collection(collFormKeys).FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", false, nil
	}
	if err != nil {
		return "", false, storeError("read form key", err)
	}
	return d.CaseID, true, nil
}

// caseIDByFormKey finds the newest case registered under a form key, or "".
// On MongoDB an index serves it; the embedded server reads every case (DESIGN
// §4.3), which it does only to take over a claim whose post died.
func (s *Store) caseIDByFormKey(ctx context.Context, key string) (string, error) {
	var c struct {
		ID string `bson:"_id"`
	}
	err := s.cases.FindOne(ctx, bson.D{{Key: "source.form_key", Value: key}},
		options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}}).SetProjection(bson.D{{Key: "_id", Value: 1}})).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return "", nil
	}
	if err != nil {
		return "", storeError("find case by form key", err)
	}
	return c.ID, nil
}

// purgeFormKeysDue deletes the keys claimed more than FormKeyTTL before now,
// at most once per formKeyPurgePeriod in this process. A failure is left
// for the next claim to retry: old keys take room but are ignored by age,
// so it is no reason to refuse a form.
func (s *Store) purgeFormKeysDue(ctx context.Context, now time.Time) {
	m := &s.formKeysPurged
	m.mu.Lock()
	prev := m.last
	if !prev.IsZero() && now.Sub(prev) < formKeyPurgePeriod {
		m.mu.Unlock()
		return
	}
	m.last = now // the other claims meanwhile go on without waiting for the purge
	m.mu.Unlock()
	_, err := s.db.Collection(collFormKeys).DeleteMany(ctx, bson.D{
		{Key: "at", Value: bson.D{{Key: "$lt", Value: weiquan.InShanghai(now.Add(-FormKeyTTL))}}},
	})
	if err != nil {
		m.mu.Lock()
		if m.last.Equal(now) {
			m.last = prev
		}
		m.mu.Unlock()
	}
}

// ensureFormKeyIndexes creates, on MongoDB, the indexes that make the purge
// of old keys and the look-up of a case by its form key cheap. The embedded
// server could not use them (it filters in Go), so they are left out there.
func (s *Store) ensureFormKeyIndexes(ctx context.Context) error {
	if s.opts.Embedded {
		return nil
	}
	if _, err := s.db.Collection(collFormKeys).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "at", Value: 1}}, Options: options.Index().SetName("at"),
	}); err != nil {
		return storeError("create index on form keys", err)
	}
	_, err := s.cases.Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "source.form_key", Value: 1}}, Options: options.Index().SetName("source_form_key"),
	})
	return storeError("create form key index on cases", err)
}

// newClaimToken tells one post's claim from another's.
func newClaimToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand does not fail on supported platforms (it panics)
	return hex.EncodeToString(b)
}
