package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"weiquan"
	"weiquan/store"
	"weiquan/store/storetest"
)

func TestKeyChecks(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

	// Absent: fn sees an empty check, and what it sets is recorded.
	kc, err := s.UpdateKeyCheck(ctx, "otp", func(kc *store.KeyCheck) (bool, error) {
		if kc.Check != "" || kc.Name != "otp" {
			t.Errorf("new key check: %+v", kc)
		}
		kc.Check, kc.SetAt = "c1", at
		kc.Seen = append(kc.Seen, store.KeySeen{Instance: "a", At: at})
		return true, nil
	})
	if err != nil || kc.Check != "c1" {
		t.Fatalf("record: %+v %v", kc, err)
	}

	// Instances recording themselves at once all stay recorded.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := s.UpdateKeyCheck(ctx, "otp", func(kc *store.KeyCheck) (bool, error) {
				kc.Seen = append(kc.Seen, store.KeySeen{Instance: fmt.Sprint("i", i), At: at})
				return true, nil
			}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := s.UpdateKeyCheck(ctx, "otp", func(*store.KeyCheck) (bool, error) { return false, nil })
	if err != nil || got.Check != "c1" || len(got.Seen) != 9 || !got.SetAt.Equal(at) {
		t.Errorf("after concurrent updates: %+v %v, want c1 seen by 9 instances", got, err)
	}

	// fn's error comes back as it is and nothing is written.
	refused := weiquan.Errorf(weiquan.EConflict, "refused")
	if _, err := s.UpdateKeyCheck(ctx, "otp", func(kc *store.KeyCheck) (bool, error) {
		kc.Check = "c2"
		return true, refused
	}); err != refused {
		t.Errorf("fn's error: got %v", err)
	}

	for _, name := range []string{"pii:k1", "pii:k2"} {
		if _, err := s.UpdateKeyCheck(ctx, name, func(kc *store.KeyCheck) (bool, error) {
			kc.Check, kc.Retired = "x-"+name, name == "pii:k1"
			return true, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Administrators' settings beside them are not disturbed.
	if err := s.PutSetting(ctx, &weiquan.Setting{ID: "unit:x", Text: "t"}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListKeyChecks(ctx, "pii:")
	if err != nil || len(list) != 2 || list[0].Name != "pii:k1" || !list[0].Retired || list[1].Check != "x-pii:k2" {
		t.Errorf("list pii: %+v %v", list, err)
	}
	if units, err := s.ListSettings(ctx, "unit:"); err != nil || len(units) != 1 {
		t.Errorf("settings beside key checks: %+v %v", units, err)
	}
	if all, err := s.ListKeyChecks(ctx, ""); err != nil || len(all) != 3 {
		t.Errorf("list all: %+v %v", all, err)
	}
}
