// Package twiliofake is a local stand-in for Twilio's Messages API, for
// tests and development: it accepts the requests twilio-go's client makes
// (form-encoded POST …/Messages.json, GET …/Messages/{Sid}.json, HTTP Basic
// auth with the account SID and auth token), answers with Twilio's JSON,
// can be told to fail (Twilio error codes, 429, 5xx, slow answers), calls
// the status callback of each message signed as Twilio signs it, and can
// deliver an inbound message to a webhook. It records every message for
// assertions.
package twiliofake

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// Credentials the fake accepts when none are configured, for development.
// Both are alphanumeric, as twilio-go requires.
const (
	DefaultAccountSID = "AC0123456789abcdef0123456789abcdef"
	DefaultAuthToken  = "fakeauthtoken0123456789abcdef012"
)

const apiVersion = "2010-04-01"

// Config configures a fake.
type Config struct {
	AccountSID string // default DefaultAccountSID
	AuthToken  string // default DefaultAuthToken
	// CallbackDelay is the wait before each status callback (queued → sent,
	// sent → final); default 0, which still calls back in the background.
	CallbackDelay time.Duration
	// NoCallbacks turns status callbacks off.
	NoCallbacks bool
	Logger      *slog.Logger // default: discard
}

// Message is one message the fake accepted.
type Message struct {
	SID                 string    `json:"sid"`
	From                string    `json:"from"`
	To                  string    `json:"to"`
	Body                string    `json:"body"`
	MessagingServiceSID string    `json:"messaging_service_sid"`
	StatusCallback      string    `json:"status_callback"`
	Status              string    `json:"status"`
	ErrorCode           int       `json:"error_code"`
	Segments            int       `json:"num_segments"`
	Created             time.Time `json:"date_created"`
}

// Callback is one status callback the fake made.
type Callback struct {
	URL        string     `json:"url"`
	Params     url.Values `json:"params"`
	HTTPStatus int        `json:"http_status"` // 0 when the request failed
	Err        string     `json:"err,omitempty"`
}

// Fault is how the fake answers one create request instead of normally.
type Fault struct {
	Status  int    // HTTP status of an error answer; 0 answers normally (after the delays)
	Code    int    // Twilio error code in the JSON body
	Message string // Twilio's message; default from the code
	Body    string // a raw body instead of Twilio's JSON (an HTML 502 page)
	// Delay waits before handling the request; if the client gives up
	// meanwhile, no message is created (the request never reached Twilio).
	Delay time.Duration
	// ResponseDelay creates the message, then waits before answering: a
	// client that gives up has had its message accepted without knowing.
	ResponseDelay time.Duration
}

// knownErrors are Twilio's HTTP status and message per error code.
var knownErrors = map[int]struct {
	status  int
	message string
}{
	20003: {401, "Authenticate"},
	20404: {404, "The requested resource was not found"},
	20429: {429, "Too Many Requests"},
	20500: {500, "Internal Server Error"},
	20503: {503, "Service Unavailable"},
	21211: {400, "The 'To' number is not a valid phone number."},
	21408: {400, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number."},
	21602: {400, "Message body is required."},
	21603: {400, "The source 'from' phone number is required to send an SMS"},
	21604: {400, "A 'To' phone number is required."},
	21610: {400, "Attempt to send to unsubscribed recipient"},
	21612: {400, "The 'To' phone number is not currently reachable via SMS."},
	21614: {400, "'To' number is not a valid mobile number"},
}

// Error is the fault of a Twilio error code with Twilio's HTTP status and
// message (21211 invalid number, 21610 unsubscribed, 21614 not mobile,
// 20429 too many requests, 20500 server error, …); an unknown code answers
// 400.
func Error(code int) Fault {
	e, ok := knownErrors[code]
	if !ok {
		e.status, e.message = 400, fmt.Sprintf("Error %d", code)
	}
	return Fault{Status: e.status, Code: code, Message: e.message}
}

// Slow is a normal answer after d.
func Slow(d time.Duration) Fault { return Fault{Delay: d} }

// Server is a running or embeddable fake.
type Server struct {
	cfg    Config
	log    *slog.Logger
	client *http.Client

	mu        sync.Mutex
	msgs      []*Message
	bySID     map[string]*Message
	faults    []Fault
	failTo    map[string]int
	deliverTo map[string]delivery
	callbacks []Callback
	creates   int

	bg      sync.WaitGroup
	closing chan struct{}
	closeMu sync.Once

	// URL is the base URL of a started server (http://127.0.0.1:port), to
	// give the Twilio sender as its API base URL.
	URL string
	srv *http.Server
	ln  net.Listener
}

type delivery struct {
	status string
	code   int
}

// New returns a fake that is not listening; serve its Handler.
func New(cfg Config) *Server {
	if cfg.AccountSID == "" {
		cfg.AccountSID = DefaultAccountSID
	}
	if cfg.AuthToken == "" {
		cfg.AuthToken = DefaultAuthToken
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, log: log, client: &http.Client{Timeout: 10 * time.Second},
		bySID: map[string]*Message{}, failTo: map[string]int{}, deliverTo: map[string]delivery{},
		closing: make(chan struct{})}
}

// Start returns a fake listening on a free loopback port, like
// httptest.NewServer.
func Start(cfg Config) (*Server, error) {
	s := New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("twiliofake: listen: %w", err)
	}
	s.listen(ln)
	return s, nil
}

func (s *Server) listen(ln net.Listener) {
	s.ln = ln
	s.URL = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.bg.Go(func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("twiliofake: serve", "err", err)
		}
	})
}

// Serve runs a fake on addr until ctx ends: the development server behind
// a `weiquan twilio-fake` command. Point the Twilio sender's base URL at
// it; GET /_fake/messages lists what it received.
func Serve(ctx context.Context, addr string, cfg Config) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("twiliofake: listen on %s: %w", addr, err)
	}
	s := New(cfg)
	s.listen(ln)
	s.log.Info("fake Twilio API listening", "url", s.URL, "account_sid", s.cfg.AccountSID)
	<-ctx.Done()
	s.Close()
	return nil
}

// Close stops a started fake and waits for its callbacks to finish.
func (s *Server) Close() {
	s.closeMu.Do(func() {
		close(s.closing)
		if s.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.srv.Shutdown(ctx)
		}
	})
	s.bg.Wait()
}

// AccountSID and AuthToken are the credentials the fake accepts.
func (s *Server) AccountSID() string { return s.cfg.AccountSID }
func (s *Server) AuthToken() string  { return s.cfg.AuthToken }

// FailNext makes the next n create requests answer with f.
func (s *Server) FailNext(n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// FailTo refuses every message to the number to (E.164) with code.
func (s *Server) FailTo(to string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failTo[to] = code
}

// DeliverTo makes messages to the number to end with status (undelivered
// or failed) and errorCode (30003 unreachable, 30006 landline, …) instead
// of delivered.
func (s *Server) DeliverTo(to, status string, errorCode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliverTo[to] = delivery{status: status, code: errorCode}
}

// Reset forgets messages, callbacks, faults and per-number behaviour.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs, s.bySID, s.faults, s.callbacks, s.creates = nil, map[string]*Message{}, nil, nil, 0
	clear(s.failTo)
	clear(s.deliverTo)
}

// Messages returns the accepted messages in the order they came.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		out[i] = *m
	}
	return out
}

// Creates is the number of create requests that passed authentication,
// whether they were accepted or failed.
func (s *Server) Creates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates
}

// Callbacks returns the status callbacks made so far.
func (s *Server) Callbacks() []Callback {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.callbacks)
}

// WaitCallbacks waits until every status callback due so far was made.
func (s *Server) WaitCallbacks(ctx context.Context) error {
	for {
		s.mu.Lock()
		pending := 0
		for _, m := range s.msgs {
			if m.StatusCallback != "" && !final(m.Status) {
				pending++
			}
		}
		s.mu.Unlock()
		if pending == 0 || s.cfg.NoCallbacks {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("twiliofake: %d messages still wait for callbacks: %w", pending, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func final(status string) bool {
	return status == "delivered" || status == "undelivered" || status == "failed"
}

// Handler serves the fake API and its control endpoints:
//
//	POST /2010-04-01/Accounts/{AccountSid}/Messages.json       create (Twilio)
//	GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json fetch (Twilio)
//	GET  /_fake/messages                                       what was accepted (JSON)
//	POST /_fake/faults    n, code | status [, delay, response_delay, body]
//	POST /_fake/inbound   url, from, to, body: deliver a signed inbound message
//	POST /_fake/reset
//
// Every endpoint wants Basic auth with the account SID and auth token.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{account}/Messages.json", s.auth(s.create))
	mux.HandleFunc("GET /2010-04-01/Accounts/{account}/Messages/{file}", s.auth(s.fetch))
	mux.HandleFunc("GET /_fake/messages", s.auth(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"messages": s.Messages(), "callbacks": s.Callbacks(),
			"creates": s.Creates()})
	}))
	mux.HandleFunc("POST /_fake/faults", s.auth(s.controlFaults))
	mux.HandleFunc("POST /_fake/inbound", s.auth(s.controlInbound))
	mux.HandleFunc("POST /_fake/reset", s.auth(func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.twilioError(w, http.StatusNotFound, 20404, fmt.Sprintf("The requested resource %s was not found", r.URL.Path))
	})
	return mux
}

func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok || !equal(user, s.cfg.AccountSID) || !equal(pass, s.cfg.AuthToken) {
			s.twilioError(w, http.StatusUnauthorized, 20003, "Authenticate")
			return
		}
		if acct := r.PathValue("account"); acct != "" && acct != s.cfg.AccountSID {
			s.twilioError(w, http.StatusNotFound, 20404, fmt.Sprintf("The requested resource %s was not found", r.URL.Path))
			return
		}
		h(w, r)
	}
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.twilioError(w, http.StatusBadRequest, 20001, "Invalid request body")
		return
	}
	s.mu.Lock()
	s.creates++
	var f Fault
	if len(s.faults) > 0 {
		f, s.faults = s.faults[0], s.faults[1:]
	}
	s.mu.Unlock()

	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return // the client gave up before the request was handled
		}
	}
	if f.Status != 0 {
		s.fault(w, f)
		return
	}
	to, from, body := r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Body")
	service := r.PostForm.Get("MessagingServiceSid")
	switch {
	case to == "":
		s.fault(w, Error(21604))
		return
	case body == "":
		s.fault(w, Error(21602))
		return
	case from == "" && service == "":
		s.fault(w, Error(21603))
		return
	case !validE164(to):
		s.fault(w, Fault{Status: 400, Code: 21211, Message: fmt.Sprintf("The 'To' number %s is not a valid phone number.", to)})
		return
	}
	s.mu.Lock()
	code := s.failTo[to]
	s.mu.Unlock()
	if code != 0 {
		s.fault(w, Error(code))
		return
	}
	if from == "" {
		from = "+15005550006" // a number from the service's pool
	}
	m := &Message{SID: newSID("SM"), From: from, To: to, Body: body, MessagingServiceSID: service,
		StatusCallback: r.PostForm.Get("StatusCallback"), Status: "queued", Segments: segments(body),
		Created: time.Now().UTC()}
	s.mu.Lock()
	s.msgs = append(s.msgs, m)
	s.bySID[m.SID] = m
	view := s.view(m)
	s.mu.Unlock()
	s.log.Info("twiliofake: message accepted", "sid", m.SID, "to", m.To, "body", m.Body)
	if m.StatusCallback != "" && !s.cfg.NoCallbacks {
		s.bg.Go(func() { s.deliver(m) })
	}
	if f.ResponseDelay > 0 {
		select {
		case <-time.After(f.ResponseDelay):
		case <-r.Context().Done():
			return
		}
	}
	writeJSON(w, http.StatusCreated, view)
}

func (s *Server) fetch(w http.ResponseWriter, r *http.Request) {
	sid, ok := strings.CutSuffix(r.PathValue("file"), ".json")
	s.mu.Lock()
	m := s.bySID[sid]
	var view map[string]any
	if m != nil {
		view = s.view(m)
	}
	s.mu.Unlock()
	if !ok || m == nil {
		s.twilioError(w, http.StatusNotFound, 20404, fmt.Sprintf("The requested resource %s was not found", r.URL.Path))
		return
	}
	writeJSON(w, http.StatusOK, view)
}

// view is Twilio's JSON representation of a message. Call with s.mu held.
func (s *Server) view(m *Message) map[string]any {
	uri := fmt.Sprintf("/%s/Accounts/%s/Messages/%s", apiVersion, s.cfg.AccountSID, m.SID)
	created := m.Created.Format(time.RFC1123Z)
	var service, errorCode, errorMessage, sent any
	if m.MessagingServiceSID != "" {
		service = m.MessagingServiceSID
	}
	if m.ErrorCode != 0 {
		errorCode, errorMessage = m.ErrorCode, fmt.Sprintf("Error %d", m.ErrorCode)
	}
	if m.Status != "queued" {
		sent = created
	}
	return map[string]any{
		"account_sid": s.cfg.AccountSID, "api_version": apiVersion, "body": m.Body,
		"date_created": created, "date_sent": sent, "date_updated": time.Now().UTC().Format(time.RFC1123Z),
		"direction": "outbound-api", "error_code": errorCode, "error_message": errorMessage, "from": m.From,
		"messaging_service_sid": service, "num_media": "0", "num_segments": strconv.Itoa(m.Segments),
		"price": nil, "price_unit": "USD", "sid": m.SID, "status": m.Status, "to": m.To, "uri": uri + ".json",
		"subresource_uris": map[string]string{"media": uri + "/Media.json", "feedback": uri + "/Feedback.json"},
	}
}

func (s *Server) fault(w http.ResponseWriter, f Fault) {
	if f.Body != "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(f.Status)
		_, _ = io.WriteString(w, f.Body)
		return
	}
	msg := f.Message
	if msg == "" {
		msg = Error(f.Code).Message
	}
	s.twilioError(w, f.Status, f.Code, msg)
}

// twilioError writes Twilio's error body.
func (s *Server) twilioError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, map[string]any{"code": code, "message": message,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// deliver walks a message through sent to its final status, calling its
// status callback at each step.
func (s *Server) deliver(m *Message) {
	s.mu.Lock()
	d, ok := s.deliverTo[m.To]
	s.mu.Unlock()
	if !ok {
		d = delivery{status: "delivered"}
	}
	for _, step := range []delivery{{status: "sent"}, d} {
		select {
		case <-time.After(s.cfg.CallbackDelay):
		case <-s.closing:
			return
		}
		s.mu.Lock()
		m.Status, m.ErrorCode = step.status, step.code
		params := url.Values{
			"AccountSid": {s.cfg.AccountSID}, "ApiVersion": {apiVersion}, "From": {m.From}, "To": {m.To},
			"MessageSid": {m.SID}, "SmsSid": {m.SID}, "MessageStatus": {step.status}, "SmsStatus": {step.status},
		}
		if m.MessagingServiceSID != "" {
			params.Set("MessagingServiceSid", m.MessagingServiceSID)
		}
		if step.code != 0 {
			params.Set("ErrorCode", strconv.Itoa(step.code))
		}
		s.mu.Unlock()
		status, err := s.post(context.Background(), m.StatusCallback, params)
		cb := Callback{URL: m.StatusCallback, Params: params, HTTPStatus: status}
		if err != nil {
			cb.Err = err.Error()
			s.log.Warn("twiliofake: status callback failed", "url", m.StatusCallback, "err", err)
		}
		s.mu.Lock()
		s.callbacks = append(s.callbacks, cb)
		s.mu.Unlock()
	}
}

// post sends a signed webhook request as Twilio does.
func (s *Server) post(ctx context.Context, target string, params url.Values) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(params.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	req.Header.Set("X-Twilio-Signature", Sign(s.cfg.AuthToken, target, params))
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// SendInbound delivers an incoming SMS from the number from (E.164) to the
// webhook at target, signed, with the parameters Twilio sends, and returns
// the webhook's HTTP status.
func (s *Server) SendInbound(ctx context.Context, target, from, to, body string) (int, error) {
	sid := newSID("SM")
	params := url.Values{
		"AccountSid": {s.cfg.AccountSID}, "ApiVersion": {apiVersion}, "MessageSid": {sid}, "SmsSid": {sid},
		"SmsMessageSid": {sid}, "From": {from}, "To": {to}, "Body": {body}, "NumMedia": {"0"},
		"NumSegments": {strconv.Itoa(segments(body))}, "SmsStatus": {"received"}, "FromCountry": {"CN"},
	}
	return s.post(ctx, target, params)
}

func (s *Server) controlFaults(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(r.FormValue("n"))
	if err != nil || n < 1 {
		n = 1
	}
	var f Fault
	if code, err := strconv.Atoi(r.FormValue("code")); err == nil {
		f = Error(code)
	}
	if status, err := strconv.Atoi(r.FormValue("status")); err == nil {
		f.Status = status
	}
	f.Body = r.FormValue("body")
	f.Delay, _ = time.ParseDuration(r.FormValue("delay"))
	f.ResponseDelay, _ = time.ParseDuration(r.FormValue("response_delay"))
	s.FailNext(n, f)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) controlInbound(w http.ResponseWriter, r *http.Request) {
	status, err := s.SendInbound(r.Context(), r.FormValue("url"), r.FormValue("from"), r.FormValue("to"), r.FormValue("body"))
	if err != nil {
		writeJSON(w, http.StatusBadGateway, map[string]any{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook_status": status})
}

// Sign computes X-Twilio-Signature for a POST to fullURL with form params:
// the URL followed by every parameter name and value, names in byte order,
// HMAC-SHA1 with the auth token, base64.
func Sign(authToken, fullURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		for _, v := range params[k] {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func newSID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func validE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// segments is Twilio's count: 160/153 for plain ASCII, else 70/67 UTF-16
// units (close enough to GSM-7's alphabet for a fake).
func segments(body string) int {
	single, multi, n := 160, 153, len(body)
	for _, r := range body {
		if r > 0x7e {
			single, multi, n = 70, 67, len(utf16.Encode([]rune(body)))
			break
		}
	}
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}
