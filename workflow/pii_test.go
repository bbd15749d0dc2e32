package workflow

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"testing"

	"weiquan"
)

// piiTestID is a valid resident ID number (GB 11643 check character).
const piiTestID = "350203199001010018"

func TestIntakeIDNumber(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string // normalised, or "" when refused
	}{
		{piiTestID, piiTestID},
		{"35020319900101123x", "35020319900101123X"},
		{"３５０２０３１９９００１０１００１８", piiTestID},
		{"350203 19900101 0018", piiTestID},
		{"350203199001010017", ""}, // wrong check character
		{"35020319900101001", ""},  // 17 characters
		{"35020319900101001Y", ""},
	} {
		b := intakeTestBody(t)
		b["complainant"].(map[string]any)["id_number"] = tc.in
		c, err := DecodeIntake(intakeMarshal(t, b))
		if tc.want == "" {
			codes := intakeFieldCodes(t, err, weiquan.EValidation)
			if codes["complainant.id_number"] != CodeInvalidIDNumber {
				t.Errorf("%q: codes %v", tc.in, codes)
			}
			var e *weiquan.Error
			if ok := asError(err, &e); !ok || !strings.Contains(e.Fields["complainant.id_number"].Message, "身份证号") {
				t.Errorf("%q: message %v", tc.in, err)
			}
			continue
		}
		if err != nil || c.Complainant.IDNumber != tc.want {
			t.Errorf("%q: got %q, %v", tc.in, c.Complainant.IDNumber, err)
		}
	}
}

func asError(err error, target **weiquan.Error) bool {
	e, ok := err.(*weiquan.Error)
	*target = e
	return ok
}

// memAuditor keeps entries in memory.
type memAuditor struct {
	mu      sync.Mutex
	entries []weiquan.AuditEntry
}

func (m *memAuditor) InsertAudit(_ context.Context, e *weiquan.AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries, *e)
	return nil
}

func (m *memAuditor) actions() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, e := range m.entries {
		out = append(out, e.ActorID+":"+e.Action)
	}
	return out
}

func TestRegisterSealsIDNumberAndAudits(t *testing.T) {
	f := newMachineFixture(t)
	ring, err := weiquan.ParseKeyRing("k1:" + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))))
	if err != nil {
		t.Fatal(err)
	}
	audit := &memAuditor{}
	f.intake.Keys, f.intake.Audit, f.engine.Audit = ring, audit, audit
	ctx := context.Background()
	draft := machineDraft(t, weiquan.KindComplaint)
	draft.Complainant.IDNumber = piiTestID
	op := machineOperator
	op.Address = "10.1.2.3"
	c, err := f.intake.RegisterAt(ctx, op, draft, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if c.Complainant.IDNumber != "" || c.Complainant.IDNumberMasked != "3502**********0018" ||
		weiquan.SealedWith(c.Complainant.IDNumberSealed) != "k1" {
		t.Fatalf("registered complainant: %+v", c.Complainant)
	}
	// What the store holds: the sealed and masked forms, never the number.
	raw, err := f.store.CaseDocument(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, piiTestID) || !strings.Contains(raw, "3502**********0018") {
		t.Fatalf("stored document: %s", raw)
	}
	stored, err := f.store.GetCase(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ring.Open(stored.Complainant.IDNumberSealed); err != nil || got != piiTestID {
		t.Fatalf("open stored: %q %v", got, err)
	}
	routed, err := f.engine.RouteNew(ctx, stored)
	if err != nil {
		t.Fatal(err)
	}
	off := machineOfficer(routed)
	f.act(t, routed, off, ActionAccept, ActionRequest{})
	got := audit.actions()
	want := []string{"u-op-1:" + weiquan.AuditCaseCreated, "system:route", off.UserID + ":accept"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("audit = %v, want %v", got, want)
	}
	first := audit.entries[0]
	if first.Address != "10.1.2.3" || first.CaseID != c.ID || first.Role != weiquan.RoleOperator {
		t.Errorf("created entry %+v", first)
	}
	if e := audit.entries[2]; !strings.Contains(e.Detail, "assigned → accepted") || e.CaseID != c.ID {
		t.Errorf("accept entry %+v", e)
	}
	for _, e := range audit.entries {
		if strings.Contains(e.Detail, piiTestID) || strings.Contains(e.Detail, "13800138000") {
			t.Errorf("audit detail has personal data: %+v", e)
		}
	}

	// A consumer filing online has no account: the entry names them by
	// their address.
	if _, err := f.intake.RegisterAt(ctx, weiquan.Actor{Address: "203.0.113.9"}, machineDraft(t, weiquan.KindComplaint), f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if e := audit.entries[len(audit.entries)-1]; e.ActorID != AuditConsumer || e.Address != "203.0.113.9" {
		t.Errorf("consumer's entry %+v", e)
	}

	// Without keys an ID number is refused, and nothing is stored.
	f.intake.Keys = nil
	if _, err := f.intake.RegisterAt(ctx, op, draft, f.clock.Now()); weiquan.ErrorCode(err) != weiquan.EUnavailable {
		t.Fatalf("no keys: %v", err)
	}
}
