package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"weiquan"
	"weiquan/notifications/twiliofake"
)

// daytimeClock sets the service's clock (clock, app.go) to 10:00 on a
// working Thursday in Shanghai, running at real speed from there, until the
// test ends: SMS are out of the quiet hours (22:00–08:00), so a test that
// waits for one does not depend on the hour it runs at.
func daytimeClock(t *testing.T) time.Time {
	t.Helper()
	base := time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)
	start := time.Now()
	prev := clock
	clock = func() time.Time { return base.Add(time.Since(start)) }
	t.Cleanup(func() { clock = prev })
	return base
}

// freeAddr is a loopback address nothing listens on, for a service whose
// public URL (which Twilio's signatures cover) must be known before it
// starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestMainSendsSMSThroughTwilio runs the whole service configured for
// Twilio (WEIQUAN_TWILIO_*) against the fake Twilio: a case registered over
// HTTP owes its registration SMS; the dispatcher sends it with the real
// twilio-go client; the fake calls the status webhook back, signed, as
// Twilio does; the case then shows the message delivered with Twilio's SID.
// A signed reply from the complainant is attached to the case for the
// officer; an unsigned one changes nothing.
func TestMainSendsSMSThroughTwilio(t *testing.T) {
	daytimeClock(t)
	fake, err := twiliofake.Start(twiliofake.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	addr := freeAddr(t)
	public := "http://" + addr
	env := map[string]string{
		"WEIQUAN_ADDR": addr, "WEIQUAN_PUBLIC_URL": public, "WEIQUAN_DATA_DIR": t.TempDir(),
		"WEIQUAN_ADMIN_PASSWORD":     "twilio-e2e-password",
		"WEIQUAN_TWILIO_ACCOUNT_SID": fake.AccountSID(), "WEIQUAN_TWILIO_AUTH_TOKEN": fake.AuthToken(),
		"WEIQUAN_TWILIO_FROM": "+15005550006", "WEIQUAN_TWILIO_API_URL": fake.URL,
	}
	stderr := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, nil, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, stderr)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Main returned %v", err)
		}
		if strings.Contains(stderr.String(), fake.AuthToken()) {
			t.Error("the Twilio auth token appears in the log")
		}
	}()
	waitFor(t, stderr, servingRE, "the service to listen")

	c := &client{t: t, base: public, http: &http.Client{Timeout: 10 * time.Second}}
	c.login("admin", "twilio-e2e-password")
	status, created := c.do("POST", "/api/v1/cases", complaint(1))
	if status != 201 {
		t.Fatalf("intake: %d %s", status, created)
	}
	var cs struct{ ID string }
	if err := json.Unmarshal(created, &cs); err != nil || cs.ID == "" {
		t.Fatalf("intake answer %s: %v", created, err)
	}

	type message struct {
		Template, Status, SID string
		SentAt                *time.Time `json:"sent_at"`
	}
	type event struct{ Type, Note string }
	var got struct {
		Messages []message
		Events   []event
	}
	read := func() {
		t.Helper()
		status, body := c.do("GET", "/api/v1/cases/"+cs.ID, nil)
		if status != 200 {
			t.Fatalf("read case: %d %s", status, body)
		}
		got.Messages, got.Events = nil, nil
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		read()
		if len(got.Messages) > 0 && got.Messages[0].Status == weiquan.MessageDelivered || time.Now().After(deadline) {
			break
		}
	}
	sent := fake.Messages()
	if len(sent) != 1 {
		t.Fatalf("the fake Twilio got %d messages, want 1: %+v", len(sent), sent)
	}
	m := got.Messages
	if len(m) != 1 || m[0].Template != "registered" || m[0].Status != weiquan.MessageDelivered ||
		m[0].SID != sent[0].SID || m[0].SentAt == nil {
		t.Fatalf("the case's messages: %+v, want the registration SMS delivered as %s", m, sent[0].SID)
	}
	if sent[0].To != "+8613900139000" || !strings.Contains(sent[0].Body, cs.ID) || sent[0].From != "+15005550006" {
		t.Errorf("Twilio was asked to send %+v", sent[0])
	}
	want := fmt.Sprintf("%s/hooks/twilio/status?wq_case=%s&wq_seq=1", public, cs.ID)
	if sent[0].StatusCallback != want {
		t.Errorf("status callback %q, want %q", sent[0].StatusCallback, want)
	}
	for _, cb := range fake.Callbacks() {
		if cb.HTTPStatus != http.StatusNoContent {
			t.Errorf("status callback %v answered %d %s", cb.Params.Get("MessageStatus"), cb.HTTPStatus, cb.Err)
		}
	}

	// The complainant answers; the reply is attached to the case.
	status, err = fake.SendInbound(context.Background(), public+"/hooks/twilio/inbound", "+8613900139000",
		"+15005550006", "请问空调的事什么时候有结果")
	if err != nil || status != 200 {
		t.Fatalf("signed inbound SMS: %d %v", status, err)
	}
	forged, body := c.do("POST", "/hooks/twilio/inbound", nil)
	if forged != 403 {
		t.Errorf("unsigned inbound SMS: %d %s", forged, body)
	}
	read()
	replies := 0
	for _, ev := range got.Events {
		if ev.Type == "sms_reply" {
			replies++
			if !strings.Contains(ev.Note, "请问空调的事什么时候有结果") {
				t.Errorf("reply event %q lacks the text", ev.Note)
			}
		}
	}
	if replies != 1 {
		t.Errorf("the case has %d reply events, want 1: %+v", replies, got.Events)
	}
}
