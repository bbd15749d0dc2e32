package workflow

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"weiquan"
)

// RoleSystem is the role of the platform acting on its own: routing a new
// case, the deadline sweeper. It is not a valid staff role (weiquan.ValidRole
// refuses it), so no account can be created with it and an actor carrying it
// can only be built in code.
const RoleSystem weiquan.Role = "system"

// SystemActor is the actor of automatic transitions.
var SystemActor = weiquan.Actor{UserID: "system", Role: RoleSystem}

// Actions a case can be put through (DESIGN §6.3). Registration is not among
// them: Intake creates the case.
const (
	ActionRoute              = "route"
	ActionAssign             = "assign"
	ActionAccept             = "accept"
	ActionReject             = "reject"
	ActionReturn             = "return"
	ActionEscalate           = "escalate"
	ActionStartMediation     = "start_mediation"
	ActionPause              = "pause"
	ActionResume             = "resume"
	ActionRecordAgreement    = "record_agreement"
	ActionTerminate          = "terminate"
	ActionStartVerification  = "start_verification"
	ActionExtendVerification = "extend_verification"
	ActionDecide             = "decide"
	ActionAnswer             = "answer"
	ActionWithdraw           = "withdraw"
	ActionReopen             = "reopen"
	ActionLinkDuplicate      = "link_duplicate"
	ActionMerge              = "merge"
	ActionUnmerge            = "unmerge"
	ActionNote               = "note"
)

// A merged case (DESIGN §6.5) keeps its status and timeline and carries the
// flag and a link to the case it was merged into, so lists can hide it and
// an unmerge can restore it exactly.
const (
	FlagMerged     = "merged"
	LinkMergedInto = "merged_into"
)

// Event types the sweeper records besides the actions, whose events carry the
// action's name.
const (
	EventDeadlineWarning = "deadline_warning"
	EventDeadlineOverdue = "deadline_overdue"
)

// EngineStore is what the state machine needs from the system of record.
// (Intake's CaseStore in register.go is the create side.)
type EngineStore interface {
	GetCase(ctx context.Context, id string) (*weiquan.Case, error)
	// SaveCase writes c if the stored version is still expected, else
	// EConflict; on success c.Version is expected+1.
	SaveCase(ctx context.Context, c *weiquan.Case, expected int64) error
}

// Engine puts cases through the state machine. Every field is required; the
// Engine holds no state of its own and is safe for concurrent use.
type Engine struct {
	Store    EngineStore
	Router   *Router
	Units    *Units
	Calendar *Calendar
	Policies *Policies
	Now      func() time.Time // default time.Now
	// Owe returns the SMS a transition owes the complainant (the
	// notifications package decides which), recorded in the same write as
	// the transition so none is lost. Nil owes nothing.
	Owe func(c *weiquan.Case, event string, now time.Time) []weiquan.Message
	// Audit records every saved transition in the audit trail (audit.go).
	Audit Auditor
}

// ActionRequest is the body of an action. Version is always required; the
// other fields matter to the actions named beside them.
type ActionRequest struct {
	Version int64  `json:"version"`
	Note    string `json:"note"`
	// Public asks for the event to be shown to the complainant. It can only
	// widen: an event the complainant is entitled to see stays visible.
	Public             *bool  `json:"public"`
	Ground             string `json:"ground"`               // reject: an Order 20 Art. 15 ground code (Grounds)
	AmountRecoveredFen int64  `json:"amount_recovered_fen"` // record_agreement
	UnitID             string `json:"unit_id"`              // assign
	Track              string `json:"track"`                // assign, optional: derived from the unit's type
	Reason             string `json:"reason"`               // return, reopen, pause, unmerge
	Outcome            string `json:"outcome"`              // decide: filed | not_filed
	Answer             string `json:"answer"`               // answer
	CaseID             string `json:"case_id"`              // link_duplicate, merge: the other (surviving) case
}

// Text limits of a request, in characters.
const (
	machineMaxNote   = 2000
	machineMaxReason = 500
	machineMaxAnswer = 5000
	machineMaxCode   = 64
)

// Who may act, relative to the case: a set of capabilities computed for an
// actor and a case.
type machineWho uint8

const (
	whoSystem     machineWho = 1 << iota
	whoOperator              // any operator: the hotline is not tied to a unit
	whoOfficer               // an officer of the case's unit
	whoSupervisor            // a supervisor of the unit or above it, a dispatcher covering the case, or an admin
	whoDispatcher            // a supervisor with a dispatch centre covering the case, or an admin
)

var machineWhoNames = []struct {
	who        machineWho
	code, desc string
}{
	{whoSystem, "system", "系统"},
	{whoOperator, "operator", "话务员"},
	{whoOfficer, "officer", "本案承办单位的办案人员"},
	{whoSupervisor, "supervisor", "承办单位或其上级单位的监督人员、覆盖本案地区的指挥中心"},
	{whoDispatcher, "dispatcher", "覆盖本案地区的指挥中心（分派）人员"},
}

// machineRule is one row of the transition table.
type machineRule struct {
	action string
	label  string // Chinese, for messages and the UI
	from   []weiquan.Status
	// to is the status after the action; "" keeps the status (pause, notes).
	// route decides its own (assigned, closed or still registered).
	to      weiquan.Status
	outcome weiquan.Outcome // for actions that close with a fixed outcome
	kinds   []weiquan.Kind  // nil: every kind
	tracks  []weiquan.Track // nil: every track
	who     machineWho
	// public: the complainant should know (Art. 16/17/23: acceptance,
	// rejection, the end of mediation and closure are told to them).
	public bool
	apply  func(s *machineStep) error
}

var (
	machineOpen = []weiquan.Status{weiquan.StatusRegistered, weiquan.StatusAssigned, weiquan.StatusAccepted,
		weiquan.StatusMediating, weiquan.StatusVerifying}
	machineAny = append(slices.Clone(machineOpen), weiquan.StatusClosed)
)

// machineTable is DESIGN §6.3 in one place. Every action, automatic or
// human, is checked and applied through it.
var machineTable = []machineRule{
	{action: ActionRoute, label: "路由分派", from: []weiquan.Status{weiquan.StatusRegistered},
		who: whoSystem | whoDispatcher, public: true, apply: machineRoute},
	{action: ActionAssign, label: "指派", from: []weiquan.Status{weiquan.StatusRegistered}, to: weiquan.StatusAssigned,
		who: whoSystem | whoDispatcher, public: true, apply: machineManualAssign},
	{action: ActionAccept, label: "受理", from: []weiquan.Status{weiquan.StatusAssigned}, to: weiquan.StatusAccepted,
		kinds: []weiquan.Kind{weiquan.KindComplaint}, who: whoOfficer, public: true, apply: machineAccept},
	{action: ActionReject, label: "不予受理", from: []weiquan.Status{weiquan.StatusAssigned}, to: weiquan.StatusClosed,
		outcome: weiquan.OutcomeRejected, kinds: []weiquan.Kind{weiquan.KindComplaint}, who: whoOfficer, public: true,
		apply: machineReject},
	{action: ActionReturn, label: "退回指挥中心", from: []weiquan.Status{weiquan.StatusAssigned}, to: weiquan.StatusRegistered,
		who: whoOfficer, apply: machineReturn},
	{action: ActionEscalate, label: "转回属地市场监管部门", from: []weiquan.Status{weiquan.StatusAssigned},
		to: weiquan.StatusRegistered, tracks: []weiquan.Track{weiquan.TrackODR, weiquan.TrackStation},
		who: whoSystem | whoOfficer, apply: machineEscalate},
	{action: ActionStartMediation, label: "开始调解", from: []weiquan.Status{weiquan.StatusAccepted},
		to: weiquan.StatusMediating, kinds: []weiquan.Kind{weiquan.KindComplaint}, who: whoOfficer, public: true,
		apply: machineStartMediation},
	{action: ActionPause, label: "中止调解计时", from: []weiquan.Status{weiquan.StatusMediating},
		kinds: []weiquan.Kind{weiquan.KindComplaint}, who: whoOfficer, apply: machinePause},
	{action: ActionResume, label: "恢复调解计时", from: []weiquan.Status{weiquan.StatusMediating},
		kinds: []weiquan.Kind{weiquan.KindComplaint}, who: whoOfficer, apply: machineResume},
	{action: ActionRecordAgreement, label: "达成调解协议",
		from: []weiquan.Status{weiquan.StatusAccepted, weiquan.StatusMediating}, to: weiquan.StatusClosed,
		outcome: weiquan.OutcomeResolved, kinds: []weiquan.Kind{weiquan.KindComplaint}, who: whoOfficer, public: true,
		apply: machineRecordAgreement},
	{action: ActionTerminate, label: "终止调解",
		from: []weiquan.Status{weiquan.StatusAccepted, weiquan.StatusMediating}, to: weiquan.StatusClosed,
		outcome: weiquan.OutcomeMediationFailed, kinds: []weiquan.Kind{weiquan.KindComplaint},
		who: whoSystem | whoOfficer, public: true, apply: machineTerminate},
	{action: ActionStartVerification, label: "开始核查", from: []weiquan.Status{weiquan.StatusAssigned},
		to: weiquan.StatusVerifying, kinds: []weiquan.Kind{weiquan.KindReport}, who: whoOfficer, public: true,
		apply: machineStartVerification},
	{action: ActionExtendVerification, label: "延长核查期限", from: []weiquan.Status{weiquan.StatusVerifying},
		kinds: []weiquan.Kind{weiquan.KindReport}, who: whoOfficer | whoSupervisor, apply: machineExtendVerification},
	{action: ActionDecide, label: "作出是否立案决定", from: []weiquan.Status{weiquan.StatusVerifying},
		to: weiquan.StatusClosed, kinds: []weiquan.Kind{weiquan.KindReport}, who: whoOfficer, public: true,
		apply: machineDecide},
	{action: ActionAnswer, label: "答复咨询", from: []weiquan.Status{weiquan.StatusRegistered, weiquan.StatusAssigned},
		to: weiquan.StatusClosed, outcome: weiquan.OutcomeAnswered, kinds: []weiquan.Kind{weiquan.KindInquiry},
		who: whoOperator | whoOfficer | whoSupervisor, public: true, apply: machineAnswer},
	{action: ActionWithdraw, label: "撤回", from: machineOpen, to: weiquan.StatusClosed, outcome: weiquan.OutcomeWithdrawn,
		who: whoOperator | whoOfficer | whoSupervisor, public: true, apply: machineWithdraw},
	{action: ActionReopen, label: "重新办理", from: []weiquan.Status{weiquan.StatusClosed}, to: weiquan.StatusRegistered,
		who: whoSupervisor, apply: machineReopen},
	{action: ActionLinkDuplicate, label: "标记为重复投诉", from: machineOpen,
		who: whoOperator | whoOfficer | whoSupervisor, apply: machineLinkDuplicate},
	{action: ActionMerge, label: "合并至其他案件", from: machineOpen,
		who: whoOperator | whoOfficer | whoSupervisor, apply: machineMerge},
	// Undoing a merge is allowed whatever has happened to the case since:
	// the merge changed nothing but the flag and the link.
	{action: ActionUnmerge, label: "撤销合并", from: machineAny,
		who: whoOperator | whoOfficer | whoSupervisor, apply: machineUnmerge},
	{action: ActionNote, label: "添加备注", from: machineAny,
		who: whoOperator | whoOfficer | whoSupervisor, apply: machineNote},
}

var machineByAction = func() map[string]*machineRule {
	m := make(map[string]*machineRule, len(machineTable))
	for i := range machineTable {
		m[machineTable[i].action] = &machineTable[i]
	}
	return m
}()

// Actions lists every action name in table order.
func Actions() []string {
	out := make([]string, len(machineTable))
	for i, r := range machineTable {
		out[i] = r.action
	}
	return out
}

// Transition is a row of the state machine's table, for documentation and
// for clients that draw the workflow.
type Transition struct {
	Action string           `json:"action"`
	Label  string           `json:"label"`
	From   []weiquan.Status `json:"from"`
	// To is "" when the status does not change; for route it is assigned,
	// although a rejected case closes and a dispatched one stays registered.
	To      weiquan.Status  `json:"to,omitempty"`
	Outcome weiquan.Outcome `json:"outcome,omitempty"`
	Kinds   []weiquan.Kind  `json:"kinds,omitempty"`
	Tracks  []weiquan.Track `json:"tracks,omitempty"`
	// Who may act: system, operator, officer (of the case's unit),
	// supervisor (of the unit or above it, a dispatcher covering the case,
	// or an admin), dispatcher (covering the case, or an admin).
	Who    []string `json:"who"`
	Public bool     `json:"public"`
}

// Transitions returns the table in order.
func Transitions() []Transition {
	out := make([]Transition, 0, len(machineTable))
	for _, r := range machineTable {
		t := Transition{Action: r.action, Label: r.label, From: slices.Clone(r.from), To: r.to, Outcome: r.outcome,
			Kinds: slices.Clone(r.kinds), Tracks: slices.Clone(r.tracks), Public: r.public}
		if r.action == ActionRoute {
			t.To = weiquan.StatusAssigned
		}
		for _, w := range machineWhoNames {
			if r.who&w.who != 0 {
				t.Who = append(t.Who, w.code)
			}
		}
		out = append(out, t)
	}
	return out
}

// machineGrounds are the grounds of Order 20 Art. 15 (2022) on which a
// complaint is not accepted. Items 1, 2 and 5 each cover two different
// situations that a complainant is told apart, so they have two codes.
var machineGrounds = []weiquan.Term{
	{Code: "not_market_supervision", Label: "投诉事项不属于市场监督管理部门职责（第十五条第一项）"},
	{Code: "not_jurisdiction", Label: "本行政机关不具有处理权限（第十五条第一项）"},
	{Code: "court_or_arbitration", Label: "法院、仲裁机构已经受理或者处理过同一消费者权益争议（第十五条第二项）"},
	{Code: "already_handled", Label: "市场监督管理部门或者其他行政机关、消费者协会或者依法成立的其他调解组织已经受理或者处理过同一消费者权益争议（第十五条第二项）"},
	{Code: "not_consumer_dispute", Label: "不是为生活消费需要购买、使用商品或者接受服务，或者不能证明与被投诉人之间存在消费者权益争议（第十五条第三项）"},
	{Code: "time_barred", Label: "投诉人知道或者应当知道自己的权益受到被投诉人侵害之日起超过三年（第十五条第四项）"},
	{Code: "no_respondent_info", Label: "未提供被投诉人的名称（姓名）、地址（第十五条第五项、第九条第一款）"},
	{Code: "incomplete_materials", Label: "未提供投诉人的姓名、电话号码、通讯地址，具体的投诉请求和争议事实，或者委托代理的材料（第十五条第五项、第九条第一款、第十条）"},
	{Code: "other_legal_ground", Label: "法律、法规、规章规定不予受理的其他情形（第十五条第六项）"},
}

// Grounds lists the Order 20 Art. 15 grounds a complaint may be rejected on.
func Grounds() []weiquan.Term { return slices.Clone(machineGrounds) }

// machineStep is one action being applied to a working copy of a case.
type machineStep struct {
	ctx    context.Context
	e      *Engine
	c      *weiquan.Case
	actor  weiquan.Actor
	rule   *machineRule
	req    ActionRequest
	now    time.Time
	policy Policy

	// Set by apply: the status after the step (preset from the rule), the
	// event's note and visibility.
	to     weiquan.Status
	note   string
	public bool
	// then runs after the step's event is recorded, for a follow-up
	// transition in the same save (escalate re-routes to the agency).
	then func(s *machineStep) error
}

func (e *Engine) now() time.Time {
	if e.Now == nil {
		return weiquan.InShanghai(time.Now())
	}
	return weiquan.InShanghai(e.Now())
}

// Act applies an action to the stored case id on behalf of actor and saves
// the result. req.Version must be the version the actor saw: a case changed
// since is refused (EConflict) rather than acted on blind. Errors:
// ENotFound for an unknown case or action; EConflict for a stale version or
// an action not allowed in the case's status (or for its kind or track);
// EForbidden when the actor's role or unit may not; EValidation for bad
// request fields.
func (e *Engine) Act(ctx context.Context, actor weiquan.Actor, id, action string, req ActionRequest) (*weiquan.Case, error) {
	if _, ok := machineByAction[action]; !ok {
		return nil, &weiquan.Error{Code: weiquan.ENotFound, Message: fmt.Sprintf("没有名为“%s”的案件操作", action),
			Err: fmt.Errorf("act on case %s: unknown action %q", id, action)}
	}
	if req.Version <= 0 {
		return nil, weiquan.ValidationErrors{"version": {Code: "required", Message: "缺少案件版本号（version）"}}.Err()
	}
	c, err := e.Store.GetCase(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("%s case %s: %w", action, id, err)
	}
	c.NormalizeTimes()
	if c.Version != req.Version {
		return nil, machineStale(id, req.Version, c.Version)
	}
	next, err := e.machineApply(ctx, c, actor, action, req, e.now())
	if err != nil {
		return nil, err
	}
	if err := e.Store.SaveCase(ctx, next, c.Version); err != nil {
		return nil, fmt.Errorf("%s case %s: %w", action, id, err)
	}
	auditEvents(ctx, e.Audit, actor, c, next)
	return next, nil
}

// RouteNew routes a case that Intake has just registered: to its unit with
// deadlines (assigned), out of jurisdiction (closed, rejected, with the
// hotline to call), or to the dispatch centre when no rule places it (stays
// registered). c must be as stored; the saved case is returned and c is left
// as it was.
func (e *Engine) RouteNew(ctx context.Context, c *weiquan.Case) (*weiquan.Case, error) {
	c = machineClone(c)
	c.NormalizeTimes()
	next, err := e.route(ctx, c, e.now())
	if err != nil {
		return nil, err
	}
	if err := e.Store.SaveCase(ctx, next, c.Version); err != nil {
		return nil, fmt.Errorf("route new case %s: %w", c.ID, err)
	}
	auditEvents(ctx, e.Audit, SystemActor, c, next)
	return next, nil
}

// route applies the routing transition to c in memory, as the system.
// Intake uses it to route a case before its first write; RouteNew, to route
// one already stored.
func (e *Engine) route(ctx context.Context, c *weiquan.Case, now time.Time) (*weiquan.Case, error) {
	return e.machineApply(ctx, c, SystemActor, ActionRoute, ActionRequest{Version: c.Version}, now)
}

// Allowed lists the actions actor may take on c now, by status, kind, track
// and permission (a request can still fail on its fields), for showing only
// the buttons that work.
func (e *Engine) Allowed(actor weiquan.Actor, c *weiquan.Case) []string {
	caps := e.machineCaps(actor, c)
	var out []string
	for i := range machineTable {
		r := &machineTable[i]
		if r.who&caps != 0 && machineCheckState(r, c) == nil {
			out = append(out, r.action)
		}
	}
	return out
}

func machineStale(id string, got, stored int64) error {
	return weiquan.WrapError(weiquan.EConflict, "案件已被他人修改，请刷新后重试",
		fmt.Errorf("case %s: request is for version %d, stored version is %d", id, got, stored))
}

// machineApply checks and applies one action to a copy of c and returns the
// copy; c is not modified. It does not save: Act, RouteNew and the sweeper
// save with compare-and-swap on c.Version.
func (e *Engine) machineApply(ctx context.Context, c *weiquan.Case, actor weiquan.Actor, action string, req ActionRequest, now time.Time) (*weiquan.Case, error) {
	rule, ok := machineByAction[action]
	if !ok {
		return nil, &weiquan.Error{Code: weiquan.ENotFound, Message: fmt.Sprintf("没有名为“%s”的案件操作", action),
			Err: fmt.Errorf("case %s: unknown action %q", c.ID, action)}
	}
	caps := e.machineCaps(actor, c)
	if rule.who&caps == 0 {
		return nil, e.machineForbidden(rule, actor, c)
	}
	if err := machineCheckState(rule, c); err != nil {
		return nil, err
	}
	if err := machineCheckText(req); err != nil {
		return nil, err
	}
	policy, err := e.Policies.ForCase(c)
	if err != nil {
		return nil, fmt.Errorf("%s case %s: %w", action, c.ID, err)
	}
	s := &machineStep{ctx: ctx, e: e, c: machineClone(c), actor: actor, rule: rule, req: req, now: now, policy: policy,
		to: rule.to, public: rule.public, note: strings.TrimSpace(req.Note)}
	from := c.Status
	if s.to == "" {
		s.to = from
	}
	if err := rule.apply(s); err != nil {
		return nil, err
	}
	if req.Public != nil && *req.Public {
		s.public = true
	}
	if s.c.Policy == "" {
		s.c.Policy = policy.ID
	}
	s.c.Status = s.to
	if s.to == weiquan.StatusClosed && rule.outcome != "" {
		s.c.Outcome = rule.outcome
	}
	s.event(rule.action, from, s.to, s.public, s.note)
	if s.then != nil {
		if err := s.then(s); err != nil {
			return nil, err
		}
	}
	// Every change of unit (routing, assign, return, escalate, reopen) passes
	// here: the unit now holding the case joins its trail.
	s.c.NoteUnit(c)
	e.Units.keepReadableTrail(s.c)
	s.c.UpdatedAt = now
	if e.Owe != nil {
		s.c.Messages = append(s.c.Messages, e.Owe(s.c, rule.action, now)...)
	}
	return s.c, nil
}

// event appends a timeline entry by the step's actor.
func (s *machineStep) event(typ string, from, to weiquan.Status, public bool, note string) {
	machineAppendEvent(s.c, weiquan.Event{At: s.now, Actor: actorName(s.actor), Type: typ, From: from, To: to,
		Public: public, Note: note})
}

func machineAppendEvent(c *weiquan.Case, ev weiquan.Event) {
	ev.Seq = 1
	if n := len(c.Events); n > 0 {
		ev.Seq = c.Events[n-1].Seq + 1
	}
	c.Events = append(c.Events, ev)
}

// machineClone copies c deeply enough that changing the copy's slices and
// deadlines never shows through to c (deadline pointers are replaced, never
// written through, so they may be shared).
func machineClone(c *weiquan.Case) *weiquan.Case {
	n := *c
	n.Demands = slices.Clone(c.Demands)
	n.Links = slices.Clone(c.Links)
	n.Events = slices.Clone(c.Events)
	n.Alerts = slices.Clone(c.Alerts)
	n.Flags = slices.Clone(c.Flags)
	n.Messages = slices.Clone(c.Messages)
	n.UnitTrail = slices.Clone(c.UnitTrail)
	if c.Routing != nil {
		r := *c.Routing
		r.Explanation = slices.Clone(r.Explanation)
		n.Routing = &r
	}
	return &n
}

// machineCaps computes what actor is with respect to c.
func (e *Engine) machineCaps(actor weiquan.Actor, c *weiquan.Case) machineWho {
	switch actor.Role {
	case RoleSystem:
		return whoSystem
	case weiquan.RoleOperator:
		return whoOperator
	case weiquan.RoleOfficer:
		if c.UnitID != "" && slices.Contains(actor.UnitIDs, c.UnitID) {
			return whoOfficer
		}
	case weiquan.RoleSupervisor:
		var w machineWho
		if e.machineDispatcherCovers(actor, c) {
			w |= whoSupervisor | whoDispatcher
		}
		if c.UnitID != "" {
			for _, a := range e.Units.Ancestors(c.UnitID) {
				if slices.Contains(actor.UnitIDs, a) {
					w |= whoSupervisor
					break
				}
			}
		}
		return w
	case weiquan.RoleAdmin:
		// An administrator stands where the province's supervisor does.
		return whoSupervisor | whoDispatcher
	}
	return 0
}

// machineDispatcherCovers: the actor belongs to the province's dispatch
// centre, to the dispatch centre of the case's city (by the respondent's
// division, else by the unit holding the case), or to the dispatch centre
// the case sits with.
func (e *Engine) machineDispatcherCovers(actor weiquan.Actor, c *weiquan.Case) bool {
	city := weiquan.CityCode(c.Respondent.DivisionCode)
	if city == "" && c.UnitID != "" {
		if u, ok := e.Units.Get(c.UnitID); ok {
			city = weiquan.CityCode(u.DivisionCode)
		}
	}
	for _, id := range actor.UnitIDs {
		u, ok := e.Units.Get(id)
		if !ok || u.Type != weiquan.UnitDispatch {
			continue
		}
		if u.DivisionCode == weiquan.ProvinceCode || id == c.UnitID || (city != "" && u.DivisionCode == city) {
			return true
		}
	}
	return false
}

func (e *Engine) machineForbidden(r *machineRule, actor weiquan.Actor, c *weiquan.Case) error {
	var need []string
	for _, w := range machineWhoNames {
		if r.who&w.who == 0 {
			continue
		}
		// A supervisor covers a dispatcher; naming both says the same twice.
		if w.who == whoDispatcher && r.who&whoSupervisor != 0 {
			continue
		}
		need = append(need, w.desc)
	}
	msg := fmt.Sprintf("“%s”只能由%s执行", r.label, strings.Join(need, "或"))
	unit := c.UnitID
	if unit == "" {
		unit = "（尚未分派）"
	}
	switch {
	case actor.Role == weiquan.RoleOfficer && r.who&whoOfficer != 0:
		msg += fmt.Sprintf("；本案承办单位为 %s，不在您所属的单位中", unit)
	case actor.Role == weiquan.RoleSupervisor && r.who&(whoSupervisor|whoDispatcher) != 0:
		msg += fmt.Sprintf("；本案承办单位 %s 及所在地区不在您监督或分派的范围内", unit)
	case actor.Role == weiquan.RoleSupervisor && r.who&whoOfficer != 0:
		msg += "；监督人员不能代替承办单位办理"
	}
	return &weiquan.Error{Code: weiquan.EForbidden, Message: msg,
		Err: fmt.Errorf("case %s: %s (role %q, units %v) may not %s", c.ID, actor.UserID, actor.Role, actor.UnitIDs, r.action)}
}

// machineCheckState refuses an action that the case's status, kind or track
// does not allow.
func machineCheckState(r *machineRule, c *weiquan.Case) error {
	if !slices.Contains(r.from, c.Status) {
		labels := make([]string, len(r.from))
		for i, st := range r.from {
			labels[i] = machineLabel(weiquan.Vocabulary.Statuses, string(st))
		}
		return &weiquan.Error{Code: weiquan.EConflict,
			Message: fmt.Sprintf("案件当前状态为“%s”，不能%s（仅限%s状态）",
				machineLabel(weiquan.Vocabulary.Statuses, string(c.Status)), r.label, strings.Join(labels, "、")),
			Err: fmt.Errorf("case %s: %s not allowed from status %s", c.ID, r.action, c.Status)}
	}
	if r.kinds != nil && !slices.Contains(r.kinds, c.Kind) {
		labels := make([]string, len(r.kinds))
		for i, k := range r.kinds {
			labels[i] = machineLabel(weiquan.Vocabulary.Kinds, string(k))
		}
		return &weiquan.Error{Code: weiquan.EConflict,
			Message: fmt.Sprintf("“%s”只适用于%s，本案是%s", r.label, strings.Join(labels, "、"),
				machineLabel(weiquan.Vocabulary.Kinds, string(c.Kind))),
			Err: fmt.Errorf("case %s: %s not allowed for kind %s", c.ID, r.action, c.Kind)}
	}
	if r.tracks != nil && !slices.Contains(r.tracks, c.Track) {
		labels := make([]string, len(r.tracks))
		for i, t := range r.tracks {
			labels[i] = machineLabel(weiquan.Vocabulary.Tracks, string(t))
		}
		return &weiquan.Error{Code: weiquan.EConflict,
			Message: fmt.Sprintf("“%s”只适用于%s的案件，本案为%s", r.label, strings.Join(labels, "、"),
				machineLabel(weiquan.Vocabulary.Tracks, string(c.Track))),
			Err: fmt.Errorf("case %s: %s not allowed on track %q", c.ID, r.action, c.Track)}
	}
	return nil
}

func machineLabel(terms []weiquan.Term, code string) string {
	if code == "" {
		return "未定"
	}
	if t, ok := weiquan.Lookup(terms, code); ok {
		return t.Label
	}
	return code
}

func machineCheckText(req ActionRequest) error {
	v := weiquan.ValidationErrors{}
	for _, f := range []struct {
		name, label, value string
		max                int
	}{
		{"note", "备注", req.Note, machineMaxNote},
		{"reason", "理由", req.Reason, machineMaxReason},
		{"answer", "答复", req.Answer, machineMaxAnswer},
		// Codes and ids: checked against what exists later, but a megabyte
		// of one is refused before anything looks it up.
		{"ground", "不予受理理由", req.Ground, machineMaxCode},
		{"unit_id", "承办单位", req.UnitID, machineMaxCode},
		{"track", "处理方式", req.Track, machineMaxCode},
		{"outcome", "决定", req.Outcome, machineMaxCode},
		{"case_id", "案件编号", req.CaseID, machineMaxCode},
	} {
		if utf8.RuneCountInString(f.value) > f.max {
			v.Add(f.name, "too_long", fmt.Sprintf("%s不能超过 %d 个字", f.label, f.max))
		}
	}
	return v.Err()
}

// machineRequired is a one-field EValidation for a missing field.
func machineRequired(field, message string) error {
	return weiquan.ValidationErrors{field: {Code: "required", Message: message}}.Err()
}

func machineInvalid(field, message string) error {
	return weiquan.ValidationErrors{field: {Code: "invalid", Message: message}}.Err()
}

// machineRefuse is EConflict for an action the case's state does not allow
// beyond its status (mediation already paused, no consent, …).
func machineRefuse(s *machineStep, message, detail string) error {
	return &weiquan.Error{Code: weiquan.EConflict, Message: message,
		Err: fmt.Errorf("case %s: %s: %s", s.c.ID, s.rule.action, detail)}
}

// withNote appends the person's own note to a generated one.
func (s *machineStep) withNote(generated string) string {
	if n := strings.TrimSpace(s.req.Note); n != "" {
		return generated + "。" + n
	}
	return generated
}

func machineDate(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(weiquan.Shanghai).Format(time.DateOnly)
}

func machineTime(t time.Time) *time.Time { return &t }

func (s *machineStep) unitName(id string) string {
	if u, ok := s.e.Units.Get(id); ok {
		return u.Name
	}
	return id
}

// machineRoute runs the routing rules on a registered case.
func machineRoute(s *machineStep) error {
	return s.applyDecision(s.e.Router.Route(s.c))
}

// applyDecision carries out a routing decision on the step's case.
func (s *machineStep) applyDecision(d Decision) error {
	rec := d.Record(s.now)
	s.c.Routing = &rec
	switch d.Action {
	case DecisionAssign:
		if _, ok := s.e.Units.Get(d.UnitID); !ok {
			return fmt.Errorf("route case %s: rule %s (line %d) names unknown unit %q", s.c.ID, d.Rule, d.Line, d.UnitID)
		}
		s.to = weiquan.StatusAssigned
		s.public = true
		s.note = s.withNote(s.assign(d.Track, d.UnitID, d.Department))
	case DecisionReject:
		s.to = weiquan.StatusClosed
		s.public = true
		s.c.Outcome = weiquan.OutcomeRejected
		s.c.Result.Ground, s.c.Result.Hotline = d.Ground, d.Hotline
		s.c.UnitID, s.c.Track = "", weiquan.TrackNone
		note := "不予受理：" + machineLabel(machineGrounds, d.Ground)
		if d.Hotline != "" {
			note += fmt.Sprintf("。请拨打 %s 反映", d.Hotline)
		}
		s.note = s.withNote(note)
	case DecisionDispatch:
		s.to = weiquan.StatusRegistered
		s.public = false
		s.c.UnitID, s.c.Track = d.UnitID, weiquan.TrackNone
		if d.Department != "" {
			s.c.Department = d.Department
		}
		s.c.Deadlines.AcceptBy, s.c.Deadlines.TrackBy = nil, nil
		s.note = s.withNote(fmt.Sprintf("路由规则未能确定承办单位，转%s人工分派", s.unitName(d.UnitID)))
	default:
		return fmt.Errorf("route case %s: routing returned unknown action %q", s.c.ID, d.Action)
	}
	return nil
}

// assign gives the case to a unit on a track and starts the unit's time
// limit: the ODR enterprise's or station's own (the unit's DeadlineDays, else
// the policy's), or the acceptance limit, counted from today, the day the
// unit receives it. It returns the event note.
func (s *machineStep) assign(track weiquan.Track, unitID, department string) string {
	c, p, cal := s.c, s.policy, s.e.Calendar
	c.Track, c.UnitID = track, unitID
	if department != "" {
		c.Department = department
	}
	c.Deadlines.AcceptBy, c.Deadlines.TrackBy = nil, nil
	unit, _ := s.e.Units.Get(unitID)
	note := fmt.Sprintf("已分派至%s（%s）", unit.Name, machineLabel(weiquan.Vocabulary.Tracks, string(track)))
	switch track {
	case weiquan.TrackODR, weiquan.TrackStation:
		n := p.ODRDays
		if track == weiquan.TrackStation {
			n = p.StationDays
		}
		if unit.DeadlineDays > 0 {
			n = unit.DeadlineDays
		}
		c.Deadlines.TrackBy = machineTime(cal.AddWorkingDays(s.now, n))
		note += fmt.Sprintf("，应于 %s 前处理完毕，逾期转属地市场监管部门", machineDate(c.Deadlines.TrackBy))
	default:
		// An inquiry is answered, not accepted: it has no acceptance limit.
		if c.Kind != weiquan.KindInquiry {
			c.Deadlines.AcceptBy = machineTime(cal.AddWorkingDays(s.now, p.AcceptDays))
			note += fmt.Sprintf("，应于 %s 前决定是否受理", machineDate(c.Deadlines.AcceptBy))
		}
	}
	return note
}

// machineManualAssign is the dispatcher placing a case routing could not.
func machineManualAssign(s *machineStep) error {
	id := strings.TrimSpace(s.req.UnitID)
	if id == "" {
		return machineRequired("unit_id", "请选择承办单位")
	}
	unit, ok := s.e.Units.Get(id)
	if !ok {
		return machineInvalid("unit_id", fmt.Sprintf("承办单位 %s 不存在", id))
	}
	track := weiquan.Track(strings.TrimSpace(s.req.Track))
	fits := machineTracksFor(unit.Type, s.c.Kind)
	if len(fits) == 0 {
		return machineInvalid("unit_id", fmt.Sprintf("%s是指挥中心，不能作为承办单位", unit.Name))
	}
	if track == "" {
		track = fits[0]
	} else if !slices.Contains(fits, track) {
		return machineInvalid("track", fmt.Sprintf("%s不能以“%s”方式办理本案", unit.Name,
			machineLabel(weiquan.Vocabulary.Tracks, string(track))))
	}
	dept := s.c.Department
	if dept == "" {
		dept = DepartmentFor(s.c.Channel)
	}
	explanation := fmt.Sprintf("由 %s 人工指派至 %s", actorName(s.actor), id)
	s.c.Routing = &weiquan.RoutingDecision{Rule: "manual", Track: track, UnitID: id, Department: dept,
		Explanation: []string{explanation}, At: s.now}
	s.note = s.withNote(s.assign(track, id, dept))
	return nil
}

// machineTracksFor lists the tracks a unit of type t can handle a case of
// kind k on, the natural one first.
func machineTracksFor(t weiquan.UnitType, k weiquan.Kind) []weiquan.Track {
	switch t {
	case weiquan.UnitEnterprise:
		return []weiquan.Track{weiquan.TrackODR}
	case weiquan.UnitStation:
		return []weiquan.Track{weiquan.TrackStation}
	case weiquan.UnitArbitration:
		return []weiquan.Track{weiquan.TrackArbitration}
	case weiquan.UnitAgency:
		switch k {
		case weiquan.KindReport:
			return []weiquan.Track{weiquan.TrackEnforcement, weiquan.TrackAgency}
		case weiquan.KindInquiry:
			return []weiquan.Track{weiquan.TrackAnswer, weiquan.TrackAgency}
		}
		return []weiquan.Track{weiquan.TrackAgency, weiquan.TrackEnforcement}
	}
	return nil
}

func machineAccept(s *machineStep) error {
	s.c.Deadlines.MediateBy = machineTime(s.e.Calendar.AddWorkingDays(s.now, s.policy.MediateDays))
	s.note = s.withNote(fmt.Sprintf("%s已受理，调解期限至 %s", s.unitName(s.c.UnitID), machineDate(s.c.Deadlines.MediateBy)))
	return nil
}

func machineReject(s *machineStep) error {
	g := strings.TrimSpace(s.req.Ground)
	if g == "" {
		return machineRequired("ground", "请选择不予受理的理由（《市场监督管理投诉举报处理暂行办法》第十五条）")
	}
	term, ok := weiquan.Lookup(machineGrounds, g)
	if !ok {
		return machineInvalid("ground", "不予受理的理由应为第十五条所列情形之一")
	}
	s.c.Result.Ground = g
	s.c.Result.Note = strings.TrimSpace(s.req.Note)
	s.note = s.withNote("不予受理：" + term.Label)
	return nil
}

// machineReturn hands a case the unit is not competent for back to the
// dispatcher (Order 20 Art. 37: a unit does not pass it on by itself). The
// case waits at the dispatch centre like one routing could not place.
func machineReturn(s *machineStep) error {
	r := strings.TrimSpace(s.req.Reason)
	if r == "" {
		return machineRequired("reason", "请填写退回理由")
	}
	from := s.c.UnitID
	s.c.UnitID, s.c.Track = s.e.Units.DispatchFor(s.c.Respondent.DivisionCode), weiquan.TrackNone
	s.c.Deadlines.AcceptBy, s.c.Deadlines.TrackBy = nil, nil
	s.note = s.withNote(fmt.Sprintf("%s退回%s：%s", s.unitName(from), s.unitName(s.c.UnitID), r))
	return nil
}

// machineEscalate takes a case from an ODR enterprise or station that did not
// settle it back to routing, which sends it to the respondent's county
// agency (or the dispatcher when there is none), in the same save.
func machineEscalate(s *machineStep) error {
	from := s.c.UnitID
	s.c.Deadlines.TrackBy = nil
	note := fmt.Sprintf("%s未能在期限内处理完毕，转回属地市场监管部门", s.unitName(from))
	if s.actor.Role != RoleSystem {
		note = fmt.Sprintf("%s申请转回属地市场监管部门", s.unitName(from))
	}
	s.note = s.withNote(note)
	s.then = func(s *machineStep) error {
		div := s.c.Respondent.DivisionCode
		d := Decision{Action: DecisionDispatch, UnitID: s.e.Units.DispatchFor(div), Department: s.c.Department,
			Rule: "escalate", Explanation: []string{fmt.Sprintf("%s (%s) did not settle the case: back to the respondent's county agency", from, s.c.Track)}}
		if agency, ok := s.e.Units.AgencyFor(div); ok {
			d = Decision{Action: DecisionAssign, Track: weiquan.TrackAgency, UnitID: agency, Department: s.c.Department,
				Rule: "escalate", Explanation: append(d.Explanation, fmt.Sprintf("respondent division %s → %s", div, agency))}
		} else {
			d.Explanation = append(d.Explanation, fmt.Sprintf("respondent division %q has no agency → dispatcher %s", div, d.UnitID))
		}
		// The rule stays unset: applyDecision needs none, and naming the
		// route row here would make the table refer to itself.
		route := &machineStep{ctx: s.ctx, e: s.e, c: s.c, actor: SystemActor, now: s.now, policy: s.policy}
		if err := route.applyDecision(d); err != nil {
			return err
		}
		from := s.c.Status
		s.c.Status = route.to
		route.event(ActionRoute, from, route.to, route.public, route.note)
		return nil
	}
	return nil
}

func machineStartMediation(s *machineStep) error {
	if !s.c.Consent.Mediation {
		return machineRefuse(s, "投诉人未同意调解，不能开始调解", "no consent to mediation")
	}
	s.note = s.withNote(fmt.Sprintf("开始调解，调解期限至 %s", machineDate(s.c.Deadlines.MediateBy)))
	return nil
}

// machinePause stops the mediation clock for testing, appraisal and the like
// (Order 20 Art. 20).
func machinePause(s *machineStep) error {
	if s.c.Mediation.PausedAt != nil {
		return machineRefuse(s, "调解计时已中止，请先恢复", "already paused")
	}
	r := strings.TrimSpace(s.req.Reason)
	if r == "" {
		return machineRequired("reason", "请填写中止计时的理由（如检测、检验、鉴定）")
	}
	s.c.Mediation.PausedAt = machineTime(s.now)
	s.note = s.withNote("中止调解计时：" + r)
	return nil
}

// machineResume gives back the working days the pause took: mediate_by moves
// by the working days from the pause up to today.
func machineResume(s *machineStep) error {
	if s.c.Mediation.PausedAt == nil {
		return machineRefuse(s, "调解计时未中止，无需恢复", "not paused")
	}
	n := s.endPause()
	s.note = s.withNote(fmt.Sprintf("恢复调解计时，中止 %d 个工作日，调解期限顺延至 %s", n, machineDate(s.c.Deadlines.MediateBy)))
	return nil
}

// endPause ends a running pause, moving mediate_by, and returns the working
// days it lasted.
func (s *machineStep) endPause() int {
	m := &s.c.Mediation
	if m.PausedAt == nil {
		return 0
	}
	n := max(s.e.Calendar.WorkingDaysBetween(*m.PausedAt, s.now), 0)
	if n > 0 && s.c.Deadlines.MediateBy != nil {
		s.c.Deadlines.MediateBy = machineTime(s.e.Calendar.AddWorkingDays(*s.c.Deadlines.MediateBy, n))
	}
	m.PausedDays += n
	m.PausedAt = nil
	return n
}

func machineRecordAgreement(s *machineStep) error {
	if s.req.AmountRecoveredFen < 0 {
		return weiquan.ValidationErrors{"amount_recovered_fen": {Code: "out_of_range", Message: "挽回经济损失不能为负数"}}.Err()
	}
	s.endPause()
	s.c.Result.AmountRecoveredFen = s.req.AmountRecoveredFen
	s.c.Result.Note = strings.TrimSpace(s.req.Note)
	s.note = s.withNote(fmt.Sprintf("调解成功，达成协议，挽回经济损失 %s 元", machineYuan(s.req.AmountRecoveredFen)))
	return nil
}

func machineYuan(fen int64) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) }

// machineTerminate ends mediation without agreement; both parties are told
// within the policy's notice days (Art. 23).
func machineTerminate(s *machineStep) error {
	s.endPause()
	s.c.Deadlines.NoticeBy = machineTime(s.e.Calendar.AddWorkingDays(s.now, s.policy.TerminationNoticeDays))
	s.c.Result.Note = strings.TrimSpace(s.req.Note)
	note := "终止调解"
	if s.actor.Role == RoleSystem {
		note = fmt.Sprintf("调解期限（%s）届满未达成协议，终止调解", machineDate(s.c.Deadlines.MediateBy))
	}
	s.note = s.withNote(note)
	return nil
}

func machineStartVerification(s *machineStep) error {
	s.c.Deadlines.VerifyBy = machineTime(s.e.Calendar.AddWorkingDays(s.now, s.policy.VerifyDays))
	s.note = s.withNote(fmt.Sprintf("开始核查举报线索，核查期限至 %s", machineDate(s.c.Deadlines.VerifyBy)))
	return nil
}

// machineExtendVerification grants the policy's extra days once, with a note
// recording the approval.
func machineExtendVerification(s *machineStep) error {
	if s.policy.VerifyExtensionDays <= 0 {
		return machineRefuse(s, fmt.Sprintf("时限政策 %s 不允许延长核查期限", s.policy.ID), "policy has no extension")
	}
	for i := len(s.c.Events) - 1; i >= 0; i-- {
		typ := s.c.Events[i].Type
		if typ == ActionStartVerification {
			break
		}
		if typ == ActionExtendVerification {
			return machineRefuse(s, "核查期限已延长过，不能再次延长", "already extended")
		}
	}
	if strings.TrimSpace(s.req.Note) == "" {
		return machineRequired("note", "请注明延长核查期限的批准情况")
	}
	if s.c.Deadlines.VerifyBy == nil {
		return fmt.Errorf("extend verification of case %s: verifying without verify_by", s.c.ID)
	}
	s.c.Deadlines.VerifyBy = machineTime(s.e.Calendar.AddWorkingDays(*s.c.Deadlines.VerifyBy, s.policy.VerifyExtensionDays))
	s.note = s.withNote(fmt.Sprintf("经批准延长核查期限 %d 个工作日，至 %s", s.policy.VerifyExtensionDays,
		machineDate(s.c.Deadlines.VerifyBy)))
	return nil
}

// machineDecide closes a report filed or not filed; a reporter who gave a
// name is told within the policy's days.
func machineDecide(s *machineStep) error {
	o := weiquan.Outcome(strings.TrimSpace(s.req.Outcome))
	switch o {
	case "":
		return machineRequired("outcome", "请选择立案或不予立案")
	case weiquan.OutcomeFiled, weiquan.OutcomeNotFiled:
	default:
		return machineInvalid("outcome", "决定应为立案（filed）或不予立案（not_filed）")
	}
	s.c.Outcome = o
	s.c.Result.Note = strings.TrimSpace(s.req.Note)
	note := machineLabel(weiquan.Vocabulary.Outcomes, string(o))
	if !s.c.Complainant.Anonymous && strings.TrimSpace(s.c.Complainant.Name) != "" {
		s.c.Deadlines.NoticeBy = machineTime(s.e.Calendar.AddWorkingDays(s.now, s.policy.ReporterNoticeDays))
		note += fmt.Sprintf("，应于 %s 前告知举报人", machineDate(s.c.Deadlines.NoticeBy))
	}
	s.note = s.withNote(note)
	return nil
}

func machineAnswer(s *machineStep) error {
	a := strings.TrimSpace(s.req.Answer)
	if a == "" {
		return machineRequired("answer", "请填写答复内容")
	}
	s.c.Result.Answer = a
	s.note = s.withNote("已答复：" + a)
	return nil
}

func machineWithdraw(s *machineStep) error {
	s.endPause()
	s.note = s.withNote("投诉人撤回")
	return nil
}

// machineReopen puts a closed case back with the dispatcher: what closing
// established no longer holds, and its time limits start again when it is
// assigned.
func machineReopen(s *machineStep) error {
	r := strings.TrimSpace(s.req.Reason)
	if r == "" {
		return machineRequired("reason", "请填写重新办理的理由")
	}
	c := s.c
	prev := machineLabel(weiquan.Vocabulary.Outcomes, string(c.Outcome))
	c.Outcome = weiquan.OutcomeNone
	c.Result = weiquan.Result{}
	c.Deadlines = weiquan.Deadlines{}
	c.Mediation = weiquan.Mediation{}
	c.UnitID, c.Track = s.e.Units.DispatchFor(c.Respondent.DivisionCode), weiquan.TrackNone
	s.note = s.withNote(fmt.Sprintf("重新办理（原结果：%s）：%s", prev, r))
	return nil
}

func machineLinkDuplicate(s *machineStep) error {
	other := strings.TrimSpace(s.req.CaseID)
	switch {
	case other == "":
		return machineRequired("case_id", "请填写重复的案件编号")
	case other == s.c.ID:
		return machineInvalid("case_id", "不能把案件标记为自身的重复")
	}
	for _, l := range s.c.Links {
		if l.Type == "duplicate_of" && l.CaseID == other {
			return machineRefuse(s, fmt.Sprintf("本案已标记为 %s 的重复", other), "already linked to "+other)
		}
	}
	if _, err := s.e.Store.GetCase(s.ctx, other); err != nil {
		if weiquan.ErrorCode(err) == weiquan.ENotFound {
			return machineInvalid("case_id", fmt.Sprintf("案件 %s 不存在", other))
		}
		return fmt.Errorf("link case %s to %s: %w", s.c.ID, other, err)
	}
	s.c.Links = append(s.c.Links, weiquan.Link{Type: "duplicate_of", CaseID: other})
	s.note = s.withNote(fmt.Sprintf("标记为案件 %s 的重复", other))
	return nil
}

// machineMerge folds the step's case into the surviving case req.CaseID.
// Only the merged case is written: the survivor is read to check it, so the
// merge stays one atomic update, and neither timeline is moved or cut.
func machineMerge(s *machineStep) error {
	other := strings.TrimSpace(s.req.CaseID)
	switch {
	case other == "":
		return machineRequired("case_id", "请填写合并至的案件编号")
	case other == s.c.ID:
		return machineInvalid("case_id", "不能把案件合并至自身")
	}
	if slices.Contains(s.c.Flags, FlagMerged) {
		return machineRefuse(s, "本案已合并至其他案件，请先撤销合并", "already merged")
	}
	target, err := s.e.Store.GetCase(s.ctx, other)
	if err != nil {
		if weiquan.ErrorCode(err) == weiquan.ENotFound {
			return machineInvalid("case_id", fmt.Sprintf("案件 %s 不存在", other))
		}
		return fmt.Errorf("merge case %s into %s: %w", s.c.ID, other, err)
	}
	if !slices.Contains(machineOpen, target.Status) {
		return machineRefuse(s, fmt.Sprintf("案件 %s 已办结，不能合并至该案件", other),
			fmt.Sprintf("target %s is %s", other, target.Status))
	}
	// A merged survivor is hidden from lists: merging into it would hide
	// this case behind one nobody works on.
	if slices.Contains(target.Flags, FlagMerged) {
		return machineRefuse(s, fmt.Sprintf("案件 %s 本身已合并至其他案件，请合并至最终保留的案件", other),
			fmt.Sprintf("target %s is merged", other))
	}
	s.c.Links = append(s.c.Links, weiquan.Link{Type: LinkMergedInto, CaseID: other})
	s.c.Flags = append(s.c.Flags, FlagMerged)
	s.note = s.withNote(fmt.Sprintf("合并至案件 %s", other))
	return nil
}

// machineUnmerge undoes a merge: the flag and the merged_into link go, the
// timeline keeps both the merge and its undoing.
func machineUnmerge(s *machineStep) error {
	if !slices.Contains(s.c.Flags, FlagMerged) {
		return machineRefuse(s, "本案未被合并，无需撤销", "not merged")
	}
	r := strings.TrimSpace(s.req.Reason)
	if r == "" {
		return machineRequired("reason", "请填写撤销合并的理由")
	}
	var into []string
	s.c.Links = slices.DeleteFunc(s.c.Links, func(l weiquan.Link) bool {
		if l.Type == LinkMergedInto {
			into = append(into, l.CaseID)
			return true
		}
		return false
	})
	s.c.Flags = slices.DeleteFunc(s.c.Flags, func(f string) bool { return f == FlagMerged })
	s.note = s.withNote(fmt.Sprintf("撤销合并至案件 %s：%s", strings.Join(into, "、"), r))
	return nil
}

func machineNote(s *machineStep) error {
	if strings.TrimSpace(s.req.Note) == "" {
		return machineRequired("note", "请填写备注内容")
	}
	return nil
}
