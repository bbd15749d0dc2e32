package store

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"weiquan"
)

const (
	msgUserNotFound    = "用户不存在"
	msgUserExists      = "用户名已存在"
	msgSessionNotFound = "登录已失效，请重新登录"
	msgSessionExists   = "会话已存在"
)

// UserID is the _id of the user with the given username. Deriving it keeps
// one account per username even where the unique index is not yet built.
func UserID(username string) string { return "u-" + username }

// CreateUser inserts a staff account. An empty u.ID is set from the
// username; a different one is refused. A taken username is EConflict.
func (s *Store) CreateUser(ctx context.Context, u *weiquan.User) error {
	want := UserID(u.Username)
	if u.ID == "" {
		u.ID = want
	}
	if u.Username == "" || u.ID != want {
		return fmt.Errorf("store: create user: id %q does not match username %q", u.ID, u.Username)
	}
	_, err := s.users.InsertOne(ctx, u)
	return duplicate("create user "+u.Username, err, msgUserExists)
}

// GetUser returns the user with the given id, or ENotFound.
func (s *Store) GetUser(ctx context.Context, id string) (*weiquan.User, error) {
	return s.findUser(ctx, "get user "+id, bson.D{{Key: "_id", Value: id}})
}

// GetUserByUsername returns the user with the given username, or ENotFound.
// It looks up by the derived _id, which every store answers from an index.
func (s *Store) GetUserByUsername(ctx context.Context, username string) (*weiquan.User, error) {
	return s.findUser(ctx, "get user by username "+username, bson.D{{Key: "_id", Value: UserID(username)}})
}

func (s *Store) findUser(ctx context.Context, op string, filter bson.D) (*weiquan.User, error) {
	var u weiquan.User
	if err := s.users.FindOne(ctx, filter).Decode(&u); err != nil {
		return nil, notFound(op, err, msgUserNotFound)
	}
	return &u, nil
}

// UpdateUserPassword replaces a user's password hash and records when, so
// that sessions issued before can be refused.
func (s *Store) UpdateUserPassword(ctx context.Context, id, hash string, at time.Time) error {
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "password_hash", Value: hash},
		{Key: "password_changed_at", Value: at},
	}}}
	return s.updateByID(ctx, s.users, "update password of "+id, id, update, msgUserNotFound)
}

// CountUsers returns the number of staff accounts; zero means first start.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	n, err := s.users.CountDocuments(ctx, bson.D{})
	if err != nil {
		return 0, storeError("count users", err)
	}
	return n, nil
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, sess *weiquan.Session) error {
	_, err := s.sessions.InsertOne(ctx, sess)
	return duplicate("create session", err, msgSessionExists)
}

// GetSession returns the session with the given id, or ENotFound. It does
// not judge expiry: that is policy, and the caller owns the clock.
func (s *Store) GetSession(ctx context.Context, id string) (*weiquan.Session, error) {
	var sess weiquan.Session
	// The id is a token hash: it is never put into an error or a log line.
	if err := s.sessions.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&sess); err != nil {
		return nil, notFound("get session", err, msgSessionNotFound)
	}
	return &sess, nil
}

// TouchSession records that the session was used at the given time.
func (s *Store) TouchSession(ctx context.Context, id string, at time.Time) error {
	update := bson.D{{Key: "$set", Value: bson.D{{Key: "last_seen_at", Value: at}}}}
	return s.updateByID(ctx, s.sessions, "touch session", id, update, msgSessionNotFound)
}

// DeleteSession removes a session. Removing one that does not exist is not
// an error: signing out twice must not fail.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.sessions.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	return storeError("delete session", err)
}

// DeleteUserSessions signs a user out everywhere.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.sessions.DeleteMany(ctx, bson.D{{Key: "user_id", Value: userID}})
	return storeError("delete sessions of "+userID, err)
}

// updateByID applies update to one document found by _id; none is
// ENotFound. When embedded, it holds the document's lock, because FerretDB
// writes back the whole document it read and would undo a concurrent update.
func (s *Store) updateByID(ctx context.Context, coll *mongo.Collection, op, id string, update bson.D, notFoundMsg string) error {
	unlock, err := s.lock(ctx, coll.Name(), id)
	if err != nil {
		return err
	}
	defer unlock()
	res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, update)
	if err != nil {
		return storeError(op, err)
	}
	if res.MatchedCount == 0 {
		return weiquan.WrapError(weiquan.ENotFound, notFoundMsg, fmt.Errorf("store: %s: %w", op, mongo.ErrNoDocuments))
	}
	return nil
}
