package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// The code key survives a restart (codes sent before it still work) and is
// not the CSRF key; a configured one wins.
func TestOTPKeyKeptInTheDataDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	a := &app{cfg: Config{DataDir: dir}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	first, err := a.otpKey()
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "otp.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("otp.key: %v %v", st, err)
	}
	again, err := a.otpKey()
	if err != nil || !bytes.Equal(again, first) || len(first) != 32 {
		t.Errorf("a restart got another key (%v)", err)
	}
	if csrf, err := a.csrfKey(); err != nil || bytes.Equal(csrf, first) {
		t.Errorf("the code key is the CSRF key (%v)", err)
	}
	b := &app{cfg: Config{DataDir: dir, OTPKey: "configured-otp-key-12345"}, log: a.log}
	if got, err := b.otpKey(); err != nil || string(got) != "configured-otp-key-12345" {
		t.Errorf("got %q %v", got, err)
	}
}
