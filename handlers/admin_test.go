package handlers_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"weiquan"
	"weiquan/workflow"
)

// fieldCode returns the code of an error field, "" when absent.
func fieldCode(t *testing.T, r response, field string) string {
	t.Helper()
	fields, _ := errorOf(t, r)["fields"].(map[string]any)
	f, _ := fields[field].(map[string]any)
	code, _ := f["code"].(string)
	return code
}

// auditActions lists the audit actions recorded for an actor, newest first.
func (e *env) auditActions(actorID string) []string {
	e.t.Helper()
	page, err := e.store.ListAudit(context.Background(), weiquan.AuditQuery{ActorID: actorID, Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, it := range page.Items {
		out = append(out, it.Action)
	}
	return out
}

func mustAudit(t *testing.T, e *env, actorID string, actions ...string) {
	t.Helper()
	got := e.auditActions(actorID)
	for _, a := range actions {
		found := false
		for _, g := range got {
			if g == a {
				found = true
			}
		}
		if !found {
			t.Errorf("no audit entry %q for %s; have %v", a, actorID, got)
		}
	}
}

func TestAdminUsersAPI(t *testing.T) {
	e := newEnv(t)
	admin := e.newAdmin()
	officer := e.login("off1")

	t.Run("refused to others", func(t *testing.T) {
		for _, tok := range []string{officer, e.login("op1")} {
			if r := e.do("GET", "/api/v1/admin/users", tok, nil); r.status != 403 {
				t.Errorf("non-admin: got %d, want 403: %s", r.status, r.body)
			}
		}
		if r := e.do("GET", "/api/v1/admin/users", "", nil); r.status != 401 {
			t.Errorf("anonymous: got %d, want 401", r.status)
		}
		if r := e.do("PUT", "/api/v1/admin/users/u-off2", officer, map[string]any{"role": "admin"}); r.status != 403 {
			t.Errorf("officer promoting: got %d, want 403", r.status)
		}
	})

	t.Run("list", func(t *testing.T) {
		r := e.do("GET", "/api/v1/admin/users", admin, nil)
		if r.status != 200 {
			t.Fatalf("got %d: %s", r.status, r.body)
		}
		if strings.Contains(string(r.body), "argon2") || strings.Contains(string(r.body), "password_hash") {
			t.Error("the list shows password hashes")
		}
		var out struct {
			Items []struct {
				Username string   `json:"username"`
				Role     string   `json:"role"`
				UnitIDs  []string `json:"unit_ids"`
			}
		}
		_ = json.Unmarshal(r.body, &out)
		var names []string
		for _, u := range out.Items {
			names = append(names, u.Username+"/"+u.Role)
		}
		if got := strings.Join(names, " "); got != "admin1/admin off1/officer off2/officer op1/operator" {
			t.Errorf("users %q", got)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, tt := range []struct {
			name, path string
			body       map[string]any
			status     int
			field      string
		}{
			{"unknown role", "/api/v1/admin/users/u-off1", map[string]any{"role": "boss"}, 422, "role"},
			{"officer without unit", "/api/v1/admin/users/u-off1", map[string]any{"role": "officer"}, 422, "units"},
			{"unknown unit", "/api/v1/admin/users/u-off1", map[string]any{"role": "officer", "units": []string{"amr-999999"}}, 422, "units"},
			{"disable oneself", "/api/v1/admin/users/u-admin1", map[string]any{"role": "admin", "disabled": true}, 422, "disabled"},
			{"demote oneself", "/api/v1/admin/users/u-admin1", map[string]any{"role": "operator"}, 422, "role"},
			{"unknown field", "/api/v1/admin/users/u-off1", map[string]any{"role": "officer", "units": []string{"amr-350203"}, "rank": 1}, 400, "rank"},
		} {
			r := e.do("PUT", tt.path, admin, tt.body)
			if r.status != tt.status || fieldCode(t, r, tt.field) == "" {
				t.Errorf("%s: got %d %s, want %d naming %s", tt.name, r.status, r.body, tt.status, tt.field)
			}
		}
		if r := e.do("PUT", "/api/v1/admin/users/u-nobody", admin, map[string]any{"role": "operator"}); r.status != 404 {
			t.Errorf("unknown user: got %d", r.status)
		}
		if r := e.do("POST", "/api/v1/admin/users/u-off1/password", admin, map[string]any{"password": "short"}); r.status != 422 || fieldCode(t, r, "password") != "weak_password" {
			t.Errorf("weak password: got %d %s", r.status, r.body)
		}
		// Nothing changed: off1 still works as before.
		if r := e.do("GET", "/api/v1/cases", officer, nil); r.status != 200 {
			t.Errorf("off1 after refused changes: %d", r.status)
		}
	})

	t.Run("role and units take effect on the next request", func(t *testing.T) {
		// The dashboard's numbers are for supervisors: the officer's session,
		// cached for a few seconds, must not keep the old role.
		if r := e.do("GET", "/api/v1/stats/summary", officer, nil); r.status != 403 {
			t.Fatalf("an officer reads the dashboard numbers: %d", r.status)
		}
		r := e.do("PUT", "/api/v1/admin/users/u-off1", admin, map[string]any{"role": "supervisor", "units": []string{"amr-350200"}})
		if r.status != 200 {
			t.Fatalf("got %d: %s", r.status, r.body)
		}
		u, err := e.store.GetUser(context.Background(), "u-off1")
		if err != nil || u.Role != weiquan.RoleSupervisor || strings.Join(u.UnitIDs, ",") != "amr-350200" {
			t.Fatalf("stored %+v %v", u, err)
		}
		if r := e.do("GET", "/api/v1/stats/summary", officer, nil); r.status != 200 {
			t.Errorf("the same session after the change to supervisor: %d, want 200", r.status)
		}
		if r := e.do("GET", "/api/v1/admin/users", officer, nil); r.status != 403 {
			t.Errorf("still not an admin: %d", r.status)
		}
	})

	t.Run("disable ends sessions, enable lets them sign in again", func(t *testing.T) {
		tok := e.login("off2")
		if r := e.do("GET", "/api/v1/cases", tok, nil); r.status != 200 {
			t.Fatalf("before: %d", r.status)
		}
		r := e.do("PUT", "/api/v1/admin/users/u-off2", admin, map[string]any{"role": "officer", "units": []string{"amr-350206"}, "disabled": true})
		if r.status != 200 {
			t.Fatalf("disable: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/api/v1/cases", tok, nil); r.status != 401 {
			t.Errorf("session of a disabled account: got %d, want 401", r.status)
		}
		if r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "off2", "password": testPassword}); r.status != 401 {
			t.Errorf("sign-in of a disabled account: got %d, want 401", r.status)
		}
		r = e.do("PUT", "/api/v1/admin/users/u-off2", admin, map[string]any{"role": "officer", "units": []string{"amr-350206"}})
		if r.status != 200 {
			t.Fatalf("enable: %d %s", r.status, r.body)
		}
		e.login("off2")
	})

	t.Run("reset password", func(t *testing.T) {
		tok := e.login("op1")
		r := e.do("POST", "/api/v1/admin/users/u-op1/password", admin, map[string]any{"password": "a new long password"})
		if r.status != 204 {
			t.Fatalf("got %d: %s", r.status, r.body)
		}
		if r := e.do("GET", "/api/v1/cases", tok, nil); r.status != 401 {
			t.Errorf("old session after reset: got %d, want 401", r.status)
		}
		if r := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "op1", "password": "a new long password"}); r.status != 200 {
			t.Errorf("sign-in with the new password: %d", r.status)
		}
	})

	mustAudit(t, e, "u-admin1", "user_updated", "password_reset")
}

func adminUnitsAPI(t *testing.T, e *env, admin string) {
	op := e.login("op1")
	member := func(m map[string]any) {
		m["respondent"].(map[string]any)["uscc"] = "91350203MA8ADMN01W"
		m["respondent"].(map[string]any)["name"] = "厦门示例会员商行"
	}
	complaint := func() weiquan.Case {
		body := validComplaint()
		member(body)
		r := e.do("POST", "/api/v1/cases", op, body)
		if r.status != 201 {
			t.Fatalf("intake: %d %s", r.status, r.body)
		}
		var c weiquan.Case
		_ = json.Unmarshal(r.body, &c)
		return c
	}
	if c := complaint(); c.UnitID != "amr-350203" {
		t.Fatalf("before the station exists the case goes to %s", c.UnitID)
	}

	t.Run("bad input changes nothing", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			id    string
			mod   func(m map[string]any)
			field string
		}{
			{"agency", "amr-350203", func(m map[string]any) { m["type"] = "agency" }, "type"},
			{"bad id", "Station_1", func(map[string]any) {}, "id"},
			{"unknown division", "station-x", func(m map[string]any) { m["division_code"] = "110101" }, "division_code"},
			{"no name", "station-x", func(m map[string]any) { m["name"] = "" }, "name"},
			{"bad member", "station-x", func(m map[string]any) { m["members"] = []string{"91350203MA8ADMN01X"} }, "members"},
			{"unknown parent", "station-x", func(m map[string]any) { m["parent_id"] = "amr-000000" }, "parent_id"},
			{"arbitration without ceiling", "arb-x", func(m map[string]any) {
				m["type"], m["covers"], m["deadline_days"] = "arbitration", []string{"350200"}, 0
			}, "max_amount_fen"},
			{"example without 示例", "station-x", func(m map[string]any) { m["example"] = true }, "name"},
			{"shipped station made an enterprise", "station-350203-zhongshan", func(m map[string]any) {
				m["type"], m["uscc"], m["members"] = "enterprise", "91350203MA8ADMN046", nil
			}, "type"},
		} {
			body := sampleStation("测试服务站")
			tt.mod(body)
			r := e.do("PUT", "/api/v1/admin/units/"+tt.id, admin, body)
			if r.status != 422 || fieldCode(t, r, tt.field) == "" {
				t.Errorf("%s: got %d %s, want 422 naming %s", tt.name, r.status, r.body, tt.field)
			}
		}
		if c := complaint(); c.UnitID != "amr-350203" {
			t.Errorf("a refused unit changed routing: %s", c.UnitID)
		}
	})

	t.Run("a new station takes the next case", func(t *testing.T) {
		r := e.do("PUT", "/api/v1/admin/units/station-350203-admin", admin, sampleStation("思明区测试消费维权服务站"))
		if r.status != 201 {
			t.Fatalf("got %d: %s", r.status, r.body)
		}
		c := complaint()
		if c.UnitID != "station-350203-admin" || c.Track != weiquan.TrackStation {
			t.Errorf("next case went to %s on %s, want the new station", c.UnitID, c.Track)
		}
		stored, err := e.store.GetUnit(context.Background(), "station-350203-admin")
		if err != nil || stored.Name != "思明区测试消费维权服务站" {
			t.Errorf("units collection: %+v %v", stored, err)
		}
		r = e.do("GET", "/api/v1/admin/units", admin, nil)
		if !strings.Contains(string(r.body), `"id":"station-350203-admin"`) || !strings.Contains(string(r.body), `"source":"admin"`) {
			t.Errorf("list lacks the new unit or its source: %.300s", r.body)
		}
	})

	t.Run("edit keeps the id and answers 200", func(t *testing.T) {
		body := sampleStation("思明区测试消费维权服务站（更名）")
		r := e.do("PUT", "/api/v1/admin/units/station-350203-admin", admin, body)
		if r.status != 200 {
			t.Fatalf("got %d: %s", r.status, r.body)
		}
		if u, _ := e.engine.Units.Get("station-350203-admin"); u.Name != "思明区测试消费维权服务站（更名）" {
			t.Errorf("live units have %q", u.Name)
		}
	})

	t.Run("refused to others", func(t *testing.T) {
		if r := e.do("PUT", "/api/v1/admin/units/station-x", op, sampleStation("x（示例）")); r.status != 403 {
			t.Errorf("operator: got %d", r.status)
		}
	})
	mustAudit(t, e, "u-admin1", "unit_saved")
}

// rulesWith puts a rule before the shipped ones.
func rulesWith(rule string) string {
	_, text := workflow.DefaultRules()
	i := strings.Index(text, "\nrule ")
	return text[:i+1] + rule + "\n" + text[i+1:]
}

func adminRulesAPI(t *testing.T, e *env, admin string) {
	op := e.login("op1")
	route := func() weiquan.Case {
		r := e.do("POST", "/api/v1/cases", op, validComplaint())
		if r.status != 201 {
			t.Fatalf("intake: %d %s", r.status, r.body)
		}
		var c weiquan.Case
		_ = json.Unmarshal(r.body, &c)
		return c
	}
	const moved = "rule admin-test: kind=complaint division=350203 -> track=agency unit=amr-350206 note=\"测试规则\""

	r := e.do("GET", "/api/v1/admin/rules", admin, nil)
	if r.status != 200 || !strings.Contains(string(r.body), "county-agency") || !strings.Contains(string(r.body), `"source":"builtin"`) {
		t.Fatalf("get rules: %d %.300s", r.status, r.body)
	}

	t.Run("bad rules name the line and change nothing", func(t *testing.T) {
		text := "# comment\nrule ok: kind=complaint -> dispatch\nrule bad: colour=red -> dispatch\nrule worse: kind=x -> track=agency unit=nowhere\n"
		r := e.do("PUT", "/api/v1/admin/rules", admin, map[string]any{"text": text})
		if r.status != 422 {
			t.Fatalf("got %d: %s", r.status, r.body)
		}
		for _, f := range []string{"rules:3", "rules:4"} {
			if fieldCode(t, r, f) != "invalid_rule" {
				t.Errorf("no field %s in %s", f, r.body)
			}
		}
		if msg, _ := errorOf(t, r)["message"].(string); !strings.Contains(msg, "第 3 行") {
			t.Errorf("message %q does not name line 3", msg)
		}
		if r := e.do("PUT", "/api/v1/admin/rules", admin, map[string]any{"text": "  "}); r.status != 422 || fieldCode(t, r, "rules") != "required" {
			t.Errorf("empty rules: %d %s", r.status, r.body)
		}
		if c := route(); c.UnitID != "amr-350203" {
			t.Errorf("refused rules changed routing: %s", c.UnitID)
		}
	})

	t.Run("dry run answers as explain would, saving nothing", func(t *testing.T) {
		r := e.do("POST", "/api/v1/admin/rules/dry-run", admin, map[string]any{"rules": rulesWith(moved), "case": validComplaint()})
		if r.status != 200 {
			t.Fatalf("got %d: %s", r.status, r.body)
		}
		var d workflow.Decision
		_ = json.Unmarshal(r.body, &d)
		if d.UnitID != "amr-350206" || d.Rule != "admin-test" || len(d.Explanation) == 0 ||
			!strings.Contains(d.Explanation[len(d.Explanation)-1], "测试规则") {
			t.Errorf("dry run decision %+v", d)
		}
		// Without rules it uses the rules in force, the same answer as
		// /routing/explain.
		a := e.do("POST", "/api/v1/admin/rules/dry-run", admin, map[string]any{"case": validComplaint()})
		b := e.do("POST", "/api/v1/routing/explain", admin, validComplaint())
		if a.status != 200 || string(a.body) != string(b.body) {
			t.Errorf("dry run with the rules in force differs from explain:\n%s\n%s", a.body, b.body)
		}
		if c := route(); c.UnitID != "amr-350203" {
			t.Errorf("a dry run changed routing: %s", c.UnitID)
		}
		bad := e.do("POST", "/api/v1/admin/rules/dry-run", admin, map[string]any{"rules": "rule x: bogus -> dispatch", "case": validComplaint()})
		if bad.status != 422 || fieldCode(t, bad, "rules:1") == "" {
			t.Errorf("dry run of bad rules: %d %s", bad.status, bad.body)
		}
		nocase := e.do("POST", "/api/v1/admin/rules/dry-run", admin, map[string]any{"rules": rulesWith(moved), "case": map[string]any{"kind": "complaint"}})
		if nocase.status != 422 && nocase.status != 400 {
			t.Errorf("dry run of a bad case: %d %s", nocase.status, nocase.body)
		}
	})

	t.Run("saved rules route the next case", func(t *testing.T) {
		r := e.do("PUT", "/api/v1/admin/rules", admin, map[string]any{"text": rulesWith(moved)})
		if r.status != 200 || !strings.Contains(string(r.body), `"source":"admin"`) {
			t.Fatalf("got %d: %.300s", r.status, r.body)
		}
		c := route()
		if c.UnitID != "amr-350206" {
			t.Errorf("next case went to %s, want amr-350206", c.UnitID)
		}
		st, err := e.store.GetSetting(context.Background(), "rules")
		if err != nil || !strings.Contains(st.Text, "admin-test") || st.SavedBy != "u-admin1" {
			t.Errorf("stored rules %+v %v", st, err)
		}
	})

	t.Run("refused to others", func(t *testing.T) {
		if r := e.do("PUT", "/api/v1/admin/rules", op, map[string]any{"text": "rule x: -> dispatch"}); r.status != 403 {
			t.Errorf("operator: %d", r.status)
		}
		if r := e.do("POST", "/api/v1/admin/rules/dry-run", "", map[string]any{"case": validComplaint()}); r.status != 401 {
			t.Errorf("anonymous: %d", r.status)
		}
	})
	mustAudit(t, e, "u-admin1", "rules_saved")
}

func adminPoliciesAPI(t *testing.T, e *env, admin string) {
	op := e.login("op1")
	before := e.intake(op, nil)

	r := e.do("GET", "/api/v1/admin/policies", admin, nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"id":"order20-2022"`) || !strings.Contains(string(r.body), `"default":true`) {
		t.Fatalf("list: %d %.300s", r.status, r.body)
	}

	t.Run("bad files", func(t *testing.T) {
		if r := e.do("POST", "/api/v1/admin/policies", admin, "{not json"); r.status != 400 {
			t.Errorf("not JSON: %d %s", r.status, r.body)
		}
		bad := strings.Replace(samplePolicy("order121-test"), `"accept_days": 5`, `"accept_days": -5`, 1)
		if r := e.do("POST", "/api/v1/admin/policies", admin, bad); r.status != 422 || fieldCode(t, r, "accept_days") == "" {
			t.Errorf("negative days: %d %s", r.status, r.body)
		}
		if r := e.do("POST", "/api/v1/admin/policies", admin, samplePolicy("order20-2022")); r.status != 409 {
			t.Errorf("taken id: %d %s", r.status, r.body)
		}
		if r := e.do("PUT", "/api/v1/admin/policies/default", admin, map[string]any{"id": "nope"}); r.status != 422 || fieldCode(t, r, "policy") == "" {
			t.Errorf("unknown default: %d %s", r.status, r.body)
		}
	})

	t.Run("load and make default: new cases get it, old ones keep theirs", func(t *testing.T) {
		if r := e.do("POST", "/api/v1/admin/policies", admin, samplePolicy("order121-test")); r.status != 201 {
			t.Fatalf("load: %d %s", r.status, r.body)
		}
		if r := e.do("PUT", "/api/v1/admin/policies/default", admin, map[string]any{"id": "order121-test"}); r.status != 200 {
			t.Fatalf("default: %d %s", r.status, r.body)
		}
		after := e.intake(op, nil)
		if after.Policy != "order121-test" {
			t.Errorf("new case policy %q", after.Policy)
		}
		if got := e.stored(before.ID).Policy; got != "order20-2022" {
			t.Errorf("old case policy %q", got)
		}
		if r := e.do("PUT", "/api/v1/admin/policies/default", admin, map[string]any{"id": "order20-2022"}); r.status != 200 {
			t.Fatalf("default back: %d %s", r.status, r.body)
		}
	})

	if r := e.do("POST", "/api/v1/admin/policies", op, samplePolicy("x")); r.status != 403 {
		t.Errorf("operator: %d", r.status)
	}
	mustAudit(t, e, "u-admin1", "policy_added", "default_policy_set")
}

// TestAdminConfigAPI: units, routing rules and deadline policies over the
// API, in one environment (each change is checked on the cases routed
// after it).
func TestAdminConfigAPI(t *testing.T) {
	e := newEnv(t)
	admin := e.newAdmin()
	t.Run("units", func(t *testing.T) { adminUnitsAPI(t, e, admin) })
	t.Run("rules", func(t *testing.T) { adminRulesAPI(t, e, admin) })
	t.Run("policies", func(t *testing.T) { adminPoliciesAPI(t, e, admin) })
}
