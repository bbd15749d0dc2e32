package workflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"weiquan"
)

// SweepSource finds the cases the sweeper must look at. It is an interface
// so that the store can answer until the search index (the read model for set
// queries, DESIGN §4.2) takes over.
//
// DueCases returns open cases with a running deadline at or before before,
// ordered by id, starting after the id after ("" for the first page), at most
// limit of them. A deadline runs while the case is in the status it belongs
// to: accept_by and track_by while assigned, mediate_by while accepted or
// mediating and not paused (mediation.paused_at unset), verify_by while
// verifying. Deadlines left over from an earlier status are history, not
// candidates; without that rule every accepted case would come back on every
// tick for its long-past accept_by.
type SweepSource interface {
	DueCases(ctx context.Context, before time.Time, after string, limit int) ([]*weiquan.Case, error)
}

// Sweeper watches deadlines: a warning when one is near (the policy's
// WarningDays working days), an overdue notice when it has passed, each once
// per deadline and due time, recorded on the case as an internal event that
// tells the unit; mediation still open at mediate_by is terminated when the
// policy says so, and an ODR enterprise or station past its track_by loses
// the case to the agency.
//
// Several sweepers may run against the same store: every write is a
// compare-and-swap on the case's version, and a lost one means somebody else
// changed the case, which is then re-read and judged again (once; anything
// still contested waits for the next tick). What was already recorded is
// never recorded twice, because the record itself (c.Alerts, the status) is
// what the next judgement reads.
type Sweeper struct {
	Source SweepSource
	Engine *Engine
	// Notices, when set, files each warning and overdue for the unit
	// holding the case too (the officer desk lists them), before the case
	// records the alert: a notice whose case save is lost is filed again
	// under the same id, which changes nothing, so every alert the case
	// records has its notice exactly once.
	Notices NoticeSink
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger     // default slog.Default()

	pageSize int // sweepPageSize when 0; tests page through few cases
}

// NoticeSink files deadline notices for units (NoticeStore).
type NoticeSink interface {
	AddNotices(ctx context.Context, notices []weiquan.Notice) error
}

// SweepStats counts what one tick did.
type SweepStats struct {
	Candidates int `json:"candidates"` // cases the source returned
	Warnings   int `json:"warnings"`
	Overdue    int `json:"overdue"`
	Terminated int `json:"terminated"` // mediations ended at mediate_by
	Escalated  int `json:"escalated"`  // cases taken from an ODR enterprise or station at track_by
	Conflicts  int `json:"conflicts"`  // saves lost to another writer, re-read and judged again
	Deferred   int `json:"deferred"`   // cases still contested after the second try, left for the next tick
	Failed     int `json:"failed"`     // cases that could not be handled (logged)
}

func (st *SweepStats) add(o SweepStats) {
	st.Candidates += o.Candidates
	st.Warnings += o.Warnings
	st.Overdue += o.Overdue
	st.Terminated += o.Terminated
	st.Escalated += o.Escalated
	st.Conflicts += o.Conflicts
	st.Deferred += o.Deferred
	st.Failed += o.Failed
}

const (
	// sweepPageSize bounds one candidate query. On the embedded FerretDB
	// each query scans the whole cases table, so fewer, larger pages are
	// cheaper; a thousand cases of a few KiB each is still a small reply.
	sweepPageSize = 1000
	// sweepWorkers handle a page's cases in parallel: each is a read and at
	// most two writes of one document, independent of the others.
	sweepWorkers = 4
)

// sweepDeadline is a deadline the sweeper watches and when it runs; the
// statuses must match SweepSource's contract.
type sweepDeadline struct {
	name    string // as in Alert.Deadline and the JSON of Deadlines
	label   string
	due     func(c *weiquan.Case) *time.Time
	running func(c *weiquan.Case) bool
}

var sweepDeadlines = []sweepDeadline{
	{"accept_by", "受理期限", func(c *weiquan.Case) *time.Time { return c.Deadlines.AcceptBy },
		func(c *weiquan.Case) bool { return c.Status == weiquan.StatusAssigned }},
	{"track_by", "ODR 企业/服务站处理期限", func(c *weiquan.Case) *time.Time { return c.Deadlines.TrackBy },
		func(c *weiquan.Case) bool { return c.Status == weiquan.StatusAssigned }},
	{"mediate_by", "调解期限", func(c *weiquan.Case) *time.Time { return c.Deadlines.MediateBy },
		func(c *weiquan.Case) bool {
			return (c.Status == weiquan.StatusAccepted || c.Status == weiquan.StatusMediating) && c.Mediation.PausedAt == nil
		}},
	{"verify_by", "核查期限", func(c *weiquan.Case) *time.Time { return c.Deadlines.VerifyBy },
		func(c *weiquan.Case) bool { return c.Status == weiquan.StatusVerifying }},
}

// Alert kinds.
const (
	AlertWarning = "warning"
	AlertOverdue = "overdue"
)

func (s *Sweeper) now() time.Time {
	if s.Now == nil {
		return weiquan.InShanghai(time.Now())
	}
	return weiquan.InShanghai(s.Now())
}

func (s *Sweeper) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// Run ticks now and then every interval until ctx is done, logging what each
// tick did and any error; a failed tick is retried at the next one.
func (s *Sweeper) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		st, err := s.Tick(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.logger().Error("deadline sweep failed", "err", err, "stats", st)
		case st.Warnings+st.Overdue+st.Terminated+st.Escalated+st.Deferred > 0:
			s.logger().Info("deadline sweep", "stats", st)
		default:
			s.logger().Debug("deadline sweep", "stats", st)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Tick looks once at every case with a deadline near or past. A case that
// cannot be handled is logged, counted in Failed and reported in the error
// after the others have been handled; an error from the source ends the tick.
func (s *Sweeper) Tick(ctx context.Context) (SweepStats, error) {
	now := s.now()
	// The widest warning window of any loaded policy: a case's own policy
	// then decides whether it is near enough.
	warn := 0
	for _, p := range s.Engine.Policies.List() {
		warn = max(warn, p.WarningDays)
	}
	horizon := s.Engine.Calendar.AddWorkingDays(now, warn)

	var (
		total SweepStats
		errs  []error
	)
	limit := s.pageSize
	if limit <= 0 {
		limit = sweepPageSize
	}
	after := ""
	for {
		page, err := s.Source.DueCases(ctx, horizon, after, limit)
		if err != nil {
			return total, fmt.Errorf("sweep: find cases due by %s after %q: %w", horizon.Format(time.DateOnly), after, err)
		}
		total.Candidates += len(page)
		st, pageErrs := s.sweepPage(ctx, page, now)
		total.add(st)
		errs = append(errs, pageErrs...)
		if len(page) < limit {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(errs) > 0 {
		return total, fmt.Errorf("sweep: %d of %d cases failed: %w", len(errs), total.Candidates, errors.Join(errs...))
	}
	return total, ctx.Err()
}

func (s *Sweeper) sweepPage(ctx context.Context, page []*weiquan.Case, now time.Time) (SweepStats, []error) {
	// Judge every case first, then file the page's notices in one call —
	// one write per unit inbox instead of one per alert — and only then
	// save the cases: a notice is filed before the alert that owes it is
	// recorded (see Sweeper.Notices).
	judged := make([]sweepJudgement, len(page))
	s.sweepEach(ctx, len(page), func(i int) {
		c := machineClone(page[i])
		c.NormalizeTimes()
		next, st, notices, err := s.sweepJudge(ctx, c, now)
		judged[i] = sweepJudgement{read: c, next: next, st: st, notices: notices, err: err}
	})
	var noticeErr error
	if s.Notices != nil {
		var notices []weiquan.Notice
		for _, j := range judged {
			notices = append(notices, j.notices...)
		}
		if len(notices) > 0 {
			noticeErr = s.Notices.AddNotices(ctx, notices)
		}
	}
	var (
		mu    sync.Mutex
		total SweepStats
		errs  []error
	)
	s.sweepEach(ctx, len(page), func(i int) {
		j := &judged[i]
		if j.err == nil && len(j.notices) > 0 && noticeErr != nil {
			j.err = fmt.Errorf("sweep case %s: notify unit %s: %w", j.read.ID, j.read.UnitID, noticeErr)
		}
		st, err := s.sweepCase(ctx, j, now)
		mu.Lock()
		defer mu.Unlock()
		total.add(st)
		if err != nil {
			total.Failed++
			errs = append(errs, err)
			s.logger().Error("deadline sweep: case failed", "case", page[i].ID, "err", err)
		}
	})
	return total, errs
}

// sweepEach runs fn(0..n-1) on sweepWorkers goroutines, stopping early
// when ctx ends.
func (s *Sweeper) sweepEach(ctx context.Context, n int, fn func(i int)) {
	var wg sync.WaitGroup
	work := make(chan int)
	for range min(sweepWorkers, n) {
		wg.Go(func() {
			for i := range work {
				fn(i)
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
}

// sweepJudgement is what a case owes as judged from the page's read.
type sweepJudgement struct {
	read    *weiquan.Case // the case as read (a normalised copy)
	next    *weiquan.Case // nil: it owes nothing
	st      SweepStats
	notices []weiquan.Notice // filed before next is saved
	err     error
}

// sweepCase saves what a case was judged to owe; on a lost save it reads
// the case again, judges it once more, files the notices of that judgement
// and saves again.
func (s *Sweeper) sweepCase(ctx context.Context, j *sweepJudgement, now time.Time) (SweepStats, error) {
	var st SweepStats
	c, id := j.read, j.read.ID
	next, got, err := j.next, j.st, j.err
	for attempt := 0; ; attempt++ {
		if err != nil || next == nil {
			return st, err
		}
		err = s.Engine.Store.SaveCase(ctx, next, c.Version)
		if err == nil {
			got.Conflicts = st.Conflicts
			return got, nil
		}
		if weiquan.ErrorCode(err) != weiquan.EConflict {
			return st, fmt.Errorf("sweep case %s: %w", id, err)
		}
		st.Conflicts++
		if attempt == 1 {
			st.Deferred++
			return st, nil
		}
		if c, err = s.Engine.Store.GetCase(ctx, id); err != nil {
			return st, fmt.Errorf("sweep case %s: re-read after a lost save: %w", id, err)
		}
		c.NormalizeTimes()
		var notices []weiquan.Notice
		next, got, notices, err = s.sweepJudge(ctx, c, now)
		if err == nil && len(notices) > 0 && s.Notices != nil {
			if nerr := s.Notices.AddNotices(ctx, notices); nerr != nil {
				err = fmt.Errorf("sweep case %s: notify unit %s: %w", id, c.UnitID, nerr)
			}
		}
	}
}

// sweepJudge works out what c owes at now and returns the changed copy, or
// nil when it owes nothing, with the notices its new alerts owe the unit
// holding it.
func (s *Sweeper) sweepJudge(ctx context.Context, c *weiquan.Case, now time.Time) (*weiquan.Case, SweepStats, []weiquan.Notice, error) {
	var st SweepStats
	var notices []weiquan.Notice
	e := s.Engine
	p, err := e.Policies.ForCase(c)
	if err != nil {
		return nil, st, nil, fmt.Errorf("sweep: %w", err)
	}
	next := machineClone(c)
	changed := false
	for _, d := range sweepDeadlines {
		due := d.due(next)
		if due == nil || !d.running(next) {
			continue
		}
		var kind string
		switch {
		case now.After(*due):
			kind = AlertOverdue
		case p.WarningDays > 0 && !due.After(e.Calendar.AddWorkingDays(now, p.WarningDays)):
			kind = AlertWarning
		default:
			continue
		}
		if !sweepRaised(next, d.name, kind, *due) {
			if n := s.sweepAlert(next, d, kind, *due, now); n.UnitID != "" {
				notices = append(notices, n)
			}
			changed = true
			if kind == AlertOverdue {
				st.Overdue++
			} else {
				st.Warnings++
			}
		}
		if kind != AlertOverdue {
			continue
		}
		// The status is the record of these: a terminated or escalated case
		// no longer has the deadline running, so it is acted on once.
		var action string
		switch {
		case d.name == "mediate_by" && p.TerminateMediationAtDeadline:
			action = ActionTerminate
		case d.name == "track_by":
			action = ActionEscalate
		default:
			continue
		}
		acted, err := e.machineApply(ctx, next, SystemActor, action, ActionRequest{Version: next.Version}, now)
		if err != nil {
			return nil, st, nil, fmt.Errorf("sweep case %s: %s at %s: %w", c.ID, action, d.name, err)
		}
		next, changed = acted, true
		if action == ActionTerminate {
			st.Terminated++
		} else {
			st.Escalated++
		}
	}
	if !changed {
		return nil, st, nil, nil
	}
	next.UpdatedAt = now
	return next, st, notices, nil
}

func sweepRaised(c *weiquan.Case, deadline, kind string, due time.Time) bool {
	for _, a := range c.Alerts {
		if a.Deadline == deadline && a.Kind == kind && a.Due.Equal(due) {
			return true
		}
	}
	return false
}

// sweepAlert records the alert and its event on c and returns the notice
// it owes the unit holding c (none, with no UnitID, for a case no unit
// holds).
func (s *Sweeper) sweepAlert(c *weiquan.Case, d sweepDeadline, kind string, due, now time.Time) weiquan.Notice {
	c.Alerts = append(c.Alerts, weiquan.Alert{Deadline: d.name, Kind: kind, Due: due, At: now})
	unit := c.UnitID
	if u, ok := s.Engine.Units.Get(unit); ok {
		unit = fmt.Sprintf("%s（%s）", u.Name, u.ID)
	}
	typ := EventDeadlineOverdue
	note := fmt.Sprintf("%s（%s）已届满，请%s立即处理", d.label, due.Format(time.DateOnly), unit)
	if kind == AlertWarning {
		typ = EventDeadlineWarning
		left := "今天届满"
		if n := s.Engine.Calendar.WorkingDaysBetween(now, due); n > 0 {
			left = fmt.Sprintf("还剩 %d 个工作日", n)
		}
		note = fmt.Sprintf("%s（%s）%s，请%s及时处理", d.label, due.Format(time.DateOnly), left, unit)
	}
	machineAppendEvent(c, weiquan.Event{At: now, Actor: SystemActor.UserID, Type: typ, Public: false, Note: note})
	if c.UnitID == "" {
		return weiquan.Notice{}
	}
	return weiquan.Notice{ID: weiquan.NoticeID(c.UnitID, c.ID, d.name, kind, due), UnitID: c.UnitID, CaseID: c.ID,
		Kind: kind, Deadline: d.name, Due: due, Note: note, At: now}
}
