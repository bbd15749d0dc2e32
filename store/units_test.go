package store_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"weiquan"
	"weiquan/store/storetest"
)

func TestUpsertUnits(t *testing.T) {
	s := storetest.New(t)
	ctx := context.Background()

	want := weiquan.FujianUnits()
	slices.SortFunc(want, func(a, b weiquan.Unit) int { return strings.Compare(a.ID, b.ID) })

	// Loading the same set twice must change nothing.
	for i := range 2 {
		if err := s.UpsertUnits(ctx, weiquan.FujianUnits()); err != nil {
			t.Fatalf("UpsertUnits #%d: %v", i+1, err)
		}
		got, err := s.ListUnits(ctx)
		if err != nil {
			t.Fatalf("ListUnits: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ListUnits after upsert #%d: %d units, want the %d Fujian units sorted by id", i+1, len(got), len(want))
		}
	}

	changed := want[3]
	changed.Name = "改名后的单位"
	changed.Example = true
	added := weiquan.Unit{ID: "station-350103-1", Name: "示例消费维权服务站", Type: weiquan.UnitStation, DivisionCode: "350103", ParentID: "amr-350103", Example: true}
	if err := s.UpsertUnits(ctx, []weiquan.Unit{changed, added}); err != nil {
		t.Fatalf("UpsertUnits of a change: %v", err)
	}
	got, err := s.GetUnit(ctx, changed.ID)
	if err != nil {
		t.Fatalf("GetUnit: %v", err)
	}
	if !reflect.DeepEqual(*got, changed) {
		t.Errorf("GetUnit after change:\n got %+v\nwant %+v", *got, changed)
	}
	all, err := s.ListUnits(ctx)
	if err != nil {
		t.Fatalf("ListUnits: %v", err)
	}
	if len(all) != len(want)+1 || !slices.IsSortedFunc(all, func(a, b weiquan.Unit) int { return strings.Compare(a.ID, b.ID) }) {
		t.Errorf("ListUnits after adding one: %d units (sorted: %v), want %d sorted", len(all),
			slices.IsSortedFunc(all, func(a, b weiquan.Unit) int { return strings.Compare(a.ID, b.ID) }), len(want)+1)
	}

	if err := s.UpsertUnits(ctx, nil); err != nil {
		t.Errorf("UpsertUnits(nil) = %v, want nil", err)
	}
	if _, err := s.GetUnit(ctx, "amr-999999"); weiquan.ErrorCode(err) != weiquan.ENotFound {
		t.Errorf("GetUnit of a missing unit: code %q (%v), want %q", weiquan.ErrorCode(err), err, weiquan.ENotFound)
	}
}

func TestListUnitsEmpty(t *testing.T) {
	s := storetest.New(t)
	got, err := s.ListUnits(context.Background())
	if err != nil {
		t.Fatalf("ListUnits: %v", err)
	}
	if got == nil || len(got) != 0 {
		t.Errorf("ListUnits on an empty store = %#v, want an empty, non-nil slice", got)
	}
}
