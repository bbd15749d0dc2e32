package handlers_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"weiquan"
)

// adminPagePaths are every admin page a GET reaches.
var adminPagePaths = []string{"/admin", "/admin/users", "/admin/users/u-off1", "/admin/tokens", "/admin/units",
	"/admin/units/edit?type=arbitration", "/admin/units/edit?id=station-350203-zhongshan", "/admin/rules",
	"/admin/policies", "/admin/sms"}

var (
	controlRE = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	idRE      = regexp.MustCompile(`\bid="([^"]+)"`)
	typeRE    = regexp.MustCompile(`\btype="([^"]+)"`)
)

// mustLabelEveryInput fails for a visible form control without a
// <label for> naming it.
func mustLabelEveryInput(t *testing.T, where string, body []byte) {
	t.Helper()
	page := string(body)
	for _, tag := range controlRE.FindAllString(page, -1) {
		if m := typeRE.FindStringSubmatch(tag); m != nil && (m[1] == "hidden" || m[1] == "submit") {
			continue
		}
		id := idRE.FindStringSubmatch(tag)
		if id == nil {
			t.Errorf("%s: a control without id (so without label): %s", where, tag)
			continue
		}
		if !strings.Contains(page, `for="`+id[1]+`"`) {
			t.Errorf("%s: no label for #%s", where, id[1])
		}
	}
}

func adminPagesRefused(t *testing.T, e *env) {
	anon := e.anonymousPages()
	officer := e.pageAs("off1")
	operator := e.pageAs("op1")
	for _, path := range adminPagePaths {
		r := anon.get(t, path)
		if loc := r.header.Get("Location"); r.status != 303 || !strings.HasPrefix(loc, "/login?next=") {
			t.Errorf("anonymous %s: got %d to %q, want 303 to the sign-in page", path, r.status, loc)
		}
		for _, p := range []*formClient{officer, operator} {
			if r := p.get(t, path); r.status != 403 {
				t.Errorf("non-admin %s: got %d, want 403", path, r.status)
			}
		}
	}
	// A form post by an officer is refused whatever it carries.
	r := officer.postDirect(t, "/admin/users/u-off1", url.Values{"role": {"admin"}})
	if r.status != 403 {
		t.Errorf("officer promoting themself: %d", r.status)
	}
	if u, _ := e.store.GetUser(context.Background(), "u-off1"); u.Role != weiquan.RoleOfficer {
		t.Errorf("role changed to %s", u.Role)
	}
	// A form post without the anti-forgery token is refused, admin or not.
	admin := e.pageAs("admin1")
	if r := admin.request(t, "POST", "/admin/rules", url.Values{"rules": {"rule x: -> dispatch"}}); r.status != 403 {
		t.Errorf("admin form without _csrf: %d", r.status)
	}
}

func adminPagesRender(t *testing.T, e *env) {
	msg := weiquan.Message{Template: "otp", To: "+8613912345678", Body: "【消费维权】验证码 123456，5 分钟内有效。", Segments: 1}
	if _, err := e.store.AppendSMSLog(context.Background(), "", msg, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	admin := e.pageAs("admin1")
	wants := map[string][]string{
		"/admin":                             {"系统管理", "账号与角色", "系统内置的福建省规则", "order20-2022"},
		"/admin/users":                       {"admin1", "off1", "办案人员", "新建账号"},
		"/admin/users/u-off1":                {"账号 off1", "重置密码", "思明区市场监督管理局"},
		"/admin/tokens":                      {"API 令牌", "创建令牌"},
		"/admin/units":                       {"station-350203-zhongshan", "新增服务站", "市场监管局"},
		"/admin/units/edit?type=arbitration": {"新增单位", "仲裁金额上限"},
		"/admin/units/edit?id=station-350203-zhongshan": {"修改单位 station-350203-zhongshan", "readonly"},
		"/admin/rules":    {"county-agency", "试运行", "保存规则并立即生效"},
		"/admin/policies": {"order20-2022", "新案件默认", "载入新政策"},
		"/admin/sms":      {"139****5678", "验证码 123456"},
	}
	for _, path := range adminPagePaths {
		r := admin.get(t, path)
		if r.status != 200 {
			t.Errorf("%s: %d %.300s", path, r.status, textOf(r.body))
			continue
		}
		mustContain(t, path, r, wants[path]...)
		mustLabelEveryInput(t, path, r.body)
		if strings.Contains(string(r.body), "13912345678") {
			t.Errorf("%s shows a full phone number", path)
		}
		assertNoFullPII(t, path, r.body)
	}
	if r := admin.get(t, "/admin/units/edit?id=amr-350203"); r.status != 403 {
		t.Errorf("editing an agency: %d", r.status)
	}
	if r := admin.get(t, "/admin/users/u-nobody"); r.status != 404 {
		t.Errorf("unknown user page: %d", r.status)
	}
}

func adminPagesUsers(t *testing.T, e *env) {
	admin := e.pageAs("admin1")

	r := admin.postDirect(t, "/admin/users", url.Values{"username": {"BAD NAME"}, "password": {"short"}, "role": {"officer"}})
	if r.status != 422 {
		t.Fatalf("bad account: %d", r.status)
	}
	mustContain(t, "bad account", r, "用户名须为", "密码长度须为", "办案人员和监督人员须绑定承办单位")

	r = admin.postDirect(t, "/admin/users", url.Values{"username": {"off9"}, "password": {testPassword}, "role": {"officer"},
		"units": {"amr-350203，amr-350206"}})
	if r.status != 303 || r.header.Get("Location") != "/admin/users?ok=user_created" {
		t.Fatalf("create: %d %s %.300s", r.status, r.header.Get("Location"), textOf(r.body))
	}
	mustContain(t, "after create", admin.get(t, "/admin/users?ok=user_created"), "账号已创建", "off9")
	u, err := e.store.GetUser(context.Background(), "u-off9")
	if err != nil || strings.Join(u.UnitIDs, ",") != "amr-350203,amr-350206" {
		t.Fatalf("created %+v %v", u, err)
	}

	session := e.login("off9")
	r = admin.postDirect(t, "/admin/users/u-off9", url.Values{"role": {"supervisor"}, "units": {"amr-350200"}, "disabled": {"on"}})
	if r.status != 303 {
		t.Fatalf("save: %d %.300s", r.status, textOf(r.body))
	}
	if u, _ := e.store.GetUser(context.Background(), "u-off9"); u.Role != weiquan.RoleSupervisor || !u.Disabled {
		t.Errorf("saved %+v", u)
	}
	if r := e.do("GET", "/api/v1/cases", session, nil); r.status != 401 {
		t.Errorf("a disabled account's session: %d", r.status)
	}
	r = admin.postDirect(t, "/admin/users/u-off9", url.Values{"role": {"officer"}, "units": {"amr-999999"}})
	if r.status != 422 {
		t.Fatalf("unknown unit: %d", r.status)
	}
	mustContain(t, "unknown unit", r, "没有这个承办单位：amr-999999", `value="amr-999999"`)

	r = admin.postDirect(t, "/admin/users/u-admin1", url.Values{"role": {"admin"}, "disabled": {"on"}})
	if r.status != 422 {
		t.Fatalf("self-disable: %d", r.status)
	}
	mustContain(t, "self-disable", r, "不能停用自己的账号")

	if r := admin.postDirect(t, "/admin/users/u-off1/password", url.Values{"password": {"short"}}); r.status != 422 {
		t.Errorf("weak password: %d", r.status)
	}
	if r := admin.postDirect(t, "/admin/users/u-off1/password", url.Values{"password": {"a fresh long password"}}); r.status != 303 {
		t.Errorf("reset: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "off1", "password": "a fresh long password"}); r.status != 200 {
		t.Errorf("sign-in with the reset password: %d", r.status)
	}
	mustAudit(t, e, "u-admin1", "user_created", "user_updated", "password_reset")
}

func adminPagesTokens(t *testing.T, e *env) {
	admin := e.pageAs("admin1")
	if r := admin.postDirect(t, "/admin/tokens", url.Values{"name": {""}, "role": {"operator"}}); r.status != 422 {
		t.Errorf("nameless token: %d", r.status)
	}
	r := admin.postDirect(t, "/admin/tokens", url.Values{"name": {"12315 呼叫中心"}, "role": {"operator"}})
	if r.status != 201 {
		t.Fatalf("create: %d %.300s", r.status, textOf(r.body))
	}
	tok := regexp.MustCompile(`wqt_[A-Za-z0-9_-]{43}`).Find(r.body)
	if tok == nil {
		t.Fatalf("the page does not show the new token: %.500s", textOf(r.body))
	}
	if got := e.do("GET", "/api/v1/taxonomy", string(tok), nil); got.status != 200 {
		t.Errorf("the new token does not work: %d", got.status)
	}
	list := admin.get(t, "/admin/tokens")
	if strings.Contains(string(list.body), string(tok)) {
		t.Error("the token is shown again after it was created")
	}
	id := regexp.MustCompile(`/admin/tokens/([0-9a-f]{64})/revoke`).FindSubmatch(list.body)
	if id == nil {
		t.Fatalf("no revoke form: %.500s", textOf(list.body))
	}
	if r := admin.postDirect(t, "/admin/tokens/"+string(id[1])+"/revoke", url.Values{}); r.status != 303 {
		t.Fatalf("revoke: %d", r.status)
	}
	if got := e.do("GET", "/api/v1/taxonomy", string(tok), nil); got.status != 401 {
		t.Errorf("a revoked token: %d", got.status)
	}
	mustContain(t, "after revoke", admin.get(t, "/admin/tokens?ok=token_revoked"), "API 令牌已撤销", "已撤销")
}

func adminPagesUnits(t *testing.T, e *env) {
	admin := e.pageAs("admin1")
	form := url.Values{"id": {"station-350203-page"}, "name": {"<script>alert(1)</script>思明测试服务站"}, "type": {"station"},
		"division_code": {"350203"}, "parent_id": {"amr-350203"}, "members": {"91350203MA8ADMN020\n"}, "deadline_days": {"5"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("division_code", "999999")
	bad.Set("max_amount_yuan", "12.345")
	r := admin.postDirect(t, "/admin/units", bad)
	if r.status != 422 {
		t.Fatalf("bad unit: %d", r.status)
	}
	mustContain(t, "bad unit", r, "金额上限应为", `value="999999"`)

	r = admin.postDirect(t, "/admin/units", form)
	if r.status != 303 || r.header.Get("Location") != "/admin/units?ok=unit_created" {
		t.Fatalf("save: %d %q %.300s", r.status, r.header.Get("Location"), textOf(r.body))
	}
	if u, ok := e.engine.Units.Get("station-350203-page"); !ok || u.Members[0] != "91350203MA8ADMN020" {
		t.Errorf("live units: %+v %v", u, ok)
	}
	list := admin.get(t, "/admin/units?ok=unit_created")
	mustContain(t, "units list", list, "单位已新增", "station-350203-page", "管理员 u-admin1")
	if strings.Contains(string(list.body), "<script>alert(1)") {
		t.Error("a unit name is not escaped")
	}
	mustAudit(t, e, "u-admin1", "unit_saved")
}

func adminPagesRules(t *testing.T, e *env) {
	admin := e.pageAs("admin1")
	op := e.login("op1")
	moved := rulesWith("rule page-test: kind=complaint division=350203 -> track=agency unit=amr-350206")
	sample := url.Values{"kind": {"complaint"}, "channel": {"12315"}, "category": {"household_appliances"}, "problem": {"quality"},
		"respondent_name": {"厦门某某电器有限公司"}, "respondent_address": {"厦门市思明区湖滨南路88号"},
		"complainant_address": {"福州市鼓楼区五四路100号"}, "amount_yuan": {"3599"}, "consent_mediation": {"on"}}
	withRules := func(text string) url.Values {
		v := url.Values{"rules": {text}}
		for k, x := range sample {
			v[k] = x
		}
		return v
	}

	r := admin.postDirect(t, "/admin/rules/dry-run", withRules(moved))
	if r.status != 200 {
		t.Fatalf("dry run: %d %.300s", r.status, textOf(r.body))
	}
	mustContain(t, "dry run", r, "试运行结果", "page-test", "amr-350206", "湖里区", "规则未保存")
	if c := e.intake(op, nil); c.UnitID != "amr-350203" {
		t.Errorf("a dry run changed routing: %s", c.UnitID)
	}

	broken := strings.Replace(moved, "unit=amr-350206", "unit=amr-nowhere", 1)
	r = admin.postDirect(t, "/admin/rules", withRules(broken))
	if r.status != 422 {
		t.Fatalf("bad rules: %d", r.status)
	}
	line := 0
	for i, l := range strings.Split(broken, "\n") {
		if strings.HasPrefix(l, "rule page-test") {
			line = i + 1
		}
	}
	mustContain(t, "bad rules", r, "规则有 1 行需要修改", "第 "+strconv.Itoa(line)+" 行", "amr-nowhere")
	if c := e.intake(op, nil); c.UnitID != "amr-350203" {
		t.Errorf("refused rules changed routing: %s", c.UnitID)
	}

	r = admin.postDirect(t, "/admin/rules", withRules(moved))
	if r.status != 303 {
		t.Fatalf("save: %d %.300s", r.status, textOf(r.body))
	}
	if c := e.intake(op, nil); c.UnitID != "amr-350206" {
		t.Errorf("saved rules did not route the next case: %s", c.UnitID)
	}
	mustContain(t, "after save", admin.get(t, "/admin/rules?ok=rules"), "分派规则已保存并立即生效", "管理员 u-admin1", "page-test")
}

func adminPagesPolicies(t *testing.T, e *env) {
	admin := e.pageAs("admin1")
	op := e.login("op1")
	bad := strings.Replace(samplePolicy("order121-page"), `"mediate_days": 30`, `"mediate_days": "thirty"`, 1)
	if r := admin.postDirect(t, "/admin/policies", url.Values{"policy": {bad}}); r.status != 400 {
		t.Errorf("bad policy: %d %.300s", r.status, textOf(r.body))
	}
	if r := admin.postDirect(t, "/admin/policies", url.Values{"policy": {samplePolicy("order121-page")}}); r.status != 303 {
		t.Fatalf("load: %d %.300s", r.status, textOf(r.body))
	}
	if r := admin.postDirect(t, "/admin/policies/default", url.Values{"policy_id": {"nope"}}); r.status != 422 {
		t.Errorf("unknown default: %d", r.status)
	}
	if r := admin.postDirect(t, "/admin/policies/default", url.Values{"policy_id": {"order121-page"}}); r.status != 303 {
		t.Fatalf("default: %d", r.status)
	}
	if c := e.intake(op, nil); c.Policy != "order121-page" {
		t.Errorf("new case policy %q", c.Policy)
	}
	mustContain(t, "policies", admin.get(t, "/admin/policies?ok=default"), "默认时限政策已更改", "order121-page", "管理员载入")

	// The file can be uploaded too (multipart, the token in the form).
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	token := csrfInPage.FindSubmatch(admin.get(t, "/admin/policies").body)
	_ = mw.WriteField("_csrf", string(token[1]))
	_ = mw.WriteField("policy", "")
	fw, _ := mw.CreateFormFile("file", "order121-upload.json")
	_, _ = fw.Write([]byte(samplePolicy("order121-upload")))
	_ = mw.Close()
	req := httptest.NewRequest("POST", "/admin/policies", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if r := admin.send(t, req); r.status != 303 {
		t.Fatalf("upload: %d %.300s", r.status, r.body)
	}
	if _, err := e.engine.Policies.Get("order121-upload"); err != nil {
		t.Errorf("the uploaded policy is not loaded: %v", err)
	}
}

// TestAdminPages walks every admin page in one environment: refusals first,
// then each page as the administrator sees it, then the changes each form
// makes (later steps see the earlier ones' changes).
func TestAdminPages(t *testing.T) {
	e := newEnv(t)
	e.newAdmin()
	for _, step := range []struct {
		name string
		run  func(*testing.T, *env)
	}{
		{"refused", adminPagesRefused}, {"render", adminPagesRender}, {"users", adminPagesUsers},
		{"tokens", adminPagesTokens}, {"units", adminPagesUnits}, {"rules", adminPagesRules},
		{"policies", adminPagesPolicies},
	} {
		t.Run(step.name, func(t *testing.T) { step.run(t, e) })
	}
}
