package workflow

// Routing: which unit handles a case, on which track and in which department,
// and why (DESIGN §6.2).
//
// The rules are data: a text file (the default is data/fujian.rules) read
// line by line. Blank lines are skipped, and # starts a comment wherever a
// word could start. Two directives:
//
//	platform ALIAS[,ALIAS…] registered=CODE
//	platform ALIAS[,ALIAS…] registered=outside:PLACE
//
// says where an e-commerce platform's operator is registered: a Fujian
// division code, or a place outside Fujian (PLACE is free text, no spaces).
// A case's respondent.platform matches a platform when it contains one of
// the aliases (ASCII letters compared without case; the longest alias wins).
//
//	rule NAME: CONDITION… -> ACTION KEY=VALUE…
//
// is one rule. Rules are tried in file order and the first whose conditions
// all hold and whose unit can be found decides; a case no rule places goes
// to the dispatch centre. NAME is lower-case letters, digits and hyphens,
// unique in the file; the explanation calls a rule "rule N `NAME`", N
// counting rules (not lines) from 1.
//
// Conditions (all must hold; "a,b" means either; != negates a list; ! before
// a flag negates it; amounts are in fen, like subject.amount_fen):
//
//	kind=complaint,report,inquiry        the case's kind
//	channel=12315,12365,12331,12330,12358,web,api
//	category=CODE,…  problem=CODE,…      taxonomy codes (weiquan.Vocabulary)
//	amount<=N  amount>=N                 subject.amount_fen
//	consent.mediation  consent.arbitration   the complainant's consents
//	division=county,city,province,none,CODE…
//	                                     the respondent's division: its level,
//	                                     or codes; when respondent.division_code
//	                                     is empty it is resolved from the
//	                                     respondent's address (ResolveAddress;
//	                                     an address naming only a city gives the
//	                                     city)
//	city=CODE,…                          the city of the respondent's division
//	complainant.division=…               as division=, from the complainant's address
//	respondent.odr                       the respondent's USCC is an ODR enterprise's
//	respondent.station                   … is a member of a station serving its division
//	respondent.arbitration               … has committed to arbitration at the body
//	                                     serving its division (the enterprise's
//	                                     consent; see units.go)
//	respondent.platform                  respondent.platform is not empty
//	platform.registered=fujian,outside,unknown
//	                                     where the platform's operator is registered,
//	                                     from the platform directives (unknown: not listed)
//
// Actions:
//
//	track=TRACK unit=UNIT [department=DEPT] [note="…"]     assign
//	reject ground=GROUND [hotline=NUMBER] [department=DEPT] [note="…"]
//	dispatch [unit=UNIT] [department=DEPT] [note="…"]
//
// TRACK is agency, enforcement, answer (with an agency), odr, station or
// arbitration. UNIT is a unit ID or a template resolved per case:
//
//	agency(respondent)   the agency of the respondent's division (AgencyFor)
//	agency(complainant)  the agency of the complainant's division
//	agency(platform)     the agency where the platform is registered in Fujian
//	odr                  the respondent's ODR enterprise
//	station              the station the respondent is a member of (serving its division)
//	arbitration          the arbitration body serving the respondent's division,
//	                     provided the amount is within its ceiling (MaxAmountFen)
//	dispatch             the dispatch centre of the respondent's city, else the
//	                     province's (the default unit of a dispatch action)
//	dispatch(complainant) the same from the complainant's division
//
// A template that finds no unit skips the rule, with the reason in the
// explanation. DEPT is by-channel (the default: DepartmentFor) or one of
// consumer_protection, food_drug, quality, price, intellectual_property.
// GROUND is an Order 20 Art. 15 ground code (Grounds); NUMBER a hotline.
// note is shown at the end of the explanation of the rule that decides;
// values with spaces are written in double quotes, Go escapes allowed.
//
// Everything is checked at load: an unknown word, value, unit, track that
// does not fit its unit, a duplicate name, is reported as
// "fujian.rules:12:25: unknown condition \"foo\"" (file, line, column).
//
// Decision.Explanation has one line per rule tried, in order, for a
// supervisor to read: why each earlier rule did not apply (the first
// condition that failed, or why its unit could not be found), then what the
// deciding rule established and what it decided:
//
//	rule 11 `odr-enterprise` skipped: respondent is not an ODR enterprise
//	rule 14 `county-agency`: respondent division 350203 思明区 → amr-350203 思明区市场监督管理局 (track agency, department consumer_protection)
//
// When no rule decides, the last line is "no rule matched: … → dispatch-….".
// Explanations are English with Chinese names, like the issue that asked for
// them; what the complainant sees is written by the state machine.

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"weiquan"
)

//go:embed data/fujian.rules
var routeFujianRules []byte

// routeFujianName names the embedded file in error messages and decisions.
const routeFujianName = "fujian.rules"

// routeMaxFileBytes bounds a rules file: the Fujian set is a few kilobytes.
const routeMaxFileBytes = 1 << 20

// What a routing decision does with the case (Decision.Action).
const (
	// DecisionAssign: the case goes to UnitID on Track.
	DecisionAssign = "assign"
	// DecisionReject: the case is outside market supervision; Ground and
	// Hotline tell the complainant where to go instead.
	DecisionReject = "reject"
	// DecisionDispatch: no unit could be determined; UnitID is the dispatch
	// centre that decides by hand and the case stays registered.
	DecisionDispatch = "dispatch"
)

// Decision is where routing sends a case and why.
type Decision struct {
	Action     string        `json:"action"`
	Track      weiquan.Track `json:"track"`
	UnitID     string        `json:"unit_id"`
	Department string        `json:"department"`
	Ground     string        `json:"ground,omitempty"`
	Hotline    string        `json:"hotline,omitempty"`
	// Rule and Line identify the rule that decided; "" and 0 when none did.
	Rule string `json:"rule"`
	Line int    `json:"line"`
	// Explanation has one line per rule tried, in order: why it was
	// skipped, or why it matched and what it decided.
	Explanation []string `json:"explanation"`
}

// Record turns the decision into what the case keeps.
func (d Decision) Record(at time.Time) weiquan.RoutingDecision {
	return weiquan.RoutingDecision{Rule: d.Rule, Line: d.Line, Track: d.Track, UnitID: d.UnitID,
		Department: d.Department, Explanation: slices.Clone(d.Explanation), At: weiquan.InShanghai(at)}
}

// Departments a case is handled by, chosen by the channel it came in on.
const (
	DeptConsumerProtection   = "consumer_protection"
	DeptFoodDrug             = "food_drug"
	DeptQuality              = "quality"
	DeptPrice                = "price"
	DeptIntellectualProperty = "intellectual_property"
)

var routeDepartments = []string{DeptConsumerProtection, DeptFoodDrug, DeptQuality, DeptPrice, DeptIntellectualProperty}

// DepartmentFor returns the department a channel's cases belong to: each
// hotline has its own, the web form and integrations go to consumer
// protection.
func DepartmentFor(ch weiquan.Channel) string {
	switch ch {
	case weiquan.Channel12331:
		return DeptFoodDrug
	case weiquan.Channel12365:
		return DeptQuality
	case weiquan.Channel12358:
		return DeptPrice
	case weiquan.Channel12330:
		return DeptIntellectualProperty
	}
	return DeptConsumerProtection
}

// Router applies a rule set. It is safe to share between goroutines. An
// administrator may replace the rules (or the units under them) while cases
// are routed: Router holds an immutable snapshot (ruleSet) behind an atomic
// pointer and each Route reads one snapshot from start to end.
type Router struct {
	cur atomic.Pointer[ruleSet]
}

// ruleSet is one immutable version of the rules, parsed against one version
// of the units.
type ruleSet struct {
	units     *unitSet
	rules     []routeRule
	platforms []routePlatform // longest alias first
	name      string          // the file name errors and the admin page show
	text      string          // the text it was parsed from
}

func newRouter(rs *ruleSet) *Router {
	r := &Router{}
	r.cur.Store(rs)
	return r
}

// set is the current snapshot.
func (r *Router) set() *ruleSet { return r.cur.Load() }

// Route decides where a case goes. It does not change the case.
func (r *Router) Route(c *weiquan.Case) Decision { return r.set().Route(c) }

// Text returns the name and text of the rules in force.
func (r *Router) Text() (name, text string) {
	rs := r.set()
	return rs.name, rs.text
}

type routeRule struct {
	num    int // 1-based among rules
	name   string
	line   int
	conds  []routeCond
	action routeAction
}

// routeCondKey is what a condition tests.
type routeCondKey uint8

const (
	routeKeyKind routeCondKey = iota + 1
	routeKeyChannel
	routeKeyCategory
	routeKeyProblem
	routeKeyAmount
	routeKeyConsentMediation
	routeKeyConsentArbitration
	routeKeyDivision
	routeKeyCity
	routeKeyComplainantDivision
	routeKeyODR
	routeKeyStation
	routeKeyArbitration
	routeKeyPlatform
	routeKeyPlatformRegistered
)

// routeCondSpec is how a condition key is written.
type routeCondSpec struct {
	key  routeCondKey
	flag bool // written bare (or with !), not key=value
}

var routeCondKeys = map[string]routeCondSpec{
	"kind":                   {key: routeKeyKind},
	"channel":                {key: routeKeyChannel},
	"category":               {key: routeKeyCategory},
	"problem":                {key: routeKeyProblem},
	"amount":                 {key: routeKeyAmount},
	"consent.mediation":      {key: routeKeyConsentMediation, flag: true},
	"consent.arbitration":    {key: routeKeyConsentArbitration, flag: true},
	"division":               {key: routeKeyDivision},
	"city":                   {key: routeKeyCity},
	"complainant.division":   {key: routeKeyComplainantDivision},
	"respondent.odr":         {key: routeKeyODR, flag: true},
	"respondent.station":     {key: routeKeyStation, flag: true},
	"respondent.arbitration": {key: routeKeyArbitration, flag: true},
	"respondent.platform":    {key: routeKeyPlatform, flag: true},
	"platform.registered":    {key: routeKeyPlatformRegistered},
}

type routeOp uint8

const (
	routeOpFlag routeOp = iota
	routeOpEq
	routeOpNe
	routeOpLe
	routeOpGe
)

type routeCond struct {
	key    routeCondKey
	op     routeOp
	neg    bool     // a negated flag
	values []string // for = and !=
	n      int64    // for <= and >=
	text   string   // as written
}

// routeUnitRef is a unit template or a literal unit ID.
type routeUnitRef uint8

const (
	routeUnitLiteral routeUnitRef = iota
	routeUnitAgencyRespondent
	routeUnitAgencyComplainant
	routeUnitAgencyPlatform
	routeUnitODR
	routeUnitStation
	routeUnitArbitration
	routeUnitDispatchRespondent
	routeUnitDispatchComplainant
)

var routeUnitTemplates = map[string]routeUnitRef{
	"agency(respondent)":    routeUnitAgencyRespondent,
	"agency(complainant)":   routeUnitAgencyComplainant,
	"agency(platform)":      routeUnitAgencyPlatform,
	"odr":                   routeUnitODR,
	"station":               routeUnitStation,
	"arbitration":           routeUnitArbitration,
	"dispatch":              routeUnitDispatchRespondent,
	"dispatch(respondent)":  routeUnitDispatchRespondent,
	"dispatch(complainant)": routeUnitDispatchComplainant,
}

type routeAction struct {
	kind       string // DecisionAssign, DecisionReject, DecisionDispatch
	track      weiquan.Track
	unit       routeUnitRef
	unitID     string // for routeUnitLiteral
	department string // "" = by channel
	ground     string
	hotline    string
	note       string
}

// routePlatform is one alias of a platform directive.
type routePlatform struct {
	alias    string // lower-cased
	division string // Fujian registration, or ""
	outside  string // place outside Fujian, or ""
}

var (
	routeNamePattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	routeHotlinePattern = regexp.MustCompile(`^[0-9]{3,12}$`)
)

var routeDefault = sync.OnceValues(func() (*ruleSet, error) {
	units, err := unitDefault()
	if err != nil {
		return nil, err
	}
	return parseRules(bytes.NewReader(routeFujianRules), routeFujianName, units)
})

// DefaultRules returns the name and text of the shipped Fujian rules.
func DefaultRules() (name, text string) { return routeFujianName, string(routeFujianRules) }

// DefaultRouter returns the Fujian rules (data/fujian.rules) over units.
// Each call returns a router of its own (see DefaultUnits).
func DefaultRouter(units *Units) (*Router, error) {
	if units == nil {
		return nil, fmt.Errorf("load rules %s: no units", routeFujianName)
	}
	if d, _ := unitDefault(); units.set() == d {
		// The shipped pair is parsed once per process.
		rs, err := routeDefault()
		if err != nil {
			return nil, err
		}
		return newRouter(rs), nil
	}
	return LoadRules(bytes.NewReader(routeFujianRules), routeFujianName, units)
}

// LoadRules reads a rules file (format above) against a set of units. Every
// problem is reported at once: a *weiquan.Error with EValidation (ETooLarge
// past a megabyte) whose message names the first and whose cause joins one
// *LineError per problem.
func LoadRules(r io.Reader, name string, units *Units) (*Router, error) {
	if units == nil {
		return nil, fmt.Errorf("load rules %s: no units", name)
	}
	rs, err := parseRules(r, name, units.set())
	if err != nil {
		return nil, err
	}
	return newRouter(rs), nil
}

// parseRules reads a rules file against one snapshot of the units.
func parseRules(r io.Reader, name string, units *unitSet) (*ruleSet, error) {
	data, err := io.ReadAll(io.LimitReader(r, routeMaxFileBytes+1))
	if err != nil {
		return nil, &weiquan.Error{Code: weiquan.EInvalid, Message: fmt.Sprintf("无法读取分派规则文件 %s", name),
			Err: fmt.Errorf("rules %s: read: %w", name, err)}
	}
	if len(data) > routeMaxFileBytes {
		return nil, &weiquan.Error{Code: weiquan.ETooLarge, Message: fmt.Sprintf("分派规则文件 %s 超过 1 MB", name),
			Err: fmt.Errorf("rules %s: larger than %d bytes", name, routeMaxFileBytes)}
	}
	ps := &routeParser{
		ruleSet: &ruleSet{units: units, name: name},
		p:       &unitProblems{source: name, what: "分派规则文件"},
		names:   map[string]int{},
		alias:   map[string]int{},
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), routeMaxFileBytes)
	for n := 1; sc.Scan(); n++ {
		ps.line(n, strings.TrimSuffix(sc.Text(), "\r"))
	}
	if err := sc.Err(); err != nil {
		return nil, &weiquan.Error{Code: weiquan.EInvalid, Message: fmt.Sprintf("无法读取分派规则文件 %s", name),
			Err: fmt.Errorf("rules %s: %w", name, err)}
	}
	if len(ps.rules) == 0 && ps.p.count == 0 {
		ps.p.add(1, 1, "the file has no rules", "文件中没有任何规则")
	}
	if err := ps.p.err(weiquan.EValidation); err != nil {
		return nil, err
	}
	rt := ps.ruleSet
	rt.text = string(data)
	slices.SortStableFunc(rt.platforms, func(a, b routePlatform) int {
		return utf8.RuneCountInString(b.alias) - utf8.RuneCountInString(a.alias)
	})
	return rt, nil
}

// routeParser reads a rules file into a Router.
type routeParser struct {
	*ruleSet
	p     *unitProblems
	n     int            // current line
	names map[string]int // rule name → line
	alias map[string]int // platform alias → line
}

// routeToken is one word of a line and its 1-based column in characters.
type routeToken struct {
	text string
	col  int
}

func (ps *routeParser) bad(col int, en, zh string) {
	ps.p.add(ps.n, col, en, zh)
}

// routeTokens splits a line into words: spaces separate them, # at the start
// of a word ends the line, and double quotes (Go syntax) may hold spaces.
func routeTokens(line string) ([]routeToken, *routeToken) {
	var toks []routeToken
	rs := []rune(line)
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		if rs[i] == '#' {
			break
		}
		start := i
		var b strings.Builder
		for i < len(rs) && !unicode.IsSpace(rs[i]) {
			if rs[i] != '"' {
				b.WriteRune(rs[i])
				i++
				continue
			}
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				if rs[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(rs) {
				return nil, &routeToken{text: "unterminated quoted text", col: i + 1}
			}
			s, err := strconv.Unquote(string(rs[i : j+1]))
			if err != nil {
				return nil, &routeToken{text: "bad quoted text", col: i + 1}
			}
			b.WriteString(s)
			i = j + 1
		}
		toks = append(toks, routeToken{text: b.String(), col: start + 1})
	}
	return toks, nil
}

func (ps *routeParser) line(n int, line string) {
	ps.n = n
	toks, bad := routeTokens(line)
	if bad != nil {
		ps.bad(bad.col, bad.text, "引号不完整或转义有误")
		return
	}
	if len(toks) == 0 {
		return
	}
	switch toks[0].text {
	case "rule":
		ps.rule(toks)
	case "platform":
		ps.platform(toks)
	default:
		ps.bad(toks[0].col, fmt.Sprintf("unknown directive %q (want rule or platform)", toks[0].text),
			fmt.Sprintf("无法识别“%s”（每行应以 rule 或 platform 开头）", toks[0].text))
	}
}

func (ps *routeParser) platform(toks []routeToken) {
	if len(toks) != 3 {
		col := toks[0].col
		if len(toks) > 3 {
			col = toks[3].col
		}
		ps.bad(col, "write: platform ALIAS[,ALIAS…] registered=CODE or registered=outside:PLACE",
			"格式应为：platform 平台名[,别名…] registered=区划代码 或 registered=outside:省外注册地")
		return
	}
	reg, ok := strings.CutPrefix(toks[2].text, "registered=")
	if !ok || reg == "" {
		ps.bad(toks[2].col, fmt.Sprintf("want registered=CODE or registered=outside:PLACE, not %q", toks[2].text),
			fmt.Sprintf("应为 registered=区划代码 或 registered=outside:省外注册地，而不是“%s”", toks[2].text))
		return
	}
	base := routePlatform{}
	if place, out := strings.CutPrefix(reg, "outside:"); out {
		if place == "" {
			ps.bad(toks[2].col, "registered=outside: needs the place", "registered=outside: 后面应写明注册地")
			return
		}
		base.outside = place
	} else if _, known := weiquan.DivisionByCode(reg); !known {
		ps.bad(toks[2].col, fmt.Sprintf("unknown division code %q (a Fujian code, or outside:PLACE)", reg),
			fmt.Sprintf("“%s”不是福建省的行政区划代码（省外请写 outside:注册地）", reg))
		return
	} else {
		base.division = reg
	}
	for _, a := range strings.Split(toks[1].text, ",") {
		a = strings.ToLower(strings.TrimSpace(a))
		if a == "" {
			ps.bad(toks[1].col, "empty platform alias", "平台名不能为空")
			continue
		}
		if first, dup := ps.alias[a]; dup {
			ps.bad(toks[1].col, fmt.Sprintf("platform alias %q already defined on line %d", a, first),
				fmt.Sprintf("平台名“%s”已在第 %d 行定义", a, first))
			continue
		}
		ps.alias[a] = ps.n
		pl := base
		pl.alias = a
		ps.platforms = append(ps.platforms, pl)
	}
}

func (ps *routeParser) rule(toks []routeToken) {
	if len(toks) < 2 {
		ps.bad(toks[0].col, "rule needs a name: rule NAME: CONDITION… -> ACTION", "rule 后面应写规则名：rule 名称: 条件… -> 动作")
		return
	}
	name, rest := toks[1].text, toks[2:]
	if n, ok := strings.CutSuffix(name, ":"); ok {
		name = n
	} else if len(rest) > 0 && rest[0].text == ":" {
		rest = rest[1:]
	} else {
		ps.bad(toks[1].col+utf8.RuneCountInString(name), "a colon must follow the rule name", "规则名后面应有冒号")
		return
	}
	if !routeNamePattern.MatchString(name) {
		ps.bad(toks[1].col, fmt.Sprintf("rule name %q must be lower-case letters, digits and hyphens", name),
			fmt.Sprintf("规则名“%s”只能由小写字母、数字和连字符组成", name))
		return
	}
	if first, dup := ps.names[name]; dup {
		ps.bad(toks[1].col, fmt.Sprintf("rule %q already defined on line %d", name, first),
			fmt.Sprintf("规则名“%s”已在第 %d 行使用", name, first))
		return
	}
	ps.names[name] = ps.n
	arrow := slices.IndexFunc(rest, func(t routeToken) bool { return t.text == "->" })
	if arrow < 0 {
		col := toks[len(toks)-1].col
		for _, t := range rest {
			if strings.Contains(t.text, "->") {
				col = t.col
				break
			}
		}
		ps.bad(col, "missing -> between the conditions and the action (spaces around it)", "缺少“->”（条件和动作之间，两边留空格）")
		return
	}
	before := ps.p.count
	r := routeRule{num: len(ps.rules) + 1, name: name, line: ps.n}
	seen := map[routeCondKey]bool{}
	for _, t := range rest[:arrow] {
		c, ok := ps.cond(t)
		if !ok {
			continue
		}
		if seen[c.key] && c.key != routeKeyAmount {
			ps.bad(t.col, fmt.Sprintf("condition %q repeats %s; list the values in one condition", t.text, routeKeyName(c.key)),
				fmt.Sprintf("条件“%s”重复了 %s，请把取值写在同一个条件里", t.text, routeKeyName(c.key)))
			continue
		}
		seen[c.key] = true
		r.conds = append(r.conds, c)
	}
	r.action = ps.action(rest[arrow+1:], rest[arrow].col)
	if ps.p.count == before {
		ps.rules = append(ps.rules, r)
	}
}

func routeKeyName(k routeCondKey) string {
	for name, s := range routeCondKeys {
		if s.key == k {
			return name
		}
	}
	return "?"
}

// cond parses one condition.
func (ps *routeParser) cond(t routeToken) (routeCond, bool) {
	text := t.text
	c := routeCond{text: text}
	neg := strings.HasPrefix(text, "!")
	eq := strings.IndexByte(text, '=')
	if eq < 0 {
		key := strings.TrimPrefix(text, "!")
		spec, ok := routeCondKeys[key]
		switch {
		case !ok:
			ps.unknownCond(t, key)
			return c, false
		case !spec.flag:
			ps.bad(t.col, fmt.Sprintf("condition %q needs a value (%s=…)", key, key), fmt.Sprintf("条件“%s”需要取值（%s=…）", key, key))
			return c, false
		}
		c.key, c.op, c.neg = spec.key, routeOpFlag, neg
		return c, true
	}
	key, op := text[:eq], routeOpEq
	if eq > 0 {
		switch text[eq-1] {
		case '!':
			key, op = text[:eq-1], routeOpNe
		case '<':
			key, op = text[:eq-1], routeOpLe
		case '>':
			key, op = text[:eq-1], routeOpGe
		}
	}
	value := text[eq+1:]
	spec, ok := routeCondKeys[key]
	switch {
	case neg:
		ps.bad(t.col, fmt.Sprintf("write %s!=… rather than !%s=…", strings.TrimPrefix(key, "!"), strings.TrimPrefix(key, "!")),
			"否定条件请写成 键!=值")
		return c, false
	case !ok:
		ps.unknownCond(t, key)
		return c, false
	case spec.flag:
		ps.bad(t.col, fmt.Sprintf("condition %q takes no value (write %s or !%s)", key, key, key),
			fmt.Sprintf("条件“%s”不带取值（写 %s 或 !%s）", key, key, key))
		return c, false
	case value == "":
		ps.bad(t.col, fmt.Sprintf("condition %q has no value", key), fmt.Sprintf("条件“%s”缺少取值", key))
		return c, false
	}
	c.key, c.op = spec.key, op
	if spec.key == routeKeyAmount {
		if op != routeOpLe && op != routeOpGe {
			ps.bad(t.col, "amount takes <= or >= (in fen)", "金额条件只能用 <= 或 >=（单位：分）")
			return c, false
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n < 0 {
			ps.bad(t.col, fmt.Sprintf("amount %q is not a whole number of fen", value), fmt.Sprintf("金额“%s”应为以分为单位的非负整数", value))
			return c, false
		}
		c.n = n
		return c, true
	}
	if op != routeOpEq && op != routeOpNe {
		ps.bad(t.col, fmt.Sprintf("condition %q takes = or !=", key), fmt.Sprintf("条件“%s”只能用 = 或 !=", key))
		return c, false
	}
	for _, v := range strings.Split(value, ",") {
		if msg, zh := routeCheckValue(spec.key, v); msg != "" {
			ps.bad(t.col, fmt.Sprintf("%s: %s", key, msg), fmt.Sprintf("%s：%s", key, zh))
			return c, false
		}
		c.values = append(c.values, v)
	}
	return c, true
}

func (ps *routeParser) unknownCond(t routeToken, key string) {
	ps.bad(t.col, fmt.Sprintf("unknown condition %q", key), fmt.Sprintf("未知条件“%s”", key))
}

// routeCheckValue checks one value of a list condition; "" when it is fine.
func routeCheckValue(key routeCondKey, v string) (en, zh string) {
	unknown := func(what string) (string, string) {
		return fmt.Sprintf("unknown %s %q", what, v), fmt.Sprintf("未知取值“%s”", v)
	}
	switch key {
	case routeKeyKind:
		if _, ok := weiquan.Lookup(weiquan.Vocabulary.Kinds, v); !ok {
			return fmt.Sprintf("unknown kind %q (want complaint, report or inquiry)", v), fmt.Sprintf("未知案件类型“%s”（应为 complaint、report 或 inquiry）", v)
		}
	case routeKeyChannel:
		if !slices.Contains(weiquan.Channels, weiquan.Channel(v)) {
			return unknown("channel")
		}
	case routeKeyCategory:
		if _, ok := weiquan.Lookup(weiquan.Vocabulary.Categories, v); !ok {
			return unknown("category")
		}
	case routeKeyProblem:
		if _, ok := weiquan.Lookup(weiquan.Vocabulary.Problems, v); !ok {
			return unknown("problem")
		}
	case routeKeyDivision, routeKeyComplainantDivision:
		switch v {
		case weiquan.LevelCounty, weiquan.LevelCity, weiquan.LevelProvince, "none":
			return "", ""
		}
		if _, ok := weiquan.DivisionByCode(v); !ok {
			return fmt.Sprintf("%q is not county, city, province, none or a Fujian division code", v),
				fmt.Sprintf("“%s”不是 county、city、province、none 或福建省的行政区划代码", v)
		}
	case routeKeyCity:
		if d, ok := weiquan.DivisionByCode(v); !ok || d.Level != weiquan.LevelCity {
			return fmt.Sprintf("%q is not a Fujian city code", v), fmt.Sprintf("“%s”不是福建省的设区市代码", v)
		}
	case routeKeyPlatformRegistered:
		switch v {
		case "fujian", "outside", "unknown":
		default:
			return fmt.Sprintf("%q is not fujian, outside or unknown", v), fmt.Sprintf("“%s”应为 fujian、outside 或 unknown", v)
		}
	}
	return "", ""
}

// action parses what a rule does.
func (ps *routeParser) action(toks []routeToken, arrowCol int) routeAction {
	a := routeAction{kind: DecisionAssign}
	if len(toks) == 0 {
		ps.bad(arrowCol, "nothing after ->: want track=… unit=…, reject ground=… or dispatch", "“->”后面缺少动作")
		return a
	}
	switch toks[0].text {
	case DecisionReject, DecisionDispatch:
		a.kind = toks[0].text
		toks = toks[1:]
	}
	allowed := map[string][]string{
		DecisionAssign:   {"track", "unit", "department", "note"},
		DecisionReject:   {"ground", "hotline", "department", "note"},
		DecisionDispatch: {"unit", "department", "note"},
	}[a.kind]
	before := ps.p.count
	given := map[string]routeToken{}
	for _, t := range toks {
		key, value, ok := strings.Cut(t.text, "=")
		if !ok {
			ps.bad(t.col, fmt.Sprintf("unexpected %q in the action (want key=value)", t.text),
				fmt.Sprintf("动作中无法识别“%s”（应为 键=值）", t.text))
			continue
		}
		if !slices.Contains(allowed, key) {
			ps.bad(t.col, fmt.Sprintf("unknown action key %q for %s (want %s)", key, a.kind, strings.Join(allowed, ", ")),
				fmt.Sprintf("%s 动作不能有“%s”（可用：%s）", a.kind, key, strings.Join(allowed, "、")))
			continue
		}
		if _, dup := given[key]; dup {
			ps.bad(t.col, fmt.Sprintf("%s given twice", key), fmt.Sprintf("%s 重复", key))
			continue
		}
		given[key] = t
		if value == "" && key != "note" {
			ps.bad(t.col, fmt.Sprintf("%s has no value", key), fmt.Sprintf("%s 缺少取值", key))
			continue
		}
		switch key {
		case "track":
			if _, known := weiquan.Lookup(weiquan.Vocabulary.Tracks, value); !known {
				ps.bad(t.col, fmt.Sprintf("unknown track %q (want agency, odr, station, arbitration, enforcement or answer)", value),
					fmt.Sprintf("未知处理方式“%s”（应为 agency、odr、station、arbitration、enforcement 或 answer）", value))
				continue
			}
			a.track = weiquan.Track(value)
		case "unit":
			if ref, ok := routeUnitTemplates[value]; ok {
				a.unit = ref
			} else if ps.units.unit(value) != nil {
				a.unit, a.unitID = routeUnitLiteral, value
			} else {
				ps.bad(t.col, fmt.Sprintf("unknown unit %q (want a unit id or agency(respondent), agency(complainant), agency(platform), odr, station, arbitration, dispatch, dispatch(complainant))", value),
					fmt.Sprintf("未知承办单位“%s”", value))
			}
		case "department":
			if value != "by-channel" && !slices.Contains(routeDepartments, value) {
				ps.bad(t.col, fmt.Sprintf("unknown department %q (want by-channel, %s)", value, strings.Join(routeDepartments, ", ")),
					fmt.Sprintf("未知业务部门“%s”", value))
				continue
			}
			if value != "by-channel" {
				a.department = value
			}
		case "ground":
			if _, known := weiquan.Lookup(Grounds(), value); !known {
				ps.bad(t.col, fmt.Sprintf("unknown ground %q (want an Order 20 Art. 15 ground code)", value),
					fmt.Sprintf("未知不予受理理由“%s”（应为《办法》第十五条的理由代码）", value))
				continue
			}
			a.ground = value
		case "hotline":
			if !routeHotlinePattern.MatchString(value) {
				ps.bad(t.col, fmt.Sprintf("hotline %q must be 3 to 12 digits", value), fmt.Sprintf("热线号码“%s”应为 3 到 12 位数字", value))
				continue
			}
			a.hotline = value
		case "note":
			a.note = value
		}
	}
	if ps.p.count != before {
		return a // what is missing or mismatched follows from what is wrong
	}
	u, hasUnit := given["unit"]
	switch a.kind {
	case DecisionAssign:
		if _, ok := given["track"]; !ok {
			ps.bad(arrowCol, "an assignment needs track=… (or write reject or dispatch)", "分派动作需要 track=…（或写 reject、dispatch）")
			break
		}
		if !hasUnit {
			ps.bad(arrowCol, "an assignment needs unit=…", "分派动作需要 unit=…")
			break
		}
		if want, ok := ps.fits(a); !ok {
			ps.bad(u.col, fmt.Sprintf("track %s needs %s, not %s", a.track, want, u.text), fmt.Sprintf("处理方式 %s 需要 %s", a.track, want))
		}
	case DecisionReject:
		if _, ok := given["ground"]; !ok {
			ps.bad(arrowCol, "reject needs ground=… (an Order 20 Art. 15 ground code)", "reject 动作需要不予受理理由 ground=…")
		}
	case DecisionDispatch:
		if !hasUnit {
			a.unit = routeUnitDispatchRespondent
		} else if want, ok := ps.fits(a); !ok {
			ps.bad(u.col, fmt.Sprintf("dispatch needs %s, not %s", want, u.text), fmt.Sprintf("dispatch 动作需要 %s", want))
		}
	}
	return a
}

// fits reports whether the action's unit suits its track; want describes
// what would.
func (ps *routeParser) fits(a routeAction) (want string, ok bool) {
	var (
		templates []routeUnitRef
		unitType  weiquan.UnitType
	)
	switch {
	case a.kind == DecisionDispatch:
		templates, unitType, want = []routeUnitRef{routeUnitDispatchRespondent, routeUnitDispatchComplainant}, weiquan.UnitDispatch,
			"unit=dispatch, dispatch(complainant) or a dispatch centre's id"
	case a.track == weiquan.TrackAgency || a.track == weiquan.TrackEnforcement || a.track == weiquan.TrackAnswer:
		templates, unitType, want = []routeUnitRef{routeUnitAgencyRespondent, routeUnitAgencyComplainant, routeUnitAgencyPlatform}, weiquan.UnitAgency,
			"unit=agency(…) or an agency's id"
	case a.track == weiquan.TrackODR:
		templates, unitType, want = []routeUnitRef{routeUnitODR}, weiquan.UnitEnterprise, "unit=odr or an ODR enterprise's id"
	case a.track == weiquan.TrackStation:
		templates, unitType, want = []routeUnitRef{routeUnitStation}, weiquan.UnitStation, "unit=station or a station's id"
	case a.track == weiquan.TrackArbitration:
		templates, unitType, want = []routeUnitRef{routeUnitArbitration}, weiquan.UnitArbitration, "unit=arbitration or an arbitration body's id"
	}
	if a.unit == routeUnitLiteral {
		return want, ps.units.unit(a.unitID).Type == unitType
	}
	return want, slices.Contains(templates, a.unit)
}

// Route decides where a case goes. It does not change the case.
func (r *ruleSet) Route(c *weiquan.Case) Decision {
	ev := routeEval{r: r, c: c}
	ev.facts = ev.factBuf[:0]
	expl := make([]string, 0, len(r.rules)+1)
	dept := DepartmentFor(c.Channel)
	for i := range r.rules {
		rule := &r.rules[i]
		ev.facts = ev.facts[:0]
		skip := ""
		for j := range rule.conds {
			if skip = ev.check(&rule.conds[j]); skip != "" {
				break
			}
		}
		var unitID string
		if skip == "" {
			unitID, skip = ev.unit(&rule.action)
		}
		if skip != "" {
			expl = append(expl, fmt.Sprintf("rule %d `%s` skipped: %s", rule.num, rule.name, skip))
			continue
		}
		a := &rule.action
		d := Decision{Action: a.kind, Track: a.track, UnitID: unitID, Department: dept,
			Ground: a.ground, Hotline: a.hotline, Rule: rule.name, Line: rule.line}
		if a.department != "" {
			d.Department = a.department
		}
		head := fmt.Sprintf("rule %d `%s` matched", rule.num, rule.name)
		if len(ev.facts) > 0 {
			head = fmt.Sprintf("rule %d `%s`: %s", rule.num, rule.name, strings.Join(ev.facts, "; "))
		}
		d.Explanation = append(expl, head+" → "+r.outcome(d, a.note))
		return d
	}
	a := routeAction{kind: DecisionDispatch, unit: routeUnitDispatchRespondent}
	ev.facts = ev.facts[:0]
	unitID, _ := ev.unit(&a)
	d := Decision{Action: DecisionDispatch, UnitID: unitID, Department: dept}
	head := "no rule matched"
	if len(ev.facts) > 0 {
		head += ": " + strings.Join(ev.facts, "; ")
	}
	d.Explanation = append(expl, head+" → "+r.outcome(d, ""))
	return d
}

// outcome describes what a decision does, for the explanation.
func (r *ruleSet) outcome(d Decision, note string) string {
	var s string
	switch d.Action {
	case DecisionReject:
		s = "reject (ground " + d.Ground
		if d.Hotline != "" {
			s += ", hotline " + d.Hotline
		}
		s += ")"
	case DecisionDispatch:
		s = fmt.Sprintf("%s (dispatch, department %s)", r.units.unitName(d.UnitID), d.Department)
	default:
		s = fmt.Sprintf("%s (track %s, department %s)", r.units.unitName(d.UnitID), d.Track, d.Department)
	}
	if note != "" {
		s += " — " + note
	}
	return s
}

// routePlace is where a party is, as far as the case says.
type routePlace struct {
	code    string // Fujian division code; "" when unknown
	level   string // weiquan.LevelCounty, LevelCity, LevelProvince; "" when unknown
	derived bool   // resolved from the address rather than given
	why     string // when unknown: the resolver's reason
}

// routeEval is the evaluation of one case: facts are worked out when a rule
// first needs them, and at most once.
type routeEval struct {
	r        *ruleSet
	c        *weiquan.Case
	resp     routePlace
	respDone bool
	comp     routePlace
	compDone bool
	plat     *routePlatform
	platDone bool
	facts    []string // what the current rule's conditions established
	factBuf  [8]string
}

// fact records what a condition or template established. A fact that
// extends an earlier one ("amount 300.00 元 within the 500.00 元 ceiling"
// after "amount 300.00 元") replaces it, and one already said is not repeated.
func (ev *routeEval) fact(s string) {
	if s == "" {
		return
	}
	for i, f := range ev.facts {
		switch {
		case strings.HasPrefix(f, s):
			return
		case strings.HasPrefix(s, f):
			ev.facts[i] = s
			return
		}
	}
	ev.facts = append(ev.facts, s)
}

func (ev *routeEval) respondent() routePlace {
	if !ev.respDone {
		ev.resp, ev.respDone = routeLocate(ev.c.Respondent.DivisionCode, ev.c.Respondent.Address), true
	}
	return ev.resp
}

func (ev *routeEval) complainant() routePlace {
	if !ev.compDone {
		ev.comp, ev.compDone = routeLocate("", ev.c.Complainant.Address), true
	}
	return ev.comp
}

// routeLocate works out a division from a code, else from an address, never
// guessing: an address that names only a city gives the city.
func routeLocate(code, addr string) routePlace {
	code = strings.TrimSpace(code)
	if successor, ok := addrLegacyCodes[code]; ok {
		code = successor
	}
	var prefix string
	if code != "" {
		if d, ok := weiquan.DivisionByCode(code); ok {
			return routePlace{code: code, level: d.Level}
		}
		prefix = fmt.Sprintf("division code %q is unknown; ", code)
	}
	if strings.TrimSpace(addr) == "" {
		return routePlace{why: prefix + "no address"}
	}
	res := ResolveAddress(addr)
	if res.Code != "" {
		return routePlace{code: res.Code, level: weiquan.LevelCounty, derived: true}
	}
	if city := routeAddressCity(addr); city != "" {
		return routePlace{code: city, level: weiquan.LevelCity, derived: true}
	}
	return routePlace{why: prefix + res.Reason}
}

// routeAddressCity returns the one Fujian city an address names, when it
// names no county the resolver could settle on and nothing outside Fujian.
func routeAddressCity(addr string) string {
	rs := addrNormalize(addr)
	ms := addrScan(rs)
	addrAccept(rs, ms)
	city := ""
	for _, m := range ms {
		if !m.accepted {
			continue
		}
		switch m.kind {
		case addrElsewhere:
			return ""
		case addrCity:
			if city != "" && city != m.code {
				return ""
			}
			city = m.code
		}
	}
	return city
}

// describe renders a place for the explanation: "respondent division 350203
// 思明区", "… 350200 厦门市 (city only, from the address)", "… unknown (…)".
func (p routePlace) describe(who string) string {
	if p.code == "" {
		return who + " division unknown (" + p.why + ")"
	}
	d, _ := weiquan.DivisionByCode(p.code)
	s := who + " division " + p.code + " " + d.Name
	var notes []string
	switch p.level {
	case weiquan.LevelCity:
		notes = append(notes, "city only")
	case weiquan.LevelProvince:
		notes = append(notes, "province only")
	}
	if p.derived {
		notes = append(notes, "from the address")
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	return s
}

// routeDivisionWant describes a division value for a skip reason.
func routeDivisionWant(v string) string {
	switch v {
	case weiquan.LevelCounty:
		return "a county"
	case weiquan.LevelCity:
		return "a city"
	case weiquan.LevelProvince:
		return "the province"
	case "none":
		return "unknown"
	}
	d, _ := weiquan.DivisionByCode(v)
	return v + " " + d.Name
}

func (p routePlace) is(v string) bool {
	switch v {
	case weiquan.LevelCounty, weiquan.LevelCity, weiquan.LevelProvince:
		return p.level == v
	case "none":
		return p.code == ""
	}
	return p.code == v
}

func (ev *routeEval) platform() *routePlatform {
	if !ev.platDone {
		ev.platDone = true
		name := strings.ToLower(ev.c.Respondent.Platform)
		for i := range ev.r.platforms {
			if strings.Contains(name, ev.r.platforms[i].alias) {
				ev.plat = &ev.r.platforms[i]
				break
			}
		}
	}
	return ev.plat
}

// platformFact says where the respondent's platform is registered.
func (ev *routeEval) platformFact() (state, fact string) {
	name := strings.TrimSpace(ev.c.Respondent.Platform)
	pl := ev.platform()
	switch {
	case pl == nil:
		return "unknown", fmt.Sprintf("platform %s is not in the platform list (registration unknown)", name)
	case pl.outside != "":
		return "outside", fmt.Sprintf("platform %s is registered outside Fujian (%s)", name, pl.outside)
	}
	d, _ := weiquan.DivisionByCode(pl.division)
	return "fujian", fmt.Sprintf("platform %s is registered in %s %s", name, pl.division, d.Name)
}

func routeYuan(fen int64) string {
	return fmt.Sprintf("%d.%02d 元", fen/100, fen%100)
}

// routeList joins values as "a, b or c".
func routeList(vs []string, f func(string) string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = f(v)
	}
	if len(out) < 2 {
		return strings.Join(out, "")
	}
	return strings.Join(out[:len(out)-1], ", ") + " or " + out[len(out)-1]
}

func routeSame(v string) string { return v }

// check evaluates one condition: "" when it holds (after recording what it
// established), else why not.
func (ev *routeEval) check(cond *routeCond) string {
	c := ev.c
	switch cond.key {
	case routeKeyKind:
		return ev.list(cond, string(c.Kind), "kind "+string(c.Kind), "", routeSame)
	case routeKeyChannel:
		return ev.list(cond, string(c.Channel), "channel "+string(c.Channel), "", routeSame)
	case routeKeyCategory:
		f := routeTermFact("category", weiquan.Vocabulary.Categories, c.Subject.Category)
		return ev.list(cond, c.Subject.Category, f, f, routeSame)
	case routeKeyProblem:
		f := routeTermFact("problem", weiquan.Vocabulary.Problems, c.Subject.Problem)
		return ev.list(cond, c.Subject.Problem, f, f, routeSame)
	case routeKeyAmount:
		amount := c.Subject.AmountFen
		if cond.op == routeOpLe && amount > cond.n {
			return fmt.Sprintf("amount %s is above %s", routeYuan(amount), routeYuan(cond.n))
		}
		if cond.op == routeOpGe && amount < cond.n {
			return fmt.Sprintf("amount %s is below %s", routeYuan(amount), routeYuan(cond.n))
		}
		ev.fact("amount " + routeYuan(amount))
		return ""
	case routeKeyConsentMediation:
		return ev.flag(cond, c.Consent.Mediation, "complainant consents to mediation", "complainant has not consented to mediation")
	case routeKeyConsentArbitration:
		return ev.flag(cond, c.Consent.Arbitration, "complainant consents to arbitration", "complainant has not consented to arbitration")
	case routeKeyDivision:
		return ev.place(cond, ev.respondent(), "respondent")
	case routeKeyComplainantDivision:
		return ev.place(cond, ev.complainant(), "complainant")
	case routeKeyCity:
		p := ev.respondent()
		city := weiquan.CityCode(p.code)
		if city == "" {
			return ev.list(cond, "", p.describe("respondent"), "", routeDivisionWant)
		}
		d, _ := weiquan.DivisionByCode(city)
		return ev.list(cond, city, "respondent city "+city+" "+d.Name, "respondent city "+city+" "+d.Name, routeDivisionWant)
	case routeKeyODR:
		i, ok := ev.r.units.odrOf[weiquan.NormalizeUSCC(c.Respondent.USCC)]
		if ok && c.Respondent.USCC != "" {
			u := &ev.r.units.all[i]
			return ev.flag(cond, true, fmt.Sprintf("respondent %s is ODR enterprise %s %s", u.USCC, u.ID, u.Name), "")
		}
		return ev.flag(cond, false, "", "respondent is not an ODR enterprise")
	case routeKeyStation:
		st, why := ev.station()
		if st != nil {
			return ev.flag(cond, true, fmt.Sprintf("respondent is a member of %s %s", st.ID, st.Name), "")
		}
		return ev.flag(cond, false, "", why)
	case routeKeyArbitration:
		body, why := ev.arbitrationBody()
		if body != nil {
			if slices.Contains(body.Members, weiquan.NormalizeUSCC(c.Respondent.USCC)) && c.Respondent.USCC != "" {
				return ev.flag(cond, true, fmt.Sprintf("respondent has committed to arbitration at %s %s", body.ID, body.Name), "")
			}
			why = fmt.Sprintf("respondent has not committed to arbitration at %s %s", body.ID, body.Name)
		}
		return ev.flag(cond, false, "", why)
	case routeKeyPlatform:
		if p := strings.TrimSpace(c.Respondent.Platform); p != "" {
			f := "respondent sells on platform " + p
			if shop := strings.TrimSpace(c.Respondent.Shop); shop != "" {
				f = fmt.Sprintf("shop %s on platform %s", shop, p)
			}
			return ev.flag(cond, true, f, "")
		}
		return ev.flag(cond, false, "", "respondent does not sell on a platform")
	case routeKeyPlatformRegistered:
		if strings.TrimSpace(c.Respondent.Platform) == "" {
			return "respondent does not sell on a platform"
		}
		state, fact := ev.platformFact()
		return ev.list(cond, state, fact, fact, nil)
	}
	return "unknown condition"
}

func routeTermFact(what string, terms []weiquan.Term, code string) string {
	if code == "" {
		return what + " not given"
	}
	if t, ok := weiquan.Lookup(terms, code); ok {
		return what + " " + code + " " + t.Label
	}
	return what + " " + code
}

// list checks a = or != condition. have is what the case has, subject how
// to say it; fact is recorded when it holds ("" for conditions too plain to
// repeat, like kind). want renders the rule's values for a skip reason; nil
// means subject alone says enough.
func (ev *routeEval) list(cond *routeCond, have, subject, fact string, want func(string) string) string {
	in := slices.Contains(cond.values, have)
	if in == (cond.op == routeOpEq) {
		ev.fact(fact)
		return ""
	}
	switch {
	case want == nil, have == "":
		return subject
	case cond.op == routeOpNe:
		return fmt.Sprintf("%s is excluded (%s)", subject, cond.text)
	}
	return fmt.Sprintf("%s is not %s", subject, routeList(cond.values, want))
}

// flag checks a flag condition.
func (ev *routeEval) flag(cond *routeCond, holds bool, yes, no string) string {
	if holds != cond.neg {
		if holds {
			ev.fact(yes)
		} else {
			ev.fact(no)
		}
		return ""
	}
	if holds {
		return yes
	}
	return no
}

func (ev *routeEval) place(cond *routeCond, p routePlace, who string) string {
	desc := p.describe(who)
	matched := false
	for _, v := range cond.values {
		if p.is(v) {
			matched = true
			break
		}
	}
	if matched == (cond.op == routeOpEq) {
		ev.fact(desc)
		return ""
	}
	switch {
	case cond.op == routeOpNe:
		return fmt.Sprintf("%s is excluded (%s)", desc, cond.text)
	case p.code == "":
		return desc
	}
	return fmt.Sprintf("%s is not %s", desc, routeList(cond.values, routeDivisionWant))
}

// station finds the respondent's station, or says why there is none.
func (ev *routeEval) station() (*weiquan.Unit, string) {
	u := ev.r.units
	uscc := weiquan.NormalizeUSCC(ev.c.Respondent.USCC)
	stations := u.stationsOf[uscc]
	if uscc == "" || len(stations) == 0 {
		return nil, "respondent is not a member of a consumer-rights station"
	}
	p := ev.respondent()
	for _, i := range stations {
		if p.code == "" || unitServes(&u.all[i], p.code) {
			return &u.all[i], ""
		}
	}
	st := &u.all[stations[0]]
	return nil, fmt.Sprintf("respondent is a member of %s %s, which does not serve %s", st.ID, st.Name,
		strings.TrimPrefix(p.describe(""), " division "))
}

// arbitrationBody finds the arbitration body serving the respondent's
// division, or says why there is none.
func (ev *routeEval) arbitrationBody() (*weiquan.Unit, string) {
	p := ev.respondent()
	if p.code == "" {
		return nil, "no arbitration body for " + p.describe("respondent")
	}
	if b := ev.r.units.arbitrationFor(p.code); b != nil {
		return b, ""
	}
	return nil, "no arbitration body serves " + p.describe("respondent")
}

// unit resolves the action's unit: its ID, or why there is none (which skips
// the rule).
func (ev *routeEval) unit(a *routeAction) (string, string) {
	u := ev.r.units
	switch a.kind {
	case DecisionReject:
		return "", ""
	}
	switch a.unit {
	case routeUnitLiteral:
		return a.unitID, ""
	case routeUnitAgencyRespondent, routeUnitAgencyComplainant:
		who, p := "respondent", ev.respondent()
		if a.unit == routeUnitAgencyComplainant {
			who, p = "complainant", ev.complainant()
		}
		desc := p.describe(who)
		if p.code == "" {
			return "", desc
		}
		id, ok := u.AgencyFor(p.code)
		if !ok {
			return "", "no agency for " + desc
		}
		ev.fact(desc)
		return id, ""
	case routeUnitAgencyPlatform:
		if strings.TrimSpace(ev.c.Respondent.Platform) == "" {
			return "", "respondent does not sell on a platform"
		}
		state, fact := ev.platformFact()
		if state != "fujian" {
			return "", fact
		}
		id, ok := u.AgencyFor(ev.platform().division)
		if !ok {
			return "", "no agency where " + fact
		}
		ev.fact(fact)
		return id, ""
	case routeUnitODR:
		i, ok := u.odrOf[weiquan.NormalizeUSCC(ev.c.Respondent.USCC)]
		if !ok || ev.c.Respondent.USCC == "" {
			return "", "respondent is not an ODR enterprise"
		}
		return u.all[i].ID, ""
	case routeUnitStation:
		st, why := ev.station()
		if st == nil {
			return "", why
		}
		return st.ID, ""
	case routeUnitArbitration:
		body, why := ev.arbitrationBody()
		if body == nil {
			return "", why
		}
		amount := ev.c.Subject.AmountFen
		if amount > body.MaxAmountFen {
			return "", fmt.Sprintf("amount %s is above the %s ceiling of %s %s", routeYuan(amount), routeYuan(body.MaxAmountFen), body.ID, body.Name)
		}
		ev.fact(fmt.Sprintf("amount %s within the %s ceiling", routeYuan(amount), routeYuan(body.MaxAmountFen)))
		return body.ID, ""
	case routeUnitDispatchRespondent, routeUnitDispatchComplainant:
		who, p := "respondent", ev.respondent()
		if a.unit == routeUnitDispatchComplainant {
			who, p = "complainant", ev.complainant()
		}
		ev.fact(p.describe(who))
		return u.DispatchFor(p.code), ""
	}
	return "", "no unit"
}
