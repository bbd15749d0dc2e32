package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCSRFKeyKeptInTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	a := &app{cfg: Config{DataDir: filepath.Join(dir, "data")}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	first, err := a.csrfKey()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "data", "csrf.key")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("got mode %v, want 0600", st.Mode().Perm())
	}
	if len(first) != 32 {
		t.Errorf("got a %d-byte key, want 32", len(first))
	}
	again, err := a.csrfKey()
	if err != nil || !bytes.Equal(again, first) {
		t.Errorf("a restart got another key (%v): open forms would stop working", err)
	}

	t.Run("configured key wins and leaves the file alone", func(t *testing.T) {
		b := &app{cfg: Config{DataDir: filepath.Join(dir, "data"), CSRFKey: "configured-csrf-key-123"}, log: a.log}
		got, err := b.csrfKey()
		if err != nil || string(got) != "configured-csrf-key-123" {
			t.Errorf("got %q %v", got, err)
		}
	})

	t.Run("a damaged file stops the start with what to do", func(t *testing.T) {
		if err := os.WriteFile(path, []byte("not hex\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := a.csrfKey()
		if err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "delete it") {
			t.Errorf("got %v", err)
		}
	})
}

func TestSecureCookiesFollowThePublicURL(t *testing.T) {
	for _, tt := range []struct {
		publicURL string
		want      bool
	}{
		{"", false}, // default http://<addr>
		{"http://weiquan.example.org", false},
		{"https://weiquan.example.org", true},
		{"HTTPS://weiquan.example.org/", true},
	} {
		t.Run(tt.publicURL, func(t *testing.T) {
			cfg, _, err := loadConfig(func(k string) string {
				if k == "WEIQUAN_PUBLIC_URL" {
					return tt.publicURL
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := secureCookies(cfg.PublicURL); got != tt.want {
				t.Errorf("public URL %q: got Secure %v, want %v", cfg.PublicURL, got, tt.want)
			}
		})
	}
}
