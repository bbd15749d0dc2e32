package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"weiquan"
)

// The otp collection holds consumers' one-time codes and the per-number
// send counters that rate-limit them, told apart by the prefix of their
// _id so that every look-up is by _id (the one query the embedded server
// answers from an index):
//
//	code:<phone>|<purpose>|<case>   the live code (weiquan.OneTimeCode, hashed)
//	rate:<phone>                    when codes were sent to the number in the last hour
//
// The counter lives in the store, not in memory, so the limit holds across
// restarts and across instances sharing a MongoDB.
const (
	otpCodePrefix = "code:"
	otpRatePrefix = "rate:"
)

const (
	msgOTPNotFound = "验证码不存在或已失效"
	msgOTPBusy     = "验证码正在被频繁使用，请稍后重试"
)

// otpRateDoc is the send history of one number.
type otpRateDoc struct {
	ID   string      `bson:"_id"`
	Sent []time.Time `bson:"sent"` // within the last hour, oldest first
	Last time.Time   `bson:"last"` // the newest of Sent, for PurgeOTP
	Rev  int64       `bson:"rev"`
}

// ReserveOTPSend counts a code sent to phone at now when the number is
// within its limits — no code in the last gap, fewer than perHour in the
// last hour — and otherwise returns how long until it would be. The check
// and the count are one atomic step per number.
func (s *Store) ReserveOTPSend(ctx context.Context, phone string, now time.Time, gap time.Duration, perHour int) (wait time.Duration, err error) {
	id := otpRatePrefix + phone
	_, err = updateRev(ctx, s, s.otp, id, func(d *otpRateDoc, found bool) (bool, error) {
		wait = 0
		d.ID = id
		kept := d.Sent[:0:0]
		for _, t := range d.Sent {
			if now.Sub(t) < time.Hour {
				kept = append(kept, t)
			}
		}
		d.Sent = kept
		if n := len(kept); n > 0 {
			if w := gap - now.Sub(kept[n-1]); w > 0 {
				wait = w
			}
			if n >= perHour {
				wait = max(wait, kept[n-perHour].Add(time.Hour).Sub(now))
			}
		}
		if wait > 0 {
			return false, nil
		}
		d.Sent = append(d.Sent, weiquan.InShanghai(now))
		d.Last = weiquan.InShanghai(now)
		return true, nil
	}, func(d *otpRateDoc) *int64 { return &d.Rev })
	if err != nil {
		return 0, fmt.Errorf("reserve code for %s: %w", weiquan.MaskPhone(phone), err)
	}
	return wait, nil
}

// PutOTP stores c as the live code of its key, replacing any earlier one
// (which stops working).
func (s *Store) PutOTP(ctx context.Context, c weiquan.OneTimeCode) error {
	id := otpCodePrefix + c.Key
	_, err := updateRev(ctx, s, s.otp, id, func(d *weiquan.OneTimeCode, found bool) (bool, error) {
		rev := d.Rev
		*d = c
		d.Key, d.Rev = id, rev
		d.CreatedAt, d.ExpiresAt = weiquan.InShanghai(c.CreatedAt), weiquan.InShanghai(c.ExpiresAt)
		return true, nil
	}, func(d *weiquan.OneTimeCode) *int64 { return &d.Rev })
	if err != nil {
		return fmt.Errorf("store code for %s: %w", weiquan.MaskPhone(c.Phone), err)
	}
	return nil
}

// UpdateOTP reads the live code of key, lets fn change it and writes it back
// atomically when fn returns true; an error from fn is returned after the
// write (a failed attempt is counted and refused). No code is ENotFound.
// fn may run again on a fresh read against MongoDB.
func (s *Store) UpdateOTP(ctx context.Context, key string, fn func(c *weiquan.OneTimeCode) (bool, error)) error {
	id := otpCodePrefix + key
	var fnErr error
	_, err := updateRev(ctx, s, s.otp, id, func(d *weiquan.OneTimeCode, found bool) (bool, error) {
		fnErr = nil
		if !found {
			return false, weiquan.Errorf(weiquan.ENotFound, msgOTPNotFound)
		}
		d.Key = key
		write, err := fn(d)
		fnErr = err
		d.Key = id
		return write, nil
	}, func(d *weiquan.OneTimeCode) *int64 { return &d.Rev })
	if err != nil {
		return err
	}
	return fnErr
}

// updateRev is an atomic read-modify-write of one document by _id: on the
// embedded server under the store's lock, on MongoDB a compare-and-swap on
// the document's revision counter (rev returns a pointer to it), reading
// again when someone wrote in between. fn gets the stored document, or a
// zero one with found false; it must set the _id of a new one. It returns
// the document as written, or as read when fn wrote nothing.
func updateRev[D any](ctx context.Context, s *Store, coll *mongo.Collection, id string,
	fn func(d *D, found bool) (bool, error), rev func(d *D) *int64) (*D, error) {
	op := "update " + coll.Name()
	unlock, err := s.lock(ctx, coll.Name(), id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	byID := bson.D{{Key: "_id", Value: id}}
	for range maxMessageRetries {
		var d D
		found := true
		err := coll.FindOne(ctx, byID).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			found = false
		} else if err != nil {
			return nil, storeError(op, err)
		}
		old := *rev(&d)
		write, err := fn(&d, found)
		if err != nil || !write {
			return &d, err
		}
		*rev(&d) = old + 1
		if !found {
			_, err := coll.InsertOne(ctx, &d)
			if mongo.IsDuplicateKeyError(err) {
				continue // created meanwhile: read it and try again
			}
			if err != nil {
				return nil, storeError(op, err)
			}
			return &d, nil
		}
		res, err := coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "rev", Value: old}}, &d)
		if err != nil {
			return nil, storeError(op, err)
		}
		if res.MatchedCount == 1 {
			return &d, nil
		}
	}
	return nil, weiquan.WrapError(weiquan.EUnavailable, msgOTPBusy,
		fmt.Errorf("store: %s: still changing after %d attempts", op, maxMessageRetries))
}

// PurgeOTP deletes the codes that expired before before and the send
// counters of numbers last sent a code before before, and returns how many
// documents went: neither matters any more (pass a time at least an hour
// ago, the counters' window).
func (s *Store) PurgeOTP(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	for _, filter := range []bson.D{
		{{Key: "expires_at", Value: bson.D{{Key: "$lt", Value: before}}}},
		{{Key: "last", Value: bson.D{{Key: "$lt", Value: before}}}},
	} {
		res, err := s.otp.DeleteMany(ctx, filter)
		if err != nil {
			return n, storeError("purge codes", err)
		}
		n += res.DeletedCount
	}
	return n, nil
}
