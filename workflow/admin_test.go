package workflow

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"weiquan"
	"weiquan/store/storetest"
)

// adminTestRules puts a rule sending 思明区's complaints to unit before the
// shipped rules.
func adminTestRules(name, unit string) string {
	_, text := DefaultRules()
	i := strings.Index(text, "\nrule ")
	return text[:i+1] + "rule " + name + ": kind=complaint division=350203 -> track=agency unit=" + unit + "\n" + text[i+1:]
}

func adminTestCase() *weiquan.Case {
	return &weiquan.Case{Kind: weiquan.KindComplaint, Channel: weiquan.Channel12315,
		Respondent: weiquan.Respondent{Name: "厦门某某电器有限公司", DivisionCode: "350203", USCC: "91350203MA8ADMN020"},
		Subject:    weiquan.Subject{Category: "household_appliances", Problem: "quality"}}
}

func newTestAdmin(t *testing.T) *Admin {
	t.Helper()
	units, err := DefaultUnits()
	if err != nil {
		t.Fatal(err)
	}
	router, err := DefaultRouter(units)
	if err != nil {
		t.Fatal(err)
	}
	return &Admin{Store: storetest.New(t), Units: units, Router: router, Policies: NewPolicies(),
		Now: func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai) }}
}

// TestAdminSwapUnderLoad: cases routed while an administrator changes the
// rules and the units see either the old set or the new one, whole. Run
// with -race, it also shows that nothing is shared unsynchronised.
func TestAdminSwapUnderLoad(t *testing.T) {
	a := newTestAdmin(t)
	ctx := context.Background()
	texts := []string{adminTestRules("to-huli", "amr-350206"), adminTestRules("to-haicang", "amr-350205")}
	want := map[string]string{"to-huli": "amr-350206", "to-haicang": "amr-350205",
		"county-agency": "amr-350203", "station-member": "station-350203-swap"}

	var stop atomic.Bool
	var wg sync.WaitGroup
	var routed atomic.Int64
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				d := a.Router.Route(adminTestCase())
				if w, ok := want[d.Rule]; !ok || d.UnitID != w {
					t.Errorf("decision %s → %s: not one of the rule sets", d.Rule, d.UnitID)
					return
				}
				last := d.Explanation[len(d.Explanation)-1]
				if !strings.Contains(last, "`"+d.Rule+"`") || !strings.Contains(last, d.UnitID) {
					t.Errorf("explanation %q does not match the decision %s → %s", last, d.Rule, d.UnitID)
					return
				}
				if u, ok := a.Units.Get("station-350203-swap"); ok && len(u.Members) != 1 {
					t.Errorf("half a unit: %+v", u)
					return
				}
				routed.Add(1)
			}
		}()
	}
	for i := range 8 {
		if err := a.SaveRules(ctx, texts[i%2], "u-admin"); err != nil {
			t.Fatal(err)
		}
		if i == 4 {
			st := weiquan.Unit{ID: "station-350203-swap", Name: "思明区测试服务站", Type: weiquan.UnitStation,
				DivisionCode: "350203", ParentID: "amr-350203", Members: []string{"91350203MA8ADMN020"}}
			if _, err := a.SaveUnit(ctx, st, "u-admin"); err != nil {
				t.Fatal(err)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	if routed.Load() == 0 {
		t.Fatal("nothing was routed while the rules changed")
	}
	// The last rules are in force, and the unit added after the rules were
	// saved reached them (the rules were re-read against the new units).
	if d := a.Router.Route(adminTestCase()); d.Rule != "to-huli" && d.Rule != "to-haicang" {
		t.Errorf("after the changes: %s", d.Rule)
	}
	if name, text := a.Router.Text(); name != adminRulesName || text != texts[1] {
		t.Errorf("rules in force %s: %.60q", name, text)
	}
}

// TestAdminRestore: what administrators stored is laid over the
// configuration at start-up, and a configuration changed since wins.
func TestAdminRestore(t *testing.T) {
	ctx := context.Background()
	first := newTestAdmin(t)
	edited := adminTestRules("to-huli", "amr-350206")
	if err := first.SaveRules(ctx, edited, "u-admin"); err != nil {
		t.Fatal(err)
	}
	station := weiquan.Unit{ID: "station-350203-kept", Name: "思明区测试服务站", Type: weiquan.UnitStation,
		DivisionCode: "350203", Members: []string{"91350203MA8ADMN020"}}
	if _, err := first.SaveUnit(ctx, station, "u-admin"); err != nil {
		t.Fatal(err)
	}
	// A unit stored over a configuration that no longer has its parent.
	orphan := weiquan.Unit{ID: "station-orphan", Name: "孤立服务站", Type: weiquan.UnitStation, DivisionCode: "350203",
		ParentID: "amr-gone"}
	if err := first.Store.PutSetting(ctx, &weiquan.Setting{ID: "unit:station-orphan", Unit: &orphan}); err != nil {
		t.Fatal(err)
	}
	policy := strings.Replace(adminTestPolicy, `"order20-2022"`, `"order121-kept"`, 1)
	if _, err := first.AddPolicy(ctx, []byte(policy), "u-admin"); err != nil {
		t.Fatal(err)
	}
	if err := first.SetDefaultPolicy(ctx, "order121-kept", "u-admin"); err != nil {
		t.Fatal(err)
	}

	restart := func(base AdminBase) *Admin {
		t.Helper()
		units, _ := DefaultUnits()
		router, _ := DefaultRouter(units)
		a := &Admin{Store: first.Store, Units: units, Router: router, Policies: NewPolicies(), Now: first.Now}
		if err := a.Restore(ctx, base); err != nil {
			t.Fatal(err)
		}
		return a
	}

	t.Run("same configuration: the administrator's changes hold", func(t *testing.T) {
		a := restart(AdminBase{})
		if d := a.Router.Route(adminTestCase()); d.Rule != "to-huli" {
			// The kept station comes after the new rule, which decides first.
			t.Errorf("rule %s", d.Rule)
		}
		if info := a.Rules(); info.Source != SourceAdmin || info.SavedBy != "u-admin" || info.SetAside != nil {
			t.Errorf("rules info %+v", info)
		}
		if _, ok := a.Units.Get("station-350203-kept"); !ok {
			t.Error("the stored station is gone")
		}
		if _, ok := a.Units.Get("station-orphan"); ok {
			t.Error("a stored unit whose parent is gone was restored")
		}
		if got := a.Policies.Default().ID; got != "order121-kept" {
			t.Errorf("default policy %s", got)
		}
		var src string
		for _, p := range a.ListPolicies() {
			if p.ID == "order121-kept" {
				src = p.Source
			}
		}
		if src != SourceAdmin {
			t.Errorf("the stored policy's source is %q", src)
		}
	})

	t.Run("a rules file and a default configured since win", func(t *testing.T) {
		_, text := DefaultRules()
		a := restart(AdminBase{RulesName: "province.rules", RulesText: text, RulesFile: "/etc/weiquan/province.rules",
			DefaultPolicy: "order20-2022-other"})
		if d := a.Router.Route(adminTestCase()); d.Rule == "to-huli" {
			t.Error("the administrator's rules won over a file configured after them")
		}
		info := a.Rules()
		if info.Source != SourceFile || info.SetAside == nil || info.SetAside.SavedBy != "u-admin" {
			t.Errorf("rules info %+v", info)
		}
		if got := a.Policies.Default().ID; got != DefaultPolicyID {
			t.Errorf("default policy %s, want the configured one", got)
		}
		// The stations still apply: they are laid over any configuration,
		// and the rules were read against them.
		c := adminTestCase()
		if d := a.Router.Route(c); d.UnitID != "station-350203-kept" {
			t.Errorf("the station member goes to %s", d.UnitID)
		}
	})

	t.Run("a configured policy keeps its ID", func(t *testing.T) {
		units, _ := DefaultUnits()
		router, _ := DefaultRouter(units)
		ps := NewPolicies()
		other := strings.Replace(adminTestPolicy, `"order20-2022"`, `"order121-kept"`, 1)
		other = strings.Replace(other, `"accept_days": 7`, `"accept_days": 9`, 1)
		p, err := LoadPolicy(strings.NewReader(other))
		if err != nil {
			t.Fatal(err)
		}
		if err := ps.Add(p); err != nil {
			t.Fatal(err)
		}
		a := &Admin{Store: first.Store, Units: units, Router: router, Policies: ps, Now: first.Now}
		if err := a.Restore(ctx, AdminBase{PolicyFiles: []string{"order121-kept"}}); err != nil {
			t.Fatal(err)
		}
		got, _ := ps.Get("order121-kept")
		if got.AcceptDays != 9 {
			t.Errorf("accept days %d: the stored policy replaced the configured one", got.AcceptDays)
		}
	})
}

const adminTestPolicy = `{
  "id": "order20-2022",
  "name": "测试政策",
  "effective_from": "2026-04-15",
  "accept_days": 7,
  "mediate_days": 45,
  "termination_notice_days": 7,
  "verify_days": 15,
  "verify_extension_days": 15,
  "reporter_notice_days": 5,
  "jurisdiction_dispute_days": 7,
  "odr_days": 10,
  "station_days": 10,
  "warning_days": 2,
  "complaint_limitation_years": 3,
  "terminate_mediation_at_deadline": true
}`

// TestAdminRefreshFromAnotherInstance: two instances on one database; what
// an administrator changes on one reaches the other at its next Refresh,
// and a Refresh with nothing new changes nothing.
func TestAdminRefreshFromAnotherInstance(t *testing.T) {
	ctx := context.Background()
	one := newTestAdmin(t)
	instance := func() *Admin {
		units, _ := DefaultUnits()
		router, _ := DefaultRouter(units)
		a := &Admin{Store: one.Store, Units: units, Router: router, Policies: NewPolicies(), Now: one.Now}
		if err := a.Restore(ctx, AdminBase{}); err != nil {
			t.Fatal(err)
		}
		return a
	}
	one = instance()
	two := instance()
	before := two.Router.set()
	if err := two.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if two.Router.set() != before {
		t.Error("a refresh with nothing new replaced the rules")
	}

	if err := one.SaveRules(ctx, adminTestRules("to-huli", "amr-350206"), "u-admin"); err != nil {
		t.Fatal(err)
	}
	st := weiquan.Unit{ID: "station-350203-other", Name: "思明区测试服务站", Type: weiquan.UnitStation,
		DivisionCode: "350203", Members: []string{"91350203MA8ADMN020"}}
	if _, err := one.SaveUnit(ctx, st, "u-admin"); err != nil {
		t.Fatal(err)
	}
	policy := strings.Replace(adminTestPolicy, `"order20-2022"`, `"order121-other"`, 1)
	if _, err := one.AddPolicy(ctx, []byte(policy), "u-admin"); err != nil {
		t.Fatal(err)
	}
	if err := one.SetDefaultPolicy(ctx, "order121-other", "u-admin"); err != nil {
		t.Fatal(err)
	}
	// The instance that made the changes has nothing left to apply.
	mine := one.Router.set()
	if err := one.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if one.Router.set() != mine {
		t.Error("the instance that saved the changes re-applied them")
	}

	if d := two.Router.Route(adminTestCase()); d.Rule == "to-huli" {
		t.Fatal("the other instance saw the change before refreshing")
	}
	if err := two.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if d := two.Router.Route(adminTestCase()); d.Rule != "to-huli" {
		t.Errorf("after a refresh the other instance routes by %s", d.Rule)
	}
	if _, ok := two.Units.Get("station-350203-other"); !ok {
		t.Error("the other instance lacks the new station")
	}
	if got := two.Policies.Default().ID; got != "order121-other" {
		t.Errorf("the other instance's default policy is %s", got)
	}
	if info := two.Rules(); info.Source != SourceAdmin || info.SavedBy != "u-admin" {
		t.Errorf("the other instance describes its rules as %+v", info)
	}
}
