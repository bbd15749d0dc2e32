package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"weiquan"
	"weiquan/store"
	"weiquan/store/storetest"
)

// movableClock sets the service's clock to a working morning that the test
// can move forward while instances run.
func movableClock(t *testing.T) (forward func(time.Duration)) {
	t.Helper()
	base := time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)
	start := time.Now()
	var skip atomic.Int64
	prev := clock
	clock = func() time.Time { return base.Add(time.Since(start) + time.Duration(skip.Load())) }
	t.Cleanup(func() { clock = prev })
	return func(d time.Duration) { skip.Add(int64(d)) }
}

// startService runs the service under getenv until it serves (stop ends
// it) or returns the error it stopped with.
func startService(t *testing.T, getenv func(string) string) (stop func(), logs *syncBuffer, err error) {
	t.Helper()
	logs = &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Main(ctx, nil, getenv, strings.NewReader(""), io.Discard, logs) }()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case err := <-done:
			cancel()
			if err == nil {
				err = errors.New("Main returned nil before serving")
			}
			return nil, logs, err
		default:
		}
		if servingRE.MatchString(logs.String()) {
			return stopMain(t, cancel, done), logs, nil
		}
	}
	cancel()
	t.Fatalf("the service neither served nor stopped; output so far:\n%s", logs.String())
	return nil, nil, nil
}

// instances are weiquan instances, each with its own data directory,
// sharing one database as they would a MongoDB. (The store's schema set-up
// against FerretDB as an external server is not what the tests are for, so
// the instances share one store.)
type instances struct {
	t     *testing.T
	store *store.Store
}

// start checks the keys of an instance on dir configured by cfg as a start
// does: the ID number ring, and the serving keys when serving.
func (in instances) start(dir string, cfg Config, serving bool) (*app, string, error) {
	in.t.Helper()
	cfg.DataDir = dir
	logs := &syncBuffer{}
	a := &app{cfg: cfg, log: newLogger(logs, "text", 0), store: in.store}
	ring, err := a.piiKeys()
	if err != nil {
		in.t.Fatal(err)
	}
	if err := a.checkPIIKeys(context.Background(), ring); err != nil {
		return a, logs.String(), err
	}
	if serving {
		_, _, _, err = a.servingKeys(context.Background())
	}
	return a, logs.String(), err
}

// refusedWith fails unless err names every part of want, and if it shows a
// key.
func refusedWith(t *testing.T, err error, keys []string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("the start was not refused")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
	for _, key := range keys {
		if strings.Contains(err.Error(), key) {
			t.Errorf("error shows a key: %q", err)
		}
	}
}

// TestKeyChecksIDNumberRing starts instances sharing one database with ID
// number key rings that agree, that were rotated, and that disagree.
func TestKeyChecksIDNumberRing(t *testing.T) {
	in := instances{t: t, store: storetest.New(t)}
	k1, k2, other := "k1:"+piiTestKey('1'), "k2:"+piiTestKey('2'), piiTestKey('9')
	keys := []string{piiTestKey('1'), piiTestKey('2'), other}
	dirA, dirB, dirC := t.TempDir(), t.TempDir(), t.TempDir()

	if _, logs, err := in.start(dirA, Config{PIIKeys: k1}, false); err != nil {
		t.Fatalf("first start: %v\n%s", err, logs)
	}
	t.Run("same ring on another instance and again", func(t *testing.T) {
		for _, dir := range []string{dirB, dirA} {
			if _, logs, err := in.start(dir, Config{PIIKeys: k1}, false); err != nil || strings.Contains(logs, "WEIQUAN_PII_KEYS") {
				t.Errorf("start on %s: %v\n%s", dir, err, logs)
			}
		}
	})
	t.Run("another key under a known id is refused", func(t *testing.T) {
		_, _, err := in.start(dirC, Config{PIIKeys: "k1:" + other}, false)
		refusedWith(t, err, keys, `WEIQUAN_PII_KEYS: key "k1"`, "Set WEIQUAN_PII_KEYS to the same value as the other instances")
	})
	t.Run("rotated ring starts", func(t *testing.T) {
		if _, logs, err := in.start(dirB, Config{PIIKeys: k2 + "," + k1}, false); err != nil || strings.Contains(logs, "WEIQUAN_PII_KEYS") {
			t.Fatalf("rotated ring: %v\n%s", err, logs)
		}
		// The new key is known from now on, whichever instance brings it.
		_, _, err := in.start(dirC, Config{PIIKeys: "k2:" + other + "," + k1}, false)
		refusedWith(t, err, keys, `WEIQUAN_PII_KEYS: key "k2"`)
		if _, _, err := in.start(dirA, Config{PIIKeys: k2 + "," + k1}, false); err != nil {
			t.Errorf("the other instance rotated too: %v", err)
		}
	})
	t.Run("a dropped key is warned about until it is retired", func(t *testing.T) {
		_, logs, err := in.start(dirB, Config{PIIKeys: k2}, false)
		if err != nil || !strings.Contains(logs, "WEIQUAN_PII_KEYS lacks keys") || !strings.Contains(logs, "key_ids=k1") {
			t.Errorf("ring without k1: %v\n%s", err, logs)
		}
		a, _, _ := in.start(dirB, Config{PIIKeys: k2 + "," + k1}, false)
		if retired, err := a.retirePIIKeys(context.Background(), "k2"); err != nil || strings.Join(retired, ",") != "k1" {
			t.Errorf("retired %v %v, want k1", retired, err)
		}
		if _, logs, err := in.start(dirB, Config{PIIKeys: k2}, false); err != nil || strings.Contains(logs, "WEIQUAN_PII_KEYS") {
			t.Errorf("ring without k1 once retired: %v\n%s", err, logs)
		}
		// A retired id is still refused under another key.
		_, _, err = in.start(dirC, Config{PIIKeys: k2 + ",k1:" + other}, false)
		refusedWith(t, err, keys, `key "k1"`)
	})
	t.Run("instances that each generated a key are refused", func(t *testing.T) {
		in := instances{t: t, store: storetest.New(t)}
		dirD, dirE := t.TempDir(), t.TempDir()
		if _, _, err := in.start(dirD, Config{}, false); err != nil {
			t.Fatalf("first generated key: %v", err)
		}
		_, _, err := in.start(dirE, Config{}, false)
		refusedWith(t, err, nil, `key "local" generated in `+filepath.Join(dirE, piiKeyFile),
			"Set WEIQUAN_PII_KEYS to the same value on every instance")
		// Configured keys beside a generated one are checked alike.
		_, _, err = in.start(dirE, Config{PIIKeys: k1}, false)
		refusedWith(t, err, keys, `key "local" generated in `)
	})
}

// TestKeyChecksSMSCodeAndFormKeys: a second instance with the same keys
// starts; one with another SMS code or form key is refused while an
// instance with the old key runs, and replaces it (with a warning) once
// that one stopped or has not been seen for keySeenWindow.
func TestKeyChecksSMSCodeAndFormKeys(t *testing.T) {
	in := instances{t: t, store: storetest.New(t)}
	forward := movableClock(t)
	prevEvery := keySeenEvery
	keySeenEvery = 20 * time.Millisecond
	t.Cleanup(func() { keySeenEvery = prevEvery })
	const (
		otpX, otpY   = "otp-key-xxxxxxxxxxxxxxxx", "otp-key-yyyyyyyyyyyyyyyy"
		csrfC, csrfD = "csrf-key-cccccccccccccccc", "csrf-key-dddddddddddddddd"
	)
	keys := []string{otpX, otpY, csrfC, csrfD}
	pii := "k1:" + piiTestKey('1')
	cfg := func(otp, csrf string) Config { return Config{PIIKeys: pii, OTPKey: otp, CSRFKey: csrf} }
	dirA, dirB, dirC := t.TempDir(), t.TempDir(), t.TempDir()

	// A serves and keeps saying so.
	a, _, err := in.start(dirA, cfg(otpX, csrfC), true)
	if err != nil {
		t.Fatalf("first instance: %v", err)
	}
	ctxA, stopA := context.WithCancel(context.Background())
	doneA := make(chan struct{})
	go func() { defer close(doneA); a.keepKeysSeen(ctxA, mustServingKeys(t, a)) }()
	defer func() { stopA(); <-doneA }()

	if _, logs, err := in.start(dirB, cfg(otpX, csrfC), true); err != nil || strings.Contains(logs, "WEIQUAN_") {
		t.Fatalf("second instance with the same keys: %v\n%s", err, logs)
	}
	t.Run("another key while an instance with the old one runs", func(t *testing.T) {
		_, _, err := in.start(dirC, cfg(otpY, csrfC), true)
		// B said so last.
		refusedWith(t, err, keys, "WEIQUAN_OTP_KEY differs from the key instance "+in.nameOf(dirB)+" used ",
			"Set WEIQUAN_OTP_KEY to the same value as the other instances")
		_, _, err = in.start(dirC, cfg(otpX, csrfD), true)
		refusedWith(t, err, keys, "WEIQUAN_CSRF_KEY differs", "Set WEIQUAN_CSRF_KEY to the same value")
		_, _, err = in.start(dirC, cfg("", csrfC), true)
		refusedWith(t, err, keys, "WEIQUAN_OTP_KEY is unset, and the key this instance generated in "+filepath.Join(dirC, "otp.key"))
	})
	t.Run("a running instance keeps saying it uses its key", func(t *testing.T) {
		forward(keySeenWindow + time.Minute)
		time.Sleep(10 * keySeenEvery)
		_, _, err := in.start(dirC, cfg(otpY, csrfC), true)
		refusedWith(t, err, keys, "WEIQUAN_OTP_KEY differs", dirA)
	})
	t.Run("a changed key once the instance with the old one stopped", func(t *testing.T) {
		stopA()
		<-doneA
		_, logs, err := in.start(dirC, cfg(otpY, csrfC), true)
		if err != nil {
			t.Fatalf("after the other instances stopped: %v", err)
		}
		if !strings.Contains(logs, "WEIQUAN_OTP_KEY is not the key last used on this database") ||
			strings.Contains(logs, "WEIQUAN_CSRF_KEY") {
			t.Errorf("no warning of the changed key alone:\n%s", logs)
		}
	})
	t.Run("a changed key once the instance with the old one was not seen for a while", func(t *testing.T) {
		// dirC started and stopped without shutting down: nothing took it
		// off, and it was seen just now.
		_, _, err := in.start(dirB, cfg(otpX, csrfC), true)
		refusedWith(t, err, keys, "WEIQUAN_OTP_KEY differs", dirC, "counts as running until")
		forward(keySeenWindow)
		_, logs, err := in.start(dirB, cfg(otpX, csrfC), true)
		if err != nil {
			t.Fatalf("after %v unseen: %v", keySeenWindow, err)
		}
		if !strings.Contains(logs, "WEIQUAN_OTP_KEY is not the key last used on this database") ||
			!strings.Contains(logs, `last_used_by="`+in.nameOf(dirC)+" at ") {
			t.Errorf("no warning of the changed key:\n%s", logs)
		}
		// The same instance restarted with a changed key replaces it at once.
		if _, logs, err := in.start(dirB, cfg(otpY, csrfC), true); err != nil || !strings.Contains(logs, "WEIQUAN_OTP_KEY is not") {
			t.Errorf("restart with a changed key: %v\n%s", err, logs)
		}
	})
}

func (in instances) nameOf(dir string) string {
	return (&app{cfg: Config{DataDir: dir}}).instanceName()
}

func mustServingKeys(t *testing.T, a *app) []sharedKey {
	t.Helper()
	_, _, shared, err := a.servingKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return shared
}

// TestKeyChecksAtStart: the service and its commands check the keys at
// start: a ring whose key differs from the one the database has seen stops
// the start with the message; a restart with a changed SMS code key (the
// only instance on its database) serves, with a warning.
func TestKeyChecksAtStart(t *testing.T) {
	daytimeClock(t)
	dir := t.TempDir()
	getenv := func(vars ...string) func(string) string {
		m := map[string]string{"WEIQUAN_DATA_DIR": dir, "WEIQUAN_ADDR": "127.0.0.1:0",
			"WEIQUAN_ADMIN_PASSWORD": "key-check-password", "WEIQUAN_PII_KEYS": "k1:" + piiTestKey('1'),
			"WEIQUAN_OTP_KEY": "otp-key-xxxxxxxxxxxxxxxx"}
		for i := 0; i+1 < len(vars); i += 2 {
			m[vars[i]] = vars[i+1]
		}
		return func(k string) string { return m[k] }
	}
	stop, logs, err := startService(t, getenv())
	if err != nil {
		t.Fatalf("first start: %v", err)
	}
	stop()
	if strings.Contains(logs.String(), "WEIQUAN_OTP_KEY") || strings.Contains(logs.String(), "WEIQUAN_PII_KEYS") {
		t.Errorf("first start warned about a key:\n%s", logs)
	}
	stop, logs, err = startService(t, getenv("WEIQUAN_OTP_KEY", "otp-key-yyyyyyyyyyyyyyyy"))
	if err != nil {
		t.Fatalf("restart with a changed SMS code key: %v", err)
	}
	stop()
	if !strings.Contains(logs.String(), "WEIQUAN_OTP_KEY is not the key last used on this database") {
		t.Errorf("no warning of the changed key:\n%s", logs)
	}
	_, _, err = startService(t, getenv("WEIQUAN_PII_KEYS", "k1:"+piiTestKey('9')))
	refusedWith(t, err, []string{piiTestKey('9'), piiTestKey('1')}, `WEIQUAN_PII_KEYS: key "k1"`)
	err = Main(context.Background(), []string{"pii", "rekey"}, getenv("WEIQUAN_PII_KEYS", "k2:"+piiTestKey('2')+",k1:"+piiTestKey('9')),
		strings.NewReader(""), io.Discard, io.Discard)
	refusedWith(t, err, []string{piiTestKey('9'), piiTestKey('1')}, `WEIQUAN_PII_KEYS: key "k1"`)
}
