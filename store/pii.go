package store

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// CaseDocument returns case id as it is stored, in MongoDB's extended JSON:
// what an administrator with a database client sees. Tests use it to check
// that no personal data is stored in clear (pii.go in the root package).
func (s *Store) CaseDocument(ctx context.Context, id string) (string, error) {
	raw, err := s.cases.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Raw()
	if err != nil {
		return "", notFound("read case document "+id, err, msgCaseNotFound)
	}
	return raw.String(), nil
}

// DatabaseName is the name of the store's database, for tools and
// benchmarks that load it in bulk.
func (s *Store) DatabaseName() string { return s.db.Name() }
