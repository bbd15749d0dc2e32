package workflow

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"weiquan"
	"weiquan/store"
	"weiquan/store/storetest"
)

// machineClock is a settable clock shared by the engine, intake and store.
type machineClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *machineClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *machineClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// machineT0 is when the tests' cases arrive: Thursday 2026-11-26, 10:00.
var machineT0 = sh("2026-11-26 10:00")

type machineFixture struct {
	store  *store.Store
	clock  *machineClock
	units  *Units
	engine *Engine
	intake *Intake
}

func newMachineFixture(t *testing.T) *machineFixture {
	t.Helper()
	units, err := DefaultUnits()
	if err != nil {
		t.Fatalf("DefaultUnits: %v", err)
	}
	router, err := DefaultRouter(units)
	if err != nil {
		t.Fatalf("DefaultRouter: %v", err)
	}
	clock := &machineClock{t: machineT0}
	st := storetest.NewWithOptions(t, store.Options{Now: clock.Now})
	return &machineFixture{
		store: st, clock: clock, units: units,
		engine: &Engine{Store: st, Router: router, Units: units, Calendar: quietCalendar(t), Policies: NewPolicies(), Now: clock.Now},
		intake: &Intake{Store: st, Now: clock.Now},
	}
}

// Actors, relative to the tests' usual case: a complaint against a business
// in 思明区 (350203), handled by amr-350203.
var (
	machineOperator        = weiquan.Actor{UserID: "u-op-1", Role: weiquan.RoleOperator}
	machineAdmin           = weiquan.Actor{UserID: "u-admin", Role: weiquan.RoleAdmin}
	machineSupervisor      = machineSupervisorOf("amr-350200") // 厦门市局, above 思明区
	machineOtherSupervisor = machineSupervisorOf("amr-350100") // 福州市局
	machineDispatcher      = machineSupervisorOf("dispatch-350200")
	machineOtherDispatcher = machineSupervisorOf("dispatch-350100")
	machineProvince        = machineSupervisorOf("dispatch-350000")
)

func machineOfficerOf(unit string) weiquan.Actor {
	return weiquan.Actor{UserID: "u-off-" + unit, Role: weiquan.RoleOfficer, UnitIDs: []string{unit}}
}

func machineSupervisorOf(unit string) weiquan.Actor {
	return weiquan.Actor{UserID: "u-sup-" + unit, Role: weiquan.RoleSupervisor, UnitIDs: []string{unit}}
}

// machineDraft is a case as intake leaves it, of the given kind, against a
// business in 思明区.
func machineDraft(t testing.TB, kind weiquan.Kind) weiquan.Case {
	c := intakeValidComplaint(t)
	c.Respondent.DivisionCode = "350203"
	switch kind {
	case weiquan.KindReport:
		c.Kind = weiquan.KindReport
		c.Demands = nil
		c.Title = "商家销售过期食品"
		c.Subject = weiquan.Subject{Category: "food", Problem: "food_safety", Product: "牛奶"}
	case weiquan.KindInquiry:
		c.Kind = weiquan.KindInquiry
		c.Demands = nil
		c.Title = "七日无理由退货的规定"
		c.Description = "网购的衣服能否七日无理由退货？"
	}
	return c
}

// register registers and routes a draft at the clock's time.
func (f *machineFixture) register(t testing.TB, draft weiquan.Case) *weiquan.Case {
	t.Helper()
	ctx := context.Background()
	c, err := f.intake.RegisterAt(ctx, machineOperator, draft, f.clock.Now())
	if err != nil {
		t.Fatalf("RegisterAt: %v", err)
	}
	routed, err := f.engine.RouteNew(ctx, c)
	if err != nil {
		t.Fatalf("RouteNew: %v", err)
	}
	return routed
}

// act applies an action at the case's current version and fails the test on
// an error.
func (f *machineFixture) act(t testing.TB, c *weiquan.Case, actor weiquan.Actor, action string, req ActionRequest) *weiquan.Case {
	t.Helper()
	req.Version = c.Version
	got, err := f.engine.Act(context.Background(), actor, c.ID, action, req)
	if err != nil {
		t.Fatalf("%s by %s on case %s (%s): %v", action, actor.UserID, c.ID, c.Status, err)
	}
	return got
}

// officer is an officer of the unit holding c.
func machineOfficer(c *weiquan.Case) weiquan.Actor { return machineOfficerOf(c.UnitID) }

// state builds a stored case in a named state through the real flow.
func (f *machineFixture) state(t testing.TB, name string) *weiquan.Case {
	t.Helper()
	switch name {
	case "assigned":
		return f.register(t, machineDraft(t, weiquan.KindComplaint))
	case "returned":
		c := f.state(t, "assigned")
		return f.act(t, c, machineOfficer(c), ActionReturn, ActionRequest{Reason: "被投诉人实际经营地在湖里区"})
	case "accepted":
		c := f.state(t, "assigned")
		return f.act(t, c, machineOfficer(c), ActionAccept, ActionRequest{})
	case "accepted-no-consent":
		d := machineDraft(t, weiquan.KindComplaint)
		d.Consent.Mediation = false
		c := f.register(t, d)
		return f.act(t, c, machineOfficer(c), ActionAccept, ActionRequest{})
	case "mediating":
		c := f.state(t, "accepted")
		return f.act(t, c, machineOfficer(c), ActionStartMediation, ActionRequest{})
	case "paused":
		c := f.state(t, "mediating")
		return f.act(t, c, machineOfficer(c), ActionPause, ActionRequest{Reason: "空调送检"})
	case "closed":
		c := f.state(t, "assigned")
		return f.act(t, c, machineOperator, ActionWithdraw, ActionRequest{Note: "已与商家自行和解"})
	case "odr":
		d := machineDraft(t, weiquan.KindComplaint)
		odr, _ := f.units.Get("odr-xiamen-youxuan")
		d.Respondent = weiquan.Respondent{Name: odr.Name, USCC: odr.USCC, Address: "厦门市湖里区示例路1号", DivisionCode: odr.DivisionCode}
		return f.register(t, d)
	case "report":
		return f.register(t, machineDraft(t, weiquan.KindReport))
	case "verifying":
		c := f.state(t, "report")
		return f.act(t, c, machineOfficer(c), ActionStartVerification, ActionRequest{})
	case "extended":
		c := f.state(t, "verifying")
		return f.act(t, c, machineOfficer(c), ActionExtendVerification, ActionRequest{Note: "经局负责人批准"})
	case "inquiry":
		return f.register(t, machineDraft(t, weiquan.KindInquiry))
	case "merged":
		into := f.state(t, "assigned")
		c := f.state(t, "assigned")
		return f.act(t, c, machineOperator, ActionMerge, ActionRequest{CaseID: into.ID})
	}
	t.Fatalf("no state %q", name)
	return nil
}

func machineWantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	if got := weiquan.ErrorCode(err); got != code {
		t.Fatalf("got %s (%v), want %s", got, err, code)
	}
	if msg := weiquan.ErrorMessage(err); msg == "" || strings.Contains(msg, "服务器内部错误") {
		t.Errorf("got message %q, want one that says why", msg)
	}
}

func machineLast(c *weiquan.Case) weiquan.Event { return c.Events[len(c.Events)-1] }

func machineBool(b bool) *bool { return &b }

// TestMachineTransitions puts every action through the real store: allowed,
// from a status it is not allowed in, by a role that may not, by an officer
// of another unit, and on a stale version.
func TestMachineTransitions(t *testing.T) {
	f := newMachineFixture(t)
	ctx := context.Background()
	cal := f.engine.Calendar
	now := machineT0

	tests := []struct {
		action string
		state  string
		actor  func(c *weiquan.Case) weiquan.Actor
		req    ActionRequest
		// what the action leads to
		to      weiquan.Status
		outcome weiquan.Outcome
		public  bool
		check   func(t *testing.T, before, after *weiquan.Case)
		// refusals: a state it is not allowed from, and a role that may not
		wrongState string
		wrongActor weiquan.Actor
	}{
		{action: ActionRoute, state: "returned", actor: func(*weiquan.Case) weiquan.Actor { return machineDispatcher },
			to: weiquan.StatusAssigned, public: true,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if c.UnitID != "amr-350203" || c.Track != weiquan.TrackAgency || c.Routing == nil || c.Routing.Rule == "" {
					t.Errorf("got unit %s track %s routing %+v, want amr-350203 on agency by a rule", c.UnitID, c.Track, c.Routing)
				}
			},
			wrongState: "assigned", wrongActor: machineSupervisor},
		{action: ActionAssign, state: "returned", actor: func(*weiquan.Case) weiquan.Actor { return machineDispatcher },
			req: ActionRequest{UnitID: "amr-350206", Note: "经核实实际经营地在湖里区"}, to: weiquan.StatusAssigned, public: true,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if c.UnitID != "amr-350206" || c.Track != weiquan.TrackAgency || c.Department == "" {
					t.Errorf("got unit %s track %s department %q, want amr-350206 on agency with a department", c.UnitID, c.Track, c.Department)
				}
				if c.Routing == nil || c.Routing.Rule != "manual" || c.Routing.UnitID != "amr-350206" {
					t.Errorf("got routing %+v, want the manual assignment", c.Routing)
				}
				if want := endOf("2026-12-07"); c.Deadlines.AcceptBy == nil || !c.Deadlines.AcceptBy.Equal(want) {
					t.Errorf("got accept_by %v, want %v", c.Deadlines.AcceptBy, want)
				}
			},
			wrongState: "assigned", wrongActor: machineOfficerOf("dispatch-350200")},
		{action: ActionAccept, state: "assigned", actor: machineOfficer, to: weiquan.StatusAccepted, public: true,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if want := cal.AddWorkingDays(now, 45); c.Deadlines.MediateBy == nil || !c.Deadlines.MediateBy.Equal(want) {
					t.Errorf("got mediate_by %v, want %v", c.Deadlines.MediateBy, want)
				}
			},
			wrongState: "accepted", wrongActor: machineSupervisor},
		{action: ActionReject, state: "assigned", actor: machineOfficer, req: ActionRequest{Ground: "time_barred"},
			to: weiquan.StatusClosed, outcome: weiquan.OutcomeRejected, public: true,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if c.Result.Ground != "time_barred" || !strings.Contains(machineLast(c).Note, "第十五条第四项") {
					t.Errorf("got ground %q, note %q, want time_barred stated with its article", c.Result.Ground, machineLast(c).Note)
				}
			},
			wrongState: "accepted", wrongActor: machineOperator},
		{action: ActionReturn, state: "assigned", actor: machineOfficer, req: ActionRequest{Reason: "不属本局管辖"},
			to: weiquan.StatusRegistered,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if c.UnitID != "dispatch-350200" || c.Track != "" || c.Deadlines.AcceptBy != nil {
					t.Errorf("got unit %s track %q accept_by %v, want the case back at dispatch-350200 without a deadline",
						c.UnitID, c.Track, c.Deadlines.AcceptBy)
				}
			},
			wrongState: "accepted", wrongActor: machineDispatcher},
		{action: ActionEscalate, state: "odr", actor: machineOfficer, to: weiquan.StatusAssigned,
			check: func(t *testing.T, before, c *weiquan.Case) {
				if c.UnitID != "amr-350206" || c.Track != weiquan.TrackAgency || c.Deadlines.TrackBy != nil {
					t.Errorf("got unit %s track %s track_by %v, want amr-350206 on agency", c.UnitID, c.Track, c.Deadlines.TrackBy)
				}
				if want := endOf("2026-12-07"); c.Deadlines.AcceptBy == nil || !c.Deadlines.AcceptBy.Equal(want) {
					t.Errorf("got accept_by %v, want %v", c.Deadlines.AcceptBy, want)
				}
				evs := c.Events[len(before.Events):]
				if len(evs) != 2 || evs[0].Type != ActionEscalate || evs[0].To != weiquan.StatusRegistered || evs[0].Public ||
					evs[1].Type != ActionRoute || evs[1].To != weiquan.StatusAssigned || !evs[1].Public || evs[1].Actor != "system" {
					t.Errorf("got events %+v, want an internal escalate to registered and a public system route to assigned", evs)
				}
			},
			wrongState: "assigned", wrongActor: machineOperator},
		{action: ActionStartMediation, state: "accepted", actor: machineOfficer, to: weiquan.StatusMediating, public: true,
			wrongState: "assigned", wrongActor: machineOperator},
		{action: ActionPause, state: "mediating", actor: machineOfficer, req: ActionRequest{Reason: "空调送检"},
			to: weiquan.StatusMediating,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if c.Mediation.PausedAt == nil || !c.Mediation.PausedAt.Equal(now) {
					t.Errorf("got paused_at %v, want %v", c.Mediation.PausedAt, now)
				}
			},
			wrongState: "accepted", wrongActor: machineSupervisor},
		{action: ActionResume, state: "paused", actor: machineOfficer, to: weiquan.StatusMediating,
			check: func(t *testing.T, before, c *weiquan.Case) {
				if c.Mediation.PausedAt != nil || !c.Deadlines.MediateBy.Equal(*before.Deadlines.MediateBy) {
					t.Errorf("got paused_at %v mediate_by %v, want unpaused and unchanged (paused the same day)",
						c.Mediation.PausedAt, c.Deadlines.MediateBy)
				}
			},
			wrongState: "accepted", wrongActor: machineSupervisor},
		{action: ActionRecordAgreement, state: "mediating", actor: machineOfficer, req: ActionRequest{AmountRecoveredFen: 359900},
			to: weiquan.StatusClosed, outcome: weiquan.OutcomeResolved, public: true,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if c.Result.AmountRecoveredFen != 359900 || !strings.Contains(machineLast(c).Note, "3599.00 元") {
					t.Errorf("got amount %d note %q, want 359900 fen told as 3599.00 元", c.Result.AmountRecoveredFen, machineLast(c).Note)
				}
			},
			wrongState: "assigned", wrongActor: machineOperator},
		{action: ActionTerminate, state: "mediating", actor: machineOfficer, req: ActionRequest{Note: "商家拒绝调解"},
			to: weiquan.StatusClosed, outcome: weiquan.OutcomeMediationFailed, public: true,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if want := endOf("2026-12-07"); c.Deadlines.NoticeBy == nil || !c.Deadlines.NoticeBy.Equal(want) {
					t.Errorf("got notice_by %v, want %v", c.Deadlines.NoticeBy, want)
				}
			},
			wrongState: "assigned", wrongActor: machineSupervisor},
		{action: ActionStartVerification, state: "report", actor: machineOfficer, to: weiquan.StatusVerifying, public: true,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if want := endOf("2026-12-17"); c.Deadlines.VerifyBy == nil || !c.Deadlines.VerifyBy.Equal(want) {
					t.Errorf("got verify_by %v, want %v", c.Deadlines.VerifyBy, want)
				}
			},
			wrongState: "verifying", wrongActor: machineOperator},
		{action: ActionExtendVerification, state: "verifying", actor: machineOfficer, req: ActionRequest{Note: "经局负责人批准"},
			to: weiquan.StatusVerifying,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if want := endOf("2027-01-08"); c.Deadlines.VerifyBy == nil || !c.Deadlines.VerifyBy.Equal(want) {
					t.Errorf("got verify_by %v, want %v (15 more working days, New Year's Day off)", c.Deadlines.VerifyBy, want)
				}
			},
			wrongState: "report", wrongActor: machineOperator},
		{action: ActionDecide, state: "verifying", actor: machineOfficer, req: ActionRequest{Outcome: "filed"},
			to: weiquan.StatusClosed, outcome: weiquan.OutcomeFiled, public: true,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if want := endOf("2026-12-03"); c.Deadlines.NoticeBy == nil || !c.Deadlines.NoticeBy.Equal(want) {
					t.Errorf("got notice_by %v, want %v for a named reporter", c.Deadlines.NoticeBy, want)
				}
			},
			wrongState: "report", wrongActor: machineSupervisor},
		{action: ActionAnswer, state: "inquiry", actor: func(*weiquan.Case) weiquan.Actor { return machineOperator },
			req: ActionRequest{Answer: "网购商品自收到之日起七日内可无理由退货，定作、鲜活易腐等商品除外。"},
			to:  weiquan.StatusClosed, outcome: weiquan.OutcomeAnswered, public: true,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if !strings.HasPrefix(c.Result.Answer, "网购商品") {
					t.Errorf("got answer %q", c.Result.Answer)
				}
			},
			wrongState: "assigned", wrongActor: machineOtherSupervisor},
		{action: ActionWithdraw, state: "mediating", actor: func(*weiquan.Case) weiquan.Actor { return machineOperator },
			to: weiquan.StatusClosed, outcome: weiquan.OutcomeWithdrawn, public: true,
			wrongState: "closed", wrongActor: machineOtherDispatcher},
		{action: ActionReopen, state: "closed", actor: func(*weiquan.Case) weiquan.Actor { return machineSupervisor },
			req: ActionRequest{Reason: "投诉人称撤回非本人意愿"}, to: weiquan.StatusRegistered,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if c.Outcome != "" || c.UnitID != "dispatch-350200" || c.Deadlines != (weiquan.Deadlines{}) {
					t.Errorf("got outcome %q unit %s deadlines %+v, want a fresh case at dispatch-350200", c.Outcome, c.UnitID, c.Deadlines)
				}
			},
			wrongState: "assigned", wrongActor: machineOfficerOf("amr-350203")},
		{action: ActionLinkDuplicate, state: "assigned", actor: func(*weiquan.Case) weiquan.Actor { return machineOperator },
			req: ActionRequest{CaseID: "20261126000001"}, to: weiquan.StatusAssigned,
			check: func(t *testing.T, _, c *weiquan.Case) {
				want := []weiquan.Link{{Type: "duplicate_of", CaseID: "20261126000001"}}
				if !slices.Equal(c.Links, want) {
					t.Errorf("got links %v, want %v", c.Links, want)
				}
			},
			wrongState: "closed", wrongActor: machineOtherSupervisor},
		{action: ActionMerge, state: "assigned", actor: machineOfficer,
			req: ActionRequest{CaseID: "20261126000001"}, to: weiquan.StatusAssigned,
			check: func(t *testing.T, _, c *weiquan.Case) {
				want := []weiquan.Link{{Type: LinkMergedInto, CaseID: "20261126000001"}}
				if !slices.Equal(c.Links, want) || !slices.Contains(c.Flags, FlagMerged) {
					t.Errorf("got links %v flags %v, want %v and the merged flag", c.Links, c.Flags, want)
				}
				if !strings.Contains(machineLast(c).Note, "20261126000001") {
					t.Errorf("got note %q, want it to name the surviving case", machineLast(c).Note)
				}
			},
			wrongState: "closed", wrongActor: machineOtherSupervisor},
		{action: ActionUnmerge, state: "merged", actor: func(*weiquan.Case) weiquan.Actor { return machineSupervisor },
			req: ActionRequest{Reason: "经核实并非同一争议"}, to: weiquan.StatusAssigned,
			check: func(t *testing.T, _, c *weiquan.Case) {
				if len(c.Links) != 0 || slices.Contains(c.Flags, FlagMerged) {
					t.Errorf("got links %v flags %v, want neither the merged_into link nor the flag", c.Links, c.Flags)
				}
				if !strings.Contains(machineLast(c).Note, "并非同一争议") {
					t.Errorf("got note %q, want the reason", machineLast(c).Note)
				}
			},
			wrongActor: machineOtherSupervisor},
		{action: ActionNote, state: "assigned", actor: machineOfficer, req: ActionRequest{Note: "已电话联系商家", Public: machineBool(true)},
			to: weiquan.StatusAssigned, public: true, wrongActor: machineOfficerOf("amr-350206")},
	}

	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.action] = true
		t.Run(tt.action+"/allowed", func(t *testing.T) {
			before := f.state(t, tt.state)
			actor := tt.actor(before)
			req := tt.req
			req.Version = before.Version
			got, err := f.engine.Act(ctx, actor, before.ID, tt.action, req)
			if err != nil {
				t.Fatalf("Act: %v", err)
			}
			if got.Status != tt.to || got.Outcome != tt.outcome || got.Version != before.Version+1 {
				t.Errorf("got %s/%q version %d, want %s/%q version %d", got.Status, got.Outcome, got.Version,
					tt.to, tt.outcome, before.Version+1)
			}
			ev := got.Events[len(before.Events)]
			if ev.Seq != before.Events[len(before.Events)-1].Seq+1 || ev.Type != tt.action || ev.From != before.Status ||
				!ev.At.Equal(now) || ev.Actor != actor.UserID || ev.Public != tt.public || ev.Note == "" {
				t.Errorf("got event %+v, want #%d %s %s→… by %s at %v, public %v, with a note", ev,
					len(before.Events)+1, tt.action, before.Status, actor.UserID, now, tt.public)
			}
			if !got.UpdatedAt.Equal(now) || got.Policy != DefaultPolicyID {
				t.Errorf("got updated_at %v policy %q, want %v %q", got.UpdatedAt, got.Policy, now, DefaultPolicyID)
			}
			stored, err := f.store.GetCase(ctx, got.ID)
			if err != nil {
				t.Fatalf("GetCase: %v", err)
			}
			stored.NormalizeTimes()
			if stored.Version != got.Version || len(stored.Events) != len(got.Events) || stored.Status != got.Status {
				t.Errorf("stored version %d, %d events, %s; returned %d, %d events, %s", stored.Version, len(stored.Events),
					stored.Status, got.Version, len(got.Events), got.Status)
			}
			if tt.check != nil {
				tt.check(t, before, got)
			}
		})
		if tt.wrongState != "" {
			t.Run(tt.action+"/wrong status", func(t *testing.T) {
				c := f.state(t, tt.wrongState)
				_, err := f.engine.Act(ctx, tt.actor(c), c.ID, tt.action, ActionRequest{Version: c.Version, Reason: "x", Note: "x",
					Ground: "time_barred", UnitID: "amr-350206", Outcome: "filed", Answer: "x", CaseID: "20261126000001"})
				machineWantCode(t, err, weiquan.EConflict)
			})
		}
		t.Run(tt.action+"/wrong role", func(t *testing.T) {
			c := f.state(t, tt.state)
			_, err := f.engine.Act(ctx, tt.wrongActor, c.ID, tt.action, ActionRequest{Version: c.Version, Reason: "x", Note: "x"})
			machineWantCode(t, err, weiquan.EForbidden)
		})
		t.Run(tt.action+"/stale version", func(t *testing.T) {
			c := f.state(t, tt.state)
			req := tt.req
			req.Version = c.Version - 1
			_, err := f.engine.Act(ctx, tt.actor(c), c.ID, tt.action, req)
			machineWantCode(t, err, weiquan.EConflict)
			if msg := weiquan.ErrorMessage(err); msg != "案件已被他人修改，请刷新后重试" {
				t.Errorf("got message %q", msg)
			}
		})
	}
	for _, a := range Actions() {
		if !covered[a] {
			t.Errorf("action %s has no row", a)
		}
	}

	// Officer actions refused to an officer of another unit.
	for _, a := range []struct{ action, state string }{
		{ActionAccept, "assigned"}, {ActionReject, "assigned"}, {ActionReturn, "assigned"}, {ActionEscalate, "odr"},
		{ActionStartMediation, "accepted"}, {ActionPause, "mediating"}, {ActionResume, "paused"},
		{ActionRecordAgreement, "mediating"}, {ActionTerminate, "mediating"}, {ActionStartVerification, "report"},
		{ActionExtendVerification, "verifying"}, {ActionDecide, "verifying"},
	} {
		t.Run(a.action+"/officer of another unit", func(t *testing.T) {
			c := f.state(t, a.state)
			other := machineOfficerOf("amr-350206")
			_, err := f.engine.Act(ctx, other, c.ID, a.action, ActionRequest{Version: c.Version, Ground: "time_barred",
				Reason: "x", Note: "x", Outcome: "filed"})
			machineWantCode(t, err, weiquan.EForbidden)
			if msg := weiquan.ErrorMessage(err); !strings.Contains(msg, c.UnitID) {
				t.Errorf("got message %q, want it to name the case's unit %s", msg, c.UnitID)
			}
		})
	}
}

// TestMachineRefusals covers refusals beyond status and role: the case's
// kind or track, bad fields, unknown actions and cases.
func TestMachineRefusals(t *testing.T) {
	f := newMachineFixture(t)
	ctx := context.Background()
	long := strings.Repeat("长", machineMaxNote+1)
	tests := []struct {
		name   string
		state  string
		actor  func(c *weiquan.Case) weiquan.Actor
		action string
		req    ActionRequest
		code   string
		field  string // for EValidation
	}{
		{"accept a report", "report", machineOfficer, ActionAccept, ActionRequest{}, weiquan.EConflict, ""},
		{"verify a complaint", "assigned", machineOfficer, ActionStartVerification, ActionRequest{}, weiquan.EConflict, ""},
		{"answer a complaint", "assigned", machineOfficer, ActionAnswer, ActionRequest{Answer: "x"}, weiquan.EConflict, ""},
		{"escalate on the agency track", "assigned", machineOfficer, ActionEscalate, ActionRequest{}, weiquan.EConflict, ""},
		{"mediate without consent", "accepted-no-consent", machineOfficer, ActionStartMediation, ActionRequest{}, weiquan.EConflict, ""},
		{"pause twice", "paused", machineOfficer, ActionPause, ActionRequest{Reason: "再次送检"}, weiquan.EConflict, ""},
		{"resume when not paused", "mediating", machineOfficer, ActionResume, ActionRequest{}, weiquan.EConflict, ""},
		{"extend twice", "extended", machineOfficer, ActionExtendVerification, ActionRequest{Note: "再次批准"}, weiquan.EConflict, ""},
		{"reopen an open case", "assigned", func(*weiquan.Case) weiquan.Actor { return machineAdmin }, ActionReopen,
			ActionRequest{Reason: "x"}, weiquan.EConflict, ""},
		{"link twice", "assigned", machineOfficer, ActionLinkDuplicate, ActionRequest{CaseID: "20261126000001"}, weiquan.EConflict, ""},
		{"merge twice", "merged", machineOfficer, ActionMerge, ActionRequest{CaseID: "20261126000001"}, weiquan.EConflict, ""},
		{"merge into a closed case", "assigned", machineOfficer, ActionMerge, ActionRequest{CaseID: "closed"}, weiquan.EConflict, ""},
		{"merge into a merged case", "assigned", machineOfficer, ActionMerge, ActionRequest{CaseID: "merged"}, weiquan.EConflict, ""},
		{"unmerge a case not merged", "assigned", machineOfficer, ActionUnmerge, ActionRequest{Reason: "x"}, weiquan.EConflict, ""},

		{"reject without ground", "assigned", machineOfficer, ActionReject, ActionRequest{}, weiquan.EValidation, "ground"},
		{"reject on an unknown ground", "assigned", machineOfficer, ActionReject, ActionRequest{Ground: "dislike"}, weiquan.EValidation, "ground"},
		{"return without reason", "assigned", machineOfficer, ActionReturn, ActionRequest{Reason: "  "}, weiquan.EValidation, "reason"},
		{"pause without reason", "mediating", machineOfficer, ActionPause, ActionRequest{}, weiquan.EValidation, "reason"},
		{"negative amount", "mediating", machineOfficer, ActionRecordAgreement, ActionRequest{AmountRecoveredFen: -1},
			weiquan.EValidation, "amount_recovered_fen"},
		{"extend without approval note", "verifying", machineOfficer, ActionExtendVerification, ActionRequest{}, weiquan.EValidation, "note"},
		{"decide without outcome", "verifying", machineOfficer, ActionDecide, ActionRequest{}, weiquan.EValidation, "outcome"},
		{"decide on an unknown outcome", "verifying", machineOfficer, ActionDecide, ActionRequest{Outcome: "resolved"}, weiquan.EValidation, "outcome"},
		{"answer without text", "inquiry", func(*weiquan.Case) weiquan.Actor { return machineOperator }, ActionAnswer,
			ActionRequest{}, weiquan.EValidation, "answer"},
		{"reopen without reason", "closed", func(*weiquan.Case) weiquan.Actor { return machineAdmin }, ActionReopen,
			ActionRequest{}, weiquan.EValidation, "reason"},
		{"assign without unit", "returned", func(*weiquan.Case) weiquan.Actor { return machineDispatcher }, ActionAssign,
			ActionRequest{}, weiquan.EValidation, "unit_id"},
		{"assign to an unknown unit", "returned", func(*weiquan.Case) weiquan.Actor { return machineDispatcher }, ActionAssign,
			ActionRequest{UnitID: "amr-999999"}, weiquan.EValidation, "unit_id"},
		{"assign to a dispatch centre", "returned", func(*weiquan.Case) weiquan.Actor { return machineDispatcher }, ActionAssign,
			ActionRequest{UnitID: "dispatch-350200"}, weiquan.EValidation, "unit_id"},
		{"assign a track the unit cannot take", "returned", func(*weiquan.Case) weiquan.Actor { return machineDispatcher },
			ActionAssign, ActionRequest{UnitID: "amr-350206", Track: "odr"}, weiquan.EValidation, "track"},
		{"link to itself", "assigned", machineOfficer, ActionLinkDuplicate, ActionRequest{CaseID: "self"}, weiquan.EValidation, "case_id"},
		{"link to a missing case", "assigned", machineOfficer, ActionLinkDuplicate, ActionRequest{CaseID: "20991231000001"},
			weiquan.EValidation, "case_id"},
		{"merge without a case", "assigned", machineOfficer, ActionMerge, ActionRequest{}, weiquan.EValidation, "case_id"},
		{"merge into itself", "assigned", machineOfficer, ActionMerge, ActionRequest{CaseID: "self"}, weiquan.EValidation, "case_id"},
		{"merge into a missing case", "assigned", machineOfficer, ActionMerge, ActionRequest{CaseID: "20991231000001"},
			weiquan.EValidation, "case_id"},
		{"unmerge without reason", "merged", machineOfficer, ActionUnmerge, ActionRequest{Reason: " "}, weiquan.EValidation, "reason"},
		{"empty note", "assigned", machineOfficer, ActionNote, ActionRequest{}, weiquan.EValidation, "note"},
		{"note too long", "assigned", machineOfficer, ActionNote, ActionRequest{Note: long}, weiquan.EValidation, "note"},
		{"unknown action", "assigned", machineOfficer, "approve", ActionRequest{}, weiquan.ENotFound, ""},
	}
	first := f.state(t, "assigned") // 20261126000001, the case others link to
	if first.ID != "20261126000001" {
		t.Fatalf("first case is %s", first.ID)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.state(t, tt.state)
			if tt.name == "link twice" {
				c = f.act(t, c, machineOperator, ActionLinkDuplicate, ActionRequest{CaseID: first.ID})
			}
			req := tt.req
			req.Version = c.Version
			switch req.CaseID {
			case "self":
				req.CaseID = c.ID
			case "closed", "merged":
				req.CaseID = f.state(t, req.CaseID).ID
			}
			_, err := f.engine.Act(ctx, tt.actor(c), c.ID, tt.action, req)
			machineWantCode(t, err, tt.code)
			if tt.field != "" {
				var we *weiquan.Error
				if !errors.As(err, &we) || we.Fields[tt.field].Message == "" {
					t.Errorf("got %v, want a message for field %s", err, tt.field)
				}
			}
			stored, err := f.store.GetCase(ctx, c.ID)
			if err != nil {
				t.Fatalf("GetCase: %v", err)
			}
			if stored.Version != c.Version {
				t.Errorf("a refused action saved the case: version %d → %d", c.Version, stored.Version)
			}
		})
	}
	t.Run("missing version", func(t *testing.T) {
		_, err := f.engine.Act(ctx, machineOfficer(first), first.ID, ActionAccept, ActionRequest{})
		machineWantCode(t, err, weiquan.EValidation)
	})
	t.Run("unknown case", func(t *testing.T) {
		_, err := f.engine.Act(ctx, machineOperator, "20991231000001", ActionNote, ActionRequest{Version: 1, Note: "x"})
		machineWantCode(t, err, weiquan.ENotFound)
	})
	t.Run("closed case refuses work but takes notes", func(t *testing.T) {
		c := f.state(t, "closed")
		for _, a := range []string{ActionAccept, ActionWithdraw, ActionLinkDuplicate} {
			_, err := f.engine.Act(ctx, machineOperator, c.ID, a, ActionRequest{Version: c.Version, CaseID: first.ID})
			if code := weiquan.ErrorCode(err); code != weiquan.EConflict && code != weiquan.EForbidden {
				t.Errorf("%s on a closed case: got %v, want a refusal", a, err)
			}
		}
		f.act(t, c, machineOperator, ActionNote, ActionRequest{Note: "投诉人来电询问结果"})
	})
}

// TestMachineRoles checks every action against every kind of actor, on
// in-memory cases (permissions do not depend on the store).
func TestMachineRoles(t *testing.T) {
	units, err := DefaultUnits()
	if err != nil {
		t.Fatal(err)
	}
	router, err := DefaultRouter(units)
	if err != nil {
		t.Fatal(err)
	}
	mem := &machineMemStore{cases: map[string]*weiquan.Case{"20261120000045": {ID: "20261120000045", Version: 1, Status: weiquan.StatusAssigned}}}
	e := &Engine{Store: mem, Router: router, Units: units, Calendar: quietCalendar(t), Policies: NewPolicies(),
		Now: func() time.Time { return machineT0 }}

	// The case at hand: in the status the action needs, at amr-350203 (or
	// the ODR enterprise in 湖里区 for escalate; at the dispatch centre while
	// registered).
	caseFor := func(action string) *weiquan.Case {
		d := machineDraft(t, weiquan.KindComplaint)
		c := &d
		c.ID, c.Version, c.UnitID, c.Track = "20261126000001", 3, "amr-350203", weiquan.TrackAgency
		c.Status = weiquan.StatusAssigned
		c.Events = []weiquan.Event{{Seq: 1, At: machineT0, Actor: "u-op-1", Type: weiquan.EventRegistered, To: weiquan.StatusRegistered}}
		mediate := endOf("2027-02-01")
		c.Deadlines.AcceptBy = machineTime(endOf("2026-12-07"))
		switch action {
		case ActionRoute, ActionAssign:
			c.Status, c.UnitID, c.Track, c.Deadlines = weiquan.StatusRegistered, "dispatch-350200", "", weiquan.Deadlines{}
		case ActionEscalate:
			c.UnitID, c.Track = "odr-xiamen-youxuan", weiquan.TrackODR
			c.Respondent.DivisionCode = "350206"
		case ActionStartMediation:
			c.Status, c.Deadlines.MediateBy = weiquan.StatusAccepted, &mediate
		case ActionPause, ActionResume, ActionRecordAgreement, ActionTerminate:
			c.Status, c.Deadlines.MediateBy = weiquan.StatusMediating, &mediate
			if action == ActionResume {
				c.Mediation.PausedAt = machineTime(machineT0.Add(-24 * time.Hour))
			}
		case ActionStartVerification, ActionExtendVerification, ActionDecide:
			c.Kind, c.Track = weiquan.KindReport, weiquan.TrackEnforcement
			if action != ActionStartVerification {
				c.Status = weiquan.StatusVerifying
				c.Deadlines.VerifyBy = machineTime(endOf("2026-12-17"))
			}
		case ActionAnswer:
			c.Kind, c.Track = weiquan.KindInquiry, weiquan.TrackAnswer
		case ActionReopen:
			c.Status, c.Outcome = weiquan.StatusClosed, weiquan.OutcomeWithdrawn
		case ActionUnmerge:
			c.Flags = []string{FlagMerged}
			c.Links = []weiquan.Link{{Type: LinkMergedInto, CaseID: "20261120000045"}}
		}
		return c
	}
	req := ActionRequest{Version: 3, Note: "备注", Reason: "理由", Ground: "not_consumer_dispute", AmountRecoveredFen: 100,
		UnitID: "amr-350206", Outcome: "filed", Answer: "答复", CaseID: "20261120000045"}

	actors := map[string]weiquan.Actor{
		"system":           SystemActor,
		"operator":         machineOperator,
		"officer":          {}, // of the case's unit, filled in per case
		"other officer":    machineOfficerOf("amr-350102"),
		"supervisor":       machineSupervisor,
		"other supervisor": machineOtherSupervisor,
		"dispatcher":       machineDispatcher,
		"other dispatcher": machineOtherDispatcher,
		"province":         machineProvince,
		"admin":            machineAdmin,
		"no role":          {UserID: "u-x", UnitIDs: []string{"amr-350203"}},
	}
	everyone := []string{"operator", "officer", "supervisor", "dispatcher", "province", "admin"}
	want := map[string][]string{
		ActionRoute:              {"system", "dispatcher", "province", "admin"},
		ActionAssign:             {"system", "dispatcher", "province", "admin"},
		ActionAccept:             {"officer"},
		ActionReject:             {"officer"},
		ActionReturn:             {"officer"},
		ActionEscalate:           {"system", "officer"},
		ActionStartMediation:     {"officer"},
		ActionPause:              {"officer"},
		ActionResume:             {"officer"},
		ActionRecordAgreement:    {"officer"},
		ActionTerminate:          {"system", "officer"},
		ActionStartVerification:  {"officer"},
		ActionExtendVerification: {"officer", "supervisor", "dispatcher", "province", "admin"},
		ActionDecide:             {"officer"},
		ActionAnswer:             everyone,
		ActionWithdraw:           everyone,
		ActionReopen:             {"supervisor", "dispatcher", "province", "admin"},
		ActionLinkDuplicate:      everyone,
		ActionMerge:              everyone,
		ActionUnmerge:            everyone,
		ActionNote:               everyone,
	}
	if got := slices.Sorted(maps.Keys(want)); !slices.Equal(got, slices.Sorted(slices.Values(Actions()))) {
		t.Fatalf("roles table covers %v, want every action %v", got, Actions())
	}
	for _, action := range Actions() {
		for _, name := range slices.Sorted(maps.Keys(actors)) {
			t.Run(action+"/"+name, func(t *testing.T) {
				c := caseFor(action)
				actor := actors[name]
				if name == "officer" {
					actor = machineOfficerOf(c.UnitID)
				}
				_, err := e.machineApply(context.Background(), c, actor, action, req, machineT0)
				allowed := slices.Contains(want[action], name)
				switch {
				case allowed && err != nil:
					t.Errorf("got %v, want allowed", err)
				case !allowed && weiquan.ErrorCode(err) != weiquan.EForbidden:
					t.Errorf("got %v, want EForbidden", err)
				}
				if gotAllowed := slices.Contains(e.Allowed(actor, c), action); gotAllowed != allowed {
					t.Errorf("Allowed lists %s: %v, want %v", action, gotAllowed, allowed)
				}
			})
		}
	}
}

// machineMemStore is an in-memory EngineStore for tests that need no
// database.
type machineMemStore struct {
	mu    sync.Mutex
	cases map[string]*weiquan.Case
}

func (m *machineMemStore) GetCase(_ context.Context, id string) (*weiquan.Case, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cases[id]
	if !ok {
		return nil, weiquan.Errorf(weiquan.ENotFound, "案件不存在")
	}
	return machineClone(c), nil
}

func (m *machineMemStore) SaveCase(_ context.Context, c *weiquan.Case, expected int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.cases[c.ID]
	if !ok {
		return weiquan.Errorf(weiquan.ENotFound, "案件不存在")
	}
	if cur.Version != expected {
		return weiquan.Errorf(weiquan.EConflict, "案件已被他人修改，请刷新后重试")
	}
	c.Version = expected + 1
	m.cases[c.ID] = machineClone(c)
	return nil
}

func TestRouteNew(t *testing.T) {
	f := newMachineFixture(t)
	odr, _ := f.units.Get("odr-xiamen-youxuan")
	station, _ := f.units.Get("station-350203-zhongshan")
	tests := []struct {
		name   string
		draft  func(c *weiquan.Case)
		status weiquan.Status
		unit   string
		track  weiquan.Track
		check  func(t *testing.T, c *weiquan.Case)
	}{
		{"county agency", func(*weiquan.Case) {}, weiquan.StatusAssigned, "amr-350203", weiquan.TrackAgency,
			func(t *testing.T, c *weiquan.Case) {
				// Received Thursday 2026-11-26: seven working days run to Monday 2026-12-07.
				if want := endOf("2026-12-07"); c.Deadlines.AcceptBy == nil || !c.Deadlines.AcceptBy.Equal(want) {
					t.Errorf("got accept_by %v, want %v", c.Deadlines.AcceptBy, want)
				}
				ev := machineLast(c)
				if !ev.Public || ev.Type != ActionRoute || ev.To != weiquan.StatusAssigned || !strings.Contains(ev.Note, "2026-12-07") {
					t.Errorf("got event %+v, want a public route to assigned naming the deadline", ev)
				}
			}},
		{"ODR enterprise", func(c *weiquan.Case) {
			c.Respondent = weiquan.Respondent{Name: odr.Name, USCC: odr.USCC, Address: "厦门市湖里区示例路1号", DivisionCode: odr.DivisionCode}
		}, weiquan.StatusAssigned, odr.ID, weiquan.TrackODR, func(t *testing.T, c *weiquan.Case) {
			want := f.engine.Calendar.AddWorkingDays(machineT0, odr.DeadlineDays)
			if odr.DeadlineDays == 0 {
				want = f.engine.Calendar.AddWorkingDays(machineT0, 10)
			}
			if c.Deadlines.TrackBy == nil || !c.Deadlines.TrackBy.Equal(want) || c.Deadlines.AcceptBy != nil {
				t.Errorf("got track_by %v accept_by %v, want track_by %v only", c.Deadlines.TrackBy, c.Deadlines.AcceptBy, want)
			}
		}},
		{"station member", func(c *weiquan.Case) {
			c.Respondent.USCC = station.Members[0]
		}, weiquan.StatusAssigned, station.ID, weiquan.TrackStation, func(t *testing.T, c *weiquan.Case) {
			// The station's own five working days, not the policy's ten.
			if want := endOf("2026-12-03"); c.Deadlines.TrackBy == nil || !c.Deadlines.TrackBy.Equal(want) {
				t.Errorf("got track_by %v, want %v", c.Deadlines.TrackBy, want)
			}
		}},
		{"out of jurisdiction", func(c *weiquan.Case) {
			c.Subject.Category, c.Subject.Problem = "finance", "contract"
		}, weiquan.StatusClosed, "", "", func(t *testing.T, c *weiquan.Case) {
			ev := machineLast(c)
			if c.Outcome != weiquan.OutcomeRejected || c.Result.Hotline != "12378" || c.Result.Ground == "" ||
				!ev.Public || !strings.Contains(ev.Note, "12378") {
				t.Errorf("got outcome %q result %+v event %+v, want rejected with hotline 12378 told publicly", c.Outcome, c.Result, ev)
			}
		}},
		{"no division", func(c *weiquan.Case) {
			c.Respondent.DivisionCode, c.Respondent.Address = "", "某地某路"
		}, weiquan.StatusRegistered, "dispatch-350000", "", func(t *testing.T, c *weiquan.Case) {
			ev := machineLast(c)
			if ev.Public || ev.Type != ActionRoute || ev.To != weiquan.StatusRegistered || c.Deadlines.AcceptBy != nil {
				t.Errorf("got event %+v accept_by %v, want an internal route staying registered without deadline", ev, c.Deadlines.AcceptBy)
			}
		}},
		{"金门县", func(c *weiquan.Case) {
			c.Respondent.DivisionCode, c.Respondent.Address = weiquan.DivisionKinmen, "金门县金城镇"
		}, weiquan.StatusRegistered, "dispatch-350000", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := machineDraft(t, weiquan.KindComplaint)
			tt.draft(&d)
			c := f.register(t, d)
			if c.Status != tt.status || c.UnitID != tt.unit || c.Track != tt.track || c.Version != 2 {
				t.Fatalf("got %s at %q on %q version %d, want %s at %q on %q version 2 (routing: %+v)",
					c.Status, c.UnitID, c.Track, c.Version, tt.status, tt.unit, tt.track, c.Routing)
			}
			if c.Routing == nil || len(c.Routing.Explanation) == 0 || c.Policy != DefaultPolicyID || len(c.Events) != 2 {
				t.Errorf("got routing %+v policy %q %d events, want the decision explained, the policy, 2 events",
					c.Routing, c.Policy, len(c.Events))
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
	t.Run("only a registered case", func(t *testing.T) {
		c := f.register(t, machineDraft(t, weiquan.KindComplaint))
		_, err := f.engine.RouteNew(context.Background(), c)
		machineWantCode(t, err, weiquan.EConflict)
	})
	t.Run("leaves its argument alone", func(t *testing.T) {
		c, err := f.intake.RegisterAt(context.Background(), machineOperator, machineDraft(t, weiquan.KindComplaint), machineT0)
		if err != nil {
			t.Fatal(err)
		}
		c.Events = slices.Grow(c.Events, 4) // spare capacity an append could write into
		if _, err := f.engine.RouteNew(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if c.Status != weiquan.StatusRegistered || c.Version != 1 || len(c.Events) != 1 || c.Events[:2][1].Type != "" {
			t.Errorf("RouteNew changed its argument: %s version %d, events %v", c.Status, c.Version, c.Events[:2])
		}
	})
}

// TestMachineDeadlines follows one complaint and one report through their
// time limits on real dates.
func TestMachineDeadlines(t *testing.T) {
	f := newMachineFixture(t)
	c := f.register(t, machineDraft(t, weiquan.KindComplaint)) // Thursday 2026-11-26
	if want := endOf("2026-12-07"); !c.Deadlines.AcceptBy.Equal(want) {
		t.Fatalf("accept_by: got %v, want %v", c.Deadlines.AcceptBy, want)
	}

	officer := machineOfficer(c)
	f.clock.Set(sh("2026-11-30 09:30")) // Monday
	c = f.act(t, c, officer, ActionAccept, ActionRequest{})
	mediateBy := f.engine.Calendar.AddWorkingDays(sh("2026-11-30"), 45)
	if !c.Deadlines.MediateBy.Equal(mediateBy) || !c.Deadlines.AcceptBy.Equal(endOf("2026-12-07")) {
		t.Fatalf("after accept: got mediate_by %v accept_by %v, want %v and the accept_by kept", c.Deadlines.MediateBy,
			c.Deadlines.AcceptBy, mediateBy)
	}
	// 45 working days from Monday 2026-11-30: December's 23 left, New
	// Year's Day off, January's 20 weekdays, Sunday 31 January (a Spring
	// Festival make-up day) and Monday 1 February.
	if got := c.Deadlines.MediateBy.Format(time.DateOnly); got != "2027-02-01" {
		t.Errorf("mediate_by: got %s, want 2027-02-01", got)
	}
	c = f.act(t, c, officer, ActionStartMediation, ActionRequest{})

	// Paused from Monday 2026-12-14 to Friday 2026-12-18 (4 working days after
	// the day of pausing), then from Thursday 2026-12-31 over New Year's Day
	// to Monday 2027-01-04 (1 working day: Monday; Friday is a holiday).
	steps := []struct {
		pause, resume string
		days          int
	}{
		{"2026-12-14 10:00", "2026-12-18 16:00", 4},
		{"2026-12-31 10:00", "2027-01-04 09:00", 1},
		{"2027-01-05 10:00", "2027-01-05 17:00", 0},
	}
	total := 0
	for _, st := range steps {
		f.clock.Set(sh(st.pause))
		c = f.act(t, c, officer, ActionPause, ActionRequest{Reason: "送检"})
		f.clock.Set(sh(st.resume))
		c = f.act(t, c, officer, ActionResume, ActionRequest{})
		total += st.days
		want := f.engine.Calendar.AddWorkingDays(mediateBy, total)
		if !c.Deadlines.MediateBy.Equal(want) || c.Mediation.PausedDays != total || c.Mediation.PausedAt != nil {
			t.Errorf("after pause %s–%s: got mediate_by %v paused_days %d, want %v and %d", st.pause, st.resume,
				c.Deadlines.MediateBy, c.Mediation.PausedDays, want, total)
		}
	}
	// Five paused working days move it past the Spring Festival: 2, 3 and 4
	// February, then (5–13 February off) Sunday 14 February, a make-up
	// working day, and Monday 15 February.
	if got := c.Deadlines.MediateBy.Format(time.DateOnly); got != "2027-02-15" {
		t.Errorf("mediate_by after pauses: got %s, want 2027-02-15", got)
	}

	// Terminated while paused: the pause ends with the case.
	f.clock.Set(sh("2027-01-11 10:00"))
	c = f.act(t, c, officer, ActionPause, ActionRequest{Reason: "鉴定"})
	f.clock.Set(sh("2027-01-13 10:00"))
	c = f.act(t, c, officer, ActionTerminate, ActionRequest{})
	if c.Mediation.PausedAt != nil || c.Mediation.PausedDays != total+2 || c.Deadlines.NoticeBy.Format(time.DateOnly) != "2027-01-22" {
		t.Errorf("terminated while paused: got paused_at %v paused_days %d notice_by %v, want no pause, %d days, 2027-01-22",
			c.Mediation.PausedAt, c.Mediation.PausedDays, c.Deadlines.NoticeBy, total+2)
	}

	// A report: 15 working days to verify, 15 more once, the named reporter
	// told within 5, an anonymous one not at all.
	for _, anonymous := range []bool{false, true} {
		f.clock.Set(machineT0)
		d := machineDraft(t, weiquan.KindReport)
		d.Complainant.Anonymous = anonymous
		r := f.register(t, d)
		r = f.act(t, r, machineOfficer(r), ActionStartVerification, ActionRequest{})
		if got := r.Deadlines.VerifyBy.Format(time.DateOnly); got != "2026-12-17" {
			t.Errorf("verify_by: got %s, want 2026-12-17", got)
		}
		f.clock.Set(sh("2026-12-16 10:00"))
		r = f.act(t, r, machineSupervisor, ActionExtendVerification, ActionRequest{Note: "经局负责人批准延长"})
		if got := r.Deadlines.VerifyBy.Format(time.DateOnly); got != "2027-01-08" {
			t.Errorf("extended verify_by: got %s, want 2027-01-08", got)
		}
		f.clock.Set(sh("2027-01-07 10:00"))
		r = f.act(t, r, machineOfficer(r), ActionDecide, ActionRequest{Outcome: "not_filed"})
		switch {
		case anonymous && r.Deadlines.NoticeBy != nil:
			t.Errorf("anonymous reporter: got notice_by %v, want none", r.Deadlines.NoticeBy)
		case !anonymous && (r.Deadlines.NoticeBy == nil || r.Deadlines.NoticeBy.Format(time.DateOnly) != "2027-01-14"):
			t.Errorf("named reporter: got notice_by %v, want 2027-01-14", r.Deadlines.NoticeBy)
		}
	}
}

// TestMachineReopen takes a case round the whole loop: closed, reopened by a
// supervisor, routed again, handled again.
func TestMachineReopen(t *testing.T) {
	f := newMachineFixture(t)
	c := f.state(t, "mediating")
	officer := machineOfficer(c)
	c = f.act(t, c, officer, ActionRecordAgreement, ActionRequest{AmountRecoveredFen: 100000})

	f.clock.Set(sh("2026-12-01 10:00"))
	_, err := f.engine.Act(context.Background(), machineOtherSupervisor, c.ID, ActionReopen,
		ActionRequest{Version: c.Version, Reason: "x"})
	machineWantCode(t, err, weiquan.EForbidden)
	c = f.act(t, c, machineSupervisor, ActionReopen, ActionRequest{Reason: "商家未履行调解协议"})
	if c.Status != weiquan.StatusRegistered || c.Outcome != "" || c.Result != (weiquan.Result{}) || c.UnitID != "dispatch-350200" {
		t.Fatalf("reopened: got %s/%q result %+v unit %s", c.Status, c.Outcome, c.Result, c.UnitID)
	}
	ev := machineLast(c)
	if ev.Public || ev.From != weiquan.StatusClosed || !strings.Contains(ev.Note, "调解成功") || !strings.Contains(ev.Note, "商家未履行") {
		t.Errorf("got event %+v, want an internal note naming the old outcome and the reason", ev)
	}

	c = f.act(t, c, machineDispatcher, ActionRoute, ActionRequest{})
	if c.Status != weiquan.StatusAssigned || c.Deadlines.AcceptBy.Format(time.DateOnly) != "2026-12-10" {
		t.Fatalf("routed again: got %s accept_by %v, want assigned with 2026-12-10", c.Status, c.Deadlines.AcceptBy)
	}
	c = f.act(t, c, officer, ActionAccept, ActionRequest{})
	if c.Status != weiquan.StatusAccepted || c.Deadlines.MediateBy == nil {
		t.Errorf("accepted again: got %s mediate_by %v", c.Status, c.Deadlines.MediateBy)
	}
	for i, e := range c.Events {
		if e.Seq != i+1 {
			t.Errorf("event %d has seq %d", i, e.Seq)
		}
	}
}

// TestMachineMergeUndo merges a case into another and back: only the merged
// case is written, its status and earlier links stay, and its timeline keeps
// the merge and the undoing.
func TestMachineMergeUndo(t *testing.T) {
	f := newMachineFixture(t)
	ctx := context.Background()
	survivor := f.state(t, "assigned")
	c := f.state(t, "accepted")
	c = f.act(t, c, machineOperator, ActionLinkDuplicate, ActionRequest{CaseID: survivor.ID})
	before := c
	duplicate := weiquan.Link{Type: "duplicate_of", CaseID: survivor.ID}
	mergedInto := weiquan.Link{Type: LinkMergedInto, CaseID: survivor.ID}

	steps := []struct {
		name   string
		actor  weiquan.Actor
		action string
		req    ActionRequest
		links  []weiquan.Link
		merged bool
		note   string // the new event's note contains it
	}{
		{"merge", machineOfficer(c), ActionMerge, ActionRequest{CaseID: survivor.ID}, []weiquan.Link{duplicate, mergedInto}, true, survivor.ID},
		{"unmerge", machineOperator, ActionUnmerge, ActionRequest{Reason: "投诉事项不同"}, []weiquan.Link{duplicate}, false, "投诉事项不同"},
		{"merge again", machineSupervisor, ActionMerge, ActionRequest{CaseID: survivor.ID}, []weiquan.Link{duplicate, mergedInto}, true, survivor.ID},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			prev := c
			c = f.act(t, c, st.actor, st.action, st.req)
			if c.Status != weiquan.StatusAccepted || c.Outcome != "" {
				t.Errorf("got %s/%q, want the status kept (accepted, no outcome)", c.Status, c.Outcome)
			}
			if !slices.Equal(c.Links, st.links) || slices.Contains(c.Flags, FlagMerged) != st.merged {
				t.Errorf("got links %v flags %v, want %v merged %v", c.Links, c.Flags, st.links, st.merged)
			}
			if got, want := len(c.Events), len(prev.Events)+1; got != want ||
				!slices.Equal(c.Events[:len(prev.Events)], prev.Events) {
				t.Fatalf("got %d events, want the %d earlier ones kept and one more", got, len(prev.Events))
			}
			ev := machineLast(c)
			if ev.Type != st.action || ev.Public || !strings.Contains(ev.Note, st.note) {
				t.Errorf("got event %+v, want an internal %s noting %q", ev, st.action, st.note)
			}
			stored, err := f.store.GetCase(ctx, survivor.ID)
			if err != nil {
				t.Fatalf("GetCase: %v", err)
			}
			if stored.Version != survivor.Version || len(stored.Events) != len(survivor.Events) {
				t.Errorf("the surviving case was written: version %d → %d, %d → %d events", survivor.Version,
					stored.Version, len(survivor.Events), len(stored.Events))
			}
		})
	}
	if len(c.Events) != len(before.Events)+3 {
		t.Errorf("got %d events, want %d", len(c.Events), len(before.Events)+3)
	}
}

// TestMachineConcurrentActs: two people act on the same version; one wins,
// the other is told the case changed, nothing is lost or doubled.
func TestMachineConcurrentActs(t *testing.T) {
	f := newMachineFixture(t)
	c := f.state(t, "assigned")
	officer := machineOfficer(c)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, action := range []string{ActionAccept, ActionNote} {
		wg.Go(func() {
			_, errs[i] = f.engine.Act(context.Background(), officer, c.ID, action,
				ActionRequest{Version: c.Version, Note: fmt.Sprintf("第 %d 人", i)})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch weiquan.ErrorCode(err) {
		case "":
			won++
		case weiquan.EConflict:
		default:
			t.Errorf("got %v, want success or EConflict", err)
		}
	}
	stored, err := f.store.GetCase(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if won != 1 || stored.Version != c.Version+1 || len(stored.Events) != len(c.Events)+1 {
		t.Errorf("got %d winners, version %d, %d events; want 1, %d, %d", won, stored.Version, len(stored.Events),
			c.Version+1, len(c.Events)+1)
	}
}

func TestTransitionsAndGrounds(t *testing.T) {
	ts := Transitions()
	if got := len(ts); got != len(Actions()) {
		t.Fatalf("got %d transitions, want one per action (%d)", got, len(Actions()))
	}
	for _, tr := range ts {
		if tr.Label == "" || len(tr.From) == 0 || len(tr.Who) == 0 {
			t.Errorf("transition %+v lacks a label, a from status or who may act", tr)
		}
	}
	seen := map[string]bool{}
	for _, g := range Grounds() {
		if seen[g.Code] || !strings.Contains(g.Label, "第十五条") {
			t.Errorf("ground %+v: duplicate, or label does not cite Art. 15", g)
		}
		seen[g.Code] = true
	}
	for _, code := range []string{"not_consumer_dispute", "no_respondent_info", "court_or_arbitration", "already_handled",
		"time_barred", "not_jurisdiction", "not_market_supervision"} {
		if !seen[code] {
			t.Errorf("ground %s missing", code)
		}
	}
	g := Grounds()
	g[0].Code = "changed"
	if Grounds()[0].Code == "changed" {
		t.Error("Grounds returns the package's own slice")
	}
}
