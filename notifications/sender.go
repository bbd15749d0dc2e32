package notifications

import (
	"context"
	"errors"
	"fmt"
	"time"

	"weiquan"
)

// Outgoing is one message handed to a Sender.
type Outgoing struct {
	CaseID   string // "" for a message that belongs to no case (a code)
	Seq      int    // the message's seq in the case
	Template string
	To       string // E.164
	Body     string
	Segments int
}

// SendResult is what the provider said when it took a message.
type SendResult struct {
	SID string
	// Status is a weiquan message status: queued, sent, delivered, or
	// failed/undelivered with ErrorCode when the provider refused it at once.
	Status    string
	ErrorCode int
}

// Sender hands a message to an SMS provider. An error that is a *SendError
// with Permanent set will fail the same way again; any other error (a
// timeout, a broken connection, a 429 or 5xx) is worth a retry later.
type Sender interface {
	Send(ctx context.Context, m Outgoing) (SendResult, error)
}

// SendError is a send the provider refused.
type SendError struct {
	Code       int // the provider's error code (Twilio's, e.g. 21211), 0 when none
	HTTPStatus int // 0 when no response came
	Permanent  bool
	// Reason is Chinese, for the case page: what went wrong and what the
	// operator can do (phone the complainant instead).
	Reason string
	Err    error
}

func (e *SendError) Error() string {
	kind := "transient"
	if e.Permanent {
		kind = "permanent"
	}
	return fmt.Sprintf("send SMS: %s error (HTTP %d, code %d): %v", kind, e.HTTPStatus, e.Code, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// asSendError classifies any error from a Sender: a *SendError as it says,
// anything else as transient with a generic reason.
func asSendError(err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	reason := "短信服务暂时无法连接，稍后自动重试"
	if errors.Is(err, context.DeadlineExceeded) {
		reason = "短信服务响应超时，稍后自动重试"
	}
	return &SendError{Reason: reason, Err: err}
}

// SMSLog is where the local-log sender writes (*store.Store implements it).
type SMSLog interface {
	AppendSMSLog(ctx context.Context, caseID string, m weiquan.Message, at time.Time) (int64, error)
}

// LogSender "sends" by appending to the local SMS log that administrators
// read in the service (开发短信箱). It is the sender when no Twilio account
// is configured, so the whole flow works on the embedded default.
type LogSender struct {
	Log SMSLog
	Now func() time.Time // default time.Now
}

// LogSIDPrefix starts the SID of a message written to the local log.
const LogSIDPrefix = "LOG"

// Send appends m to the log. The message counts as sent: the log is where
// it arrives.
func (l *LogSender) Send(ctx context.Context, m Outgoing) (SendResult, error) {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	seq, err := l.Log.AppendSMSLog(ctx, m.CaseID, weiquan.Message{Seq: m.Seq, Template: m.Template, To: m.To,
		Body: m.Body, Segments: m.Segments}, weiquan.InShanghai(now()))
	if err != nil {
		return SendResult{}, &SendError{Reason: "写入本地短信日志失败，稍后自动重试", Err: err}
	}
	return SendResult{SID: fmt.Sprintf("%s%012d", LogSIDPrefix, seq), Status: weiquan.MessageSent}, nil
}
