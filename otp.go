package weiquan

import "time"

// One-time code purposes: what a code confirmed by SMS lets a consumer do.
// A code is bound to its purpose (and, for tracking, to one case), so a code
// sent to file a case cannot open one.
const (
	PurposeFile  = "file"  // file a case online
	PurposeTrack = "track" // look at one case
)

// OneTimeCode is the stored state of an SMS code: never the code itself,
// only its keyed hash. One code is live per (phone, purpose, case); a new
// request replaces it.
type OneTimeCode struct {
	Key     string `json:"-" bson:"_id"` // OneTimeCodeKey(phone, purpose, caseID)
	Phone   string `json:"-" bson:"phone"`
	Purpose string `json:"-" bson:"purpose"`
	CaseID  string `json:"-" bson:"case_id"`
	// Hash is the HMAC-SHA256 of the code bound to phone, purpose and case,
	// hex; under a server key, so the stored value does not give away the
	// one in a million code.
	Hash string `json:"-" bson:"hash"`
	// Decoy marks a code that was not sent because the phone does not go
	// with the case: it behaves like a real one (expires, counts attempts)
	// so that answers do not tell which numbers filed which cases, and it
	// never verifies.
	Decoy     bool      `json:"-" bson:"decoy"`
	Attempts  int       `json:"-" bson:"attempts"`
	Used      bool      `json:"-" bson:"used"`
	CreatedAt time.Time `json:"-" bson:"created_at"`
	ExpiresAt time.Time `json:"-" bson:"expires_at"`
	Rev       int64     `json:"-" bson:"rev"` // the store's compare-and-swap counter
}

// OneTimeCodeKey names the live code of a phone (normalised), purpose and
// case ("" when filing).
func OneTimeCodeKey(phone, purpose, caseID string) string {
	return phone + "|" + purpose + "|" + caseID
}

// OutboxMessage is an SMS that belongs to no case (a one-time code: there is
// no case yet, or the consumer is not yet known to be its complainant). It
// is owed, claimed and recorded like a case's message; Seq numbers the
// outbox.
type OutboxMessage struct {
	Message `bson:",inline"`
	// ExpiresAt, when set, is when the message stops being worth sending:
	// a code that no longer works is not sent late.
	ExpiresAt *time.Time `json:"expires_at,omitempty" bson:"expires_at,omitempty"`
	Rev       int64      `json:"-" bson:"rev"` // the store's compare-and-swap counter
}
