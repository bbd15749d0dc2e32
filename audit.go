package weiquan

import "time"

// AuditEntry is one line of the audit trail: who did or read what, when and
// from where. The trail is append-only: entries are inserted and never
// changed or removed (store/audit.go has no function that could).
type AuditEntry struct {
	ID      string    `json:"id" bson:"entry_id"`
	At      time.Time `json:"at" bson:"at"`
	ActorID string    `json:"actor_id" bson:"actor_id"`
	Role    Role      `json:"role" bson:"role"`
	Address string    `json:"address" bson:"address"` // client address of the request; empty for the system
	CaseID  string    `json:"case_id,omitempty" bson:"case_id,omitempty"`
	Action  string    `json:"action" bson:"action"`
	// Detail says what, in words for the person reading the trail. It never
	// holds a full phone or ID number.
	Detail string `json:"detail" bson:"detail"`
}

// Audit actions besides the state-machine actions, which are recorded under
// their own names (accept, assign, …).
const (
	AuditCaseCreated = "case_created"
	AuditReadPII     = "read_pii"
)

// MaxAuditPage bounds one page of the trail.
const MaxAuditPage = 200

// AuditQuery selects entries of the trail: those about a case, those by an
// actor, or those by an actor about a case.
type AuditQuery struct {
	CaseID  string
	ActorID string
	// Limit is the page size (1..MaxAuditPage).
	Limit int
	// Before continues a list: the Next of the previous page.
	Before int64
}

// AuditPage is one page of the trail, newest first. Next, when not zero, is
// the Before of the following page.
type AuditPage struct {
	Items []AuditEntry `json:"items"`
	Next  int64        `json:"next,omitempty"`
}
