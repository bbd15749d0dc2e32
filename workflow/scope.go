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
		cities := map[string]bool{}
		for _, id := range a.UnitIDs {
			if d, ok := u.Get(id); ok && d.Type == weiquan.UnitDispatch {
				if d.DivisionCode == weiquan.ProvinceCode {
					return nil
				}
				cities[weiquan.CityCode(d.DivisionCode)] = true
			}
		}
		out := []string{}
		for _, unit := range u.All() {
			if cities[weiquan.CityCode(unit.DivisionCode)] || slices.ContainsFunc(u.Ancestors(unit.ID), func(anc string) bool {
				return slices.Contains(a.UnitIDs, anc)
			}) {
				out = append(out, unit.ID)
			}
		}
		return out
	}
	return []string{}
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
