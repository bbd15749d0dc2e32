package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
)

// maxUserList bounds ListUsers: staff accounts number in the hundreds.
const maxUserList = 5000

// ListUsers returns every staff account by username.
func (s *Store) ListUsers(ctx context.Context) ([]weiquan.User, error) {
	cur, err := s.users.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(maxUserList))
	if err != nil {
		return nil, storeError("list users", err)
	}
	users := []weiquan.User{}
	if err := cur.All(ctx, &users); err != nil {
		return nil, storeError("list users", err)
	}
	return users, nil
}

// UpdateUserAccess sets what a user may do: role, units and whether the
// account is disabled.
func (s *Store) UpdateUserAccess(ctx context.Context, id string, role weiquan.Role, unitIDs []string, disabled bool) error {
	if unitIDs == nil {
		unitIDs = []string{}
	}
	update := bson.D{{Key: "$set", Value: bson.D{
		{Key: "role", Value: role},
		{Key: "unit_ids", Value: unitIDs},
		{Key: "disabled", Value: disabled},
	}}}
	return s.updateByID(ctx, s.users, "update access of "+id, id, update, msgUserNotFound)
}
