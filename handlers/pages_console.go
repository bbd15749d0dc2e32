package handlers

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/search"
	"weiquan/workflow"
)

// The operator console. A phone system opens /console?caller=…&call_id=…
// when a call comes in: the page shows the caller's earlier cases and a
// form already holding the number; the operator fills it in while the
// caller talks, saves with Enter, and reads the case number back from the
// page the save leads to. One page load, one submit.
//
//	GET  /console                     the form (and the caller's history)
//	POST /console                     save (complaint, report or inquiry;
//	                                  an inquiry with an answer is closed)
//	GET  /console/cases/:id           the saved case, its number large
//	POST /console/cases/:id/answer    answer an inquiry and close it
//	GET  /api/v1/divisions/resolve    the county of an address, as typed

func (s *Server) consolePages(app *fiber.App) {
	who := requireRole(weiquan.RoleOperator, weiquan.RoleAdmin)
	app.Get("/console", s.requirePageSession, who, s.consolePage)
	app.Post("/console", s.requirePageSession, who, s.consoleSave)
	app.Get("/console/cases/:id", s.requirePageSession, who, s.consoleCase)
	app.Post("/console/cases/:id/answer", s.requirePageSession, who, s.consoleAnswer)
}

// consoleData is what console.html shows.
type consoleData struct {
	Form intakeForm
	// Caller is the number the history was looked up for; CallerError
	// says why it could not be.
	Caller      string
	CallerError string
	History     []search.Summary
	HistoryMore bool
	// Duplicates are likely duplicates found when saving; the form asks
	// the operator to confirm (dup_ack) before saving anyway.
	Duplicates []search.Summary
}

// Defaults are the form's starting values per hotline.
func (consoleData) Defaults() map[string]channelDefault {
	out := map[string]channelDefault{}
	for ch, d := range channelDefaults {
		out[string(ch)] = d
	}
	return out
}

// channelDefaults are what a call on each hotline usually is: the form
// starts with them.
var channelDefaults = map[weiquan.Channel]channelDefault{
	weiquan.Channel12315: {weiquan.KindComplaint, "", ""},
	weiquan.Channel12365: {weiquan.KindReport, "", "quality"},
	weiquan.Channel12331: {weiquan.KindReport, "food", "food_safety"},
	weiquan.Channel12330: {weiquan.KindReport, "", "counterfeit"},
	weiquan.Channel12358: {weiquan.KindComplaint, "", "price"},
}

type channelDefault struct {
	kind     weiquan.Kind
	category string
	problem  string
}

// Kind, Category and Problem give the defaults to the template, which puts
// them on the hotline's option for the script to apply when the operator
// switches hotline.
func (d channelDefault) Kind() string     { return string(d.kind) }
func (d channelDefault) Category() string { return d.category }
func (d channelDefault) Problem() string  { return d.problem }

// historySize is how many earlier cases of a caller the console lists.
const historySize = 10

func (s *Server) consolePage(c *fiber.Ctx) error {
	caller := strings.TrimSpace(c.Query("caller"))
	if len([]rune(caller)) > 30 {
		caller = string([]rune(caller)[:30])
	}
	ch := weiquan.Channel(c.Query("channel", string(weiquan.Channel12315)))
	def, ok := channelDefaults[ch]
	if !ok {
		ch, def = weiquan.Channel12315, channelDefaults[weiquan.Channel12315]
	}
	callID := strings.TrimSpace(c.Query("call_id"))
	if len([]rune(callID)) > 64 {
		callID = string([]rune(callID)[:64])
	}
	d := consoleData{Form: intakeForm{
		Kind: string(def.kind), Channel: string(ch), Category: def.category, Problem: def.problem,
		CallID: callID, CallerNumber: caller, Phone: caller,
		ConsentSMS: true, ConsentMediation: true, FormKey: randomToken(),
	}}
	if err := s.callerHistory(c, caller, &d); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "console.html", Page{Title: "话务台", Nav: "console", Data: d})
}

// callerHistory looks the caller's earlier cases up through the same
// scoped search as the API (masked summaries only).
func (s *Server) callerHistory(c *fiber.Ctx, caller string, d *consoleData) error {
	d.Caller = caller
	if caller == "" {
		return nil
	}
	p, ok := weiquan.ParsePhone(caller)
	if !ok {
		d.CallerError = "来电号码格式不正确，无法查询历史记录"
		return nil
	}
	res, err := s.scopedSearch(c, search.Query{Phone: string(p), Sort: search.SortCreated, PageSize: historySize})
	if err != nil {
		return err
	}
	d.History, d.HistoryMore = res.Items, res.Total > uint64(len(res.Items))
	return nil
}

// consoleSave registers the case the form describes. A form posted again
// (same form_key) shows the case it already saved.
func (s *Server) consoleSave(c *fiber.Ctx) error {
	form := readIntakeForm(c)
	a := actor(c)
	again := func(status int, msg string, fields map[string]weiquan.FieldError, d consoleData) error {
		d.Form = form
		if err := s.callerHistory(c, form.CallerNumber, &d); err != nil {
			return err
		}
		return s.render(c, status, "console.html", Page{Title: "话务台", Nav: "console", Error: msg, FieldErrors: fields, Data: d})
	}
	if !validFormKey(form.FormKey) {
		// A form from an old page (or none): give it a key so that this
		// post, at least, is saved once.
		form.FormKey = randomToken()
	}
	if form.Kind != string(weiquan.KindInquiry) {
		form.Answer = ""
	}
	if n := len([]rune(strings.TrimSpace(form.Answer))); n > 5000 {
		return again(fiber.StatusUnprocessableEntity, "请按提示修改标红的内容",
			map[string]weiquan.FieldError{"answer": {Code: workflow.CodeTooLong, Message: fmt.Sprintf("答复不能超过 5000 字（现在 %d 字）", n)}},
			consoleData{})
	}
	draft, err := form.decode()
	if err != nil {
		msg, fields, status, ok := formProblem(err)
		if !ok {
			return err
		}
		return again(status, msg, fields, consoleData{})
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	key := a.UserID + "|" + form.FormKey
	id, done, err := s.claimForm(ctx, key)
	if err != nil {
		msg, fields, status, ok := formProblem(err)
		if !ok {
			return err
		}
		return again(status, msg, fields, consoleData{})
	}
	if done == nil {
		return c.Redirect("/console/cases/"+id, fiber.StatusSeeOther)
	}
	defer done("") // nothing saved, unless noted below
	if !form.DupAck {
		dups, err := s.findDuplicates(c, &draft)
		if err != nil {
			return err
		}
		if len(dups) > 0 {
			return again(fiber.StatusOK, "发现可能重复的案件，请核对后勾选“仍然登记”再保存", nil, consoleData{Duplicates: dups})
		}
	}
	draft.Source.FormKey = key
	cs, err := s.Intake.Register(ctx, a, draft)
	if err != nil {
		msg, fields, status, ok := formProblem(err)
		if !ok {
			return err
		}
		return again(status, msg, fields, consoleData{})
	}
	done(cs.ID)
	s.writes.note(a.UserID, cs)
	dest := "/console/cases/" + cs.ID
	if answer := strings.TrimSpace(form.Answer); answer != "" {
		next, err := s.Engine.Act(ctx, a, cs.ID, workflow.ActionAnswer, workflow.ActionRequest{Version: cs.Version, Answer: answer})
		if err != nil {
			// Registered but not answered: the case page says so and
			// offers the answer form again.
			s.log.Warn("inquiry registered but its answer was not saved", "case", cs.ID, "err", err)
			return c.Redirect(dest+"?answer=failed", fiber.StatusSeeOther)
		}
		s.writes.note(a.UserID, next)
	}
	return c.Redirect(dest, fiber.StatusSeeOther)
}

// consoleCaseData is what console_case.html shows.
type consoleCaseData struct {
	Case       *weiquan.Case
	Groups     []string // the case number in groups, for reading aloud
	CanAnswer  bool
	Answer     string
	CaseNumber string
}

func (s *Server) consoleCase(c *fiber.Ctx) error {
	cs, err := s.readableCase(c, c.Params("id"))
	if err != nil {
		return err
	}
	msg := ""
	if c.Query("answer") == "failed" {
		msg = "案件已登记，但答复没有保存，请在下方重新答复。"
	}
	return s.renderConsoleCase(c, fiber.StatusOK, cs, msg, nil, "")
}

func (s *Server) renderConsoleCase(c *fiber.Ctx, status int, cs *weiquan.Case, msg string, fields map[string]weiquan.FieldError, answer string) error {
	view := s.caseView(c, cs)
	d := consoleCaseData{Case: view, Groups: caseNumberGroups(cs.ID), Answer: answer, CaseNumber: cs.ID}
	for _, act := range s.Engine.Allowed(actor(c), cs) {
		if act == workflow.ActionAnswer {
			d.CanAnswer = true
		}
	}
	return s.render(c, status, "console_case.html", Page{Title: "案件 " + cs.ID, Nav: "console", Error: msg, FieldErrors: fields, Data: d})
}

// caseNumberGroups splits 20261126000123 as 2026 1126 000123: the date, then
// the day's serial, the way it is read to a caller.
func caseNumberGroups(id string) []string {
	if len(id) != 14 {
		return []string{id}
	}
	return []string{id[:4], id[4:8], id[8:]}
}

// consoleAnswer answers an inquiry and closes it.
func (s *Server) consoleAnswer(c *fiber.Ctx) error {
	cs, err := s.actableCase(c, c.Params("id"))
	if err != nil {
		return err
	}
	answer := strings.TrimSpace(c.FormValue("answer"))
	var version int64
	fmt.Sscan(c.FormValue("version"), &version)
	ctx, cancel := s.ctx(c)
	defer cancel()
	next, err := s.Engine.Act(ctx, actor(c), cs.ID, workflow.ActionAnswer, workflow.ActionRequest{Version: version, Answer: answer})
	if err != nil {
		msg, fields, status, ok := formProblem(err)
		if !ok {
			return err
		}
		return s.renderConsoleCase(c, status, cs, msg, fields, answer)
	}
	s.writes.note(actor(c).UserID, next)
	return c.Redirect("/console/cases/"+cs.ID, fiber.StatusSeeOther)
}

// divisionAnswer is what the console's address lookup shows.
type divisionAnswer struct {
	Code   string `json:"code"`
	Name   string `json:"name"` // 厦门市思明区; "" when unresolved
	Reason string `json:"reason"`
}

// resolveDivision resolves a respondent's address to its county as the
// operator types it (workflow.ResolveAddress, as intake does).
func (s *Server) resolveDivision(c *fiber.Ctx) error {
	addr := c.Query("address")
	if len([]rune(addr)) > 200 {
		return weiquan.ValidationErrors{"address": {Code: workflow.CodeTooLong, Message: "地址不能超过 200 个字"}}.Err()
	}
	r := workflow.ResolveAddress(addr)
	out := divisionAnswer{Code: r.Code, Reason: r.Reason}
	if d, ok := weiquan.DivisionByCode(r.Code); ok {
		out.Name = d.Name
		if p, ok := weiquan.DivisionByCode(d.ParentCode); ok && p.Level == weiquan.LevelCity {
			out.Name = p.Name + d.Name
		}
	}
	return c.JSON(out)
}
