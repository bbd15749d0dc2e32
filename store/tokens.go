package store

import (
	"context"
	"sort"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"weiquan"
)

const (
	collAPITokens     = "api_tokens"
	msgTokenNotFound  = "没有这个 API 令牌"
	msgTokenDuplicate = "API 令牌已存在"
)

// apiTokens is the collection of integration tokens, keyed by the SHA-256
// of the token. Ids are token hashes: they are never put into an error.
func (s *Store) apiTokens() *mongo.Collection { return s.db.Collection(collAPITokens) }

// CreateAPIToken stores a new token record.
func (s *Store) CreateAPIToken(ctx context.Context, t *weiquan.APIToken) error {
	_, err := s.apiTokens().InsertOne(ctx, t)
	return duplicate("create api token", err, msgTokenDuplicate)
}

// GetAPIToken returns the token record with the given id, or ENotFound. It
// does not judge expiry or revocation: that is policy.
func (s *Store) GetAPIToken(ctx context.Context, id string) (*weiquan.APIToken, error) {
	var t weiquan.APIToken
	if err := s.apiTokens().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&t); err != nil {
		return nil, notFound("get api token", err, msgTokenNotFound)
	}
	inChina(&t)
	return &t, nil
}

// inChina puts a decoded record's times (UTC from the driver) back in
// China time, as they were written.
func inChina(t *weiquan.APIToken) {
	t.CreatedAt = weiquan.InShanghai(t.CreatedAt)
	for _, p := range []*time.Time{t.ExpiresAt, t.LastUsedAt, t.RevokedAt} {
		if p != nil {
			*p = weiquan.InShanghai(*p)
		}
	}
}

// ListAPITokens returns every token record, newest first. There are a
// handful per deployment, so they are sorted here rather than by the
// server (the embedded one sorts in Go anyway).
func (s *Store) ListAPITokens(ctx context.Context) ([]weiquan.APIToken, error) {
	cur, err := s.apiTokens().Find(ctx, bson.D{})
	if err != nil {
		return nil, storeError("list api tokens", err)
	}
	out := []weiquan.APIToken{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, storeError("list api tokens", err)
	}
	for i := range out {
		inChina(&out[i])
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// RevokeAPIToken records that the token was revoked at the given time. A
// token revoked before keeps its first revocation time.
func (s *Store) RevokeAPIToken(ctx context.Context, id string, at time.Time) error {
	t, err := s.GetAPIToken(ctx, id)
	if err != nil {
		return err
	}
	if t.RevokedAt != nil {
		return nil
	}
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "revoked_at", Value: at}}}}
	return s.updateByID(ctx, s.apiTokens(), "revoke api token", id, update, msgTokenNotFound)
}

// TouchAPIToken records that the token was used at the given time.
func (s *Store) TouchAPIToken(ctx context.Context, id string, at time.Time) error {
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "last_used_at", Value: at}}}}
	return s.updateByID(ctx, s.apiTokens(), "touch api token", id, update, msgTokenNotFound)
}
