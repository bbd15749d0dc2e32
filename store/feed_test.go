package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"weiquan"
	"weiquan/store/storetest"
)

func TestFeedAndScan(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	sub := s.Subscribe()
	defer sub.Close()

	at := time.Date(2026, 11, 26, 9, 0, 0, 0, weiquan.Shanghai)
	var ids []string
	for i := 0; i < 5; i++ {
		c := &weiquan.Case{Kind: weiquan.KindInquiry, CreatedAt: at, UpdatedAt: at.Add(time.Duration(i) * time.Hour), Version: 1}
		if err := s.InsertNewCase(ctx, c); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	c, err := s.GetCase(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	c.UpdatedAt = at.Add(10 * time.Hour)
	if err := s.SaveCase(ctx, c, 1); err != nil {
		t.Fatal(err)
	}
	// A failed save publishes nothing new, but the ids so far are all there,
	// each once however often it was written.
	if err := s.SaveCase(ctx, c, 1); weiquan.ErrorCode(err) != weiquan.EConflict {
		t.Fatalf("stale save: got %v", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	got, err := sub.Next(wctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, ids) {
		t.Errorf("feed gave %v, want %v", got, ids)
	}
	short, cancel2 := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel2()
	if more, err := sub.Next(short); err == nil {
		t.Errorf("feed gave %v with nothing written", more)
	}

	var all, recent []string
	for c, err := range s.ScanCases(ctx, time.Time{}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, c.ID)
	}
	for c, err := range s.ScanCases(ctx, at.Add(3*time.Hour)) {
		if err != nil {
			t.Fatal(err)
		}
		recent = append(recent, c.ID)
	}
	slices.Sort(all)
	slices.Sort(recent)
	if !slices.Equal(all, ids) {
		t.Errorf("scan all: got %v, want %v", all, ids)
	}
	if want := []string{ids[0], ids[3], ids[4]}; !slices.Equal(recent, want) {
		t.Errorf("scan since: got %v, want %v", recent, want)
	}
	got2, err := s.GetCases(ctx, []string{ids[1], "20990101000001", ids[2]})
	if err != nil || len(got2) != 2 {
		t.Errorf("GetCases: got %d cases, %v", len(got2), err)
	}
	if n, err := s.CountCases(ctx); err != nil || n != 5 {
		t.Errorf("CountCases: got %d, %v", n, err)
	}
}
