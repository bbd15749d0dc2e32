package notifications

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"weiquan"
	"weiquan/notifications/twiliofake"
)

func startFake(t *testing.T, cfg twiliofake.Config) *twiliofake.Server {
	t.Helper()
	fake, err := twiliofake.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return fake
}

func twilioFor(t *testing.T, fake *twiliofake.Server, change func(*TwilioConfig)) *TwilioSender {
	t.Helper()
	cfg := TwilioConfig{AccountSID: fake.AccountSID(), AuthToken: fake.AuthToken(), From: "+15005550006",
		BaseURL: fake.URL, StatusCallback: "https://weiquan.example.cn/hooks/twilio/status", Timeout: 2 * time.Second}
	if change != nil {
		change(&cfg)
	}
	s, err := NewTwilio(cfg)
	if err != nil {
		t.Fatalf("NewTwilio: %v", err)
	}
	return s
}

var outgoing = Outgoing{CaseID: "20261126000001", Seq: 2, Template: TemplateAccepted, To: "+8613800138000",
	Body: "【12315】您的投诉20261126000001已受理，查询：https://t.12315.cn/20261126000001", Segments: 1}

func TestTwilioSend(t *testing.T) {
	fake := startFake(t, twiliofake.Config{NoCallbacks: true})
	// twilio-go falls back to these; the sender must not.
	t.Setenv("TWILIO_ACCOUNT_SID", "ACwrongwrongwrongwrongwrongwrong00")
	t.Setenv("TWILIO_AUTH_TOKEN", "wrongtoken")
	t.Setenv("TWILIO_EDGE", "sydney")
	t.Setenv("TWILIO_REGION", "au1")

	t.Run("from a number", func(t *testing.T) {
		fake.Reset()
		res, err := twilioFor(t, fake, nil).Send(context.Background(), outgoing)
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		msgs := fake.Messages()
		if len(msgs) != 1 {
			t.Fatalf("fake got %d messages, want 1", len(msgs))
		}
		m := msgs[0]
		if res.SID != m.SID || !strings.HasPrefix(res.SID, "SM") || len(res.SID) != 34 || res.Status != weiquan.MessageQueued {
			t.Errorf("result %+v, fake's SID %s", res, m.SID)
		}
		if m.To != outgoing.To || m.Body != outgoing.Body || m.From != "+15005550006" || m.Segments != 1 {
			t.Errorf("fake got %+v", m)
		}
		cb, err := url.Parse(m.StatusCallback)
		if err != nil || cb.Host != "weiquan.example.cn" || cb.Path != "/hooks/twilio/status" ||
			cb.Query().Get(CallbackCaseParam) != outgoing.CaseID || cb.Query().Get(CallbackSeqParam) != "2" {
			t.Errorf("status callback got %q", m.StatusCallback)
		}
	})
	t.Run("from a messaging service", func(t *testing.T) {
		fake.Reset()
		s := twilioFor(t, fake, func(c *TwilioConfig) { c.From, c.MessagingServiceSID = "", "MG0123456789abcdef0123456789abcdef" })
		if _, err := s.Send(context.Background(), outgoing); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if m := fake.Messages()[0]; m.MessagingServiceSID != "MG0123456789abcdef0123456789abcdef" {
			t.Errorf("fake got %+v", m)
		}
	})
	t.Run("base URL with a path", func(t *testing.T) {
		fake.Reset()
		s := twilioFor(t, fake, func(c *TwilioConfig) { c.BaseURL = fake.URL + "/prefix/" })
		_, err := s.Send(context.Background(), outgoing)
		var se *SendError
		if !errors.As(err, &se) || se.HTTPStatus != 404 || se.Code != 20404 {
			t.Errorf("got %v, want the fake's 404 for the prefixed path (the path was kept)", err)
		}
	})
}

func TestTwilioErrors(t *testing.T) {
	fake := startFake(t, twiliofake.Config{NoCallbacks: true})
	tests := []struct {
		name      string
		fault     twiliofake.Fault
		timeout   time.Duration
		code      int
		status    int
		permanent bool
		reason    string
	}{
		{"invalid number", twiliofake.Error(21211), 0, 21211, 400, true, "手机号码无效"},
		{"unsubscribed", twiliofake.Error(21610), 0, 21610, 400, true, "已退订"},
		{"not a mobile", twiliofake.Error(21614), 0, 21614, 400, true, "不是手机号码"},
		{"unknown 4xx code", twiliofake.Error(21999), 0, 21999, 400, true, "Twilio 21999"},
		{"too many requests", twiliofake.Error(20429), 0, 20429, 429, false, "限流"},
		{"server error", twiliofake.Error(20500), 0, 20500, 500, false, "暂时故障"},
		{"HTML bad gateway", twiliofake.Fault{Status: 502, Body: "<html>502 Bad Gateway</html>"}, 0, 0, 502, false, "暂时故障"},
		{"HTML 4xx", twiliofake.Fault{Status: 400, Body: "<html>bad</html>"}, 0, 0, 400, true, "HTTP 400"},
		{"slow", twiliofake.Slow(2 * time.Second), 100 * time.Millisecond, 0, 0, false, "超时"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.Reset()
			fake.FailNext(1, tt.fault)
			s := twilioFor(t, fake, func(c *TwilioConfig) {
				if tt.timeout > 0 {
					c.Timeout = tt.timeout
				}
			})
			_, err := s.Send(context.Background(), outgoing)
			var se *SendError
			if !errors.As(classifyOrKeep(err), &se) {
				t.Fatalf("got %v, want a send error", err)
			}
			if se.Code != tt.code || se.HTTPStatus != tt.status || se.Permanent != tt.permanent || !strings.Contains(se.Reason, tt.reason) {
				t.Errorf("got code %d HTTP %d permanent %v reason %q; want %d %d %v containing %q",
					se.Code, se.HTTPStatus, se.Permanent, se.Reason, tt.code, tt.status, tt.permanent, tt.reason)
			}
			if n := len(fake.Messages()); n != 0 {
				t.Errorf("fake accepted %d messages, want none", n)
			}
			// The next request is answered normally.
			if _, err := s.Send(context.Background(), outgoing); err != nil {
				t.Errorf("the send after the fault: %v", err)
			}
		})
	}

	t.Run("wrong auth token", func(t *testing.T) {
		fake.Reset()
		s := twilioFor(t, fake, func(c *TwilioConfig) { c.AuthToken = "wrongtoken0123" })
		_, err := s.Send(context.Background(), outgoing)
		var se *SendError
		if !errors.As(err, &se) || se.HTTPStatus != 401 || se.Code != 20003 || se.Permanent || !strings.Contains(se.Reason, "认证失败") {
			t.Errorf("got %v, want a transient 401/20003 asking to check the account", err)
		}
		if fake.Creates() != 0 {
			t.Errorf("fake counted %d creates for a request it refused", fake.Creates())
		}
	})
	t.Run("wrong account", func(t *testing.T) {
		fake.Reset()
		s := twilioFor(t, fake, func(c *TwilioConfig) { c.AccountSID = "AC0000000000000000000000000000000f" })
		if _, err := s.Send(context.Background(), outgoing); err == nil {
			t.Errorf("a wrong account SID was accepted")
		}
	})
	t.Run("cancelled context aborts at once", func(t *testing.T) {
		fake.Reset()
		fake.FailNext(1, twiliofake.Slow(5*time.Second))
		s := twilioFor(t, fake, func(c *TwilioConfig) { c.Timeout = 10 * time.Second })
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err := s.Send(ctx, outgoing)
		if err == nil || time.Since(start) > 2*time.Second {
			t.Errorf("got %v after %v, want an error soon after the cancel", err, time.Since(start))
		}
		if se := asSendError(err); se.Permanent {
			t.Errorf("an aborted send must not be permanent: %v", se)
		}
	})
}

// classifyOrKeep lets a test read the *SendError of any Send error.
func classifyOrKeep(err error) error {
	if err == nil {
		return nil
	}
	return asSendError(err)
}

func TestTwilioFetch(t *testing.T) {
	fake := startFake(t, twiliofake.Config{})
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hooks.Close()
	s := twilioFor(t, fake, func(c *TwilioConfig) { c.StatusCallback = hooks.URL + "/hooks/twilio/status" })
	res, err := s.Send(context.Background(), outgoing)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fake.WaitCallbacks(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.Fetch(ctx, res.SID)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if got.SID != res.SID || got.Status != weiquan.MessageDelivered {
		t.Errorf("got %+v, want %s delivered", got, res.SID)
	}
	if _, err := s.Fetch(ctx, "SM00000000000000000000000000000000"); err == nil {
		t.Errorf("fetching an unknown SID succeeded")
	}
}

func TestNewTwilioChecksConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  TwilioConfig
		want string
	}{
		{"empty", TwilioConfig{}, "account SID is empty"},
		{"no sender", TwilioConfig{AccountSID: "AC1", AuthToken: "t"}, "neither a From number"},
		{"bad base URL", TwilioConfig{AccountSID: "AC1", AuthToken: "t", From: "+1", BaseURL: "api.twilio.com"}, "base URL"},
		{"relative callback", TwilioConfig{AccountSID: "AC1", AuthToken: "t", From: "+1", StatusCallback: "/hooks"}, "status callback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTwilio(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error about %q", err, tt.want)
			}
		})
	}
	s, err := NewTwilio(TwilioConfig{AccountSID: "AC1", AuthToken: "t", From: "+1"})
	if err != nil || s.base.String() != DefaultTwilioBaseURL {
		t.Errorf("default base URL: got %v, %v", s, err)
	}
}
