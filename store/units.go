package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
)

const msgUnitNotFound = "承办单位不存在"

// UpsertUnits stores each unit, replacing the one with the same id. Loading
// the same set twice changes nothing.
func (s *Store) UpsertUnits(ctx context.Context, units []weiquan.Unit) error {
	if len(units) == 0 {
		return nil
	}
	// FerretDB's upsert is a query then an insert: two concurrent loads could
	// both insert. One lock for the whole set is enough; loading units is rare.
	unlock, err := s.lock(ctx, collUnits, "*")
	if err != nil {
		return err
	}
	defer unlock()

	models := make([]mongo.WriteModel, len(units))
	for i := range units {
		models[i] = mongo.NewReplaceOneModel().
			SetFilter(bson.D{{Key: "_id", Value: units[i].ID}}).
			SetReplacement(&units[i]).
			SetUpsert(true)
	}
	batch := len(models)
	if s.opts.Embedded {
		batch = embeddedUpdateBatch
	}
	for len(models) > 0 {
		n := min(batch, len(models))
		if _, err := s.units.BulkWrite(ctx, models[:n], options.BulkWrite().SetOrdered(false)); err != nil {
			return storeError("upsert units", err)
		}
		models = models[n:]
	}
	return nil
}

// embeddedUpdateBatch caps the statements of one update command sent to
// FerretDB. Its SQLite backend keeps each statement's query open until the
// whole command ends, one pooled connection each, and the pool holds 100:
// a command of more than 100 statements waits forever for a connection.
const embeddedUpdateBatch = 20

// ListUnits returns every unit, sorted by id.
func (s *Store) ListUnits(ctx context.Context) ([]weiquan.Unit, error) {
	cur, err := s.units.Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, storeError("list units", err)
	}
	units := []weiquan.Unit{}
	if err := cur.All(ctx, &units); err != nil {
		return nil, storeError("list units", err)
	}
	return units, nil
}

// GetUnit returns the unit with the given id, or ENotFound.
func (s *Store) GetUnit(ctx context.Context, id string) (*weiquan.Unit, error) {
	var u weiquan.Unit
	if err := s.units.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&u); err != nil {
		return nil, notFound("get unit "+id, err, msgUnitNotFound)
	}
	return &u, nil
}
