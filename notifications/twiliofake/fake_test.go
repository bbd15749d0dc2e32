package twiliofake_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	twclient "github.com/twilio/twilio-go/client"

	"weiquan/notifications/twiliofake"
)

// Sign is what twilio-go's request validator accepts.
func TestSignMatchesTwilioValidator(t *testing.T) {
	params := url.Values{"From": {"+8613800138000"}, "Body": {"5"}, "To": {"+15005550006"}, "MessageSid": {"SM1"}}
	const hook = "https://weiquan.example.cn/hooks/twilio/inbound"
	sig := twiliofake.Sign("token", hook, params)
	flat := map[string]string{}
	for k, v := range params {
		flat[k] = v[0]
	}
	rv := twclient.NewRequestValidator("token")
	if !rv.Validate(hook, flat, sig) {
		t.Errorf("twilio-go refuses the fake's signature %s", sig)
	}
	flat["Body"] = "4"
	if rv.Validate(hook, flat, sig) {
		t.Errorf("twilio-go accepts the signature for a changed body")
	}
}

func do(t *testing.T, s *twiliofake.Server, method, path string, form url.Values, auth bool) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth {
		req.SetBasicAuth(s.AccountSID(), s.AuthToken())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(body, &out)
	return resp.StatusCode, out
}

func TestControlAndErrors(t *testing.T) {
	s, err := twiliofake.Start(twiliofake.Config{NoCallbacks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	create := "/2010-04-01/Accounts/" + s.AccountSID() + "/Messages.json"
	msg := url.Values{"To": {"+8613800138000"}, "From": {"+15005550006"}, "Body": {"您好"}}

	status, body := do(t, s, http.MethodPost, create, msg, false)
	if status != 401 || body["code"] != float64(20003) || body["more_info"] != "https://www.twilio.com/docs/errors/20003" {
		t.Errorf("without auth: %d %v", status, body)
	}
	if status, _ := do(t, s, http.MethodPost, "/_fake/faults", url.Values{"n": {"1"}, "code": {"21610"}}, true); status != 204 {
		t.Fatalf("program a fault: %d", status)
	}
	status, body = do(t, s, http.MethodPost, create, msg, true)
	if status != 400 || body["code"] != float64(21610) || body["status"] != float64(400) {
		t.Errorf("programmed 21610: %d %v", status, body)
	}
	status, body = do(t, s, http.MethodPost, create, msg, true)
	sid, _ := body["sid"].(string)
	if status != 201 || body["status"] != "queued" || !strings.HasPrefix(sid, "SM") || len(sid) != 34 ||
		body["num_segments"] != "1" || body["direction"] != "outbound-api" {
		t.Errorf("create: %d %v", status, body)
	}
	status, body = do(t, s, http.MethodGet, "/2010-04-01/Accounts/"+s.AccountSID()+"/Messages/"+sid+".json", nil, true)
	if status != 200 || body["sid"] != sid || body["body"] != "您好" {
		t.Errorf("fetch: %d %v", status, body)
	}
	for _, tt := range []struct {
		name string
		form url.Values
		code float64
	}{
		{"no To", url.Values{"From": {"+1"}, "Body": {"x"}}, 21604},
		{"no Body", url.Values{"To": {"+8613800138000"}, "From": {"+1"}}, 21602},
		{"no From", url.Values{"To": {"+8613800138000"}, "Body": {"x"}}, 21603},
		{"not E.164", url.Values{"To": {"13800138000"}, "From": {"+1"}, "Body": {"x"}}, 21211},
	} {
		if status, body := do(t, s, http.MethodPost, create, tt.form, true); status != 400 || body["code"] != tt.code {
			t.Errorf("%s: %d %v, want 400 %v", tt.name, status, body, tt.code)
		}
	}
	status, body = do(t, s, http.MethodGet, "/_fake/messages", nil, true)
	if msgs, _ := body["messages"].([]any); status != 200 || len(msgs) != 1 {
		t.Errorf("list: %d %v", status, body)
	}
	if status, _ := do(t, s, http.MethodPost, "/_fake/reset", nil, true); status != 204 || len(s.Messages()) != 0 {
		t.Errorf("reset: %d, %d messages left", status, len(s.Messages()))
	}
}

func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- twiliofake.Serve(ctx, "127.0.0.1:0", twiliofake.Config{}) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	if err := twiliofake.Serve(context.Background(), "256.0.0.1:1", twiliofake.Config{}); err == nil {
		t.Errorf("Serve on a bad address succeeded")
	}
}
