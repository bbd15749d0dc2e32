package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/workflow"
)

// The administrator's pages (/admin): staff accounts and roles, API tokens,
// units, routing rules with a dry run, deadline policies and the local SMS
// log. Every form posts back with _csrf and works without JavaScript; a
// change goes through the same workflow.Admin calls (and the same audit
// entries) as the JSON API in admin.go. After a change the browser is
// redirected (303) to the page with ?ok=… so that reloading does not post
// twice; a refused form is shown again with the fields marked.

// adminPages registers the admin pages.
func (s *Server) adminPages(app *fiber.App) {
	who := []fiber.Handler{s.requirePageSession, requireRole(weiquan.RoleAdmin), s.requireAdminPage}
	get := func(path string, h fiber.Handler) { app.Get(path, append(slices.Clone(who), h)...) }
	post := func(path string, h fiber.Handler) { app.Post(path, append(slices.Clone(who), h)...) }
	get("/admin", s.adminHome)
	get("/admin/users", s.adminUsersPage)
	post("/admin/users", s.adminUserCreate)
	get("/admin/users/:id", s.adminUserPage)
	post("/admin/users/:id", s.adminUserSave)
	post("/admin/users/:id/password", s.adminUserPassword)
	get("/admin/tokens", s.adminTokensPage)
	post("/admin/tokens", s.adminTokenCreate)
	post("/admin/tokens/:id/revoke", s.adminTokenRevoke)
	get("/admin/units", s.adminUnitsPage)
	get("/admin/units/edit", s.adminUnitPage)
	post("/admin/units", s.adminUnitSave)
	get("/admin/rules", s.adminRulesPage)
	post("/admin/rules", s.adminRulesSave)
	post("/admin/rules/dry-run", s.adminRulesDryRun)
	get("/admin/policies", s.adminPoliciesPage)
	post("/admin/policies", s.adminPolicyLoad)
	post("/admin/policies/default", s.adminPolicyDefault)
	get("/admin/sms", s.adminSMSPage)
}

func (s *Server) requireAdminPage(c *fiber.Ctx) error {
	if s.Admin == nil {
		return errNoAdmin
	}
	return c.Next()
}

// adminFlash are the confirmations a redirect names with ?ok=.
var adminFlash = map[string]string{
	"user_created":  "账号已创建",
	"user_saved":    "账号已保存",
	"password":      "密码已重置，该账号的所有登录已失效",
	"token_revoked": "API 令牌已撤销",
	"unit_created":  "单位已新增，下一件分派的案件即按新单位处理",
	"unit_saved":    "单位已保存，下一件分派的案件即按新单位处理",
	"rules":         "分派规则已保存并立即生效",
	"policy":        "时限政策已载入",
	"default":       "新案件的默认时限政策已更改（已有案件保持原政策）",
}

// adminPage renders an admin page with the section marked and the flash of
// the redirect that led here.
func (s *Server) adminPage(c *fiber.Ctx, status int, name, title, section string, p Page) error {
	p.Title, p.Nav = title, "admin"
	if p.Flash == "" {
		p.Flash = adminFlash[c.Query("ok")]
	}
	p.Data = adminView{Section: section, Data: p.Data}
	return s.render(c, status, name, p)
}

// adminView wraps a page's data with the section for the sub-navigation.
type adminView struct {
	Section string
	Data    any
}

// formError turns a refusal into what a form shows: the status, a message
// and the fields. Anything else (the store is down, a bug) is returned as is
// and becomes an error page.
func formError(err error) (int, *Page, error) {
	var de *weiquan.Error
	if !errors.As(err, &de) {
		return 0, nil, err
	}
	switch de.Code {
	case weiquan.EValidation, weiquan.EInvalid, weiquan.EConflict, weiquan.ETooLarge:
	default:
		return 0, nil, err
	}
	msg := de.Message
	if de.Code == weiquan.EValidation && len(de.Fields) > 0 && !strings.Contains(msg, "第") {
		msg = "请按提示修改后再提交"
	}
	return statusOf[de.Code], &Page{Error: msg, FieldErrors: de.Fields}, nil
}

func (s *Server) adminHome(c *fiber.Ctx) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	users, err := s.Admin.ListUsers(ctx)
	if err != nil {
		return err
	}
	type summary struct {
		Users, Disabled            int
		Tokens                     int
		Stations, Arbitration, ODR int
		Rules                      workflow.RulesInfo
		DefaultPolicy              workflow.Policy
		TokensOn, SMSLog           bool
	}
	sum := summary{Users: len(users), Rules: s.Admin.Rules(), DefaultPolicy: s.Admin.Policies.Default(),
		TokensOn: s.Tokens != nil, SMSLog: s.SMS.Log != nil}
	for _, u := range users {
		if u.Disabled {
			sum.Disabled++
		}
	}
	if s.Tokens != nil {
		list, err := s.Tokens.List(ctx)
		if err != nil {
			return err
		}
		now := s.Tokens.Now()
		for i := range list {
			if list[i].Status(now) == "active" {
				sum.Tokens++
			}
		}
	}
	for _, u := range s.Units.All() {
		switch u.Type {
		case weiquan.UnitStation:
			sum.Stations++
		case weiquan.UnitArbitration:
			sum.Arbitration++
		case weiquan.UnitEnterprise:
			sum.ODR++
		}
	}
	return s.adminPage(c, fiber.StatusOK, "admin.html", "系统管理", "home", Page{Data: sum})
}

// ---- Accounts ----

// roleOptions are the roles a form offers, in Chinese.
type roleOption struct {
	Code  weiquan.Role
	Label string
}

func roleOptions() []roleOption {
	out := []roleOption{}
	for _, r := range []weiquan.Role{weiquan.RoleOperator, weiquan.RoleOfficer, weiquan.RoleSupervisor, weiquan.RoleAdmin} {
		out = append(out, roleOption{Code: r, Label: roleLabel(r)})
	}
	return out
}

// userForm is what the account forms post and show again.
type userForm struct {
	ID       string
	Username string
	Role     string
	Units    string // unit IDs separated by commas or spaces
	Disabled bool
}

type usersData struct {
	Users []weiquan.User
	Form  userForm
	Roles []roleOption
	Units []weiquan.Unit // for the datalist of unit IDs
}

// splitIDs splits a form field of IDs or codes separated by commas,
// Chinese commas, spaces or new lines.
func splitIDs(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	})
}

func (s *Server) usersPage(c *fiber.Ctx, status int, p Page, form userForm) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	users, err := s.Admin.ListUsers(ctx)
	if err != nil {
		return err
	}
	if form.Role == "" {
		form.Role = string(weiquan.RoleOfficer)
	}
	p.Data = usersData{Users: users, Form: form, Roles: roleOptions(), Units: s.Units.All()}
	return s.adminPage(c, status, "admin_users.html", "账号与角色", "users", p)
}

func (s *Server) adminUsersPage(c *fiber.Ctx) error {
	return s.usersPage(c, fiber.StatusOK, Page{}, userForm{})
}

func (s *Server) adminUserCreate(c *fiber.Ctx) error {
	form := userForm{Username: strings.TrimSpace(c.FormValue("username")), Role: c.FormValue("role"), Units: c.FormValue("units")}
	units := splitIDs(form.Units)
	var err error
	if len(units) > maxUserUnits {
		err = weiquan.ValidationErrors{"units": {Code: "too_many", Message: fmt.Sprintf("一个用户最多绑定 %d 个承办单位", maxUserUnits)}}.Err()
	} else {
		ctx, cancel := s.ctx(c)
		defer cancel()
		var u *weiquan.User
		u, err = s.Accounts.CreateUser(ctx, workflow.NewUser{Username: form.Username, Password: c.FormValue("password"),
			Role: weiquan.Role(form.Role), UnitIDs: units})
		if err == nil {
			s.audit(c, "", "user_created", fmt.Sprintf("创建用户 %s（%s，角色 %s，单位 %s）", u.Username, u.ID, u.Role, strings.Join(u.UnitIDs, "、")))
			return c.Redirect("/admin/users?ok=user_created", fiber.StatusSeeOther)
		}
	}
	status, p, err := formError(err)
	if err != nil {
		return err
	}
	return s.usersPage(c, status, *p, form)
}

type userData struct {
	User  *weiquan.User
	Form  userForm
	Roles []roleOption
	Units []weiquan.Unit
	Self  bool
}

func (s *Server) userPage(c *fiber.Ctx, status int, p Page, form *userForm) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	u, err := s.Admin.GetUser(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	if form == nil {
		form = &userForm{ID: u.ID, Username: u.Username, Role: string(u.Role), Units: strings.Join(u.UnitIDs, ", "), Disabled: u.Disabled}
	}
	p.Data = userData{User: u, Form: *form, Roles: roleOptions(), Units: s.Units.All(), Self: u.ID == actor(c).UserID}
	return s.adminPage(c, status, "admin_user.html", "账号 "+u.Username, "users", p)
}

func (s *Server) adminUserPage(c *fiber.Ctx) error {
	return s.userPage(c, fiber.StatusOK, Page{}, nil)
}

func (s *Server) adminUserSave(c *fiber.Ctx) error {
	id := c.Params("id")
	form := userForm{ID: id, Role: c.FormValue("role"), Units: c.FormValue("units"), Disabled: c.FormValue("disabled") == "on"}
	units := splitIDs(form.Units)
	var err error
	if len(units) > maxUserUnits {
		err = weiquan.ValidationErrors{"units": {Code: "too_many", Message: fmt.Sprintf("一个用户最多绑定 %d 个承办单位", maxUserUnits)}}.Err()
	} else {
		_, err = s.updateUser(c, id, workflow.UserAccess{Role: weiquan.Role(form.Role), UnitIDs: units, Disabled: form.Disabled})
	}
	if err == nil {
		return c.Redirect("/admin/users/"+url.PathEscape(id)+"?ok=user_saved", fiber.StatusSeeOther)
	}
	status, p, err := formError(err)
	if err != nil {
		return err
	}
	return s.userPage(c, status, *p, &form)
}

func (s *Server) adminUserPassword(c *fiber.Ctx) error {
	id := c.Params("id")
	err := s.resetPassword(c, id, c.FormValue("password"))
	if err == nil {
		return c.Redirect("/admin/users/"+url.PathEscape(id)+"?ok=password", fiber.StatusSeeOther)
	}
	status, p, err := formError(err)
	if err != nil {
		return err
	}
	return s.userPage(c, status, *p, nil)
}

// ---- API tokens ----

type tokensData struct {
	Enabled bool
	Tokens  []tokenView
	Form    tokenForm
	Roles   []roleOption
	Units   []weiquan.Unit
	// Created is the token just made: shown this once.
	Created *createdToken
}

type tokenForm struct {
	Name, Role, Units, ExpiresAt string
}

func (s *Server) tokensPage(c *fiber.Ctx, status int, p Page, form tokenForm, created *createdToken) error {
	d := tokensData{Enabled: s.Tokens != nil, Form: form, Units: s.Units.All(), Created: created}
	for _, r := range roleOptions() {
		if r.Code != weiquan.RoleAdmin { // administration stays with people
			d.Roles = append(d.Roles, r)
		}
	}
	if d.Form.Role == "" {
		d.Form.Role = string(weiquan.RoleOperator)
	}
	if s.Tokens != nil {
		ctx, cancel := s.ctx(c)
		defer cancel()
		list, err := s.Tokens.List(ctx)
		if err != nil {
			return err
		}
		for i := range list {
			d.Tokens = append(d.Tokens, s.viewToken(&list[i]))
		}
	}
	p.Data = d
	return s.adminPage(c, status, "admin_tokens.html", "API 令牌", "tokens", p)
}

func (s *Server) adminTokensPage(c *fiber.Ctx) error {
	return s.tokensPage(c, fiber.StatusOK, Page{}, tokenForm{}, nil)
}

// adminTokenCreate shows the new token on the page it answers with (not
// after a redirect: the token must not sit in a URL or a session).
func (s *Server) adminTokenCreate(c *fiber.Ctx) error {
	if s.Tokens == nil {
		return errNoTokens
	}
	form := tokenForm{Name: c.FormValue("name"), Role: c.FormValue("role"), Units: c.FormValue("units"),
		ExpiresAt: strings.TrimSpace(c.FormValue("expires_at"))}
	nt := workflow.NewToken{Name: form.Name, Role: weiquan.Role(form.Role), UnitIDs: splitIDs(form.Units)}
	var err error
	if form.ExpiresAt != "" {
		at, ok := parseExpiry(form.ExpiresAt)
		if !ok {
			err = weiquan.ValidationErrors{"expires_at": {Code: "invalid_time", Message: "过期日期格式不正确，请写成 2027-01-01"}}.Err()
		}
		nt.ExpiresAt = &at
	}
	if err == nil {
		ctx, cancel := s.ctx(c)
		defer cancel()
		var token string
		var t *weiquan.APIToken
		token, t, err = s.Tokens.Create(ctx, nt, actor(c).UserID)
		if err == nil {
			s.log.Info("api token created", "id", t.ID, "name", t.Name, "role", t.Role, "by", actor(c).UserID)
			s.audit(c, "", "token_created", fmt.Sprintf("创建 API 令牌 %s（%s，角色 %s）", t.ID, t.Name, t.Role))
			created := &createdToken{Token: token, tokenView: s.viewToken(t)}
			return s.tokensPage(c, fiber.StatusCreated, Page{Flash: "API 令牌已创建。令牌只显示这一次，请立即复制保存。"}, tokenForm{}, created)
		}
	}
	status, p, err := formError(err)
	if err != nil {
		return err
	}
	return s.tokensPage(c, status, *p, form, nil)
}

func (s *Server) adminTokenRevoke(c *fiber.Ctx) error {
	if s.Tokens == nil {
		return errNoTokens
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	t, err := s.Tokens.Revoke(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	s.log.Info("api token revoked", "id", t.ID, "name", t.Name, "by", actor(c).UserID)
	s.audit(c, "", "token_revoked", fmt.Sprintf("撤销 API 令牌 %s（%s）", t.ID, t.Name))
	return c.Redirect("/admin/tokens?ok=token_revoked", fiber.StatusSeeOther)
}

// ---- Units ----

type unitsData struct {
	Editable []workflow.UnitInfo
	Agencies int
	Dispatch int
}

func (s *Server) adminUnitsPage(c *fiber.Ctx) error {
	var d unitsData
	for _, u := range s.Admin.ListUnits() {
		switch u.Type {
		case weiquan.UnitAgency:
			d.Agencies++
		case weiquan.UnitDispatch:
			d.Dispatch++
		default:
			d.Editable = append(d.Editable, u)
		}
	}
	return s.adminPage(c, fiber.StatusOK, "admin_units.html", "承办单位", "units", Page{Data: d})
}

// unitForm is a unit as the form shows it: lists as text, the ceiling in
// yuan.
type unitForm struct {
	ID, Name, Type, DivisionCode, ParentID, USCC string
	Members, Covers, MaxAmountYuan, DeadlineDays string
	Example, Existing                            bool
}

type unitFormData struct {
	Form  unitForm
	Types []option
}

type option struct{ Code, Label string }

func unitTypeOptions() []option {
	return []option{
		{string(weiquan.UnitStation), "消费维权服务站（station）"},
		{string(weiquan.UnitArbitration), "小额消费纠纷仲裁机构（arbitration）"},
		{string(weiquan.UnitEnterprise), "ODR 企业（enterprise）"},
	}
}

func formOfUnit(u weiquan.Unit) unitForm {
	f := unitForm{ID: u.ID, Name: u.Name, Type: string(u.Type), DivisionCode: u.DivisionCode, ParentID: u.ParentID,
		USCC: u.USCC, Members: strings.Join(u.Members, "\n"), Covers: strings.Join(u.Covers, ", "), Example: u.Example,
		Existing: true}
	if u.MaxAmountFen != 0 {
		f.MaxAmountYuan = yuan(u.MaxAmountFen)
	}
	if u.DeadlineDays != 0 {
		f.DeadlineDays = strconv.Itoa(u.DeadlineDays)
	}
	return f
}

func (s *Server) unitPage(c *fiber.Ctx, status int, p Page, form unitForm) error {
	p.Data = unitFormData{Form: form, Types: unitTypeOptions()}
	title := "新增单位"
	if form.Existing {
		title = "修改单位 " + form.ID
	}
	return s.adminPage(c, status, "admin_unit.html", title, "units", p)
}

// adminUnitPage is the form for a new unit, or (?id=…) for an existing one.
func (s *Server) adminUnitPage(c *fiber.Ctx) error {
	if id := c.Query("id"); id != "" {
		u, ok := s.Units.Get(id)
		if !ok {
			return weiquan.Errorf(weiquan.ENotFound, "没有这个单位：%s", id)
		}
		if !slices.Contains(workflow.EditableUnitTypes, u.Type) {
			return weiquan.Errorf(weiquan.EForbidden, "市场监管局和指挥中心由区划表和单位文件生成，不能在这里修改")
		}
		return s.unitPage(c, fiber.StatusOK, Page{}, formOfUnit(u))
	}
	typ := c.Query("type", string(weiquan.UnitStation))
	return s.unitPage(c, fiber.StatusOK, Page{}, unitForm{Type: typ})
}

// optionalYuan reads an amount in yuan ("5000", "5000.5", "5,000.00") as
// fen; an empty field is 0, negative amounts and more than two decimals
// are refused.
func optionalYuan(v string) (int64, bool) {
	v = strings.ReplaceAll(strings.TrimSuffix(strings.TrimSpace(v), "元"), ",", "")
	if v == "" {
		return 0, true
	}
	whole, frac, _ := strings.Cut(v, ".")
	if whole == "" || len(whole) > 10 || len(frac) > 2 || strings.Trim(whole+frac, "0123456789") != "" {
		return 0, false
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt((frac + "0")[:2], 10, 64)
	}
	return w*100 + f, true
}

func (s *Server) adminUnitSave(c *fiber.Ctx) error {
	form := unitForm{ID: strings.TrimSpace(c.FormValue("id")), Name: strings.TrimSpace(c.FormValue("name")),
		Type: c.FormValue("type"), DivisionCode: strings.TrimSpace(c.FormValue("division_code")),
		ParentID: strings.TrimSpace(c.FormValue("parent_id")), USCC: strings.ToUpper(strings.TrimSpace(c.FormValue("uscc"))),
		Members: c.FormValue("members"), Covers: c.FormValue("covers"), MaxAmountYuan: c.FormValue("max_amount_yuan"),
		DeadlineDays: strings.TrimSpace(c.FormValue("deadline_days")), Example: c.FormValue("example") == "on",
		Existing: c.FormValue("existing") == "true"}
	u := weiquan.Unit{ID: form.ID, Name: form.Name, Type: weiquan.UnitType(form.Type), DivisionCode: form.DivisionCode,
		ParentID: form.ParentID, USCC: form.USCC, Example: form.Example}
	for _, m := range splitIDs(form.Members) {
		u.Members = append(u.Members, strings.ToUpper(m))
	}
	u.Covers = splitIDs(form.Covers)
	v := weiquan.ValidationErrors{}
	if fen, ok := optionalYuan(form.MaxAmountYuan); ok {
		u.MaxAmountFen = fen
	} else {
		v.Add("max_amount_fen", "invalid_amount", "金额上限应为不超过两位小数的元数，如 5000 或 5000.50")
	}
	if form.DeadlineDays != "" {
		n, err := strconv.Atoi(form.DeadlineDays)
		if err != nil {
			v.Add("deadline_days", "invalid", "时限应为整数个工作日")
		}
		u.DeadlineDays = n
	}
	err := v.Err()
	if err == nil {
		var created bool
		if created, err = s.saveUnit(c, u); err == nil {
			ok := "unit_saved"
			if created {
				ok = "unit_created"
			}
			return c.Redirect("/admin/units?ok="+ok, fiber.StatusSeeOther)
		}
	}
	status, p, err := formError(err)
	if err != nil {
		return err
	}
	return s.unitPage(c, status, *p, form)
}

// ---- Routing rules ----

// sampleCase is the dry run's sample case as the form holds it.
type sampleCase struct {
	Kind, Channel, Category, Problem               string
	RespondentName, RespondentUSCC, RespondentAddr string
	Platform, ComplainantAddr, AmountYuan          string
	Mediation, Arbitration                         bool
}

func defaultSample() sampleCase {
	return sampleCase{Kind: string(weiquan.KindComplaint), Channel: "12315", Category: "household_appliances", Problem: "quality",
		RespondentName: "厦门某某电器有限公司", RespondentAddr: "厦门市思明区湖滨南路88号",
		ComplainantAddr: "福州市鼓楼区五四路100号", AmountYuan: "3599.00", Mediation: true}
}

func sampleFromForm(c *fiber.Ctx) sampleCase {
	return sampleCase{Kind: c.FormValue("kind"), Channel: c.FormValue("channel"), Category: c.FormValue("category"),
		Problem: c.FormValue("problem"), RespondentName: c.FormValue("respondent_name"),
		RespondentUSCC: c.FormValue("respondent_uscc"), RespondentAddr: c.FormValue("respondent_address"),
		Platform: c.FormValue("respondent_platform"), ComplainantAddr: c.FormValue("complainant_address"),
		AmountYuan: c.FormValue("amount_yuan"), Mediation: c.FormValue("consent_mediation") == "on",
		Arbitration: c.FormValue("consent_arbitration") == "on"}
}

// intake builds the sample case in the intake format, so that it is
// validated and normalised exactly as a registered case (and as
// /routing/explain takes it). The complainant is a placeholder: routing
// does not look at who complains, only where from.
func (sc sampleCase) intake() ([]byte, error) {
	fen, ok := optionalYuan(sc.AmountYuan)
	if !ok {
		return nil, weiquan.ValidationErrors{"subject.amount_fen": {Code: "invalid_amount", Message: "金额应为不超过两位小数的元数"}}.Err()
	}
	body := map[string]any{
		"kind": sc.Kind, "channel": sc.Channel,
		"complainant": map[string]any{"name": "试运行示例", "phone": "13800000000", "address": sc.ComplainantAddr},
		"respondent": map[string]any{"name": sc.RespondentName, "uscc": strings.TrimSpace(sc.RespondentUSCC),
			"address": sc.RespondentAddr, "platform": sc.Platform},
		"subject":     map[string]any{"category": sc.Category, "problem": sc.Problem, "amount_fen": fen},
		"description": "分派规则试运行的示例案件",
		"consent":     map[string]any{"mediation": sc.Mediation, "arbitration": sc.Arbitration},
	}
	if sc.Kind == string(weiquan.KindComplaint) {
		body["demands"] = []string{"refund"}
	}
	return json.Marshal(body)
}

type ruleLine struct {
	Line    int
	Message string
}

type rulesData struct {
	Info  workflow.RulesInfo
	Text  string
	Lines []ruleLine // problems of the text shown, by line
	// SampleErrors are the sample case's problems (intake's field names).
	SampleErrors []string
	Sample       sampleCase
	Result       *workflow.Decision
	// Department is the result's department in Chinese.
	Department string
	Vocab      weiquan.Taxonomy
}

// departmentNames are routing's departments (workflow.Dept…) in Chinese.
var departmentNames = map[string]string{
	workflow.DeptConsumerProtection:   "消费者权益保护",
	workflow.DeptFoodDrug:             "食品药品",
	workflow.DeptQuality:              "质量监督",
	workflow.DeptPrice:                "价格监督",
	workflow.DeptIntellectualProperty: "知识产权",
}

func (s *Server) rulesPage(c *fiber.Ctx, status int, p Page, d rulesData) error {
	d.Info = s.Admin.Rules()
	if d.Text == "" {
		d.Text = d.Info.Text
	}
	if d.Sample == (sampleCase{}) {
		d.Sample = defaultSample()
	}
	d.Vocab = weiquan.Vocabulary
	for k, fe := range p.FieldErrors {
		if n, ok := strings.CutPrefix(k, "rules:"); ok {
			line, _ := strconv.Atoi(n)
			d.Lines = append(d.Lines, ruleLine{Line: line, Message: fe.Message})
		} else if k != "rules" {
			d.SampleErrors = append(d.SampleErrors, k+"："+fe.Message)
		}
	}
	slices.SortFunc(d.Lines, func(a, b ruleLine) int { return a.Line - b.Line })
	slices.Sort(d.SampleErrors)
	p.Data = d
	return s.adminPage(c, status, "admin_rules.html", "分派规则", "rules", p)
}

func (s *Server) adminRulesPage(c *fiber.Ctx) error {
	return s.rulesPage(c, fiber.StatusOK, Page{}, rulesData{})
}

func (s *Server) adminRulesSave(c *fiber.Ctx) error {
	text := strings.ReplaceAll(c.FormValue("rules"), "\r\n", "\n")
	err := s.saveRules(c, text)
	if err == nil {
		return c.Redirect("/admin/rules?ok=rules", fiber.StatusSeeOther)
	}
	status, p, err := formError(err)
	if err != nil {
		return err
	}
	return s.rulesPage(c, status, *p, rulesData{Text: text, Sample: sampleFromForm(c)})
}

// adminRulesDryRun routes the sample case with the text of the form, saving
// nothing, and shows the decision and its explanation.
func (s *Server) adminRulesDryRun(c *fiber.Ctx) error {
	text := strings.ReplaceAll(c.FormValue("rules"), "\r\n", "\n")
	sample := sampleFromForm(c)
	d := rulesData{Text: text, Sample: sample}
	body, err := sample.intake()
	if err == nil {
		var draft weiquan.Case
		if draft, err = workflow.DecodeIntake(body); err == nil {
			var dec workflow.Decision
			if dec, err = s.Admin.DryRun(text, &draft); err == nil {
				d.Result = &dec
				d.Department = departmentNames[dec.Department]
				if d.Department == "" {
					d.Department = dec.Department
				}
				return s.rulesPage(c, fiber.StatusOK, Page{Flash: "试运行完成（规则未保存）"}, d)
			}
			err = rulesError(err)
		}
	}
	status, p, err := formError(err)
	if err != nil {
		return err
	}
	return s.rulesPage(c, status, *p, d)
}

// ---- Deadline policies ----

type policiesData struct {
	Policies []workflow.PolicyInfo
	Text     string
}

func (s *Server) policiesPage(c *fiber.Ctx, status int, p Page, text string) error {
	p.Data = policiesData{Policies: s.Admin.ListPolicies(), Text: text}
	return s.adminPage(c, status, "admin_policies.html", "时限政策", "policies", p)
}

func (s *Server) adminPoliciesPage(c *fiber.Ctx) error {
	return s.policiesPage(c, fiber.StatusOK, Page{}, "")
}

// adminPolicyLoad takes a policy file uploaded or pasted.
func (s *Server) adminPolicyLoad(c *fiber.Ctx) error {
	text := c.FormValue("policy")
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			return weiquan.WrapError(weiquan.EInvalid, "无法读取上传的文件", err)
		}
		raw, err := io.ReadAll(io.LimitReader(f, 64<<10))
		f.Close()
		if err != nil {
			return weiquan.WrapError(weiquan.EInvalid, "无法读取上传的文件", err)
		}
		text = string(raw)
	}
	_, err := s.addPolicy(c, []byte(text))
	if err == nil {
		return c.Redirect("/admin/policies?ok=policy", fiber.StatusSeeOther)
	}
	status, p, err := formError(err)
	if err != nil {
		return err
	}
	return s.policiesPage(c, status, *p, text)
}

func (s *Server) adminPolicyDefault(c *fiber.Ctx) error {
	err := s.setDefaultPolicy(c, c.FormValue("policy_id"))
	if err == nil {
		return c.Redirect("/admin/policies?ok=default", fiber.StatusSeeOther)
	}
	status, p, err := formError(err)
	if err != nil {
		return err
	}
	return s.policiesPage(c, status, *p, "")
}

// ---- Local SMS log ----

// smsRow is one entry of the local SMS log as the page shows it.
type smsRow struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	CaseID   string    `json:"case_id"`
	Template string    `json:"template"`
	To       string    `json:"to"`
	Body     string    `json:"body"`
	Segments int       `json:"segments"`
}

func (s *Server) adminSMSPage(c *fiber.Ctx) error {
	var rows []smsRow
	if s.SMS.Log != nil {
		ctx, cancel := s.ctx(c)
		defer cancel()
		items, err := s.SMS.Log(ctx, 100)
		if err != nil {
			return err
		}
		// The log comes as the store's entries behind an interface (the
		// handlers do not import the store); its JSON form is the contract.
		raw, err := json.Marshal(items)
		if err == nil {
			err = json.Unmarshal(raw, &rows)
		}
		if err != nil {
			return weiquan.WrapError(weiquan.EInternal, "短信日志无法显示", err)
		}
		for i := range rows {
			// Numbers are stored in E.164 (+86…); the mask is for the
			// national form.
			national := strings.TrimPrefix(rows[i].To, "+86")
			rows[i].To = weiquan.MaskPhone(national)
			// A body naming its own recipient or an ID number is masked
			// too; the one-time codes stay readable (that is what the log
			// is for in development).
			if national != "" {
				rows[i].Body = strings.ReplaceAll(rows[i].Body, national, rows[i].To)
			}
			rows[i].Body = weiquan.MaskIDNumbersIn(rows[i].Body)
		}
	}
	return s.adminPage(c, fiber.StatusOK, "admin_sms.html", "本地短信日志", "sms", Page{Data: rows})
}
