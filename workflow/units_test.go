package workflow

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"weiquan"
)

// unitTestLineErrors collects every *LineError in err's tree, in order.
func unitTestLineErrors(err error) []*LineError {
	var out []*LineError
	var walk func(error)
	walk = func(e error) {
		if le, ok := e.(*LineError); ok {
			out = append(out, le)
			return
		}
		switch x := e.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range x.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			if u := x.Unwrap(); u != nil {
				walk(u)
			}
		}
	}
	walk(err)
	return out
}

func unitTestDefault(t testing.TB) *Units {
	t.Helper()
	u, err := DefaultUnits()
	if err != nil {
		t.Fatalf("DefaultUnits: %v", err)
	}
	return u
}

func TestDefaultUnits(t *testing.T) {
	units := unitTestDefault(t)
	all := units.All()
	if !slices.IsSortedFunc(all, func(a, b weiquan.Unit) int { return strings.Compare(a.ID, b.ID) }) {
		t.Error("All() is not sorted by ID")
	}
	generated := weiquan.FujianUnits()
	if got, want := len(all), len(generated)+8; got != want {
		t.Errorf("len(All()) = %d, want %d (the Fujian set and the 8 examples)", got, want)
	}
	for _, g := range generated {
		if got, ok := units.Get(g.ID); !ok || got.Name != g.Name {
			t.Errorf("Get(%q) = %q, %v; want the generated %q", g.ID, got.Name, ok, g.Name)
		}
	}
	count := map[weiquan.UnitType]int{}
	for _, u := range all {
		if u.Type == weiquan.UnitAgency || u.Type == weiquan.UnitDispatch {
			continue
		}
		count[u.Type]++
		if !u.Example || !strings.Contains(u.Name, "示例") {
			t.Errorf("%s: Example = %v, name %q; every shipped station, arbitration body and ODR enterprise is a 示例", u.ID, u.Example, u.Name)
		}
		for _, code := range append(slices.Clone(u.Members), u.USCC) {
			if code != "" && !weiquan.ValidUSCC(code) {
				t.Errorf("%s: credit code %q is not valid", u.ID, code)
			}
		}
	}
	if count[weiquan.UnitStation] < 3 || count[weiquan.UnitArbitration] != 2 || count[weiquan.UnitEnterprise] < 3 {
		t.Errorf("examples: %v; want at least 3 stations, 2 arbitration bodies, at least 3 ODR enterprises", count)
	}
	for _, id := range []string{"arb-350200", "arb-350100"} {
		u, ok := units.Get(id)
		if !ok || u.MaxAmountFen <= 0 || len(u.Covers) == 0 || len(u.Members) == 0 {
			t.Errorf("Get(%q) = %+v, %v; want an arbitration body with a ceiling, covers and members", id, u, ok)
		}
	}
	if u, _ := units.Get("amr-350128"); u.Name != "平潭综合实验区市场监督管理局" {
		t.Errorf("amr-350128 is %q, want 平潭综合实验区市场监督管理局", u.Name)
	}
	if _, ok := units.Get("amr-350527"); ok {
		t.Error("金门县 has an agency; Fujian does not administer it")
	}
	again, _ := DefaultUnits()
	if again.set() != units.set() {
		t.Error("DefaultUnits loaded the embedded file twice")
	}
	if again == units {
		t.Error("DefaultUnits returned a shared handle: one administrator's change would reach every user of the defaults")
	}
}

// TestUnitsAreCopies: a caller changing what Get or All returned does not
// change the shared set.
func TestUnitsAreCopies(t *testing.T) {
	units := unitTestDefault(t)
	u, _ := units.Get("station-350203-zhongshan")
	u.Members[0] = "changed"
	all := units.All()
	i := slices.IndexFunc(all, func(u weiquan.Unit) bool { return u.ID == "station-350203-zhongshan" })
	all[i].Covers[0] = "changed"
	again, _ := units.Get("station-350203-zhongshan")
	if again.Members[0] == "changed" || again.Covers[0] == "changed" {
		t.Errorf("the shared unit changed: %+v", again)
	}
}

func TestUnitsAgencyFor(t *testing.T) {
	units := unitTestDefault(t)
	tests := []struct {
		division string
		want     string
		ok       bool
	}{
		{"350203", "amr-350203", true},
		{"350128", "amr-350128", true},
		{"350200", "amr-350200", true},
		{"350000", "amr-350000", true},
		{"350527", "", false},
		{"", "", false},
		{"330106", "", false},
	}
	for _, tt := range tests {
		t.Run("division "+tt.division, func(t *testing.T) {
			got, ok := units.AgencyFor(tt.division)
			if got != tt.want || ok != tt.ok {
				t.Errorf("AgencyFor(%q) = %q, %v; want %q, %v", tt.division, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestUnitsDispatchFor(t *testing.T) {
	units := unitTestDefault(t)
	tests := []struct{ division, want string }{
		{"350203", "dispatch-350200"},
		{"350200", "dispatch-350200"},
		{"350128", "dispatch-350100"},
		{"350982", "dispatch-350900"},
		{"350527", "dispatch-350000"},
		{"350000", "dispatch-350000"},
		{"", "dispatch-350000"},
		{"330106", "dispatch-350000"},
	}
	for _, tt := range tests {
		t.Run("division "+tt.division, func(t *testing.T) {
			if got := units.DispatchFor(tt.division); got != tt.want {
				t.Errorf("DispatchFor(%q) = %q, want %q", tt.division, got, tt.want)
			}
		})
	}
}

func TestUnitsODRFor(t *testing.T) {
	units := unitTestDefault(t)
	tests := []struct{ uscc, want string }{
		{"91350206EXAMPLE01H", "odr-xiamen-youxuan"},
		{"91350104example02j", "odr-fuzhou-jiadian"}, // not yet normalised
		{"91350582EXAMPLE039", "odr-jinjiang-xiefu"},
		{"92350203EXAMPLE114", ""}, // a station member, not an ODR enterprise
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.uscc, func(t *testing.T) {
			got, ok := units.ODRFor(tt.uscc)
			if got.ID != tt.want || ok != (tt.want != "") {
				t.Errorf("ODRFor(%q) = %q, %v; want %q", tt.uscc, got.ID, ok, tt.want)
			}
		})
	}
}

func TestUnitsStationFor(t *testing.T) {
	units := unitTestDefault(t)
	tests := []struct {
		name, uscc, division, want string
	}{
		{"member in the station's county", "92350203EXAMPLE114", "350203", "station-350203-zhongshan"},
		{"member in a county the station covers", "91350102EXAMPLE22P", "350103", "station-350102-dongjiekou"},
		{"station without covers serves its own division", "91350582EXAMPLE316", "350582", "station-350582-xiefu"},
		{"member elsewhere", "92350203EXAMPLE114", "350206", ""},
		{"member, division unknown", "92350203EXAMPLE114", "", "station-350203-zhongshan"},
		{"not a member", "91350206EXAMPLE01H", "350206", ""},
		{"no credit code", "", "350203", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := units.StationFor(tt.uscc, tt.division)
			if got.ID != tt.want || ok != (tt.want != "") {
				t.Errorf("StationFor(%q, %q) = %q, %v; want %q", tt.uscc, tt.division, got.ID, ok, tt.want)
			}
		})
	}
}

func TestUnitsArbitrationFor(t *testing.T) {
	units := unitTestDefault(t)
	tests := []struct{ division, want string }{
		{"350203", "arb-350200"},
		{"350213", "arb-350200"},
		{"350200", "arb-350200"},
		{"350128", "arb-350100"},
		{"350802", ""},
		{"350000", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run("division "+tt.division, func(t *testing.T) {
			got, ok := units.ArbitrationFor(tt.division)
			if got.ID != tt.want || ok != (tt.want != "") {
				t.Errorf("ArbitrationFor(%q) = %q, %v; want %q", tt.division, got.ID, ok, tt.want)
			}
		})
	}
}

func TestUnitsAncestors(t *testing.T) {
	units := unitTestDefault(t)
	tests := []struct {
		id   string
		want []string
	}{
		{"station-350203-zhongshan", []string{"station-350203-zhongshan", "amr-350203", "amr-350200", "amr-350000"}},
		{"amr-350128", []string{"amr-350128", "amr-350100", "amr-350000"}},
		{"odr-xiamen-youxuan", []string{"odr-xiamen-youxuan", "amr-350206", "amr-350200", "amr-350000"}},
		{"dispatch-350500", []string{"dispatch-350500", "dispatch-350000"}},
		{"amr-350000", []string{"amr-350000"}},
		{"no-such-unit", nil},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := units.Ancestors(tt.id); !slices.Equal(got, tt.want) {
				t.Errorf("Ancestors(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}

// TestLoadUnitsMerge: a file adds units (a parent may come after its
// child) and renames a generated one; the bureau keeps its county's cases.
func TestLoadUnitsMerge(t *testing.T) {
	file := `{
  "units": [
    {"id": "amr-350203-gulangyu", "name": "鼓浪屿市场监督管理所", "type": "agency", "division_code": "350203", "parent_id": "amr-350203"},
    {"id": "station-350203-gly", "name": "鼓浪屿消费维权服务站", "type": "station", "division_code": "350203", "parent_id": "amr-350203-gulangyu",
     "members": ["91350203EXAMPLE12A"]},
    {"id": "amr-350203", "name": "厦门市思明区市场监督管理局", "type": "agency", "division_code": "350203", "parent_id": "amr-350200"}
  ]
}`
	units, err := LoadUnits(strings.NewReader(file), "extra.json")
	if err != nil {
		t.Fatalf("LoadUnits: %v", err)
	}
	if u, _ := units.Get("amr-350203"); u.Name != "厦门市思明区市场监督管理局" {
		t.Errorf("amr-350203 is %q; the file renames it", u.Name)
	}
	if got, _ := units.AgencyFor("350203"); got != "amr-350203" {
		t.Errorf("AgencyFor(350203) = %q; the bureau, not the extra 所, takes the county's cases", got)
	}
	if got, want := units.Ancestors("station-350203-gly"), []string{"station-350203-gly", "amr-350203-gulangyu", "amr-350203", "amr-350200", "amr-350000"}; !slices.Equal(got, want) {
		t.Errorf("Ancestors = %v, want %v", got, want)
	}
	if _, ok := units.Get("station-350203-zhongshan"); ok {
		t.Error("a loaded file carries the shipped examples; it should carry only the Fujian set and itself")
	}
	if got, want := len(units.All()), len(weiquan.FujianUnits())+2; got != want {
		t.Errorf("len(All()) = %d, want %d", got, want)
	}
}

func TestLoadUnitsErrors(t *testing.T) {
	// unit wraps units as lines 3… of a file; line 1 is "{", line 2 "units".
	unit := func(lines ...string) string {
		return "{\n  \"units\": [\n" + strings.Join(lines, ",\n") + "\n  ]\n}\n"
	}
	const (
		station = `{"id": "station-a", "name": "甲服务站", "type": "station", "division_code": "350203"`
		arb     = `{"id": "arb-a", "name": "甲仲裁", "type": "arbitration", "division_code": "350200", "covers": ["350200"], "max_amount_fen": 100`
		odr     = `{"id": "odr-a", "name": "甲公司", "type": "enterprise", "division_code": "350203", "uscc": "91350206EXAMPLE01H"`
	)
	tests := []struct {
		name       string
		file       string
		code       string
		line, col  int
		msg        string
		moreErrors int
	}{
		{name: "not JSON", file: "{\n  \"units\": [\n", code: weiquan.EInvalid, line: 3, col: 1,
			msg: "invalid JSON: unexpected end of JSON input"},
		{name: "a list, not an object", file: "[]", code: weiquan.EInvalid, line: 1, col: 1,
			msg: `the file must be a JSON object with a "units" list`},
		{name: "unknown top-level key", file: "{\n  \"unit\": []\n}", code: weiquan.EInvalid, line: 2, col: 3,
			msg: `unknown key "unit" (want about or units)`, moreErrors: 1},
		{name: "units not a list", file: "{\"units\": {}}", code: weiquan.EInvalid, line: 1, col: 11,
			msg: `"units" must be a list`},
		{name: "unit not an object", file: unit(`    "station-a"`), code: weiquan.EInvalid, line: 3, col: 5,
			msg: "unit 1 is not an object"},
		{name: "unknown field", file: unit(`    {"id": "station-a", "nmae": "甲"}`), code: weiquan.EInvalid, line: 3, col: 25,
			msg: `unit 1: unknown field "nmae"`},
		{name: "wrong type", file: unit("    {\"id\": \"arb-a\",\n     \"max_amount_fen\": \"5000\"}"), code: weiquan.EInvalid, line: 4, col: 6,
			msg: "unit 1: max_amount_fen has the wrong type (string, want int64)"},
		{name: "missing id", file: unit(`    {"name": "甲", "type": "agency", "division_code": "350203"}`), code: weiquan.EValidation, line: 3, col: 5,
			msg: "unit 1: id is required"},
		{name: "bad id", file: unit(`    {"id": "Station_1", "name": "甲", "type": "agency", "division_code": "350203"}`), code: weiquan.EValidation, line: 3, col: 6,
			msg: `unit "Station_1": id must be 2 to 64 lower-case letters, digits and hyphens, starting with a letter`},
		{name: "duplicate id", file: unit("    "+station+"}", "    "+station+"}"), code: weiquan.EValidation, line: 4, col: 6,
			msg: `unit "station-a": id already used by the unit at line 3`},
		{name: "missing name", file: unit(`    {"id": "amr-x", "type": "agency", "division_code": "350203"}`), code: weiquan.EValidation, line: 3, col: 5,
			msg: `unit "amr-x": name is required`},
		{name: "unknown type", file: unit(`    {"id": "amr-x", "name": "甲", "type": "bureau", "division_code": "350203"}`), code: weiquan.EValidation, line: 3, col: 34,
			msg: `unit "amr-x": unknown type "bureau" (want dispatch, agency, station, arbitration or enterprise)`},
		{name: "generated unit changes type", file: unit(`    {"id": "amr-350203", "name": "甲", "type": "station", "division_code": "350203"}`), code: weiquan.EValidation, line: 3, col: 39,
			msg: `unit "amr-350203": the Fujian set has it as agency; a file may rename it but not make it station`},
		{name: "missing division", file: unit(`    {"id": "amr-x", "name": "甲", "type": "agency"}`), code: weiquan.EValidation, line: 3, col: 5,
			msg: `unit "amr-x": division_code is required`},
		{name: "division outside Fujian", file: unit(`    {"id": "amr-x", "name": "甲", "type": "agency", "division_code": "330106"}`), code: weiquan.EValidation, line: 3, col: 52,
			msg: `unit "amr-x": unknown division code "330106"`},
		{name: "missing parent", file: unit(`    {"id": "amr-x", "name": "甲", "type": "agency", "division_code": "350203",` + "\n" + `     "parent_id": "amr-999999"}`), code: weiquan.EValidation, line: 4, col: 6,
			msg: `unit "amr-x": parent "amr-999999" does not exist`},
		{name: "own parent", file: unit(`    {"id": "amr-x", "name": "甲", "type": "agency", "division_code": "350203", "parent_id": "amr-x"}`), code: weiquan.EValidation, line: 3, col: 79,
			msg: `unit "amr-x": a unit cannot be its own parent`},
		{name: "parent loop", file: unit(
			`    {"id": "amr-x", "name": "甲", "type": "agency", "division_code": "350203", "parent_id": "amr-y"}`,
			`    {"id": "amr-y", "name": "乙", "type": "agency", "division_code": "350203", "parent_id": "amr-x"}`), code: weiquan.EValidation, line: 3, col: 79,
			msg: `unit "amr-x": parents form a loop (amr-x → amr-y → amr-x)`, moreErrors: 1},
		{name: "bad credit code", file: unit(`    {"id": "odr-a", "name": "甲公司", "type": "enterprise", "division_code": "350203", "uscc": "91350206EXAMPLE01X"}`), code: weiquan.EValidation, line: 3, col: 85,
			msg: `unit "odr-a": uscc "91350206EXAMPLE01X" is not a valid unified social credit code (18 upper-case characters, GB 32100 check character)`},
		{name: "ODR enterprise without credit code", file: unit(`    {"id": "odr-a", "name": "甲公司", "type": "enterprise", "division_code": "350203"}`), code: weiquan.EValidation, line: 3, col: 5,
			msg: `unit "odr-a": an ODR enterprise needs its uscc`},
		{name: "two ODR enterprises, one credit code", file: unit("    "+odr+"}", "    "+strings.Replace(odr, "odr-a", "odr-b", 1)+"}"), code: weiquan.EValidation, line: 4, col: 85,
			msg: `unit "odr-b": uscc 91350206EXAMPLE01H already belongs to ODR enterprise "odr-a"`},
		{name: "members of an agency", file: unit(`    {"id": "amr-x", "name": "甲", "type": "agency", "division_code": "350203", "members": ["91350206EXAMPLE01H"]}`), code: weiquan.EValidation, line: 3, col: 79,
			msg: `unit "amr-x": members are only for stations and arbitration bodies`},
		{name: "bad member, located by element", file: unit("    " + station + ", \"members\": [\n" + `      "91350206EXAMPLE01H",` + "\n" + `      "91350206EXAMPLE01"]}`), code: weiquan.EValidation, line: 5, col: 7,
			msg: `unit "station-a": members[1] "91350206EXAMPLE01" is not a valid unified social credit code`},
		{name: "member twice", file: unit("    " + station + `, "members": ["91350206EXAMPLE01H", "91350206EXAMPLE01H"]}`), code: weiquan.EValidation, line: 3, col: 121,
			msg: `unit "station-a": members[1] 91350206EXAMPLE01H is listed twice`},
		{name: "arbitration without ceiling", file: unit(`    {"id": "arb-a", "name": "甲仲裁", "type": "arbitration", "division_code": "350200", "covers": ["350200"]}`), code: weiquan.EValidation, line: 3, col: 5,
			msg: `unit "arb-a": an arbitration body needs max_amount_fen > 0 (its small-claims ceiling in fen)`},
		{name: "arbitration with negative ceiling", file: unit(`    {"id": "arb-a", "name": "甲仲裁", "type": "arbitration", "division_code": "350200", "covers": ["350200"],` + "\n" + `     "max_amount_fen": -1}`), code: weiquan.EValidation, line: 4, col: 6,
			msg: `unit "arb-a": an arbitration body needs max_amount_fen > 0 (its small-claims ceiling in fen)`},
		{name: "arbitration without covers", file: unit(`    {"id": "arb-a", "name": "甲仲裁", "type": "arbitration", "division_code": "350200", "max_amount_fen": 100}`), code: weiquan.EValidation, line: 3, col: 5,
			msg: `unit "arb-a": an arbitration body needs covers (the divisions it serves)`},
		{name: "ceiling on a station", file: unit("    " + station + `, "max_amount_fen": 100}`), code: weiquan.EValidation, line: 3, col: 87,
			msg: `unit "station-a": max_amount_fen is only for arbitration bodies`},
		{name: "covers on an agency", file: unit(`    {"id": "amr-x", "name": "甲", "type": "agency", "division_code": "350203", "covers": ["350203"]}`), code: weiquan.EValidation, line: 3, col: 79,
			msg: `unit "amr-x": covers is only for stations and arbitration bodies`},
		{name: "unknown field on a later line", file: unit("    " + arb + ",\n" + `     "members": [], "covers2": 1}`), code: weiquan.EInvalid, line: 4, col: 21,
			msg: `unit 1: unknown field "covers2"`},
		{name: "covers an unknown division", file: unit(`    {"id": "arb-a", "name": "甲仲裁", "type": "arbitration", "division_code": "350200", "max_amount_fen": 100,` + "\n" + `     "covers": ["350200", "350000"]}`), code: weiquan.EValidation, line: 4, col: 27,
			msg: `unit "arb-a": covers[1] "350000" is not a Fujian city or county code`},
		{name: "covers twice", file: unit(`    {"id": "arb-a", "name": "甲仲裁", "type": "arbitration", "division_code": "350200", "max_amount_fen": 100,` + "\n" + `     "covers": ["350200", "350200"]}`), code: weiquan.EValidation, line: 4, col: 27,
			msg: `unit "arb-a": covers[1] 350200 is listed twice`},
		{name: "negative deadline", file: unit("    " + station + `, "deadline_days": -1}`), code: weiquan.EValidation, line: 3, col: 87,
			msg: `unit "station-a": deadline_days must be from 1 to 250 working days (0 = the policy's)`},
		{name: "deadline on an agency", file: unit(`    {"id": "amr-x", "name": "甲", "type": "agency", "division_code": "350203", "deadline_days": 5}`), code: weiquan.EValidation, line: 3, col: 79,
			msg: `unit "amr-x": deadline_days is only for stations and ODR enterprises`},
		{name: "example not named 示例", file: unit("    " + station + `, "example": true}`), code: weiquan.EValidation, line: 3, col: 25,
			msg: `unit "station-a": an example's name must contain 示例`},
		{name: "every problem reported", file: unit(
			`    {"id": "amr-x", "name": "甲", "type": "bureau", "division_code": "350203"}`,
			`    {"id": "amr-y", "name": "乙", "type": "agency", "division_code": "999999"}`), code: weiquan.EValidation, line: 3, col: 34,
			msg: `unit "amr-x": unknown type "bureau" (want dispatch, agency, station, arbitration or enterprise)`, moreErrors: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadUnits(strings.NewReader(tt.file), "test.json")
			if err == nil {
				t.Fatalf("LoadUnits succeeded; want %s", tt.msg)
			}
			if got := weiquan.ErrorCode(err); got != tt.code {
				t.Errorf("code = %s, want %s (%v)", got, tt.code, err)
			}
			les := unitTestLineErrors(err)
			if len(les) != 1+tt.moreErrors {
				t.Fatalf("%d line errors, want %d: %v", len(les), 1+tt.moreErrors, err)
			}
			le := les[0]
			if le.Source != "test.json" || le.Line != tt.line || le.Column != tt.col || le.Msg != tt.msg {
				t.Errorf("got  %s:%d:%d: %s\nwant test.json:%d:%d: %s", le.Source, le.Line, le.Column, le.Msg, tt.line, tt.col, tt.msg)
			}
			msg := weiquan.ErrorMessage(err)
			if want := "单位文件 test.json 第 " + strconv.Itoa(tt.line) + " 行"; !strings.HasPrefix(msg, want) {
				t.Errorf("message %q does not start with %q", msg, want)
			}
			if tt.moreErrors > 0 && !strings.Contains(msg, "另有") {
				t.Errorf("message %q does not say there are more problems", msg)
			}
		})
	}
}

func TestLoadUnitsTooLarge(t *testing.T) {
	big := strings.NewReader(`{"about": "` + strings.Repeat("x", unitMaxFileBytes) + `", "units": []}`)
	_, err := LoadUnits(big, "big.json")
	if got := weiquan.ErrorCode(err); got != weiquan.ETooLarge {
		t.Errorf("code = %q (%v), want %q", got, err, weiquan.ETooLarge)
	}
}

// TestLoadUnitsEmpty: a file with no units is the plain Fujian set.
func TestLoadUnitsEmpty(t *testing.T) {
	units, err := LoadUnits(strings.NewReader(`{"units": []}`), "empty.json")
	if err != nil {
		t.Fatalf("LoadUnits: %v", err)
	}
	if got, want := len(units.All()), len(weiquan.FujianUnits()); got != want {
		t.Errorf("len(All()) = %d, want %d", got, want)
	}
	if _, ok := units.ODRFor("91350206EXAMPLE01H"); ok {
		t.Error("ODRFor found an enterprise in a set without any")
	}
}
