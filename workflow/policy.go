package workflow

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"weiquan"
)

// Policy is one version of the time limits a case is handled under. The
// limits are data rather than constants because the rules change (SAMR Order
// 121 replaced Order 20 on 2026-04-15 and its numbers could not be confirmed
// when this was written): an administrator loads a new policy file, and every
// case keeps the ID of the policy its deadlines were computed under, so an
// old case is never silently re-timed by a new one.
//
// Day counts are working days (see Calendar), counted from the day after the
// event that starts them.
type Policy struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Notes string `json:"notes,omitempty"`
	// EffectiveFrom is when the rules the policy encodes took effect
	// (midnight Shanghai); informational, the registry's default decides which
	// policy new cases get.
	EffectiveFrom time.Time `json:"effective_from"`

	AcceptDays              int `json:"accept_days"`               // receipt → accept or reject (受理期限)
	MediateDays             int `json:"mediate_days"`              // acceptance → end of mediation
	TerminationNoticeDays   int `json:"termination_notice_days"`   // termination → both parties told
	VerifyDays              int `json:"verify_days"`               // report received → verification decided
	VerifyExtensionDays     int `json:"verify_extension_days"`     // extra verification days with approval; 0 = none
	ReporterNoticeDays      int `json:"reporter_notice_days"`      // decision → real-name reporter told
	JurisdictionDisputeDays int `json:"jurisdiction_dispute_days"` // dispute over competence → settled
	ODRDays                 int `json:"odr_days"`                  // ODR enterprise's own handling limit
	StationDays             int `json:"station_days"`              // consumer station's handling limit
	// WarningDays is how many working days before a deadline the sweeper
	// warns the unit; 0 warns only when the deadline has passed.
	WarningDays int `json:"warning_days"`

	// ComplaintLimitationYears: a complaint more than this many years after
	// the consumer knew or should have known of the harm is not accepted.
	ComplaintLimitationYears int `json:"complaint_limitation_years"`
	// TerminateMediationAtDeadline: mediation still open at mediate_by is
	// terminated by the sweeper rather than only flagged.
	TerminateMediationAtDeadline bool `json:"terminate_mediation_at_deadline"`
}

// DefaultPolicyID is the policy new cases get unless an administrator says
// otherwise: Order 20's confirmed time limits. Its station_days (10) is this
// project's choice, not the law's: a consumer rights station (消费维权服务站)
// mediates on the spot, and ten working days, the same as an ODR enterprise,
// is long enough for that and short enough that an unresolved case reaches
// the agency well inside the consumer's patience.
const DefaultPolicyID = "order20-2022"

//go:embed policies/*.json
var policyFiles embed.FS

// DeadlineKind names one of a policy's working-day limits.
type DeadlineKind string

const (
	DeadlineAccept              DeadlineKind = "accept"
	DeadlineMediate             DeadlineKind = "mediate"
	DeadlineTerminationNotice   DeadlineKind = "termination_notice"
	DeadlineVerify              DeadlineKind = "verify"
	DeadlineVerifyExtended      DeadlineKind = "verify_extended" // verify_days + verify_extension_days
	DeadlineReporterNotice      DeadlineKind = "reporter_notice"
	DeadlineJurisdictionDispute DeadlineKind = "jurisdiction_dispute"
	DeadlineODR                 DeadlineKind = "odr"
	DeadlineStation             DeadlineKind = "station"
)

// Days returns the number of working days of kind; false for an unknown kind.
func (p Policy) Days(kind DeadlineKind) (int, bool) {
	switch kind {
	case DeadlineAccept:
		return p.AcceptDays, true
	case DeadlineMediate:
		return p.MediateDays, true
	case DeadlineTerminationNotice:
		return p.TerminationNoticeDays, true
	case DeadlineVerify:
		return p.VerifyDays, true
	case DeadlineVerifyExtended:
		return p.VerifyDays + p.VerifyExtensionDays, true
	case DeadlineReporterNotice:
		return p.ReporterNoticeDays, true
	case DeadlineJurisdictionDispute:
		return p.JurisdictionDisputeDays, true
	case DeadlineODR:
		return p.ODRDays, true
	case DeadlineStation:
		return p.StationDays, true
	}
	return 0, false
}

// Deadline is the end (23:59:59 Shanghai) of the last working day of the
// limit of kind that starts with the event at from; the day of from does not
// count. Time lost to a paused mediation is added back by the caller with
// cal.AddWorkingDays(deadline, cal.WorkingDaysBetween(pausedAt, resumedAt)).
func (p Policy) Deadline(cal *Calendar, kind DeadlineKind, from time.Time) (time.Time, error) {
	n, ok := p.Days(kind)
	if !ok {
		return time.Time{}, fmt.Errorf("policy %s: unknown deadline kind %q", p.ID, kind)
	}
	return cal.AddWorkingDays(from, n), nil
}

// TimeBarred reports whether a complaint received at received comes more than
// ComplaintLimitationYears after knew, the day the consumer knew or should
// have known of the harm (Order 20, Art. 15). The period ends on the same
// calendar date N years on, or the last day of that month when it has no such
// date (29 February); a complaint received that day is still in time.
func (p Policy) TimeBarred(knew, received time.Time) bool {
	y, m, d := knew.In(weiquan.Shanghai).Date()
	y += p.ComplaintLimitationYears
	if last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day(); d > last {
		d = last
	}
	return dayOf(received) > civil(y, m, d)
}

// maxPolicyBytes bounds a policy file: the real ones are under 1 KiB.
const maxPolicyBytes = 64 << 10

var policyIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// policyFile is the on-disk form: pointers so that a missing field is told
// apart from a zero, and a date that may be written without a time.
type policyFile struct {
	ID                           *string `json:"id"`
	Name                         *string `json:"name"`
	Notes                        string  `json:"notes"`
	EffectiveFrom                *string `json:"effective_from"`
	AcceptDays                   *int    `json:"accept_days"`
	MediateDays                  *int    `json:"mediate_days"`
	TerminationNoticeDays        *int    `json:"termination_notice_days"`
	VerifyDays                   *int    `json:"verify_days"`
	VerifyExtensionDays          *int    `json:"verify_extension_days"`
	ReporterNoticeDays           *int    `json:"reporter_notice_days"`
	JurisdictionDisputeDays      *int    `json:"jurisdiction_dispute_days"`
	ODRDays                      *int    `json:"odr_days"`
	StationDays                  *int    `json:"station_days"`
	WarningDays                  *int    `json:"warning_days"`
	ComplaintLimitationYears     *int    `json:"complaint_limitation_years"`
	TerminateMediationAtDeadline *bool   `json:"terminate_mediation_at_deadline"`
}

// LoadPolicy reads a policy file: one JSON object with every field of Policy
// (notes optional), effective_from as YYYY-MM-DD or RFC 3339. Unknown fields
// and trailing data are refused, since a misspelt limit silently ignored would
// compute wrong deadlines. Syntax and type errors are *weiquan.Error EInvalid
// with line and column; bad values are EValidation with one entry in Fields per
// bad field, keyed by its JSON name.
func LoadPolicy(r io.Reader) (Policy, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPolicyBytes+1))
	if err != nil {
		return Policy{}, fmt.Errorf("read policy: %w", err)
	}
	if len(data) > maxPolicyBytes {
		return Policy{}, weiquan.Errorf(weiquan.ETooLarge, "时限政策文件超过 %d KiB", maxPolicyBytes>>10)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))

	var f policyFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Policy{}, policyDecodeError(data, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		line, col := lineCol(data, dec.InputOffset())
		return Policy{}, &weiquan.Error{Code: weiquan.EInvalid,
			Message: fmt.Sprintf("时限政策文件第 %d 行第 %d 列：JSON 对象之后还有多余内容", line, col),
			Err:     fmt.Errorf("policy: line %d, column %d: trailing data after the JSON object", line, col)}
	}
	return f.policy()
}

func (f policyFile) policy() (Policy, error) {
	v := weiquan.ValidationErrors{}
	var p Policy

	switch {
	case f.ID == nil || *f.ID == "":
		v.Add("id", "required", "缺少政策编号（id）")
	case !policyIDPattern.MatchString(*f.ID):
		v.Add("id", "invalid", "政策编号只能用小写字母、数字和 . _ -，以字母或数字开头，最长 64 个字符")
	default:
		p.ID = *f.ID
	}
	switch {
	case f.Name == nil || strings.TrimSpace(*f.Name) == "":
		v.Add("name", "required", "缺少政策名称（name）")
	case utf8.RuneCountInString(*f.Name) > 200:
		v.Add("name", "too_long", "政策名称不能超过 200 个字符")
	default:
		p.Name = strings.TrimSpace(*f.Name)
	}
	if utf8.RuneCountInString(f.Notes) > 2000 {
		v.Add("notes", "too_long", "说明不能超过 2000 个字符")
	}
	p.Notes = f.Notes
	if f.EffectiveFrom == nil || *f.EffectiveFrom == "" {
		v.Add("effective_from", "required", "缺少生效日期（effective_from）")
	} else if t, err := parsePolicyDate(*f.EffectiveFrom); err != nil {
		v.Add("effective_from", "invalid", "生效日期应为 YYYY-MM-DD，例如 2026-04-15")
	} else if t.Year() < 2000 {
		// Also catches a Policy built in code with a zero EffectiveFrom.
		v.Add("effective_from", "out_of_range", "生效日期应在 2000 年之后")
	} else {
		p.EffectiveFrom = t
	}

	days := func(name, label string, src *int, dst *int, lo int) {
		switch {
		case src == nil:
			v.Add(name, "required", fmt.Sprintf("缺少%s（%s）", label, name))
		case *src < lo || *src > 365:
			v.Add(name, "out_of_range", fmt.Sprintf("%s应在 %d 到 365 个工作日之间", label, lo))
		default:
			*dst = *src
		}
	}
	days("accept_days", "受理期限", f.AcceptDays, &p.AcceptDays, 1)
	days("mediate_days", "调解期限", f.MediateDays, &p.MediateDays, 1)
	days("termination_notice_days", "终止调解告知期限", f.TerminationNoticeDays, &p.TerminationNoticeDays, 1)
	days("verify_days", "举报核查期限", f.VerifyDays, &p.VerifyDays, 1)
	days("verify_extension_days", "核查延长期限", f.VerifyExtensionDays, &p.VerifyExtensionDays, 0)
	days("reporter_notice_days", "告知举报人期限", f.ReporterNoticeDays, &p.ReporterNoticeDays, 1)
	days("jurisdiction_dispute_days", "管辖争议处理期限", f.JurisdictionDisputeDays, &p.JurisdictionDisputeDays, 1)
	days("odr_days", "ODR 企业处理期限", f.ODRDays, &p.ODRDays, 1)
	days("station_days", "维权服务站处理期限", f.StationDays, &p.StationDays, 1)

	switch {
	case f.WarningDays == nil:
		v.Add("warning_days", "required", "缺少预警提前天数（warning_days）")
	case *f.WarningDays < 0:
		v.Add("warning_days", "out_of_range", "预警提前天数不能为负数")
	default:
		// A warning as early as the whole limit would fire the moment a case
		// arrives; it must leave at least one working day before it.
		shortest := 365
		for _, n := range []int{p.AcceptDays, p.MediateDays, p.VerifyDays, p.ODRDays, p.StationDays} {
			if n > 0 {
				shortest = min(shortest, n)
			}
		}
		if *f.WarningDays >= shortest {
			v.Add("warning_days", "out_of_range", fmt.Sprintf("预警提前天数应小于最短的处理期限（%d 个工作日）", shortest))
		} else {
			p.WarningDays = *f.WarningDays
		}
	}
	switch {
	case f.ComplaintLimitationYears == nil:
		v.Add("complaint_limitation_years", "required", "缺少投诉时效（complaint_limitation_years）")
	case *f.ComplaintLimitationYears < 1 || *f.ComplaintLimitationYears > 20:
		v.Add("complaint_limitation_years", "out_of_range", "投诉时效应在 1 到 20 年之间")
	default:
		p.ComplaintLimitationYears = *f.ComplaintLimitationYears
	}
	if f.TerminateMediationAtDeadline == nil {
		v.Add("terminate_mediation_at_deadline", "required", "缺少调解期满是否终止调解（terminate_mediation_at_deadline）")
	} else {
		p.TerminateMediationAtDeadline = *f.TerminateMediationAtDeadline
	}
	if len(v) > 0 {
		// One message listing every problem: a policy file is read at start-up
		// or by an administrator, who sees this message rather than a form.
		names := slices.Sorted(maps.Keys(v))
		msgs := make([]string, 0, len(names))
		for _, n := range names {
			msgs = append(msgs, v[n].Message)
		}
		return Policy{}, &weiquan.Error{Code: weiquan.EValidation,
			Message: "时限政策文件有误：" + strings.Join(msgs, "；"),
			Fields:  map[string]weiquan.FieldError(v),
			Err:     fmt.Errorf("policy %q: invalid fields %s", p.ID, strings.Join(names, ", "))}
	}
	return p, nil
}

// Validate checks a Policy built in code (for example by a test or an admin
// API) by the same rules as LoadPolicy.
func (p Policy) Validate() error {
	_, err := p.normalized()
	return err
}

// normalized runs p through the file rules, so that a Policy built in code
// and one read from a file are checked and stored alike.
func (p Policy) normalized() (Policy, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return Policy{}, fmt.Errorf("policy %s: %w", p.ID, err)
	}
	return LoadPolicy(bytes.NewReader(b))
}

func parsePolicyDate(s string) (time.Time, error) {
	if t, err := time.ParseInLocation(time.DateOnly, s, weiquan.Shanghai); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.In(weiquan.Shanghai), nil
}

func policyDecodeError(data []byte, err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		line, col := lineCol(data, syn.Offset)
		return &weiquan.Error{Code: weiquan.EInvalid,
			Message: fmt.Sprintf("时限政策文件第 %d 行第 %d 列：JSON 格式错误", line, col),
			Err:     fmt.Errorf("policy: line %d, column %d: %w", line, col, err)}
	case errors.As(err, &typ):
		line, col := lineCol(data, typ.Offset)
		return &weiquan.Error{Code: weiquan.EInvalid,
			Message: fmt.Sprintf("时限政策文件第 %d 行第 %d 列：字段 %s 的类型不对", line, col, typ.Field),
			Fields:  map[string]weiquan.FieldError{typ.Field: {Code: "wrong_type", Message: "类型不对：" + jsonTypeHint(typ.Field)}},
			Err:     fmt.Errorf("policy: line %d, column %d: %w", line, col, err)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &weiquan.Error{Code: weiquan.EInvalid, Message: "时限政策文件为空或不完整",
			Err: fmt.Errorf("policy: %w", err)}
	}
	// encoding/json reports an unknown field only as text: `json: unknown field "x"`.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		line, col := lineCol(data, keyOffset(data, name))
		return &weiquan.Error{Code: weiquan.EInvalid,
			Message: fmt.Sprintf("时限政策文件第 %d 行：未知字段 %s", line, name),
			Fields:  map[string]weiquan.FieldError{name: {Code: "unknown_field", Message: "未知字段，请检查拼写"}},
			Err:     fmt.Errorf("policy: line %d, column %d: %w", line, col, err)}
	}
	return &weiquan.Error{Code: weiquan.EInvalid, Message: "时限政策文件不是有效的 JSON 对象",
		Err: fmt.Errorf("policy: %w", err)}
}

// keyOffset finds where a top-level key of a JSON object starts, because
// encoding/json reports an unknown field only once the whole object is read.
func keyOffset(data []byte, key string) int64 {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0
	}
	for dec.More() {
		before := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return 0
		}
		if k, _ := tok.(string); k == key {
			// before is the end of the previous value (or of '{'); the key
			// itself starts after the comma and whitespace that follow.
			rest := data[before:]
			i := bytes.IndexByte(rest, '"')
			return before + int64(max(i, 0))
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return 0
		}
	}
	return 0
}

func jsonTypeHint(field string) string {
	switch {
	case field == "terminate_mediation_at_deadline":
		return "应为 true 或 false"
	case strings.HasSuffix(field, "_days"), strings.HasSuffix(field, "_years"):
		return "应为整数"
	}
	return "应为字符串"
}

// lineCol turns a byte offset into a 1-based line and column (in characters).
func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[lineStart:]) + 1
}

// Policies is the registry of loaded policies. The zero value is not usable;
// NewPolicies starts it with the embedded defaults. Safe for concurrent use.
type Policies struct {
	mu        sync.RWMutex
	byID      map[string]Policy
	defaultID string
}

// NewPolicies returns a registry holding the policies embedded in the binary
// (policies/*.json), with DefaultPolicyID as the default.
func NewPolicies() *Policies {
	ps := &Policies{byID: make(map[string]Policy), defaultID: DefaultPolicyID}
	for _, p := range embeddedPolicies() {
		ps.byID[p.ID] = p
	}
	return ps
}

var embeddedPolicies = sync.OnceValue(func() []Policy {
	entries, err := policyFiles.ReadDir("policies")
	if err != nil {
		panic(fmt.Sprintf("workflow: embedded policies: %v", err))
	}
	var out []Policy
	for _, e := range entries {
		b, err := policyFiles.ReadFile("policies/" + e.Name())
		if err != nil {
			panic(fmt.Sprintf("workflow: embedded policy %s: %v", e.Name(), err))
		}
		p, err := LoadPolicy(bytes.NewReader(b))
		if err != nil {
			// The embedded files are part of the build and tested; a bad one is
			// a programming error, not something to run with.
			panic(fmt.Sprintf("workflow: embedded policy %s: %v", e.Name(), err))
		}
		out = append(out, p)
	}
	return out
})

// Get returns the policy with that ID; ENotFound when none is loaded.
func (ps *Policies) Get(id string) (Policy, error) {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	p, ok := ps.byID[id]
	if !ok {
		return Policy{}, &weiquan.Error{Code: weiquan.ENotFound, Message: fmt.Sprintf("未找到时限政策 %q", id),
			Err: fmt.Errorf("policy %q not loaded", id)}
	}
	return p, nil
}

// Default returns the policy new cases are computed under.
func (ps *Policies) Default() Policy {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	return ps.byID[ps.defaultID]
}

// ForCase returns the policy a case was computed under, or the default when
// the case has none yet (the caller then records its ID in c.Policy). A case
// keeps its policy for its whole life so that, say, mediate_by is counted by
// the same rules as the accept_by before it.
func (ps *Policies) ForCase(c *weiquan.Case) (Policy, error) {
	if c.Policy == "" {
		return ps.Default(), nil
	}
	p, err := ps.Get(c.Policy)
	if err != nil {
		return Policy{}, fmt.Errorf("case %s: %w", c.ID, err)
	}
	return p, nil
}

// Add validates p and registers it. An ID that is already loaded is refused
// (EConflict) rather than replaced: cases record the ID, and changing what an
// ID means would re-time them behind everyone's back. A changed policy gets a
// new ID.
func (ps *Policies) Add(p Policy) error {
	p, err := p.normalized()
	if err != nil {
		return fmt.Errorf("add policy: %w", err)
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if _, ok := ps.byID[p.ID]; ok {
		return &weiquan.Error{Code: weiquan.EConflict,
			Message: fmt.Sprintf("时限政策 %q 已存在；修改后的政策请使用新的编号", p.ID),
			Err:     fmt.Errorf("policy %q already loaded", p.ID)}
	}
	ps.byID[p.ID] = p
	return nil
}

// SetDefault makes a loaded policy the one new cases get; cases already
// computed keep theirs.
func (ps *Policies) SetDefault(id string) error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if _, ok := ps.byID[id]; !ok {
		return &weiquan.Error{Code: weiquan.ENotFound, Message: fmt.Sprintf("未找到时限政策 %q", id),
			Err: fmt.Errorf("set default policy: %q not loaded", id)}
	}
	ps.defaultID = id
	return nil
}

// List returns every loaded policy ordered by ID.
func (ps *Policies) List() []Policy {
	ps.mu.RLock()
	defer ps.mu.RUnlock()
	out := make([]Policy, 0, len(ps.byID))
	for _, p := range ps.byID {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Policy) int { return strings.Compare(a.ID, b.ID) })
	return out
}
