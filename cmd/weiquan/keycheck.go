package main

// Instances sharing a database must hold the same secret keys, or one
// writes what another cannot read: ID numbers sealed under a key the other
// lacks, SMS codes hashed under a key the other checks them against in
// vain, forms signed under a key the other refuses. Each key is remembered
// in the database by a check value (weiquan.KeyCheckValue, never the key)
// and a start whose keys disagree is refused.
//
// WEIQUAN_PHONE_HASH_KEY is not checked: phone hashes live only in each
// instance's own search index, which hashes the numbers it indexes and the
// numbers it is asked for under the same key (and checks that key itself),
// so instances with different keys still answer the same.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"weiquan"
	"weiquan/store"
)

const (
	// keySeenWindow: an instance that said it used a key this recently is
	// taken to be running still.
	keySeenWindow = 10 * time.Minute
	// keyCheckPII prefixes the checks of the ID number ring, one per key id.
	keyCheckPII = "pii:"
)

// keySeenEvery is how often a serving instance says it still uses its keys,
// well within keySeenWindow (a variable so that tests need not wait).
var keySeenEvery = time.Minute

// instanceName names this instance in the key checks: its host and data
// directory. A data directory serves one process at a time, so an entry
// under this name is this instance's own, from an earlier run.
func (a *app) instanceName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown-host"
	}
	dir, err := filepath.Abs(a.cfg.DataDir)
	if err != nil {
		dir = a.cfg.DataDir
	}
	return host + ":" + dir
}

// checkPIIKeys compares every key of the ring with the key of that id the
// database has recorded, and records the ids it has not seen yet (a
// rotation adds one). A key whose check differs is always refused: sealed
// ID numbers are durable, and one instance would seal what the other can
// never open. A recorded id the ring lacks is only warned about: the ring
// may have dropped it after `weiquan pii rekey` (which retires the ids no
// case uses any more), and refusing the start would stop the whole service
// where only the ID numbers still sealed under it are unreadable.
func (a *app) checkPIIKeys(ctx context.Context, ring *weiquan.KeyRing) error {
	now := clock()
	ids := ring.IDs()
	for _, id := range ids {
		check := ring.CheckValue(id)
		_, err := a.store.UpdateKeyCheck(ctx, keyCheckPII+id, func(kc *store.KeyCheck) (bool, error) {
			switch {
			case kc.Check == "":
				kc.Check, kc.SetAt = check, now
				return true, nil
			case kc.Check != check:
				return false, a.piiKeyRefused(id, kc.SetAt)
			case kc.Retired && id == ring.ActiveID():
				kc.Retired = false // sealing under it again
				return true, nil
			}
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	known, err := a.store.ListKeyChecks(ctx, keyCheckPII)
	if err != nil {
		return fmt.Errorf("ID number keys: %w", err)
	}
	var missing []string
	for _, kc := range known {
		if id := strings.TrimPrefix(kc.Name, keyCheckPII); !kc.Retired && !slices.Contains(ids, id) {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		a.log.Warn("WEIQUAN_PII_KEYS lacks keys this database has sealed ID numbers under: those cannot be opened here. "+
			"Keep them in WEIQUAN_PII_KEYS (after the active key) until `weiquan pii rekey` has sealed every case again",
			"key_ids", strings.Join(missing, ","))
	}
	return nil
}

// piiKeyRefused says which key disagrees and what to do, naming the key by
// its id and where it comes from, never by its value.
func (a *app) piiKeyRefused(id string, since time.Time) error {
	recorded := since.UTC().Format(time.RFC3339)
	configured, _ := weiquan.ParseKeyRing(a.cfg.PIIKeys)
	if configured == nil || !slices.Contains(configured.IDs(), id) {
		return fmt.Errorf("the ID number key %q generated in %s is not the key %q this database has known since %s: "+
			"ID numbers sealed under one cannot be opened with the other (each instance without WEIQUAN_PII_KEYS generates its own). "+
			"Set WEIQUAN_PII_KEYS to the same value on every instance sharing this database, holding the key the stored ID numbers were sealed under",
			id, filepath.Join(a.cfg.DataDir, piiKeyFile), id, recorded)
	}
	return fmt.Errorf("WEIQUAN_PII_KEYS: key %q is not the key %q this database has known since %s: "+
		"ID numbers sealed under one cannot be opened with the other. "+
		"Set WEIQUAN_PII_KEYS to the same value as the other instances sharing this database; a new key needs an id of its own (see Key rotation in README.md)",
		id, id, recorded)
}

// retirePIIKeys marks the ring's ids other than active as no longer used,
// after `weiquan pii rekey` sealed every case under active: a ring that then
// drops them is not warned about.
func (a *app) retirePIIKeys(ctx context.Context, active string) ([]string, error) {
	known, err := a.store.ListKeyChecks(ctx, keyCheckPII)
	if err != nil {
		return nil, err
	}
	var retired []string
	for _, kc := range known {
		id := strings.TrimPrefix(kc.Name, keyCheckPII)
		if id == active || kc.Retired {
			continue
		}
		check := kc.Check
		if _, err := a.store.UpdateKeyCheck(ctx, kc.Name, func(cur *store.KeyCheck) (bool, error) {
			if cur.Check != check || cur.Retired {
				return false, nil
			}
			cur.Retired = true
			return true, nil
		}); err != nil {
			return nil, err
		}
		retired = append(retired, id)
	}
	return retired, nil
}

// sharedKey is a secret every serving instance on one database must hold
// alike, though it may change: what it protects lives minutes (SMS codes,
// open forms).
type sharedKey struct {
	name       string // in the database
	env        string // the variable that sets it
	file       string // where it is generated when env is unset
	configured bool
	check      string
	breaks     string // what goes wrong between instances whose keys differ
	voids      string // what a change voids
}

// servingKeys loads the CSRF and SMS code keys and checks them against the
// keys the other instances use (checkSharedKey).
func (a *app) servingKeys(ctx context.Context) (csrf, otp []byte, shared []sharedKey, err error) {
	if csrf, err = a.csrfKey(); err != nil {
		return nil, nil, nil, err
	}
	if otp, err = a.otpKey(); err != nil {
		return nil, nil, nil, err
	}
	shared = []sharedKey{
		{name: "otp", env: "WEIQUAN_OTP_KEY", file: "otp.key", configured: a.cfg.OTPKey != "",
			check:  weiquan.KeyCheckValue(otp, "weiquan/otp-key-check/v1"),
			breaks: "an SMS code one instance sends fails on the other",
			voids:  "codes sent in the last 5 minutes and open tracking pages no longer work"},
		{name: "csrf", env: "WEIQUAN_CSRF_KEY", file: "csrf.key", configured: a.cfg.CSRFKey != "",
			check:  weiquan.KeyCheckValue(csrf, "weiquan/csrf-key-check/v1"),
			breaks: "a form one instance serves is refused by the other behind the load balancer",
			voids:  "forms open in browsers ask for a refresh"},
	}
	for _, k := range shared {
		if err := a.checkSharedKey(ctx, k); err != nil {
			return nil, nil, nil, err
		}
	}
	return csrf, otp, shared, nil
}

// checkSharedKey records that this instance uses k. A key that differs from
// the one recorded is refused while another instance said it used that one
// within keySeenWindow (it is running); otherwise the key was changed, and
// it replaces the recorded one with a warning.
func (a *app) checkSharedKey(ctx context.Context, k sharedKey) error {
	now, me := clock(), a.instanceName()
	var replaced *store.KeyCheck
	_, err := a.store.UpdateKeyCheck(ctx, k.name, func(kc *store.KeyCheck) (bool, error) {
		replaced = nil
		if kc.Check != "" && kc.Check != k.check {
			if other, ok := recentlySeen(kc.Seen, me, now); ok {
				return false, a.sharedKeyRefused(k, other, now)
			}
			prev := *kc
			replaced = &prev
			kc.Check, kc.Seen = "", nil
		}
		if kc.Check == "" {
			kc.Check, kc.SetAt = k.check, now
		}
		kc.Seen = seenBy(kc.Seen, me, now)
		return true, nil
	})
	if err != nil {
		return err
	}
	if replaced != nil {
		last := "never"
		if s, ok := lastSeen(replaced.Seen); ok {
			last = s.Instance + " at " + s.At.UTC().Format(time.RFC3339)
		}
		a.log.Warn(k.env+" is not the key last used on this database: it replaces that one, and "+k.voids,
			"last_used_by", last)
	}
	return nil
}

func (a *app) sharedKeyRefused(k sharedKey, other store.KeySeen, now time.Time) error {
	mine := k.env
	if !k.configured {
		mine = fmt.Sprintf("%s is unset, and the key this instance generated in %s", k.env, filepath.Join(a.cfg.DataDir, k.file))
	}
	return fmt.Errorf("%s differs from the key instance %s used %s ago on this database: %s. "+
		"Set %s to the same value as the other instances sharing this database. "+
		"To change the key, stop every instance and start them with the new one "+
		"(an instance that stopped without shutting down counts as running until %s)",
		mine, other.Instance, now.Sub(other.At).Round(time.Second), k.breaks,
		k.env, other.At.Add(keySeenWindow).UTC().Format(time.RFC3339))
}

// recentlySeen is the latest entry of another instance within keySeenWindow.
func recentlySeen(seen []store.KeySeen, me string, now time.Time) (store.KeySeen, bool) {
	var others []store.KeySeen
	for _, s := range seen {
		if s.Instance != me && now.Sub(s.At) < keySeenWindow {
			others = append(others, s)
		}
	}
	return lastSeen(others)
}

func lastSeen(seen []store.KeySeen) (store.KeySeen, bool) {
	if len(seen) == 0 {
		return store.KeySeen{}, false
	}
	return slices.MaxFunc(seen, func(x, y store.KeySeen) int { return x.At.Compare(y.At) }), true
}

// seenBy is seen with me at now, without the entries too old to matter.
func seenBy(seen []store.KeySeen, me string, now time.Time) []store.KeySeen {
	out := []store.KeySeen{{Instance: me, At: now}}
	for _, s := range seen {
		if s.Instance != me && now.Sub(s.At) < keySeenWindow {
			out = append(out, s)
		}
	}
	return out
}

// keepKeysSeen says every keySeenEvery that this instance still uses its
// keys, so that another starting with different ones is refused, and when
// ctx ends takes this instance off, so that a restart with a changed key
// need not wait out keySeenWindow.
func (a *app) keepKeysSeen(ctx context.Context, keys []sharedKey) {
	me := a.instanceName()
	tick := time.NewTicker(keySeenEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-ctx.Done():
			done, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			for _, k := range keys {
				if _, err := a.store.UpdateKeyCheck(done, k.name, func(kc *store.KeyCheck) (bool, error) {
					n := len(kc.Seen)
					kc.Seen = slices.DeleteFunc(kc.Seen, func(s store.KeySeen) bool { return s.Instance == me })
					return kc.Check == k.check && len(kc.Seen) != n, nil
				}); err != nil {
					a.log.Warn("could not record that this instance stopped using "+k.env, "err", err)
				}
			}
			return
		}
		now := clock()
		for _, k := range keys {
			replacedBy := false
			_, err := a.store.UpdateKeyCheck(ctx, k.name, func(kc *store.KeyCheck) (bool, error) {
				if kc.Check != "" && kc.Check != k.check {
					replacedBy = true
					return false, nil
				}
				if kc.Check == "" {
					kc.Check, kc.SetAt = k.check, now
				}
				kc.Seen = seenBy(kc.Seen, me, now)
				return true, nil
			})
			switch {
			case err != nil && ctx.Err() == nil:
				a.log.Warn("could not record that this instance uses "+k.env, "err", err)
			case replacedBy:
				// This instance went unseen for keySeenWindow and another
				// started with a different key meanwhile.
				a.log.Error("another instance on this database runs with a different " + k.env + ": " + k.breaks +
					". Restart this instance with the same " + k.env + " as the others")
			}
		}
	}
}
