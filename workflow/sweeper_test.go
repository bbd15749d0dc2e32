package workflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"weiquan"
)

// newSweeper reads candidates from the store two at a time, so that the
// tests page through them.
func newSweeper(f *machineFixture) *Sweeper {
	return &Sweeper{Source: f.store, Engine: f.engine, Now: f.clock.Now, Logger: slog.New(slog.DiscardHandler), pageSize: 2}
}

// sweepTick runs one tick at t and fails the test on an error.
func sweepTick(t testing.TB, f *machineFixture, s *Sweeper, at time.Time) SweepStats {
	t.Helper()
	f.clock.Set(at)
	st, err := s.Tick(context.Background())
	if err != nil {
		t.Fatalf("Tick at %v: %v", at, err)
	}
	return st
}

func sweepGet(t testing.TB, f *machineFixture, id string) *weiquan.Case {
	t.Helper()
	c, err := f.store.GetCase(context.Background(), id)
	if err != nil {
		t.Fatalf("GetCase %s: %v", id, err)
	}
	c.NormalizeTimes()
	return c
}

// sweepAlertKeys lists a case's alerts as "deadline kind due @ at".
func sweepAlertKeys(c *weiquan.Case) []string {
	out := make([]string, len(c.Alerts))
	for i, a := range c.Alerts {
		out[i] = fmt.Sprintf("%s %s %s @ %s", a.Deadline, a.Kind, a.Due.Format(time.DateOnly), a.At.Format("2006-01-02 15:04"))
	}
	slices.Sort(out)
	return out
}

func sweepEventTypes(c *weiquan.Case, from int) []string {
	var out []string
	for _, e := range c.Events[from:] {
		out = append(out, e.Type)
	}
	return out
}

// TestSweeperDeadlines follows a few cases through their deadlines day by
// day and checks each warning, overdue notice, termination and escalation.
func TestSweeperDeadlines(t *testing.T) {
	f := newMachineFixture(t)
	keep := f.engine.Policies.Default()
	keep.ID, keep.Name, keep.TerminateMediationAtDeadline = "test-keep-mediating", "调解期满不终止（测试）", false
	if err := f.engine.Policies.Add(keep); err != nil {
		t.Fatal(err)
	}

	ignored := f.state(t, "assigned") // accept_by 2026-12-07
	odr := f.state(t, "odr")          // track_by 2026-12-07 (the enterprise's 7 days)
	verifying := f.state(t, "verifying")
	mediating := f.state(t, "mediating")
	paused := f.state(t, "paused")
	d := machineDraft(t, weiquan.KindComplaint)
	d.Policy = keep.ID
	kept := f.register(t, d)
	kept = f.act(t, kept, machineOfficer(kept), ActionAccept, ActionRequest{})
	s := newSweeper(f)

	steps := []struct {
		at   string
		want SweepStats // Candidates left out: compared separately below
	}{
		{"2026-12-02 09:00", SweepStats{}},
		{"2026-12-03 09:00", SweepStats{Warnings: 2}},              // accept_by and track_by: 2 working days left
		{"2026-12-03 09:00", SweepStats{}},                         // the same tick again
		{"2026-12-07 23:59", SweepStats{}},                         // still the due day
		{"2026-12-08 00:00", SweepStats{Overdue: 2, Escalated: 1}}, // ODR lost the case to amr-350206
		{"2026-12-08 00:00", SweepStats{}},
		{"2026-12-14 09:00", SweepStats{}},
		{"2026-12-15 09:00", SweepStats{Warnings: 2}}, // verify_by and the escalated case's new accept_by, 2026-12-17
		{"2026-12-18 09:00", SweepStats{Overdue: 2}},
		{"2027-01-26 09:00", SweepStats{}},
		{"2027-01-27 09:00", SweepStats{Warnings: 2}}, // mediate_by 2027-01-29, 45 working days after 2026-11-26
		{"2027-01-29 23:00", SweepStats{}},
		{"2027-01-30 09:00", SweepStats{Overdue: 2, Terminated: 1}}, // a Saturday: the sweeper does not wait for Monday
		{"2027-01-30 09:00", SweepStats{}},
	}
	for _, st := range steps {
		got := sweepTick(t, f, s, sh(st.at))
		if got.Candidates == 0 && got != (SweepStats{}) {
			t.Errorf("%s: acted with no candidates: %+v", st.at, got)
		}
		got.Candidates = 0
		if got != st.want {
			t.Errorf("%s: got %+v, want %+v", st.at, got, st.want)
		}
	}

	// The warning names the unit and the days left; both notices are internal.
	c := sweepGet(t, f, ignored.ID)
	wantAlerts := []string{"accept_by overdue 2026-12-07 @ 2026-12-08 00:00", "accept_by warning 2026-12-07 @ 2026-12-03 09:00"}
	if got := sweepAlertKeys(c); !slices.Equal(got, wantAlerts) {
		t.Errorf("ignored complaint: got alerts %v, want %v", got, wantAlerts)
	}
	evs := c.Events[len(ignored.Events):]
	if len(evs) != 2 || evs[0].Type != EventDeadlineWarning || evs[1].Type != EventDeadlineOverdue ||
		evs[0].Public || evs[1].Public || evs[0].Actor != "system" ||
		!strings.Contains(evs[0].Note, "amr-350203") || !strings.Contains(evs[0].Note, "还剩 2 个工作日") {
		t.Errorf("ignored complaint: got events %+v, want an internal warning naming amr-350203 with 2 days left, then an overdue notice", evs)
	}
	if c.Status != weiquan.StatusAssigned || c.Version != ignored.Version+2 {
		t.Errorf("ignored complaint: got %s version %d, want still assigned, version %d", c.Status, c.Version, ignored.Version+2)
	}

	c = sweepGet(t, f, odr.ID)
	if got, want := sweepEventTypes(c, len(odr.Events)), []string{EventDeadlineWarning, EventDeadlineOverdue, ActionEscalate,
		ActionRoute, EventDeadlineWarning, EventDeadlineOverdue}; !slices.Equal(got, want) {
		t.Errorf("ODR case: got events %v, want %v", got, want)
	}
	if c.UnitID != "amr-350206" || c.Track != weiquan.TrackAgency || c.Deadlines.AcceptBy.Format(time.DateOnly) != "2026-12-17" {
		t.Errorf("ODR case: got %s on %s accept_by %v, want amr-350206 on agency by 2026-12-17", c.UnitID, c.Track, c.Deadlines.AcceptBy)
	}

	c = sweepGet(t, f, verifying.ID)
	if got, want := sweepAlertKeys(c), []string{"verify_by overdue 2026-12-17 @ 2026-12-18 09:00",
		"verify_by warning 2026-12-17 @ 2026-12-15 09:00"}; !slices.Equal(got, want) {
		t.Errorf("report: got alerts %v, want %v", got, want)
	}

	// Notice within 7 working days of Saturday 30 January: Sunday 31 January
	// and 1–4 February, then (5–13 February off) 14 and 15 February.
	c = sweepGet(t, f, mediating.ID)
	if c.Status != weiquan.StatusClosed || c.Outcome != weiquan.OutcomeMediationFailed ||
		c.Deadlines.NoticeBy.Format(time.DateOnly) != "2027-02-15" {
		t.Errorf("mediation at its deadline: got %s/%s notice_by %v, want closed mediation_failed, notice by 2027-02-15",
			c.Status, c.Outcome, c.Deadlines.NoticeBy)
	}
	last := machineLast(c)
	if last.Type != ActionTerminate || last.Actor != "system" || !last.Public || !strings.Contains(last.Note, "2027-01-29") {
		t.Errorf("mediation at its deadline: got last event %+v, want a public termination by the system citing mediate_by", last)
	}

	c = sweepGet(t, f, kept.ID)
	if c.Status != weiquan.StatusAccepted || len(c.Alerts) != 2 {
		t.Errorf("policy without termination: got %s with alerts %v, want still accepted with a warning and an overdue notice",
			c.Status, sweepAlertKeys(c))
	}

	c = sweepGet(t, f, paused.ID)
	if len(c.Alerts) != 0 || c.Version != paused.Version {
		t.Errorf("paused mediation: got alerts %v version %d, want untouched", sweepAlertKeys(c), c.Version)
	}

	// After resuming, the moved deadline is watched again.
	cal := f.engine.Calendar
	f.clock.Set(sh("2027-02-02 10:00"))
	moved := cal.AddWorkingDays(*c.Deadlines.MediateBy, cal.WorkingDaysBetween(*c.Mediation.PausedAt, sh("2027-02-02 10:00")))
	c = f.act(t, c, machineOfficer(c), ActionResume, ActionRequest{})
	if !c.Deadlines.MediateBy.Equal(moved) {
		t.Fatalf("resumed: got mediate_by %v, want %v", c.Deadlines.MediateBy, moved)
	}
	if st := sweepTick(t, f, s, moved.Add(-12*time.Hour)); st.Warnings != 1 || st.Overdue != 0 {
		t.Errorf("on the moved deadline's day: got %+v, want one warning", st)
	}
	if st := sweepTick(t, f, s, moved.Add(time.Second)); st.Overdue != 1 || st.Terminated != 1 {
		t.Errorf("past the moved deadline: got %+v, want an overdue notice and a termination", st)
	}
	if got := machineLast(sweepGet(t, f, c.ID)).Note; !strings.Contains(got, "今天届满") && !strings.Contains(got, moved.Format(time.DateOnly)) {
		t.Errorf("got note %q", got)
	}
}

// sweepStaleSource hands the sweeper copies of cases as they were at some
// earlier version, as a lagging index would.
type sweepStaleSource struct{ cases []*weiquan.Case }

func (s *sweepStaleSource) DueCases(_ context.Context, _ time.Time, after string, limit int) ([]*weiquan.Case, error) {
	var out []*weiquan.Case
	for _, c := range s.cases {
		if c.ID > after && len(out) < limit {
			out = append(out, machineClone(c))
		}
	}
	return out, nil
}

// TestSweeperConflict: a save lost to someone else is re-read and judged
// again, never recorded twice.
func TestSweeperConflict(t *testing.T) {
	f := newMachineFixture(t)
	noted := f.state(t, "assigned")   // someone adds a note after the source read it
	alerted := f.state(t, "assigned") // another sweeper already warned
	accepted := f.state(t, "assigned")
	src := &sweepStaleSource{cases: []*weiquan.Case{machineClone(noted), machineClone(alerted), machineClone(accepted)}}

	f.act(t, noted, machineOfficer(noted), ActionNote, ActionRequest{Note: "已联系商家"})
	sweepTick(t, f, newSweeper(f), sh("2026-12-03 09:00")) // warns all three through the store
	f.clock.Set(sh("2026-12-03 08:00"))
	accepted = sweepGet(t, f, accepted.ID)
	f.act(t, accepted, machineOfficer(accepted), ActionAccept, ActionRequest{})
	// Undo the store sweeper's warning on "noted" so that the stale
	// sweeper has something to record after re-reading.
	n := sweepGet(t, f, noted.ID)
	n.Alerts, n.Events = nil, n.Events[:len(n.Events)-1]
	if err := f.store.SaveCase(context.Background(), n, n.Version); err != nil {
		t.Fatal(err)
	}

	stale := &Sweeper{Source: src, Engine: f.engine, Now: f.clock.Now, Logger: slog.New(slog.DiscardHandler), pageSize: 2}
	st := sweepTick(t, f, stale, sh("2026-12-03 09:30"))
	// All three saves are lost; on re-reading, only the noted case still
	// owes its warning.
	if want := (SweepStats{Candidates: 3, Warnings: 1, Conflicts: 3}); st != want {
		t.Errorf("got %+v, want %+v", st, want)
	}
	for _, id := range []string{noted.ID, alerted.ID} {
		c := sweepGet(t, f, id)
		if len(c.Alerts) != 1 {
			t.Errorf("case %s: got alerts %v, want exactly one warning", id, sweepAlertKeys(c))
		}
	}
	if c := sweepGet(t, f, accepted.ID); c.Status != weiquan.StatusAccepted {
		t.Errorf("accepted case: got %s", c.Status)
	}
}

// sweepConflictStore loses every save, as if another writer always got there
// first.
type sweepConflictStore struct {
	EngineStore
	saves atomic.Int32
}

func (s *sweepConflictStore) SaveCase(context.Context, *weiquan.Case, int64) error {
	s.saves.Add(1)
	return weiquan.Errorf(weiquan.EConflict, "案件已被他人修改，请刷新后重试")
}

func TestSweeperDefersContestedCase(t *testing.T) {
	f := newMachineFixture(t)
	c := f.state(t, "assigned")
	cs := &sweepConflictStore{EngineStore: f.store}
	e := *f.engine
	e.Store = cs
	s := &Sweeper{Source: f.store, Engine: &e, Now: f.clock.Now, Logger: slog.New(slog.DiscardHandler)}
	st := sweepTick(t, f, s, sh("2026-12-08 09:00"))
	if want := (SweepStats{Candidates: 1, Conflicts: 2, Deferred: 1}); st != want || cs.saves.Load() != 2 {
		t.Errorf("got %+v after %d saves, want %+v after 2", st, cs.saves.Load(), want)
	}
	if got := sweepGet(t, f, c.ID); len(got.Alerts) != 0 {
		t.Errorf("got alerts %v, want none saved", sweepAlertKeys(got))
	}
}

type sweepFailingSource struct{ calls atomic.Int32 }

func (s *sweepFailingSource) DueCases(context.Context, time.Time, string, int) ([]*weiquan.Case, error) {
	s.calls.Add(1)
	return nil, weiquan.Errorf(weiquan.EUnavailable, "数据库暂时不可用，请稍后重试")
}

func TestSweeperRun(t *testing.T) {
	f := newMachineFixture(t)
	src := &sweepFailingSource{}
	s := &Sweeper{Source: src, Engine: f.engine, Now: f.clock.Now, Logger: slog.New(slog.DiscardHandler)}
	if _, err := s.Tick(context.Background()); weiquan.ErrorCode(err) != weiquan.EUnavailable {
		t.Errorf("Tick with a failing source: got %v, want EUnavailable", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Run(ctx, time.Millisecond)
		close(done)
	}()
	for src.calls.Load() < 4 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}

// sweepFate is what happens to a case of TestSweeper1000.
type sweepFate int

const (
	fateIgnored     sweepFate = iota // never acted on: accept_by warning and overdue
	fateWithdrawn                    // ignored past accept_by, then withdrawn
	fateAccepted                     // accepted, mediation never started, runs out: terminated at mediate_by
	fateMediation                    // accepted and mediating, runs out: terminated at mediate_by
	fatePaused                       // as fateMediation, paused five working days
	fateAgreement                    // settled quickly: no alerts
	fateODR                          // ODR enterprise lets track_by pass: escalated, then ignored by the agency
	fateStation                      // station lets track_by pass: escalated, accepted late, runs out
	fateReport                       // report verified too slowly
	fateReportLong                   // report with an extension, decided in time
	fateInquiry                      // answered on the spot
	fateInquiryOpen                  // never answered: an inquiry has no deadline
)

// sweepMix is the share of each fate, per 20 cases: mostly cases nobody
// acts on, since every officer's action costs the test a write.
var sweepMix = [20]sweepFate{
	fateIgnored, fateIgnored, fateIgnored, fateIgnored, fateIgnored, fateIgnored, fateIgnored,
	fateWithdrawn, fateAccepted, fateMediation, fatePaused, fateAgreement, fateODR, fateODR, fateStation,
	fateReport, fateReport, fateReportLong, fateInquiry, fateInquiryOpen,
}

// sweepFeed stands in for the search index that will answer the sweeper
// (DESIGN §4.4): it sees every case the engine saves, as the change feed
// will deliver it, and answers DueCases from memory. Writes and re-reads go
// to the real store underneath. The store's own DueCases scans the table on
// the embedded FerretDB, which the 60 ticks of TestSweeper1000 cannot
// afford under the race detector; it is tested in package store and by the
// other sweeper tests here.
type sweepFeed struct {
	EngineStore
	mu    sync.Mutex
	cases map[string]*weiquan.Case
}

func (f *sweepFeed) SaveCase(ctx context.Context, c *weiquan.Case, expected int64) error {
	if err := f.EngineStore.SaveCase(ctx, c, expected); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if cur, ok := f.cases[c.ID]; !ok || cur.Version < c.Version {
		f.cases[c.ID] = machineClone(c)
	}
	return nil
}

func (f *sweepFeed) latest(id string) *weiquan.Case {
	f.mu.Lock()
	defer f.mu.Unlock()
	return machineClone(f.cases[id])
}

// DueCases answers by the sweeper's own rule of which deadlines run.
func (f *sweepFeed) DueCases(_ context.Context, before time.Time, after string, limit int) ([]*weiquan.Case, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*weiquan.Case
	for _, id := range slices.Sorted(maps.Keys(f.cases)) {
		c := f.cases[id]
		if id <= after || len(out) == limit {
			continue
		}
		for _, d := range sweepDeadlines {
			if due := d.due(c); due != nil && d.running(c) && !due.After(before) {
				out = append(out, machineClone(c))
				break
			}
		}
	}
	return out, nil
}

// sweepWindow is a deadline and the ticks [from, until) during which it
// runs.
type sweepWindow struct {
	name        string
	due         time.Time
	from, until int
}

// TestSweeper1000 registers 1,000 cases over ten working days and moves the
// clock across 60 working days, officers acting on some cases, the sweeper
// ticking once each working day (twice on some days, two sweepers at once on
// others), and checks that every case got each warning and overdue notice
// once, at the first tick it was due, and was terminated or escalated then.
func TestSweeper1000(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 cases over 60 working days")
	}
	f := newMachineFixture(t)
	ctx := context.Background()
	cal := f.engine.Calendar
	const nDays, nCases, perDay = 60, 1000, 100
	warnDays := f.engine.Policies.Default().WarningDays

	var days []time.Time // midnight of each working day from Monday 2026-11-30
	for d := sh("2026-11-30"); len(days) < nDays; d = d.AddDate(0, 0, 1) {
		if cal.IsWorkingDay(d) {
			days = append(days, d)
		}
	}
	ticks := make([]time.Time, nDays)
	for k := range days {
		ticks[k] = days[k].Add(9 * time.Hour)
	}
	at := func(k int, hour int) time.Time { return days[k].Add(time.Duration(hour) * time.Hour) }

	odr, _ := f.units.Get("odr-xiamen-youxuan")
	station, _ := f.units.Get("station-350203-zhongshan")
	feed := &sweepFeed{EngineStore: f.store, cases: make(map[string]*weiquan.Case)}
	f.engine.Store = feed
	newSweeper := func() *Sweeper {
		return &Sweeper{Source: feed, Engine: f.engine, Now: f.clock.Now, Logger: slog.New(slog.DiscardHandler)}
	}

	type sweepCaseRun struct {
		id   string
		fate sweepFate
		day  int // registered on this working day, at 10:00
	}
	type step struct {
		c      *sweepCaseRun
		action string
		req    ActionRequest
	}
	runs := make([]*sweepCaseRun, 0, nCases)
	plan := make(map[int][]step) // working day → officers' actions at 08:00, in order per case

	// parallel runs f over items on a few goroutines.
	parallel := func(n int, fn func(i int)) {
		var wg sync.WaitGroup
		next := atomic.Int32{}
		for range 4 {
			wg.Go(func() {
				for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
					fn(i)
				}
			})
		}
		wg.Wait()
	}
	// actNow acts on the case as stored now (the sweeper may have moved its
	// version) by an officer of its unit, or the operator for withdrawals.
	actNow := func(id, action string, req ActionRequest) {
		c := feed.latest(id)
		actor := machineOfficerOf(c.UnitID)
		if action == ActionWithdraw || action == ActionAnswer {
			actor = machineOperator
		}
		req.Version = c.Version
		if _, err := f.engine.Act(ctx, actor, id, action, req); err != nil {
			t.Errorf("%s on case %s: %v", action, id, err)
		}
	}

	var total SweepStats
	var spentActing, spentSweeping, spentRegistering time.Duration
	sweeperA, sweeperB := newSweeper(), newSweeper()
	for k := range nDays {
		// 08:00: officers act.
		f.clock.Set(at(k, 8))
		started := time.Now()
		steps := plan[k]
		byCase := map[*sweepCaseRun][]step{}
		var order []*sweepCaseRun
		for _, s := range steps {
			if _, ok := byCase[s.c]; !ok {
				order = append(order, s.c)
			}
			byCase[s.c] = append(byCase[s.c], s)
		}
		parallel(len(order), func(i int) {
			for _, s := range byCase[order[i]] {
				actNow(s.c.id, s.action, s.req)
			}
		})
		if t.Failed() {
			t.FailNow()
		}
		spentActing += time.Since(started)

		// 09:00: the sweep.
		f.clock.Set(ticks[k])
		started = time.Now()
		switch k % 10 {
		case 7: // two sweepers at once
			var wg sync.WaitGroup
			var sa, sb SweepStats
			var ea, eb error
			wg.Go(func() { sa, ea = sweeperA.Tick(ctx) })
			wg.Go(func() { sb, eb = sweeperB.Tick(ctx) })
			wg.Wait()
			if err := errors.Join(ea, eb); err != nil {
				t.Fatalf("day %d: concurrent ticks: %v", k, err)
			}
			total.add(sa)
			total.add(sb)
		default:
			st, err := sweeperA.Tick(ctx)
			if err != nil {
				t.Fatalf("day %d: Tick: %v", k, err)
			}
			total.add(st)
			if k%10 == 3 { // the same tick again records nothing
				again, err := sweeperB.Tick(ctx)
				if err != nil {
					t.Fatalf("day %d: second Tick: %v", k, err)
				}
				if again.Warnings+again.Overdue+again.Terminated+again.Escalated+again.Conflicts != 0 {
					t.Errorf("day %d: second tick at the same time did %+v", k, again)
				}
			}
		}

		spentSweeping += time.Since(started)

		// 10:00: the day's new cases.
		if k*perDay >= nCases {
			continue
		}
		f.clock.Set(at(k, 10))
		started = time.Now()
		batch := make([]*sweepCaseRun, perDay)
		parallel(perDay, func(i int) {
			fate := sweepMix[(k*perDay+i)%len(sweepMix)]
			var d weiquan.Case
			switch fate {
			case fateReport, fateReportLong:
				d = machineDraft(t, weiquan.KindReport)
			case fateInquiry, fateInquiryOpen:
				d = machineDraft(t, weiquan.KindInquiry)
			default:
				d = machineDraft(t, weiquan.KindComplaint)
			}
			switch fate {
			case fateODR:
				d.Respondent = weiquan.Respondent{Name: odr.Name, USCC: odr.USCC, Address: "厦门市湖里区示例路1号", DivisionCode: odr.DivisionCode}
			case fateStation:
				d.Respondent.USCC = station.Members[0]
			}
			c, err := f.intake.RegisterAt(ctx, machineOperator, d, at(k, 10))
			if err == nil {
				c, err = f.engine.RouteNew(ctx, c)
			}
			if err != nil {
				t.Errorf("register: %v", err)
				return
			}
			if fate == fateInquiry {
				actNow(c.ID, ActionAnswer, ActionRequest{Answer: "可以七日无理由退货"})
			}
			batch[i] = &sweepCaseRun{id: c.ID, fate: fate, day: k}
		})
		if t.Failed() {
			t.FailNow()
		}
		spentRegistering += time.Since(started)
		for _, c := range batch {
			runs = append(runs, c)
			r := c.day
			add := func(day int, action string, req ActionRequest) {
				plan[day] = append(plan[day], step{c: c, action: action, req: req})
			}
			switch c.fate {
			case fateAccepted:
				add(r+1, ActionAccept, ActionRequest{})
			case fateMediation:
				add(r+1, ActionAccept, ActionRequest{})
				add(r+1, ActionStartMediation, ActionRequest{})
			case fatePaused:
				add(r+1, ActionAccept, ActionRequest{})
				add(r+1, ActionStartMediation, ActionRequest{})
				add(r+10, ActionPause, ActionRequest{Reason: "送检"})
				add(r+15, ActionResume, ActionRequest{})
			case fateAgreement:
				add(r+1, ActionAccept, ActionRequest{})
				add(r+3, ActionRecordAgreement, ActionRequest{AmountRecoveredFen: 50000})
			case fateStation:
				add(r+12, ActionAccept, ActionRequest{})
			case fateReport:
				add(r+1, ActionStartVerification, ActionRequest{})
			case fateReportLong:
				add(r+1, ActionStartVerification, ActionRequest{})
				add(r+10, ActionExtendVerification, ActionRequest{Note: "经批准"})
				add(r+35, ActionDecide, ActionRequest{Outcome: "filed"})
			case fateWithdrawn:
				add(r+9, ActionWithdraw, ActionRequest{})
			}
		}
	}

	// What each case should have got: for each deadline while it ran, a
	// warning at the first tick within warnDays working days of it (unless
	// already past) and an overdue notice at the first tick after it.
	type alert struct {
		deadline, kind string
		due            time.Time
		tick           int
	}
	expect := func(ws ...sweepWindow) (out []alert) {
		for _, w := range ws {
			warned := false
			for k := w.from; k < min(w.until, nDays); k++ {
				if ticks[k].After(w.due) {
					out = append(out, alert{w.name, AlertOverdue, w.due, k})
					break
				}
				if !warned && !w.due.After(cal.AddWorkingDays(ticks[k], warnDays)) {
					out = append(out, alert{w.name, AlertWarning, w.due, k})
					warned = true
				}
			}
		}
		return out
	}
	overdueTick := func(as []alert, deadline string) int {
		for _, a := range as {
			if a.deadline == deadline && a.kind == AlertOverdue {
				return a.tick
			}
		}
		return nDays
	}

	// The feed holds what was saved; a sample is compared with the store.
	for i, run := range runs {
		if i%10 != 0 {
			continue
		}
		got, fed := sweepGet(t, f, run.id), feed.latest(run.id)
		if got.Version != fed.Version || len(got.Events) != len(fed.Events) || len(got.Alerts) != len(fed.Alerts) {
			t.Errorf("case %s: store has version %d with %d events and %d alerts, the feed %d, %d, %d", run.id,
				got.Version, len(got.Events), len(got.Alerts), fed.Version, len(fed.Events), len(fed.Alerts))
		}
	}
	var sum SweepStats
	for _, run := range runs {
		c := feed.latest(run.id)
		c.NormalizeTimes()
		r := run.day
		reg := at(r, 10)
		var want []alert
		wantStatus := weiquan.StatusAssigned
		var wantTerminate, wantEscalate int = -1, -1
		switch run.fate {
		case fateIgnored:
			want = expect(sweepWindow{"accept_by", cal.AddWorkingDays(reg, 7), r + 1, nDays})
		case fateAccepted, fateMediation, fatePaused:
			m := cal.AddWorkingDays(at(r+1, 8), 45)
			if run.fate != fatePaused {
				want = expect(sweepWindow{"mediate_by", m, r + 1, nDays})
			} else {
				moved := cal.AddWorkingDays(m, cal.WorkingDaysBetween(at(r+10, 8), at(r+15, 8)))
				want = expect(sweepWindow{"mediate_by", m, r + 1, r + 10}, sweepWindow{"mediate_by", moved, r + 15, nDays})
			}
			wantStatus = weiquan.StatusMediating
			if run.fate == fateAccepted {
				wantStatus = weiquan.StatusAccepted
			}
			if k := overdueTick(want, "mediate_by"); k < nDays {
				wantStatus, wantTerminate = weiquan.StatusClosed, k
			}
		case fateAgreement:
			wantStatus = weiquan.StatusClosed
		case fateODR, fateStation:
			days := odr.DeadlineDays
			if run.fate == fateStation {
				days = station.DeadlineDays
			}
			want = expect(sweepWindow{"track_by", cal.AddWorkingDays(reg, days), r + 1, nDays})
			esc := overdueTick(want, "track_by")
			wantEscalate = esc
			acceptUntil := nDays
			if run.fate == fateStation {
				acceptUntil = r + 12
			}
			want = append(want, expect(sweepWindow{"accept_by", cal.AddWorkingDays(ticks[esc], 7), esc + 1, acceptUntil})...)
			if run.fate == fateStation {
				want = append(want, expect(sweepWindow{"mediate_by", cal.AddWorkingDays(at(r+12, 8), 45), r + 12, nDays})...)
				wantStatus = weiquan.StatusAccepted
				if k := overdueTick(want, "mediate_by"); k < nDays {
					wantStatus, wantTerminate = weiquan.StatusClosed, k
				}
			}
		case fateReport:
			want = expect(sweepWindow{"verify_by", cal.AddWorkingDays(at(r+1, 8), 15), r + 1, nDays})
			wantStatus = weiquan.StatusVerifying
		case fateReportLong:
			v := cal.AddWorkingDays(at(r+1, 8), 15)
			want = expect(sweepWindow{"verify_by", v, r + 1, r + 10},
				sweepWindow{"verify_by", cal.AddWorkingDays(v, 15), r + 10, r + 35})
			wantStatus = weiquan.StatusVerifying
			if r+35 < nDays {
				wantStatus = weiquan.StatusClosed
			}
		case fateInquiry:
			wantStatus = weiquan.StatusClosed
		case fateInquiryOpen:
			if c.Deadlines != (weiquan.Deadlines{}) {
				t.Errorf("inquiry %s: got deadlines %+v, want none", c.ID, c.Deadlines)
			}
		case fateWithdrawn:
			want = expect(sweepWindow{"accept_by", cal.AddWorkingDays(reg, 7), r + 1, r + 9})
			wantStatus = weiquan.StatusClosed
		}

		wantKeys := make([]string, len(want))
		for i, a := range want {
			wantKeys[i] = fmt.Sprintf("%s %s %s @ %s", a.deadline, a.kind, a.due.Format(time.DateOnly), ticks[a.tick].Format("2006-01-02 15:04"))
			if a.kind == AlertWarning {
				sum.Warnings++
			} else {
				sum.Overdue++
			}
		}
		slices.Sort(wantKeys)
		if got := sweepAlertKeys(c); !slices.Equal(got, wantKeys) {
			t.Errorf("case %s (fate %d, day %d): got alerts %v, want %v", c.ID, run.fate, r, got, wantKeys)
		}
		notices := 0
		for _, e := range c.Events {
			if e.Type == EventDeadlineWarning || e.Type == EventDeadlineOverdue {
				notices++
			}
		}
		if notices != len(c.Alerts) {
			t.Errorf("case %s: %d notice events for %d alerts", c.ID, notices, len(c.Alerts))
		}
		if c.Status != wantStatus {
			t.Errorf("case %s (fate %d, day %d): got status %s, want %s", c.ID, run.fate, r, c.Status, wantStatus)
		}
		var terminated, escalated []weiquan.Event
		for _, e := range c.Events {
			switch {
			case e.Type == ActionTerminate:
				terminated = append(terminated, e)
			case e.Type == ActionEscalate:
				escalated = append(escalated, e)
			}
		}
		for _, check := range []struct {
			what   string
			events []weiquan.Event
			tick   int
		}{{"termination", terminated, wantTerminate}, {"escalation", escalated, wantEscalate}} {
			switch {
			case check.tick < 0 && len(check.events) > 0:
				t.Errorf("case %s: unexpected %s %+v", c.ID, check.what, check.events)
			case check.tick >= 0 && (len(check.events) != 1 || !check.events[0].At.Equal(ticks[check.tick]) || check.events[0].Actor != "system"):
				t.Errorf("case %s: got %s events %+v, want one by the system at %v", c.ID, check.what, check.events, ticks[check.tick])
			}
		}
		if wantTerminate >= 0 {
			sum.Terminated++
		}
		if wantEscalate >= 0 {
			sum.Escalated++
		}
	}
	total.Candidates, total.Conflicts, total.Deferred = 0, 0, 0
	if total != sum {
		t.Errorf("ticks reported %+v in total, want %+v", total, sum)
	}
	t.Logf("%d cases over %d working days: %+v; registering took %v, officers %v, sweeping %v",
		len(runs), nDays, sum, spentRegistering.Round(time.Millisecond), spentActing.Round(time.Millisecond),
		spentSweeping.Round(time.Millisecond))
}
