package weiquan

import "slices"

// Trail is every unit that has held the case, oldest first, the current one
// included (Case.UnitTrail): a unit that once handled a case may still read
// it, read-only. The workflow drops an ODR enterprise (the respondent
// itself) from it once the case has moved on. Cases stored before the trail
// was kept have none; for them the unit holding the case now is the whole
// trail.
func (c *Case) Trail() []string {
	if len(c.UnitTrail) > 0 {
		if c.UnitID == "" || slices.Contains(c.UnitTrail, c.UnitID) {
			return c.UnitTrail
		}
		return append(slices.Clone(c.UnitTrail), c.UnitID)
	}
	if c.UnitID == "" {
		return nil
	}
	return []string{c.UnitID}
}

// NoteUnit records the unit now holding the case in its trail. It is called
// after every change of UnitID; a unit already in the trail is not repeated
// (the trail answers "who may read", not "in which order it moved": the
// timeline has that), so the trail stays as short as the set of units.
// prev is the case as it was before the change, whose unit is kept when the
// case predates the trail.
func (c *Case) NoteUnit(prev *Case) {
	var trail []string
	if prev != nil {
		trail = slices.Clone(prev.Trail())
	}
	for _, id := range c.UnitTrail {
		if id != "" && !slices.Contains(trail, id) {
			trail = append(trail, id)
		}
	}
	if c.UnitID != "" && !slices.Contains(trail, c.UnitID) {
		trail = append(trail, c.UnitID)
	}
	c.UnitTrail = trail
}
