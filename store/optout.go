package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
)

// optOutDoc says that and when a number asked for no more SMS.
type optOutDoc struct {
	Phone string    `json:"phone" bson:"phone"` // E.164
	At    time.Time `json:"at" bson:"at"`
	// Word is what the person replied (TD, 退订, STOP) or, when Twilio
	// refused the number as unsubscribed, "twilio:21610".
	Word string `json:"word" bson:"word"`
}

// OptOut records that phone (E.164) asked for no more SMS. The dispatcher
// checks it before every send. Opting out again keeps the first record:
// the time a person first said stop is the one that matters.
func (s *Store) OptOut(ctx context.Context, phone string, at time.Time, word string) error {
	if phone == "" {
		return errors.New("store: opt out: no phone number")
	}
	key := smsOptOutPrefix + phone
	op := "opt out " + weiquan.MaskPhone(phone)
	unlock, err := s.lock(ctx, collSMS, key)
	if err != nil {
		return err
	}
	defer unlock()
	update := bson.D{{Key: "$setOnInsert", Value: optOutDoc{Phone: phone, At: at, Word: word}}}
	_, err = s.sms.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}}, update, options.UpdateOne().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		return nil // a concurrent opt-out of the same number inserted it first
	}
	return storeError(op, err)
}

// OptedOut reports whether phone (E.164) asked for no more SMS.
func (s *Store) OptedOut(ctx context.Context, phone string) (bool, error) {
	err := s.sms.FindOne(ctx, bson.D{{Key: "_id", Value: smsOptOutPrefix + phone}}).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, storeError("check opt-out of "+weiquan.MaskPhone(phone), err)
	}
	return true, nil
}

// OptIn removes the opt-out of phone, when the person asks to be texted
// again (replies START). Removing one that does not exist is not an error.
func (s *Store) OptIn(ctx context.Context, phone string) error {
	key := smsOptOutPrefix + phone
	unlock, err := s.lock(ctx, collSMS, key)
	if err != nil {
		return err
	}
	defer unlock()
	_, err = s.sms.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}})
	return storeError(fmt.Sprintf("opt in %s", weiquan.MaskPhone(phone)), err)
}
