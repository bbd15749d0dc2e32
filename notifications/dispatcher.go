package notifications

import (
	"container/heap"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"iter"
	"log/slog"
	mrand "math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"weiquan"
)

// Store is what the dispatcher needs from the system of record
// (*store.Store implements it).
type Store interface {
	GetCase(ctx context.Context, id string) (*weiquan.Case, error)
	// ScanCases walks the cases written at or after since (all for zero).
	ScanCases(ctx context.Context, since time.Time) iter.Seq2[*weiquan.Case, error]
	// UpdateMessages runs fn on the stored case and writes back only its
	// messages, without bumping the version, when fn returns true:
	// atomically per case (a lock on the embedded server, a compare-and-swap
	// on MongoDB, where fn may run again on a fresh read).
	UpdateMessages(ctx context.Context, caseID string, fn func(c *weiquan.Case) bool) (*weiquan.Case, error)
	OptedOut(ctx context.Context, phone string) (bool, error)
	OptOut(ctx context.Context, phone string, at time.Time, word string) error
}

// Feed is the store's change feed (*store.Subscription): the ids of cases
// written since the last call.
type Feed interface {
	Next(ctx context.Context) ([]string, error)
	Close()
}

// Options tune a Dispatcher; zero fields take the defaults named.
type Options struct {
	// Owner names this dispatcher in the leases it takes; default
	// host:pid:random, unique per dispatcher.
	Owner string
	Now   func() time.Time // default time.Now
	// Exclusive says this dispatcher is the only one sending from the
	// store: the embedded server, whose data directory one process owns.
	// Claims are then kept in memory instead of written to the case, which
	// halves the writes per message (on the embedded server each write
	// waits for its own fsync, so writes are the throughput). A crash still
	// resends at most the message in flight, at once instead of after the
	// lease. Two exclusive dispatchers on one store could both send a
	// message; never set it with several instances on one MongoDB.
	Exclusive bool
	// Lease is how long a claimed message is reserved for its sender
	// (default 60 s). It must exceed SendTimeout: after a crash the message
	// in flight is sent again once its lease runs out.
	Lease time.Duration
	// SendTimeout bounds one send (default 20 s).
	SendTimeout time.Duration
	// Workers is how many cases are worked on at once (default 16). Each
	// write on the embedded server waits for an fsync, so throughput comes
	// from concurrency.
	Workers int
	// PerNumberPerHour limits the messages one number gets in an hour
	// (default 5); later ones wait. The count is per dispatcher, seeded from
	// the messages sent in the last hour when it starts.
	PerNumberPerHour int
	// BackoffBase and BackoffMax shape the wait before retrying a transient
	// failure: BackoffBase·2^(attempts-1), at most BackoffMax, of which a
	// random half (defaults 30 s, 1 h).
	BackoffBase, BackoffMax time.Duration
	// MaxAttempts fails a message after this many transient failures
	// (default 10, about six hours with the default backoff).
	MaxAttempts int
	// Poll is the longest the dispatcher sleeps without looking at its
	// schedule (default 30 s); with a real clock it wakes exactly when
	// something is due, so this only bounds the effect of a clock that
	// jumps.
	Poll time.Duration
	// Rescan, when positive, re-reads the cases written since the previous
	// scan every Rescan, for owed messages written by other processes
	// (several instances on one MongoDB, where the updated_at index serves
	// it). FullRescan, when positive, re-reads all cases every FullRescan,
	// for messages a stopped instance had postponed (backoff, quiet hours):
	// their cases were written long ago. On the embedded server one process
	// owns the database and its feed sees every write, and every scan reads
	// the whole table: leave both 0 there.
	Rescan, FullRescan time.Duration
	// ShutdownGrace is how long sends in flight may finish after Run's
	// context ends (default 10 s); negative abandons them at once, as a
	// crash would (their messages go out again after the lease).
	ShutdownGrace time.Duration
	// RetryDelay is the wait after a store error before a case is tried
	// again (default 5 s).
	RetryDelay time.Duration
	Logger     *slog.Logger // default slog.Default()
	// Outbox, when set, is drained too: the SMS that belong to no case,
	// one-time codes (outbox.go). SubscribeOutbox follows the messages
	// queued in this process (store.SubscribeOutbox); Rescan finds those of
	// other instances.
	Outbox          OutboxStore
	SubscribeOutbox func() Feed
}

func (o Options) withDefaults() Options {
	if o.Owner == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		o.Owner = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.SendTimeout, 20*time.Second)
	def(&o.Lease, 60*time.Second)
	def(&o.BackoffBase, 30*time.Second)
	def(&o.BackoffMax, time.Hour)
	def(&o.Poll, 30*time.Second)
	def(&o.ShutdownGrace, 10*time.Second)
	def(&o.RetryDelay, 5*time.Second)
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.PerNumberPerHour <= 0 {
		o.PerNumberPerHour = 5
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Dispatcher sends the messages cases owe. It keeps the set of cases with
// owed messages in memory — filled by one scan at start and by the store's
// change feed, because on the embedded server "which cases owe a message"
// is not a query the store can answer without reading every case — and
// works each case when its next message is due.
//
// Crash safety comes from the messages living in the case: a message is
// owed until its result is written, so a dispatcher that dies loses
// nothing, and its restart scan finds every owed message. Before a send the
// message is claimed (LeaseOwner, LeaseUntil) in an atomic update of its
// case; another dispatcher skips it until the lease runs out. So a message
// is sent twice only when a dispatcher died (or stalled past the lease)
// between handing it to Twilio and recording the result: at most the one
// message in flight per worker. With Options.Exclusive the claim stays in
// memory (see there).
type Dispatcher struct {
	st        Store
	subscribe func() Feed
	sender    Sender
	o         Options
	log       *slog.Logger

	sched   schedule
	limiter limiter
	stats   stats

	jitter func(d time.Duration) time.Duration
}

// NewDispatcher returns a dispatcher over st that follows the feed
// subscribe returns (store.Subscribe) and sends with sender.
func NewDispatcher(st Store, subscribe func() Feed, sender Sender, o Options) *Dispatcher {
	o = o.withDefaults()
	if !o.Exclusive && o.Lease <= o.SendTimeout {
		o.Logger.Warn("SMS lease is not longer than a send may take: a slow send may be repeated by another instance",
			"lease", o.Lease, "send_timeout", o.SendTimeout)
	}
	d := &Dispatcher{st: st, subscribe: subscribe, sender: sender, o: o, log: o.Logger.With("component", "sms"),
		limiter: limiter{max: o.PerNumberPerHour, window: time.Hour}}
	d.sched.init()
	if o.Exclusive {
		d.sched.track()
	}
	d.jitter = func(b time.Duration) time.Duration {
		// Half fixed, half random: retries of many messages after an outage
		// spread out instead of arriving together.
		return b/2 + mrand.N(b/2+1)
	}
	return d
}

// Owner is the name this dispatcher leases messages under.
func (d *Dispatcher) Owner() string { return d.o.Owner }

// Stats counts what a dispatcher did since it started.
type Stats struct {
	Sent       int64 // handed to the provider
	Failed     int64 // permanently failed (provider refusal or attempts used up)
	Retried    int64 // transient failures that will be retried
	Suppressed int64 // not sent: opted out, no consent, confidential
	Deferred   int64 // postponed by quiet hours or the per-number limit
	// Duplicates counts sends whose result could not be recorded because
	// the message was already finished: another dispatcher sent it too
	// (after this one's lease ran out).
	Duplicates int64
}

type stats struct {
	sent, failed, retried, suppressed, deferred, duplicates atomic.Int64
}

// Stats returns the counters.
func (d *Dispatcher) Stats() Stats {
	return Stats{Sent: d.stats.sent.Load(), Failed: d.stats.failed.Load(), Retried: d.stats.retried.Load(),
		Suppressed: d.stats.suppressed.Load(), Deferred: d.stats.deferred.Load(), Duplicates: d.stats.duplicates.Load()}
}

// Run sends owed messages until ctx ends. It subscribes to the feed before
// scanning, so a message owed during the scan is not missed. When ctx ends
// it stops claiming, lets the sends in flight finish for ShutdownGrace, and
// returns nil.
func (d *Dispatcher) Run(ctx context.Context) error {
	feed := d.subscribe()
	defer feed.Close()

	// Work (sending and recording) runs on its own context, so that
	// stopping does not abandon a send halfway unless told to.
	workCtx, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	if d.o.ShutdownGrace < 0 {
		workCtx = ctx
	} else {
		stop := context.AfterFunc(ctx, func() { time.AfterFunc(d.o.ShutdownGrace, cancelWork) })
		defer stop()
	}

	var bg sync.WaitGroup
	defer bg.Wait()
	bg.Go(func() { d.follow(ctx, feed) })
	bg.Go(func() { d.scanLoop(ctx) })
	if d.o.Outbox != nil {
		d.runOutbox(ctx, &bg)
	}

	var work sync.WaitGroup
	defer work.Wait()
	slots := make(chan struct{}, d.o.Workers)
	for {
		now := d.o.Now()
		for free := cap(slots) - len(slots); free > 0; {
			ids := d.sched.popDue(now, free)
			if len(ids) == 0 {
				break
			}
			free -= len(ids)
			for _, id := range ids {
				slots <- struct{}{}
				work.Go(func() {
					defer func() { <-slots; d.sched.poke() }()
					next := d.process(ctx, workCtx, id)
					d.sched.done(id, next)
				})
			}
		}
		wait := d.o.Poll
		if at, ok := d.sched.nextWake(); ok {
			wait = min(wait, max(at.Sub(now), time.Millisecond))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-d.sched.signal:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// follow feeds the schedule with the cases the store reports written.
func (d *Dispatcher) follow(ctx context.Context, feed Feed) {
	for {
		ids, err := feed.Next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Error("SMS dispatcher stopped following case writes", "err", err)
			}
			return
		}
		for _, id := range ids {
			d.sched.written(id)
			d.sched.add(id, time.Time{})
		}
		d.sched.poke()
	}
}

// scanLoop scans all cases once (retrying until it succeeds), then, with
// Rescan set, those written since the previous scan every Rescan, and with
// FullRescan set, all of them again every FullRescan.
func (d *Dispatcher) scanLoop(ctx context.Context) {
	var since, lastFull time.Time
	first := true
	for {
		start := d.o.Now()
		full := first || (d.o.FullRescan > 0 && start.Sub(lastFull) >= d.o.FullRescan)
		from := since
		if full {
			from = time.Time{}
		}
		n, err := d.scan(ctx, from, first)
		if ctx.Err() != nil {
			return
		}
		var delay time.Duration
		if err != nil {
			d.log.Error("scan cases for owed SMS", "err", err)
			delay = d.o.RetryDelay
		} else {
			d.log.Debug("scanned cases for owed SMS", "since", from, "owing", n)
			if full {
				lastFull = start
			}
			first = false
			// Cases saved during the scan come through the feed; the margin
			// covers clocks of other instances that run a little behind.
			since = start.Add(-time.Minute)
			for _, every := range []time.Duration{d.o.Rescan, d.o.FullRescan} {
				if every > 0 && (delay == 0 || every < delay) {
					delay = every
				}
			}
			if delay == 0 {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
	}
}

// scan puts the cases written since since that owe a message on the
// schedule; the first scan also counts the messages sent in the last hour
// against the per-number limit.
func (d *Dispatcher) scan(ctx context.Context, since time.Time, first bool) (int, error) {
	n := 0
	hourAgo := d.o.Now().Add(-time.Hour)
	for c, err := range d.st.ScanCases(ctx, since) {
		if err != nil {
			return n, err
		}
		owes := false
		for _, m := range c.Messages {
			if m.Status == weiquan.MessageOwed {
				owes = true
			}
			if first && m.SentAt != nil && m.SentAt.After(hourAgo) {
				d.limiter.seed(m.To, *m.SentAt)
			}
		}
		if owes {
			n++
			if first && d.o.Exclusive {
				d.sched.keep(c)
			}
			d.sched.add(c.ID, time.Time{})
			if n%scanPoke == 0 {
				// Start sending while the scan goes on: after a restart with
				// a backlog the scan reads every case, which takes a while.
				d.sched.poke()
			}
		}
	}
	if first {
		d.sched.scanned()
	}
	d.sched.poke()
	return n, nil
}

// process works one case: claims its next due message, delivers it, and
// repeats until nothing is due. It returns when to look at the case again
// (zero: only when the feed reports it written). Claiming stops when ctx
// ends; the message in hand is finished on workCtx.
func (d *Dispatcher) process(ctx, workCtx context.Context, id string) time.Time {
	if seq, ok := outboxSeq(id); ok {
		return d.processOutbox(ctx, workCtx, seq)
	}
	// fresh is the case as this loop last wrote it: enough to see whether
	// anything else is due without reading it again.
	var fresh *weiquan.Case
	for ctx.Err() == nil {
		now := d.o.Now()
		if fresh != nil {
			if picked, next := claim(cloneMessages(fresh), d.o.Owner, now, d.o.Lease); picked == nil {
				return next
			}
		}
		c, claimed, next, err := d.claimNext(workCtx, id, fresh, now)
		switch {
		case weiquan.ErrorCode(err) == weiquan.ENotFound:
			return time.Time{}
		case err != nil:
			if workCtx.Err() == nil {
				d.log.Error("claim owed SMS", "case", id, "err", err)
			}
			return now.Add(d.o.RetryDelay)
		case claimed == nil:
			return next
		}
		if fresh, err = d.deliver(workCtx, c, *claimed); err != nil {
			if workCtx.Err() == nil {
				d.log.Error("deliver SMS", "case", id, "seq", claimed.Seq, "err", err)
			}
			// The lease keeps others off it until it runs out; this
			// dispatcher's own lease does not stop it.
			return now.Add(d.o.RetryDelay)
		}
	}
	return d.o.Now()
}

// claimNext picks the next message of case id to send: leased in the store
// (an atomic update of the case), or, when Exclusive, only in memory, where
// the schedule already keeps two workers off one case; then fresh, the case
// as this dispatcher last wrote it, saves the read.
func (d *Dispatcher) claimNext(ctx context.Context, id string, fresh *weiquan.Case, now time.Time) (c *weiquan.Case, claimed *weiquan.Message, next time.Time, err error) {
	if d.o.Exclusive {
		c = fresh
		if c == nil {
			c = d.sched.take(id)
		}
		if c == nil {
			if c, err = d.st.GetCase(ctx, id); err != nil {
				return nil, nil, time.Time{}, err
			}
		}
		claimed, next = claim(c, d.o.Owner, now, d.o.Lease)
		return c, claimed, next, nil
	}
	c, err = d.st.UpdateMessages(ctx, id, func(c *weiquan.Case) bool {
		claimed, next = claim(c, d.o.Owner, now, d.o.Lease)
		return claimed != nil
	})
	return c, claimed, next, err
}

// cloneMessages copies c deeply enough for claim to work on.
func cloneMessages(c *weiquan.Case) *weiquan.Case {
	cp := *c
	cp.Messages = slices.Clone(c.Messages)
	return &cp
}

// claim picks the first message of c that may be sent now and leases it to
// owner, filling in the case number if the message was composed before the
// case had one. Messages go out in seq order: an owed message that must
// wait (quiet hours, backoff, another dispatcher's lease) holds back the
// non-urgent ones after it. next is when c should be looked at again for a
// message not picked: zero when none is owed.
func claim(c *weiquan.Case, owner string, now time.Time, lease time.Duration) (picked *weiquan.Message, next time.Time) {
	blocked := false
	for i := range c.Messages {
		m := &c.Messages[i]
		if m.Status != weiquan.MessageOwed {
			continue
		}
		if at := claimableAt(m, owner, now); !at.IsZero() {
			next = earliest(next, at)
			if !m.Urgent {
				blocked = true
			}
			continue
		}
		if (blocked && !m.Urgent) || picked != nil {
			if picked != nil {
				next = earliest(next, now)
			}
			continue
		}
		until := weiquan.InShanghai(now.Add(lease))
		m.LeaseOwner, m.LeaseUntil = owner, &until
		m.UpdatedAt = weiquan.InShanghai(now)
		if strings.Contains(m.Body, IDPlaceholder) && c.ID != "" {
			m.Body = strings.ReplaceAll(m.Body, IDPlaceholder, c.ID)
		}
		cp := *m
		picked = &cp
	}
	return picked, next
}

// claimableAt is when m may be claimed: zero for now.
func claimableAt(m *weiquan.Message, owner string, now time.Time) time.Time {
	var at time.Time
	if m.NotBefore != nil && m.NotBefore.After(now) {
		at = *m.NotBefore
	}
	if m.LeaseOwner != "" && m.LeaseOwner != owner && m.LeaseUntil != nil && m.LeaseUntil.After(now) {
		if m.LeaseUntil.After(at) {
			at = *m.LeaseUntil
		}
	}
	return at
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// deliver decides what becomes of a claimed message and records it: sent,
// failed, suppressed, or put back with a time to try again, and returns the
// case as written. An error means nothing was recorded; the message stays
// claimed until its lease runs out.
func (d *Dispatcher) deliver(ctx context.Context, c *weiquan.Case, m weiquan.Message) (*weiquan.Case, error) {
	now := d.o.Now()
	if m.Template != TemplateOTP {
		// Consent is checked again at the moment of sending: the case may
		// have changed since the message was owed.
		switch {
		case c.Complainant.Anonymous:
			return d.suppress(ctx, c.ID, m, "举报人要求保密，不发送短信", now)
		case !c.Consent.SMS:
			return d.suppress(ctx, c.ID, m, "投诉人未同意短信通知，不发送", now)
		}
	}
	if _, ok := MobileE164(m.To); !ok {
		return d.fail(ctx, c.ID, m, 0, "没有可接收短信的手机号码，请电话联系", now)
	}
	opted, err := d.st.OptedOut(ctx, m.To)
	if err != nil {
		return nil, err
	}
	if opted {
		return d.suppress(ctx, c.ID, m, "该号码已回复退订，不再发送短信", now)
	}
	if !m.Urgent && InQuietHours(now) {
		return d.postpone(ctx, c.ID, m, QuietHoursEnd(now), now)
	}
	if at, ok := d.limiter.reserve(m.To, now); !ok {
		return d.postpone(ctx, c.ID, m, at, now)
	}

	sendCtx, cancel := context.WithTimeout(ctx, d.o.SendTimeout)
	res, err := d.sender.Send(sendCtx, Outgoing{CaseID: c.ID, Seq: m.Seq, Template: m.Template, To: m.To,
		Body: m.Body, Segments: m.Segments})
	cancel()
	if ctx.Err() != nil {
		// Stopped mid-send: whether the provider took it is unknown, so it
		// stays owed (and leased) and goes out again after the lease.
		return nil, ctx.Err()
	}
	now = d.o.Now()
	if err == nil {
		if res.Status == weiquan.MessageFailed || res.Status == weiquan.MessageUndelivered {
			return d.fail(ctx, c.ID, m, res.ErrorCode, TwilioReason(res.ErrorCode), now)
		}
		return d.recordSent(ctx, c.ID, m, res, now)
	}
	se := asSendError(err)
	if se.Permanent {
		if se.Code == TwilioUnsubscribed {
			if err := d.st.OptOut(ctx, m.To, now, fmt.Sprintf("twilio:%d", se.Code)); err != nil {
				d.log.Error("record opt-out reported by Twilio", "err", err)
			}
		}
		d.log.Warn("SMS refused", "case", c.ID, "seq", m.Seq, "code", se.Code, "err", masked(se.Err))
		return d.fail(ctx, c.ID, m, se.Code, se.Reason, now)
	}
	return d.retry(ctx, c.ID, m, se, now)
}

// update applies fn to message seq of case caseID while it is still owed
// and not leased to another dispatcher (an expired lease is no one's). It
// reports whether fn was applied, and returns the case as stored after.
func (d *Dispatcher) update(ctx context.Context, caseID string, seq int, fn func(m *weiquan.Message)) (*weiquan.Case, bool, error) {
	applied := false
	now := d.o.Now()
	c, err := d.st.UpdateMessages(ctx, caseID, func(c *weiquan.Case) bool {
		applied = false
		m := findMessage(c, seq)
		if m == nil || m.Status != weiquan.MessageOwed || !leaseFree(m, d.o.Owner, now) {
			return false
		}
		fn(m)
		finish(c, m)
		applied = true
		return true
	})
	return c, applied, err
}

// leaseFree: m is not leased to another dispatcher (or the lease ran out).
func leaseFree(m *weiquan.Message, owner string, now time.Time) bool {
	return m.LeaseOwner == "" || m.LeaseOwner == owner || m.LeaseUntil == nil || !m.LeaseUntil.After(now)
}

// finish ends a claim on m: the lease goes, and the case number goes into
// a body composed before the case had one (an exclusive claim wrote
// neither).
func finish(c *weiquan.Case, m *weiquan.Message) {
	m.LeaseOwner, m.LeaseUntil = "", nil
	if c.ID != "" && strings.Contains(m.Body, IDPlaceholder) {
		m.Body = strings.ReplaceAll(m.Body, IDPlaceholder, c.ID)
	}
}

func findMessage(c *weiquan.Case, seq int) *weiquan.Message {
	for i := range c.Messages {
		if c.Messages[i].Seq == seq {
			return &c.Messages[i]
		}
	}
	return nil
}

func (d *Dispatcher) recordSent(ctx context.Context, caseID string, m weiquan.Message, res SendResult, now time.Time) (*weiquan.Case, error) {
	at := weiquan.InShanghai(now)
	applied := false
	c, err := d.st.UpdateMessages(ctx, caseID, func(c *weiquan.Case) bool {
		applied = false
		cur := findMessage(c, m.Seq)
		if cur == nil {
			return false
		}
		// A delivery callback may have come before this write (it carries
		// the SID); then this send's result completes what it started.
		sameSend := res.SID != "" && cur.SID == res.SID
		if cur.Status != weiquan.MessageOwed && !sameSend {
			return false
		}
		if statusRank(res.Status) > statusRank(cur.Status) {
			cur.Status = res.Status
		}
		cur.SID, cur.ErrorCode, cur.ErrorMessage = res.SID, 0, ""
		cur.Attempts = m.Attempts + 1
		if cur.SentAt == nil {
			cur.SentAt = &at
		}
		cur.NotBefore, cur.UpdatedAt = nil, at
		finish(c, cur)
		applied = true
		return true
	})
	if err != nil {
		// Sent but not recorded: it will go out again after the lease.
		return nil, fmt.Errorf("record SMS %s/%d sent as %s: %w", caseID, m.Seq, res.SID, err)
	}
	if applied {
		d.stats.sent.Add(1)
	} else {
		d.stats.duplicates.Add(1)
		d.log.Warn("SMS sent twice: another dispatcher finished it first", "case", caseID, "seq", m.Seq, "sid", res.SID)
	}
	return c, nil
}

func (d *Dispatcher) fail(ctx context.Context, caseID string, m weiquan.Message, code int, reason string, now time.Time) (*weiquan.Case, error) {
	at := weiquan.InShanghai(now)
	c, ok, err := d.update(ctx, caseID, m.Seq, func(cur *weiquan.Message) {
		cur.Status, cur.ErrorCode, cur.ErrorMessage = weiquan.MessageFailed, code, reason
		cur.Attempts, cur.NotBefore, cur.UpdatedAt = m.Attempts+1, nil, at
	})
	if ok {
		d.stats.failed.Add(1)
	}
	return c, err
}

func (d *Dispatcher) suppress(ctx context.Context, caseID string, m weiquan.Message, reason string, now time.Time) (*weiquan.Case, error) {
	at := weiquan.InShanghai(now)
	c, ok, err := d.update(ctx, caseID, m.Seq, func(cur *weiquan.Message) {
		cur.Status, cur.ErrorMessage, cur.NotBefore, cur.UpdatedAt = weiquan.MessageSuppressed, reason, nil, at
	})
	if ok {
		d.stats.suppressed.Add(1)
	}
	return c, err
}

// postpone puts a message back until at without counting an attempt.
func (d *Dispatcher) postpone(ctx context.Context, caseID string, m weiquan.Message, at, now time.Time) (*weiquan.Case, error) {
	nb, upd := weiquan.InShanghai(at), weiquan.InShanghai(now)
	c, ok, err := d.update(ctx, caseID, m.Seq, func(cur *weiquan.Message) {
		cur.NotBefore, cur.UpdatedAt = &nb, upd
	})
	if ok {
		d.stats.deferred.Add(1)
	}
	return c, err
}

// retry puts a message back after a transient failure with exponential
// backoff, or fails it when its attempts are used up.
func (d *Dispatcher) retry(ctx context.Context, caseID string, m weiquan.Message, se *SendError, now time.Time) (*weiquan.Case, error) {
	attempts := m.Attempts + 1
	if attempts >= d.o.MaxAttempts {
		d.log.Warn("SMS failed after retries", "case", caseID, "seq", m.Seq, "attempts", attempts, "err", masked(se.Err))
		return d.fail(ctx, caseID, m, se.Code, fmt.Sprintf("%d 次发送均失败（%s），请电话联系", attempts,
			strings.TrimSuffix(se.Reason, "，稍后自动重试")), now)
	}
	nb, upd := weiquan.InShanghai(now.Add(d.backoff(attempts))), weiquan.InShanghai(now)
	c, ok, err := d.update(ctx, caseID, m.Seq, func(cur *weiquan.Message) {
		cur.Attempts, cur.ErrorCode, cur.ErrorMessage = attempts, se.Code, se.Reason
		cur.NotBefore, cur.UpdatedAt = &nb, upd
	})
	if ok {
		d.stats.retried.Add(1)
		d.log.Info("SMS send failed, will retry", "case", caseID, "seq", m.Seq, "attempts", attempts,
			"not_before", nb, "err", masked(se.Err))
	}
	return c, err
}

// phoneLike matches what may be a phone number inside a provider's error
// message (Twilio's 21211 names the number).
var phoneLike = regexp.MustCompile(`\+?\d{7,}`)

// masked is err's text with phone numbers masked, for logs (DESIGN §9).
func masked(err error) string {
	if err == nil {
		return ""
	}
	return phoneLike.ReplaceAllStringFunc(err.Error(), weiquan.MaskPhone)
}

// backoff is the wait before attempt n+1 after n failed attempts.
func (d *Dispatcher) backoff(n int) time.Duration {
	b := d.o.BackoffBase
	for i := 1; i < n && b < d.o.BackoffMax; i++ {
		b *= 2
	}
	return d.jitter(min(b, d.o.BackoffMax))
}

// statusRank orders message statuses so that late or repeated reports never
// move a message backwards (a "sent" callback after "delivered").
func statusRank(s string) int {
	switch s {
	case weiquan.MessageOwed:
		return 0
	case weiquan.MessageQueued:
		return 1
	case weiquan.MessageSent:
		return 2
	case weiquan.MessageDelivered, weiquan.MessageUndelivered, weiquan.MessageFailed, weiquan.MessageSuppressed:
		return 3
	}
	return 0
}

// limiter allows at most max sends per number in any window.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	sent   map[string][]time.Time // per number, ascending
	ops    int
}

// reserve counts a send to phone at now if the number is under its limit;
// otherwise it returns when the oldest send in the window leaves it.
func (l *limiter) reserve(phone string, now time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sent == nil {
		l.sent = map[string][]time.Time{}
	}
	l.sweep(now)
	times := l.prune(phone, now)
	if len(times) >= l.max {
		return times[len(times)-l.max].Add(l.window), false
	}
	l.sent[phone] = append(times, now)
	return time.Time{}, true
}

// seed counts a send found in the store at start-up.
func (l *limiter) seed(phone string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sent == nil {
		l.sent = map[string][]time.Time{}
	}
	times := append(l.sent[phone], at)
	for i := len(times) - 1; i > 0 && times[i].Before(times[i-1]); i-- {
		times[i], times[i-1] = times[i-1], times[i]
	}
	l.sent[phone] = times
}

func (l *limiter) prune(phone string, now time.Time) []time.Time {
	times := l.sent[phone]
	i := 0
	for i < len(times) && !times[i].After(now.Add(-l.window)) {
		i++
	}
	times = times[i:]
	if len(times) == 0 {
		delete(l.sent, phone)
		return nil
	}
	l.sent[phone] = times
	return times
}

// sweep drops numbers with no send in the window now and then, so that the
// map holds only the numbers texted in the last hour.
func (l *limiter) sweep(now time.Time) {
	l.ops++
	if l.ops < 1024 {
		return
	}
	l.ops = 0
	for phone := range l.sent {
		l.prune(phone, now)
	}
}

// schedule is the set of cases with owed messages and when to look at each.
type schedule struct {
	mu        sync.Mutex
	at        map[string]time.Time // case → when due; zero is now
	wakes     wakeHeap             // may hold stale entries, skipped when popped
	busy      map[string]bool      // being worked on
	again     map[string]bool      // written while busy: look again when done
	signal    chan struct{}        // holds a token when something changed
	snapshots                      // cases as the start-up scan read them (snapshot.go)
}

func (s *schedule) init() {
	s.at, s.busy, s.again = map[string]time.Time{}, map[string]bool{}, map[string]bool{}
	s.signal = make(chan struct{}, 1)
}

func (s *schedule) poke() {
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// add makes id due at at, unless it is due earlier already.
func (s *schedule) add(id string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.busy[id] {
		s.again[id] = true
		return
	}
	if cur, ok := s.at[id]; ok && !at.Before(cur) {
		return
	}
	s.at[id] = at
	heap.Push(&s.wakes, wake{at: at, id: id})
}

// done ends work on id: due again at next (never when zero), or at once if
// the case was written meanwhile.
func (s *schedule) done(id string, next time.Time) {
	s.mu.Lock()
	delete(s.busy, id)
	again := s.again[id]
	delete(s.again, id)
	s.mu.Unlock()
	if again {
		next = time.Time{}
		s.add(id, next)
		return
	}
	if !next.IsZero() {
		s.add(id, next)
	}
}

// popDue takes up to n cases that are due at now and marks them busy.
func (s *schedule) popDue(now time.Time, n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for len(out) < n && s.wakes.Len() > 0 {
		w := s.wakes[0]
		if cur, ok := s.at[w.id]; !ok || !cur.Equal(w.at) {
			heap.Pop(&s.wakes) // superseded
			continue
		}
		if w.at.After(now) {
			break
		}
		heap.Pop(&s.wakes)
		delete(s.at, w.id)
		s.busy[w.id] = true
		out = append(out, w.id)
	}
	return out
}

// nextWake is the earliest time a case is due.
func (s *schedule) nextWake() (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.wakes.Len() > 0 {
		w := s.wakes[0]
		if cur, ok := s.at[w.id]; ok && cur.Equal(w.at) {
			return w.at, true
		}
		heap.Pop(&s.wakes)
	}
	return time.Time{}, false
}

// pending is the number of cases waiting in the schedule or being worked on.
func (s *schedule) pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.at) + len(s.busy)
}

type wake struct {
	at time.Time
	id string
}

type wakeHeap []wake

func (h wakeHeap) Len() int           { return len(h) }
func (h wakeHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h wakeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *wakeHeap) Push(x any)        { *h = append(*h, x.(wake)) }
func (h *wakeHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	return w
}

// Pending is how many cases the dispatcher knows to owe messages (waiting
// or being worked on).
func (d *Dispatcher) Pending() int { return d.sched.pending() }
