package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"weiquan/workflow"
)

// runService starts Main with env and returns its base URL and a stop
// function that waits for it to end.
func runService(t *testing.T, env map[string]string) (string, func()) {
	t.Helper()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, nil, func(k string) string { return env[k] }, strings.NewReader(""), stdout, stderr)
	}()
	m := waitFor(t, stderr, servingRE, "the service to listen")
	return "http://" + m[1], stopMain(t, cancel, done)
}

// stopMain is the stop function of a Main started with cancel's context: it
// cancels and waits (bounded) for Main to return, failing the test on an
// error.
func stopMain(t *testing.T, cancel context.CancelFunc, done <-chan error) func() {
	return func() {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Main returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("Main did not return after cancel")
		}
	}
}

// TestAdminChangesLiveAndAfterRestart: an administrator's rule, unit and
// default-policy changes route the next case without a restart, and are
// still in force after one; a rules file changed after the administrator's
// edit wins at the next start (whichever changed last).
func TestAdminChangesLiveAndAfterRestart(t *testing.T) {
	dir := t.TempDir()
	const pw = "admin password for the live test"
	env := map[string]string{"WEIQUAN_ADDR": "127.0.0.1:0", "WEIQUAN_DATA_DIR": filepath.Join(dir, "data"),
		"WEIQUAN_ADMIN_PASSWORD": pw}
	_, fujian := workflow.DefaultRules()
	// complaint(i) is against a business in 丰泽区 (350503); the new rule
	// sends it to 鲤城区 (350502) instead.
	rule := `rule admin-live: kind=complaint division=350503 -> track=agency unit=amr-350502 note="管理员测试规则"`
	i := strings.Index(fujian, "\nrule ")
	edited := fujian[:i+1] + rule + "\n" + fujian[i+1:]

	intake := func(c *client, n int) string {
		t.Helper()
		status, body := c.do("POST", "/api/v1/cases", complaint(n))
		if status != 201 {
			t.Fatalf("intake: %d %s", status, body)
		}
		var cs struct {
			UnitID string `json:"unit_id"`
			Policy string `json:"policy"`
		}
		_ = json.Unmarshal(body, &cs)
		return cs.UnitID + " " + cs.Policy
	}
	rulesSource := func(c *client) string {
		t.Helper()
		status, body := c.do("GET", "/api/v1/admin/rules", nil)
		if status != 200 {
			t.Fatalf("rules: %d %s", status, body)
		}
		var info workflow.RulesInfo
		_ = json.Unmarshal(body, &info)
		src := info.Source
		if info.SetAside != nil {
			src += " (admin version set aside)"
		}
		return src
	}

	base, stop := runService(t, env)
	c := &client{t: t, base: base, http: &http.Client{Timeout: 20 * time.Second}}
	c.login("admin", pw)
	if got := intake(c, 1); got != "amr-350503 order20-2022" {
		t.Fatalf("before any change: %s", got)
	}
	if status, body := c.do("PUT", "/api/v1/admin/rules", map[string]any{"text": edited}); status != 200 {
		t.Fatalf("save rules: %d %s", status, body)
	}
	if status, body := c.do("PUT", "/api/v1/admin/units/station-350503-live", map[string]any{
		"name": "丰泽区测试消费维权服务站（示例）", "type": "station", "division_code": "350503", "example": true,
		"parent_id": "amr-350503", "members": []string{"91350206MA8ADMN03E"}}); status != 201 {
		t.Fatalf("save unit: %d %s", status, body)
	}
	policy, err := os.ReadFile("../../workflow/policies/order20-2022.json")
	if err != nil {
		t.Fatal(err)
	}
	policy = []byte(strings.Replace(string(policy), `"order20-2022"`, `"order121-live"`, 1))
	if status, body := c.do("POST", "/api/v1/admin/policies", json.RawMessage(policy)); status != 201 {
		t.Fatalf("load policy: %d %s", status, body)
	}
	if status, body := c.do("PUT", "/api/v1/admin/policies/default", map[string]any{"id": "order121-live"}); status != 200 {
		t.Fatalf("default policy: %d %s", status, body)
	}
	if got := intake(c, 2); got != "amr-350502 order121-live" {
		t.Errorf("next case without a restart: %s, want amr-350502 order121-live", got)
	}
	stop()

	// Restart on the same data: everything the administrator changed holds.
	base, stop = runService(t, env)
	c = &client{t: t, base: base, http: &http.Client{Timeout: 20 * time.Second}}
	c.login("admin", pw)
	if got := intake(c, 3); got != "amr-350502 order121-live" {
		t.Errorf("next case after a restart: %s, want amr-350502 order121-live", got)
	}
	if src := rulesSource(c); src != "admin" {
		t.Errorf("rules after a restart come from %q", src)
	}
	if status, body := c.do("GET", "/api/v1/units", nil); status != 200 || !strings.Contains(string(body), "station-350503-live") {
		t.Errorf("the unit after a restart: %d %.200s", status, body)
	}
	stop()

	// The operator then configures a rules file: it is newer than the
	// administrator's edit, so it applies, and the admin page says so.
	rulesFile := filepath.Join(dir, "province.rules")
	if err := os.WriteFile(rulesFile, []byte(fujian), 0o600); err != nil {
		t.Fatal(err)
	}
	env["WEIQUAN_RULES_FILE"] = rulesFile
	base, stop = runService(t, env)
	c = &client{t: t, base: base, http: &http.Client{Timeout: 20 * time.Second}}
	c.login("admin", pw)
	if got := intake(c, 4); !strings.HasPrefix(got, "amr-350503 ") {
		t.Errorf("with a new rules file: %s, want amr-350503", got)
	}
	if src := rulesSource(c); src != "file (admin version set aside)" {
		t.Errorf("rules source %q", src)
	}
	// An edit made over this file survives the next start with it.
	if status, body := c.do("PUT", "/api/v1/admin/rules", map[string]any{"text": edited}); status != 200 {
		t.Fatalf("save rules: %d %s", status, body)
	}
	stop()
	base, stop = runService(t, env)
	defer stop()
	c = &client{t: t, base: base, http: &http.Client{Timeout: 20 * time.Second}}
	c.login("admin", pw)
	if got := intake(c, 5); !strings.HasPrefix(got, "amr-350502 ") {
		t.Errorf("an edit over the configured file after a restart: %s, want amr-350502", got)
	}
}
