package workflow

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"weiquan"
)

func TestPolicyDefault(t *testing.T) {
	got := NewPolicies().Default()
	want := Policy{
		ID:                           "order20-2022",
		AcceptDays:                   7,
		MediateDays:                  45,
		TerminationNoticeDays:        7,
		VerifyDays:                   15,
		VerifyExtensionDays:          15,
		ReporterNoticeDays:           5,
		JurisdictionDisputeDays:      7,
		ODRDays:                      10,
		StationDays:                  10,
		WarningDays:                  2,
		ComplaintLimitationYears:     3,
		TerminateMediationAtDeadline: true,
	}
	if wantFrom := sh("2020-01-01"); !got.EffectiveFrom.Equal(wantFrom) {
		t.Errorf("EffectiveFrom = %s, want %s", got.EffectiveFrom, wantFrom)
	}
	if !strings.Contains(got.Name, "第20号") {
		t.Errorf("Name = %q, want it to name Order 20", got.Name)
	}
	got.Name, got.Notes, got.EffectiveFrom = "", "", time.Time{}
	if got != want {
		t.Errorf("default policy =\n%+v\nwant\n%+v", got, want)
	}
}

func TestPolicyDeadline(t *testing.T) {
	cal := quietCalendar(t)
	p := NewPolicies().Default()
	tests := []struct {
		kind DeadlineKind
		from time.Time
		want time.Time
	}{
		{DeadlineAccept, sh("2026-11-26 10:00"), endOf("2026-12-07")},
		{DeadlineMediate, sh("2026-12-07 15:00"), endOf("2027-02-15")},
		{DeadlineTerminationNotice, sh("2026-02-10"), endOf("2026-02-26")},
		// 15 working days from Wednesday 2025-09-24: Sunday 28th counts, the
		// National Day week does not.
		{DeadlineVerify, sh("2025-09-24"), endOf("2025-10-21")},
		{DeadlineVerifyExtended, sh("2025-09-24"), endOf("2025-11-11")},
		{DeadlineReporterNotice, sh("2026-11-26"), endOf("2026-12-03")},
		{DeadlineJurisdictionDispute, sh("2026-11-26"), endOf("2026-12-07")},
		{DeadlineODR, sh("2026-11-26"), endOf("2026-12-10")},
		{DeadlineStation, sh("2026-11-26"), endOf("2026-12-10")},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			got, err := p.Deadline(cal, tt.kind, tt.from)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("Deadline(%s, %s) = %s, want %s", tt.kind, tt.from.Format(time.DateOnly),
					got.Format(time.RFC3339), tt.want.Format(time.RFC3339))
			}
		})
	}
	t.Run("unknown kind", func(t *testing.T) {
		if _, err := p.Deadline(cal, "appeal", sh("2026-11-26")); err == nil {
			t.Error("Deadline with an unknown kind succeeded")
		}
	})
}

func TestPolicyTimeBarred(t *testing.T) {
	p := NewPolicies().Default()
	tests := []struct {
		name           string
		knew, received time.Time
		want           bool
	}{
		{"well within", sh("2025-06-01"), sh("2026-11-26"), false},
		{"last day of the three years", sh("2023-03-01"), sh("2026-03-01 23:00"), false},
		{"the day after", sh("2023-03-01"), sh("2026-03-02 00:10"), true},
		{"29 February ends on 28 February", sh("2024-02-29"), sh("2027-02-28"), false},
		{"29 February, 1 March is late", sh("2024-02-29"), sh("2027-03-01"), true},
		{"Shanghai day, not UTC day", sh("2023-03-01"), time.Date(2026, 3, 1, 16, 30, 0, 0, time.UTC), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.TimeBarred(tt.knew, tt.received); got != tt.want {
				t.Errorf("TimeBarred(%s, %s) = %v, want %v", tt.knew.Format(time.DateOnly),
					tt.received.Format(time.RFC3339), got, tt.want)
			}
		})
	}
}

// order121 is what an administrator might load for the successor rules; the
// numbers are placeholders, not Order 121's.
const order121 = `{
  "id": "order121-2026",
  "name": "示例：总局令第121号（数值待确认）",
  "effective_from": "2026-04-15",
  "accept_days": 7,
  "mediate_days": 30,
  "termination_notice_days": 7,
  "verify_days": 15,
  "verify_extension_days": 15,
  "reporter_notice_days": 5,
  "jurisdiction_dispute_days": 7,
  "odr_days": 10,
  "station_days": 10,
  "warning_days": 3,
  "complaint_limitation_years": 3,
  "terminate_mediation_at_deadline": false
}`

// policyJSON is order121 with one field replaced (value "" deletes it).
func policyJSON(t *testing.T, field string, value any) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(order121), &m); err != nil {
		t.Fatal(err)
	}
	if value == "" {
		delete(m, field)
	} else {
		m[field] = value
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadPolicy(t *testing.T) {
	p, err := LoadPolicy(strings.NewReader(order121))
	if err != nil {
		t.Fatalf("LoadPolicy: %v", err)
	}
	if p.ID != "order121-2026" || p.MediateDays != 30 || p.WarningDays != 3 || p.TerminateMediationAtDeadline {
		t.Errorf("LoadPolicy = %+v", p)
	}
	if want := sh("2026-04-15"); !p.EffectiveFrom.Equal(want) {
		t.Errorf("EffectiveFrom = %s, want %s", p.EffectiveFrom, want)
	}

	t.Run("round trip through JSON", func(t *testing.T) {
		def := NewPolicies().Default()
		b, err := json.Marshal(def)
		if err != nil {
			t.Fatal(err)
		}
		got, err := LoadPolicy(strings.NewReader(string(b)))
		if err != nil {
			t.Fatalf("LoadPolicy(Marshal(default)): %v", err)
		}
		if !got.EffectiveFrom.Equal(def.EffectiveFrom) {
			t.Errorf("EffectiveFrom = %s, want %s", got.EffectiveFrom, def.EffectiveFrom)
		}
		got.EffectiveFrom, def.EffectiveFrom = time.Time{}, time.Time{}
		if got != def {
			t.Errorf("round trip = %+v, want %+v", got, def)
		}
	})
}

func TestLoadPolicyErrors(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantCode   string
		wantFields []string // JSON field names reported, when the error has Fields
		wantMsg    string   // in the Chinese message
	}{
		{"missing accept_days", policyJSON(t, "accept_days", ""), weiquan.EValidation, []string{"accept_days"}, ""},
		{"zero mediate_days", policyJSON(t, "mediate_days", 0), weiquan.EValidation, []string{"mediate_days"}, ""},
		{"negative verify_extension_days", policyJSON(t, "verify_extension_days", -1), weiquan.EValidation, []string{"verify_extension_days"}, ""},
		{"absurd station_days", policyJSON(t, "station_days", 1000), weiquan.EValidation, []string{"station_days"}, ""},
		{"missing boolean", policyJSON(t, "terminate_mediation_at_deadline", ""), weiquan.EValidation, []string{"terminate_mediation_at_deadline"}, ""},
		{"warning as long as the shortest limit", policyJSON(t, "warning_days", 7), weiquan.EValidation, []string{"warning_days"}, ""},
		{"limitation of zero years", policyJSON(t, "complaint_limitation_years", 0), weiquan.EValidation, []string{"complaint_limitation_years"}, ""},
		{"id with capitals and spaces", policyJSON(t, "id", "Order 121"), weiquan.EValidation, []string{"id"}, ""},
		{"blank name", policyJSON(t, "name", "   "), weiquan.EValidation, []string{"name"}, ""},
		{"effective_from not a date", policyJSON(t, "effective_from", "15/04/2026"), weiquan.EValidation, []string{"effective_from"}, ""},
		{"several bad fields at once", `{"id": "x"}`, weiquan.EValidation,
			[]string{"name", "effective_from", "accept_days", "mediate_days", "termination_notice_days", "verify_days",
				"verify_extension_days", "reporter_notice_days", "jurisdiction_dispute_days", "odr_days", "station_days",
				"warning_days", "complaint_limitation_years", "terminate_mediation_at_deadline"}, ""},
		{"misspelt field", strings.Replace(order121, `"odr_days"`, `"odr_day"`, 1), weiquan.EInvalid, []string{"odr_day"}, "第 12 行"},
		{"days as a string", strings.Replace(order121, `"mediate_days": 30`, `"mediate_days": "30"`, 1), weiquan.EInvalid, []string{"mediate_days"}, "第 6 行"},
		{"syntax error", strings.Replace(order121, `"verify_days": 15,`, `"verify_days": 15,,`, 1), weiquan.EInvalid, nil, "第 8 行"},
		{"trailing data", order121 + "\n{}", weiquan.EInvalid, nil, "多余内容"},
		{"empty", "", weiquan.EInvalid, nil, "为空"},
		{"array instead of object", "[]", weiquan.EInvalid, nil, ""},
		{"too large", `{"notes": "` + strings.Repeat("x", 70<<10) + `"}`, weiquan.ETooLarge, nil, "KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadPolicy(strings.NewReader(tt.body))
			if err == nil {
				t.Fatal("LoadPolicy succeeded, want an error")
			}
			var we *weiquan.Error
			if !errors.As(err, &we) {
				t.Fatalf("error %v is not a *weiquan.Error", err)
			}
			if we.Code != tt.wantCode {
				t.Errorf("code = %q, want %q (%v)", we.Code, tt.wantCode, err)
			}
			if tt.wantFields != nil {
				got := map[string]bool{}
				for f := range maps.Keys(we.Fields) {
					got[f] = true
				}
				for _, f := range tt.wantFields {
					if !got[f] {
						t.Errorf("Fields lacks %q: %v", f, we.Fields)
					}
					if fe := we.Fields[f]; fe.Message == "" || fe.Code == "" {
						t.Errorf("Fields[%q] = %+v, want a code and a message", f, fe)
					}
				}
				if len(got) != len(tt.wantFields) {
					t.Errorf("Fields = %v, want exactly %v", we.Fields, tt.wantFields)
				}
			}
			if !strings.Contains(we.Message, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", we.Message, tt.wantMsg)
			}
		})
	}
}

func TestPolicies(t *testing.T) {
	o121, err := LoadPolicy(strings.NewReader(order121))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("get unknown", func(t *testing.T) {
		_, err := NewPolicies().Get("order121-2026")
		if got := weiquan.ErrorCode(err); got != weiquan.ENotFound {
			t.Errorf("Get unknown: code %q, want %q", got, weiquan.ENotFound)
		}
	})

	t.Run("add, get, set default", func(t *testing.T) {
		ps := NewPolicies()
		if err := ps.Add(o121); err != nil {
			t.Fatalf("Add: %v", err)
		}
		got, err := ps.Get("order121-2026")
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.MediateDays != 30 {
			t.Errorf("Get.MediateDays = %d, want 30", got.MediateDays)
		}
		if got := ps.Default().ID; got != DefaultPolicyID {
			t.Errorf("Default before SetDefault = %s, want %s", got, DefaultPolicyID)
		}
		if err := ps.SetDefault("order121-2026"); err != nil {
			t.Fatalf("SetDefault: %v", err)
		}
		if got := ps.Default().ID; got != "order121-2026" {
			t.Errorf("Default = %s, want order121-2026", got)
		}
		var ids []string
		for _, p := range ps.List() {
			ids = append(ids, p.ID)
		}
		if got, want := strings.Join(ids, ","), "order121-2026,order20-2022"; got != want {
			t.Errorf("List = %s, want %s", got, want)
		}
	})

	t.Run("a case keeps the policy it was computed under", func(t *testing.T) {
		ps := NewPolicies()
		if err := ps.Add(o121); err != nil {
			t.Fatal(err)
		}
		if err := ps.SetDefault("order121-2026"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			policy string
			want   string
		}{
			{"recorded before the switch", DefaultPolicyID, DefaultPolicyID},
			{"new case gets the default", "", "order121-2026"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := ps.ForCase(&weiquan.Case{ID: "20261126000001", Policy: tt.policy})
				if err != nil {
					t.Fatal(err)
				}
				if got.ID != tt.want {
					t.Errorf("ForCase = %s, want %s", got.ID, tt.want)
				}
			})
		}
		_, err := ps.ForCase(&weiquan.Case{ID: "20261126000002", Policy: "gone"})
		if got := weiquan.ErrorCode(err); got != weiquan.ENotFound {
			t.Errorf("ForCase with an unknown policy: code %q, want %q", got, weiquan.ENotFound)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		ps := NewPolicies()
		changed := ps.Default()
		changed.MediateDays = 30
		bad := o121
		bad.AcceptDays = 0
		bad.ID = "bad"
		tests := []struct {
			name string
			err  error
			want string
		}{
			{"an ID already loaded is not redefined", ps.Add(changed), weiquan.EConflict},
			{"an invalid policy", ps.Add(bad), weiquan.EValidation},
			{"a zero Policy", ps.Add(Policy{}), weiquan.EValidation},
			{"default to an unknown policy", ps.SetDefault("nope"), weiquan.ENotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := weiquan.ErrorCode(tt.err); got != tt.want {
					t.Errorf("code %q, want %q (%v)", got, tt.want, tt.err)
				}
			})
		}
		if got := ps.Default().MediateDays; got != 45 {
			t.Errorf("default MediateDays after a refused Add = %d, want 45", got)
		}
	})

	t.Run("concurrent use", func(t *testing.T) {
		ps := NewPolicies()
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				p := o121
				p.ID = "p" + string(rune('a'+i))
				if err := ps.Add(p); err != nil {
					t.Error(err)
				}
				_ = ps.Default()
				_ = ps.List()
			})
		}
		wg.Wait()
		if got := len(ps.List()); got != 9 {
			t.Errorf("len(List) = %d, want 9", got)
		}
	})
}
