package workflow

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"

	"weiquan"
)

// Consumers have no account: they confirm their phone with a one-time SMS
// code to file a case online and to look at one later. The rules:
//
//   - a code is 6 digits from crypto/rand, lives OTPTTL (5 minutes), allows
//     OTPMaxAttempts (5) tries, and works once;
//   - it is bound to (phone, purpose, case): a code to file opens no case, a
//     code for one case opens no other;
//   - only its HMAC-SHA256 under the server key is stored, over phone,
//     purpose, case and code together;
//   - a number gets at most one code per OTPResendGap (60 s) and
//     OTPPerNumberPerHour (5) per hour, counted in the store (so it holds
//     across restarts); an address OTPPerAddressPerHour (20) per hour,
//     counted in this process;
//   - asking to track a case with a phone that is not its complainant's
//     answers exactly as a match does — the limits are counted and a decoy
//     code is stored that expires and counts attempts like a real one but
//     never verifies — and sends nothing, so nobody learns which numbers
//     filed which cases.
const (
	OTPDigits            = 6
	OTPTTL               = 5 * time.Minute
	OTPMaxAttempts       = 5
	OTPResendGap         = 60 * time.Second
	OTPPerNumberPerHour  = 5
	OTPPerAddressPerHour = 20
	// TrackSessionTTL is how long a confirmed code lets a consumer reload
	// the tracking page of that one case without a new code.
	TrackSessionTTL = 30 * time.Minute
)

// Field error codes of the one-time code.
const (
	CodeOTPInvalid     = "otp_invalid"  // wrong code, or none for this phone and case
	CodeOTPExpired     = "otp_expired"  // older than OTPTTL
	CodeOTPUsed        = "otp_used"     // already used once
	CodeOTPAttempts    = "otp_attempts" // OTPMaxAttempts wrong tries
	CodeInvalidPurpose = "invalid_purpose"
	CodeInvalidCaseID  = "invalid_case_id"
)

// OTPStore is what one-time codes need from the system of record
// (*store.Store implements it).
type OTPStore interface {
	// ReserveOTPSend counts a code sent to phone at now when the number is
	// within its limits, else returns how long until it would be.
	ReserveOTPSend(ctx context.Context, phone string, now time.Time, gap time.Duration, perHour int) (time.Duration, error)
	PutOTP(ctx context.Context, c weiquan.OneTimeCode) error
	// UpdateOTP changes the live code of key atomically; none is ENotFound.
	UpdateOTP(ctx context.Context, key string, fn func(c *weiquan.OneTimeCode) (bool, error)) error
	EnqueueOutbox(ctx context.Context, m weiquan.OutboxMessage) (weiquan.OutboxMessage, error)
	GetCase(ctx context.Context, id string) (*weiquan.Case, error)
	// PurgeOTP deletes codes expired and counters last used before before.
	PurgeOTP(ctx context.Context, before time.Time) (int64, error)
}

// OTP issues and checks consumers' one-time SMS codes.
type OTP struct {
	Store OTPStore
	// Key is the server secret the codes are hashed under (at least 16
	// bytes); the tracking cookie is signed under a key derived from it.
	Key []byte
	// Compose renders the code message to phone (the notifications
	// package's otp template); the message is sent through the outbox.
	Compose func(phone, code string, ttl time.Duration) (weiquan.Message, error)
	Now     func() time.Time
	Logger  *slog.Logger
	// PerAddressPerHour overrides OTPPerAddressPerHour (tests).
	PerAddressPerHour int

	addrMu sync.Mutex
	byAddr map[string][]time.Time
	swept  time.Time
}

func (o *OTP) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *OTP) log() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// Request issues a code for purpose to phone — for PurposeTrack bound to
// case caseID — and queues it as an urgent SMS. address is the client's,
// for the per-address limit. It answers nil alike whether or not the phone
// goes with the case; errors are a bad phone, purpose or case number (422),
// a limit (429, with the wait in the message) or the store.
func (o *OTP) Request(ctx context.Context, phone, purpose, caseID, address string) error {
	p, err := otpCheckRequest(phone, purpose, caseID)
	if err != nil {
		return err
	}
	now := o.now()
	if !o.allowAddress(address, now) {
		return weiquan.Errorf(weiquan.ERateLimited, "您所在的网络获取验证码过于频繁，请一小时后再试")
	}
	wait, err := o.Store.ReserveOTPSend(ctx, string(p), now, OTPResendGap, OTPPerNumberPerHour)
	if err != nil {
		return err
	}
	if wait > 0 {
		return &weiquan.Error{Code: weiquan.ERateLimited,
			Message: fmt.Sprintf("该号码获取验证码过于频繁，请 %s后再试", waitWords(wait)),
			Fields:  map[string]weiquan.FieldError{"phone": {Code: "rate_limited", Message: "获取验证码过于频繁"}},
			Err:     otpWait{wait}}
	}
	match := true
	if purpose == weiquan.PurposeTrack {
		c, err := o.Store.GetCase(ctx, caseID)
		switch {
		case weiquan.ErrorCode(err) == weiquan.ENotFound:
			match = false
		case err != nil:
			return fmt.Errorf("code for case %s: %w", caseID, err)
		default:
			match = samePhone(c.Complainant.Phone, p)
		}
	}
	code, err := newCode()
	if err != nil {
		return err
	}
	rec := weiquan.OneTimeCode{Key: weiquan.OneTimeCodeKey(string(p), purpose, caseID), Phone: string(p),
		Purpose: purpose, CaseID: caseID, Hash: o.hash(p, purpose, caseID, code), Decoy: !match,
		CreatedAt: now, ExpiresAt: now.Add(OTPTTL)}
	if err := o.Store.PutOTP(ctx, rec); err != nil {
		return err
	}
	m, err := o.Compose(string(p), code, OTPTTL)
	if err != nil {
		return fmt.Errorf("compose code SMS: %w", err)
	}
	expires := now.Add(OTPTTL)
	m.CreatedAt, m.UpdatedAt = now, now
	if !match {
		// Recorded as not sent, with the code hidden: the same writes as a
		// real code, so the answer takes as long, and a record of the try.
		o.log().Info("code asked for a case the phone does not go with: nothing sent",
			"case", caseID, "phone", p.Masked())
		m.Status, m.ErrorMessage = weiquan.MessageSuppressed, "号码与案件不符，未发送"
		m.Body = strings.ReplaceAll(m.Body, code, "******")
	}
	if _, err := o.Store.EnqueueOutbox(ctx, weiquan.OutboxMessage{Message: m, ExpiresAt: &expires}); err != nil {
		return fmt.Errorf("queue code SMS: %w", err)
	}
	return nil
}

// PurgeEvery deletes dead codes and idle send counters every period until
// ctx ends, so the store holds only the last hour's numbers.
func (o *OTP) PurgeEvery(ctx context.Context, period time.Duration) {
	for {
		// An hour's margin: a counter must outlive its window.
		if n, err := o.Store.PurgeOTP(ctx, o.now().Add(-time.Hour)); err != nil {
			if ctx.Err() == nil {
				o.log().Error("purge one-time codes", "err", err)
			}
		} else if n > 0 {
			o.log().Debug("purged one-time codes", "documents", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(period):
		}
	}
}

// otpWait carries the wait of a per-number limit for Retry-After.
type otpWait struct{ d time.Duration }

func (w otpWait) Error() string { return "wait " + w.d.String() }

// RetryAfter is how long a rate-limited Request asks to wait, 0 when err
// says nothing.
func RetryAfter(err error) time.Duration {
	var w otpWait
	if errors.As(err, &w) {
		return w.d
	}
	return 0
}

func waitWords(d time.Duration) string {
	if d < time.Minute {
		return strconv.Itoa(int((d+time.Second-1)/time.Second)) + " 秒"
	}
	return strconv.Itoa(int((d+time.Minute-1)/time.Minute)) + " 分钟"
}

// Verify checks code for phone, purpose and case, and uses it up when it is
// right. Every try counts against the attempts, right or wrong. Errors are
// 422 with the field "code" (otp_invalid, otp_expired, otp_used) or 429
// (otp_attempts); a phone or case that does not go with the code is
// otp_invalid, as is a wrong code.
func (o *OTP) Verify(ctx context.Context, phone, code, purpose, caseID string) error {
	p, err := otpCheckRequest(phone, purpose, caseID)
	if err != nil {
		return err
	}
	code = strings.TrimSpace(code)
	if len(code) != OTPDigits || strings.Trim(code, "0123456789") != "" {
		return otpError(weiquan.EValidation, CodeOTPInvalid, "验证码应为 6 位数字")
	}
	now := o.now()
	want := o.hash(p, purpose, caseID, code)
	err = o.Store.UpdateOTP(ctx, weiquan.OneTimeCodeKey(string(p), purpose, caseID), func(c *weiquan.OneTimeCode) (bool, error) {
		switch {
		case c.Used:
			return false, otpError(weiquan.EValidation, CodeOTPUsed, "验证码已使用，请重新获取")
		case !now.Before(c.ExpiresAt):
			return false, otpError(weiquan.EValidation, CodeOTPExpired, "验证码已过期，请重新获取")
		case c.Attempts >= OTPMaxAttempts:
			return false, otpError(weiquan.ERateLimited, CodeOTPAttempts, "验证码错误次数过多，请重新获取")
		}
		c.Attempts++
		if c.Decoy || subtle.ConstantTimeCompare([]byte(c.Hash), []byte(want)) != 1 {
			if c.Attempts >= OTPMaxAttempts {
				return true, otpError(weiquan.ERateLimited, CodeOTPAttempts, "验证码错误次数过多，请重新获取")
			}
			return true, otpError(weiquan.EValidation, CodeOTPInvalid,
				fmt.Sprintf("验证码不正确，还可以再试 %d 次", OTPMaxAttempts-c.Attempts))
		}
		c.Used = true
		return true, nil
	})
	if weiquan.ErrorCode(err) == weiquan.ENotFound {
		return otpError(weiquan.EValidation, CodeOTPInvalid, "验证码不正确，请重新获取")
	}
	return err
}

func otpError(code, field, msg string) error {
	return &weiquan.Error{Code: code, Message: msg,
		Fields: map[string]weiquan.FieldError{"code": {Code: field, Message: msg}}}
}

// otpCheckRequest validates the phone, purpose and case number of a request.
func otpCheckRequest(phone, purpose, caseID string) (weiquan.Phone, error) {
	errs := weiquan.ValidationErrors{}
	p, ok := weiquan.ParsePhone(phone)
	switch {
	case strings.TrimSpace(phone) == "":
		errs.Add("phone", CodeRequired, "请输入手机号码")
	case !ok || !p.IsMobile():
		errs.Add("phone", CodeInvalidPhone, "请输入能接收短信的 11 位手机号码")
	}
	switch purpose {
	case weiquan.PurposeFile:
		if caseID != "" {
			errs.Add("case_id", CodeInvalidCaseID, "提交投诉时不需要案件编号")
		}
	case weiquan.PurposeTrack:
		if !ValidCaseID(caseID) {
			errs.Add("case_id", CodeInvalidCaseID, "案件编号应为 14 位数字")
		}
	default:
		errs.Add("purpose", CodeInvalidPurpose, "用途应为 file（提交投诉）或 track（查询进度）")
	}
	return p, errs.Err()
}

// ValidCaseID reports whether id has the form of a case number: 14 digits.
func ValidCaseID(id string) bool {
	if len(id) != 14 {
		return false
	}
	return strings.Trim(id, "0123456789") == ""
}

// samePhone reports whether a stored phone is the number p.
func samePhone(stored string, p weiquan.Phone) bool {
	q, ok := weiquan.ParsePhone(stored)
	return ok && q == p
}

// SamePhone reports whether two phone numbers, as typed or stored, are the
// same mobile number.
func SamePhone(a, b string) bool {
	p, ok := weiquan.ParsePhone(b)
	return ok && samePhone(a, p)
}

// newCode is 6 uniformly random digits.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("random code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// hash binds the code to phone, purpose and case.
func (o *OTP) hash(p weiquan.Phone, purpose, caseID, code string) string {
	m := hmac.New(sha256.New, o.subKey("otp-code"))
	m.Write([]byte(string(p) + "\x00" + purpose + "\x00" + caseID + "\x00" + code))
	return hex.EncodeToString(m.Sum(nil))
}

// subKey derives a key for one use from the server key, so the code hashes
// and the tracking cookie never share a key.
func (o *OTP) subKey(use string) []byte {
	m := hmac.New(sha256.New, o.Key)
	m.Write([]byte("weiquan " + use))
	return m.Sum(nil)
}

// TrackToken is the value of the tracking cookie: case caseID may be shown
// to its holder until TrackSessionTTL from now. It is signed, not stored.
func (o *OTP) TrackToken(caseID string) string {
	exp := strconv.FormatInt(o.now().Add(TrackSessionTTL).Unix(), 10)
	payload := caseID + "." + exp
	return payload + "." + o.sign(payload)
}

// CheckTrackToken reports whether token lets its holder see case caseID now.
func (o *OTP) CheckTrackToken(token, caseID string) bool {
	id, rest, ok := strings.Cut(token, ".")
	if !ok || id != caseID || !ValidCaseID(id) {
		return false
	}
	exp, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return false
	}
	if !hmac.Equal([]byte(sig), []byte(o.sign(id+"."+exp))) {
		return false
	}
	n, err := strconv.ParseInt(exp, 10, 64)
	return err == nil && o.now().Before(time.Unix(n, 0))
}

func (o *OTP) sign(payload string) string {
	m := hmac.New(sha256.New, o.subKey("track-cookie"))
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// allowAddress counts a request from address against its hourly limit.
func (o *OTP) allowAddress(address string, now time.Time) bool {
	limit := o.PerAddressPerHour
	if limit <= 0 {
		limit = OTPPerAddressPerHour
	}
	o.addrMu.Lock()
	defer o.addrMu.Unlock()
	if o.byAddr == nil {
		o.byAddr = map[string][]time.Time{}
	}
	if now.Sub(o.swept) > time.Minute {
		// Forget addresses quiet for an hour, so memory follows traffic.
		o.swept = now
		for a, ts := range o.byAddr {
			if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= time.Hour {
				delete(o.byAddr, a)
			}
		}
	}
	ts := o.byAddr[address]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= time.Hour {
		i++
	}
	ts = ts[i:]
	if len(ts) >= limit {
		o.byAddr[address] = ts
		return false
	}
	o.byAddr[address] = append(ts, now)
	return true
}
