package workflow

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"weiquan"
)

// TestUnitTrail follows one case through every change of unit and checks
// the trail after each: routing at intake, return to the dispatcher, manual
// assignment, acceptance (no change), reopening, and the escalation of an
// ODR case to the county agency, with the sweeper's own escalation too.
func TestUnitTrail(t *testing.T) {
	f := newMachineFixture(t)
	f.intake.Engine = f.engine // route before the first write, as the service does
	ctx := context.Background()
	check := func(t *testing.T, c *weiquan.Case, want ...string) {
		t.Helper()
		if fmt.Sprint(c.UnitTrail) != fmt.Sprint(want) {
			t.Errorf("trail = %v, want %v", c.UnitTrail, want)
		}
		stored, err := f.store.GetCase(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(stored.UnitTrail) != fmt.Sprint(want) {
			t.Errorf("stored trail = %v, want %v", stored.UnitTrail, want)
		}
	}

	c, err := f.intake.RegisterAt(ctx, machineOperator, machineDraft(t, weiquan.KindComplaint), f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	check(t, c, "amr-350203")
	c = f.act(t, c, machineOfficer(c), ActionReturn, ActionRequest{Reason: "被投诉人实际经营地在海沧区"})
	check(t, c, "amr-350203", "dispatch-350200")
	c = f.act(t, c, machineDispatcher, ActionAssign, ActionRequest{UnitID: "amr-350205"})
	check(t, c, "amr-350203", "dispatch-350200", "amr-350205")
	c = f.act(t, c, machineOfficer(c), ActionAccept, ActionRequest{})
	check(t, c, "amr-350203", "dispatch-350200", "amr-350205")
	c = f.act(t, c, machineOperator, ActionWithdraw, ActionRequest{})
	c = f.act(t, c, machineSupervisor, ActionReopen, ActionRequest{Reason: "投诉人称未与商家和解"})
	// Back at the dispatcher it has already been with: no repeat.
	check(t, c, "amr-350203", "dispatch-350200", "amr-350205")

	t.Run("a case that could not be routed", func(t *testing.T) {
		d := machineDraft(t, weiquan.KindComplaint)
		d.Respondent.DivisionCode = "350527" // 金门县: no agency
		c, err := f.intake.RegisterAt(ctx, machineOperator, d, f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		check(t, c, c.UnitID)
		if c.UnitID == "" {
			t.Fatalf("expected the dispatcher to hold it, got no unit")
		}
	})

	f.intake.Engine = nil // f.state routes after registering

	t.Run("ODR escalation", func(t *testing.T) {
		c := f.state(t, "odr")
		check(t, c, "odr-xiamen-youxuan")
		enterprise := machineOfficer(c)
		if !f.units.CanRead(enterprise, c) {
			t.Error("the enterprise holding the case may not read it")
		}
		c = f.act(t, c, enterprise, ActionEscalate, ActionRequest{})
		if c.UnitID == "odr-xiamen-youxuan" {
			t.Fatal("escalation left the case with the enterprise")
		}
		// The enterprise is the respondent: once the agency has the case,
		// it no longer reads it (the timeline still says it held it).
		check(t, c, c.UnitID)
		if f.units.CanRead(enterprise, c) {
			t.Error("the enterprise still reads the case the agency now handles")
		}
		odr, _ := f.units.Get("odr-xiamen-youxuan")
		var notes []string
		for _, ev := range c.Events {
			notes = append(notes, ev.Note)
		}
		if !strings.Contains(strings.Join(notes, "\n"), odr.Name) {
			t.Errorf("the timeline does not name the enterprise %s: %v", odr.Name, notes)
		}
	})

	t.Run("a case stored before the trail", func(t *testing.T) {
		c := f.state(t, "assigned")
		old := *c
		old.UnitTrail = nil
		if err := f.store.SaveCase(ctx, &old, c.Version); err != nil {
			t.Fatal(err)
		}
		c = f.act(t, &old, machineOfficer(&old), ActionReturn, ActionRequest{Reason: "不属本局管辖"})
		check(t, c, "amr-350203", "dispatch-350200")
	})
}

// TestCanReadCanAct is the access rule by role and by where the case is now
// and has been: own unit, another unit, the unit above (a city's supervisor
// over its districts), a unit the case only passed through.
func TestCanReadCanAct(t *testing.T) {
	units, err := DefaultUnits()
	if err != nil {
		t.Fatal(err)
	}
	// Held now by 思明 (350203); before that by 湖里 (350206) and 厦门's
	// dispatcher.
	passed := &weiquan.Case{ID: "c1", UnitID: "amr-350203", UnitTrail: []string{"amr-350206", "dispatch-350200", "amr-350203"}}
	legacy := &weiquan.Case{ID: "c2", UnitID: "amr-350203"} // no trail: stored before it existed
	unplaced := &weiquan.Case{ID: "c3"}                     // rejected by routing at intake
	tests := []struct {
		name      string
		actor     weiquan.Actor
		c         *weiquan.Case
		read, act bool
	}{
		{"operator", machineOperator, passed, true, true},
		{"administrator", machineAdmin, unplaced, true, true},
		{"operator, unplaced", machineOperator, unplaced, true, true},
		{"officer of the unit holding it", machineOfficerOf("amr-350203"), passed, true, true},
		{"officer of a unit it passed through", machineOfficerOf("amr-350206"), passed, true, false},
		{"officer of another unit", machineOfficerOf("amr-350205"), passed, false, false},
		{"officer of two units, one holding it", weiquan.Actor{Role: weiquan.RoleOfficer, UnitIDs: []string{"amr-350205", "amr-350203"}}, passed, true, true},
		{"officer, legacy case, own unit", machineOfficerOf("amr-350203"), legacy, true, true},
		{"officer, legacy case, other unit", machineOfficerOf("amr-350206"), legacy, false, false},
		{"officer, unplaced case", machineOfficerOf("amr-350203"), unplaced, false, false},
		{"city supervisor above it", machineSupervisor, passed, true, true},
		{"city dispatcher", machineDispatcher, passed, true, true},
		{"another city's supervisor", machineOtherSupervisor, passed, false, false},
		{"another city's dispatcher", machineOtherDispatcher, legacy, false, false},
		{"province dispatcher", machineProvince, unplaced, true, true},
		{"supervisor of the district it passed through", machineSupervisorOf("amr-350206"), passed, true, false},
		{"no role", weiquan.Actor{UserID: "x", UnitIDs: []string{"amr-350203"}}, passed, false, false},
		{"officer without units", weiquan.Actor{Role: weiquan.RoleOfficer}, passed, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := units.CanRead(tt.actor, tt.c); got != tt.read {
				t.Errorf("CanRead = %v, want %v", got, tt.read)
			}
			if got := units.CanAct(tt.actor, tt.c); got != tt.act {
				t.Errorf("CanAct = %v, want %v", got, tt.act)
			}
			if tt.act && !tt.read {
				t.Error("acting without reading")
			}
		})
	}
}

// BenchmarkScope is what every list and every case read pays to work out
// the person's units: a city supervisor's is the widest computed scope.
func BenchmarkScope(b *testing.B) {
	units, err := DefaultUnits()
	if err != nil {
		b.Fatal(err)
	}
	c := &weiquan.Case{UnitID: "amr-350205", UnitTrail: []string{"amr-350203", "dispatch-350200", "amr-350205"}}
	for _, a := range []weiquan.Actor{machineSupervisor, machineDispatcher, machineOfficerOf("amr-350203")} {
		b.Run(a.UserID, func(b *testing.B) {
			for b.Loop() {
				if !units.CanRead(a, c) {
					b.Fatal("refused")
				}
			}
		})
	}
}

// TestSupervisorScopeAgreesWithAncestors: the scope walked in place is the
// one the definition gives, for a supervisor of every unit.
func TestSupervisorScopeAgreesWithAncestors(t *testing.T) {
	units, err := DefaultUnits()
	if err != nil {
		t.Fatal(err)
	}
	all := units.All()
	for _, sup := range all {
		a := machineSupervisorOf(sup.ID)
		var want []string
		switch {
		case sup.Type == weiquan.UnitDispatch && sup.DivisionCode == weiquan.ProvinceCode:
			want = nil
		default:
			want = []string{}
			for _, x := range all {
				sameCity := sup.Type == weiquan.UnitDispatch && weiquan.CityCode(x.DivisionCode) == weiquan.CityCode(sup.DivisionCode)
				if sameCity || slices.Contains(units.Ancestors(x.ID), sup.ID) {
					want = append(want, x.ID)
				}
			}
		}
		got := units.Scope(a)
		if (got == nil) != (want == nil) || !slices.Equal(got, want) {
			t.Errorf("supervisor of %s: scope %v, want %v", sup.ID, got, want)
		}
	}
}
