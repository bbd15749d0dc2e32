package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"weiquan"
	"weiquan/notifications"
	"weiquan/notifications/twiliofake"
	"weiquan/workflow"
)

const (
	consumerPhone = "13812345678"
	consumerE164  = "+8613812345678"
)

// publicComplaint is what the online form sends: the intake fields without
// channel or call details, and the code.
func publicComplaint(phone, code string) map[string]any {
	b := validComplaint()
	delete(b, "channel")
	delete(b, "source")
	b["complainant"] = map[string]any{"name": "李四", "phone": phone, "address": "厦门市思明区莲前西路1号"}
	if code != "" {
		b["otp_code"] = code
	}
	return b
}

// doCookie sends a request with cookies and returns the response and the
// cookies it set.
func (e *env) doCookie(method, path string, body any, cookies ...*http.Cookie) (response, []*http.Cookie) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = strings.NewReader(string(raw))
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := e.app.Test(req, -1)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}, resp.Cookies()
}

func trackCookieOf(t *testing.T, cookies []*http.Cookie) *http.Cookie {
	t.Helper()
	for _, c := range cookies {
		if c.Name == "weiquan_track" {
			if !c.HttpOnly || c.MaxAge != 1800 || c.Value == "" {
				t.Errorf("tracking cookie %+v: want HttpOnly, 30 minutes", c)
			}
			return c
		}
	}
	t.Fatalf("no weiquan_track cookie in %v", cookies)
	return nil
}

// runDispatcher drains the cases' messages and the outbox with sender.
func (e *env) runDispatcher(t *testing.T, sender notifications.Sender) {
	t.Helper()
	d := notifications.NewDispatcher(e.store, func() notifications.Feed { return e.store.Subscribe() }, sender,
		notifications.Options{Now: e.clock.Now, Poll: 5 * time.Millisecond, RetryDelay: 10 * time.Millisecond,
			Logger: slog.New(slog.DiscardHandler), Outbox: e.store,
			SubscribeOutbox: func() notifications.Feed { return e.store.SubscribeOutbox() }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = d.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// inbox is where a test reads the SMS a phone received: the local SMS log
// through the administrators' API, or the fake Twilio's messages.
type inbox func(t *testing.T) []string // bodies to consumerE164, oldest first

var codeRE = regexp.MustCompile(`验证码是([0-9]{6})`)

// waitFor polls the inbox until a body matches re and returns the first
// submatch of the newest such body beyond the first skip ones.
func waitFor(t *testing.T, in inbox, re *regexp.Regexp, skip int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var found []string
		for _, b := range in(t) {
			if m := re.FindStringSubmatch(b); m != nil {
				found = append(found, m[len(m)-1])
			}
		}
		if len(found) > skip {
			return found[len(found)-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no SMS matching %s arrived (got %q)", re, in(t))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The consumer's whole path: ask for a code, read it from the SMS, file a
// complaint with it, get the registration SMS, and track the case later
// with a new code — through the local SMS log (the default) and through
// the real twilio-go client against the fake Twilio.
func TestPublicFileAndTrackEndToEnd(t *testing.T) {
	for _, via := range []string{"local log", "twilio"} {
		t.Run(via, func(t *testing.T) {
			e := newEnv(t)
			e.engine.Owe = func(c *weiquan.Case, event string, now time.Time) []weiquan.Message {
				return notifications.Owed(c, event, testPublicURL+"/track?id={id}", now)
			}
			var in inbox
			switch via {
			case "local log":
				e.runDispatcher(t, &notifications.LogSender{Log: e.store, Now: e.clock.Now})
				admin := e.newAdmin()
				in = func(t *testing.T) []string {
					r := e.do("GET", "/api/v1/admin/sms-log?limit=50", admin, nil)
					if r.status != 200 {
						t.Fatalf("sms-log: %d %s", r.status, r.body)
					}
					var out struct{ Items []struct{ To, Body string } }
					_ = json.Unmarshal(r.body, &out)
					var bodies []string
					for i := len(out.Items) - 1; i >= 0; i-- {
						// The log masks recipients (handlers/pii.go).
						if out.Items[i].To == "+86138****5678" {
							bodies = append(bodies, out.Items[i].Body)
						}
					}
					return bodies
				}
			case "twilio":
				fake, err := twiliofake.Start(twiliofake.Config{NoCallbacks: true})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(fake.Close)
				sender, err := notifications.NewTwilio(notifications.TwilioConfig{AccountSID: fake.AccountSID(),
					AuthToken: fake.AuthToken(), From: "+15005550006", BaseURL: fake.URL})
				if err != nil {
					t.Fatal(err)
				}
				e.runDispatcher(t, sender)
				in = func(*testing.T) []string {
					var bodies []string
					for _, m := range fake.Messages() {
						if m.To == consumerE164 {
							bodies = append(bodies, m.Body)
						}
					}
					return bodies
				}
			}

			// 1. A code to file.
			r := e.do("POST", "/api/v1/public/otp", "", map[string]string{"phone": consumerPhone, "purpose": "file"})
			if r.status != 202 || string(r.body) != `{"expires_in":300,"resend_after":60,"sent":true}` {
				t.Fatalf("ask for a code: %d %s", r.status, r.body)
			}
			code := waitFor(t, in, codeRE, 0)

			// 2. File with it.
			r, cookies := e.doCookie("POST", "/api/v1/public/cases", publicComplaint(consumerPhone, code))
			if r.status != 201 {
				t.Fatalf("file: %d %s", r.status, r.body)
			}
			var filed handlersPublicCase
			if err := json.Unmarshal(r.body, &filed); err != nil {
				t.Fatal(err)
			}
			// Routed at once: to 思明's bureau.
			if filed.ID == "" || filed.Status != "assigned" || filed.StatusLabel != "已分派" || filed.Unit != "思明区市场监督管理局" ||
				filed.TrackURL != "/track?id="+filed.ID || filed.Phone != "138****5678" {
				t.Errorf("filed view %s", r.body)
			}
			if loc := r.header.Get("Location"); loc != "/api/v1/public/track/"+filed.ID {
				t.Errorf("Location %q", loc)
			}
			registerPII(consumerPhone)
			assertNoFullPII(t, "the filing's answer", r.body)
			filedCookie := trackCookieOf(t, cookies)
			stored, err := e.store.GetCase(context.Background(), filed.ID)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Channel != weiquan.ChannelWeb || stored.Source.Type != "web" || stored.Source.OperatorID != "" ||
				stored.Complainant.Phone != consumerPhone {
				t.Errorf("stored channel %q source %+v phone %q", stored.Channel, stored.Source, stored.Complainant.Phone)
			}

			// 3. The code does not file twice.
			r = e.do("POST", "/api/v1/public/cases", "", publicComplaint(consumerPhone, code))
			wantField(t, r, 422, "otp_code", workflow.CodeOTPUsed)

			// 4. The registration SMS names the case and how to track it.
			link := waitFor(t, in, regexp.MustCompile(`已登记，编号`+filed.ID+`，查询进度：(\S+)`), 0)
			if link != testPublicURL+filed.TrackURL {
				t.Errorf("SMS link %q, want %q", link, filed.TrackURL)
			}

			// 5. Later, from another browser: no cookie, no code.
			r = e.do("GET", "/api/v1/public/track/"+filed.ID, "", nil)
			if r.status != 401 {
				t.Fatalf("track without a code: %d %s", r.status, r.body)
			}
			e.clock.Add(workflow.OTPResendGap)
			r = e.do("POST", "/api/v1/public/otp", "", map[string]string{"phone": consumerPhone, "purpose": "track", "case_id": filed.ID})
			if r.status != 202 {
				t.Fatalf("ask for a tracking code: %d %s", r.status, r.body)
			}
			trackCode := waitFor(t, in, codeRE, 1)
			r, cookies = e.doCookie("GET", "/api/v1/public/track/"+filed.ID+"?phone="+consumerPhone+"&code="+trackCode, nil)
			if r.status != 200 {
				t.Fatalf("track with the code: %d %s", r.status, r.body)
			}
			var view handlersPublicCase
			_ = json.Unmarshal(r.body, &view)
			if view.ID != filed.ID || len(view.Events) == 0 || view.Events[0].Label != "登记" || view.Unit == "" {
				t.Errorf("track view %s", r.body)
			}
			assertNoFullPII(t, "the track view", r.body)
			cookie := trackCookieOf(t, cookies)

			// 6. The cookie reloads the page without a code, for this case
			// only, for 30 minutes.
			if r, _ := e.doCookie("GET", "/api/v1/public/track/"+filed.ID, nil, cookie); r.status != 200 {
				t.Errorf("reload with the cookie: %d %s", r.status, r.body)
			}
			other := e.do("POST", "/api/v1/cases", e.login("op1"), validComplaint()).json(t)["id"].(string)
			if r, _ := e.doCookie("GET", "/api/v1/public/track/"+other, nil, cookie); r.status != 401 {
				t.Errorf("the cookie opened another case: %d %s", r.status, r.body)
			}
			// The tracking code was used up by the first look.
			r = e.do("GET", "/api/v1/public/track/"+filed.ID+"?phone="+consumerPhone+"&code="+trackCode, "", nil)
			wantField(t, r, 422, "code", workflow.CodeOTPUsed)
			e.clock.Add(workflow.TrackSessionTTL)
			for _, c := range []*http.Cookie{cookie, filedCookie} {
				if r, _ := e.doCookie("GET", "/api/v1/public/track/"+filed.ID, nil, c); r.status != 401 {
					t.Errorf("a cookie outlived its 30 minutes: %d", r.status)
				}
			}
			// Codes and numbers never reach the log.
			assertNoFullPII(t, "the log", e.logs.Bytes())
			if strings.Contains(string(e.logs.Bytes()), "验证码是") {
				t.Error("a code message was logged")
			}
		})
	}
}

// handlersPublicCase mirrors handlers.PublicCase as JSON.
type handlersPublicCase struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	StatusLabel string `json:"status_label"`
	Unit        string `json:"unit"`
	Phone       string `json:"phone"`
	TrackURL    string `json:"track_url"`
	Events      []struct {
		Label string `json:"label"`
		Note  string `json:"note"`
	} `json:"events"`
}

func wantField(t *testing.T, r response, status int, field, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("got %d %s, want %d", r.status, r.body, status)
	}
	var body struct {
		Error struct {
			Code    string
			Message string
			Fields  map[string]struct{ Code, Message string }
		}
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if field != "" && body.Error.Fields[field].Code != code {
		t.Fatalf("got fields %v, want %s.%s", body.Error.Fields, field, code)
	}
	if !containsHan(body.Error.Message) {
		t.Errorf("message %q is not Chinese", body.Error.Message)
	}
}

// outboxCode is the code owed to phone in the outbox (no dispatcher).
func (e *env) outboxCode(t *testing.T, phone string) string {
	t.Helper()
	owed, err := e.store.OwedOutbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	code := ""
	for _, m := range owed {
		if m.To == "+86"+phone {
			code = codeRE.FindStringSubmatch(m.Body)[1]
		}
	}
	return code
}

// The consumer's view shows the public events, the unit by name and a
// masked phone; never an internal note, a staff member's id, the
// description, or anyone's full number.
func TestPublicTrackViewLeaksNothing(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	body := validComplaint()
	body["complainant"] = map[string]any{"name": "王五", "phone": consumerPhone, "address": "福州市鼓楼区五四路100号"}
	body["source"] = map[string]any{"call_id": "PBX-1", "caller_number": "13800138000"}
	cs := e.do("POST", "/api/v1/cases", op, body).json(t)
	id := cs["id"].(string)
	version := func() int64 {
		c, err := e.store.GetCase(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return c.Version
	}
	internal := "内部备注：商家负责人手机13955556666，张科长处理"
	if r := e.do("POST", "/api/v1/cases/"+id+"/actions/note", op, map[string]any{"version": version(), "note": internal}); r.status != 200 {
		t.Fatalf("internal note: %d %s", r.status, r.body)
	}
	public := "已联系商家，请保持电话13800138000畅通"
	if r := e.do("POST", "/api/v1/cases/"+id+"/actions/note", op,
		map[string]any{"version": version(), "note": public, "public": true}); r.status != 200 {
		t.Fatalf("public note: %d %s", r.status, r.body)
	}
	staffView, err := e.store.GetCase(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}

	if r := e.do("POST", "/api/v1/public/otp", "", map[string]string{"phone": consumerPhone, "purpose": "track", "case_id": id}); r.status != 202 {
		t.Fatalf("ask for a code: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/api/v1/public/track/"+id+"?phone="+consumerPhone+"&code="+e.outboxCode(t, consumerPhone), "", nil)
	if r.status != 200 {
		t.Fatalf("track: %d %s", r.status, r.body)
	}
	out := string(r.body)
	forbidden := []string{internal, "张科长", "13955556666", consumerPhone, "13800138000", staffView.Description,
		staffView.Complainant.Name, staffView.Complainant.Address, "PBX-1", `"actor"`, `"messages"`, `"routing"`, `"source"`}
	for _, ev := range staffView.Events {
		forbidden = append(forbidden, ev.Actor)
	}
	if staffView.Source.OperatorID != "" {
		forbidden = append(forbidden, staffView.Source.OperatorID)
	}
	for _, s := range forbidden {
		if s != "" && strings.Contains(out, s) {
			t.Errorf("the public view contains %q:\n%s", s, out)
		}
	}
	var view handlersPublicCase
	_ = json.Unmarshal(r.body, &view)
	if view.Phone != "138****5678" || view.Unit != "思明区市场监督管理局" {
		t.Errorf("phone %q unit %q", view.Phone, view.Unit)
	}
	notes := []string{}
	for _, ev := range view.Events {
		notes = append(notes, ev.Note)
	}
	if want := "已联系商家，请保持电话138****8000畅通"; !strings.Contains(strings.Join(notes, "|"), want) {
		t.Errorf("public notes %q: want the public note with its number masked %q", notes, want)
	}
	registerPII(consumerPhone, "13955556666")
	assertNoFullPII(t, "the public track view", r.body)
	assertNoFullPII(t, "the log", e.logs.Bytes())
}

// The answer to a code request does not depend on whether the phone goes
// with the case, and nothing is sent when it does not.
func TestPublicOTPAnswersAlikeAndLimits(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	body := validComplaint()
	body["complainant"] = map[string]any{"name": "王五", "phone": consumerPhone, "address": "福州市鼓楼区五四路100号"}
	id := e.do("POST", "/api/v1/cases", op, body).json(t)["id"].(string)

	match := e.do("POST", "/api/v1/public/otp", "", map[string]string{"phone": consumerPhone, "purpose": "track", "case_id": id})
	miss := e.do("POST", "/api/v1/public/otp", "", map[string]string{"phone": "13700001111", "purpose": "track", "case_id": id})
	none := e.do("POST", "/api/v1/public/otp", "", map[string]string{"phone": "13700002222", "purpose": "track", "case_id": "20200101999999"})
	for _, r := range []response{miss, none} {
		if r.status != match.status || string(r.body) != string(match.body) || match.status != 202 {
			t.Errorf("answers differ: match %d %s, other %d %s", match.status, match.body, r.status, r.body)
		}
	}
	owed, err := e.store.OwedOutbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(owed) != 1 || owed[0].To != consumerE164 {
		t.Errorf("outbox %+v: want one code, to the complainant", owed)
	}
	// A wrong pair fails like a wrong code.
	r := e.do("GET", "/api/v1/public/track/"+id+"?phone=13700001111&code=123456", "", nil)
	wantField(t, r, 422, "code", workflow.CodeOTPInvalid)

	t.Run("per number", func(t *testing.T) {
		r := e.do("POST", "/api/v1/public/otp", "", map[string]string{"phone": consumerPhone, "purpose": "file"})
		wantField(t, r, 429, "phone", "rate_limited")
		if ra := r.header.Get("Retry-After"); ra != "60" {
			t.Errorf("Retry-After %q, want 60", ra)
		}
	})
	t.Run("per address", func(t *testing.T) {
		limited := 0
		for n := 0; n < workflow.OTPPerAddressPerHour && limited == 0; n++ {
			r := e.do("POST", "/api/v1/public/otp", "", map[string]string{"phone": fmt.Sprintf("136%08d", n), "purpose": "file"})
			switch r.status {
			case 202:
			case 429:
				limited = n + 1
				wantField(t, r, 429, "", "")
				if r.header.Get("Retry-After") == "" {
					t.Error("no Retry-After")
				}
			default:
				t.Fatalf("request %d: %d %s", n+1, r.status, r.body)
			}
		}
		// The four requests above count too.
		if limited == 0 || limited+4 != workflow.OTPPerAddressPerHour+1 {
			t.Errorf("limited at the %d-th new number, want the %d-th", limited, workflow.OTPPerAddressPerHour+1-4)
		}
	})
	t.Run("bad requests", func(t *testing.T) {
		wantField(t, e.do("POST", "/api/v1/public/otp", "", map[string]string{"phone": "12345", "purpose": "file"}), 422, "phone", workflow.CodeInvalidPhone)
		wantField(t, e.do("POST", "/api/v1/public/otp", "", map[string]string{"phone": consumerPhone, "purpose": "login"}), 422, "purpose", workflow.CodeInvalidPurpose)
		wantField(t, e.do("POST", "/api/v1/public/otp", "", map[string]any{"phone": consumerPhone, "purpose": "file", "admin": true}), 400, "admin", "unknown_field")
		if r := e.do("POST", "/api/v1/public/otp", "", `{"phone":"`+strings.Repeat("1", 2000)+`"}`); r.status != 413 {
			t.Errorf("a 2 KB body: %d", r.status)
		}
	})
}

// Online filing goes through the staff intake's rules plus its own: a
// complaint or report, on channel web, with the code sent to the
// complainant's phone for filing.
func TestPublicFilingRules(t *testing.T) {
	e := newEnv(t)
	ask := func(t *testing.T, phone, purpose, caseID string) string {
		t.Helper()
		e.clock.Add(workflow.OTPResendGap)
		if r := e.do("POST", "/api/v1/public/otp", "", map[string]string{"phone": phone, "purpose": purpose, "case_id": caseID}); r.status != 202 {
			t.Fatalf("ask for a code: %d %s", r.status, r.body)
		}
		return e.outboxCode(t, phone)
	}
	t.Run("every problem at once, the code untouched", func(t *testing.T) {
		b := publicComplaint(consumerPhone, "")
		delete(b, "respondent")
		r := e.do("POST", "/api/v1/public/cases", "", b)
		wantField(t, r, 422, "otp_code", workflow.CodeRequired)
		wantField(t, r, 422, "respondent.name", workflow.CodeRequired)
	})
	t.Run("an inquiry is not filed online", func(t *testing.T) {
		b := publicComplaint(consumerPhone, "123456")
		b["kind"] = "inquiry"
		wantField(t, e.do("POST", "/api/v1/public/cases", "", b), 422, "kind", workflow.CodeInvalidKind)
	})
	t.Run("another channel", func(t *testing.T) {
		b := publicComplaint(consumerPhone, "123456")
		b["channel"] = "12315"
		wantField(t, e.do("POST", "/api/v1/public/cases", "", b), 422, "channel", workflow.CodeInvalidChannel)
	})
	t.Run("hotline call details", func(t *testing.T) {
		b := publicComplaint(consumerPhone, "123456")
		b["source"] = map[string]any{"call_id": "X"}
		wantField(t, e.do("POST", "/api/v1/public/cases", "", b), 400, "source", workflow.CodeUnknownField)
	})
	t.Run("a code sent to another phone", func(t *testing.T) {
		code := ask(t, "13700003333", weiquan.PurposeFile, "")
		wantField(t, e.do("POST", "/api/v1/public/cases", "", publicComplaint(consumerPhone, code)), 422, "otp_code", workflow.CodeOTPInvalid)
	})
	t.Run("a tracking code", func(t *testing.T) {
		id := e.do("POST", "/api/v1/cases", e.login("op1"), validComplaint()).json(t)["id"].(string)
		code := ask(t, "13800138000", weiquan.PurposeTrack, id)
		wantField(t, e.do("POST", "/api/v1/public/cases", "", publicComplaint("13800138000", code)), 422, "otp_code", workflow.CodeOTPInvalid)
	})
	t.Run("an expired code", func(t *testing.T) {
		code := ask(t, "13700004444", weiquan.PurposeFile, "")
		e.clock.Add(workflow.OTPTTL)
		wantField(t, e.do("POST", "/api/v1/public/cases", "", publicComplaint("13700004444", code)), 422, "otp_code", workflow.CodeOTPExpired)
	})
	t.Run("a report with the code", func(t *testing.T) {
		code := ask(t, "13700005555", weiquan.PurposeFile, "")
		b := publicComplaint("13700005555", code)
		b["kind"] = "report"
		if r := e.do("POST", "/api/v1/public/cases", "", b); r.status != 201 {
			t.Fatalf("report: %d %s", r.status, r.body)
		}
	})
}
