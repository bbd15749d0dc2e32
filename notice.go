package weiquan

import (
	"strings"
	"time"
)

// Notice tells a unit that one of its cases is near or past a deadline: the
// deadline sweeper writes one per warning and one per overdue of each case,
// and the unit's officers read them on their desk.
type Notice struct {
	// ID is NoticeID of the fields below: the same warning raised twice is
	// the same notice.
	ID       string    `json:"id" bson:"id"`
	UnitID   string    `json:"unit_id" bson:"unit_id"`
	CaseID   string    `json:"case_id" bson:"case_id"`
	Kind     string    `json:"kind" bson:"kind"`         // NoticeWarning or NoticeOverdue
	Deadline string    `json:"deadline" bson:"deadline"` // accept_by, track_by, mediate_by, verify_by
	Due      time.Time `json:"due" bson:"due"`
	// Note says it in Chinese, as the case's timeline does.
	Note   string     `json:"note" bson:"note"`
	At     time.Time  `json:"at" bson:"at"`
	ReadAt *time.Time `json:"read_at,omitempty" bson:"read_at,omitempty"`
	ReadBy string     `json:"read_by,omitempty" bson:"read_by,omitempty"`
}

// Notice kinds.
const (
	NoticeWarning = "warning"
	NoticeOverdue = "overdue"
)

// NoticeID names the notice of one deadline of one case for one unit: the
// unit first, so the notice's unit is known from its id alone (NoticeUnit).
// The due day is part of it: a deadline that moves (a paused mediation
// resumed) warns again.
func NoticeID(unitID, caseID, deadline, kind string, due time.Time) string {
	return strings.Join([]string{unitID, caseID, deadline, kind, due.In(Shanghai).Format("20060102")}, ":")
}

// NoticeUnit is the unit a notice id belongs to ("" for no valid id).
func NoticeUnit(id string) string {
	unit, rest, ok := strings.Cut(id, ":")
	if !ok || unit == "" || strings.Count(rest, ":") != 3 {
		return ""
	}
	return unit
}
