package weiquan

import "time"

// Role decides what a staff member may do.
type Role string

const (
	RoleOperator   Role = "operator"   // 话务员
	RoleOfficer    Role = "officer"    // 办案人员
	RoleSupervisor Role = "supervisor" // 指挥中心 / 监督
	RoleAdmin      Role = "admin"
)

// ValidRole reports whether r is a known role.
func ValidRole(r Role) bool {
	switch r {
	case RoleOperator, RoleOfficer, RoleSupervisor, RoleAdmin:
		return true
	}
	return false
}

// User is a staff account. PasswordHash is an argon2id PHC string and never
// leaves the server.
type User struct {
	ID           string    `json:"id" bson:"_id"`
	Username     string    `json:"username" bson:"username"`
	PasswordHash string    `json:"-" bson:"password_hash"`
	Role         Role      `json:"role" bson:"role"`
	UnitIDs      []string  `json:"unit_ids" bson:"unit_ids"`
	Disabled     bool      `json:"disabled" bson:"disabled"`
	CreatedAt    time.Time `json:"created_at" bson:"created_at"`
	// PasswordChangedAt lets sessions issued before a password change be
	// refused.
	PasswordChangedAt time.Time `json:"password_changed_at" bson:"password_changed_at"`
}

// Session is a signed-in staff member. The ID is the SHA-256 of the token the
// client holds, so a leaked sessions collection does not leak live tokens.
type Session struct {
	ID         string    `bson:"_id"`
	UserID     string    `bson:"user_id"`
	CreatedAt  time.Time `bson:"created_at"`
	LastSeenAt time.Time `bson:"last_seen_at"`
	ExpiresAt  time.Time `bson:"expires_at"` // absolute expiry
	Address    string    `bson:"address"`    // where it was created from
}

// Actor is whoever performs an action: a staff user, the system, a consumer.
type Actor struct {
	UserID  string
	Role    Role
	UnitIDs []string
	Address string
}
