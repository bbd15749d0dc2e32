package workflow

// Administration at run time (issue 6/7): staff accounts, units, routing
// rules and deadline policies, changed by an administrator without a restart
// and kept in the store so that a restart keeps them.
//
// Live changes. Requests read the units and the rules concurrently. A
// change builds a complete new snapshot (a unitSet, a ruleSet parsed
// against it), validates it, stores it, and only then swaps it in with one
// atomic pointer store each; a reader sees the old set or the new one,
// never a mixture. Changes themselves are serialised by Admin.mu. Other
// instances sharing the database apply them at their next Refresh.
//
// Start-up (Restore). The configuration (WEIQUAN_UNITS_FILE,
// WEIQUAN_RULES_FILE, WEIQUAN_POLICY_FILES, WEIQUAN_DEFAULT_POLICY, or the
// shipped defaults) is the base; what administrators changed is laid over
// it, with one rule: whichever was changed last wins.
//   - Rules and the default policy record a fingerprint of the configured
//     value they replaced (for rules: the WEIQUAN_RULES_FILE path and its
//     text, or the shipped text). If the configuration still says the same, the
//     administrator's version applies; if someone has since changed the file
//     or the setting, the configuration applies and the start-up log and the
//     admin page say that the administrator's version was set aside (it
//     stays stored, and saving the rules again makes it current).
//   - Units edited or added by administrators are laid over the configured
//     units one by one; one that no longer fits (its parent was removed
//     from the file, say) is skipped with a warning.
//   - Policies administrators loaded are added beside the configured ones;
//     an ID the configuration already loads keeps the configured version
//     (an ID never changes meaning, see Policies.Add).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"weiquan"
)

// AdminStore is what administration needs from the system of record.
type AdminStore interface {
	ListUsers(ctx context.Context) ([]weiquan.User, error)
	GetUser(ctx context.Context, id string) (*weiquan.User, error)
	UpdateUserAccess(ctx context.Context, id string, role weiquan.Role, unitIDs []string, disabled bool) error
	UpdateUserPassword(ctx context.Context, id, hash string, at time.Time) error
	DeleteUserSessions(ctx context.Context, userID string) error
	UpsertUnits(ctx context.Context, units []weiquan.Unit) error
	PutSetting(ctx context.Context, st *weiquan.Setting) error
	GetSetting(ctx context.Context, id string) (*weiquan.Setting, error)
	ListSettings(ctx context.Context, prefix string) ([]weiquan.Setting, error)
}

// Setting IDs (weiquan.Setting).
const (
	settingRules         = "rules"
	settingDefaultPolicy = "default_policy"
	settingPolicyPrefix  = "policy:"
	settingUnitPrefix    = "unit:"
)

// Where the rules, a policy or a unit came from (RulesInfo.Source,
// PolicyInfo.Source, UnitInfo.Source).
const (
	SourceBuiltIn = "builtin" // shipped in the binary
	SourceFile    = "file"    // a configured file
	SourceAdmin   = "admin"   // changed by an administrator
)

// Admin changes accounts, units, rules and policies while the service runs.
// Units, Router and Policies are the very values the engine and the
// handlers hold: a change reaches them at once.
type Admin struct {
	Store    AdminStore
	Accounts *Accounts
	Units    *Units
	Router   *Router
	Policies *Policies
	Now      func() time.Time
	Log      *slog.Logger

	mu sync.Mutex // serialises changes; guards the fields below
	// base is the configured rules (file or shipped) and its fingerprint.
	base          RulesInfo
	baseFP        string
	baseUnits     *unitSet // the configured units, before administrators' changes
	rules         RulesInfo
	defaultBase   string            // the configured default policy ID
	policySources map[string]string // policy ID → Source
	unitEdits     map[string]weiquan.Setting
}

// RulesInfo describes the routing rules in force.
type RulesInfo struct {
	Name   string `json:"name"` // file name shown in errors
	Text   string `json:"text"`
	Source string `json:"source"` // SourceBuiltIn, SourceFile, SourceAdmin
	// ConfigFile is WEIQUAN_RULES_FILE when set.
	ConfigFile string    `json:"config_file,omitempty"`
	SavedBy    string    `json:"saved_by,omitempty"`
	SavedAt    time.Time `json:"saved_at,omitzero"`
	// SetAside is set when an administrator's rules were stored but the
	// configured file changed after them, so the file applies (see Restore).
	SetAside *weiquan.Setting `json:"set_aside,omitempty"`
}

// AdminBase is the configuration Restore lays the stored changes over.
type AdminBase struct {
	RulesName string // e.g. fujian.rules
	RulesText string
	RulesFile string // WEIQUAN_RULES_FILE, or "" for the shipped rules
	// DefaultPolicy is WEIQUAN_DEFAULT_POLICY ("" = DefaultPolicyID).
	DefaultPolicy string
	// PolicyFiles are the IDs loaded from WEIQUAN_POLICY_FILES.
	PolicyFiles []string
}

func fingerprint(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:8])
}

// now is the time a change is saved at, to the millisecond as the
// database keeps it (Refresh compares them).
func (a *Admin) now() time.Time {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	return weiquan.InShanghai(now()).Truncate(time.Millisecond)
}

func (a *Admin) logger() *slog.Logger {
	if a.Log == nil {
		return slog.Default()
	}
	return a.Log
}

// Restore records the configuration and lays the changes administrators
// stored over it (see the top of this file). It runs once, before the
// service takes requests.
func (a *Admin) Restore(ctx context.Context, base AdminBase) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if base.RulesName == "" {
		base.RulesName, base.RulesText = DefaultRules()
	}
	source := SourceBuiltIn
	if base.RulesFile != "" {
		source = SourceFile
	}
	a.base = RulesInfo{Name: base.RulesName, Text: base.RulesText, Source: source, ConfigFile: base.RulesFile}
	// The file's path counts too: configuring a file is a deliberate
	// change even when it holds what the administrator started from.
	a.baseFP = fingerprint(base.RulesFile + "\x00" + base.RulesText)
	a.baseUnits = a.Units.set()
	a.rules = a.base
	a.defaultBase = base.DefaultPolicy
	if a.defaultBase == "" {
		a.defaultBase = DefaultPolicyID
	}
	a.policySources = map[string]string{}
	for _, p := range a.Policies.List() {
		a.policySources[p.ID] = SourceBuiltIn
	}
	for _, id := range base.PolicyFiles {
		a.policySources[id] = SourceFile
	}
	a.unitEdits = map[string]weiquan.Setting{}
	return a.apply(ctx, true)
}

// Refresh applies what administrators changed through another instance
// sharing the database (each instance applies its own changes at once). It
// does nothing before Restore.
func (a *Admin) Refresh(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.baseUnits == nil {
		return nil
	}
	return a.apply(ctx, false)
}

// RefreshEvery calls Refresh periodically until ctx ends.
func (a *Admin) RefreshEvery(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Refresh(ctx); err != nil && ctx.Err() == nil {
				a.logger().Warn("administrators' changes: refresh failed", "err", err)
			}
		}
	}
}

// apply lays the stored changes over the configuration and swaps in what
// differs from what is in force. At start-up it explains in the log what
// it set aside; later it only says when it applied something.
func (a *Admin) apply(ctx context.Context, startup bool) error {
	log := a.logger()
	warn := func(msg string, args ...any) {
		if startup {
			log.Warn(msg, args...)
		}
	}

	// Units first: the rules are parsed against them.
	edits, err := a.Store.ListSettings(ctx, settingUnitPrefix)
	if err != nil {
		return fmt.Errorf("restore units: %w", err)
	}
	set := a.baseUnits
	unitEdits := map[string]weiquan.Setting{}
	for _, st := range edits {
		if st.Unit == nil {
			continue
		}
		next, err := unitWith(set, *st.Unit)
		if err != nil {
			warn("a unit an administrator saved no longer fits the configured units: skipped",
				"unit", st.Unit.ID, "saved_by", st.SavedBy, "err", err)
			continue
		}
		set = next
		unitEdits[st.Unit.ID] = st
	}

	rules := a.base
	text, name := a.base.Text, a.base.Name
	stored, err := a.Store.GetSetting(ctx, settingRules)
	switch {
	case weiquan.ErrorCode(err) == weiquan.ENotFound:
	case err != nil:
		return fmt.Errorf("restore rules: %w", err)
	case stored.Base != a.baseFP:
		rules.SetAside = stored
		warn("routing rules saved by an administrator were made over another rules file: the configured file applies",
			"saved_by", stored.SavedBy, "saved_at", stored.SavedAt, "file", a.base.Name)
	default:
		text, name = stored.Text, adminRulesName
		rules = RulesInfo{Name: name, Text: text, Source: SourceAdmin, ConfigFile: a.base.ConfigFile,
			SavedBy: stored.SavedBy, SavedAt: stored.SavedAt}
		if startup {
			log.Info("routing rules: an administrator's version applies", "saved_by", stored.SavedBy, "saved_at", stored.SavedAt)
		}
	}
	if startup || !sameEdits(unitEdits, a.unitEdits) || !sameRules(rules, a.rules) {
		rs, err := parseRules(strings.NewReader(text), name, set)
		if err != nil && rules.Source == SourceAdmin {
			warn("routing rules saved by an administrator no longer load: the configured rules apply", "err", err)
			rules = a.base
			rs, err = parseRules(strings.NewReader(a.base.Text), a.base.Name, set)
		}
		if err != nil {
			return fmt.Errorf("restore rules: %w", err)
		}
		a.Units.cur.Store(set)
		a.Router.cur.Store(rs)
		a.unitEdits, a.rules = unitEdits, rules
		if !startup {
			log.Info("administrators' changes made on another instance applied: units and routing rules")
		}
	}

	policies, err := a.Store.ListSettings(ctx, settingPolicyPrefix)
	if err != nil {
		return fmt.Errorf("restore policies: %w", err)
	}
	sources := maps.Clone(a.policySources)
	for _, st := range policies {
		p, err := LoadPolicy(strings.NewReader(st.Text))
		if err != nil {
			warn("a deadline policy an administrator loaded no longer loads: skipped", "setting", st.ID, "err", err)
			continue
		}
		if _, err := a.Policies.Get(p.ID); err == nil {
			if sources[p.ID] != SourceAdmin {
				warn("a deadline policy an administrator loaded has the ID of a configured one: the configured one applies", "policy", p.ID)
			}
			continue
		}
		if err := a.Policies.Add(p); err != nil {
			warn("a deadline policy an administrator loaded no longer loads: skipped", "setting", st.ID, "err", err)
			continue
		}
		sources[p.ID] = SourceAdmin
		if !startup {
			log.Info("a deadline policy loaded on another instance applied", "policy", p.ID)
		}
	}
	a.policySources = sources
	def, err := a.Store.GetSetting(ctx, settingDefaultPolicy)
	switch {
	case weiquan.ErrorCode(err) == weiquan.ENotFound:
	case err != nil:
		return fmt.Errorf("restore default policy: %w", err)
	case def.Base != a.defaultBase:
		warn("the default policy an administrator chose was set over another configured default: the configured one applies",
			"chosen", def.Text, "configured", a.defaultBase)
	case def.Text == a.Policies.Default().ID:
	default:
		if err := a.Policies.SetDefault(def.Text); err != nil {
			warn("the default policy an administrator chose is not loaded: the configured one applies", "policy", def.Text)
		} else if !startup {
			log.Info("the default policy chosen on another instance applied", "policy", def.Text)
		}
	}
	return nil
}

// sameEdits reports whether two sets of unit settings are the same saves.
func sameEdits(a, b map[string]weiquan.Setting) bool {
	if len(a) != len(b) {
		return false
	}
	for id, x := range a {
		y, ok := b[id]
		if !ok || !x.SavedAt.Equal(y.SavedAt) || x.SavedBy != y.SavedBy {
			return false
		}
	}
	return true
}

// sameRules reports whether two descriptions are of the same rules.
func sameRules(a, b RulesInfo) bool {
	return a.Source == b.Source && a.Text == b.Text && a.SavedAt.Equal(b.SavedAt) && (a.SetAside == nil) == (b.SetAside == nil)
}

// adminRulesName names the administrator's rules in errors and decisions.
const adminRulesName = "admin.rules"

// ---- Rules ----

// Rules describes the rules in force.
func (a *Admin) Rules() RulesInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	info := a.rules
	if info.Text == "" {
		// Restore did not run (tests wiring an Admin by hand): the router
		// knows its text.
		info.Name, info.Text = a.Router.Text()
		info.Source = SourceBuiltIn
	}
	return info
}

// CheckRules parses a rules text against the units in force; the error is
// an EValidation *weiquan.Error naming every bad line (RuleLineErrors).
func (a *Admin) CheckRules(text string) error {
	_, err := a.parse(text)
	return err
}

func (a *Admin) parse(text string) (*ruleSet, error) {
	if strings.TrimSpace(text) == "" {
		return nil, weiquan.ValidationErrors{"rules": {Code: "required", Message: "规则内容不能为空"}}.Err()
	}
	return parseRules(strings.NewReader(text), adminRulesName, a.Units.set())
}

// DryRun routes a case with a rules text without saving anything: the same
// decision and explanation routing would give if the text were in force.
func (a *Admin) DryRun(text string, c *weiquan.Case) (Decision, error) {
	rs, err := a.parse(text)
	if err != nil {
		return Decision{}, err
	}
	return rs.Route(c), nil
}

// SaveRules validates a rules text, stores it and puts it in force for the
// next case routed.
func (a *Admin) SaveRules(ctx context.Context, text, by string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	rs, err := a.parse(text)
	if err != nil {
		return err
	}
	st := &weiquan.Setting{ID: settingRules, Text: text, Base: a.baseFPOrCurrent(), SavedBy: by, SavedAt: a.now()}
	if err := a.Store.PutSetting(ctx, st); err != nil {
		return fmt.Errorf("save rules: %w", err)
	}
	a.Router.cur.Store(rs)
	a.rules = RulesInfo{Name: adminRulesName, Text: text, Source: SourceAdmin, ConfigFile: a.base.ConfigFile,
		SavedBy: by, SavedAt: st.SavedAt}
	return nil
}

// baseFPOrCurrent is the fingerprint of the configured rules; before
// Restore, that of the rules in force.
func (a *Admin) baseFPOrCurrent() string {
	if a.baseFP == "" {
		_, text := a.Router.Text()
		return fingerprint("\x00" + text)
	}
	return a.baseFP
}

// RuleLineErrors lists the located problems of a rules (or units) error,
// in file order; nil when err carries none.
func RuleLineErrors(err error) []*LineError {
	var out []*LineError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		var le *LineError
		if errors.As(e, &le) && le == e {
			out = append(out, le)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		walk(errors.Unwrap(e))
	}
	walk(err)
	return out
}

// ---- Units ----

// UnitInfo is a unit and who last changed it.
type UnitInfo struct {
	weiquan.Unit
	Source  string    `json:"source"` // SourceAdmin when an administrator saved it, else ""
	SavedBy string    `json:"saved_by,omitempty"`
	SavedAt time.Time `json:"saved_at,omitzero"`
}

// ListUnits returns every unit in force, by ID, with who changed it.
func (a *Admin) ListUnits() []UnitInfo {
	a.mu.Lock()
	edits := a.unitEdits
	a.mu.Unlock()
	all := a.Units.All()
	out := make([]UnitInfo, len(all))
	for i, u := range all {
		out[i] = UnitInfo{Unit: u}
		if st, ok := edits[u.ID]; ok {
			out[i].Source, out[i].SavedBy, out[i].SavedAt = SourceAdmin, st.SavedBy, st.SavedAt
		}
	}
	return out
}

// EditableUnitTypes are what administrators add and edit here; agencies
// and dispatch centres come from the division table and the units file.
var EditableUnitTypes = []weiquan.UnitType{weiquan.UnitStation, weiquan.UnitArbitration, weiquan.UnitEnterprise}

// SaveUnit adds a station, arbitration body or ODR enterprise, or replaces
// one with the same ID, validated as the units file is. It is stored and in
// force for the next case routed. created reports a new ID.
func (a *Admin) SaveUnit(ctx context.Context, u weiquan.Unit, by string) (created bool, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur := a.Units.set()
	_, exists := cur.byID[u.ID]
	next, err := unitWith(cur, u)
	if err != nil {
		return false, err
	}
	name, text := a.Router.Text()
	rs, err := parseRules(strings.NewReader(text), name, next)
	if err != nil {
		// The rules name units by ID and check their type; an edit cannot
		// remove a unit or change its type, so this is not expected.
		return false, weiquan.WrapError(weiquan.EConflict, "修改后的单位与现行分派规则不符："+weiquan.ErrorMessage(err), err)
	}
	st := &weiquan.Setting{ID: settingUnitPrefix + u.ID, Unit: &u, SavedBy: by, SavedAt: a.now()}
	if err := a.Store.PutSetting(ctx, st); err != nil {
		return false, fmt.Errorf("save unit %s: %w", u.ID, err)
	}
	if err := a.Store.UpsertUnits(ctx, []weiquan.Unit{u}); err != nil {
		return false, fmt.Errorf("save unit %s: %w", u.ID, err)
	}
	a.Units.cur.Store(next)
	a.Router.cur.Store(rs)
	if a.unitEdits == nil {
		a.unitEdits = map[string]weiquan.Setting{}
	} else {
		a.unitEdits = maps.Clone(a.unitEdits)
	}
	a.unitEdits[u.ID] = *st
	return !exists, nil
}

// unitWith validates u against set and returns a new set with u added or
// replaced. Problems are EValidation with one field each (the JSON names of
// weiquan.Unit).
func unitWith(set *unitSet, u weiquan.Unit) (*unitSet, error) {
	v := weiquan.ValidationErrors{}
	add := func(field, code, msg string) {
		if _, dup := v[field]; !dup {
			v.Add(field, code, msg)
		}
	}
	switch {
	case u.ID == "":
		add("id", "required", "请填写单位编号")
	case !unitIDPattern.MatchString(u.ID):
		add("id", "invalid", "单位编号应为 2 到 64 个小写字母、数字或连字符，并以字母开头")
	}
	unitCheckFields(u, func(field string, _ int, missing bool, _, zh string) {
		code := "invalid"
		if missing {
			code = "required"
		}
		add(field, code, zh)
	})
	if u.Type != "" && !slices.Contains(EditableUnitTypes, u.Type) {
		add("type", "not_editable", "这里只能添加或修改服务站（station）、仲裁机构（arbitration）和 ODR 企业（enterprise）；市场监管局和指挥中心由区划表和单位文件生成")
	}
	old := set.unit(u.ID)
	if old != nil && old.Type != u.Type {
		add("type", "type_changed", fmt.Sprintf("单位“%s”是%s，不能改为其他类型；请新建一个单位", u.ID, old.Type.Label()))
	}
	if u.ParentID != "" && u.ParentID != u.ID {
		if set.unit(u.ParentID) == nil {
			add("parent_id", "unknown_unit", fmt.Sprintf("上级单位“%s”不存在", u.ParentID))
		} else if slices.Contains(set.Ancestors(u.ParentID), u.ID) {
			add("parent_id", "loop", fmt.Sprintf("上级单位“%s”在“%s”之下，会形成循环", u.ParentID, u.ID))
		}
	}
	if u.Type == weiquan.UnitEnterprise && u.USCC != "" {
		if i, ok := set.odrOf[u.USCC]; ok && set.all[i].ID != u.ID {
			add("uscc", "taken", fmt.Sprintf("统一社会信用代码 %s 已属于 ODR 企业“%s”", u.USCC, set.all[i].ID))
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	all := make([]weiquan.Unit, 0, len(set.all)+1)
	for _, x := range set.all {
		if x.ID != u.ID {
			all = append(all, x)
		}
	}
	all = append(all, unitClone(u))
	return unitIndex(all), nil
}

// ---- Policies ----

// PolicyInfo is a loaded policy, where it came from, and whether new cases
// get it.
type PolicyInfo struct {
	Policy
	Source  string `json:"source"`
	Default bool   `json:"default"`
}

// ListPolicies returns every loaded policy by ID.
func (a *Admin) ListPolicies() []PolicyInfo {
	a.mu.Lock()
	sources := a.policySources
	a.mu.Unlock()
	def := a.Policies.Default().ID
	list := a.Policies.List()
	out := make([]PolicyInfo, len(list))
	for i, p := range list {
		src := sources[p.ID]
		if src == "" {
			src = SourceBuiltIn
		}
		out[i] = PolicyInfo{Policy: p, Source: src, Default: p.ID == def}
	}
	return out
}

// AddPolicy loads a policy file (validated as WEIQUAN_POLICY_FILES are),
// stores it and makes it available; it becomes the default only by
// SetDefaultPolicy. An ID already loaded is EConflict.
func (a *Admin) AddPolicy(ctx context.Context, data []byte, by string) (Policy, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(bytes.TrimSpace(data)) == 0 {
		return Policy{}, weiquan.ValidationErrors{"policy": {Code: "required", Message: "请粘贴或上传时限政策文件"}}.Err()
	}
	p, err := LoadPolicy(bytes.NewReader(data))
	if err != nil {
		return Policy{}, err
	}
	if _, err := a.Policies.Get(p.ID); err == nil {
		return Policy{}, &weiquan.Error{Code: weiquan.EConflict,
			Message: fmt.Sprintf("时限政策 %q 已存在；修改后的政策请使用新的编号", p.ID),
			Fields:  map[string]weiquan.FieldError{"id": {Code: "taken", Message: "这个编号已被使用"}}}
	}
	st := &weiquan.Setting{ID: settingPolicyPrefix + p.ID, Text: string(data), SavedBy: by, SavedAt: a.now()}
	if err := a.Store.PutSetting(ctx, st); err != nil {
		return Policy{}, fmt.Errorf("add policy %s: %w", p.ID, err)
	}
	if err := a.Policies.Add(p); err != nil {
		return Policy{}, err
	}
	if a.policySources == nil {
		a.policySources = map[string]string{}
	} else {
		a.policySources = maps.Clone(a.policySources)
	}
	a.policySources[p.ID] = SourceAdmin
	return a.Policies.Get(p.ID)
}

// SetDefaultPolicy makes a loaded policy the one new cases get; existing
// cases keep theirs.
func (a *Admin) SetDefaultPolicy(ctx context.Context, id, by string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.Policies.Get(id); err != nil {
		return weiquan.ValidationErrors{"policy": {Code: "unknown_policy", Message: fmt.Sprintf("未找到时限政策 %q", id)}}.Err()
	}
	base := a.defaultBase
	if base == "" {
		base = DefaultPolicyID
	}
	st := &weiquan.Setting{ID: settingDefaultPolicy, Text: id, Base: base, SavedBy: by, SavedAt: a.now()}
	if err := a.Store.PutSetting(ctx, st); err != nil {
		return fmt.Errorf("set default policy: %w", err)
	}
	return a.Policies.SetDefault(id)
}

// ---- Users ----

// ListUsers returns every staff account by username.
func (a *Admin) ListUsers(ctx context.Context) ([]weiquan.User, error) {
	users, err := a.Store.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// GetUser returns one staff account.
func (a *Admin) GetUser(ctx context.Context, id string) (*weiquan.User, error) {
	return a.Store.GetUser(ctx, id)
}

// UserAccess is what an administrator sets on an account.
type UserAccess struct {
	Role     weiquan.Role
	UnitIDs  []string
	Disabled bool
}

// UpdateUser changes an account's role, units and whether it is disabled.
// Disabling ends every session of the account at once; a role or unit
// change applies to the next request. An administrator cannot disable or
// demote their own account (there would be nobody left to undo it).
func (a *Admin) UpdateUser(ctx context.Context, by weiquan.Actor, id string, acc UserAccess) (*weiquan.User, error) {
	u, err := a.Store.GetUser(ctx, id)
	if err != nil {
		return nil, err
	}
	v := weiquan.ValidationErrors{}
	if !weiquan.ValidRole(acc.Role) {
		v.Add("role", "invalid_role", "角色须为 operator、officer、supervisor 或 admin")
	}
	units := []string{}
	for _, x := range acc.UnitIDs {
		if x = strings.TrimSpace(x); x != "" && !slices.Contains(units, x) {
			units = append(units, x)
		}
	}
	if (acc.Role == weiquan.RoleOfficer || acc.Role == weiquan.RoleSupervisor) && len(units) == 0 {
		v.Add("units", "required", "办案人员和监督人员须绑定承办单位")
	}
	for _, x := range units {
		if _, ok := a.Units.Get(x); !ok {
			v.Add("units", "unknown_unit", "没有这个承办单位："+x)
			break
		}
	}
	if u.ID == by.UserID {
		if acc.Disabled {
			v.Add("disabled", "self", "不能停用自己的账号")
		}
		if acc.Role != u.Role {
			v.Add("role", "self", "不能修改自己的角色")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := a.Store.UpdateUserAccess(ctx, u.ID, acc.Role, units, acc.Disabled); err != nil {
		return nil, fmt.Errorf("update user %s: %w", u.ID, err)
	}
	if acc.Disabled && !u.Disabled {
		if err := a.Store.DeleteUserSessions(ctx, u.ID); err != nil {
			return nil, fmt.Errorf("disable user %s: end sessions: %w", u.ID, err)
		}
	}
	a.Accounts.forgetUser(u.ID)
	u.Role, u.UnitIDs, u.Disabled = acc.Role, units, acc.Disabled
	return u, nil
}

// ResetPassword sets a new password chosen by an administrator and ends
// every session of the account.
func (a *Admin) ResetPassword(ctx context.Context, id, password string) error {
	u, err := a.Store.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if !validPassword(password) {
		return weiquan.ValidationErrors{"password": {Code: "weak_password", Message: weakPasswordMsg}}.Err()
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	if err := a.Store.UpdateUserPassword(ctx, u.ID, hash, a.now()); err != nil {
		return fmt.Errorf("reset password of %s: %w", u.ID, err)
	}
	if err := a.Store.DeleteUserSessions(ctx, u.ID); err != nil {
		return fmt.Errorf("reset password of %s: end sessions: %w", u.ID, err)
	}
	a.Accounts.forgetUser(u.ID)
	return nil
}

// forgetUser drops the cached sessions of a user, so that a change made by
// an administrator applies to this process's next request.
func (a *Accounts) forgetUser(id string) {
	if a == nil {
		return
	}
	a.cache.Range(func(k, v any) bool {
		if cs, ok := v.(cachedSession); ok && cs.user != nil && cs.user.ID == id {
			a.cache.Delete(k)
		}
		return true
	})
}
