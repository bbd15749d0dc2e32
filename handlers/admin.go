package handlers

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/workflow"
)

// The administration API (issue 6/7): staff accounts, units, routing rules
// and deadline policies, changed while the service runs (workflow/admin.go
// says how a change goes live and how it relates to the configured files
// at start-up). Administrators only, signed in in person: an API token
// never reaches these endpoints. Every change is written to the audit trail.

var errNoAdmin = weiquan.Errorf(weiquan.EUnavailable, "本服务未启用在线管理")

// adminRoutes registers the administration endpoints on the signed-in group.
func (s *Server) adminRoutes(staff fiber.Router) {
	// requireAdmin goes on each route rather than on a group: a group's
	// middleware would also guard the other /admin endpoints (the audit
	// trail, which supervisors may read).
	adm := s.requireAdmin
	staff.Get("/admin/users", adm, s.adminListUsers)
	staff.Put("/admin/users/:id", adm, s.adminUpdateUser)
	staff.Post("/admin/users/:id/password", adm, s.adminResetPassword)
	staff.Get("/admin/units", adm, s.adminListUnits)
	staff.Put("/admin/units/:id", adm, s.adminSaveUnit)
	staff.Get("/admin/rules", adm, s.adminGetRules)
	staff.Put("/admin/rules", adm, s.adminSaveRules)
	staff.Post("/admin/rules/dry-run", adm, s.adminDryRun)
	staff.Get("/admin/policies", adm, s.adminListPolicies)
	staff.Post("/admin/policies", adm, s.adminAddPolicy)
	staff.Put("/admin/policies/default", adm, s.adminSetDefaultPolicy)
}

// requireAdmin lets only an administrator in person through.
func (s *Server) requireAdmin(c *fiber.Ctx) error {
	if viaAPIToken(c) {
		return errTokenAdmin
	}
	if actor(c).Role != weiquan.RoleAdmin {
		return weiquan.Errorf(weiquan.EForbidden, "只有管理员可以使用系统管理功能")
	}
	if s.Admin == nil {
		return errNoAdmin
	}
	return c.Next()
}

// adminUserView is an account as administrators see it.
type adminUserView struct {
	ID                string       `json:"id"`
	Username          string       `json:"username"`
	Role              weiquan.Role `json:"role"`
	UnitIDs           []string     `json:"unit_ids"`
	Disabled          bool         `json:"disabled"`
	CreatedAt         any          `json:"created_at"`
	PasswordChangedAt any          `json:"password_changed_at"`
}

func viewAdminUser(u *weiquan.User) adminUserView {
	units := u.UnitIDs
	if units == nil {
		units = []string{}
	}
	return adminUserView{ID: u.ID, Username: u.Username, Role: u.Role, UnitIDs: units, Disabled: u.Disabled,
		CreatedAt: u.CreatedAt, PasswordChangedAt: u.PasswordChangedAt}
}

func (s *Server) adminListUsers(c *fiber.Ctx) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	users, err := s.Admin.ListUsers(ctx)
	if err != nil {
		return err
	}
	items := make([]adminUserView, len(users))
	for i := range users {
		items[i] = viewAdminUser(&users[i])
	}
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}

type updateUserRequest struct {
	Role     weiquan.Role `json:"role"`
	Units    []string     `json:"units"`
	Disabled bool         `json:"disabled"`
}

// adminUpdateUser sets an account's role, units and disabled flag (all
// three: the body is the account's access as it should be).
func (s *Server) adminUpdateUser(c *fiber.Ctx) error {
	var req updateUserRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if len(req.Units) > maxUserUnits {
		return weiquan.ValidationErrors{"units": {Code: "too_many", Message: fmt.Sprintf("一个用户最多绑定 %d 个承办单位", maxUserUnits)}}.Err()
	}
	if len(req.Units) > maxUserUnits {
		return weiquan.ValidationErrors{"units": {Code: "too_many", Message: fmt.Sprintf("一个用户最多绑定 %d 个承办单位", maxUserUnits)}}.Err()
	}
	u, err := s.updateUser(c, c.Params("id"), workflow.UserAccess{Role: req.Role, UnitIDs: req.Units, Disabled: req.Disabled})
	if err != nil {
		return err
	}
	return c.JSON(viewAdminUser(u))
}

// updateUser is shared by the API and the page.
func (s *Server) updateUser(c *fiber.Ctx, id string, acc workflow.UserAccess) (*weiquan.User, error) {
	ctx, cancel := s.ctx(c)
	defer cancel()
	before, err := s.Admin.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	u, err := s.Admin.UpdateUser(ctx, actor(c), id, acc)
	if err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("修改账号 %s：角色 %s → %s，单位 [%s] → [%s]", u.Username, before.Role, u.Role,
		strings.Join(before.UnitIDs, ","), strings.Join(u.UnitIDs, ","))
	switch {
	case u.Disabled && !before.Disabled:
		detail += "，停用（已登出所有会话）"
	case !u.Disabled && before.Disabled:
		detail += "，启用"
	}
	s.audit(c, "", "user_updated", detail)
	return u, nil
}

type resetPasswordRequest struct {
	Password string `json:"password"`
}

// adminResetPassword sets a new password chosen by the administrator and
// ends the account's sessions.
func (s *Server) adminResetPassword(c *fiber.Ctx) error {
	var req resetPasswordRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := s.resetPassword(c, c.Params("id"), req.Password); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) resetPassword(c *fiber.Ctx, id, password string) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	if err := s.Admin.ResetPassword(ctx, id, password); err != nil {
		return err
	}
	s.audit(c, "", "password_reset", "重置账号 "+id+" 的密码（已登出所有会话）")
	return nil
}

func (s *Server) adminListUnits(c *fiber.Ctx) error {
	items := s.Admin.ListUnits()
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}

// unitRequest is a unit as the API takes it: weiquan.Unit without the id,
// which is in the path.
type unitRequest struct {
	Name         string           `json:"name"`
	Type         weiquan.UnitType `json:"type"`
	DivisionCode string           `json:"division_code"`
	ParentID     string           `json:"parent_id"`
	Example      bool             `json:"example"`
	USCC         string           `json:"uscc"`
	Members      []string         `json:"members"`
	MaxAmountFen int64            `json:"max_amount_fen"`
	Covers       []string         `json:"covers"`
	DeadlineDays int              `json:"deadline_days"`
}

// adminSaveUnit adds (201) or replaces (200) a station, arbitration body
// or ODR enterprise.
func (s *Server) adminSaveUnit(c *fiber.Ctx) error {
	var req unitRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	u := weiquan.Unit{ID: c.Params("id"), Name: req.Name, Type: req.Type, DivisionCode: req.DivisionCode,
		ParentID: req.ParentID, Example: req.Example, USCC: req.USCC, Members: req.Members,
		MaxAmountFen: req.MaxAmountFen, Covers: req.Covers, DeadlineDays: req.DeadlineDays}
	created, err := s.saveUnit(c, u)
	if err != nil {
		return err
	}
	got, _ := s.Units.Get(u.ID)
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(got)
}

func (s *Server) saveUnit(c *fiber.Ctx, u weiquan.Unit) (bool, error) {
	ctx, cancel := s.ctx(c)
	defer cancel()
	created, err := s.Admin.SaveUnit(ctx, u, actor(c).UserID)
	if err != nil {
		return false, err
	}
	verb := "修改"
	if created {
		verb = "新增"
	}
	s.audit(c, "", "unit_saved", fmt.Sprintf("%s单位 %s %s（%s）", verb, u.ID, u.Name, u.Type))
	return created, nil
}

func (s *Server) adminGetRules(c *fiber.Ctx) error {
	return c.JSON(s.Admin.Rules())
}

type rulesRequest struct {
	Text string `json:"text"`
}

// adminSaveRules replaces the routing rules; a text that does not load is
// 422 with one field per bad line ("rules:12").
func (s *Server) adminSaveRules(c *fiber.Ctx) error {
	var req rulesRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := s.saveRules(c, req.Text); err != nil {
		return err
	}
	return c.JSON(s.Admin.Rules())
}

func (s *Server) saveRules(c *fiber.Ctx, text string) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	if err := s.Admin.SaveRules(ctx, text, actor(c).UserID); err != nil {
		return rulesError(err)
	}
	s.audit(c, "", "rules_saved", fmt.Sprintf("修改分派规则（%d 行）", strings.Count(text, "\n")+1))
	return nil
}

// rulesError gives a rules file's located problems one field each, keyed
// "rules:LINE", so that the page and an API client can point at the line.
func rulesError(err error) error {
	lines := workflow.RuleLineErrors(err)
	if len(lines) == 0 {
		return err
	}
	e := &weiquan.Error{Code: weiquan.ErrorCode(err), Message: weiquan.ErrorMessage(err), Err: err,
		Fields: map[string]weiquan.FieldError{}}
	for _, le := range lines {
		msg := le.Chinese
		if msg == "" {
			msg = le.Msg
		}
		key := fmt.Sprintf("rules:%d", le.Line)
		if _, dup := e.Fields[key]; dup {
			continue
		}
		e.Fields[key] = weiquan.FieldError{Code: "invalid_rule", Message: fmt.Sprintf("第 %d 行第 %d 列：%s", le.Line, le.Column, msg)}
	}
	return e
}

type dryRunRequest struct {
	// Rules is the text to try; empty tries the rules in force.
	Rules string          `json:"rules"`
	Case  json.RawMessage `json:"case"`
}

// adminDryRun routes a sample case (intake format, as POST
// /api/v1/routing/explain takes it) with a rules text, saving nothing.
func (s *Server) adminDryRun(c *fiber.Ctx) error {
	var req dryRunRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if len(req.Case) == 0 {
		return weiquan.ValidationErrors{"case": {Code: "required", Message: "请提供示例案件"}}.Err()
	}
	draft, err := workflow.DecodeIntake(req.Case)
	if err != nil {
		return err
	}
	if req.Rules == "" {
		_, req.Rules = s.Router.Text()
	}
	d, err := s.Admin.DryRun(req.Rules, &draft)
	if err != nil {
		return rulesError(err)
	}
	return c.JSON(d)
}

func (s *Server) adminListPolicies(c *fiber.Ctx) error {
	items := s.Admin.ListPolicies()
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}

// adminAddPolicy loads a deadline policy: the body is the policy file.
func (s *Server) adminAddPolicy(c *fiber.Ctx) error {
	p, err := s.addPolicy(c, c.Body())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

func (s *Server) addPolicy(c *fiber.Ctx, data []byte) (workflow.Policy, error) {
	ctx, cancel := s.ctx(c)
	defer cancel()
	p, err := s.Admin.AddPolicy(ctx, data, actor(c).UserID)
	if err != nil {
		return p, err
	}
	s.audit(c, "", "policy_added", fmt.Sprintf("载入时限政策 %s（%s）", p.ID, p.Name))
	return p, nil
}

type defaultPolicyRequest struct {
	ID string `json:"id"`
}

// adminSetDefaultPolicy chooses the policy new cases get.
func (s *Server) adminSetDefaultPolicy(c *fiber.Ctx) error {
	var req defaultPolicyRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if err := s.setDefaultPolicy(c, req.ID); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"default": req.ID})
}

func (s *Server) setDefaultPolicy(c *fiber.Ctx, id string) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	before := s.Admin.Policies.Default().ID
	if err := s.Admin.SetDefaultPolicy(ctx, id, actor(c).UserID); err != nil {
		return err
	}
	s.audit(c, "", "default_policy_set", fmt.Sprintf("新案件的默认时限政策：%s → %s", before, id))
	return nil
}
