package notifications

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"weiquan"
)

// The case-less outbox: SMS that belong to no case — one-time codes, asked
// for before there is a case or before the consumer is known to be its
// complainant. They are owed, leased and recorded like a case's messages,
// one store document each, and the Dispatcher drains them beside the
// cases' (Options.Outbox), on the same schedule and workers.
//
// What differs from a case's message:
//   - consent: the consumer asked for the code on the web form a moment
//     ago, which is the consent to this one message; a number that replied
//     TD/退订 still gets the code it asked for (the opt-out covers the case
//     notifications). Twilio itself refuses a number that replied STOP to
//     it (21610): the message then fails like any refusal and the opt-out
//     is recorded, and the public page tells people who get no code to
//     call 12315;
//   - timing: a code is urgent (no quiet hours) and is not held back by the
//     per-number hourly limit — its own limit (workflow.OTP) is counted in
//     the store — though it counts towards that limit for case messages;
//     a message past its ExpiresAt is not sent at all (a code that no
//     longer works would only confuse);
//   - the code is not kept in clear: once the message leaves the outbox
//     (handed to Twilio, refused, or expired) its body is redacted. The
//     local SMS log, which is the SMS channel itself when no Twilio account
//     is configured, keeps what it "sent";
//   - no delivery callback is asked for (the sender asks none for a
//     message without a case): a code either arrives or is asked for again.

// OutboxStore is the case-less outbox (*store.Store implements it).
type OutboxStore interface {
	// OwedOutbox lists the messages still owed.
	OwedOutbox(ctx context.Context) ([]weiquan.OutboxMessage, error)
	// UpdateOutbox changes message seq atomically when fn returns true; a
	// missing message is ENotFound.
	UpdateOutbox(ctx context.Context, seq int, fn func(m *weiquan.OutboxMessage) bool) (*weiquan.OutboxMessage, error)
	// PurgeOutbox deletes finished messages last changed before before.
	PurgeOutbox(ctx context.Context, before time.Time) (int64, error)
}

// OutboxRetention is how long a finished outbox message (its body
// redacted) is kept as a record of the send.
const OutboxRetention = 30 * 24 * time.Hour

// outboxKey is the schedule's name for outbox message seq; case numbers
// are digits only, so the two never meet.
const outboxKey = "outbox:"

func outboxID(seq int) string { return outboxKey + strconv.Itoa(seq) }

func outboxSeq(id string) (int, bool) {
	rest, ok := strings.CutPrefix(id, outboxKey)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(rest)
	return n, err == nil
}

// codeLike is what redaction hides: a run of six or more digits (the
// 【12315】 signature and the "5 分钟" of the code message stay readable).
var codeLike = regexp.MustCompile(`[0-9]{6,}`)

// RedactCode hides the digits of a code in an SMS body.
func RedactCode(body string) string { return codeLike.ReplaceAllString(body, "******") }

// runOutbox follows new outbox messages and scans for owed ones: once at
// start (retrying until it works, and purging old records), then every
// Rescan when set, for messages queued by other instances.
func (d *Dispatcher) runOutbox(ctx context.Context, bg interface{ Go(func()) }) {
	if d.o.SubscribeOutbox != nil {
		feed := d.o.SubscribeOutbox()
		bg.Go(func() {
			defer feed.Close()
			for {
				ids, err := feed.Next(ctx)
				if err != nil {
					if ctx.Err() == nil {
						d.log.Error("SMS dispatcher stopped following the outbox", "err", err)
					}
					return
				}
				for _, id := range ids {
					if seq, err := strconv.Atoi(id); err == nil {
						d.sched.add(outboxID(seq), time.Time{})
					}
				}
				d.sched.poke()
			}
		})
	}
	bg.Go(func() {
		first := true
		for {
			delay := d.o.Rescan
			if err := d.scanOutbox(ctx, first); err != nil {
				if ctx.Err() != nil {
					return
				}
				d.log.Error("scan SMS outbox", "err", err)
				delay = d.o.RetryDelay
			} else {
				first = false
			}
			if delay <= 0 {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
		}
	})
}

func (d *Dispatcher) scanOutbox(ctx context.Context, first bool) error {
	if first {
		n, err := d.o.Outbox.PurgeOutbox(ctx, d.o.Now().Add(-OutboxRetention))
		if err != nil {
			return err
		}
		if n > 0 {
			d.log.Info("purged old SMS outbox records", "count", n)
		}
	}
	owed, err := d.o.Outbox.OwedOutbox(ctx)
	if err != nil {
		return err
	}
	for _, m := range owed {
		d.sched.add(outboxID(m.Seq), time.Time{})
	}
	d.sched.poke()
	return nil
}

// processOutbox claims outbox message seq and delivers it; it returns when
// to look at it again (zero: never, unless the feed names it).
func (d *Dispatcher) processOutbox(ctx, workCtx context.Context, seq int) time.Time {
	if ctx.Err() != nil {
		return time.Time{}
	}
	now := d.o.Now()
	var claimed *weiquan.OutboxMessage
	var next time.Time
	expired := false
	_, err := d.o.Outbox.UpdateOutbox(workCtx, seq, func(m *weiquan.OutboxMessage) bool {
		claimed, next, expired = nil, time.Time{}, false
		if m.Status != weiquan.MessageOwed {
			return false
		}
		if m.ExpiresAt != nil && !now.Before(*m.ExpiresAt) {
			m.Status, m.ErrorMessage = weiquan.MessageFailed, "验证码已过期，未发送"
			finishOutbox(m, now)
			expired = true
			return true
		}
		if at := claimableAt(&m.Message, d.o.Owner, now); !at.IsZero() {
			next = at
			return false
		}
		until := weiquan.InShanghai(now.Add(d.o.Lease))
		m.LeaseOwner, m.LeaseUntil, m.UpdatedAt = d.o.Owner, &until, weiquan.InShanghai(now)
		cp := *m
		claimed = &cp
		return true
	})
	switch {
	case weiquan.ErrorCode(err) == weiquan.ENotFound:
		return time.Time{}
	case err != nil:
		if workCtx.Err() == nil {
			d.log.Error("claim outbox SMS", "seq", seq, "err", err)
		}
		return now.Add(d.o.RetryDelay)
	case expired:
		d.stats.failed.Add(1)
		return time.Time{}
	case claimed == nil:
		return next
	}
	next, err = d.deliverOutbox(workCtx, *claimed)
	if err != nil {
		if workCtx.Err() == nil {
			d.log.Error("deliver outbox SMS", "seq", seq, "err", err)
		}
		return now.Add(d.o.RetryDelay)
	}
	return next
}

// deliverOutbox sends a claimed outbox message and records the result; it
// returns when the message is due again (backoff, quiet hours) or zero.
func (d *Dispatcher) deliverOutbox(ctx context.Context, m weiquan.OutboxMessage) (time.Time, error) {
	now := d.o.Now()
	if _, ok := MobileE164(m.To); !ok {
		return time.Time{}, d.failOutbox(ctx, m, 0, "号码无法接收短信", now)
	}
	if !m.Urgent && InQuietHours(now) {
		at := QuietHoursEnd(now)
		return at, d.updateOutbox(ctx, m.Seq, func(cur *weiquan.OutboxMessage) {
			nb := weiquan.InShanghai(at)
			cur.NotBefore, cur.UpdatedAt = &nb, weiquan.InShanghai(now)
		}, &d.stats.deferred)
	}
	// Counted, never held back: see the top of this file.
	d.limiter.seed(m.To, now)

	sendCtx, cancel := context.WithTimeout(ctx, d.o.SendTimeout)
	res, err := d.sender.Send(sendCtx, Outgoing{Seq: m.Seq, Template: m.Template, To: m.To, Body: m.Body,
		Segments: m.Segments})
	cancel()
	if ctx.Err() != nil {
		return time.Time{}, ctx.Err()
	}
	now = d.o.Now()
	if err == nil {
		if res.Status == weiquan.MessageFailed || res.Status == weiquan.MessageUndelivered {
			return time.Time{}, d.failOutbox(ctx, m, res.ErrorCode, TwilioReason(res.ErrorCode), now)
		}
		at := weiquan.InShanghai(now)
		applied, err := d.updateOutboxApplied(ctx, m.Seq, func(cur *weiquan.OutboxMessage) {
			cur.Status, cur.SID, cur.ErrorCode, cur.ErrorMessage = res.Status, res.SID, 0, ""
			cur.Attempts, cur.SentAt, cur.NotBefore = m.Attempts+1, &at, nil
			finishOutbox(cur, now)
		})
		if err != nil {
			return time.Time{}, fmt.Errorf("record outbox SMS %d sent as %s: %w", m.Seq, res.SID, err)
		}
		if applied {
			d.stats.sent.Add(1)
		} else {
			d.stats.duplicates.Add(1)
			d.log.Warn("outbox SMS sent twice: another dispatcher finished it first", "seq", m.Seq, "sid", res.SID)
		}
		return time.Time{}, nil
	}
	se := asSendError(err)
	if se.Permanent {
		if se.Code == TwilioUnsubscribed {
			if err := d.st.OptOut(ctx, m.To, now, fmt.Sprintf("twilio:%d", se.Code)); err != nil {
				d.log.Error("record opt-out reported by Twilio", "err", err)
			}
		}
		d.log.Warn("outbox SMS refused", "seq", m.Seq, "code", se.Code, "err", masked(se.Err))
		return time.Time{}, d.failOutbox(ctx, m, se.Code, se.Reason, now)
	}
	attempts := m.Attempts + 1
	if attempts >= d.o.MaxAttempts {
		return time.Time{}, d.failOutbox(ctx, m, se.Code, fmt.Sprintf("%d 次发送均失败（%s）", attempts,
			strings.TrimSuffix(se.Reason, "，稍后自动重试")), now)
	}
	nb := weiquan.InShanghai(now.Add(d.backoff(attempts)))
	err = d.updateOutbox(ctx, m.Seq, func(cur *weiquan.OutboxMessage) {
		cur.Attempts, cur.ErrorCode, cur.ErrorMessage = attempts, se.Code, se.Reason
		cur.NotBefore, cur.UpdatedAt = &nb, weiquan.InShanghai(now)
	}, &d.stats.retried)
	return nb, err
}

func (d *Dispatcher) failOutbox(ctx context.Context, m weiquan.OutboxMessage, code int, reason string, now time.Time) error {
	return d.updateOutbox(ctx, m.Seq, func(cur *weiquan.OutboxMessage) {
		cur.Status, cur.ErrorCode, cur.ErrorMessage = weiquan.MessageFailed, code, reason
		cur.Attempts, cur.NotBefore = m.Attempts+1, nil
		finishOutbox(cur, now)
	}, &d.stats.failed)
}

// updateOutbox applies fn to message seq while it is still owed and not
// leased to another dispatcher, counting it in counter when applied.
func (d *Dispatcher) updateOutbox(ctx context.Context, seq int, fn func(m *weiquan.OutboxMessage), counter interface{ Add(int64) int64 }) error {
	applied, err := d.updateOutboxApplied(ctx, seq, fn)
	if applied {
		counter.Add(1)
	}
	return err
}

func (d *Dispatcher) updateOutboxApplied(ctx context.Context, seq int, fn func(m *weiquan.OutboxMessage)) (bool, error) {
	applied := false
	now := d.o.Now()
	_, err := d.o.Outbox.UpdateOutbox(ctx, seq, func(m *weiquan.OutboxMessage) bool {
		applied = false
		if m.Status != weiquan.MessageOwed || !leaseFree(&m.Message, d.o.Owner, now) {
			return false
		}
		fn(m)
		if m.Status == weiquan.MessageOwed {
			m.LeaseOwner, m.LeaseUntil = "", nil
		}
		applied = true
		return true
	})
	return applied, err
}

// finishOutbox ends a message's life in the outbox: no lease, and the code
// in its body redacted.
func finishOutbox(m *weiquan.OutboxMessage, now time.Time) {
	m.LeaseOwner, m.LeaseUntil = "", nil
	m.Body = RedactCode(m.Body)
	m.UpdatedAt = weiquan.InShanghai(now)
}

// ComposeCode renders the one-time code message to phone (the otp
// template, urgent) for workflow.OTP to queue in the outbox.
func ComposeCode(phone, code string, ttl time.Duration) (weiquan.Message, error) {
	c := &weiquan.Case{Channel: weiquan.ChannelWeb, Complainant: weiquan.Complainant{Phone: phone}}
	return Compose(TemplateOTP, c, "", map[string]string{ExtraCode: code,
		ExtraMinutes: strconv.Itoa(int(ttl / time.Minute))})
}
