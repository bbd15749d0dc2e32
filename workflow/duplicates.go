package workflow

import (
	"time"

	"weiquan"
)

// DuplicateWindow is how far back a new case is compared with earlier ones.
const DuplicateWindow = 30 * 24 * time.Hour

// DuplicateCriteria says which earlier cases are likely duplicates of c
// (DESIGN §6.5): open cases of the same complainant phone against the same
// respondent — by credit code when c has one, else by name — created in the
// last 30 days. ok is false when c lacks what a comparison needs (an
// anonymous report, a case without a respondent).
type DuplicateCriteria struct {
	Phone          string
	RespondentUSCC string
	RespondentName string
	Since          time.Time
	// Exclude is the case itself, when it is already stored.
	Exclude string
}

// OpenStatuses are the statuses of a case still being handled.
var OpenStatuses = []weiquan.Status{weiquan.StatusRegistered, weiquan.StatusAssigned, weiquan.StatusAccepted,
	weiquan.StatusMediating, weiquan.StatusVerifying}

// DuplicatesOf returns the criteria for c at now.
func DuplicatesOf(c *weiquan.Case, now time.Time) (DuplicateCriteria, bool) {
	p, ok := weiquan.ParsePhone(c.Complainant.Phone)
	if !ok {
		return DuplicateCriteria{}, false
	}
	d := DuplicateCriteria{Phone: string(p), Since: now.Add(-DuplicateWindow), Exclude: c.ID}
	switch uscc := weiquan.NormalizeUSCC(c.Respondent.USCC); {
	case uscc != "":
		d.RespondentUSCC = uscc
	case c.Respondent.Name != "":
		d.RespondentName = c.Respondent.Name
	default:
		return DuplicateCriteria{}, false
	}
	return d, true
}
