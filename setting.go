package weiquan

import "time"

// Setting is one thing an administrator changed while the service runs,
// kept so that a restart keeps it. Which fields are used depends on the ID:
//
//	"rules"           Text: the routing rules file in force
//	"policy:<id>"     Text: a deadline policy file an administrator loaded
//	"default_policy"  Text: the ID of the policy new cases get
//	"unit:<id>"       Unit: a station, arbitration body or ODR enterprise
//	                  added or edited (also written to the units collection)
type Setting struct {
	ID   string `json:"id" bson:"_id"`
	Text string `json:"text,omitempty" bson:"text,omitempty"`
	Unit *Unit  `json:"unit,omitempty" bson:"unit,omitempty"`
	// Base fingerprints the configured value the change was made over (the
	// rules file, the configured default policy). At start-up a change made
	// over a configuration that has since changed gives way to the new
	// configuration: whichever was changed last wins.
	Base    string    `json:"base,omitempty" bson:"base,omitempty"`
	SavedBy string    `json:"saved_by" bson:"saved_by"`
	SavedAt time.Time `json:"saved_at" bson:"saved_at"`
}
