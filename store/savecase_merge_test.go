package store_test

import (
	"context"
	"slices"
	"testing"

	"weiquan"
	"weiquan/store"
)

// A transition that read the case before the dispatcher recorded a send
// must not write the stale message back when it saves.
func TestSaveCaseKeepsMessageUpdates(t *testing.T) {
	stores(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		c := caseWithMessages(t, s, "20261126000006", 1)
		read, err := s.GetCase(ctx, c.ID) // the officer's transition reads the case,
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateMessages(ctx, c.ID, func(c *weiquan.Case) bool { // the dispatcher records the send,
			c.Messages[0].Status, c.Messages[0].SID = weiquan.MessageSent, "SM1"
			return true
		}); err != nil {
			t.Fatal(err)
		}
		read.Status = weiquan.StatusAccepted // and the transition saves, owing one more message.
		read.Messages = append(read.Messages, weiquan.Message{Seq: 2, Template: "accepted", Status: weiquan.MessageOwed})
		if err := s.SaveCase(ctx, read, read.Version); err != nil {
			t.Fatalf("SaveCase: %v", err)
		}
		stored, _ := s.GetCase(ctx, c.ID)
		if stored.Status != weiquan.StatusAccepted || stored.Version != c.Version+1 || len(stored.Messages) != 2 {
			t.Fatalf("stored %s v%d with %d messages", stored.Status, stored.Version, len(stored.Messages))
		}
		if m := stored.Messages[0]; m.Status != weiquan.MessageSent || m.SID != "SM1" {
			t.Errorf("message 1 got %s %q, want the dispatcher's sent SM1", m.Status, m.SID)
		}
		if m := stored.Messages[1]; m.Template != "accepted" || m.Status != weiquan.MessageOwed {
			t.Errorf("message 2 got %+v", m)
		}
		if !slices.EqualFunc(read.Messages, stored.Messages, func(a, b weiquan.Message) bool {
			return a.Seq == b.Seq && a.Status == b.Status && a.SID == b.SID
		}) {
			t.Errorf("the caller's case got messages %+v, want what was stored", read.Messages)
		}
	})
}
