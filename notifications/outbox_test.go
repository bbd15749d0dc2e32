package notifications

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"weiquan"
	"weiquan/notifications/twiliofake"
)

var sixDigits = regexp.MustCompile(`[0-9]{6}`)

// enqueueCode queues a code message to phone as workflow.OTP does.
func (r *rig) enqueueCode(t *testing.T, phone, code string, now time.Time) weiquan.OutboxMessage {
	t.Helper()
	m, err := ComposeCode(phone, code, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	m.CreatedAt, m.UpdatedAt = now, now
	exp := now.Add(5 * time.Minute)
	out, err := r.st.EnqueueOutbox(context.Background(), weiquan.OutboxMessage{Message: m, ExpiresAt: &exp})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (r *rig) outboxMessage(t *testing.T, seq int) weiquan.OutboxMessage {
	t.Helper()
	m, err := r.st.GetOutbox(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	return *m
}

func (r *rig) runOutbox(t *testing.T, sender Sender, o Options) *Dispatcher {
	t.Helper()
	o.Outbox = r.st
	o.SubscribeOutbox = func() Feed { return r.st.SubscribeOutbox() }
	d, _ := r.run(t, sender, o)
	return d
}

// The outbox's code goes out through the real twilio-go client at once,
// even in quiet hours and to a number that replied TD to a case message;
// the stored body is redacted once Twilio has it, and no delivery callback
// is asked for (there is no case to record it on).
func TestOutboxSendsCodeRedactsAndIgnoresQuietHours(t *testing.T) {
	for _, exclusive := range []bool{false, true} {
		t.Run(map[bool]string{false: "leased", true: "exclusive"}[exclusive], func(t *testing.T) {
			r := newRig(t, rigOptions{callbacks: true})
			night := time.Date(2026, 11, 26, 23, 30, 0, 0, weiquan.Shanghai)
			r.clock.Set(night)
			if err := r.st.OptOut(context.Background(), "+86"+phoneN(1), night.Add(-time.Hour), "TD"); err != nil {
				t.Fatal(err)
			}
			before := r.enqueueCode(t, phoneN(1), "481516", night) // queued before the dispatcher starts
			d := r.runOutbox(t, r.sender, Options{Exclusive: exclusive})
			after := r.enqueueCode(t, phoneN(2), "234200", night) // announced by the outbox feed
			eventually(t, "both codes are sent", func() bool { return len(r.fake.Messages()) == 2 && d.Pending() == 0 })

			got := map[string]twiliofake.Message{}
			for _, m := range r.fake.Messages() {
				got[m.To] = m
			}
			for _, tc := range []struct {
				m    weiquan.OutboxMessage
				code string
			}{{before, "481516"}, {after, "234200"}} {
				sent := got[tc.m.To]
				if !strings.Contains(sent.Body, "验证码是"+tc.code) {
					t.Errorf("Twilio got %q, want the code %s", sent.Body, tc.code)
				}
				if sent.StatusCallback != "" {
					t.Errorf("a code asked for a delivery callback to %s", sent.StatusCallback)
				}
				stored := r.outboxMessage(t, tc.m.Seq)
				if stored.Status != weiquan.MessageQueued || stored.SID != sent.SID || stored.Attempts != 1 ||
					stored.SentAt == nil || stored.LeaseOwner != "" {
					t.Errorf("stored %+v", stored)
				}
				if strings.Contains(stored.Body, tc.code) || !strings.Contains(stored.Body, "******") ||
					!strings.Contains(stored.Body, "5分钟") {
					t.Errorf("stored body %q: want the code redacted and the rest kept", stored.Body)
				}
			}
			if s := d.Stats(); s.Sent != 2 || s.Deferred != 0 || s.Suppressed != 0 {
				t.Errorf("stats %+v", s)
			}
			owed, err := r.st.OwedOutbox(context.Background())
			if err != nil || len(owed) != 0 {
				t.Errorf("still owed: %v %v", owed, err)
			}
		})
	}
}

// With no Twilio account the code reaches the local SMS log readable —
// the log is the SMS channel then — while the outbox keeps it redacted.
func TestOutboxLocalLogKeepsTheCode(t *testing.T) {
	r := newRig(t, rigOptions{})
	m := r.enqueueCode(t, phoneN(1), "777123", tenAM)
	d := r.runOutbox(t, &LogSender{Log: r.st, Now: r.clock.Now}, Options{})
	eventually(t, "the code is logged", func() bool { return d.Stats().Sent == 1 })
	log, err := r.st.ListSMSLog(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || !strings.Contains(log[0].Body, "777123") || log[0].CaseID != "" ||
		log[0].Template != TemplateOTP || log[0].To != "+86"+phoneN(1) {
		t.Fatalf("log %+v", log)
	}
	if b := r.outboxMessage(t, m.Seq).Body; strings.Contains(b, "777123") {
		t.Errorf("outbox kept the code: %q", b)
	}
}

func TestOutboxOutcomes(t *testing.T) {
	t.Run("Twilio refuses an unsubscribed number", func(t *testing.T) {
		r := newRig(t, rigOptions{})
		r.fake.FailTo("+86"+phoneN(1), TwilioUnsubscribed)
		m := r.enqueueCode(t, phoneN(1), "135790", tenAM)
		d := r.runOutbox(t, r.sender, Options{})
		eventually(t, "the refusal is recorded", func() bool { return d.Stats().Failed == 1 })
		got := r.outboxMessage(t, m.Seq)
		if got.Status != weiquan.MessageFailed || got.ErrorCode != TwilioUnsubscribed || got.ErrorMessage == "" ||
			strings.Contains(got.Body, "135790") {
			t.Errorf("stored %+v", got)
		}
		if out, err := r.st.OptedOut(context.Background(), "+86"+phoneN(1)); err != nil || !out {
			t.Errorf("opt-out not recorded: %v %v", out, err)
		}
	})
	t.Run("a 500 is retried with backoff", func(t *testing.T) {
		r := newRig(t, rigOptions{})
		r.fake.FailNext(1, twiliofake.Fault{Status: 500})
		m := r.enqueueCode(t, phoneN(1), "246810", tenAM)
		d := r.runOutbox(t, r.sender, Options{BackoffBase: 20 * time.Second})
		eventually(t, "the failure is recorded", func() bool { return d.Stats().Retried == 1 })
		got := r.outboxMessage(t, m.Seq)
		if got.Status != weiquan.MessageOwed || got.Attempts != 1 || got.NotBefore == nil ||
			!strings.Contains(got.Body, "246810") {
			t.Fatalf("after the 500: %+v", got)
		}
		if wait := got.NotBefore.Sub(tenAM); wait < 10*time.Second || wait > 20*time.Second {
			t.Errorf("backoff %v, want 10–20 s (half fixed, half random of 20 s)", wait)
		}
		r.clock.Advance(20 * time.Second)
		eventually(t, "the retry is sent", func() bool { return d.Stats().Sent == 1 })
		if got := r.outboxMessage(t, m.Seq); got.Status != weiquan.MessageQueued || got.Attempts != 2 {
			t.Errorf("after the retry: %+v", got)
		}
		if n := len(r.fake.Messages()); n != 1 {
			t.Errorf("fake accepted %d messages, want 1", n)
		}
	})
	t.Run("an expired code is not sent", func(t *testing.T) {
		r := newRig(t, rigOptions{})
		m := r.enqueueCode(t, phoneN(1), "112233", tenAM.Add(-10*time.Minute))
		d := r.runOutbox(t, r.sender, Options{})
		eventually(t, "the code is given up", func() bool { return d.Stats().Failed == 1 })
		got := r.outboxMessage(t, m.Seq)
		if got.Status != weiquan.MessageFailed || !strings.Contains(got.ErrorMessage, "过期") ||
			sixDigits.MatchString(got.Body) {
			t.Errorf("stored %+v", got)
		}
		if n := r.fake.Creates(); n != 0 {
			t.Errorf("Twilio got %d requests for an expired code", n)
		}
	})
}

// Finished records older than the retention are purged at start; owed and
// recent ones stay.
func TestOutboxPurge(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	old := r.enqueueCode(t, phoneN(1), "111111", tenAM.Add(-40*24*time.Hour))
	if _, err := r.st.UpdateOutbox(ctx, old.Seq, func(m *weiquan.OutboxMessage) bool {
		m.Status = weiquan.MessageFailed
		return true
	}); err != nil {
		t.Fatal(err)
	}
	n, err := r.st.PurgeOutbox(ctx, tenAM.Add(-OutboxRetention))
	if err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want 1", n, err)
	}
	if _, err := r.st.GetOutbox(ctx, old.Seq); weiquan.ErrorCode(err) != weiquan.ENotFound {
		t.Errorf("old record still there: %v", err)
	}
}

func TestRedactCode(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"【12315】您的验证码是123456，5分钟内有效，请勿告诉他人", "【12315】您的验证码是******，5分钟内有效，请勿告诉他人"},
		{"no digits", "no digits"},
		{"code 004200 and 12315", "code ****** and 12315"},
	} {
		if got := RedactCode(tc.in); got != tc.want {
			t.Errorf("RedactCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
