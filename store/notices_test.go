package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"weiquan"
	"weiquan/store"
	"weiquan/store/storetest"
)

func testNotice(unit string, i int, at time.Time) weiquan.Notice {
	due := at.AddDate(0, 0, 2)
	caseID := fmt.Sprintf("20261126%06d", i)
	return weiquan.Notice{ID: weiquan.NoticeID(unit, caseID, "accept_by", weiquan.NoticeWarning, due), UnitID: unit,
		CaseID: caseID, Kind: weiquan.NoticeWarning, Deadline: "accept_by", Due: due, Note: "受理期限将届满", At: at}
}

// TestNoticesFiledOnceAndCapped: filing a notice again changes nothing
// (not even a read one back to unread); an inbox keeps the latest
// MaxUnitNotices, dropping read ones first; each unit reads its own.
func TestNoticesFiledOnceAndCapped(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, weiquan.Shanghai)
	a, b := testNotice("amr-350203", 1, at), testNotice("amr-350206", 2, at)
	if err := st.AddNotices(ctx, []weiquan.Notice{a, b}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.MarkNoticeRead(ctx, a.ID, "u-off1", at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.AddNotices(ctx, []weiquan.Notice{a, b}); err != nil {
		t.Fatal(err)
	}
	got, err := st.UnitNotices(ctx, []string{"amr-350203"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != a.ID || got[0].ReadAt == nil || got[0].ReadBy != "u-off1" {
		t.Fatalf("amr-350203 after filing twice: %+v", got)
	}
	if _, err := st.MarkNoticeRead(ctx, "amr-350203:20261126999999:accept_by:warning:20261205", "u", at); weiquan.ErrorCode(err) != weiquan.ENotFound {
		t.Errorf("unknown notice: got %v, want not found", err)
	}
	if _, err := st.MarkNoticeRead(ctx, "garbage", "u", at); weiquan.ErrorCode(err) != weiquan.ENotFound {
		t.Errorf("malformed id: got %v, want not found", err)
	}

	// Fill amr-350203 past the cap: the one read notice goes first, then
	// the oldest unread.
	var more []weiquan.Notice
	for i := range store.MaxUnitNotices + 1 {
		more = append(more, testNotice("amr-350203", 100+i, at.Add(time.Duration(i)*time.Minute)))
	}
	if err := st.AddNotices(ctx, more); err != nil {
		t.Fatal(err)
	}
	got, err = st.UnitNotices(ctx, []string{"amr-350203", "amr-350206"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != store.MaxUnitNotices+1 { // the cap, plus amr-350206's one
		t.Fatalf("got %d notices, want %d", len(got), store.MaxUnitNotices+1)
	}
	kept := map[string]bool{}
	for _, n := range got {
		kept[n.ID] = true
	}
	if kept[a.ID] || kept[more[0].ID] || !kept[more[1].ID] || !kept[more[len(more)-1].ID] || !kept[b.ID] {
		t.Errorf("the cap dropped the wrong notices: read one kept %v, oldest unread kept %v", kept[a.ID], kept[more[0].ID])
	}
}
