package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// dataDirKey returns the secret kept in file under the data directory,
// generating 32 random bytes there (mode 0600) the first time. A key that
// must survive restarts but that nobody configured lives there, beside the
// data it protects. what names the key in the log and in errors; damaged
// tells the administrator what to do when the file is unreadable.
func (a *app) dataDirKey(file, what, damaged string) ([]byte, error) {
	path := filepath.Join(a.cfg.DataDir, file)
	raw, err := os.ReadFile(path)
	if err == nil {
		key, err := hex.DecodeString(strings.TrimSpace(string(raw)))
		if err != nil || len(key) < 16 {
			return nil, fmt.Errorf("%s (%s) is damaged: %s", path, what, damaged)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(a.cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	// O_EXCL: two instances starting at once on one data directory must not
	// each write a key and disagree.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return a.dataDirKey(file, what, damaged)
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	a.log.Info("generated "+what, "file", path)
	return key, nil
}

// csrfKey signs the anti-forgery tokens of forms: WEIQUAN_CSRF_KEY, else a
// key generated once in the data directory, so that a restart does not
// invalidate the forms people have open. Instances behind one load balancer
// must share it (set WEIQUAN_CSRF_KEY).
func (a *app) csrfKey() ([]byte, error) {
	if a.cfg.CSRFKey != "" {
		return []byte(a.cfg.CSRFKey), nil
	}
	return a.dataDirKey("csrf.key", "the key of the forms' anti-forgery tokens",
		"delete it and restart (forms open in browsers then need a refresh)")
}

// secureCookies reports whether cookies must be marked Secure: when people
// reach the service over https (TLS usually ends at a proxy in front, so
// the public URL says it, not the listener). The scheme is compared
// parsed, so HTTPS://… counts too.
func secureCookies(publicURL string) bool {
	u, err := url.Parse(publicURL)
	return err == nil && u.Scheme == "https"
}
