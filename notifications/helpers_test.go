package notifications

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"weiquan"
	"weiquan/notifications/twiliofake"
	"weiquan/store"
	"weiquan/store/storetest"
)

const testTrackURL = "https://t.12315.cn/{id}"

// clock is a fixed clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// tenAM is a working morning, outside quiet hours.
var tenAM = time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)

// testCase is a complaint by someone who agreed to SMS.
func testCase(id, phone string) *weiquan.Case {
	return &weiquan.Case{ID: id, Version: 1, Kind: weiquan.KindComplaint, Channel: weiquan.Channel12315,
		Complainant: weiquan.Complainant{Name: "张三", Phone: phone}, Consent: weiquan.Consent{SMS: true},
		Status: weiquan.StatusRegistered, Events: []weiquan.Event{{Seq: 1, At: tenAM, Actor: "op",
			Type: weiquan.EventRegistered, To: weiquan.StatusRegistered, Public: true}},
		Messages: []weiquan.Message{}, CreatedAt: tenAM, UpdatedAt: tenAM}
}

// phoneN is the n-th test mobile number.
func phoneN(n int) string { return fmt.Sprintf("139%08d", n) }

// storeOwing creates case c, then saves it with the messages event owes, as
// a transition would: owed messages written by SaveCase.
func storeOwing(t testing.TB, st *store.Store, c *weiquan.Case, event string, now time.Time) *weiquan.Case {
	t.Helper()
	ctx := context.Background()
	if err := st.CreateCase(ctx, c); err != nil {
		t.Fatalf("CreateCase %s: %v", c.ID, err)
	}
	owed := Owed(c, event, testTrackURL, now)
	if len(owed) == 0 {
		t.Fatalf("case %s owes nothing for %s", c.ID, event)
	}
	c.Messages = append(c.Messages, owed...)
	if err := st.SaveCase(ctx, c, c.Version); err != nil {
		t.Fatalf("SaveCase %s: %v", c.ID, err)
	}
	return c
}

// rig is a store, a fake Twilio, the webhooks a service would serve, and a
// Twilio sender pointed at the fake.
type rig struct {
	st     *store.Store
	fake   *twiliofake.Server
	hooks  *httptest.Server
	clock  *clock
	sender *TwilioSender
}

type rigOptions struct {
	callbacks bool
	timeout   time.Duration
}

func newRig(t *testing.T, ro rigOptions) *rig {
	t.Helper()
	r := &rig{st: storetest.New(t), clock: newClock(tenAM)}
	fake, err := twiliofake.Start(twiliofake.Config{NoCallbacks: !ro.callbacks})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	r.fake = fake
	r.hooks = httptest.NewServer(webhookHandler(r.st, fake.AuthToken(), func() string { return r.hooks.URL }, r.clock.Now))
	t.Cleanup(r.hooks.Close)
	cfg := TwilioConfig{AccountSID: fake.AccountSID(), AuthToken: fake.AuthToken(), From: "+15005550006",
		BaseURL: fake.URL, Timeout: ro.timeout}
	if ro.callbacks {
		cfg.StatusCallback = r.hooks.URL + "/hooks/twilio/status"
	}
	r.sender, err = NewTwilio(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// webhookHandler is what the service's handlers do with the two webhooks:
// verify the signature against the public URL, then hand the form over.
func webhookHandler(st WebhookStore, token string, publicURL func() string, now func() time.Time) http.Handler {
	verified := func(w http.ResponseWriter, r *http.Request) bool {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return false
		}
		if !VerifySignature(token, publicURL()+r.URL.RequestURI(), r.PostForm, r.Header.Get(SignatureHeader)) {
			http.Error(w, "forbidden", http.StatusForbidden)
			return false
		}
		return true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooks/twilio/status", func(w http.ResponseWriter, r *http.Request) {
		if !verified(w, r) {
			return
		}
		if err := HandleStatus(r.Context(), st, r.Form, now()); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /hooks/twilio/inbound", func(w http.ResponseWriter, r *http.Request) {
		if !verified(w, r) {
			return
		}
		if _, err := HandleInbound(r.Context(), st, r.PostForm, now()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(EmptyTwiML))
	})
	return mux
}

// run starts a dispatcher and returns a stop that cancels it and waits.
func (r *rig) run(t *testing.T, sender Sender, o Options, prepare ...func(*Dispatcher)) (*Dispatcher, func()) {
	t.Helper()
	if o.Now == nil {
		o.Now = r.clock.Now
	}
	if o.Poll == 0 {
		o.Poll = 5 * time.Millisecond
	}
	if o.RetryDelay == 0 {
		o.RetryDelay = 10 * time.Millisecond
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(t.Output(), nil)) // shown with -v or on failure
	}
	d := NewDispatcher(r.st, func() Feed { return r.st.Subscribe() }, sender, o)
	for _, p := range prepare {
		p(d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return d, stop
}

// eventually polls cond until it holds or the time is up.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func getCase(t *testing.T, st *store.Store, id string) *weiquan.Case {
	t.Helper()
	c, err := st.GetCase(context.Background(), id)
	if err != nil {
		t.Fatalf("GetCase %s: %v", id, err)
	}
	return c
}

// message returns message seq of the stored case.
func message(t *testing.T, st *store.Store, id string, seq int) weiquan.Message {
	t.Helper()
	c := getCase(t, st, id)
	m := findMessage(c, seq)
	if m == nil {
		t.Fatalf("case %s has no message %d", id, seq)
	}
	return *m
}

// settled reports whether no message of case id is owed any more.
func settled(t *testing.T, st *store.Store, id string) bool {
	t.Helper()
	for _, m := range getCase(t, st, id).Messages {
		if m.Status == weiquan.MessageOwed {
			return false
		}
	}
	return true
}

// sentTo counts the fake's messages per number.
func sentTo(fake *twiliofake.Server) map[string]int {
	n := map[string]int{}
	for _, m := range fake.Messages() {
		n[m.To]++
	}
	return n
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
