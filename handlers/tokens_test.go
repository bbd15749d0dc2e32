package handlers_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"weiquan"
)

// createToken has the admin make a token and returns the token and its id.
func (e *env) createToken(admin string, body map[string]any) (token, id string) {
	e.t.Helper()
	r := e.do("POST", "/api/v1/admin/tokens", admin, body)
	if r.status != 201 {
		e.t.Fatalf("create token %v: %d %s", body, r.status, r.body)
	}
	m := r.json(e.t)
	token, _ = m["token"].(string)
	id, _ = m["id"].(string)
	if token == "" || id == "" {
		e.t.Fatalf("no token or id in %s", r.body)
	}
	return token, id
}

func (e *env) listTokens(admin string) map[string]map[string]any {
	e.t.Helper()
	r := e.do("GET", "/api/v1/admin/tokens", admin, nil)
	if r.status != 200 {
		e.t.Fatalf("list tokens: %d %s", r.status, r.body)
	}
	out := map[string]map[string]any{}
	for _, it := range r.json(e.t)["items"].([]any) {
		m := it.(map[string]any)
		out[m["id"].(string)] = m
	}
	return out
}

func TestAPITokenCreate(t *testing.T) {
	e := newEnv(t)
	admin := e.newAdmin()
	op := e.login("op1")

	r := e.do("POST", "/api/v1/admin/tokens", admin, map[string]any{"name": "呼叫中心 PBX", "role": "operator"})
	if r.status != 201 {
		t.Fatalf("got %d %s, want 201", r.status, r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store: the answer holds a secret", cc)
	}
	m := r.json(t)
	token, _ := m["token"].(string)
	sum := sha256.Sum256([]byte(token))
	id := hex.EncodeToString(sum[:])
	checks := []struct {
		name      string
		got, want any
	}{
		{"prefix", strings.HasPrefix(token, "wqt_"), true},
		{"length (wqt_ + 32 bytes base64url)", len(token), 47},
		{"id is the token's SHA-256", m["id"], id},
		{"name", m["name"], "呼叫中心 PBX"},
		{"role", m["role"], "operator"},
		{"unit_ids", m["unit_ids"], []any{}},
		{"created_by", m["created_by"], "u-admin1"},
		{"created_at", m["created_at"], e.clock.Now().Format(time.RFC3339)},
		{"expires_at", m["expires_at"], nil},
		{"revoked_at", m["revoked_at"], nil},
		{"actor_id", m["actor_id"], "tok-" + id},
		{"status", m["status"], "active"},
	}
	for _, ck := range checks {
		if !equalJSON(ck.got, ck.want) {
			t.Errorf("%s: got %v, want %v", ck.name, ck.got, ck.want)
		}
	}

	t.Run("the token is never stored, listed or shown again", func(t *testing.T) {
		rec, err := e.store.GetAPIToken(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(rec)
		secret := strings.TrimPrefix(token, "wqt_")
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("stored record holds the token: %s", raw)
		}
		l := e.do("GET", "/api/v1/admin/tokens", admin, nil)
		if bytes.Contains(l.body, []byte(secret)) || l.status != 200 {
			t.Errorf("list: %d, holds the token: %s", l.status, l.body)
		}
		if got := e.listTokens(admin)[id]; got == nil || got["token"] != nil {
			t.Errorf("listed %v", got)
		}
	})

	refusals := []struct {
		name      string
		token     string
		body      any
		status    int
		code      string
		field     string
		fieldCode string
	}{
		{"admin role refused", admin, map[string]any{"name": "x", "role": "admin"}, 422, weiquan.EValidation, "role", "admin_not_allowed"},
		{"unknown role", admin, map[string]any{"name": "x", "role": "root"}, 422, weiquan.EValidation, "role", "invalid_role"},
		{"no name", admin, map[string]any{"name": "  ", "role": "operator"}, 422, weiquan.EValidation, "name", "required"},
		{"name too long", admin, map[string]any{"name": strings.Repeat("名", 65), "role": "operator"}, 422, weiquan.EValidation, "name", "too_long"},
		{"officer without units", admin, map[string]any{"name": "x", "role": "officer"}, 422, weiquan.EValidation, "units", "required"},
		{"unknown unit", admin, map[string]any{"name": "x", "role": "supervisor", "units": []string{"amr-000000"}}, 422, weiquan.EValidation, "units[0]", "unknown_unit"},
		{"expiry in the past", admin, map[string]any{"name": "x", "role": "operator", "expires_at": "2026-11-26T09:00:00+08:00"}, 422, weiquan.EValidation, "expires_at", "in_past"},
		{"expiry not a time", admin, map[string]any{"name": "x", "role": "operator", "expires_at": "next week"}, 422, weiquan.EValidation, "expires_at", "invalid_time"},
		{"unknown field", admin, map[string]any{"name": "x", "role": "operator", "token": "wqt_mine"}, 400, weiquan.EInvalid, "token", "unknown_field"},
		{"operator may not", op, map[string]any{"name": "x", "role": "operator"}, 403, weiquan.EForbidden, "", ""},
		{"no session", "", map[string]any{"name": "x", "role": "operator"}, 401, weiquan.EUnauthorized, "", ""},
	}
	before := len(e.listTokens(admin))
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/admin/tokens", tt.token, tt.body)
			if r.status != tt.status {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tt.status)
			}
			er := errorOf(t, r)
			if er["code"] != tt.code || !containsHan(er["message"].(string)) {
				t.Errorf("got %v, want code %s and a Chinese message", er, tt.code)
			}
			if tt.field != "" {
				f, _ := er["fields"].(map[string]any)[tt.field].(map[string]any)
				if f == nil || f["code"] != tt.fieldCode || !containsHan(f["message"].(string)) {
					t.Errorf("got fields %v, want %s: %s", er["fields"], tt.field, tt.fieldCode)
				}
			}
		})
	}
	if after := len(e.listTokens(admin)); after != before {
		t.Errorf("refused requests created tokens: %d before, %d after", before, after)
	}

	t.Run("a date expiry means the end of that day in China", func(t *testing.T) {
		r := e.do("POST", "/api/v1/admin/tokens", admin, map[string]any{"name": "报表", "role": "supervisor", "units": []string{"amr-350200"}, "expires_at": "2026-12-31"})
		if r.status != 201 {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		if got := r.json(t)["expires_at"]; got != "2027-01-01T00:00:00+08:00" {
			t.Errorf("got expires_at %v", got)
		}
	})
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestAPITokenUse(t *testing.T) {
	e := newEnv(t)
	admin := e.newAdmin()
	opTok, opID := e.createToken(admin, map[string]any{"name": "PBX", "role": "operator"})
	offTok, offID := e.createToken(admin, map[string]any{"name": "思明区工单系统", "role": "officer", "units": []string{"amr-350203"}})
	otherTok, _ := e.createToken(admin, map[string]any{"name": "湖里区工单系统", "role": "officer", "units": []string{"amr-350206"}})

	var caseID string
	t.Run("an operator token records a case under its own name", func(t *testing.T) {
		r := e.do("POST", "/api/v1/cases", opTok, validComplaint())
		if r.status != 201 {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		var c weiquan.Case
		if err := json.Unmarshal(r.body, &c); err != nil {
			t.Fatal(err)
		}
		caseID = c.ID
		if c.Events[0].Actor != "tok-"+opID || c.Source.OperatorID != "tok-"+opID {
			t.Errorf("got actor %q operator %q, want tok-%s", c.Events[0].Actor, c.Source.OperatorID, opID)
		}
	})

	t.Run("an officer token acts only within its units", func(t *testing.T) {
		if r := e.do("POST", "/api/v1/cases/"+caseID+"/actions/accept", otherTok, map[string]any{"version": 1}); r.status != 403 {
			t.Errorf("officer token of another unit: got %d %s, want 403", r.status, r.body)
		}
		if r := e.do("POST", "/api/v1/cases/"+caseID+"/actions/accept", opTok, map[string]any{"version": 1}); r.status != 403 {
			t.Errorf("operator token: got %d %s, want 403", r.status, r.body)
		}
		r := e.do("POST", "/api/v1/cases/"+caseID+"/actions/accept", offTok, map[string]any{"version": 1})
		if r.status != 200 {
			t.Fatalf("officer token of the unit: got %d %s", r.status, r.body)
		}
		var c weiquan.Case
		_ = json.Unmarshal(r.body, &c)
		if last := c.Events[len(c.Events)-1]; last.Actor != "tok-"+offID {
			t.Errorf("got actor %q, want tok-%s", last.Actor, offID)
		}
	})

	t.Run("a token never reaches administration", func(t *testing.T) {
		for _, rq := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/admin/tokens", nil},
			{"POST", "/api/v1/admin/tokens", map[string]any{"name": "x", "role": "operator"}},
			{"DELETE", "/api/v1/admin/tokens/" + offID, nil},
			{"POST", "/api/v1/admin/users", map[string]any{"username": "x1", "password": testPassword, "role": "operator"}},
			{"GET", "/api/v1/admin/sms-log", nil},
			{"POST", "/api/v1/auth/password", map[string]any{"current_password": "x", "new_password": testPassword}},
		} {
			for _, tok := range []string{opTok, offTok} {
				r := e.do(rq.method, rq.path, tok, rq.body)
				if r.status != 403 || errorOf(t, r)["code"] != weiquan.EForbidden {
					t.Errorf("%s %s with a token: got %d %s, want 403", rq.method, rq.path, r.status, r.body)
				}
			}
		}
		if r := e.do("GET", "/api/v1/taxonomy", offTok, nil); r.status != 200 {
			t.Errorf("officer token was harmed by the refusals: %d", r.status)
		}
	})

	t.Run("a token in the session cookie is not accepted", func(t *testing.T) {
		req := httptest.NewRequest("GET", "/api/v1/taxonomy", nil)
		req.AddCookie(&http.Cookie{Name: "weiquan_session", Value: opTok})
		resp, err := e.app.Test(req, -1)
		if err != nil || resp.StatusCode != 401 {
			t.Errorf("got %v %v, want 401", resp.StatusCode, err)
		}
	})

	t.Run("look-alike tokens are refused", func(t *testing.T) {
		for _, bad := range []string{
			"wqt_", "wqt_" + strings.Repeat("A", 43), opTok[:len(opTok)-1], opTok + "A", strings.ToUpper(opTok),
			"WQT_" + opTok[4:], opTok[:10] + "x" + opTok[11:], opID, "tok-" + opID,
		} {
			if bad == opTok {
				continue
			}
			if r := e.do("GET", "/api/v1/taxonomy", bad, nil); r.status != 401 {
				t.Errorf("%q: got %d, want 401", bad, r.status)
			}
		}
	})

	t.Run("last use is recorded, at most once a minute", func(t *testing.T) {
		got := e.listTokens(admin)[opID]["last_used_at"]
		if got != e.clock.Now().Format(time.RFC3339) {
			t.Errorf("got last_used_at %v, want %s", got, e.clock.Now().Format(time.RFC3339))
		}
	})
}

func TestAPITokenRevokeAndExpiry(t *testing.T) {
	e := newEnv(t)
	admin := e.newAdmin()
	tok, id := e.createToken(admin, map[string]any{"name": "PBX", "role": "operator"})
	keep, keepID := e.createToken(admin, map[string]any{"name": "另一个", "role": "operator"})
	exp, expID := e.createToken(admin, map[string]any{"name": "临时", "role": "operator", "expires_at": e.clock.Now().Add(time.Hour).Format(time.RFC3339)})
	for _, tk := range []string{tok, keep, exp} {
		if r := e.do("GET", "/api/v1/taxonomy", tk, nil); r.status != 200 { // now cached
			t.Fatalf("fresh token: %d %s", r.status, r.body)
		}
	}

	t.Run("only administrators revoke", func(t *testing.T) {
		if r := e.do("DELETE", "/api/v1/admin/tokens/"+id, e.login("op1"), nil); r.status != 403 {
			t.Errorf("operator: got %d, want 403", r.status)
		}
		if r := e.do("DELETE", "/api/v1/admin/tokens/"+id, "", nil); r.status != 401 {
			t.Errorf("no session: got %d, want 401", r.status)
		}
		if r := e.do("GET", "/api/v1/admin/tokens", e.login("off1"), nil); r.status != 403 {
			t.Errorf("officer listing: got %d, want 403", r.status)
		}
		if r := e.do("GET", "/api/v1/taxonomy", tok, nil); r.status != 200 {
			t.Errorf("token after refused revocations: %d", r.status)
		}
	})

	t.Run("revocation takes effect at once, cache included", func(t *testing.T) {
		if r := e.do("DELETE", "/api/v1/admin/tokens/"+id, admin, nil); r.status != 204 {
			t.Fatalf("got %d %s, want 204", r.status, r.body)
		}
		r := e.do("GET", "/api/v1/taxonomy", tok, nil)
		if r.status != 401 || errorOf(t, r)["message"] != "API 令牌已被撤销" {
			t.Errorf("revoked token: got %d %s, want 401", r.status, r.body)
		}
		if r := e.do("POST", "/api/v1/cases", tok, validComplaint()); r.status != 401 {
			t.Errorf("revoked token recording a case: got %d", r.status)
		}
		if r := e.do("GET", "/api/v1/taxonomy", keep, nil); r.status != 200 {
			t.Errorf("other token: got %d, want 200", r.status)
		}
		listed := e.listTokens(admin)
		if listed[id]["status"] != "revoked" || listed[id]["revoked_at"] != e.clock.Now().Format(time.RFC3339) {
			t.Errorf("listed %v", listed[id])
		}
		if listed[keepID]["status"] != "active" {
			t.Errorf("other token listed %v", listed[keepID])
		}
	})

	t.Run("revoked also for another instance's fresh cache", func(t *testing.T) {
		e.clock.Add(11 * time.Second) // past the cache
		if r := e.do("GET", "/api/v1/taxonomy", tok, nil); r.status != 401 {
			t.Errorf("got %d, want 401", r.status)
		}
	})

	t.Run("creation and revocation are in the audit trail", func(t *testing.T) {
		r := e.do("GET", "/api/v1/admin/audit?user=u-admin1", admin, nil)
		if r.status != 200 {
			t.Fatalf("audit: %d %s", r.status, r.body)
		}
		var got struct {
			Items []struct{ Action, Detail string }
		}
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, it := range got.Items {
			if strings.Contains(it.Detail, id) {
				counts[it.Action]++
			}
		}
		if counts["token_created"] != 1 || counts["token_revoked"] != 1 {
			t.Errorf("audit entries naming %s: %v, want one token_created and one token_revoked", id, counts)
		}
		if strings.Contains(string(r.body), strings.TrimPrefix(tok, "wqt_")) {
			t.Error("the audit trail holds the token")
		}
	})

	t.Run("revoking twice is fine, unknown ids are 404", func(t *testing.T) {
		if r := e.do("DELETE", "/api/v1/admin/tokens/"+id, admin, nil); r.status != 204 {
			t.Errorf("again: got %d", r.status)
		}
		for _, bad := range []string{strings.Repeat("0", 64), "nope", strings.ToUpper(keepID), tok} {
			if r := e.do("DELETE", "/api/v1/admin/tokens/"+bad, admin, nil); r.status != 404 {
				t.Errorf("%s: got %d, want 404", bad, r.status)
			}
		}
	})

	t.Run("an expired token is refused even while cached", func(t *testing.T) {
		if r := e.do("GET", "/api/v1/taxonomy", exp, nil); r.status != 200 {
			t.Fatalf("before expiry: %d", r.status)
		}
		e.clock.Add(time.Hour)
		admin = e.login("admin1") // the admin's session has gone idle meanwhile
		r := e.do("GET", "/api/v1/taxonomy", exp, nil)
		if r.status != 401 || errorOf(t, r)["message"] != "API 令牌已过期" {
			t.Errorf("expired token: got %d %s, want 401", r.status, r.body)
		}
		if got := e.listTokens(admin)[expID]["status"]; got != "expired" {
			t.Errorf("listed status %v, want expired", got)
		}
	})
}

// TestLogoutWithAPIToken: an integration that logs out expects its
// credential to stop working, so logging out with a token revokes it, as an
// administrator would; a person's session logout is unchanged.
func TestLogoutWithAPIToken(t *testing.T) {
	e := newEnv(t)
	admin := e.newAdmin()
	tok, id := e.createToken(admin, map[string]any{"name": "PBX", "role": "operator"})
	keep, keepID := e.createToken(admin, map[string]any{"name": "另一个", "role": "operator"})
	for _, tk := range []string{tok, keep} {
		if r := e.do("GET", "/api/v1/taxonomy", tk, nil); r.status != 200 { // now cached
			t.Fatalf("fresh token: %d %s", r.status, r.body)
		}
	}

	t.Run("logout revokes the token at once, cache included", func(t *testing.T) {
		if r := e.do("POST", "/api/v1/auth/logout", tok, nil); r.status != 204 {
			t.Fatalf("logout: got %d %s, want 204", r.status, r.body)
		}
		r := e.do("GET", "/api/v1/taxonomy", tok, nil)
		if r.status != 401 || errorOf(t, r)["message"] != "API 令牌已被撤销" {
			t.Errorf("after logout: got %d %s, want 401 (revoked)", r.status, r.body)
		}
		if r := e.do("POST", "/api/v1/cases", tok, validComplaint()); r.status != 401 {
			t.Errorf("after logout, recording a case: got %d, want 401", r.status)
		}
		if r := e.do("GET", "/api/v1/taxonomy", keep, nil); r.status != 200 {
			t.Errorf("another token: got %d, want 200", r.status)
		}
	})

	t.Run("the token is listed as revoked", func(t *testing.T) {
		listed := e.listTokens(admin)
		if listed[id]["status"] != "revoked" || listed[id]["revoked_at"] != e.clock.Now().Format(time.RFC3339) {
			t.Errorf("listed %v, want revoked now", listed[id])
		}
		if listed[keepID]["status"] != "active" {
			t.Errorf("another token listed %v, want active", listed[keepID])
		}
	})

	t.Run("revoked also past the cache", func(t *testing.T) {
		e.clock.Add(11 * time.Second)
		if r := e.do("GET", "/api/v1/taxonomy", tok, nil); r.status != 401 {
			t.Errorf("got %d, want 401", r.status)
		}
	})

	t.Run("logging out again is 401, as is an unknown token", func(t *testing.T) {
		if r := e.do("POST", "/api/v1/auth/logout", tok, nil); r.status != 401 {
			t.Errorf("second logout: got %d %s, want 401", r.status, r.body)
		}
		unknown := "wqt_" + strings.Repeat("A", 43)
		if r := e.do("POST", "/api/v1/auth/logout", unknown, nil); r.status != 401 {
			t.Errorf("unknown token: got %d %s, want 401", r.status, r.body)
		}
	})

	t.Run("the revocation is in the audit trail, by the token itself", func(t *testing.T) {
		// Through the administrator's trail, by the token's actor id.
		r := e.do("GET", "/api/v1/admin/audit?user=tok-"+id, admin, nil)
		var page weiquan.AuditPage
		if r.status != 200 || json.Unmarshal(r.body, &page) != nil {
			t.Fatalf("audit by tok-%s: %d %s", id, r.status, r.body)
		}
		var revoked []weiquan.AuditEntry
		for _, it := range page.Items {
			if it.Action == "token_revoked" {
				revoked = append(revoked, it)
			}
		}
		if len(revoked) != 1 || !strings.Contains(revoked[0].Detail, id) || !strings.Contains(revoked[0].Detail, "撤销") ||
			revoked[0].Role != weiquan.RoleOperator {
			t.Errorf("token_revoked entries by tok-%s: %+v, want one naming the token, role operator", id, revoked)
		}
		if strings.Contains(fmt.Sprint(page.Items), strings.TrimPrefix(tok, "wqt_")) {
			t.Error("the audit trail holds the token")
		}
	})

	t.Run("session logout is unchanged", func(t *testing.T) {
		sess := e.login("op1")
		r := e.do("POST", "/api/v1/auth/logout", sess, nil)
		if r.status != 204 || !strings.Contains(r.header.Get("Set-Cookie"), "weiquan_session=;") {
			t.Fatalf("session logout: got %d, Set-Cookie %q, want 204 clearing the cookie", r.status, r.header.Get("Set-Cookie"))
		}
		if r := e.do("GET", "/api/v1/taxonomy", sess, nil); r.status != 401 {
			t.Errorf("after session logout: got %d, want 401", r.status)
		}
		if r := e.do("POST", "/api/v1/auth/logout", sess, nil); r.status != 204 {
			t.Errorf("ending an ended session: got %d, want 204", r.status)
		}
		if r := e.do("GET", "/api/v1/taxonomy", keep, nil); r.status != 200 {
			t.Errorf("a token after a session logout: got %d, want 200", r.status)
		}
	})
}
