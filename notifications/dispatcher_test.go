package notifications

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"weiquan"
	"weiquan/notifications/twiliofake"
)

func caseID(n int) string { return fmt.Sprintf("20261126%06d", n) }

// Owed messages saved with SaveCase are each sent once, in order, and a
// later write to the case does not send them again.
func TestDispatcherSendsEachOnce(t *testing.T) {
	for _, exclusive := range []bool{false, true} {
		t.Run(fmt.Sprintf("exclusive=%v", exclusive), func(t *testing.T) { testSendsEachOnce(t, exclusive) })
	}
}

func testSendsEachOnce(t *testing.T, exclusive bool) {
	r := newRig(t, rigOptions{})
	const n = 16
	for i := 1; i <= n; i++ {
		c := testCase(caseID(i), phoneN(i))
		c.Status, c.Outcome = weiquan.StatusClosed, weiquan.OutcomeResolved
		storeOwing(t, r.st, c, "record_agreement", tenAM) // two messages each
	}
	d, _ := r.run(t, r.sender, Options{Workers: 8, Exclusive: exclusive})
	eventually(t, "every message is sent", func() bool { return len(r.fake.Messages()) >= 2*n && d.Pending() == 0 })

	// Touch every case: the dispatcher reads them again and finds nothing owed.
	for i := 1; i <= n; i++ {
		c := getCase(t, r.st, caseID(i))
		c.Title = "touched"
		if err := r.st.SaveCase(context.Background(), c, c.Version); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the touched cases are looked at", func() bool { return d.Pending() == 0 })
	time.Sleep(50 * time.Millisecond)

	for to, k := range sentTo(r.fake) {
		if k != 2 {
			t.Errorf("%s got %d messages, want 2", to, k)
		}
	}
	bodies := map[string][]string{}
	for _, m := range r.fake.Messages() {
		bodies[m.To] = append(bodies[m.To], m.Body)
	}
	for i := 1; i <= n; i++ {
		c := getCase(t, r.st, caseID(i))
		for _, m := range c.Messages {
			if m.Status != weiquan.MessageQueued || !strings.HasPrefix(m.SID, "SM") || m.Attempts != 1 ||
				m.SentAt == nil || m.LeaseOwner != "" || m.LeaseUntil != nil {
				t.Errorf("case %s message %d: %+v", c.ID, m.Seq, m)
			}
		}
		// Sent in seq order: the result before the survey.
		got := bodies["+86"+phoneN(i)]
		if len(got) == 2 && (!strings.Contains(got[0], "调解成功") || !strings.Contains(got[1], "请评价")) {
			t.Errorf("case %s sent out of order: %q", c.ID, got)
		}
	}
	if s := d.Stats(); s.Sent != 2*n || s.Duplicates != 0 || s.Failed != 0 || s.Retried != 0 {
		t.Errorf("stats %+v", s)
	}
}

// Messages owed before the dispatcher starts are found by its start-up
// scan; the number of a case registered before it was numbered is filled
// in when the message is claimed.
func TestDispatcherStartupScanAndPlaceholder(t *testing.T) {
	r := newRig(t, rigOptions{})
	c := testCase("", phoneN(1))
	c.Messages = Owed(c, weiquan.EventRegistered, testTrackURL, tenAM)
	c.ID = caseID(7)
	if err := r.st.CreateCase(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	d, _ := r.run(t, r.sender, Options{})
	eventually(t, "the message is sent", func() bool { return len(r.fake.Messages()) == 1 && d.Pending() == 0 })
	want := "【12315】您的投诉已登记，编号20261126000007，查询进度：https://t.12315.cn/20261126000007"
	if got := r.fake.Messages()[0].Body; got != want {
		t.Errorf("sent %q, want %q", got, want)
	}
	if got := message(t, r.st, c.ID, 1).Body; got != want {
		t.Errorf("case shows %q, want %q", got, want)
	}
}

// Permanent refusals end the message as failed with the code and a reason
// the operator can act on; 21610 also opts the number out.
func TestDispatcherPermanentFailures(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.fake.FailTo("+86"+phoneN(1), 21211)
	r.fake.FailTo("+86"+phoneN(2), 21610)
	storeOwing(t, r.st, testCase(caseID(1), phoneN(1)), weiquan.EventRegistered, tenAM)
	storeOwing(t, r.st, testCase(caseID(2), phoneN(2)), weiquan.EventRegistered, tenAM)
	d, _ := r.run(t, r.sender, Options{})
	eventually(t, "both are settled", func() bool {
		return settled(t, r.st, caseID(1)) && settled(t, r.st, caseID(2))
	})
	for _, tt := range []struct {
		id     string
		code   int
		reason string
	}{{caseID(1), 21211, "手机号码无效"}, {caseID(2), 21610, "已退订"}} {
		m := message(t, r.st, tt.id, 1)
		if m.Status != weiquan.MessageFailed || m.ErrorCode != tt.code || !strings.Contains(m.ErrorMessage, tt.reason) ||
			!strings.Contains(m.ErrorMessage, "请电话联系") || m.Attempts != 1 {
			t.Errorf("case %s: %+v", tt.id, m)
		}
	}
	for phone, want := range map[string]bool{phoneN(1): false, phoneN(2): true} {
		got, err := r.st.OptedOut(context.Background(), "+86"+phone)
		if err != nil || got != want {
			t.Errorf("%s opted out: got %v, %v; want %v", phone, got, err, want)
		}
	}
	if s := d.Stats(); s.Failed != 2 {
		t.Errorf("stats %+v, want 2 failed", s)
	}
}

// 429, 500 and a timeout are retried with exponential backoff; the message
// waits (on the fixed clock) until its time and then goes out.
func TestDispatcherRetriesWithBackoff(t *testing.T) {
	r := newRig(t, rigOptions{timeout: 200 * time.Millisecond})
	r.fake.FailNext(1, twiliofake.Error(20429))
	r.fake.FailNext(1, twiliofake.Error(20500))
	r.fake.FailNext(1, twiliofake.Slow(3*time.Second))
	storeOwing(t, r.st, testCase(caseID(1), phoneN(1)), weiquan.EventRegistered, tenAM)
	d, _ := r.run(t, r.sender, Options{BackoffBase: time.Minute, BackoffMax: 3 * time.Minute}, func(d *Dispatcher) {
		d.jitter = func(b time.Duration) time.Duration { return b } // no randomness: exact times
	})

	steps := []struct {
		code    int
		reason  string
		backoff time.Duration
	}{
		{20429, "限流", time.Minute},
		{20500, "暂时故障", 2 * time.Minute},
		{0, "超时", 3 * time.Minute}, // 4 min capped at BackoffMax
	}
	for i, step := range steps {
		attempts := i + 1
		eventually(t, fmt.Sprintf("attempt %d is recorded", attempts), func() bool {
			return message(t, r.st, caseID(1), 1).Attempts == attempts
		})
		m := message(t, r.st, caseID(1), 1)
		want := r.clock.Now().Add(step.backoff)
		if m.Status != weiquan.MessageOwed || m.ErrorCode != step.code || !strings.Contains(m.ErrorMessage, step.reason) ||
			m.NotBefore == nil || !m.NotBefore.Equal(want) || m.LeaseOwner != "" {
			t.Fatalf("after attempt %d: %+v, want owed, code %d, %q, not before %v", attempts, m, step.code, step.reason, want)
		}
		// Not before its time.
		r.clock.Advance(step.backoff - time.Second)
		time.Sleep(30 * time.Millisecond)
		if got := message(t, r.st, caseID(1), 1).Attempts; got != attempts {
			t.Fatalf("attempt %d made %v early", got, time.Second)
		}
		r.clock.Advance(time.Second)
	}
	eventually(t, "the fourth attempt succeeds", func() bool { return settled(t, r.st, caseID(1)) })
	m := message(t, r.st, caseID(1), 1)
	if m.Status != weiquan.MessageQueued || m.Attempts != 4 || m.ErrorCode != 0 || m.ErrorMessage != "" || m.NotBefore != nil {
		t.Errorf("finally %+v", m)
	}
	if got := len(r.fake.Messages()); got != 1 {
		t.Errorf("fake accepted %d messages, want 1 (the slow request was abandoned before it was handled)", got)
	}
	if s := d.Stats(); s.Retried != 3 || s.Sent != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestDispatcherGivesUpAfterMaxAttempts(t *testing.T) {
	r := newRig(t, rigOptions{})
	r.fake.FailNext(2, twiliofake.Error(20500))
	storeOwing(t, r.st, testCase(caseID(1), phoneN(1)), weiquan.EventRegistered, tenAM)
	d, _ := r.run(t, r.sender, Options{MaxAttempts: 2, BackoffBase: time.Second})
	eventually(t, "the first failure is recorded", func() bool { return message(t, r.st, caseID(1), 1).Attempts == 1 })
	r.clock.Advance(time.Minute)
	eventually(t, "the message fails", func() bool { return settled(t, r.st, caseID(1)) })
	m := message(t, r.st, caseID(1), 1)
	if m.Status != weiquan.MessageFailed || m.Attempts != 2 || !strings.Contains(m.ErrorMessage, "2 次发送均失败") {
		t.Errorf("got %+v", m)
	}
	if s := d.Stats(); s.Failed != 1 || s.Retried != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestDispatcherQuietHours(t *testing.T) {
	r := newRig(t, rigOptions{})
	late := time.Date(2026, 11, 26, 23, 0, 0, 0, weiquan.Shanghai)
	r.clock.Set(late)
	// Owed at 21:59, before quiet hours; sent at 23:00, inside them.
	storeOwing(t, r.st, testCase(caseID(1), phoneN(1)), weiquan.EventRegistered, late.Add(-61*time.Minute))
	// A code is urgent: it goes out at night.
	c := testCase(caseID(2), phoneN(2))
	if err := r.st.CreateCase(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	otp, err := Compose(TemplateOTP, c, testTrackURL, map[string]string{ExtraCode: "123456"})
	if err != nil {
		t.Fatal(err)
	}
	otp.Seq, otp.CreatedAt, otp.UpdatedAt = 1, late, late
	c.Messages = append(c.Messages, otp)
	if err := r.st.SaveCase(context.Background(), c, c.Version); err != nil {
		t.Fatal(err)
	}

	d, _ := r.run(t, r.sender, Options{})
	eventually(t, "the code is sent", func() bool { return settled(t, r.st, caseID(2)) })
	morning := time.Date(2026, 11, 27, 8, 0, 0, 0, weiquan.Shanghai)
	eventually(t, "the notice is postponed", func() bool {
		m := message(t, r.st, caseID(1), 1)
		return m.NotBefore != nil && m.NotBefore.Equal(morning)
	})
	if m := message(t, r.st, caseID(1), 1); m.Status != weiquan.MessageOwed || m.Attempts != 0 {
		t.Errorf("postponed message %+v, want owed without an attempt", m)
	}
	if got := sentTo(r.fake); got["+86"+phoneN(1)] != 0 || got["+86"+phoneN(2)] != 1 {
		t.Errorf("sent %v at 23:00, want only the code", got)
	}
	r.clock.Set(morning.Add(-time.Minute))
	time.Sleep(30 * time.Millisecond)
	if sentTo(r.fake)["+86"+phoneN(1)] != 0 {
		t.Errorf("sent at 07:59")
	}
	r.clock.Set(morning)
	eventually(t, "the notice goes out at 08:00", func() bool { return settled(t, r.st, caseID(1)) })
	if s := d.Stats(); s.Deferred != 1 || s.Sent != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestDispatcherRateLimit(t *testing.T) {
	r := newRig(t, rigOptions{})
	const n = 7
	for i := 1; i <= n; i++ {
		storeOwing(t, r.st, testCase(caseID(i), phoneN(1)), weiquan.EventRegistered, tenAM)
	}
	d, _ := r.run(t, r.sender, Options{Workers: 4, PerNumberPerHour: 5})
	eventually(t, "five are sent and two wait", func() bool {
		return d.Stats().Sent == 5 && d.Stats().Deferred == 2
	})
	if got := len(r.fake.Messages()); got != 5 {
		t.Fatalf("fake got %d messages in the first hour, want 5", got)
	}
	for i := 1; i <= n; i++ {
		m := message(t, r.st, caseID(i), 1)
		if m.Status == weiquan.MessageOwed && (m.NotBefore == nil || !m.NotBefore.Equal(tenAM.Add(time.Hour))) {
			t.Errorf("waiting message %+v, want not before %v", m, tenAM.Add(time.Hour))
		}
	}
	r.clock.Advance(time.Hour)
	eventually(t, "the rest go out an hour later", func() bool { return len(r.fake.Messages()) == n })
}

func TestDispatcherSuppresses(t *testing.T) {
	r := newRig(t, rigOptions{})
	ctx := context.Background()
	if err := r.st.OptOut(ctx, "+86"+phoneN(1), tenAM, "TD"); err != nil {
		t.Fatal(err)
	}
	storeOwing(t, r.st, testCase(caseID(1), phoneN(1)), weiquan.EventRegistered, tenAM)
	// Consent withdrawn after the message was owed.
	c := storeOwing(t, r.st, testCase(caseID(2), phoneN(2)), weiquan.EventRegistered, tenAM)
	c.Consent.SMS = false
	if err := r.st.SaveCase(ctx, c, c.Version); err != nil {
		t.Fatal(err)
	}
	d, _ := r.run(t, r.sender, Options{})
	eventually(t, "both are settled", func() bool { return settled(t, r.st, caseID(1)) && settled(t, r.st, caseID(2)) })
	for id, reason := range map[string]string{caseID(1): "已回复退订", caseID(2): "未同意短信"} {
		m := message(t, r.st, id, 1)
		if m.Status != weiquan.MessageSuppressed || !strings.Contains(m.ErrorMessage, reason) || m.SID != "" {
			t.Errorf("case %s: %+v, want suppressed: %s", id, m, reason)
		}
	}
	if len(r.fake.Messages()) != 0 || d.Stats().Suppressed != 2 {
		t.Errorf("fake got %d messages, stats %+v", len(r.fake.Messages()), d.Stats())
	}
}

// Two dispatchers on one store never send the same message twice.
func TestTwoDispatchers(t *testing.T) {
	r := newRig(t, rigOptions{})
	const n = 40
	for i := 1; i <= n; i++ {
		storeOwing(t, r.st, testCase(caseID(i), phoneN(i)), weiquan.EventRegistered, tenAM)
	}
	a, _ := r.run(t, r.sender, Options{Workers: 4})
	b, _ := r.run(t, r.sender, Options{Workers: 4})
	eventually(t, "all are sent", func() bool {
		for i := 1; i <= n; i++ {
			if !settled(t, r.st, caseID(i)) {
				return false
			}
		}
		return true
	})
	for to, k := range sentTo(r.fake) {
		if k != 1 {
			t.Errorf("%s got %d messages", to, k)
		}
	}
	sa, sb := a.Stats(), b.Stats()
	if sa.Sent+sb.Sent != n || sa.Duplicates+sb.Duplicates != 0 {
		t.Errorf("stats %+v and %+v, want %d sent between them and no duplicate", sa, sb, n)
	}
	t.Logf("dispatcher A sent %d, B sent %d", sa.Sent, sb.Sent)
}

// A dispatcher stopped abruptly mid-send (as a crash would) leaves the
// messages in flight owed; a new one sends them again — after the lease,
// or at once when claims are exclusive (in memory) — so only those are
// sent twice, and every message is sent.
func TestDispatcherCrash(t *testing.T) {
	for _, exclusive := range []bool{false, true} {
		t.Run(fmt.Sprintf("exclusive=%v", exclusive), func(t *testing.T) { testCrash(t, exclusive) })
	}
}

func testCrash(t *testing.T, exclusive bool) {
	r := newRig(t, rigOptions{timeout: 5 * time.Second})
	const n, workers = 30, 4
	for i := 1; i <= n; i++ {
		storeOwing(t, r.st, testCase(caseID(i), phoneN(i)), weiquan.EventRegistered, tenAM)
	}
	// Twilio takes each message at once but answers slowly, so at the crash
	// the messages in flight were accepted and their SIDs never recorded.
	r.fake.FailNext(1000, twiliofake.Fault{ResponseDelay: 40 * time.Millisecond})
	lease := time.Minute
	a, crash := r.run(t, r.sender, Options{Workers: workers, Lease: lease, ShutdownGrace: -1, Exclusive: exclusive})
	eventually(t, "some are sent", func() bool { return a.Stats().Sent >= 10 })
	crash()
	// A request the dead dispatcher wrote may reach the fake just after.
	for last := -1; last != r.fake.Creates(); {
		last = r.fake.Creates()
		time.Sleep(100 * time.Millisecond)
	}

	// In flight: accepted by Twilio, still owed in the case.
	owed, inFlight, leased := 0, 0, 0
	accepted := sentTo(r.fake)
	for i := 1; i <= n; i++ {
		m := message(t, r.st, caseID(i), 1)
		if m.Status != weiquan.MessageOwed {
			continue
		}
		owed++
		if m.LeaseOwner == a.Owner() {
			leased++
		}
		if accepted[m.To] > 0 {
			inFlight++
		}
	}
	if inFlight > workers {
		t.Fatalf("%d messages in flight at the crash, want at most %d", inFlight, workers)
	}
	if exclusive && leased != 0 {
		t.Errorf("an exclusive dispatcher wrote %d leases", leased)
	}
	if !exclusive && leased < inFlight {
		t.Errorf("%d messages leased by the dead dispatcher, fewer than the %d in flight", leased, inFlight)
	}

	b, _ := r.run(t, r.sender, Options{Workers: workers, Lease: lease, Exclusive: exclusive})
	if !exclusive {
		// Before the lease runs out, the leased ones wait.
		eventually(t, "the unleased ones are sent", func() bool { return int(b.Stats().Sent) == owed-leased })
		time.Sleep(30 * time.Millisecond)
		if got := int(b.Stats().Sent); got != owed-leased {
			t.Fatalf("sent %d before the lease ran out, want %d", got, owed-leased)
		}
		r.clock.Advance(lease)
	}
	eventually(t, "everything is sent", func() bool {
		for i := 1; i <= n; i++ {
			if !settled(t, r.st, caseID(i)) {
				return false
			}
		}
		return true
	})
	dups := 0
	for to, k := range sentTo(r.fake) {
		switch {
		case k > 2:
			t.Errorf("%s got %d messages", to, k)
		case k == 2:
			dups++
		}
	}
	if dups != inFlight {
		t.Errorf("%d numbers got a duplicate, want the %d in flight at the crash", dups, inFlight)
	}
	if total := len(r.fake.Messages()); total != n+inFlight {
		t.Errorf("fake got %d messages, want %d + %d", total, n, inFlight)
	}
	t.Logf("crash with %d in flight: %d duplicates among %d messages", inFlight, dups, n)
}

// The local log is the sender when no Twilio account is configured.
func TestDispatcherWithLogSender(t *testing.T) {
	r := newRig(t, rigOptions{})
	storeOwing(t, r.st, testCase(caseID(1), phoneN(1)), weiquan.EventRegistered, tenAM)
	r.run(t, &LogSender{Log: r.st, Now: r.clock.Now}, Options{})
	eventually(t, "the message is logged", func() bool { return settled(t, r.st, caseID(1)) })
	m := message(t, r.st, caseID(1), 1)
	if m.Status != weiquan.MessageSent || m.SID != "LOG000000000001" {
		t.Errorf("message %+v", m)
	}
	log, err := r.st.ListSMSLog(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Body != m.Body || log[0].CaseID != caseID(1) || log[0].To != m.To ||
		log[0].Template != TemplateRegistered || !log[0].At.Equal(tenAM) {
		t.Errorf("log %+v", log)
	}
}

// A store that fails for a while delays messages but loses none.
func TestDispatcherSurvivesStoreErrors(t *testing.T) {
	r := newRig(t, rigOptions{})
	storeOwing(t, r.st, testCase(caseID(1), phoneN(1)), weiquan.EventRegistered, tenAM)
	flaky := &flakyStore{Store: r.st}
	flaky.failing.Store(3)
	d := NewDispatcher(flaky, func() Feed { return r.st.Subscribe() }, r.sender,
		Options{Now: r.clock.Now, Poll: 5 * time.Millisecond, RetryDelay: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	eventually(t, "the message is sent", func() bool {
		r.clock.Advance(time.Second) // past each retry's delay
		return settled(t, r.st, caseID(1))
	})
	if flaky.failing.Load() > 0 {
		t.Errorf("the store errors were not met")
	}
	if got := len(r.fake.Messages()); got != 1 {
		t.Errorf("fake got %d messages, want 1", got)
	}
}

// flakyStore fails the first few opt-out checks.
type flakyStore struct {
	Store
	failing atomic.Int32
}

func (f *flakyStore) OptedOut(ctx context.Context, phone string) (bool, error) {
	if f.failing.Add(-1) >= 0 {
		return false, weiquan.Errorf(weiquan.EUnavailable, "数据库暂时不可用")
	}
	return f.Store.OptedOut(ctx, phone)
}

func TestBackoffJitter(t *testing.T) {
	d := NewDispatcher(nil, nil, nil, Options{BackoffBase: 30 * time.Second, BackoffMax: time.Hour})
	tests := []struct {
		attempts int
		full     time.Duration
	}{{1, 30 * time.Second}, {2, time.Minute}, {5, 8 * time.Minute}, {8, time.Hour}, {30, time.Hour}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.attempts), func(t *testing.T) {
			for range 100 {
				got := d.backoff(tt.attempts)
				if got < tt.full/2 || got > tt.full {
					t.Fatalf("backoff %v, want within [%v, %v]", got, tt.full/2, tt.full)
				}
			}
		})
	}
}

func TestClaimOrder(t *testing.T) {
	now := tenAM
	later := now.Add(time.Hour)
	otherLease := now.Add(time.Minute)
	msgs := func() []weiquan.Message {
		return []weiquan.Message{
			{Seq: 1, Status: weiquan.MessageSent},
			{Seq: 2, Status: weiquan.MessageOwed, NotBefore: &later},
			{Seq: 3, Status: weiquan.MessageOwed},
			{Seq: 4, Status: weiquan.MessageOwed, Urgent: true},
		}
	}
	tests := []struct {
		name   string
		change func(ms []weiquan.Message)
		picked int
		next   time.Time
	}{
		{"a waiting message holds back later ones, not an urgent one", nil, 4, later},
		{"nothing waits", func(ms []weiquan.Message) { ms[1].NotBefore = nil }, 2, now},
		{"another dispatcher's lease holds back", func(ms []weiquan.Message) {
			ms[1].NotBefore, ms[1].LeaseOwner, ms[1].LeaseUntil = nil, "other", &otherLease
			ms[3].Status = weiquan.MessageSent
		}, 0, otherLease},
		{"an expired lease does not", func(ms []weiquan.Message) {
			past := now.Add(-time.Second)
			ms[1].NotBefore, ms[1].LeaseOwner, ms[1].LeaseUntil = nil, "other", &past
		}, 2, now},
		{"own lease does not", func(ms []weiquan.Message) {
			ms[1].NotBefore, ms[1].LeaseOwner, ms[1].LeaseUntil = nil, "me", &otherLease
		}, 2, now},
		{"nothing owed", func(ms []weiquan.Message) {
			for i := range ms {
				ms[i].Status = weiquan.MessageDelivered
			}
		}, 0, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &weiquan.Case{ID: "20261126000001", Messages: msgs()}
			if tt.change != nil {
				tt.change(c.Messages)
			}
			picked, next := claim(c, "me", now, time.Minute)
			got := 0
			if picked != nil {
				got = picked.Seq
				stored := findMessage(c, got)
				if stored.LeaseOwner != "me" || !stored.LeaseUntil.Equal(now.Add(time.Minute)) {
					t.Errorf("picked message not leased: %+v", stored)
				}
			}
			if got != tt.picked || !next.Equal(tt.next) {
				t.Errorf("picked %d, next %v; want %d, %v", got, next, tt.picked, tt.next)
			}
		})
	}
}

func TestMaskedLogs(t *testing.T) {
	err := fmt.Errorf("Status: 400 - ApiError 21211: The 'To' number +8613800138000 is not a valid phone number. (code 21211)")
	got := masked(err)
	if strings.Contains(got, "13800138000") || !strings.Contains(got, "+86*******8000") || !strings.Contains(got, "21211") {
		t.Errorf("got %q", got)
	}
}

// silentFeed reports nothing: the cases are written by another process.
type silentFeed struct{}

func (silentFeed) Next(ctx context.Context) ([]string, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}
func (silentFeed) Close() {}

// With several instances on one database, a message owed by a write in
// another process reaches this dispatcher through its periodic rescan.
func TestDispatcherRescan(t *testing.T) {
	r := newRig(t, rigOptions{})
	d := NewDispatcher(r.st, func() Feed { return silentFeed{} }, r.sender, Options{Now: r.clock.Now,
		Poll: 5 * time.Millisecond, Rescan: 20 * time.Millisecond, Logger: discardLogger()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	defer func() { cancel(); <-done }()
	time.Sleep(50 * time.Millisecond) // past the start-up scan
	storeOwing(t, r.st, testCase(caseID(1), phoneN(1)), weiquan.EventRegistered, tenAM)
	eventually(t, "the rescan finds and sends it", func() bool { return settled(t, r.st, caseID(1)) })
	if got := len(r.fake.Messages()); got != 1 {
		t.Errorf("fake got %d messages, want 1", got)
	}
}
