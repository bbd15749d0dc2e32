package handlers

// Personal information in the HTTP layer: the masked view every output
// uses, the audited full view, the audit trail's API.
//
// Who gets the full view (GET /api/v1/cases/{id}?full=true), and why:
//   - operators: they call complainants back and read out what was recorded;
//   - officers of the unit holding the case: they mediate and investigate.
//     An officer whose unit only once held it reads it masked: it is no
//     longer theirs to contact anyone about;
//   - supervisors, for cases whose current unit is in their scope (a unit
//     the case only passed through is history, read masked);
//   - not administrators: they manage accounts, units and rules, and need
//     no consumer's number for that (PIPL art. 6, minimum necessary). An
//     administrator who must see one asks someone whose work it is;
//   - not API tokens: an integration copies what it reads into another
//     system in bulk, and behind a token there is no person whom the audit
//     entry could hold to account;
//   - never a respondent-side unit (ODR enterprise, station) for a report:
//     a reporter's identity never reaches the reported business.
// Each full read writes one audit entry before the answer is sent; when the
// entry cannot be written the read is refused.
//
// What the masked view masks, and what it leaves: phone numbers, the
// caller's number, SMS recipients and the ID number always; and the
// complainant's own numbers wherever they were typed into free text
// (description, notes, answers, SMS bodies), plus anything shaped like a
// valid ID number. Other numbers in free text (a business's hotline, an
// order number) stay as typed: the officer needs them, and they are no
// complainant's personal data.

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/search"
)

// AuditTrail is the append-only audit trail (store.Store).
type AuditTrail interface {
	InsertAudit(ctx context.Context, e *weiquan.AuditEntry) error
	ListAudit(ctx context.Context, q weiquan.AuditQuery) (weiquan.AuditPage, error)
}

// reporterHidden reports whether the actor is on the respondent's side of
// a report: a member of an ODR enterprise or a station.
func (s *Server) reporterHidden(a weiquan.Actor, cs *weiquan.Case) bool {
	if cs.Kind != weiquan.KindReport {
		return false
	}
	for _, id := range a.UnitIDs {
		if u, ok := s.Units.Get(id); ok && weiquan.ReporterHidden(cs, u.Type) {
			return true
		}
	}
	return false
}

// caseView is the masked staff view of a case for the signed-in actor: what
// every API answer and page shows.
func (s *Server) caseView(c *fiber.Ctx, cs *weiquan.Case) *weiquan.Case {
	src := cs
	if sealed := cs.Complainant.IDNumberSealed; sealed != "" && s.Keys != nil {
		// The clear number lets the view mask it where it was typed into
		// free text too; it never leaves this function.
		if id, err := s.Keys.Open(sealed); err == nil {
			cp := *cs
			cp.Complainant.IDNumber = id
			src = &cp
		}
	}
	return present(src.Masked(weiquan.MaskOptions{HideComplainant: s.reporterHidden(actor(c), cs)}))
}

// fullCaseView is the case with its personal information in clear, for the
// roles that need it (see the top of this file). It records the read in the
// audit trail first; anyone else gets a 403 that says why.
func (s *Server) fullCaseView(c *fiber.Ctx, cs *weiquan.Case) (*weiquan.Case, error) {
	a := actor(c)
	refuse := func(msg string) (*weiquan.Case, error) {
		return nil, &weiquan.Error{Code: weiquan.EForbidden, Message: msg,
			Err: fmt.Errorf("full view of case %s refused to %s (role %q)", cs.ID, a.UserID, a.Role)}
	}
	switch {
	case viaAPIToken(c):
		return refuse("API 令牌不能查看完整的个人信息，请由工作人员登录后在案件页面查看")
	case a.Role == weiquan.RoleAdmin:
		return refuse("管理员账号用于管理账号与配置，不能查看当事人的完整个人信息")
	case a.Role == weiquan.RoleOperator:
	case a.Role == weiquan.RoleOfficer:
		if !s.Units.CanAct(a, cs) {
			return refuse("只有现承办单位的办案人员可以查看完整的个人信息，您所属单位不是本案现承办单位")
		}
	case a.Role == weiquan.RoleSupervisor:
		if !s.Units.CanAct(a, cs) {
			return refuse("只有监督现承办单位的人员可以查看完整的个人信息，本案现承办单位不在您的监督范围内")
		}
	default:
		return refuse("您的角色不能查看完整的个人信息")
	}
	if s.reporterHidden(a, cs) {
		return refuse("举报人信息不向被举报方单位提供")
	}
	out := *cs
	var shown []string
	if out.Complainant.Phone != "" {
		shown = append(shown, "联系电话")
	}
	if out.Source.CallerNumber != "" {
		shown = append(shown, "来电号码")
	}
	if len(out.Messages) > 0 {
		shown = append(shown, "短信收件号码")
	}
	if sealed := out.Complainant.IDNumberSealed; sealed != "" {
		if s.Keys == nil {
			return nil, weiquan.Errorf(weiquan.EUnavailable, "身份证号加密密钥未配置，暂时无法查看身份证号")
		}
		id, err := s.Keys.Open(sealed)
		if err != nil {
			return nil, weiquan.WrapError(weiquan.EInternal, "身份证号无法解密（缺少对应的密钥），请联系管理员", err)
		}
		out.Complainant.IDNumber = id
		shown = append(shown, "身份证号")
	}
	detail := "查看完整个人信息"
	if len(shown) > 0 {
		detail += "：" + strings.Join(shown, "、")
	}
	if err := s.recordAudit(c, cs.ID, weiquan.AuditReadPII, detail); err != nil {
		return nil, weiquan.WrapError(weiquan.EUnavailable, "查看记录无法写入审计日志，暂时不能查看完整个人信息", err)
	}
	return present(&out), nil
}

// audit records a change made through the handlers (administrators'
// operations, page actions the workflow does not record itself). The change
// is done by then: a failure to record it is logged, not answered.
func (s *Server) audit(c *fiber.Ctx, caseID, action, detail string) {
	if err := s.recordAudit(c, caseID, action, detail); err != nil {
		s.log.Error("audit trail: recording failed", "action", action, "case", caseID, "err", err)
	}
}

func (s *Server) recordAudit(c *fiber.Ctx, caseID, action, detail string) error {
	a := actor(c)
	return s.insertAudit(c, &weiquan.AuditEntry{ActorID: a.UserID, Role: a.Role, Address: a.Address,
		CaseID: caseID, Action: action, Detail: detail})
}

// auditEntry records an entry whose actor is not a signed-in person (an
// SMS reply); failures are logged like audit's.
func (s *Server) auditEntry(c *fiber.Ctx, e *weiquan.AuditEntry) {
	e.Address = c.IP()
	if err := s.insertAudit(c, e); err != nil {
		s.log.Error("audit trail: recording failed", "action", e.Action, "case", e.CaseID, "err", err)
	}
}

func (s *Server) insertAudit(c *fiber.Ctx, e *weiquan.AuditEntry) error {
	if s.Audit == nil {
		return fmt.Errorf("no audit trail configured")
	}
	e.At = s.Accounts.Now()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), 10*time.Second)
	defer cancel()
	return s.Audit.InsertAudit(ctx, e)
}

// maskSummaries hides, in list rows, what caseView hides in a case: ID
// numbers typed into titles, and from the respondent's side of a report
// the complainant's masked number, the fragments of free text and any
// mention of the reporter in the title (read from the case: the index
// holds no name). (The index holds no phone number in clear.)
func (s *Server) maskSummaries(ctx context.Context, c *fiber.Ctx, items []search.Summary) {
	a := actor(c)
	hidden := false
	for _, id := range a.UnitIDs {
		if u, ok := s.Units.Get(id); ok && weiquan.ReporterHidden(&weiquan.Case{Kind: weiquan.KindReport}, u.Type) {
			hidden = true
		}
	}
	for i := range items {
		it := &items[i]
		if hidden && it.Kind == string(weiquan.KindReport) {
			it.PhoneMasked, it.Highlights = "", nil
			if cs, err := s.Store.GetCase(ctx, it.ID); err == nil {
				it.Title = cs.Masked(weiquan.MaskOptions{HideComplainant: true}).Title
			} else {
				it.Title = "（举报）"
			}
		}
		it.Title = weiquan.MaskIDNumbersIn(it.Title)
		for f, frags := range it.Highlights {
			for j := range frags {
				frags[j] = weiquan.MaskIDNumbersIn(frags[j])
			}
			it.Highlights[f] = frags
		}
	}
}

// auditLog answers GET /api/v1/admin/audit?case=…&user=…&page_size=…&before=…:
// the trail of a case or of a user, newest first. Administrators may ask
// anything; a supervisor may read the trail of a case in their scope (they
// answer for how their units handled it); nobody else.
func (s *Server) auditLog(c *fiber.Ctx) error {
	a := actor(c)
	q := weiquan.AuditQuery{CaseID: strings.TrimSpace(c.Query("case")), ActorID: strings.TrimSpace(c.Query("user")), Limit: 50}
	v := weiquan.ValidationErrors{}
	if q.CaseID != "" && !validCaseID(q.CaseID) {
		v.Add("case", "invalid_case_id", "案件编号应为 14 位数字")
	}
	if len(q.ActorID) > 128 { // user ids, and tok-<64 hex> for API tokens
		v.Add("user", "too_long", "用户编号过长")
	}
	if q.CaseID == "" && q.ActorID == "" {
		v.Add("case", "required", "请指定案件编号（case）或用户编号（user）")
	}
	if raw := c.Query("page_size"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > weiquan.MaxAuditPage {
			v.Add("page_size", "invalid_page_size", fmt.Sprintf("每页条数须为 1–%d", weiquan.MaxAuditPage))
		}
		q.Limit = n
	}
	if raw := c.Query("before"); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 1 {
			v.Add("before", "invalid_cursor", "before 应为上一页返回的 next")
		}
		q.Before = n
	}
	switch a.Role {
	case weiquan.RoleAdmin:
	case weiquan.RoleSupervisor:
		if q.CaseID == "" {
			return weiquan.Errorf(weiquan.EForbidden, "监督人员只能按案件查看其监督范围内案件的审计记录")
		}
	default:
		return weiquan.Errorf(weiquan.EForbidden, "只有管理员和监督人员可以查看审计记录")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if s.Audit == nil {
		return weiquan.Errorf(weiquan.EUnavailable, "审计记录未配置")
	}
	if a.Role == weiquan.RoleSupervisor {
		if _, err := s.readableCase(c, q.CaseID); err != nil {
			return err
		}
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	page, err := s.Audit.ListAudit(ctx, q)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

// maskSMSLog masks the recipients of the local SMS log: administrators read
// it for the message texts (and consumers' codes in development), not for
// people's numbers. It works on the JSON form, whatever type the log has.
func maskSMSLog(items any) (any, error) {
	raw, err := json.Marshal(items)
	if err != nil {
		return nil, fmt.Errorf("mask SMS log: %w", err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, fmt.Errorf("mask SMS log: %w", err)
	}
	for _, m := range rows {
		if to, ok := m["to"].(string); ok {
			m["to"] = maskTo(to)
		}
	}
	if rows == nil {
		rows = []map[string]any{}
	}
	return rows, nil
}

func maskTo(to string) string {
	if rest, ok := strings.CutPrefix(to, "+86"); ok {
		return "+86" + weiquan.MaskPhone(rest)
	}
	return weiquan.MaskPhone(to)
}
