package seed

import (
	"strconv"
	"strings"

	"weiquan"
)

// county is a county-level division of Fujian with the names addresses use.
type county struct {
	code, name, short string // 350203 思明区 思明
	cityCode          string
	cityName          string // 厦门市
	cityShort         string // 厦门
}

type city struct{ code, name, short string }

// shortName drops the 区/县/市 suffix as people do (思明区 → 思明, 沙县区 →
// 沙县), keeping at least two characters.
func shortName(name string) string {
	r := []rune(name)
	if len(r) > 2 && strings.ContainsRune("区县市", r[len(r)-1]) {
		return string(r[:len(r)-1])
	}
	return name
}

// How much business each city sees, relative to the smallest; urban
// districts see more than counties.
var cityWeight = map[string]int{
	"350100": 30, "350200": 30, "350500": 30, "350600": 20, "350300": 15,
	"350800": 12, "350900": 12, "350400": 10, "350700": 10,
}

// Busy commercial centres.
var busyCounties = map[string]bool{
	"350102": true, "350103": true, "350104": true, "350203": true, "350206": true,
	"350503": true, "350582": true,
}

var (
	cities   []city
	counties []county
	// countyPicker draws a county in proportion to its weight.
	countyPicker picker
	// cityPickers draw a county of one city; idx maps to counties.
	cityPickers = map[string]picker{}
	// divisionCores are the short names of every city and county, longest
	// first: a generated name must not spell one by accident.
	divisionCores []string
)

func init() {
	cityByCode := map[string]city{}
	for _, d := range weiquan.Divisions {
		if d.Level == weiquan.LevelCity {
			c := city{code: d.Code, name: d.Name, short: shortName(d.Name)}
			cities = append(cities, c)
			cityByCode[d.Code] = c
		}
	}
	var weights []int
	perCity := map[string][]int{}
	perCityWeights := map[string][]int{}
	for _, d := range weiquan.Divisions {
		// Kinmen is not administered by Fujian: no business there can be
		// handled by the province.
		if d.Level != weiquan.LevelCounty || d.Code == weiquan.DivisionKinmen {
			continue
		}
		ci := cityByCode[d.ParentCode]
		c := county{code: d.Code, name: d.Name, short: shortName(d.Name), cityCode: ci.code, cityName: ci.name, cityShort: ci.short}
		w := cityWeight[ci.code]
		switch {
		case strings.HasSuffix(d.Name, "区"):
			w *= 4
		case strings.HasSuffix(d.Name, "市"):
			w *= 3
		default:
			w *= 2
		}
		if busyCounties[d.Code] {
			w *= 2
		}
		perCity[ci.code] = append(perCity[ci.code], len(counties))
		perCityWeights[ci.code] = append(perCityWeights[ci.code], w)
		counties = append(counties, c)
		weights = append(weights, w)
	}
	countyPicker = newPicker(weights)
	for _, ci := range cities {
		p := newPicker(perCityWeights[ci.code])
		p.idx = perCity[ci.code]
		cityPickers[ci.code] = p
	}
	for _, ci := range cities {
		divisionCores = append(divisionCores, ci.short)
	}
	for _, c := range counties {
		divisionCores = append(divisionCores, c.short)
	}
}

// zihao draws a two-character trade name (字号) that spells neither a
// division nor a well-known business.
func (g *Generator) zihao() string {
	for {
		a := nameChars[g.r.IntN(len(nameChars))]
		b := nameChars[g.r.IntN(len(nameChars))]
		if a == b {
			continue
		}
		s := a + b
		if !mentionsAny(s, divisionCores) && !mentionsAny(s, nameBlacklist) {
			return s
		}
	}
}

func mentionsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// address writes a street address in the county, in one of the forms people
// use: with or without the province and city, or the short 厦门思明 form.
// commercial addresses are shops and offices, the others homes.
func (g *Generator) address(c county, commercial bool) string {
	var b strings.Builder
	switch x := g.r.IntN(100); {
	case x < 15:
		b.WriteString("福建省" + c.cityName + c.name)
	case x < 85:
		b.WriteString(c.cityName + c.name)
	case x < 95:
		b.WriteString(c.name)
	default:
		b.WriteString(c.cityShort + c.short)
	}
	b.WriteString(streets[g.r.IntN(len(streets))])
	b.WriteString(strconv.Itoa(1+g.r.IntN(388)) + "号")
	if commercial {
		switch x := g.r.IntN(100); {
		case x < 35:
		case x < 70:
			b.WriteString(g.zihao() + commerceSuffixes[g.r.IntN(len(commerceSuffixes))] +
				strconv.Itoa(1+g.r.IntN(5)) + "层" + strconv.Itoa(100+g.r.IntN(80)) + "号")
		default:
			b.WriteString(strconv.Itoa(1+g.r.IntN(20)) + "号店面")
		}
		return b.String()
	}
	b.WriteString(g.zihao() + residenceSuffixes[g.r.IntN(len(residenceSuffixes))] +
		strconv.Itoa(1+g.r.IntN(30)) + "栋" + strconv.Itoa(1+g.r.IntN(32)) + pad(1+g.r.IntN(6), 2) + "室")
	return b.String()
}

// place is how a business name begins: 厦门市思明区, 晋江市 (a county-level
// city stands alone), 闽侯县 or 福州市闽侯县.
func (g *Generator) place(c county) string {
	switch {
	case strings.HasSuffix(c.name, "市"):
		return c.name
	case strings.HasSuffix(c.name, "县") && g.r.IntN(2) == 0:
		return c.name
	default:
		return c.cityName + c.name
	}
}

// respondent builds a business in the county: its name, a valid credit code
// registered there, its address, and for online sellers the platform shop.
func (g *Generator) respondent(p product, c county, online bool) weiquan.Respondent {
	tr := p.trade
	if len(tr.company) == 0 {
		tr = trades[p.category]
	}
	zh := g.zihao()
	company := tr.company[g.r.IntN(len(tr.company))]
	var r weiquan.Respondent
	kind, reg := "91", c.code // 9 market supervision, 1 enterprise
	switch x := g.r.IntN(100); {
	case x < 35:
		r.Name = g.place(c) + zh + company + "有限公司"
	case x < 55:
		r.Name = c.cityShort + zh + company + "有限公司"
		if g.r.IntN(2) == 0 {
			reg = c.cityCode
		}
	case x < 65:
		r.Name = c.cityName + zh + company + "有限公司"
		if g.r.IntN(2) == 0 {
			reg = c.cityCode
		}
	case x < 85:
		// 个体工商户: type 2, registered in the county.
		kind = "92"
		r.Name = g.place(c) + zh + tr.store[g.r.IntN(len(tr.store))]
	case x < 94:
		r.Name = c.cityName + zh + company + "有限公司" + c.short + "分公司"
	default:
		r.Name = "福建" + zh + company + "有限公司"
		reg = c.cityCode
	}
	r.USCC = g.uscc(kind, reg)
	r.Address = g.address(c, true)
	r.DivisionCode = c.code
	if online {
		r.Platform = platforms[g.r.IntN(len(platforms))]
		r.Shop = g.zihao() + company + shopSuffixes[g.r.IntN(len(shopSuffixes))]
	}
	return r
}

// uscc builds a unified social credit code (GB 32100-2015): registration
// authority and entity type, the division code of registration, a 9-character
// organisation code (GB 11714, with its own check character) and the check
// character over the first 17.
func (g *Generator) uscc(kind, division string) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	var body strings.Builder
	if g.r.IntN(100) < 75 {
		// Codes issued since 2015 start with MA.
		body.WriteString("MA")
		for range 6 {
			body.WriteByte(alphabet[g.r.IntN(len(alphabet))])
		}
	} else {
		// Older, all-digit organisation codes carried over.
		body.WriteByte(byte('1' + g.r.IntN(7)))
		for range 7 {
			body.WriteByte(byte('0' + g.r.IntN(10)))
		}
	}
	org := body.String()
	org += string(orgCheckChar(org))
	first17 := kind + division + org
	check, ok := weiquan.USCCCheckChar(first17)
	if !ok {
		// Every character above comes from the USCC alphabet.
		panic("seed: USCC built from characters outside the alphabet: " + first17)
	}
	return first17 + string(check)
}

// orgCheckChar is the GB 11714 check character of an 8-character
// organisation code body.
func orgCheckChar(body string) byte {
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 8; i++ {
		c := body[i]
		v := int(c - '0')
		if c >= 'A' && c <= 'Z' {
			v = int(c-'A') + 10
		}
		sum += v * weights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + c)
	}
}
