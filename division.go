package weiquan

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"strings"
)

// Division is an administrative division of Fujian (GB/T 2260 code).
type Division struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	Level      string `json:"level"` // province, city, county
	ParentCode string `json:"parent_code"`
}

// Division levels.
const (
	LevelProvince = "province"
	LevelCity     = "city"
	LevelCounty   = "county"
)

// ProvinceCode is Fujian's code.
const ProvinceCode = "350000"

//go:embed fujian_divisions.csv
var divisionsCSV string

// Divisions is the Fujian table, in file order (province, then each city
// followed by its counties).
var Divisions = mustParseDivisions(divisionsCSV)

var divisionByCode = func() map[string]Division {
	m := make(map[string]Division, len(Divisions))
	for _, d := range Divisions {
		m[d.Code] = d
	}
	return m
}()

func mustParseDivisions(s string) []Division {
	rows, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		panic(fmt.Sprintf("embedded divisions: %v", err))
	}
	out := make([]Division, 0, len(rows))
	for i, r := range rows {
		if i == 0 {
			continue // header
		}
		if len(r) != 4 || len(r[0]) != 6 {
			panic(fmt.Sprintf("embedded divisions: bad row %d: %v", i+1, r))
		}
		out = append(out, Division{Code: r[0], Name: r[1], Level: r[2], ParentCode: r[3]})
	}
	return out
}

// DivisionByCode finds a Fujian division.
func DivisionByCode(code string) (Division, bool) {
	d, ok := divisionByCode[code]
	return d, ok
}

// CityCode returns the city a county belongs to (a city returns itself, the
// province returns "").
func CityCode(code string) string {
	d, ok := divisionByCode[code]
	switch {
	case !ok || d.Level == LevelProvince:
		return ""
	case d.Level == LevelCity:
		return d.Code
	default:
		return d.ParentCode
	}
}

// Divisions that exist in the national table but are not handled as plain
// counties by Fujian's market supervision.
const (
	DivisionKinmen  = "350527" // 金门县: not administered by Fujian, no agency
	DivisionPingtan = "350128" // 平潭县: 平潭综合实验区
)
