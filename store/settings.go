package store

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
)

// collSettings holds what administrators changed at run time: the routing
// rules, deadline policies they loaded, the default policy, and the units
// they added or edited (which are also written to the units collection, the
// set everyone reads). One document per thing, so that two administrators
// changing different things never overwrite each other.
const collSettings = "settings"

const msgSettingNotFound = "没有这项设置"

func (s *Store) settings() *mongo.Collection { return s.db.Collection(collSettings) }

// PutSetting stores a setting, replacing the one with the same ID.
func (s *Store) PutSetting(ctx context.Context, st *weiquan.Setting) error {
	unlock, err := s.lock(ctx, collSettings, st.ID)
	if err != nil {
		return err
	}
	defer unlock()
	_, err = s.settings().ReplaceOne(ctx, bson.D{{Key: "_id", Value: st.ID}}, st, options.Replace().SetUpsert(true))
	return storeError("put setting "+st.ID, err)
}

// GetSetting returns the setting with that ID, or ENotFound.
func (s *Store) GetSetting(ctx context.Context, id string) (*weiquan.Setting, error) {
	var st weiquan.Setting
	if err := s.settings().FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&st); err != nil {
		return nil, notFound("get setting "+id, err, msgSettingNotFound)
	}
	return &st, nil
}

// ListSettings returns the settings whose ID starts with prefix, by ID.
// There are a few dozen at most, so they are filtered here rather than by a
// query the embedded server would scan for anyway.
func (s *Store) ListSettings(ctx context.Context, prefix string) ([]weiquan.Setting, error) {
	cur, err := s.settings().Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, storeError("list settings", err)
	}
	var all []weiquan.Setting
	if err := cur.All(ctx, &all); err != nil {
		return nil, storeError("list settings", err)
	}
	out := []weiquan.Setting{}
	for _, st := range all {
		if strings.HasPrefix(st.ID, prefix) {
			out = append(out, st)
		}
	}
	return out, nil
}
