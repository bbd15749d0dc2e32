package notifications

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	twclient "github.com/twilio/twilio-go/client"
	twapi "github.com/twilio/twilio-go/rest/api/v2010"

	"weiquan"
)

// TwilioConfig is everything the Twilio sender uses. Nothing is read from
// the environment: twilio-go's own constructors fall back to TWILIO_*
// variables (account, token, edge, region), which would let a stray
// variable send real SMS from a test, so the sender builds its client
// without them.
type TwilioConfig struct {
	AccountSID string // AC…
	AuthToken  string
	// From is the sender number (E.164) or alphanumeric sender ID;
	// MessagingServiceSID (MG…) lets Twilio choose from a pool instead. One
	// of them is required; with both, Twilio sends from From within the
	// service.
	From                string
	MessagingServiceSID string
	// StatusCallback is the public URL of POST /hooks/twilio/status; empty
	// means no delivery callbacks. Each message's callback adds its case
	// and seq as query parameters (wq_case, wq_seq), so that the callback
	// finds the message with an _id read.
	StatusCallback string
	// BaseURL is the API's scheme and host, default https://api.twilio.com;
	// tests and development point it at the fake (notifications/twiliofake).
	BaseURL string
	// Timeout bounds one API request; default 10 s.
	Timeout time.Duration
	// Transport carries the requests; default a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
}

// DefaultTwilioBaseURL is the real API.
const DefaultTwilioBaseURL = "https://api.twilio.com"

// Query parameters the status callback URL carries.
const (
	CallbackCaseParam = "wq_case"
	CallbackSeqParam  = "wq_seq"
)

// TwilioSender sends through Twilio's Messages API with twilio-go.
type TwilioSender struct {
	cfg       TwilioConfig
	base      *url.URL
	transport http.RoundTripper
}

// NewTwilio checks cfg and returns a sender. It does not call Twilio.
func NewTwilio(cfg TwilioConfig) (*TwilioSender, error) {
	var problems []string
	if cfg.AccountSID == "" {
		problems = append(problems, "account SID is empty")
	}
	if cfg.AuthToken == "" {
		problems = append(problems, "auth token is empty")
	}
	if cfg.From == "" && cfg.MessagingServiceSID == "" {
		problems = append(problems, "neither a From number nor a messaging service SID")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultTwilioBaseURL
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		problems = append(problems, fmt.Sprintf("API base URL %q is not an http(s) URL", cfg.BaseURL))
	}
	if cfg.StatusCallback != "" {
		if u, err := url.Parse(cfg.StatusCallback); err != nil || u.Host == "" {
			problems = append(problems, fmt.Sprintf("status callback %q is not an absolute URL", cfg.StatusCallback))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("twilio: %s", strings.Join(problems, "; "))
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	transport := cfg.Transport
	if transport == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64 // the dispatcher sends from many workers at once
		transport = t
	}
	base.Path = strings.TrimSuffix(base.Path, "/")
	return &TwilioSender{cfg: cfg, base: base, transport: transport}, nil
}

// api builds a twilio-go Messages client for one call. twilio-go takes no
// context and fixes the host (its ApiService's base URL is unexported), so
// each call gets its own small client: a BaseClient that moves the request
// to the configured base URL, over a transport that ties the request to
// ctx and notes the HTTP status (twilio-go reports a non-JSON error body
// only as a decode error).
func (t *TwilioSender) api(ctx context.Context) (*twapi.ApiService, *callInfo) {
	info := &callInfo{}
	hc := &http.Client{
		Timeout:   t.cfg.Timeout,
		Transport: &ctxTransport{base: t.transport, ctx: ctx, info: info},
		// As twilio-go's default client: a redirect is an answer, not a hop.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	c := &twclient.Client{Credentials: twclient.NewCredentials(t.cfg.AccountSID, t.cfg.AuthToken), HTTPClient: hc}
	c.SetAccountSid(t.cfg.AccountSID)
	// A RequestHandler built directly, not with NewRequestHandler, which
	// reads TWILIO_EDGE and TWILIO_REGION.
	return twapi.NewApiService(&twclient.RequestHandler{Client: &rebasedClient{Client: c, base: t.base}}), info
}

// Send creates the message. Twilio's answer is usually status queued; the
// delivery status follows by the status callback.
func (t *TwilioSender) Send(ctx context.Context, m Outgoing) (SendResult, error) {
	p := &twapi.CreateMessageParams{}
	p.SetTo(m.To)
	p.SetBody(m.Body)
	if t.cfg.From != "" {
		p.SetFrom(t.cfg.From)
	}
	if t.cfg.MessagingServiceSID != "" {
		p.SetMessagingServiceSid(t.cfg.MessagingServiceSID)
	}
	if cb := t.callbackURL(m); cb != "" {
		p.SetStatusCallback(cb)
	}
	api, info := t.api(ctx)
	resp, err := api.CreateMessage(p)
	if err != nil {
		return SendResult{}, classifyTwilio(err, info.status())
	}
	res := SendResult{Status: twilioStatus(deref(resp.Status))}
	res.SID = deref(resp.Sid)
	if resp.ErrorCode != nil {
		res.ErrorCode = *resp.ErrorCode
	}
	if res.SID == "" {
		return SendResult{}, &SendError{HTTPStatus: info.status(), Reason: "短信服务返回的结果无法识别，稍后自动重试",
			Err: errors.New("twilio: created message has no SID")}
	}
	return res, nil
}

// Fetch reads a message's current status from Twilio, for reconciling a
// message whose callback never came.
func (t *TwilioSender) Fetch(ctx context.Context, sid string) (SendResult, error) {
	api, info := t.api(ctx)
	resp, err := api.FetchMessage(sid, nil)
	if err != nil {
		return SendResult{}, classifyTwilio(err, info.status())
	}
	res := SendResult{SID: deref(resp.Sid), Status: twilioStatus(deref(resp.Status))}
	if resp.ErrorCode != nil {
		res.ErrorCode = *resp.ErrorCode
	}
	return res, nil
}

func (t *TwilioSender) callbackURL(m Outgoing) string {
	if m.CaseID == "" {
		// A message without a case (a one-time code) has nowhere to record
		// its delivery; the webhook would refuse the callback.
		return ""
	}
	if t.cfg.StatusCallback == "" {
		return ""
	}
	q := url.Values{CallbackCaseParam: {m.CaseID}, CallbackSeqParam: {strconv.Itoa(m.Seq)}}
	sep := "?"
	if strings.Contains(t.cfg.StatusCallback, "?") {
		sep = "&"
	}
	return t.cfg.StatusCallback + sep + q.Encode()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// rebasedClient sends twilio-go's requests, built for https://api.twilio.com,
// to the configured base URL.
type rebasedClient struct {
	*twclient.Client
	base *url.URL
}

func (c *rebasedClient) SendRequest(method, rawURL string, data url.Values, headers map[string]interface{},
	body ...byte) (*http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("twilio: request URL %q: %w", rawURL, err)
	}
	u.Scheme, u.Host, u.Path = c.base.Scheme, c.base.Host, c.base.Path+u.Path
	return c.Client.SendRequest(method, u.String(), data, headers, body...)
}

type callInfo struct {
	mu   sync.Mutex
	code int // HTTP status of the last answer
}

func (i *callInfo) set(code int) {
	i.mu.Lock()
	i.code = code
	i.mu.Unlock()
}

func (i *callInfo) status() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.code
}

// ctxTransport cancels a request when ctx ends (twilio-go builds requests
// with context.Background) and records the HTTP status of the answer.
type ctxTransport struct {
	base http.RoundTripper
	ctx  context.Context
	info *callInfo
}

func (t *ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(t.ctx, cancel)
	resp, err := t.base.RoundTrip(r.WithContext(ctx))
	if err != nil {
		stop()
		cancel()
		return nil, err
	}
	t.info.set(resp.StatusCode)
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, done: func() { stop(); cancel() }}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	once sync.Once
	done func()
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(b.done)
	return err
}

// twilioStatus maps Twilio's message statuses onto the case's.
func twilioStatus(s string) string {
	switch s {
	case "sent":
		return weiquan.MessageSent
	case "delivered", "read":
		return weiquan.MessageDelivered
	case "undelivered":
		return weiquan.MessageUndelivered
	case "failed", "canceled":
		return weiquan.MessageFailed
	}
	// accepted, scheduled, queued, sending: with Twilio, not yet out.
	return weiquan.MessageQueued
}

// Twilio error codes the dispatcher treats specially.
const (
	TwilioInvalidNumber  = 21211
	TwilioUnsubscribed   = 21610
	TwilioNotMobile      = 21614
	TwilioUnreachable    = 21612
	TwilioRegionDisabled = 21408
	TwilioAuthFailed     = 20003
	TwilioTooManyReqs    = 20429
)

// twilioReasons explain, in Chinese for the operator, the errors that
// reach a case: refusals of the API call (21xxx) and delivery failures in
// status callbacks (30xxx).
var twilioReasons = map[int]string{
	TwilioInvalidNumber:  "手机号码无效，无法发送短信，请电话联系",
	TwilioUnsubscribed:   "该号码已退订短信，请电话联系",
	TwilioNotMobile:      "该号码不是手机号码，无法接收短信，请电话联系",
	TwilioUnreachable:    "该号码目前无法接收短信，请电话联系",
	TwilioRegionDisabled: "短信账号未开通向该地区发送的权限，请联系管理员",
	21606:                "短信发送号码配置有误，请联系管理员",
	21602:                "短信内容为空",
	21617:                "短信内容过长",
	30003:                "对方手机无法接通（关机或停机），短信未送达，请电话联系",
	30004:                "短信被对方拒收，请电话联系",
	30005:                "号码不存在，短信未送达，请电话联系",
	30006:                "该号码是固定电话，无法接收短信，请电话联系",
	30007:                "短信被运营商拦截，未送达，请电话联系",
	30008:                "短信未送达（原因不明），请电话联系",
}

// TwilioReason is the operator's explanation of a Twilio error code.
func TwilioReason(code int) string {
	if r, ok := twilioReasons[code]; ok {
		return r + fmt.Sprintf("（Twilio %d）", code)
	}
	return fmt.Sprintf("短信发送失败（Twilio %d），请电话联系", code)
}

// classifyTwilio turns a twilio-go error into a *SendError. Rate limiting
// (429) and server errors (5xx) are transient, and so are credentials
// Twilio refuses (401/403): a configuration fault that an administrator
// fixes, after which the waiting messages should go out rather than have
// failed. Other 4xx refusals are about the message and permanent. An error
// without an HTTP answer (timeout, connection) is transient.
func classifyTwilio(err error, httpStatus int) error {
	var te *twclient.TwilioRestError
	if errors.As(err, &te) {
		if te.Status != 0 {
			httpStatus = te.Status
		}
		se := &SendError{Code: te.Code, HTTPStatus: httpStatus, Err: err}
		switch {
		case httpStatus == http.StatusTooManyRequests || te.Code == TwilioTooManyReqs:
			se.Reason = "短信服务繁忙（限流），稍后自动重试"
		case httpStatus >= 500:
			se.Reason = "短信服务暂时故障，稍后自动重试"
		case httpStatus == http.StatusUnauthorized || httpStatus == http.StatusForbidden || te.Code == TwilioAuthFailed:
			se.Reason = "短信账号认证失败，请管理员检查 Twilio 账号配置；恢复后自动重试"
		case httpStatus >= 400:
			se.Permanent, se.Reason = true, TwilioReason(te.Code)
		default:
			se.Reason = "短信服务返回异常，稍后自动重试"
		}
		return se
	}
	if httpStatus >= 400 {
		// An error answer twilio-go could not decode (an HTML 502 page).
		se := &SendError{HTTPStatus: httpStatus, Reason: "短信服务暂时故障，稍后自动重试", Err: err}
		if httpStatus < 500 && httpStatus != http.StatusTooManyRequests && httpStatus != http.StatusUnauthorized &&
			httpStatus != http.StatusForbidden {
			se.Permanent, se.Reason = true, fmt.Sprintf("短信服务拒绝发送（HTTP %d），请电话联系", httpStatus)
		}
		return se
	}
	return asSendError(err)
}
