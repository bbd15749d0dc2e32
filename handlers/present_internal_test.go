package handlers

import (
	"strings"
	"testing"

	"weiquan"
)

// The registration SMS is owed before the store numbers the case, with a
// placeholder the dispatcher fills when sending; a person reading the case
// sees it as it will go, and the stored case is left as it was.
func TestPresentFillsTheCaseNumberOfOwedMessages(t *testing.T) {
	stored := &weiquan.Case{ID: "20261126000007", Messages: []weiquan.Message{
		{Seq: 1, Status: weiquan.MessageOwed, Body: "【12315】您的投诉已登记，编号{id}，查询进度：http://x/track?id={id}"},
		{Seq: 2, Status: "delivered", Body: "【12315】您的投诉（编号20261126000007）已受理"},
	}}
	got := present(stored)
	if b := got.Messages[0].Body; strings.Contains(b, "{id}") || strings.Count(b, "20261126000007") != 2 {
		t.Errorf("owed message shown as %q", b)
	}
	if got.Messages[1].Body != stored.Messages[1].Body {
		t.Errorf("sent message changed: %q", got.Messages[1].Body)
	}
	if !strings.Contains(stored.Messages[0].Body, "{id}") {
		t.Errorf("the stored case was changed: %q", stored.Messages[0].Body)
	}
}
