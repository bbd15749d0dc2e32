package weiquan

import "time"

// APIToken lets an integration (a PBX, a provincial platform, a report
// generator) call the API without a person's session. The token itself is
// shown once when created; the store keeps only its SHA-256, which is the
// ID. Its role is never admin: administration stays with people.
type APIToken struct {
	ID        string    `json:"id" bson:"_id"`
	Name      string    `json:"name" bson:"name"`
	Role      Role      `json:"role" bson:"role"`
	UnitIDs   []string  `json:"unit_ids" bson:"unit_ids"`
	CreatedBy string    `json:"created_by" bson:"created_by"`
	CreatedAt time.Time `json:"created_at" bson:"created_at"`
	// ExpiresAt, when set, ends the token; RevokedAt records an
	// administrator ending it. LastUsedAt is refreshed at most once a minute.
	ExpiresAt  *time.Time `json:"expires_at" bson:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at" bson:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at" bson:"revoked_at,omitempty"`
}

// ActorID is the user id under which the token's actions are recorded in
// case events and the audit trail.
func (t *APIToken) ActorID() string { return "tok-" + t.ID }

// Status is "revoked", "expired" or "active" at the given time.
func (t *APIToken) Status(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case t.ExpiresAt != nil && !now.Before(*t.ExpiresAt):
		return "expired"
	}
	return "active"
}
