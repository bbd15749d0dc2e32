package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"weiquan"
	"weiquan/workflow"
)

const piiTestIDNumber = "350203199001010018"

func piiTestKey(c byte) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(c), 32)))
}

// TestPIIKeysAndRekey follows an installation through its keys: first the
// generated one, then configured keys with the generated one kept for
// reading, a rotation, `weiquan pii rekey`, and the old keys dropped.
func TestPIIKeysAndRekey(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	envWith := func(keys string) func(string) string {
		return func(k string) string {
			switch k {
			case "WEIQUAN_DATA_DIR":
				return dir
			case "WEIQUAN_PII_KEYS":
				return keys
			}
			return ""
		}
	}
	// register opens the app as the service would, registers a case with
	// an ID number and returns its number.
	register := func(keys string) string {
		t.Helper()
		cfg, _, err := loadConfig(envWith(keys))
		if err != nil {
			t.Fatal(err)
		}
		logs := &syncBuffer{}
		a, err := openApp(ctx, cfg, newLogger(logs, "text", 0))
		if err != nil {
			t.Fatal(err)
		}
		defer a.close()
		draft := complaintDraft(t)
		draft.Complainant.IDNumber = piiTestIDNumber
		c, err := a.intake.Register(ctx, weiquan.Actor{UserID: "u-op", Role: weiquan.RoleOperator}, draft)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(logs.String(), piiTestIDNumber) {
			t.Errorf("the log shows the ID number: %s", logs.String())
		}
		return c.ID
	}
	// sealedWith reads the case's ID number back under keys.
	sealedWith := func(keys, id string) (string, string) {
		t.Helper()
		cfg, _, err := loadConfig(envWith(keys))
		if err != nil {
			t.Fatal(err)
		}
		a, err := openApp(ctx, cfg, newLogger(io.Discard, "text", 0))
		if err != nil {
			t.Fatal(err)
		}
		defer a.close()
		c, err := a.store.GetCase(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := a.intake.Keys.Open(c.Complainant.IDNumberSealed)
		if err != nil {
			return weiquan.SealedWith(c.Complainant.IDNumberSealed), "error: " + err.Error()
		}
		return weiquan.SealedWith(c.Complainant.IDNumberSealed), plain
	}

	// No configuration: a key is generated once, 0600, and never logged.
	first := register("")
	info, err := os.Stat(filepath.Join(dir, piiKeyFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("generated key file: %v %v", info, err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, piiKeyFile))
	if key, plain := sealedWith("", first); key != piiLocalKeyID || plain != piiTestIDNumber {
		t.Fatalf("generated key: %s %s", key, plain)
	}
	// Configured keys: new cases under k1, the generated key still opens
	// the first case.
	k1 := "k1:" + piiTestKey('1')
	second := register(k1)
	if key, plain := sealedWith(k1, second); key != "k1" || plain != piiTestIDNumber {
		t.Fatalf("configured key: %s %s", key, plain)
	}
	if _, plain := sealedWith(k1, first); plain != piiTestIDNumber {
		t.Fatalf("the generated key was not kept for reading: %s", plain)
	}
	// Rotation: k2 in front, then rekey.
	ring := "k2:" + piiTestKey('2') + "," + k1
	var out, errOut syncBuffer
	if err := Main(ctx, []string{"pii", "rekey"}, envWith(ring), strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("rekey: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "2 件的身份证号改用密钥 k2") {
		t.Errorf("rekey said %q", out.String())
	}
	if strings.Contains(errOut.String(), piiTestIDNumber) || strings.Contains(errOut.String(), piiTestKey('2')) ||
		strings.Contains(errOut.String(), strings.TrimSpace(string(raw))) {
		t.Errorf("the log shows a key or an ID number: %s", errOut.String())
	}
	// Only k2 is needed now: the old keys can go.
	for _, id := range []string{first, second} {
		if key, plain := sealedWith("k2:"+piiTestKey('2'), id); key != "k2" || plain != piiTestIDNumber {
			t.Errorf("case %s after rekey: %s %s", id, key, plain)
		}
	}
	// A second rekey has nothing to do.
	out = syncBuffer{}
	if err := Main(ctx, []string{"pii", "rekey"}, envWith(ring), strings.NewReader(""), &out, io.Discard); err != nil ||
		!strings.Contains(out.String(), "0 件") {
		t.Errorf("second rekey: %v %q", err, out.String())
	}
	// Each re-sealing is in the audit trail.
	cfg, _, _ := loadConfig(envWith(ring))
	a, err := openApp(ctx, cfg, newLogger(io.Discard, "text", 0))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	page, err := a.store.ListAudit(ctx, weiquan.AuditQuery{CaseID: first, Limit: 10})
	if err != nil || len(page.Items) == 0 || page.Items[0].Action != "id_number_resealed" {
		t.Errorf("audit of the first case: %+v %v", page, err)
	}

	// A bad ring stops the start, naming the variable but not the key.
	_, _, err = loadConfig(envWith("k1:" + base64.StdEncoding.EncodeToString([]byte("short"))))
	if err == nil || !strings.Contains(err.Error(), "WEIQUAN_PII_KEYS") {
		t.Errorf("bad ring: %v", err)
	}
}

// complaintDraft is complaint(1) as intake leaves it.
func complaintDraft(t *testing.T) weiquan.Case {
	t.Helper()
	raw, err := json.Marshal(complaint(1))
	if err != nil {
		t.Fatal(err)
	}
	c, err := workflow.DecodeIntake(raw)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
