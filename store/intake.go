package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"weiquan"
)

// InsertNewCase numbers a new case from the Shanghai day of its CreatedAt
// and inserts it. It returns only once the case is durably stored, so the
// number can be read back to the caller.
//
// Concurrent calls are committed together: one counter increment and one
// InsertMany for every case waiting while the previous batch was written.
// On the embedded server each write is a SQLite transaction with an fsync,
// so under load this is what lets intake keep up with the phones; a lone
// call pays nothing extra.
func (s *Store) InsertNewCase(ctx context.Context, c *weiquan.Case) error {
	if c.ID != "" {
		return errors.New("store: insert new case: case already has a number")
	}
	req := &intakeReq{ctx: ctx, c: c, done: make(chan error, 1)}
	select {
	case s.intake.queue <- req:
	case <-ctx.Done():
		return storeError("queue new case", ctx.Err())
	case <-s.intake.stop:
		return weiquan.WrapError(weiquan.EUnavailable, msgUnavailable, errors.New("store: closed"))
	}
	// Once queued the case may be written whatever ctx does now, so wait for
	// the verdict: answering "not saved" for a saved case would be worse.
	return <-req.done
}

type intakeReq struct {
	ctx  context.Context
	c    *weiquan.Case
	done chan error
}

// intakeBatcher owns the goroutine that writes queued new cases.
type intakeBatcher struct {
	queue chan *intakeReq
	stop  chan struct{}
	wg    sync.WaitGroup
}

// maxIntakeBatch stays under FerretDB's insert batch (100 documents per
// SQLite transaction) so that one batch is one transaction.
const maxIntakeBatch = 64

func (s *Store) startIntake() {
	s.intake = &intakeBatcher{queue: make(chan *intakeReq), stop: make(chan struct{})}
	s.intake.wg.Add(1)
	go func() {
		defer s.intake.wg.Done()
		for {
			var first *intakeReq
			select {
			case first = <-s.intake.queue:
			case <-s.intake.stop:
				return
			}
			batch := []*intakeReq{first}
		drain:
			for len(batch) < maxIntakeBatch {
				select {
				case r := <-s.intake.queue:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			s.writeIntakeBatch(batch)
		}
	}()
}

func (s *Store) stopIntake() {
	select {
	case <-s.intake.stop:
	default:
		close(s.intake.stop)
	}
	s.intake.wg.Wait()
}

// writeIntakeBatch numbers and inserts a batch, day by day, and answers each
// request with its own outcome.
func (s *Store) writeIntakeBatch(batch []*intakeReq) {
	live := batch[:0]
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- storeError("queue new case", err) // gave up before anything was written
			continue
		}
		live = append(live, r)
	}
	byDay := map[string][]*intakeReq{}
	var days []string
	for _, r := range live {
		day := r.c.CreatedAt.In(weiquan.Shanghai).Format("20060102")
		if byDay[day] == nil {
			days = append(days, day)
		}
		byDay[day] = append(byDay[day], r)
	}
	// The batch is written on its own context: the requests' contexts
	// belong to people who may hang up, but a half-written batch must finish.
	ctx := context.Background()
	for _, day := range days {
		reqs := byDay[day]
		first, err := s.allocateSeq(ctx, day, len(reqs))
		if err != nil {
			for _, r := range reqs {
				r.done <- err
			}
			continue
		}
		docs := make([]any, len(reqs))
		for i, r := range reqs {
			r.c.ID = caseID(day, first+int64(i))
			docs[i] = r.c
		}
		errs := s.insertMany(ctx, docs)
		written := make([]string, 0, len(reqs))
		for i, r := range reqs {
			if errs[i] == nil {
				written = append(written, r.c.ID)
			}
		}
		s.feed.published(written...)
		for i, r := range reqs {
			if errs[i] != nil {
				r.c.ID = ""
			}
			r.done <- errs[i]
		}
	}
}

// insertMany inserts documents unordered and returns one error per document.
func (s *Store) insertMany(ctx context.Context, docs []any) []error {
	errs := make([]error, len(docs))
	_, err := s.cases.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	if err == nil {
		return errs
	}
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && bwe.WriteConcernError == nil && len(bwe.WriteErrors) > 0 {
		for _, we := range bwe.WriteErrors {
			if we.Index >= 0 && we.Index < len(errs) {
				errs[we.Index] = duplicate(fmt.Sprintf("insert new case #%d", we.Index),
					mongo.WriteException{WriteErrors: []mongo.WriteError{we.WriteError}}, msgCaseExists)
			}
		}
		return errs
	}
	// The batch as a whole failed (connection lost, write concern not met):
	// no case in it may be acknowledged.
	err = storeError("insert new cases", err)
	for i := range errs {
		errs[i] = err
	}
	return errs
}
