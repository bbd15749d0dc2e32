package workflow_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"weiquan"
	"weiquan/notifications"
	"weiquan/store"
	"weiquan/store/storetest"
	"weiquan/workflow"
)

// otpRig is a real store with one case, an OTP on it with a settable clock,
// and what was queued in the outbox read back from the store.
type otpRig struct {
	st  *store.Store
	otp *workflow.OTP
	mu  sync.Mutex
	now time.Time
}

const (
	otpPhone     = "13800138000"
	otpOther     = "13900139000"
	otpCaseID    = "20261126000001"
	otpAddress   = "203.0.113.7"
	otpElsewhere = "198.51.100.9"
)

func newOTPRig(t *testing.T) *otpRig {
	t.Helper()
	r := &otpRig{st: storetest.New(t), now: time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)}
	c := &weiquan.Case{ID: otpCaseID, Version: 1, Kind: weiquan.KindComplaint, Channel: weiquan.ChannelWeb,
		Complainant: weiquan.Complainant{Name: "张三", Phone: otpPhone}, Status: weiquan.StatusRegistered,
		CreatedAt: r.now, UpdatedAt: r.now}
	if err := r.st.CreateCase(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	r.otp = &workflow.OTP{Store: r.st, Key: []byte("otp-test-key-0123456789"), Compose: notifications.ComposeCode,
		Now: r.Now}
	return r
}

func (r *otpRig) Now() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.now }
func (r *otpRig) advance(d time.Duration) {
	r.mu.Lock()
	r.now = r.now.Add(d)
	r.mu.Unlock()
}

var sixDigits = regexp.MustCompile(`[0-9]{6}`)

// codes returns the codes queued in the outbox, oldest first, with the
// numbers they go to.
func (r *otpRig) codes(t *testing.T) (codes, to []string) {
	t.Helper()
	owed, err := r.st.OwedOutbox(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range owed {
		if !m.Urgent || m.Template != notifications.TemplateOTP || m.ExpiresAt == nil {
			t.Errorf("outbox message %+v: want an urgent otp message that expires", m)
		}
		codes = append(codes, sixDigits.FindString(m.Body))
		to = append(to, m.To)
	}
	return codes, to
}

// request asks for a code and returns it (the last one queued).
func (r *otpRig) request(t *testing.T, phone, purpose, caseID string) string {
	t.Helper()
	if err := r.otp.Request(context.Background(), phone, purpose, caseID, otpAddress); err != nil {
		t.Fatalf("Request(%s, %s, %s): %v", phone, purpose, caseID, err)
	}
	codes, _ := r.codes(t)
	if len(codes) == 0 {
		t.Fatal("no code queued")
	}
	return codes[len(codes)-1]
}

func wantCode(t *testing.T, err error, code, field string) {
	t.Helper()
	e, ok := err.(*weiquan.Error)
	if !ok || e.Code != code {
		t.Fatalf("got %v, want a %s error", err, code)
	}
	if field != "" && e.Fields["code"].Code != field {
		t.Fatalf("got field errors %v, want code.%s", e.Fields, field)
	}
	if e.Message == "" || !hasHan(e.Message) {
		t.Errorf("message %q is not Chinese", e.Message)
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func TestOTPCodeIsSixDigitsSentOnceAndHashed(t *testing.T) {
	r := newOTPRig(t)
	ctx := context.Background()
	code := r.request(t, "138 0013 8000", weiquan.PurposeFile, "")
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(code) {
		t.Fatalf("code %q is not 6 digits", code)
	}
	_, to := r.codes(t)
	if len(to) != 1 || to[0] != "+8613800138000" {
		t.Fatalf("sent to %v, want +8613800138000 once", to)
	}
	// At rest only the keyed hash: the code appears nowhere in the record.
	var rec weiquan.OneTimeCode
	err := r.st.UpdateOTP(ctx, weiquan.OneTimeCodeKey(otpPhone, weiquan.PurposeFile, ""), func(c *weiquan.OneTimeCode) (bool, error) {
		rec = *c
		return false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Hash == "" || strings.Contains(rec.Hash, code) || len(rec.Hash) != 64 {
		t.Errorf("stored hash %q: want 64 hex characters not containing the code", rec.Hash)
	}
	if got, want := rec.ExpiresAt.Sub(rec.CreatedAt), workflow.OTPTTL; got != want {
		t.Errorf("life %v, want %v", got, want)
	}
	if err := r.otp.Verify(ctx, "+86 138-0013-8000", code, weiquan.PurposeFile, ""); err != nil {
		t.Fatalf("the right code was refused: %v", err)
	}
}

func TestOTPVerify(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// run gets a fresh rig with a code for (otpPhone, track, otpCaseID)
		// and returns the error of the verification under test.
		run   func(t *testing.T, r *otpRig, code string) error
		want  string // error code, "" for success
		field string
	}{
		{"the right code", func(t *testing.T, r *otpRig, code string) error {
			return r.otp.Verify(ctx, otpPhone, code, weiquan.PurposeTrack, otpCaseID)
		}, "", ""},
		{"expired after five minutes", func(t *testing.T, r *otpRig, code string) error {
			r.advance(workflow.OTPTTL)
			return r.otp.Verify(ctx, otpPhone, code, weiquan.PurposeTrack, otpCaseID)
		}, weiquan.EValidation, workflow.CodeOTPExpired},
		{"still good just before expiry", func(t *testing.T, r *otpRig, code string) error {
			r.advance(workflow.OTPTTL - time.Second)
			return r.otp.Verify(ctx, otpPhone, code, weiquan.PurposeTrack, otpCaseID)
		}, "", ""},
		{"replay of a used code", func(t *testing.T, r *otpRig, code string) error {
			if err := r.otp.Verify(ctx, otpPhone, code, weiquan.PurposeTrack, otpCaseID); err != nil {
				t.Fatalf("first use: %v", err)
			}
			return r.otp.Verify(ctx, otpPhone, code, weiquan.PurposeTrack, otpCaseID)
		}, weiquan.EValidation, workflow.CodeOTPUsed},
		{"the fifth wrong try locks the code", func(t *testing.T, r *otpRig, code string) error {
			wrong := wrongCode(code)
			for i := 1; i < workflow.OTPMaxAttempts; i++ {
				wantCode(t, r.otp.Verify(ctx, otpPhone, wrong, weiquan.PurposeTrack, otpCaseID),
					weiquan.EValidation, workflow.CodeOTPInvalid)
			}
			wantCode(t, r.otp.Verify(ctx, otpPhone, wrong, weiquan.PurposeTrack, otpCaseID),
				weiquan.ERateLimited, workflow.CodeOTPAttempts)
			// Now even the right code is refused.
			return r.otp.Verify(ctx, otpPhone, code, weiquan.PurposeTrack, otpCaseID)
		}, weiquan.ERateLimited, workflow.CodeOTPAttempts},
		{"four wrong tries leave the fifth", func(t *testing.T, r *otpRig, code string) error {
			for i := 1; i < workflow.OTPMaxAttempts; i++ {
				_ = r.otp.Verify(ctx, otpPhone, wrongCode(code), weiquan.PurposeTrack, otpCaseID)
			}
			return r.otp.Verify(ctx, otpPhone, code, weiquan.PurposeTrack, otpCaseID)
		}, "", ""},
		{"another phone", func(t *testing.T, r *otpRig, code string) error {
			return r.otp.Verify(ctx, otpOther, code, weiquan.PurposeTrack, otpCaseID)
		}, weiquan.EValidation, workflow.CodeOTPInvalid},
		{"another case", func(t *testing.T, r *otpRig, code string) error {
			return r.otp.Verify(ctx, otpPhone, code, weiquan.PurposeTrack, "20261126000002")
		}, weiquan.EValidation, workflow.CodeOTPInvalid},
		{"a tracking code used to file", func(t *testing.T, r *otpRig, code string) error {
			return r.otp.Verify(ctx, otpPhone, code, weiquan.PurposeFile, "")
		}, weiquan.EValidation, workflow.CodeOTPInvalid},
		{"a newer code replaces the older", func(t *testing.T, r *otpRig, code string) error {
			r.advance(workflow.OTPResendGap)
			newer := r.request(t, otpPhone, weiquan.PurposeTrack, otpCaseID)
			if newer == code {
				t.Skip("the two random codes happen to be equal")
			}
			return r.otp.Verify(ctx, otpPhone, code, weiquan.PurposeTrack, otpCaseID)
		}, weiquan.EValidation, workflow.CodeOTPInvalid},
		{"not six digits", func(t *testing.T, r *otpRig, code string) error {
			return r.otp.Verify(ctx, otpPhone, code[:5], weiquan.PurposeTrack, otpCaseID)
		}, weiquan.EValidation, workflow.CodeOTPInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newOTPRig(t)
			code := r.request(t, otpPhone, weiquan.PurposeTrack, otpCaseID)
			err := tc.run(t, r, code)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v, want success", err)
				}
				return
			}
			wantCode(t, err, tc.want, tc.field)
		})
	}
}

func wrongCode(code string) string {
	b := []byte(code)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}

// A code for filing does not open a case, and one for one purpose does not
// serve another.
func TestOTPFileCodeDoesNotTrack(t *testing.T) {
	r := newOTPRig(t)
	code := r.request(t, otpPhone, weiquan.PurposeFile, "")
	wantCode(t, r.otp.Verify(context.Background(), otpPhone, code, weiquan.PurposeTrack, otpCaseID),
		weiquan.EValidation, workflow.CodeOTPInvalid)
	if err := r.otp.Verify(context.Background(), otpPhone, code, weiquan.PurposeFile, ""); err != nil {
		t.Fatalf("the filing code no longer files: %v", err)
	}
}

// Asking for a code to track a case with a phone that is not its
// complainant's answers exactly like a match, sends nothing, and the decoy
// behaves like a code: wrong tries count and lock it, it expires.
func TestOTPWrongPairSendsNothingAndAnswersAlike(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ name, phone, caseID string }{
		{"phone of another person", otpOther, otpCaseID},
		{"case that does not exist", otpPhone, "20261126009999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newOTPRig(t)
			if err := r.otp.Request(ctx, tc.phone, weiquan.PurposeTrack, tc.caseID, otpAddress); err != nil {
				t.Fatalf("got %v, want the same nil as for a match", err)
			}
			if codes, _ := r.codes(t); len(codes) != 0 {
				t.Fatalf("queued %v for a phone that does not go with the case", codes)
			}
			// The try is on record as not sent, with no code in it.
			rec, err := r.st.GetOutbox(ctx, 1)
			if err != nil || rec.Status != weiquan.MessageSuppressed || sixDigits.MatchString(rec.Body) {
				t.Errorf("record of the try: %+v %v", rec, err)
			}
			// Every code is refused, the same way as a wrong code for a
			// real pair, and the attempts run out the same way.
			for i := 1; i < workflow.OTPMaxAttempts; i++ {
				wantCode(t, r.otp.Verify(ctx, tc.phone, "123456", weiquan.PurposeTrack, tc.caseID),
					weiquan.EValidation, workflow.CodeOTPInvalid)
			}
			wantCode(t, r.otp.Verify(ctx, tc.phone, "123456", weiquan.PurposeTrack, tc.caseID),
				weiquan.ERateLimited, workflow.CodeOTPAttempts)
			// The per-number limit counts it like a real send.
			wantCode(t, r.otp.Request(ctx, tc.phone, weiquan.PurposeTrack, tc.caseID, otpAddress), weiquan.ERateLimited, "")
		})
	}
}

func TestOTPRateLimits(t *testing.T) {
	ctx := context.Background()
	t.Run("one per minute and five per hour per number", func(t *testing.T) {
		r := newOTPRig(t)
		r.request(t, otpPhone, weiquan.PurposeFile, "")
		err := r.otp.Request(ctx, otpPhone, weiquan.PurposeFile, "", otpElsewhere)
		wantCode(t, err, weiquan.ERateLimited, "")
		if got := workflow.RetryAfter(err); got != workflow.OTPResendGap {
			t.Errorf("retry after %v, want %v", got, workflow.OTPResendGap)
		}
		// Another purpose shares the number's limit.
		wantCode(t, r.otp.Request(ctx, otpPhone, weiquan.PurposeTrack, otpCaseID, otpAddress), weiquan.ERateLimited, "")
		// Another number is not affected.
		r.request(t, otpOther, weiquan.PurposeFile, "")
		for i := 2; i <= workflow.OTPPerNumberPerHour; i++ {
			r.advance(workflow.OTPResendGap)
			r.request(t, otpPhone, weiquan.PurposeFile, "")
		}
		r.advance(workflow.OTPResendGap)
		err = r.otp.Request(ctx, otpPhone, weiquan.PurposeFile, "", otpAddress)
		wantCode(t, err, weiquan.ERateLimited, "")
		if got, want := workflow.RetryAfter(err), time.Hour-time.Duration(workflow.OTPPerNumberPerHour)*workflow.OTPResendGap; got != want {
			t.Errorf("retry after %v, want %v (until the first leaves the hour)", got, want)
		}
		r.advance(workflow.RetryAfter(err))
		r.request(t, otpPhone, weiquan.PurposeFile, "")
	})
	t.Run("the number's limit holds across a restart", func(t *testing.T) {
		r := newOTPRig(t)
		r.request(t, otpPhone, weiquan.PurposeFile, "")
		restarted := &workflow.OTP{Store: r.st, Key: r.otp.Key, Compose: notifications.ComposeCode, Now: r.Now}
		wantCode(t, restarted.Request(ctx, otpPhone, weiquan.PurposeFile, "", otpAddress), weiquan.ERateLimited, "")
	})
	t.Run("per address", func(t *testing.T) {
		r := newOTPRig(t)
		r.otp.PerAddressPerHour = 3
		for i := range 3 {
			phone := "1370000000" + string(rune('0'+i))
			if err := r.otp.Request(ctx, phone, weiquan.PurposeFile, "", otpAddress); err != nil {
				t.Fatalf("request %d: %v", i+1, err)
			}
		}
		wantCode(t, r.otp.Request(ctx, "13700000009", weiquan.PurposeFile, "", otpAddress), weiquan.ERateLimited, "")
		if err := r.otp.Request(ctx, "13700000009", weiquan.PurposeFile, "", otpElsewhere); err != nil {
			t.Fatalf("another address was limited too: %v", err)
		}
		r.advance(time.Hour)
		if err := r.otp.Request(ctx, "13700000008", weiquan.PurposeFile, "", otpAddress); err != nil {
			t.Fatalf("an hour later: %v", err)
		}
	})
}

func TestOTPRequestValidation(t *testing.T) {
	r := newOTPRig(t)
	for _, tc := range []struct{ name, phone, purpose, caseID, field string }{
		{"no phone", "", weiquan.PurposeFile, "", "phone"},
		{"landline", "0591-87654321", weiquan.PurposeFile, "", "phone"},
		{"unknown purpose", otpPhone, "login", "", "purpose"},
		{"track without case", otpPhone, weiquan.PurposeTrack, "", "case_id"},
		{"track with a bad case number", otpPhone, weiquan.PurposeTrack, "2026", "case_id"},
		{"file with a case", otpPhone, weiquan.PurposeFile, otpCaseID, "case_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := r.otp.Request(context.Background(), tc.phone, tc.purpose, tc.caseID, otpAddress)
			e, ok := err.(*weiquan.Error)
			if !ok || e.Code != weiquan.EValidation || e.Fields[tc.field].Code == "" {
				t.Fatalf("got %v, want 422 on %s", err, tc.field)
			}
		})
	}
	if codes, _ := r.codes(t); len(codes) != 0 {
		t.Errorf("bad requests queued %v", codes)
	}
}

func TestTrackToken(t *testing.T) {
	r := newOTPRig(t)
	tok := r.otp.TrackToken(otpCaseID)
	if !r.otp.CheckTrackToken(tok, otpCaseID) {
		t.Fatal("a fresh token is refused")
	}
	if r.otp.CheckTrackToken(tok, "20261126000002") {
		t.Error("the token opens another case")
	}
	forged := strings.Replace(tok, otpCaseID, "20261126000002", 1)
	if r.otp.CheckTrackToken(forged, "20261126000002") {
		t.Error("a token edited to another case is accepted")
	}
	other := &workflow.OTP{Key: []byte("another-key-0123456789"), Now: r.Now}
	if other.CheckTrackToken(tok, otpCaseID) {
		t.Error("a token signed under another key is accepted")
	}
	r.advance(workflow.TrackSessionTTL)
	if r.otp.CheckTrackToken(tok, otpCaseID) {
		t.Error("the token outlives its 30 minutes")
	}
	for _, bad := range []string{"", ".", "..", otpCaseID, otpCaseID + ".1.x"} {
		if r.otp.CheckTrackToken(bad, otpCaseID) {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The right code tried from many places at once opens once.
func TestOTPSingleUseUnderConcurrency(t *testing.T) {
	r := newOTPRig(t)
	code := r.request(t, otpPhone, weiquan.PurposeTrack, otpCaseID)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 8 {
		wg.Go(func() {
			if err := r.otp.Verify(context.Background(), otpPhone, code, weiquan.PurposeTrack, otpCaseID); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != 1 {
		t.Errorf("the code opened %d times, want once", ok)
	}
}

// Dead codes and idle counters are purged; a live code and a counter still
// in its hour stay.
func TestOTPPurge(t *testing.T) {
	r := newOTPRig(t)
	r.request(t, otpPhone, weiquan.PurposeFile, "")
	r.advance(2 * time.Hour)
	live := r.request(t, otpOther, weiquan.PurposeFile, "")
	exists := func(phone string) bool {
		err := r.st.UpdateOTP(context.Background(), weiquan.OneTimeCodeKey(phone, weiquan.PurposeFile, ""),
			func(*weiquan.OneTimeCode) (bool, error) { return false, nil })
		if err != nil && weiquan.ErrorCode(err) != weiquan.ENotFound {
			t.Fatal(err)
		}
		return err == nil
	}
	if !exists(otpPhone) || !exists(otpOther) {
		t.Fatal("codes missing before the purge")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.otp.PurgeEvery(ctx, time.Millisecond) }()
	deadline := time.Now().Add(10 * time.Second)
	for exists(otpPhone) {
		if time.Now().After(deadline) {
			t.Fatal("the code that died an hour and more ago is still stored")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if err := r.otp.Verify(context.Background(), otpOther, live, weiquan.PurposeFile, ""); err != nil {
		t.Errorf("the live code was purged: %v", err)
	}
	// The live number's counter stayed: still limited.
	wantCode(t, r.otp.Request(context.Background(), otpOther, weiquan.PurposeFile, "", otpAddress), weiquan.ERateLimited, "")
}
