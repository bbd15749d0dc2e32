package notifications

import "weiquan"

// After a restart with a backlog — an outage, a night of quiet hours — the
// start-up scan reads every case and finds thousands that owe a message.
// Sending one then cost three reads of its case: the scan's, the claim's
// and the one under the lock that records the result, each of them
// FerretDB decoding the whole document (most of the dispatcher's CPU, by
// the profile of BenchmarkDispatcher). An exclusive dispatcher — the only
// writer of message state besides the webhooks, which never touch an owed
// message — can claim from the copy the scan read, as it claims from the
// copy it last wrote, and save the second read.
//
// The copy is stale when the case was written after the scan read it. Every
// such write (SaveCase, InsertNewCase) comes through the feed, which the
// dispatcher follows from before the scan begins: a case the feed reported
// gets no copy, and a copy is dropped when the feed reports its case. What
// is claimed from a copy is still checked under the case's lock when its
// result is recorded (the message must still be owed), as with any claim.

// maxSnapshots bounds the copies kept at once: beyond it, claims read the
// case as before. A case is a few KiB.
const maxSnapshots = 10000

// scanPoke is how often the scan wakes the workers, in cases found owing.
const scanPoke = 64

type snapshots struct {
	tracking bool
	reported map[string]bool          // reported by the feed since tracking began
	copies   map[string]*weiquan.Case // as the scan read them; taken by the first claim
}

// track starts remembering what the feed reports. Call with no other
// goroutine running.
func (s *schedule) track() {
	s.tracking, s.reported, s.copies = true, map[string]bool{}, map[string]*weiquan.Case{}
}

// written notes that the feed reported case id written: a copy read before
// is stale.
func (s *schedule) written(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tracking {
		s.reported[id] = true
	}
	delete(s.copies, id)
}

// keep remembers the scan's copy of c, unless the feed reported c written
// since tracking began, c is being worked on, or enough copies are kept.
func (s *schedule) keep(c *weiquan.Case) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tracking || s.reported[c.ID] || s.busy[c.ID] || len(s.copies) >= maxSnapshots {
		return
	}
	s.copies[c.ID] = c
}

// take hands out the scan's copy of case id, once.
func (s *schedule) take(id string) *weiquan.Case {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.copies[id]
	delete(s.copies, id)
	return c
}

// scanned ends tracking once the start-up scan is done: no copy is kept
// after it, and the copies left are dropped when the feed reports their
// case.
func (s *schedule) scanned() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tracking, s.reported = false, nil
}
