package search

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"weiquan"
)

// TestScopeMatchesTheTrail: the access scope matches every unit that has
// held a case (read-only access for a unit the case passed through), while
// the unit filter, an officer's queue, matches only the unit holding it now.
// Lists, totals and facets agree with the same rule computed on the cases.
func TestScopeMatchesTheTrail(t *testing.T) {
	cases := sampleCases(300, 31)
	for i, c := range cases {
		switch i % 5 {
		case 0: // stored before the trail existed: the current unit stands in
			c.UnitTrail = nil
		case 1: // returned by 思明 to the dispatcher, now with 鼓楼
			c.UnitTrail = []string{"amr-350203", "dispatch-350200"}
			c.NoteUnit(nil)
		case 2: // rejected after routing: no unit holds it now
			c.UnitTrail = []string{"amr-350102"}
			c.UnitID = ""
		default:
			c.NoteUnit(nil)
		}
	}
	ix, _ := newTestIndex(t, cases)
	for _, tt := range []struct {
		name string
		q    Query
	}{
		{"officer of 思明", Query{Scope: []string{"amr-350203"}}},
		{"officer of 思明, open cases", Query{Scope: []string{"amr-350203"}, Status: []string{"assigned", "accepted"}}},
		{"officer of 思明, own queue", Query{Scope: []string{"amr-350203"}, UnitIDs: []string{"amr-350203"}}},
		{"officer of 思明 asking for 鼓楼's queue", Query{Scope: []string{"amr-350203"}, UnitIDs: []string{"amr-350102"}}},
		{"officer of 鼓楼 with text", Query{Scope: []string{"amr-350102"}, Text: "空调"}},
		{"unit no case has seen", Query{Scope: []string{"amr-350981"}}},
		{"scope naming unplaced cases", Query{Scope: []string{Unset}}},
		{"no scope at all", Query{Scope: []string{}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.Facets = true
			q.PageSize = 29
			var want []*weiquan.Case
			for _, c := range cases {
				if oracle(c, q) && (q.Text == "" || strings.Contains(c.Title+c.Description, q.Text)) {
					want = append(want, c)
				}
			}
			for _, c := range want {
				if !slices.ContainsFunc(c.Trail(), func(u string) bool { return slices.Contains(q.Scope, u) }) &&
					!(len(c.Trail()) == 0 && slices.Contains(q.Scope, Unset)) {
					t.Fatalf("oracle let case %s (trail %v) through scope %v", c.ID, c.Trail(), q.Scope)
				}
			}
			items, total := walk(t, ix, q)
			got := ids(items)
			slices.Sort(got)
			if fmt.Sprint(got) != fmt.Sprint(sortedIDs(want)) {
				t.Errorf("got %d cases, want %d\n got %v\nwant %v", len(got), len(want), got, sortedIDs(want))
			}
			if total != uint64(len(want)) {
				t.Errorf("Total = %d, want %d", total, len(want))
			}
			q.Cursor = ""
			res, err := ix.Search(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			units := map[string]int{}
			for _, c := range want {
				units[orUnset(c.UnitID)]++
			}
			gotUnits := map[string]int{}
			for _, fc := range res.Facets[FacetUnit] {
				gotUnits[fc.Value] = fc.Count
			}
			if fmt.Sprint(gotUnits) != fmt.Sprint(units) {
				t.Errorf("unit facet = %v, want %v", gotUnits, units)
			}
			sum := 0
			for _, fc := range res.Facets[FacetStatus] {
				sum += fc.Count
			}
			if sum != len(want) {
				t.Errorf("status facet counts %d cases, want %d", sum, len(want))
			}
		})
	}
}
