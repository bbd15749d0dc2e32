package notifications

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	twclient "github.com/twilio/twilio-go/client"

	"weiquan"
)

// WebhookStore is what the Twilio webhooks need from the system of record
// (*store.Store implements it).
type WebhookStore interface {
	GetCase(ctx context.Context, id string) (*weiquan.Case, error)
	UpdateMessages(ctx context.Context, caseID string, fn func(c *weiquan.Case) bool) (*weiquan.Case, error)
	// UpdateCase saves fn's change with the version compare-and-swap,
	// re-reading and calling fn again after a conflict.
	UpdateCase(ctx context.Context, caseID string, fn func(c *weiquan.Case) (bool, error)) (*weiquan.Case, error)
	// PhoneCases lists the cases whose complainant has the number phone
	// (E.164), newest first. *store.Store answers it with a query that
	// reads every case on the embedded server; the search index (a Query
	// with Phone) answers it from an index.
	PhoneCases(ctx context.Context, phone string) ([]string, error)
	OptOut(ctx context.Context, phone string, at time.Time, word string) error
	OptIn(ctx context.Context, phone string) error
}

// SignatureHeader carries Twilio's signature of a webhook request.
const SignatureHeader = "X-Twilio-Signature"

// EmptyTwiML is the answer to an inbound message that needs no reply.
const EmptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// VerifySignature reports whether signature (the X-Twilio-Signature
// header) is Twilio's signature, with authToken, of a POST to fullURL with
// form params: base64 HMAC-SHA1 of the URL followed by each parameter name
// and value in name order, checked by twilio-go's RequestValidator.
// fullURL must be the URL Twilio was given — the public one, with its query
// string — not what a proxy in front of the service turned it into. A
// missing signature or token never verifies.
func VerifySignature(authToken, fullURL string, params url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	flat := make(map[string]string, len(params))
	for k, v := range params {
		if len(v) > 0 {
			flat[k] = v[0]
		}
	}
	rv := twclient.NewRequestValidator(authToken)
	return rv.Validate(fullURL, flat, signature)
}

// Event types the webhooks record on a case.
const (
	EventSMSReply     = "sms_reply"    // a reply that is neither a score nor an opt-out, for the officer
	EventSatisfaction = "satisfaction" // the 1–5 score replied after closure
	EventSMSOptOut    = "sms_opt_out"  // the complainant replied TD/退订/STOP
	EventSMSOptIn     = "sms_opt_in"   // the complainant replied START
)

const (
	webhookActor      = "sms" // the actor of the webhooks' events
	maxReplyRunes     = 500   // of a reply kept in an event
	maxStatusParamLen = 64    // of a SID or status taken from a callback
	// satisfactionWait is how long after the survey a digit still answers it.
	satisfactionWait = 30 * 24 * time.Hour
)

// HandleStatus records a delivery status callback: params are the form
// values of the POST together with the query parameters of its URL (the
// wq_case and wq_seq the sender put there). A callback never moves a
// message backwards (a late "sent" after "delivered"), and one for another
// send of the same message (a duplicate after a crash) is ignored. An
// unknown case or message is ENotFound; a callback without wq_case is
// EInvalid (it was not sent by this service).
func HandleStatus(ctx context.Context, st WebhookStore, params url.Values, now time.Time) error {
	caseID := params.Get(CallbackCaseParam)
	seq, err := strconv.Atoi(params.Get(CallbackSeqParam))
	if caseID == "" || err != nil {
		return weiquan.WrapError(weiquan.EInvalid, "回调缺少案件编号或短信序号",
			fmt.Errorf("status callback without %s/%s: %q/%q", CallbackCaseParam, CallbackSeqParam,
				caseID, params.Get(CallbackSeqParam)))
	}
	sid := limit(params.Get("MessageSid"), maxStatusParamLen)
	if sid == "" {
		sid = limit(params.Get("SmsSid"), maxStatusParamLen)
	}
	raw := params.Get("MessageStatus")
	if raw == "" {
		raw = params.Get("SmsStatus")
	}
	if sid == "" || raw == "" {
		return weiquan.WrapError(weiquan.EInvalid, "回调缺少短信标识或状态",
			fmt.Errorf("status callback for %s/%d: MessageSid %q, MessageStatus %q", caseID, seq, sid, raw))
	}
	status := twilioStatus(limit(raw, maxStatusParamLen))
	code, _ := strconv.Atoi(params.Get("ErrorCode"))
	at := weiquan.InShanghai(now)

	found := false
	_, err = st.UpdateMessages(ctx, caseID, func(c *weiquan.Case) bool {
		found = false
		m := findMessage(c, seq)
		if m == nil {
			return false
		}
		found = true
		if m.SID != "" && m.SID != sid {
			return false // another send of this message; the recorded one counts
		}
		changed := false
		if m.SID == "" {
			// The callback came before the dispatcher recorded the send.
			m.SID, changed = sid, true
		}
		if statusRank(status) > statusRank(m.Status) {
			m.Status, changed = status, true
			if status == weiquan.MessageUndelivered || status == weiquan.MessageFailed {
				m.ErrorCode, m.ErrorMessage = code, TwilioReason(code)
			}
			if m.SentAt == nil && status != weiquan.MessageQueued {
				m.SentAt = &at
			}
		}
		if changed {
			m.UpdatedAt = at
		}
		return changed
	})
	if err != nil {
		return fmt.Errorf("status callback for %s/%d: %w", caseID, seq, err)
	}
	if !found {
		return weiquan.WrapError(weiquan.ENotFound, "短信不存在",
			fmt.Errorf("status callback for %s/%d: no such message", caseID, seq))
	}
	return nil
}

func limit(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Inbound actions.
const (
	InboundOptOut       = "opt_out"
	InboundOptIn        = "opt_in"
	InboundSatisfaction = "satisfaction"
	InboundReply        = "reply"
	InboundIgnored      = "ignored" // from a number of no case
)

// InboundResult says what an inbound message did.
type InboundResult struct {
	Action string
	CaseID string // the case it was recorded on, if any
	Score  int    // for satisfaction
}

// Opt-out and opt-in words, matched on the whole reply after trimming and
// folding case and full-width letters: the ones the issue names and
// Twilio's standard ones.
var (
	optOutWords = []string{"TD", "退订", "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
	optInWords  = []string{"START", "UNSTOP"}
)

var satisfactionLabels = []string{1: "非常不满意", 2: "不满意", 3: "一般", 4: "满意", 5: "非常满意"}

// HandleInbound records a reply Twilio forwarded (params: the POST form of
// the incoming message webhook: From, Body, MessageSid…):
//
//   - TD, 退订, STOP (and Twilio's other opt-out words), whatever the case
//     or width: the number is opted out, with the time; the dispatcher
//     checks before every send. The latest case of the number notes it.
//   - START or UNSTOP: the opt-out is lifted.
//   - a single digit 1–5, when the number's most recent closed case was
//     sent the satisfaction survey and has no score yet: the score is the
//     case's Satisfaction, with an event.
//   - anything else: an internal event on the number's latest case, for
//     the officer.
//
// "The number's cases" are those whose complainant has the number
// (WebhookStore.PhoneCases), newest first.
func HandleInbound(ctx context.Context, st WebhookStore, params url.Values, now time.Time) (InboundResult, error) {
	from := strings.TrimSpace(params.Get("From"))
	body := params.Get("Body")
	if from == "" {
		return InboundResult{}, weiquan.WrapError(weiquan.EInvalid, "短信缺少发送号码", fmt.Errorf("inbound SMS without From"))
	}
	at := weiquan.InShanghai(now)
	cases, err := st.PhoneCases(ctx, from)
	if err != nil {
		return InboundResult{}, fmt.Errorf("inbound SMS from %s: %w", weiquan.MaskPhone(from), err)
	}
	latest := ""
	if len(cases) > 0 {
		latest = cases[0]
	}
	word := foldReply(body)

	switch {
	case slices.Contains(optOutWords, word):
		if err := st.OptOut(ctx, from, at, word); err != nil {
			return InboundResult{}, fmt.Errorf("opt out %s: %w", weiquan.MaskPhone(from), err)
		}
		res := InboundResult{Action: InboundOptOut, CaseID: latest}
		return res, noteOn(ctx, st, latest, at, EventSMSOptOut, fmt.Sprintf("投诉人短信回复“%s”，已退订，不再发送短信", word))
	case slices.Contains(optInWords, word):
		if err := st.OptIn(ctx, from); err != nil {
			return InboundResult{}, fmt.Errorf("opt in %s: %w", weiquan.MaskPhone(from), err)
		}
		res := InboundResult{Action: InboundOptIn, CaseID: latest}
		return res, noteOn(ctx, st, latest, at, EventSMSOptIn, fmt.Sprintf("投诉人短信回复“%s”，恢复接收短信", word))
	}
	if latest == "" {
		slog.Info("inbound SMS from a number of no case", "from", weiquan.MaskPhone(from))
		return InboundResult{Action: InboundIgnored}, nil
	}
	if score := replyScore(word); score > 0 {
		id, err := awaitingScore(ctx, st, cases, at)
		if err != nil {
			return InboundResult{}, err
		}
		if id != "" {
			recorded := false
			_, err := st.UpdateCase(ctx, id, func(c *weiquan.Case) (bool, error) {
				recorded = false
				if !awaits(c, at) {
					return false, nil // scored meanwhile: this one is a reply
				}
				c.Satisfaction = score
				appendEvent(c, at, EventSatisfaction, false,
					fmt.Sprintf("短信回访满意度评价：%d（%s）", score, satisfactionLabels[score]))
				c.UpdatedAt = at
				recorded = true
				return true, nil
			})
			if err != nil {
				return InboundResult{}, fmt.Errorf("record satisfaction on case %s: %w", id, err)
			}
			if recorded {
				return InboundResult{Action: InboundSatisfaction, CaseID: id, Score: score}, nil
			}
		}
	}
	text := strings.TrimSpace(body)
	if utf8.RuneCountInString(text) > maxReplyRunes {
		text = string([]rune(text)[:maxReplyRunes]) + "…"
	}
	return InboundResult{Action: InboundReply, CaseID: latest},
		noteOn(ctx, st, latest, at, EventSMSReply, "投诉人短信回复："+text)
}

// awaitingScore returns the number's most recent closed case if it awaits
// a satisfaction score, else "".
func awaitingScore(ctx context.Context, st WebhookStore, cases []string, at time.Time) (string, error) {
	for _, id := range cases {
		c, err := st.GetCase(ctx, id)
		if weiquan.ErrorCode(err) == weiquan.ENotFound {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("read case %s for a satisfaction reply: %w", id, err)
		}
		if c.Status != weiquan.StatusClosed {
			continue
		}
		if awaits(c, at) {
			return id, nil
		}
		return "", nil
	}
	return "", nil
}

// awaits: closed, no score yet, and the survey went out (not failed) within
// the last 30 days, so a digit is an answer to it and not, say, a reply
// about something else months later.
func awaits(c *weiquan.Case, at time.Time) bool {
	if c.Status != weiquan.StatusClosed || c.Satisfaction != 0 {
		return false
	}
	for _, m := range c.Messages {
		if m.Template != TemplateSatisfaction || m.SentAt == nil || at.Sub(*m.SentAt) > satisfactionWait {
			continue
		}
		switch m.Status {
		case weiquan.MessageQueued, weiquan.MessageSent, weiquan.MessageDelivered:
			return true
		}
	}
	return false
}

// noteOn records an internal event on case id; no case, no note.
func noteOn(ctx context.Context, st WebhookStore, id string, at time.Time, typ, note string) error {
	if id == "" {
		return nil
	}
	_, err := st.UpdateCase(ctx, id, func(c *weiquan.Case) (bool, error) {
		appendEvent(c, at, typ, false, note)
		c.UpdatedAt = at
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("record %s on case %s: %w", typ, id, err)
	}
	return nil
}

func appendEvent(c *weiquan.Case, at time.Time, typ string, public bool, note string) {
	seq := 1
	if n := len(c.Events); n > 0 {
		seq = c.Events[n-1].Seq + 1
	}
	c.Events = append(c.Events, weiquan.Event{Seq: seq, At: at, Actor: webhookActor, Type: typ, Public: public, Note: note})
}

// foldReply trims a reply and folds full-width ASCII (ＴＤ, ５) and letter
// case, and drops punctuation around it (“TD。”), so that the words and
// digits match however they were typed.
func foldReply(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '！' && r <= '～' {
			r -= '！' - '!'
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return strings.TrimFunc(b.String(), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
	})
}

// replyScore is the score a folded reply gives, 0 when it is none.
func replyScore(word string) int {
	if len(word) == 1 && word[0] >= '1' && word[0] <= '5' {
		return int(word[0] - '0')
	}
	return 0
}
