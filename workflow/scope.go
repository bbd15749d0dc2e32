package workflow

import (
	"slices"

	"weiquan"
)

// Scope is the set of units whose cases a staff member may see: nil means
// every unit. An officer sees their own units; a supervisor also every unit
// below theirs (a city's supervisor sees its districts); operators, who look
// cases up for callers from anywhere in the province, and administrators
// see all.
func (u *Units) Scope(a weiquan.Actor) []string {
	switch a.Role {
	case weiquan.RoleOperator, weiquan.RoleAdmin:
		return nil
	case weiquan.RoleOfficer:
		// Never nil: an officer bound to no unit sees nothing, not everything.
		return append([]string{}, a.UnitIDs...)
	case weiquan.RoleSupervisor:
		// A dispatch centre oversees every unit of its city (the province's,
		// every unit); an agency, the units below it.
		// Every list and case read computes this, so it walks the shared
		// units in place rather than through the copying accessors.
		set := u.set() // one snapshot for the whole computation
		var cities []string
		for _, id := range a.UnitIDs {
			if d := set.unit(id); d != nil && d.Type == weiquan.UnitDispatch {
				if d.DivisionCode == weiquan.ProvinceCode {
					return nil
				}
				cities = append(cities, weiquan.CityCode(d.DivisionCode))
			}
		}
		out := []string{}
		for i := range set.all {
			unit := &set.all[i]
			if slices.Contains(cities, weiquan.CityCode(unit.DivisionCode)) || set.under(unit, a.UnitIDs) {
				out = append(out, unit.ID)
			}
		}
		return out
	}
	return []string{}
}

// under reports whether x is one of ids or below one of them (the same
// walk as Ancestors, without building the list).
func (u *unitSet) under(x *weiquan.Unit, ids []string) bool {
	for n := 0; x != nil && n <= len(u.all); n++ {
		if slices.Contains(ids, x.ID) {
			return true
		}
		if x.ParentID == "" {
			return false
		}
		x = u.unit(x.ParentID)
	}
	return false
}

// keepReadableTrail drops from c's trail the ODR enterprises that no longer
// hold it. An enterprise is the respondent itself: while it has the case it
// settles it with the consumer, but once the case has gone on to an agency
// (escalation, a manual reassignment) what the agency does about the
// enterprise is not for the enterprise to read. The timeline still records
// that it held the case.
func (u *Units) keepReadableTrail(c *weiquan.Case) {
	set := u.set()
	c.UnitTrail = slices.DeleteFunc(c.UnitTrail, func(id string) bool {
		x := set.unit(id)
		return id != c.UnitID && x != nil && x.Type == weiquan.UnitEnterprise
	})
}

// CanRead reports whether a may see case c: operators and administrators
// every case; officers and supervisors a case held now, or once, by a unit
// in their scope (a unit that once held a case keeps reading it: it may be
// asked about it, and its own work is in the timeline). Search applies the
// same rule inside the query (search.Query.Scope against the indexed
// trail), so a list never shows a case this refuses.
func (u *Units) CanRead(a weiquan.Actor, c *weiquan.Case) bool {
	scope := u.Scope(a)
	if scope == nil {
		return true
	}
	for _, id := range c.Trail() {
		if slices.Contains(scope, id) {
			return true
		}
	}
	return false
}

// CanAct reports whether the unit holding c now is in a's scope: a case that
// only passed through their units is read-only for them. It is the unit
// half of the question; the state machine still decides by role and status
// which action, if any, a may take.
func (u *Units) CanAct(a weiquan.Actor, c *weiquan.Case) bool {
	scope := u.Scope(a)
	if scope == nil {
		return true
	}
	return c.UnitID != "" && slices.Contains(scope, c.UnitID)
}
