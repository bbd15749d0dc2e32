package notifications

import (
	"testing"

	"weiquan"
)

// TestScanCopies: the scan's copy of a case is handed out once, never for a
// case the feed reported written since tracking began (the copy may be
// older than the store), nor kept after the start-up scan.
func TestScanCopies(t *testing.T) {
	var s schedule
	s.init()
	s.track()
	a, b, c := &weiquan.Case{ID: "a"}, &weiquan.Case{ID: "b"}, &weiquan.Case{ID: "c"}
	s.written("a")
	s.keep(a)
	s.keep(b)
	s.keep(c)
	s.written("c") // reported after the scan read it
	if got := s.take("a"); got != nil {
		t.Error("a case the feed reported before the scan's copy: got a copy")
	}
	if got := s.take("c"); got != nil {
		t.Error("a case the feed reported after the scan's copy: got a copy")
	}
	if got := s.take("b"); got != b {
		t.Errorf("b: got %v, want the scan's copy", got)
	}
	if got := s.take("b"); got != nil {
		t.Error("b: the copy was handed out twice")
	}
	s.scanned()
	s.keep(&weiquan.Case{ID: "d"})
	if got := s.take("d"); got != nil {
		t.Error("a copy kept after the start-up scan")
	}
	var untracked schedule // a dispatcher that is not exclusive
	untracked.init()
	untracked.keep(a)
	if untracked.take("a") != nil {
		t.Error("a copy kept without tracking")
	}
}
