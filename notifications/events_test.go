package notifications_test

import (
	"slices"
	"testing"

	"weiquan"
	"weiquan/notifications"
	"weiquan/store"
	"weiquan/workflow"
)

// Owed knows the state machine's actions by name, since notifications
// cannot import workflow (which calls it). Every event that owes a message
// must still be an action the machine has.
func TestEventNamesMatchWorkflow(t *testing.T) {
	known := append(workflow.Actions(), weiquan.EventRegistered)
	for _, event := range []string{"route", "assign", "accept", "reject", "escalate", "record_agreement",
		"terminate", "decide", "answer", "withdraw"} {
		if !slices.Contains(known, event) {
			t.Errorf("Owed maps event %q, which workflow does not have (actions: %v)", event, known)
		}
	}
	c := &weiquan.Case{ID: "20261126000001", Kind: weiquan.KindComplaint, Status: weiquan.StatusAccepted,
		Complainant: weiquan.Complainant{Phone: "13800138000"}, Consent: weiquan.Consent{SMS: true}}
	if got := notifications.Owed(c, workflow.ActionAccept, "http://x/track", c.CreatedAt); len(got) != 1 {
		t.Errorf("workflow.ActionAccept owes %d messages, want 1", len(got))
	}
}

// The store is what the dispatcher, the webhooks and the log sender need.
var (
	_ notifications.Store        = (*store.Store)(nil)
	_ notifications.WebhookStore = (*store.Store)(nil)
	_ notifications.SMSLog       = (*store.Store)(nil)
	_ notifications.Feed         = (*store.Subscription)(nil)
	_ notifications.Sender       = (*notifications.TwilioSender)(nil)
	_ notifications.Sender       = (*notifications.LogSender)(nil)
)
