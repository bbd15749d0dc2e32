package notifications

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"weiquan"
	"weiquan/notifications/twiliofake"
	"weiquan/store"
)

func TestVerifySignature(t *testing.T) {
	const token = "12345abcdef12345abcdef12345abcde"
	const hook = "https://weiquan.example.cn/hooks/twilio/status?wq_case=20261126000001&wq_seq=2"
	params := url.Values{"MessageSid": {"SM0123"}, "MessageStatus": {"delivered"}, "To": {"+8613800138000"},
		"AccountSid": {"AC1"}}
	valid := twiliofake.Sign(token, hook, params)

	changed := url.Values{}
	for k, v := range params {
		changed[k] = v
	}
	changed.Set("MessageStatus", "undelivered")
	otherCase := strings.Replace(hook, "20261126000001", "20261126000002", 1)

	tests := []struct {
		name      string
		token     string
		url       string
		params    url.Values
		signature string
		want      bool
	}{
		{"valid", token, hook, params, valid, true},
		{"valid with the default port written out", token,
			strings.Replace(hook, "weiquan.example.cn", "weiquan.example.cn:443", 1), params, valid, true},
		{"missing", token, hook, params, "", false},
		{"wrong", token, hook, params, "bm90IGEgc2lnbmF0dXJl", false},
		{"signed with another token", "other-token", hook, params, valid, false},
		{"replayed body with a changed parameter", token, hook, changed, valid, false},
		{"replayed for another case", token, otherCase, params, valid, false},
		{"an added parameter", token, hook, url.Values{"MessageSid": {"SM0123"}, "MessageStatus": {"delivered"},
			"To": {"+8613800138000"}, "AccountSid": {"AC1"}, "Extra": {"x"}}, valid, false},
		{"no token configured", "", hook, params, twiliofake.Sign("", hook, params), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifySignature(tt.token, tt.url, tt.params, tt.signature); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// The fake's delivery callbacks reach the webhook, pass its signature check
// and move the messages on the case: delivered, or undelivered with why.
func TestStatusCallbacks(t *testing.T) {
	r := newRig(t, rigOptions{callbacks: true})
	r.fake.DeliverTo("+86"+phoneN(2), "undelivered", 30003)
	storeOwing(t, r.st, testCase(caseID(1), phoneN(1)), weiquan.EventRegistered, tenAM)
	storeOwing(t, r.st, testCase(caseID(2), phoneN(2)), weiquan.EventRegistered, tenAM)
	r.run(t, r.sender, Options{})
	eventually(t, "both reach their final status", func() bool {
		return message(t, r.st, caseID(1), 1).Status == weiquan.MessageDelivered &&
			message(t, r.st, caseID(2), 1).Status == weiquan.MessageUndelivered
	})
	sids := map[string]string{}
	for _, m := range r.fake.Messages() {
		sids[m.To] = m.SID
	}
	m1 := message(t, r.st, caseID(1), 1)
	if m1.SID != sids["+86"+phoneN(1)] || m1.SentAt == nil || m1.ErrorCode != 0 {
		t.Errorf("delivered message %+v", m1)
	}
	m2 := message(t, r.st, caseID(2), 1)
	if m2.ErrorCode != 30003 || !strings.Contains(m2.ErrorMessage, "无法接通") || !strings.Contains(m2.ErrorMessage, "请电话联系") {
		t.Errorf("undelivered message %+v", m2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.fake.WaitCallbacks(ctx); err != nil {
		t.Fatal(err)
	}
	for _, cb := range r.fake.Callbacks() {
		if cb.HTTPStatus != http.StatusNoContent {
			t.Errorf("callback %s %v answered %d %s", cb.URL, cb.Params, cb.HTTPStatus, cb.Err)
		}
	}
}

// Requests without Twilio's signature are refused and change nothing.
func TestWebhooksRefuseUnsigned(t *testing.T) {
	r := newRig(t, rigOptions{})
	storeOwing(t, r.st, testCase(caseID(1), phoneN(1)), weiquan.EventRegistered, tenAM)
	statusURL := r.hooks.URL + "/hooks/twilio/status?wq_case=" + caseID(1) + "&wq_seq=1"
	status := url.Values{"MessageSid": {"SMforged"}, "MessageStatus": {"delivered"}}
	inbound := url.Values{"From": {"+86" + phoneN(1)}, "Body": {"TD"}}
	tests := []struct {
		name      string
		url       string
		params    url.Values
		signature string
	}{
		{"status, unsigned", statusURL, status, ""},
		{"status, wrong signature", statusURL, status, twiliofake.Sign("not-the-token", statusURL, status)},
		{"status, signed for another URL", statusURL, status,
			twiliofake.Sign(r.fake.AuthToken(), strings.Replace(statusURL, "wq_seq=1", "wq_seq=2", 1), status)},
		{"inbound, unsigned", r.hooks.URL + "/hooks/twilio/inbound", inbound, ""},
		{"inbound, wrong signature", r.hooks.URL + "/hooks/twilio/inbound", inbound, "AAAA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, tt.url, strings.NewReader(tt.params.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if tt.signature != "" {
				req.Header.Set(SignatureHeader, tt.signature)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("got HTTP %d, want 403", resp.StatusCode)
			}
		})
	}
	if m := message(t, r.st, caseID(1), 1); m.Status != weiquan.MessageOwed || m.SID != "" {
		t.Errorf("message changed: %+v", m)
	}
	if opted, _ := r.st.OptedOut(context.Background(), "+86"+phoneN(1)); opted {
		t.Errorf("an unsigned TD opted the number out")
	}
}

func TestHandleStatus(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	c := storeOwing(t, r.st, testCase(caseID(1), phoneN(1)), weiquan.EventRegistered, tenAM)
	cb := func(sid, status string, extra ...string) url.Values {
		v := url.Values{CallbackCaseParam: {c.ID}, CallbackSeqParam: {"1"}, "MessageSid": {sid}, "MessageStatus": {status}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	steps := []struct {
		name   string
		params url.Values
		status string
		sid    string
	}{
		{"a callback before the send is recorded takes the SID", cb("SM1", "sent"), weiquan.MessageSent, "SM1"},
		{"delivered", cb("SM1", "delivered"), weiquan.MessageDelivered, "SM1"},
		{"a late sent does not go back", cb("SM1", "sent"), weiquan.MessageDelivered, "SM1"},
		{"another send of the message is ignored", cb("SM2", "failed", "ErrorCode", "30008"), weiquan.MessageDelivered, "SM1"},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			if err := HandleStatus(ctx, r.st, step.params, tenAM.Add(time.Minute)); err != nil {
				t.Fatalf("HandleStatus: %v", err)
			}
			m := message(t, r.st, c.ID, 1)
			if m.Status != step.status || m.SID != step.sid || m.ErrorCode != 0 {
				t.Errorf("got %s %s %d, want %s %s", m.Status, m.SID, m.ErrorCode, step.status, step.sid)
			}
		})
	}
	if m := message(t, r.st, c.ID, 1); m.SentAt == nil || !m.SentAt.Equal(tenAM.Add(time.Minute)) {
		t.Errorf("sent at %v", m.SentAt)
	}

	errs := []struct {
		name   string
		params url.Values
		code   string
	}{
		{"no case", url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"sent"}}, weiquan.EInvalid},
		{"no status", url.Values{CallbackCaseParam: {c.ID}, CallbackSeqParam: {"1"}, "MessageSid": {"SM1"}}, weiquan.EInvalid},
		{"unknown case", url.Values{CallbackCaseParam: {caseID(99)}, CallbackSeqParam: {"1"}, "MessageSid": {"SM1"},
			"MessageStatus": {"sent"}}, weiquan.ENotFound},
		{"unknown message", url.Values{CallbackCaseParam: {c.ID}, CallbackSeqParam: {"9"}, "MessageSid": {"SM1"},
			"MessageStatus": {"sent"}}, weiquan.ENotFound},
	}
	for _, tt := range errs {
		t.Run("error/"+tt.name, func(t *testing.T) {
			err := HandleStatus(ctx, r.st, tt.params, tenAM)
			if got := weiquan.ErrorCode(err); got != tt.code {
				t.Errorf("got %v (code %q), want %q", err, got, tt.code)
			}
		})
	}
}

// closedWithSurvey stores a closed case whose satisfaction survey went out.
func closedWithSurvey(t *testing.T, st *store.Store, id, phone string, surveyed bool) {
	t.Helper()
	c := testCase(id, phone)
	c.Status, c.Outcome = weiquan.StatusClosed, weiquan.OutcomeResolved
	c.Messages = Owed(c, "record_agreement", testTrackURL, tenAM)
	for i := range c.Messages {
		if surveyed || c.Messages[i].Template != TemplateSatisfaction {
			sent := tenAM
			c.Messages[i].Status, c.Messages[i].SID, c.Messages[i].SentAt = weiquan.MessageDelivered, "SM"+id, &sent
		}
	}
	if err := st.CreateCase(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func lastEvent(t *testing.T, st *store.Store, id string) weiquan.Event {
	t.Helper()
	c := getCase(t, st, id)
	return c.Events[len(c.Events)-1]
}

func TestHandleInbound(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	now := tenAM.Add(24 * time.Hour)
	from := "+86" + phoneN(1)
	closedWithSurvey(t, r.st, caseID(1), phoneN(1), true)

	inbound := func(from, body string) InboundResult {
		t.Helper()
		res, err := HandleInbound(ctx, r.st, url.Values{"From": {from}, "Body": {body}, "MessageSid": {"SMin"}}, now)
		if err != nil {
			t.Fatalf("HandleInbound %q: %v", body, err)
		}
		return res
	}

	t.Run("score after closure", func(t *testing.T) {
		res := inbound(from, " ５ ")
		if res != (InboundResult{Action: InboundSatisfaction, CaseID: caseID(1), Score: 5}) {
			t.Errorf("got %+v", res)
		}
		c := getCase(t, r.st, caseID(1))
		ev := c.Events[len(c.Events)-1]
		if c.Satisfaction != 5 || ev.Type != EventSatisfaction || !strings.Contains(ev.Note, "5（非常满意）") || ev.Public {
			t.Errorf("satisfaction %d, event %+v", c.Satisfaction, ev)
		}
	})
	t.Run("a second score is a reply", func(t *testing.T) {
		res := inbound(from, "3")
		if res.Action != InboundReply || getCase(t, r.st, caseID(1)).Satisfaction != 5 {
			t.Errorf("got %+v, satisfaction %d", res, getCase(t, r.st, caseID(1)).Satisfaction)
		}
	})
	t.Run("free text is a reply for the officer", func(t *testing.T) {
		res := inbound(from, "商家还没有退款，请帮忙催一下")
		ev := lastEvent(t, r.st, caseID(1))
		if res.Action != InboundReply || res.CaseID != caseID(1) || ev.Type != EventSMSReply || ev.Public ||
			ev.Note != "投诉人短信回复：商家还没有退款，请帮忙催一下" || ev.Actor != "sms" {
			t.Errorf("got %+v, event %+v", res, ev)
		}
	})
	t.Run("a reply goes to the newest case", func(t *testing.T) {
		c := testCase(caseID(2), phoneN(1))
		if err := r.st.CreateCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		if res := inbound(from, "好的"); res.CaseID != caseID(2) || lastEvent(t, r.st, caseID(2)).Type != EventSMSReply {
			t.Errorf("got %+v", res)
		}
	})
	t.Run("no score without a survey", func(t *testing.T) {
		closedWithSurvey(t, r.st, caseID(3), phoneN(3), false)
		res := inbound("+86"+phoneN(3), "5")
		if res.Action != InboundReply || getCase(t, r.st, caseID(3)).Satisfaction != 0 {
			t.Errorf("got %+v", res)
		}
	})
	t.Run("unknown number", func(t *testing.T) {
		if res := inbound("+8613700137000", "你好"); res.Action != InboundIgnored {
			t.Errorf("got %+v", res)
		}
	})

	for _, word := range []string{"TD", "退订", " stop ", "ＳＴＯＰ", "td。"} {
		t.Run("opt out with "+word, func(t *testing.T) {
			if err := r.st.OptIn(ctx, from); err != nil {
				t.Fatal(err)
			}
			res := inbound(from, word)
			opted, err := r.st.OptedOut(ctx, from)
			if res.Action != InboundOptOut || !opted || err != nil {
				t.Errorf("got %+v, opted out %v, %v", res, opted, err)
			}
			if ev := lastEvent(t, r.st, caseID(2)); ev.Type != EventSMSOptOut {
				t.Errorf("event %+v", ev)
			}
		})
	}
	t.Run("opt out from a number of no case", func(t *testing.T) {
		res := inbound("+8613700137000", "STOP")
		opted, _ := r.st.OptedOut(ctx, "+8613700137000")
		if res.Action != InboundOptOut || !opted {
			t.Errorf("got %+v, opted out %v", res, opted)
		}
	})
	t.Run("opt in", func(t *testing.T) {
		res := inbound(from, "start")
		opted, _ := r.st.OptedOut(ctx, from)
		if res.Action != InboundOptIn || opted {
			t.Errorf("got %+v, opted out %v", res, opted)
		}
	})
	t.Run("no sender", func(t *testing.T) {
		_, err := HandleInbound(ctx, r.st, url.Values{"Body": {"TD"}}, now)
		if weiquan.ErrorCode(err) != weiquan.EInvalid {
			t.Errorf("got %v", err)
		}
	})
}

// An inbound message delivered by the fake, signed as Twilio signs it,
// passes the webhook and opts the number out; the next message owed to it
// is suppressed.
func TestInboundThroughWebhook(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	closedWithSurvey(t, r.st, caseID(1), phoneN(1), true)
	target := r.hooks.URL + "/hooks/twilio/inbound"

	status, err := r.fake.SendInbound(ctx, target, "+86"+phoneN(1), "+15005550006", "4")
	if err != nil || status != http.StatusOK {
		t.Fatalf("score: HTTP %d, %v", status, err)
	}
	if got := getCase(t, r.st, caseID(1)).Satisfaction; got != 4 {
		t.Errorf("satisfaction %d, want 4", got)
	}
	status, err = r.fake.SendInbound(ctx, target, "+86"+phoneN(1), "+15005550006", "退订")
	if err != nil || status != http.StatusOK {
		t.Fatalf("opt out: HTTP %d, %v", status, err)
	}
	c := storeOwing(t, r.st, testCase(caseID(2), phoneN(1)), weiquan.EventRegistered, tenAM)
	r.run(t, r.sender, Options{})
	eventually(t, "the message is settled", func() bool { return settled(t, r.st, c.ID) })
	if m := message(t, r.st, c.ID, 1); m.Status != weiquan.MessageSuppressed || len(r.fake.Messages()) != 0 {
		t.Errorf("message %+v, fake got %d", m, len(r.fake.Messages()))
	}
}
