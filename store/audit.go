package store

// The audit trail (DESIGN §9): every change and every read of full personal
// information, append-only. This file has an insert and reads, and nothing
// that updates or deletes an entry; nor does any other.
//
// Layout. The embedded server answers only `{_id: x}` from an index (every
// other filter decodes the whole collection, 16–40 µs per document), so the
// two questions the trail answers — what happened to this case, what did
// this person do — are chains of _ids that a reader walks down from the
// newest:
//
//	c/<case id>/<n>    an entry about a case, n = 1, 2, … per case
//	u/<actor id>/<n>   the actor's n-th entry: the entry itself when it is
//	                   about no case, else a pointer {ref: "c/<case>/<m>"}
//
// Both documents of an entry go in one InsertMany (one transaction on the
// embedded server). The next n of a chain is remembered per process and found
// after a restart by probing _ids (about 2·log2(n) look-ups); a second
// process that took the same n first makes the insert fail on the duplicate
// _id and it takes the next one. On MongoDB, case_id and actor_id are also
// indexed for ad-hoc questions asked in the database directly.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
)

const collAudit = "audit"

// auditChains remembers the last n of each chain this process has seen.
type auditChains struct {
	mu   sync.Mutex
	last map[string]int64

	// Group commit: entries recorded at the same time are written by one
	// InsertMany, one transaction on the embedded server, as new cases are
	// (intake.go); otherwise the trail would halve intake's throughput.
	qmu      sync.Mutex
	pending  []*auditReq
	flushing bool
}

type auditReq struct {
	e    *weiquan.AuditEntry
	done chan error
}

// maxAuditBatch entries (two documents each) stay under FerretDB's insert
// batch of 100 documents, so one batch is one transaction.
const maxAuditBatch = 45

type auditDoc struct {
	ID                 string `bson:"_id"`
	Ref                string `bson:"ref,omitempty"`
	weiquan.AuditEntry `bson:",inline"`
}

func auditCaseChain(caseID string) string  { return "c/" + caseID + "/" }
func auditUserChain(actorID string) string { return "u/" + actorID + "/" }
func auditID(chain string, n int64) string { return fmt.Sprintf("%s%09d", chain, n) }

// InsertAudit appends e to the trail and returns once it is stored; e.ID is
// set to the entry's _id. Concurrent calls are committed together.
func (s *Store) InsertAudit(ctx context.Context, e *weiquan.AuditEntry) error {
	if e.ActorID == "" {
		e.ActorID = "system"
	}
	if e.At.IsZero() {
		e.At = s.opts.Now()
	}
	e.At = weiquan.InShanghai(e.At)
	req := &auditReq{e: e, done: make(chan error, 1)}
	q := &s.audit
	q.qmu.Lock()
	q.pending = append(q.pending, req)
	lead := !q.flushing
	q.flushing = true
	q.qmu.Unlock()
	if lead {
		s.flushAudit(req)
	}
	// Once queued the entry may be written whatever ctx does: wait for the
	// verdict, as InsertNewCase does.
	return <-req.done
}

// flushAudit writes pending batches until mine is written, then leaves the
// rest, if any, to a goroutine of its own so that no caller waits for
// others' entries indefinitely.
func (s *Store) flushAudit(mine *auditReq) {
	q := &s.audit
	for {
		q.qmu.Lock()
		n := min(len(q.pending), maxAuditBatch)
		if n == 0 {
			q.flushing = false
			q.qmu.Unlock()
			return
		}
		batch := append([]*auditReq(nil), q.pending[:n]...)
		q.pending = q.pending[n:]
		q.qmu.Unlock()
		s.writeAuditBatch(batch)
		if mine != nil && slices.Contains(batch, mine) {
			q.qmu.Lock()
			more := len(q.pending) > 0
			if !more {
				q.flushing = false
			}
			q.qmu.Unlock()
			if more {
				go s.flushAudit(nil)
			}
			return
		}
	}
}

// writeAuditBatch numbers and inserts a batch and answers each request. An
// entry that collided with another process's numbers is written again on
// its own.
func (s *Store) writeAuditBatch(batch []*auditReq) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type owner struct {
		req     int
		pointer bool
	}
	var docs []any
	var owners []owner
	for i, r := range batch {
		entry, pointer, err := s.auditIDs(ctx, r.e, false)
		if err != nil {
			r.done <- err
			batch[i] = nil
			continue
		}
		r.e.ID = entry
		docs = append(docs, auditDoc{ID: entry, AuditEntry: *r.e})
		owners = append(owners, owner{req: i})
		if pointer != "" {
			docs = append(docs, auditDoc{ID: pointer, Ref: entry})
			owners = append(owners, owner{req: i, pointer: true})
		}
	}
	if len(docs) == 0 {
		return
	}
	_, err := s.db.Collection(collAudit).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	failed := map[int]owner{}
	var bwe mongo.BulkWriteException
	switch {
	case err == nil:
	case errors.As(err, &bwe) && bwe.WriteConcernError == nil && len(bwe.WriteErrors) > 0:
		for _, we := range bwe.WriteErrors {
			if we.Index < 0 || we.Index >= len(owners) {
				continue
			}
			o := owners[we.Index]
			if !mongo.IsDuplicateKeyError(mongo.WriteException{WriteErrors: []mongo.WriteError{we.WriteError}}) {
				if batch[o.req] != nil {
					batch[o.req].done <- storeError("append audit entry", we)
					batch[o.req] = nil
				}
				continue
			}
			// When only the entry collided, its pointer went in and refers
			// to the other process's entry of that number: readers skip it
			// (the actor differs), and the entry is written again below.
			if prev, ok := failed[o.req]; !ok || prev.pointer {
				failed[o.req] = o // the entry itself failing wins over its pointer
			}
		}
	default:
		err = storeError("append audit entries", err)
		for _, r := range batch {
			if r != nil {
				r.done <- err
			}
		}
		return
	}
	for i, r := range batch {
		if r == nil {
			continue
		}
		o, collided := failed[i]
		switch {
		case !collided:
			r.done <- nil
		case o.pointer:
			r.done <- s.insertAuditPointer(ctx, auditUserChain(r.e.ActorID), r.e.ID)
		default:
			r.done <- s.insertAuditOne(ctx, r.e)
		}
	}
}

// auditIDs reserves the _ids of an entry: its own (in the case's chain, or
// the actor's when it is about no case) and, for a case entry, the pointer
// in the actor's chain.
func (s *Store) auditIDs(ctx context.Context, e *weiquan.AuditEntry, recheck bool) (entry, pointer string, err error) {
	user := auditUserChain(e.ActorID)
	if e.CaseID == "" {
		n, err := s.auditNext(ctx, user, recheck)
		return auditID(user, n), "", err
	}
	c := auditCaseChain(e.CaseID)
	n, err := s.auditNext(ctx, c, recheck)
	if err != nil {
		return "", "", err
	}
	m, err := s.auditNext(ctx, user, recheck)
	return auditID(c, n), auditID(user, m), err
}

// insertAuditOne writes one entry after a collision, re-reading the
// chains' ends from the store each time.
func (s *Store) insertAuditOne(ctx context.Context, e *weiquan.AuditEntry) error {
	const attempts = 8
	var lastErr error
	for attempt := 0; attempt < attempts; attempt++ {
		entryID, pointer, err := s.auditIDs(ctx, e, true)
		if err != nil {
			return err
		}
		e.ID = entryID
		docs := []any{auditDoc{ID: entryID, AuditEntry: *e}}
		if pointer != "" {
			docs = append(docs, auditDoc{ID: pointer, Ref: entryID})
		}
		_, err = s.db.Collection(collAudit).InsertMany(ctx, docs, options.InsertMany().SetOrdered(true))
		if err == nil {
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return storeError("append audit entry", err)
		}
		// The entry went in and only its pointer collided: an entry is
		// never written twice, so only the pointer is tried again.
		lastErr = err
		var bwe mongo.BulkWriteException
		if errors.As(err, &bwe) && len(docs) == 2 && len(bwe.WriteErrors) == 1 && bwe.WriteErrors[0].Index == 1 {
			return s.insertAuditPointer(ctx, auditUserChain(e.ActorID), entryID)
		}
	}
	return storeError("append audit entry", fmt.Errorf("no free number after %d attempts: %w", attempts, lastErr))
}

func (s *Store) insertAuditPointer(ctx context.Context, chain, ref string) error {
	for attempt := 0; attempt < 8; attempt++ {
		n, err := s.auditNext(ctx, chain, true)
		if err != nil {
			return err
		}
		_, err = s.db.Collection(collAudit).InsertOne(ctx, auditDoc{ID: auditID(chain, n), Ref: ref})
		if err == nil {
			return nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return storeError("append audit pointer", err)
		}
	}
	return storeError("append audit pointer", errors.New("no free number"))
}

// auditNext reserves the next number of a chain; recheck probes the store
// past what this process knows (after a collision).
func (s *Store) auditNext(ctx context.Context, chain string, recheck bool) (int64, error) {
	s.audit.mu.Lock()
	defer s.audit.mu.Unlock()
	if s.audit.last == nil {
		s.audit.last = map[string]int64{}
	}
	last, known := s.audit.last[chain]
	if !known || recheck {
		top, err := s.auditTop(ctx, chain, last)
		if err != nil {
			return 0, err
		}
		last = max(last, top)
	}
	s.audit.last[chain] = last + 1
	return last + 1, nil
}

// auditTop finds the highest n stored in a chain, starting from a number
// known to be taken (or 0): gallop up until a gap, then bisect.
func (s *Store) auditTop(ctx context.Context, chain string, from int64) (int64, error) {
	lo, step := from, int64(1)
	hi := int64(-1)
	for hi < 0 {
		ok, err := s.auditExists(ctx, auditID(chain, lo+step))
		if err != nil {
			return 0, err
		}
		if ok {
			lo += step
			step *= 2
		} else {
			hi = lo + step
		}
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := s.auditExists(ctx, auditID(chain, mid))
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

func (s *Store) auditExists(ctx context.Context, id string) (bool, error) {
	err := s.db.Collection(collAudit).FindOne(ctx, bson.D{{Key: "_id", Value: id}},
		options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, storeError("read audit trail", err)
	}
	return true, nil
}

// maxAuditScan bounds how far a combined case-and-actor query walks the
// case's chain for one page.
const maxAuditScan = 2000

// ListAudit returns entries newest first. It walks the case's chain (or the
// actor's) down from the newest, so a page costs about Limit look-ups by
// _id however long the trail is.
func (s *Store) ListAudit(ctx context.Context, q weiquan.AuditQuery) (weiquan.AuditPage, error) {
	const op = "list audit trail"
	if q.Limit <= 0 || q.Limit > weiquan.MaxAuditPage {
		return weiquan.AuditPage{}, weiquan.Errorf(weiquan.EInvalid, "条数应在 1 到 %d 之间", weiquan.MaxAuditPage)
	}
	var chain string
	switch {
	case q.CaseID != "":
		chain = auditCaseChain(q.CaseID)
	case q.ActorID != "":
		chain = auditUserChain(q.ActorID)
	default:
		return weiquan.AuditPage{}, weiquan.Errorf(weiquan.EInvalid, "请指定案件或用户")
	}
	top := q.Before - 1
	if q.Before <= 0 {
		s.audit.mu.Lock()
		known := s.audit.last[chain]
		s.audit.mu.Unlock()
		var err error
		if top, err = s.auditTop(ctx, chain, known); err != nil {
			return weiquan.AuditPage{}, err
		}
	}
	page := weiquan.AuditPage{Items: []weiquan.AuditEntry{}}
	scanned := 0
	for n := top; n > 0; {
		// Read a window of ids at once: one query on MongoDB, one look-up
		// each on the embedded server.
		w := int64(q.Limit - len(page.Items))
		if q.CaseID != "" && q.ActorID != "" {
			w = 100
		}
		var ids []string
		for k := n; k > 0 && k > n-w; k-- {
			ids = append(ids, auditID(chain, k))
		}
		docs, err := s.auditDocs(ctx, ids)
		if err != nil {
			return weiquan.AuditPage{}, storeError(op, err)
		}
		var refs []string
		for _, d := range docs {
			if d.Ref != "" {
				refs = append(refs, d.Ref)
			}
		}
		if len(refs) > 0 {
			entries, err := s.auditDocs(ctx, refs)
			if err != nil {
				return weiquan.AuditPage{}, storeError(op, err)
			}
			for id, d := range docs {
				if d.Ref != "" {
					docs[id] = entries[d.Ref] // zero (skipped below) if the entry is missing
				}
			}
		}
		for i, id := range ids {
			d, ok := docs[id]
			scanned++
			if !ok || d.ActorID == "" {
				continue // a number taken by an insert that failed
			}
			if q.ActorID != "" && d.ActorID != q.ActorID {
				continue
			}
			page.Items = append(page.Items, d.AuditEntry)
			if len(page.Items) == q.Limit {
				if k := n - int64(i); k > 1 {
					page.Next = k
				}
				return page, nil
			}
		}
		n -= int64(len(ids))
		if scanned >= maxAuditScan && n > 0 {
			page.Next = n + 1
			return page, nil
		}
	}
	return page, nil
}

// auditDocs reads documents by _id.
func (s *Store) auditDocs(ctx context.Context, ids []string) (map[string]auditDoc, error) {
	out := make(map[string]auditDoc, len(ids))
	coll := s.db.Collection(collAudit)
	if s.opts.Embedded {
		for _, id := range ids {
			var d auditDoc
			err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d)
			if errors.Is(err, mongo.ErrNoDocuments) {
				continue
			}
			if err != nil {
				return nil, err
			}
			d.At = weiquan.InShanghai(d.At)
			out[id] = d
		}
		return out, nil
	}
	cur, err := coll.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return nil, err
	}
	var docs []auditDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, err
	}
	for _, d := range docs {
		d.At = weiquan.InShanghai(d.At)
		out[d.ID] = d
	}
	return out, nil
}
