package handlers

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/search"
	"weiquan/workflow"
)

// The officer's desk: the unit's queue by deadline and the case page with
// the actions the state machine allows. Every decision (who may see a case,
// which actions it allows, what an action does) is made by the same code the
// API uses: scopedSearch, readableCase, Engine.Allowed and Engine.Act. The
// templates only show what these answer.

// deskPages registers the desk pages.
func (s *Server) deskPages(app *fiber.App) {
	desk := []fiber.Handler{s.requirePageSession, requireRole(weiquan.RoleOfficer, weiquan.RoleSupervisor)}
	app.Get("/desk", append(desk, s.deskQueue)...)
	// Administrators read the dashboard and follow its links to cases, read
	// only: acting on cases is the units' and the dispatchers' work.
	app.Get("/desk/cases/:id", s.requirePageSession,
		requireRole(weiquan.RoleOfficer, weiquan.RoleSupervisor, weiquan.RoleAdmin), s.deskCase)
	app.Post("/desk/cases/:id/full", append(desk, s.deskCaseFull)...)
	app.Post("/desk/cases/:id/actions/:action", append(desk, s.deskAct)...)
}

// deskQueueSize is the number of cases a queue page shows.
const deskQueueSize = 50

// dueSoon is how close a deadline is before the queue warns of it.
const dueSoon = 2 * 24 * time.Hour

type queueItem struct {
	search.Summary
	Overdue bool
	DueSoon bool
}

type deskQueueData struct {
	Items    []queueItem
	Total    uint64
	Next     string // query string of the next page, "" on the last
	Text     string
	Status   string
	Statuses []weiquan.Term
	Overdue  bool
	Units    []string         // the officer's units, for the heading
	Notices  []weiquan.Notice // the unit's deadline notices, unread first
	Export   string           // the CSV export of the same list
}

// deskQueue lists the unit's open cases, the nearest deadline first.
func (s *Server) deskQueue(c *fiber.Ctx) error {
	a := actor(c)
	q, err := parseQuery(c)
	if err != nil {
		return err
	}
	if c.Query("sort") == "" {
		q.Sort = search.SortDeadline
	}
	if len(q.Status) == 0 {
		for _, st := range workflow.OpenStatuses {
			q.Status = append(q.Status, string(st))
		}
	}
	if q.PageSize == 0 {
		q.PageSize = deskQueueSize
	}
	q.Facets = false
	if a.Role == weiquan.RoleOfficer {
		// The queue is what the unit holds now; cases that only passed
		// through it stay findable by search but are not work.
		q.UnitIDs = append([]string{}, a.UnitIDs...)
	}
	now := s.Accounts.Now()
	q.Now = now
	res, err := s.scopedSearch(c, q)
	if err != nil {
		return err
	}
	notices, err := s.unitNotices(c, deskNoticeCount)
	if err != nil {
		return err
	}
	d := deskQueueData{Total: res.Total, Text: q.Text, Status: c.Query("status"), Overdue: q.Overdue,
		Units: a.UnitIDs, Statuses: weiquan.Vocabulary.Statuses, Notices: notices}
	for _, it := range res.Items {
		qi := queueItem{Summary: it}
		if it.NextDeadline != nil {
			qi.Overdue = it.NextDeadline.Before(now)
			qi.DueSoon = !qi.Overdue && it.NextDeadline.Before(now.Add(dueSoon))
		}
		d.Items = append(d.Items, qi)
	}
	params := url.Values{}
	for k, v := range c.Queries() {
		if k != "cursor" && v != "" {
			params.Set(k, v)
		}
	}
	if res.NextCursor != "" {
		next := url.Values{}
		for k, v := range params {
			next[k] = v
		}
		next.Set("cursor", res.NextCursor)
		d.Next = next.Encode()
	}
	if a.Role == weiquan.RoleOfficer && len(a.UnitIDs) > 0 {
		params.Set("unit", strings.Join(a.UnitIDs, ","))
	}
	params.Del("cursor")
	if c.Query("status") == "" {
		params.Set("status", strings.Join(q.Status, ","))
	}
	d.Export = "/api/v1/export.csv?" + params.Encode()
	return s.render(c, fiber.StatusOK, "desk.html", Page{Title: "办案台", Nav: "desk", Data: d})
}

// actionField is one input an action's form needs.
type actionField struct {
	Name     string // form field name
	Label    string
	Kind     string // text, textarea, select, yuan, checkbox
	Required bool
	Hint     string
	Options  []weiquan.Term
	Value    string
}

// actionForm is one action the person may take now, with its fields.
type actionForm struct {
	Name   string
	Label  string
	Danger bool
	Fields []actionField
	Open   bool // shown unfolded (the form came back with an error)
}

type deadlineRow struct {
	Label   string
	At      *time.Time
	Overdue bool
}

type deskCaseData struct {
	Case       *weiquan.Case
	Full       bool
	Actions    []actionForm
	ReadOnly   string
	Deadlines  []deadlineRow
	Duplicates []search.Summary
	Overdue    bool
	EventLabel map[string]string
	Ground     string // the rejection ground's label
	Back       string
}

// deskCase shows one case, masked.
func (s *Server) deskCase(c *fiber.Ctx) error {
	cs, err := s.readableCase(c, c.Params("id"))
	if err != nil {
		return err
	}
	p := Page{Flash: s.doneMessage(c.Query("done"))}
	return s.renderCase(c, fiber.StatusOK, cs, p, nil)
}

// deskCaseFull shows the case with full personal information: the read is
// audited (fullCaseView), so it is a POST with the form's token, never a
// link that a prefetch or a crawler could follow.
func (s *Server) deskCaseFull(c *fiber.Ctx) error {
	cs, err := s.readableCase(c, c.Params("id"))
	if err != nil {
		return err
	}
	full, err := s.fullCaseView(c, cs)
	if err != nil {
		return err
	}
	d, err := s.caseData(c, cs, full, nil)
	if err != nil {
		return err
	}
	d.Full = true
	return s.render(c, fiber.StatusOK, "desk_case.html", Page{Title: "案件 " + cs.ID, Nav: "desk", Data: d})
}

// renderCase renders the case page for cs (as stored) masked, with the
// forms refilled from form when an action came back with an error.
func (s *Server) renderCase(c *fiber.Ctx, status int, cs *weiquan.Case, p Page, form *postedAction) error {
	d, err := s.caseData(c, cs, s.caseView(c, cs), form)
	if err != nil {
		return err
	}
	p.Title, p.Nav, p.Data = "案件 "+cs.ID, "desk", d
	return s.render(c, status, "desk_case.html", p)
}

func (s *Server) caseData(c *fiber.Ctx, stored, view *weiquan.Case, form *postedAction) (deskCaseData, error) {
	a := actor(c)
	now := s.Accounts.Now()
	d := deskCaseData{Case: view, EventLabel: deskEventLabels(), Back: "/desk"}
	if a.Role == weiquan.RoleSupervisor {
		d.Back = "/dashboard"
	}
	switch {
	case a.Role == weiquan.RoleAdmin:
		d.ReadOnly = "管理员账号只能查看案件，办理请由承办单位或指挥中心人员登录。"
		d.Back = "/dashboard"
	case a.Role == weiquan.RoleOfficer && !s.Units.CanAct(a, stored):
		d.ReadOnly = fmt.Sprintf("该案件%s，您所属单位曾经办理过本案，只能查看，不能办理。", s.heldBy(stored))
	default:
		for _, name := range s.Engine.Allowed(a, stored) {
			// The machine allows undoing a merge from any status; there is
			// only something to undo on a merged case.
			if name == workflow.ActionUnmerge && !slices.Contains(stored.Flags, workflow.FlagMerged) {
				continue
			}
			f := s.actionFormFor(a, stored, name)
			if form != nil && form.action == name {
				f.Open = true
				for i := range f.Fields {
					f.Fields[i].Value = form.values[f.Fields[i].Name]
				}
			}
			d.Actions = append(d.Actions, f)
		}
	}
	dl := stored.Deadlines
	for _, row := range []struct {
		label string
		at    *time.Time
	}{{"受理期限", dl.AcceptBy}, {"调解期限", dl.MediateBy}, {"核查期限", dl.VerifyBy}, {"处理期限（企业/服务站）", dl.TrackBy}, {"告知期限", dl.NoticeBy}} {
		if row.at != nil {
			d.Deadlines = append(d.Deadlines, deadlineRow{Label: row.label, At: row.at,
				Overdue: stored.Status != weiquan.StatusClosed && row.at.Before(now)})
		}
	}
	if nd := search.NextDeadline(stored); nd != nil && nd.Before(now) {
		d.Overdue = true
	}
	if stored.Result.Ground != "" {
		d.Ground = stored.Result.Ground
		if t, ok := weiquan.Lookup(workflow.Grounds(), stored.Result.Ground); ok {
			d.Ground = t.Label
		}
	}
	dups, err := s.findDuplicates(c, stored)
	if err != nil {
		return d, err
	}
	d.Duplicates = dups
	return d, nil
}

// deskEventLabels names the timeline's entries: the actions' labels and the
// events that are not actions.
func deskEventLabels() map[string]string {
	m := map[string]string{
		weiquan.EventRegistered:       "登记",
		workflow.EventDeadlineWarning: "期限预警",
		workflow.EventDeadlineOverdue: "已超期",
		"sms_failed":                  "短信发送失败",
		"satisfaction":                "满意度回访",
	}
	for _, t := range workflow.Transitions() {
		m[t.Action] = t.Label
	}
	return m
}

var dangerActions = map[string]bool{
	workflow.ActionReject: true, workflow.ActionTerminate: true, workflow.ActionWithdraw: true,
	workflow.ActionReturn: true, workflow.ActionMerge: true,
}

// actionFormFor lists the fields action needs (ActionRequest's fields that
// its rule reads), with the choices the person has.
func (s *Server) actionFormFor(a weiquan.Actor, cs *weiquan.Case, name string) actionForm {
	f := actionForm{Name: name, Label: name, Danger: dangerActions[name]}
	for _, t := range workflow.Transitions() {
		if t.Action == name {
			f.Label = t.Label
		}
	}
	note := func(label string, required bool) actionField {
		return actionField{Name: "note", Label: label, Kind: "textarea", Required: required}
	}
	reason := func(label, hint string) actionField {
		return actionField{Name: "reason", Label: label, Kind: "textarea", Required: true, Hint: hint}
	}
	caseID := func(label string) actionField {
		return actionField{Name: "case_id", Label: label, Kind: "text", Required: true, Hint: "14 位案件编号"}
	}
	switch name {
	case workflow.ActionAssign:
		f.Fields = []actionField{
			{Name: "unit_id", Label: "承办单位", Kind: "select", Required: true, Options: s.assignableUnits(a, cs)},
			{Name: "track", Label: "处理方式", Kind: "select", Hint: "不选则按承办单位类型确定",
				Options: append([]weiquan.Term{{Code: "", Label: "按单位类型确定"}}, weiquan.Vocabulary.Tracks...)},
			note("备注", false),
		}
	case workflow.ActionReject:
		f.Fields = []actionField{
			{Name: "ground", Label: "不予受理的理由（《市场监督管理投诉举报处理暂行办法》第十五条）", Kind: "select", Required: true,
				Options: append([]weiquan.Term{{Code: "", Label: "请选择"}}, workflow.Grounds()...)},
			note("说明（将告知投诉人）", false),
		}
	case workflow.ActionReturn:
		f.Fields = []actionField{reason("退回理由", "本单位无管辖权的理由，案件将退回指挥中心重新分派")}
	case workflow.ActionPause:
		f.Fields = []actionField{reason("中止计时的理由", "如检测、检验、鉴定（第二十条），中止期间不计入调解期限")}
	case workflow.ActionReopen:
		f.Fields = []actionField{reason("重新办理的理由", "")}
	case workflow.ActionUnmerge:
		f.Fields = []actionField{reason("撤销合并的理由", "")}
	case workflow.ActionRecordAgreement:
		f.Fields = []actionField{
			{Name: "amount_yuan", Label: "挽回经济损失（元）", Kind: "yuan", Required: true, Hint: "如 3599.00；未挽回经济损失填 0"},
			note("调解协议内容", false),
		}
	case workflow.ActionDecide:
		f.Fields = []actionField{
			{Name: "outcome", Label: "决定", Kind: "select", Required: true, Options: []weiquan.Term{
				{Code: "", Label: "请选择"},
				{Code: string(weiquan.OutcomeFiled), Label: termLabel("outcome", string(weiquan.OutcomeFiled))},
				{Code: string(weiquan.OutcomeNotFiled), Label: termLabel("outcome", string(weiquan.OutcomeNotFiled))},
			}},
			note("说明", false),
		}
	case workflow.ActionAnswer:
		f.Fields = []actionField{{Name: "answer", Label: "答复内容", Kind: "textarea", Required: true}}
	case workflow.ActionExtendVerification:
		f.Fields = []actionField{note("批准情况", true)}
	case workflow.ActionLinkDuplicate:
		f.Fields = []actionField{caseID("与之重复的案件编号"), note("备注", false)}
	case workflow.ActionMerge:
		f.Fields = []actionField{caseID("合并至案件编号（保留的案件）"), note("备注", false)}
	case workflow.ActionNote:
		f.Fields = []actionField{note("备注内容", true),
			{Name: "public", Label: "投诉人可见", Kind: "checkbox"}}
	default:
		f.Fields = []actionField{note("备注", false)}
	}
	return f
}

// assignableUnits are the units a case can be assigned to from this
// person's desk: the units in their scope that can handle cases, those of
// the respondent's city first, the respondent's county agency selected.
func (s *Server) assignableUnits(a weiquan.Actor, cs *weiquan.Case) []weiquan.Term {
	scope := s.Units.Scope(a)
	city := weiquan.CityCode(cs.Respondent.DivisionCode)
	var near, far []weiquan.Term
	for _, u := range s.Units.All() {
		if u.Type == weiquan.UnitDispatch || (scope != nil && !slices.Contains(scope, u.ID)) {
			continue
		}
		t := weiquan.Term{Code: u.ID, Label: u.Name}
		if city != "" && weiquan.CityCode(u.DivisionCode) == city {
			near = append(near, t)
		} else {
			far = append(far, t)
		}
	}
	out := []weiquan.Term{{Code: "", Label: "请选择"}}
	if agency, ok := s.Units.AgencyFor(cs.Respondent.DivisionCode); ok {
		if i := slices.IndexFunc(near, func(t weiquan.Term) bool { return t.Code == agency }); i > 0 {
			near[0], near[i] = near[i], near[0]
		}
	}
	return append(append(out, near...), far...)
}

// postedAction is an action form as posted, kept to refill it on error.
type postedAction struct {
	action string
	values map[string]string
}

// actionFormFields are the form fields an action may post.
var actionFormFields = []string{"note", "ground", "amount_yuan", "unit_id", "track", "reason", "outcome", "answer", "case_id", "public"}

// formFieldOf maps an ActionRequest field, as the engine names it in an
// error, to the form field that carries it.
var formFieldOf = map[string]string{"amount_recovered_fen": "amount_yuan"}

// deskAct applies an action posted from the case page through the same
// Engine.Act as the API. A stale version shows the fresh case with a clear
// message; bad fields come back with the form filled in.
func (s *Server) deskAct(c *fiber.Ctx) error {
	id, action := c.Params("id"), c.Params("action")
	if _, err := s.actableCase(c, id); err != nil {
		return err
	}
	posted := &postedAction{action: action, values: map[string]string{}}
	for _, f := range actionFormFields {
		posted.values[f] = c.FormValue(f)
	}
	req, ferrs := actionRequestFromForm(c)
	var err error
	var done *weiquan.Case
	if ferrs != nil {
		err = ferrs.Err()
	} else {
		ctx, cancel := s.ctx(c)
		a := actor(c)
		done, err = s.Engine.Act(ctx, a, id, action, req)
		cancel()
		if err == nil {
			// Engine.Act records the change in the audit trail itself.
			s.writes.note(a.UserID, done)
			if next := safeNext(c.FormValue("next")); next != "" {
				return c.Redirect(withParam(next, "done", action+":"+id), fiber.StatusSeeOther)
			}
			return c.Redirect("/desk/cases/"+id+"?done="+url.QueryEscape(action), fiber.StatusSeeOther)
		}
	}
	var de *weiquan.Error
	if !errors.As(err, &de) {
		return err
	}
	switch de.Code {
	case weiquan.EValidation, weiquan.EConflict:
	default:
		return err
	}
	// Show the case as it is now, whatever the person saw.
	fresh, lerr := s.readableCase(c, id)
	if lerr != nil {
		return lerr
	}
	p := Page{Error: de.Message}
	if de.Code == weiquan.EValidation {
		p.FieldErrors = map[string]weiquan.FieldError{}
		for k, v := range de.Fields {
			if f, ok := formFieldOf[k]; ok {
				k = f
			}
			p.FieldErrors[k] = v
		}
		if fresh.Version != req.Version && req.Version > 0 {
			posted = nil
		}
	} else {
		posted = nil
		if req.Version != fresh.Version {
			p.Error = fmt.Sprintf("案件已被他人修改（您操作时看到的是第 %d 版，现在是第 %d 版），您的操作未执行。下面是案件的最新情况，请确认后重新操作。",
				req.Version, fresh.Version)
		}
	}
	return s.renderCase(c, statusOf[de.Code], fresh, p, posted)
}

// actionRequestFromForm reads an action form. Version and the amount in yuan
// are the only fields checked here; the rest is the engine's to judge.
func actionRequestFromForm(c *fiber.Ctx) (workflow.ActionRequest, weiquan.ValidationErrors) {
	v := weiquan.ValidationErrors{}
	req := workflow.ActionRequest{
		Note:    c.FormValue("note"),
		Ground:  c.FormValue("ground"),
		UnitID:  c.FormValue("unit_id"),
		Track:   c.FormValue("track"),
		Reason:  c.FormValue("reason"),
		Outcome: c.FormValue("outcome"),
		Answer:  c.FormValue("answer"),
		CaseID:  strings.TrimSpace(c.FormValue("case_id")),
	}
	if c.FormValue("public") != "" {
		t := true
		req.Public = &t
	}
	ver, err := strconv.ParseInt(c.FormValue("version"), 10, 64)
	if err != nil || ver <= 0 {
		v.Add("version", "required", "缺少案件版本号，请刷新页面后重试")
	}
	req.Version = ver
	if raw := strings.TrimSpace(c.FormValue("amount_yuan")); raw != "" || c.Params("action") == workflow.ActionRecordAgreement {
		fen, ok := parseYuan(raw)
		if !ok {
			v.Add("amount_yuan", "invalid_amount", "请填写以元为单位的金额，最多两位小数，如 3599.00")
		}
		req.AmountRecoveredFen = fen
	}
	if len(v) > 0 {
		return req, v
	}
	return req, nil
}

// parseYuan reads an amount in yuan ("3599", "3599.5", "3,599.00", "￥3599")
// as fen; negative amounts and more than two decimals are refused.
func parseYuan(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, "¥￥")
	s = strings.TrimSuffix(s, "元")
	s = strings.ReplaceAll(s, ",", "")
	s = strings.ReplaceAll(s, "，", "")
	if s == "" {
		return 0, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || len(frac) > 2 {
		return 0, false
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	y, _ := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt((frac + "0")[:2], 10, 64)
	}
	return y*100 + f, true
}

// withParam adds one query parameter to a local path.
func withParam(path, k, v string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + url.QueryEscape(k) + "=" + url.QueryEscape(v)
}

// doneMessage confirms an action the person just took (?done=accept).
func (s *Server) doneMessage(done string) string {
	action, id, _ := strings.Cut(done, ":")
	for _, t := range workflow.Transitions() {
		if t.Action == action {
			if id != "" && validCaseID(id) {
				return fmt.Sprintf("案件 %s：%s，已完成", id, t.Label)
			}
			return t.Label + "：已完成"
		}
	}
	return ""
}

// deskNoticeCount is how many of the unit's notices the desk shows.
const deskNoticeCount = 10

// smsStatusLabel is an SMS status in Chinese.
func smsStatusLabel(st string) string {
	switch st {
	case weiquan.MessageOwed:
		return "待发送"
	case weiquan.MessageQueued:
		return "已提交"
	case weiquan.MessageSent:
		return "已发送"
	case weiquan.MessageDelivered:
		return "已送达"
	case weiquan.MessageUndelivered:
		return "未送达"
	case weiquan.MessageFailed:
		return "发送失败"
	case weiquan.MessageSuppressed:
		return "未发送（退订或未同意）"
	}
	return st
}
