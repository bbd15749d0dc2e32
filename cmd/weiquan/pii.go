package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"weiquan"
)

// piiKeyFile holds the key generated when WEIQUAN_PII_KEYS is unset.
const piiKeyFile = "pii.key"

// piiLocalKeyID is the key id of the generated key in sealed values.
const piiLocalKeyID = "local"

// piiKeys is the key ring that seals complainants' ID numbers:
// WEIQUAN_PII_KEYS (the active key first), else a key generated once in the
// data directory (0600). A generated key that exists beside a configured
// ring stays in it for reading, so an installation that started without
// configuration can move to configured keys and re-seal (weiquan pii rekey)
// without losing what it stored.
func (a *app) piiKeys() (*weiquan.KeyRing, error) {
	var keys []weiquan.SealKey
	if a.cfg.PIIKeys != "" {
		ring, err := weiquan.ParseKeyRing(a.cfg.PIIKeys)
		if err != nil {
			return nil, fmt.Errorf("WEIQUAN_PII_KEYS: %w", err)
		}
		path := filepath.Join(a.cfg.DataDir, piiKeyFile)
		if _, err := os.Stat(path); err != nil || containsID(ring.IDs(), piiLocalKeyID) {
			return ring, nil
		}
		// Rebuild the ring with the generated key last, for reading only.
		if keys, err = configuredKeys(a.cfg.PIIKeys); err != nil {
			return nil, err
		}
	}
	local, err := a.dataDirKey(piiKeyFile, "the key sealing ID numbers (WEIQUAN_PII_KEYS unset)",
		"restore it from a backup: the ID numbers sealed under it cannot be read without it")
	if err != nil {
		return nil, err
	}
	if len(local) != 32 {
		return nil, fmt.Errorf("%s: the key must be 32 bytes", filepath.Join(a.cfg.DataDir, piiKeyFile))
	}
	return weiquan.NewKeyRing(append(keys, weiquan.SealKey{ID: piiLocalKeyID, Key: local})...)
}

// configuredKeys parses WEIQUAN_PII_KEYS into its keys, in order.
func configuredKeys(spec string) ([]weiquan.SealKey, error) {
	var keys []weiquan.SealKey
	for _, part := range splitPaths(spec) {
		id, b64, _ := cutColon(part)
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			raw, err = base64.RawURLEncoding.DecodeString(b64)
		}
		if err != nil {
			return nil, fmt.Errorf("WEIQUAN_PII_KEYS: key %q is not base64", id)
		}
		keys = append(keys, weiquan.SealKey{ID: id, Key: raw})
	}
	return keys, nil
}

func cutColon(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// piiCmd runs `weiquan pii rekey`: every case whose ID number is sealed
// under another key than the active one is sealed again under the active
// one, so that an old key can then be removed from WEIQUAN_PII_KEYS.
func piiCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "rekey" {
		return fmt.Errorf("usage: weiquan pii rekey")
	}
	fs := flag.NewFlagSet("pii rekey", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, _, err := loadConfig(env.Getenv)
	if err != nil {
		return err
	}
	log := newLogger(env.Stderr, cfg.LogFormat, cfg.LogLevel)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.close()
	ring := a.intake.Keys
	active := ring.ActiveID()
	var total, resealed int
	for c, err := range a.store.ScanCases(ctx, time.Time{}) {
		if err != nil {
			return fmt.Errorf("rekey: %w", err)
		}
		total++
		if c.Complainant.IDNumberSealed == "" || weiquan.SealedWith(c.Complainant.IDNumberSealed) == active {
			continue
		}
		from := weiquan.SealedWith(c.Complainant.IDNumberSealed)
		changed := false
		_, err := a.store.UpdateCase(ctx, c.ID, func(cur *weiquan.Case) (bool, error) {
			sealed := cur.Complainant.IDNumberSealed
			if sealed == "" || weiquan.SealedWith(sealed) == active {
				changed = false
				return false, nil
			}
			plain, err := ring.Open(sealed)
			if err != nil {
				return false, fmt.Errorf("case %s: %w", cur.ID, err)
			}
			if cur.Complainant.IDNumberSealed, err = ring.Seal(plain); err != nil {
				return false, err
			}
			cur.UpdatedAt = clock()
			changed = true
			return true, nil
		})
		if err != nil {
			return fmt.Errorf("rekey case %s: %w", c.ID, err)
		}
		if changed {
			resealed++
			if err := a.store.InsertAudit(ctx, &weiquan.AuditEntry{ActorID: "system", Role: "system", CaseID: c.ID,
				Action: "id_number_resealed", Detail: fmt.Sprintf("身份证号改用密钥 %s 加密（原密钥 %s）", active, from)}); err != nil {
				return fmt.Errorf("rekey case %s: audit: %w", c.ID, err)
			}
		}
	}
	fmt.Fprintf(env.Stdout, "已检查 %d 件案件，%d 件的身份证号改用密钥 %s 重新加密\n", total, resealed, active)
	retired, err := a.retirePIIKeys(ctx, active)
	if err != nil {
		return fmt.Errorf("rekey: %w", err)
	}
	if len(retired) > 0 {
		log.Info("no case is sealed under these keys any more: they may be removed from WEIQUAN_PII_KEYS",
			"key_ids", strings.Join(retired, ","))
	}
	return nil
}
