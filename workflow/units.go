package workflow

// Units: the bodies a case can be sent to (DESIGN §6.1).
//
// The Fujian agencies and dispatch centres are generated from the division
// table (weiquan.FujianUnits); everything else — consumer-rights stations,
// small-claims arbitration bodies, ODR enterprises, and any renamed or extra
// agency — comes from a units file merged over that set. The file is JSON:
//
//	{
//	  "about": "free text for the people who maintain the file",
//	  "units": [
//	    {"id": "station-350203-zhongshan", "name": "…（示例）", "type": "station",
//	     "division_code": "350203", "parent_id": "amr-350203", "example": true,
//	     "members": ["92350203EXAMPLE114"], "covers": ["350203"], "deadline_days": 5}
//	  ]
//	}
//
// Fields are those of weiquan.Unit. What each type may carry:
//
//	type         uscc       members                      max_amount_fen  covers     deadline_days
//	dispatch     optional   —                            —               —          —
//	agency       optional   —                            —               —          —
//	station      optional   member businesses' USCCs     —               optional   optional
//	arbitration  optional   USCCs of businesses that     required (> 0)  required   —
//	                        committed to arbitration
//	enterprise   required   —                            —               —          optional
//
// covers lists county or city codes (a city covers its counties); a station
// without covers serves its own division. A unit whose id is already in the
// generated set replaces it (to rename an agency, say) but may not change its
// type. Every problem is reported with the file name, line and column.

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"weiquan"
)

//go:embed data/units-examples.json
var unitExamples []byte

// unitExamplesName names the embedded file in error messages.
const unitExamplesName = "units-examples.json"

// unitMaxFileBytes bounds a units file: the generated set has about a
// hundred units, a province's stations a few thousand; a megabyte holds them.
const unitMaxFileBytes = 1 << 20

// unitMaxDeadlineDays bounds a unit's own deadline: a year of working days is
// already far beyond any statutory limit, so more is a typo.
const unitMaxDeadlineDays = 250

// unitProvinceDispatch is the dispatch centre of last resort.
const unitProvinceDispatch = "dispatch-" + weiquan.ProvinceCode

var unitIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}[a-z0-9]$`)

// Units is the set of units cases are routed to, indexed for routing. It is
// safe to share between goroutines. An administrator may replace the set
// while requests read it (admin.go): Units holds an immutable snapshot
// (unitSet) behind an atomic pointer and every method reads one snapshot, so
// a reader never sees half of a change.
type Units struct {
	cur atomic.Pointer[unitSet]
}

// unitSet is one immutable version of the units, indexed for routing.
type unitSet struct {
	all         []weiquan.Unit    // sorted by ID
	byID        map[string]int    // ID → index into all
	agencyOf    map[string]string // division code → agency ID
	dispatchOf  map[string]string // city or province code → dispatch centre ID
	odrOf       map[string]int    // an ODR enterprise's USCC → index
	stationsOf  map[string][]int  // member USCC → stations, in ID order
	arbitration []int             // arbitration bodies, in ID order
}

var unitDefault = sync.OnceValues(func() (*unitSet, error) {
	u, err := LoadUnits(bytes.NewReader(unitExamples), unitExamplesName)
	if err != nil {
		return nil, err
	}
	return u.set(), nil
})

// DefaultUnits returns the generated Fujian set with the shipped examples
// (data/units-examples.json: stations, arbitration bodies and ODR enterprises,
// all marked Example and named 示例). The snapshot is parsed once and shared;
// each call returns a handle of its own, so replacing the units of one
// (an administrator's change) leaves the others alone.
func DefaultUnits() (*Units, error) {
	set, err := unitDefault()
	if err != nil {
		return nil, err
	}
	return newUnits(set), nil
}

func newUnits(set *unitSet) *Units {
	u := &Units{}
	u.cur.Store(set)
	return u
}

// set is the current snapshot.
func (u *Units) set() *unitSet { return u.cur.Load() }

// unitEntry is one unit of a file and where it is written.
type unitEntry struct {
	unit weiquan.Unit
	raw  []byte // the unit's JSON object
	off  int64  // where raw starts in the file
}

// LoadUnits reads a units file (format above) and merges it over the
// generated Fujian set. Problems are *weiquan.Error with EValidation (or
// EInvalid for a file that is not JSON, ETooLarge past a megabyte) wrapping
// one *LineError per problem.
func LoadUnits(r io.Reader, name string) (*Units, error) {
	data, err := io.ReadAll(io.LimitReader(r, unitMaxFileBytes+1))
	if err != nil {
		return nil, &weiquan.Error{Code: weiquan.EInvalid, Message: fmt.Sprintf("无法读取单位文件 %s", name),
			Err: fmt.Errorf("units %s: read: %w", name, err)}
	}
	if len(data) > unitMaxFileBytes {
		return nil, &weiquan.Error{Code: weiquan.ETooLarge, Message: fmt.Sprintf("单位文件 %s 超过 1 MB", name),
			Err: fmt.Errorf("units %s: larger than %d bytes", name, unitMaxFileBytes)}
	}
	p := &unitProblems{source: name, what: "单位文件"}
	entries := unitParse(p, data)
	if err := p.err(weiquan.EInvalid); err != nil {
		return nil, err
	}
	units := unitMerge(p, data, entries)
	if err := p.err(weiquan.EValidation); err != nil {
		return nil, err
	}
	return newUnits(unitIndex(units)), nil
}

// unitParse splits the file into its units, reporting JSON problems where
// they are.
func unitParse(p *unitProblems, data []byte) []unitEntry {
	// encoding/json locates syntax errors precisely only when it sees the
	// whole document at once.
	if err := json.Unmarshal(data, new(json.RawMessage)); err != nil {
		var syn *json.SyntaxError
		off := int64(len(data))
		if errors.As(err, &syn) {
			off = syn.Offset
		}
		line, col := lineCol(data, off)
		p.add(line, col, "invalid JSON: "+err.Error(), "JSON 格式错误")
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		p.add(1, 1, `the file must be a JSON object with a "units" list`, "文件应为含 units 列表的 JSON 对象")
		return nil
	}
	var entries []unitEntry
	seenUnits := false
	for dec.More() {
		keyOff := unitSkipSpace(data, dec.InputOffset())
		tok, _ := dec.Token()
		key, _ := tok.(string)
		valOff := unitSkipSpace(data, dec.InputOffset())
		switch key {
		case "about":
			var s string
			if err := dec.Decode(&s); err != nil {
				line, col := lineCol(data, valOff)
				p.add(line, col, `"about" must be a string`, "about 应为字符串")
				return nil
			}
		case "units":
			seenUnits = true
			if tok, _ := dec.Token(); tok != json.Delim('[') {
				line, col := lineCol(data, valOff)
				p.add(line, col, `"units" must be a list`, "units 应为列表")
				return nil
			}
			for i := 0; dec.More(); i++ {
				off := unitSkipSpace(data, dec.InputOffset())
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					line, col := lineCol(data, off)
					p.add(line, col, fmt.Sprintf("unit %d: %v", i+1, err), fmt.Sprintf("第 %d 个单位无法读取", i+1))
					return nil
				}
				e := unitEntry{raw: raw, off: off}
				if err := unitDecode(raw, &e.unit); err != nil {
					unitDecodeProblem(p, data, e, i, err)
					continue
				}
				entries = append(entries, e)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil
			}
		default:
			line, col := lineCol(data, keyOff)
			p.add(line, col, fmt.Sprintf("unknown key %q (want about or units)", key),
				fmt.Sprintf("未知字段“%s”（只能是 about 或 units）", key))
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil
			}
		}
	}
	if !seenUnits {
		p.add(1, 1, `the file has no "units" list`, "文件中没有 units 列表")
	}
	return entries
}

func unitDecode(raw []byte, u *weiquan.Unit) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(u)
}

func unitDecodeProblem(p *unitProblems, data []byte, e unitEntry, i int, err error) {
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ) && typ.Field == "":
		line, col := lineCol(data, e.off)
		p.add(line, col, fmt.Sprintf("unit %d is not an object", i+1), fmt.Sprintf("第 %d 个单位应为 JSON 对象", i+1))
	case errors.As(err, &typ):
		line, col := lineCol(data, e.off+unitFieldOffset(e.raw, typ.Field, -1))
		p.add(line, col, fmt.Sprintf("unit %d: %s has the wrong type (%s, want %s)", i+1, typ.Field, typ.Value, typ.Type),
			fmt.Sprintf("第 %d 个单位的字段 %s 类型不对", i+1, typ.Field))
	default:
		// encoding/json reports an unknown field only as text.
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name = strings.Trim(name, `"`)
			line, col := lineCol(data, e.off+unitFieldOffset(e.raw, name, -1))
			p.add(line, col, fmt.Sprintf("unit %d: unknown field %q", i+1, name),
				fmt.Sprintf("第 %d 个单位有未知字段“%s”，请检查拼写", i+1, name))
			return
		}
		line, col := lineCol(data, e.off)
		p.add(line, col, fmt.Sprintf("unit %d: %v", i+1, err), fmt.Sprintf("第 %d 个单位无法读取", i+1))
	}
}

// unitMerge validates the file's units and lays them over the generated set.
func unitMerge(p *unitProblems, data []byte, entries []unitEntry) []weiquan.Unit {
	generated := weiquan.FujianUnits()
	index := make(map[string]int, len(generated)+len(entries))
	for i, u := range generated {
		index[u.ID] = i
	}
	units := generated
	at := func(e unitEntry, field string, elem int) (int, int) {
		off := e.off
		if field != "" {
			off += unitFieldOffset(e.raw, field, elem)
		}
		return lineCol(data, off)
	}
	fromFile := make(map[string]unitEntry, len(entries))
	var merged []unitEntry // in file order, so problems come out in reading order
	for n, e := range entries {
		u := e.unit
		if u.ID == "" {
			line, col := at(e, "", -1)
			p.add(line, col, fmt.Sprintf("unit %d: id is required", n+1), fmt.Sprintf("第 %d 个单位缺少 id", n+1))
			continue
		}
		if !unitIDPattern.MatchString(u.ID) {
			line, col := at(e, "id", -1)
			p.add(line, col, fmt.Sprintf("unit %q: id must be 2 to 64 lower-case letters, digits and hyphens, starting with a letter", u.ID),
				fmt.Sprintf("单位编号“%s”应为 2 到 64 个小写字母、数字或连字符，并以字母开头", u.ID))
			continue
		}
		if first, dup := fromFile[u.ID]; dup {
			line, col := at(e, "id", -1)
			firstLine, _ := lineCol(data, first.off)
			p.add(line, col, fmt.Sprintf("unit %q: id already used by the unit at line %d", u.ID, firstLine),
				fmt.Sprintf("单位编号“%s”与第 %d 行的单位重复", u.ID, firstLine))
			continue
		}
		fromFile[u.ID] = e
		if !unitCheck(p, e, at) {
			continue
		}
		if i, ok := index[u.ID]; ok {
			if old := units[i]; old.Type != u.Type {
				line, col := at(e, "type", -1)
				p.add(line, col, fmt.Sprintf("unit %q: the Fujian set has it as %s; a file may rename it but not make it %s", u.ID, old.Type, u.Type),
					fmt.Sprintf("单位“%s”在福建省默认单位中是 %s，文件可以改名但不能改为 %s", u.ID, old.Type, u.Type))
				continue
			}
			units[i] = u
		} else {
			index[u.ID] = len(units)
			units = append(units, u)
		}
		merged = append(merged, e)
	}

	// Parents may be defined later in the file, so they are checked once
	// every unit is known; a loop would make Ancestors run forever.
	odrOwner := map[string]string{}
	for _, e := range merged {
		u := e.unit
		if u.ParentID != "" {
			if _, ok := index[u.ParentID]; !ok {
				line, col := at(e, "parent_id", -1)
				p.add(line, col, fmt.Sprintf("unit %q: parent %q does not exist", u.ID, u.ParentID),
					fmt.Sprintf("单位“%s”的上级单位“%s”不存在", u.ID, u.ParentID))
			} else if loop := unitLoop(units, index, u.ID); loop != "" {
				line, col := at(e, "parent_id", -1)
				p.add(line, col, fmt.Sprintf("unit %q: parents form a loop (%s)", u.ID, loop),
					fmt.Sprintf("单位“%s”的上级关系形成循环（%s）", u.ID, loop))
			}
		}
		if u.Type == weiquan.UnitEnterprise {
			if other, dup := odrOwner[u.USCC]; dup {
				line, col := at(e, "uscc", -1)
				p.add(line, col, fmt.Sprintf("unit %q: uscc %s already belongs to ODR enterprise %q", u.ID, u.USCC, other),
					fmt.Sprintf("单位“%s”的统一社会信用代码 %s 已属于 ODR 企业“%s”", u.ID, u.USCC, other))
			} else {
				odrOwner[u.USCC] = u.ID
			}
		}
	}
	return units
}

// unitLoop follows parents from id and describes the loop it runs into, or
// returns "".
func unitLoop(units []weiquan.Unit, index map[string]int, id string) string {
	path := []string{id}
	for cur := id; ; {
		i, ok := index[cur]
		if !ok || units[i].ParentID == "" {
			return ""
		}
		cur = units[i].ParentID
		path = append(path, cur)
		if slices.Contains(path[:len(path)-1], cur) {
			return strings.Join(path, " → ")
		}
	}
}

// unitCheck validates one unit of a file on its own; false when it must not
// be merged.
func unitCheck(p *unitProblems, e unitEntry, at func(unitEntry, string, int) (int, int)) bool {
	before := p.count
	unitCheckFields(e.unit, func(field string, elem int, missing bool, en, zh string) {
		if missing {
			// An absent key has no place of its own: the unit's is shown.
			field, elem = "", -1
		}
		line, col := at(e, field, elem)
		p.add(line, col, fmt.Sprintf("unit %q: %s", e.unit.ID, en), fmt.Sprintf("单位“%s”：%s", e.unit.ID, zh))
	})
	return p.count == before
}

// unitCheckFields validates one unit on its own, calling bad for each
// problem with the field it concerns (elem ≥ 0: which element of a list;
// missing: the field is required and empty). The units file and the
// administrator's form (admin.go) share it, so both refuse the same units.
func unitCheckFields(u weiquan.Unit, report func(field string, elem int, missing bool, en, zh string)) {
	bad := func(field string, elem int, en, zh string) { report(field, elem, false, en, zh) }
	need := func(field, en, zh string) { report(field, -1, true, en, zh) }
	name := strings.TrimSpace(u.Name)
	switch {
	case name == "":
		need("name", "name is required", "缺少名称")
	case name != u.Name || utf8.RuneCountInString(name) > 100:
		bad("name", -1, "name must be at most 100 characters without surrounding spaces", "名称最多 100 个字，且首尾不能有空格")
	}
	if u.Example && !strings.Contains(u.Name, "示例") {
		bad("name", -1, "an example's name must contain 示例", "示例单位的名称必须含“示例”")
	}
	switch u.Type {
	case weiquan.UnitDispatch, weiquan.UnitAgency, weiquan.UnitStation, weiquan.UnitArbitration, weiquan.UnitEnterprise:
	case "":
		need("type", "type is required", "缺少类型")
	default:
		bad("type", -1, fmt.Sprintf("unknown type %q (want dispatch, agency, station, arbitration or enterprise)", u.Type),
			fmt.Sprintf("未知类型“%s”（应为 dispatch、agency、station、arbitration 或 enterprise）", u.Type))
	}
	if u.DivisionCode == "" {
		need("division_code", "division_code is required", "缺少行政区划代码 division_code")
	} else if _, ok := weiquan.DivisionByCode(u.DivisionCode); !ok {
		bad("division_code", -1, fmt.Sprintf("unknown division code %q", u.DivisionCode),
			fmt.Sprintf("行政区划代码“%s”不是福建省的区划", u.DivisionCode))
	}
	if u.ParentID == u.ID {
		bad("parent_id", -1, "a unit cannot be its own parent", "上级单位不能是自己")
	}

	if u.USCC != "" && (weiquan.NormalizeUSCC(u.USCC) != u.USCC || !weiquan.ValidUSCC(u.USCC)) {
		bad("uscc", -1, fmt.Sprintf("uscc %q is not a valid unified social credit code (18 upper-case characters, GB 32100 check character)", u.USCC),
			fmt.Sprintf("统一社会信用代码“%s”无效（应为 18 位大写字符且校验位正确）", u.USCC))
	}
	if u.Type == weiquan.UnitEnterprise && u.USCC == "" {
		need("uscc", "an ODR enterprise needs its uscc", "ODR 企业必须填写统一社会信用代码 uscc")
	}

	hasMembers := u.Type == weiquan.UnitStation || u.Type == weiquan.UnitArbitration
	if len(u.Members) > 0 && !hasMembers {
		bad("members", -1, "members are only for stations and arbitration bodies", "只有服务站和仲裁机构可以有成员 members")
	}
	for i, m := range u.Members {
		switch {
		case weiquan.NormalizeUSCC(m) != m || !weiquan.ValidUSCC(m):
			bad("members", i, fmt.Sprintf("members[%d] %q is not a valid unified social credit code", i, m),
				fmt.Sprintf("成员 members[%d]“%s”不是有效的统一社会信用代码", i, m))
		case slices.Contains(u.Members[:i], m):
			bad("members", i, fmt.Sprintf("members[%d] %s is listed twice", i, m), fmt.Sprintf("成员 %s 重复", m))
		}
	}

	switch {
	case u.Type == weiquan.UnitArbitration && u.MaxAmountFen <= 0:
		report("max_amount_fen", -1, u.MaxAmountFen == 0, "an arbitration body needs max_amount_fen > 0 (its small-claims ceiling in fen)",
			"仲裁机构必须填写小额仲裁金额上限 max_amount_fen（分，大于 0）")
	case u.Type != weiquan.UnitArbitration && u.MaxAmountFen != 0:
		bad("max_amount_fen", -1, "max_amount_fen is only for arbitration bodies", "只有仲裁机构可以设金额上限 max_amount_fen")
	}

	switch {
	case u.Type == weiquan.UnitArbitration && len(u.Covers) == 0:
		need("covers", "an arbitration body needs covers (the divisions it serves)", "仲裁机构必须填写服务的区划 covers")
	case len(u.Covers) > 0 && !hasMembers:
		bad("covers", -1, "covers is only for stations and arbitration bodies", "只有服务站和仲裁机构可以设服务区划 covers")
	}
	for i, c := range u.Covers {
		switch d, ok := weiquan.DivisionByCode(c); {
		case !ok || d.Level == weiquan.LevelProvince:
			bad("covers", i, fmt.Sprintf("covers[%d] %q is not a Fujian city or county code", i, c),
				fmt.Sprintf("服务区划 covers[%d]“%s”不是福建省的市或县级区划代码", i, c))
		case slices.Contains(u.Covers[:i], c):
			bad("covers", i, fmt.Sprintf("covers[%d] %s is listed twice", i, c), fmt.Sprintf("服务区划 %s 重复", c))
		}
	}

	switch {
	case u.DeadlineDays < 0 || u.DeadlineDays > unitMaxDeadlineDays:
		bad("deadline_days", -1, fmt.Sprintf("deadline_days must be from 1 to %d working days (0 = the policy's)", unitMaxDeadlineDays),
			fmt.Sprintf("时限 deadline_days 应为 1 到 %d 个工作日（0 表示按时限政策）", unitMaxDeadlineDays))
	case u.DeadlineDays != 0 && u.Type != weiquan.UnitStation && u.Type != weiquan.UnitEnterprise:
		bad("deadline_days", -1, "deadline_days is only for stations and ODR enterprises", "只有服务站和 ODR 企业可以设时限 deadline_days")
	}
}

// unitIndex builds the lookups routing needs.
func unitIndex(units []weiquan.Unit) *unitSet {
	slices.SortFunc(units, func(a, b weiquan.Unit) int { return strings.Compare(a.ID, b.ID) })
	u := &unitSet{
		all:        units,
		byID:       make(map[string]int, len(units)),
		agencyOf:   map[string]string{},
		dispatchOf: map[string]string{},
		odrOf:      map[string]int{},
		stationsOf: map[string][]int{},
	}
	for i, x := range units {
		u.byID[x.ID] = i
		switch x.Type {
		case weiquan.UnitAgency:
			// Extra agencies of a division (a 市场监管所 under its bureau)
			// do not take cases from the bureau: amr-<code> wins, else the
			// first by ID.
			if cur, ok := u.agencyOf[x.DivisionCode]; !ok || (x.ID == "amr-"+x.DivisionCode && cur != x.ID) {
				u.agencyOf[x.DivisionCode] = x.ID
			}
		case weiquan.UnitDispatch:
			if cur, ok := u.dispatchOf[x.DivisionCode]; !ok || (x.ID == "dispatch-"+x.DivisionCode && cur != x.ID) {
				u.dispatchOf[x.DivisionCode] = x.ID
			}
		case weiquan.UnitEnterprise:
			u.odrOf[x.USCC] = i
		case weiquan.UnitStation:
			for _, m := range x.Members {
				u.stationsOf[m] = append(u.stationsOf[m], i)
			}
		case weiquan.UnitArbitration:
			u.arbitration = append(u.arbitration, i)
		}
	}
	return u
}

// Get returns a unit by ID.
func (u *unitSet) Get(id string) (weiquan.Unit, bool) {
	x := u.unit(id)
	if x == nil {
		return weiquan.Unit{}, false
	}
	return unitClone(*x), true
}

// All returns every unit, sorted by ID. The slice is the caller's.
func (u *unitSet) All() []weiquan.Unit {
	out := make([]weiquan.Unit, len(u.all))
	for i, x := range u.all {
		out[i] = unitClone(x)
	}
	return out
}

// unit returns the shared unit for read-only use inside the package.
func (u *unitSet) unit(id string) *weiquan.Unit {
	i, ok := u.byID[id]
	if !ok {
		return nil
	}
	return &u.all[i]
}

// unitName is "amr-350203 思明区市场监督管理局", or the ID alone when unknown.
func (u *unitSet) unitName(id string) string {
	if x := u.unit(id); x != nil {
		return x.ID + " " + x.Name
	}
	return id
}

func unitClone(x weiquan.Unit) weiquan.Unit {
	x.Members = slices.Clone(x.Members)
	x.Covers = slices.Clone(x.Covers)
	return x
}

// AgencyFor returns the agency competent for a division: the county's
// bureau for a county code, the city's for a city code, the province's for
// 350000. 金门县 (350527) has none: Fujian does not administer it.
func (u *unitSet) AgencyFor(division string) (string, bool) {
	id, ok := u.agencyOf[division]
	return id, ok
}

// DispatchFor returns the dispatch centre for a division: its city's, else
// the province's. 金门县 goes to the province: 泉州 does not administer it
// either, and what happens to such a case is a provincial decision.
func (u *unitSet) DispatchFor(division string) string {
	if division != weiquan.DivisionKinmen {
		if id, ok := u.dispatchOf[weiquan.CityCode(division)]; ok {
			return id
		}
	}
	if id, ok := u.dispatchOf[weiquan.ProvinceCode]; ok {
		return id
	}
	return unitProvinceDispatch
}

// ODRFor returns the ODR enterprise whose own credit code is uscc.
func (u *unitSet) ODRFor(uscc string) (weiquan.Unit, bool) {
	i, ok := u.odrOf[weiquan.NormalizeUSCC(uscc)]
	if !ok {
		return weiquan.Unit{}, false
	}
	return unitClone(u.all[i]), true
}

// StationFor returns the station that has uscc as a member and serves the
// division (the first by ID when several do). With division "" membership
// alone decides: a member business is where its station is.
func (u *unitSet) StationFor(uscc, division string) (weiquan.Unit, bool) {
	for _, i := range u.stationsOf[weiquan.NormalizeUSCC(uscc)] {
		if division == "" || unitServes(&u.all[i], division) {
			return unitClone(u.all[i]), true
		}
	}
	return weiquan.Unit{}, false
}

// ArbitrationFor returns the arbitration body serving a division (the first
// by ID when several do).
func (u *unitSet) ArbitrationFor(division string) (weiquan.Unit, bool) {
	if x := u.arbitrationFor(division); x != nil {
		return unitClone(*x), true
	}
	return weiquan.Unit{}, false
}

func (u *unitSet) arbitrationFor(division string) *weiquan.Unit {
	if division == "" {
		return nil
	}
	for _, i := range u.arbitration {
		if unitServes(&u.all[i], division) {
			return &u.all[i]
		}
	}
	return nil
}

// unitServes reports whether a station or arbitration body serves a
// division: it is in covers (or is the unit's own division when covers is
// empty), or its city is.
func unitServes(x *weiquan.Unit, division string) bool {
	city := weiquan.CityCode(division)
	check := func(c string) bool { return c == division || (city != "" && c == city) }
	if len(x.Covers) == 0 {
		return check(x.DivisionCode)
	}
	return slices.ContainsFunc(x.Covers, check)
}

// Ancestors returns the unit, its parent and so on up to the top (the
// province's agency or dispatch centre); nil for an unknown ID. Supervisors
// of any of them oversee the unit's cases.
func (u *unitSet) Ancestors(id string) []string {
	var out []string
	for cur := id; cur != "" && len(out) <= len(u.all); {
		x := u.unit(cur)
		if x == nil {
			break
		}
		out = append(out, x.ID)
		cur = x.ParentID
	}
	return out
}

// unitProblems collects the problems of a data file (units or routing rules)
// so that a person fixes them all in one go, each located by line and
// column.
type unitProblems struct {
	source string
	what   string // 单位文件, 分派规则文件
	list   []error
	first  string // the first problem in Chinese
	count  int
}

// unitMaxProblems bounds what one error carries: past a few dozen, the file
// is not what the loader thinks it is.
const unitMaxProblems = 50

func (p *unitProblems) add(line, col int, en, zh string) {
	if p.count == 0 {
		p.first = fmt.Sprintf("%s %s 第 %d 行第 %d 列：%s", p.what, p.source, line, col, zh)
	}
	p.count++
	if len(p.list) < unitMaxProblems {
		p.list = append(p.list, &LineError{Source: p.source, Line: line, Column: col, Msg: en, Chinese: zh})
	}
}

// err returns nil without problems, else one *weiquan.Error whose message
// names the first problem and whose cause joins every *LineError.
func (p *unitProblems) err(code string) error {
	if p.count == 0 {
		return nil
	}
	msg := p.first
	if p.count > 1 {
		msg += fmt.Sprintf("（另有 %d 处错误）", p.count-1)
	}
	return &weiquan.Error{Code: code, Message: msg, Err: errors.Join(p.list...)}
}

// unitSkipSpace moves an offset past JSON whitespace and the separators
// json.Decoder leaves before the next token.
func unitSkipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) {
		switch data[off] {
		case ' ', '\t', '\r', '\n', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

// unitFieldOffset finds, inside one unit's JSON object, where a key starts
// or (elem ≥ 0) where the elem-th value of its list starts; 0 when absent.
func unitFieldOffset(raw []byte, key string, elem int) int64 {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0
	}
	for dec.More() {
		keyOff := unitSkipSpace(raw, dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return 0
		}
		if k, _ := tok.(string); k != key {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return 0
			}
			continue
		}
		if elem < 0 {
			return keyOff
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return keyOff
		}
		for i := 0; dec.More(); i++ {
			off := unitSkipSpace(raw, dec.InputOffset())
			if i == elem {
				return off
			}
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return keyOff
			}
		}
		return keyOff
	}
	return 0
}

// The methods of Units each read one snapshot.

// Get returns a unit by ID.
func (u *Units) Get(id string) (weiquan.Unit, bool) { return u.set().Get(id) }

// All returns every unit, sorted by ID. The slice is the caller's.
func (u *Units) All() []weiquan.Unit { return u.set().All() }

// AgencyFor returns the agency competent for a division (see unitSet.AgencyFor).
func (u *Units) AgencyFor(division string) (string, bool) { return u.set().AgencyFor(division) }

// DispatchFor returns the dispatch centre for a division (see unitSet.DispatchFor).
func (u *Units) DispatchFor(division string) string { return u.set().DispatchFor(division) }

// ODRFor returns the ODR enterprise whose own credit code is uscc.
func (u *Units) ODRFor(uscc string) (weiquan.Unit, bool) { return u.set().ODRFor(uscc) }

// StationFor returns the station that has uscc as a member and serves the
// division (see unitSet.StationFor).
func (u *Units) StationFor(uscc, division string) (weiquan.Unit, bool) {
	return u.set().StationFor(uscc, division)
}

// ArbitrationFor returns the arbitration body serving a division.
func (u *Units) ArbitrationFor(division string) (weiquan.Unit, bool) {
	return u.set().ArbitrationFor(division)
}

// Ancestors returns the unit, its parent and so on up to the top (see
// unitSet.Ancestors).
func (u *Units) Ancestors(id string) []string { return u.set().Ancestors(id) }
