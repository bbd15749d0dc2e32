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
		return slices.Clone(a.UnitIDs)
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
