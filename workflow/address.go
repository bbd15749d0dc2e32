package workflow

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"weiquan"
)

// Resolution is what ResolveAddress made of an address. Code is a Fujian
// county-level division code, or "" when the address does not say which
// county it is in; Reason explains either outcome to the dispatcher.
type Resolution struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// ResolveAddress finds the Fujian county-level division a respondent's
// address lies in. It never guesses: an address that names no county, names
// two, names a county that is not in the city it also names, or lies in
// another province resolves to Code "" so that a dispatcher decides.
//
// Addresses are matched on division names, tolerant of a missing province or
// city and of missing 省/市/区/县 suffixes ("厦门思明湖滨南路", "福州鼓楼"), and
// on the former names of divisions renamed or merged since 2003 ("长乐市",
// "梅列区"). A bare name without its suffix is a weaker signal than a full
// one, because the same characters are also streets, towns, shops and
// companies ("湖里大道", "城厢镇", "沙县小吃", "华安证券"): it counts only right
// after a Fujian city or the province, or at the very start of an address
// that goes on like an address, and never when a road, town or business word
// follows it. Written directly after its own city ("福州连江市场路",
// "泉州泉港站前路", "福州鼓楼东街口") a bare name is the county whatever
// follows, unless it begins a road name or names a business. A full county
// name outranks bare names; two different full names, or two cities, are a
// conflict.
//
// A province or a prominent city outside Fujian, written as one ("南京市",
// "南京鼓楼", "浙江杭州"), makes the address resolve to "": it is not ours, or
// not only ours. Names that a district of another province shares (鼓楼区:
// 南京, 徐州, 开封; 永定区: 张家界) count only together with the Fujian city
// or the province.
func ResolveAddress(addr string) Resolution {
	rs := addrNormalize(addr)
	if len(rs) == 0 {
		return Resolution{Reason: "地址为空"}
	}
	ms := addrScan(rs)
	addrAccept(rs, ms)

	var (
		province  bool
		cities    []string
		elsewhere []string
		explicit  []addrMention
		bare      []addrMention
	)
	for _, m := range ms {
		if !m.accepted {
			continue
		}
		switch m.kind {
		case addrProvince:
			province = true
		case addrCity:
			if !slices.Contains(cities, m.code) {
				cities = append(cities, m.code)
			}
		case addrCounty:
			if m.explicit {
				explicit = append(explicit, m)
			} else {
				bare = append(bare, m)
			}
		case addrElsewhere:
			if !slices.Contains(elsewhere, m.word) {
				elsewhere = append(elsewhere, m.word)
			}
		}
	}

	// A full county name outranks bare names: "厦门市湖里区思明…" is in
	// 湖里区 whatever 思明 is doing there.
	cands := explicit
	if len(cands) == 0 {
		cands = bare
	}
	codes := make([]string, 0, 1)
	for _, m := range cands {
		if !slices.Contains(codes, m.code) {
			codes = append(codes, m.code)
		}
	}

	if len(elsewhere) > 0 {
		// 金门 is claimed by both sides of the strait; an address written
		// "台湾金门县…" is still the 金门县 of the national code table.
		kinmenOnly := len(codes) == 1 && codes[0] == weiquan.DivisionKinmen
		if !(kinmenOnly && len(elsewhere) == 1 && elsewhere[0] == "台湾") {
			return Resolution{Reason: fmt.Sprintf("地址在福建省以外（%s），请指挥中心核实", strings.Join(elsewhere, "、"))}
		}
	}
	if len(cities) > 1 {
		return Resolution{Reason: fmt.Sprintf("地址中出现多个城市（%s），无法确定区县", addrNames(cities))}
	}
	switch len(codes) {
	case 0:
		switch {
		case len(cities) == 1:
			return Resolution{Reason: fmt.Sprintf("地址只写到%s，没有写明区县", addrNames(cities))}
		case province:
			return Resolution{Reason: "地址只写到福建省，没有写明城市和区县"}
		case addrOnlyPlatform(rs):
			return Resolution{Reason: "地址只有电商平台名称，没有经营地址"}
		}
		return Resolution{Reason: "地址中没有找到福建省的区县名称"}
	case 1:
	default:
		return Resolution{Reason: fmt.Sprintf("地址同时指向多个区县（%s），无法确定", addrNames(codes))}
	}
	code := codes[0]
	if len(cities) == 1 && weiquan.CityCode(code) != cities[0] {
		return Resolution{Reason: fmt.Sprintf("地址中的区县（%s）不属于所写的城市（%s）", addrNames(codes), addrNames(cities))}
	}
	m := cands[0]
	if m.national && !province && len(cities) == 0 {
		return Resolution{Reason: fmt.Sprintf("外省也有“%s”，地址中需写明%s", m.word, addrNames([]string{weiquan.CityCode(code)}))}
	}
	reason := "地址指向" + addrNames(codes)
	switch d, _ := weiquan.DivisionByCode(code); {
	case m.word == d.Name || m.word == addrStem(d.Name):
	case m.former:
		reason += fmt.Sprintf("（“%s”为旧称）", m.word)
	default:
		reason += fmt.Sprintf("（按“%s”匹配）", m.word)
	}
	return Resolution{Code: code, Reason: reason}
}

// addrKind is what a word found in an address names.
type addrKind uint8

const (
	addrProvince  addrKind = iota + 1 // 福建
	addrCity                          // a Fujian prefecture-level city
	addrCounty                        // a Fujian county-level division
	addrElsewhere                     // a province or city outside Fujian
	addrNoise                         // a word that contains a place name but is none (三明治)
)

// addrEntry is one word of the resolver's dictionary.
type addrEntry struct {
	kind addrKind
	code string
	// explicit: written with its 省/市/区/县 suffix, or an official former
	// name; it needs no context to count.
	explicit bool
	// national: a division of another province has the same name, so it
	// counts only together with a Fujian city or the province.
	national bool
	former   bool // the name of a division before a rename or merger
}

type addrMention struct {
	addrEntry
	word       string
	start, end int // rune offsets in the normalised address
	accepted   bool
}

// addrFormerNames are the official names of divisions renamed or merged in
// recent years, still printed on licences, signs and people's memories.
// Codes are those of fujian_divisions.csv (2023 edition).
var addrFormerNames = map[string]string{
	"长乐市":  "350112", // 2017: 长乐市 → 福州市长乐区
	"建阳市":  "350703", // 2014: 建阳市 → 南平市建阳区
	"永定县":  "350803", // 2014: 永定县 → 龙岩市永定区
	"梅列区":  "350404", // 2021: 梅列区 and 三元区 merged into 三元区
	"龙海市":  "350604", // 2021: 龙海市 → 漳州市龙海区
	"长泰县":  "350605", // 2021: 长泰县 → 漳州市长泰区
	"鼓浪屿区": "350203", // 2003: merged into 思明区
	"开元区":  "350203", // 2003: merged into 思明区
}

// addrAdministrativeNames are full names that are not in the code table but
// name one county: 平潭县 is run as 平潭综合实验区.
var addrAdministrativeNames = map[string]string{
	"平潭综合实验区": weiquan.DivisionPingtan,
	"平潭综合试验区": weiquan.DivisionPingtan, // a common misspelling
	"平潭实验区":   weiquan.DivisionPingtan,
}

// addrBareAliases are names without a division suffix that point to one
// county: a former district's bare name and islands that are a county's
// best-known name. They follow the rules of bare names ("鼓浪屿馅饼" is a
// snack sold everywhere).
var addrBareAliases = map[string]string{
	"梅列":  "350404",
	"鼓浪屿": "350203",
	"东山岛": "350626",
	"平潭岛": weiquan.DivisionPingtan,
	"湄洲岛": "350305",
}

// addrNationalNames are Fujian division names that another province also
// uses: 南京、徐州、开封 have a 鼓楼区, 张家界 a 永定区, 黔东南 a 台江县, 鹤岗 a
// 东山区.
var addrNationalNames = []string{"鼓楼区", "鼓楼", "永定区", "永定", "台江", "东山"}

// addrElsewhereNames are the 33 other provincial-level divisions and the
// cities outside Fujian that appear in complaints or have a district named
// like a Fujian one. City names that are also common street, town or
// landmark names in Fujian (中山, 洛阳, 南通, 黄山, 北海, 大同) are left out:
// such a city is detected through its province or not at all, and an
// address that names no Fujian county resolves to "" anyway.
var addrElsewhereNames = []string{
	"北京", "天津", "河北", "山西", "内蒙古", "内蒙", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江",
	"安徽", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
	"云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "台湾", "香港", "澳门",
	"南京", "徐州", "开封", "张家界", "黔东南", "鹤岗", "苏州", "无锡", "常州", "扬州", "杭州",
	"宁波", "温州", "义乌", "金华", "嘉兴", "绍兴", "台州", "丽水", "衢州", "广州", "深圳", "东莞",
	"佛山", "珠海", "汕头", "潮州", "揭阳", "梅州", "南昌", "赣州", "上饶", "鹰潭", "景德镇", "合肥",
	"济南", "青岛", "烟台", "郑州", "武汉", "长沙", "成都", "贵阳", "昆明", "南宁", "桂林", "海口",
	"三亚", "石家庄", "太原", "沈阳", "大连", "长春", "哈尔滨", "呼和浩特", "西安", "兰州", "西宁",
	"银川", "乌鲁木齐", "拉萨", "台北", "高雄",
}

// addrNoiseWords contain a place name but are not places.
var addrNoiseWords = []string{"三明治"}

// addrPlatforms are e-commerce platforms: an address that is only one of
// them says where the shop sells, not where it is.
var addrPlatforms = []string{
	"淘宝", "天猫", "京东", "拼多多", "抖音", "快手", "美团", "饿了么", "唯品会", "苏宁", "小红书",
	"闲鱼", "微店", "得物", "携程", "飞猪", "亚马逊", "当当", "微信", "网店", "店铺", "旗舰店",
}

var (
	addrDict    map[string]addrEntry
	addrMaxWord int
)

func init() {
	addrDict, addrMaxWord = addrBuildDict()
}

// addrBuildDict builds the dictionary from the embedded division table.
// Bare names that two divisions share would be guesses: they are left out.
func addrBuildDict() (map[string]addrEntry, int) {
	d := map[string]addrEntry{}
	shared := map[string]bool{}
	add := func(w string, e addrEntry) {
		if old, ok := d[w]; ok && (old.kind != e.kind || old.code != e.code) {
			if old.explicit && e.explicit {
				panic(fmt.Sprintf("workflow: division name %q is used by %s and %s", w, old.code, e.code))
			}
			shared[w] = true
			return
		}
		d[w] = e
	}
	county := func(code string) {
		if d, ok := weiquan.DivisionByCode(code); !ok || d.Level != weiquan.LevelCounty {
			panic(fmt.Sprintf("workflow: address alias points to %s, not a Fujian county", code))
		}
	}
	add("福建省", addrEntry{kind: addrProvince, code: weiquan.ProvinceCode, explicit: true})
	add("福建", addrEntry{kind: addrProvince, code: weiquan.ProvinceCode})
	for _, div := range weiquan.Divisions {
		var kind addrKind
		switch div.Level {
		case weiquan.LevelCity:
			kind = addrCity
		case weiquan.LevelCounty:
			kind = addrCounty
		default:
			continue
		}
		add(div.Name, addrEntry{kind: kind, code: div.Code, explicit: true})
		if stem := addrStem(div.Name); stem != div.Name && utf8.RuneCountInString(stem) >= 2 {
			add(stem, addrEntry{kind: kind, code: div.Code})
		}
	}
	for w, code := range addrFormerNames {
		county(code)
		add(w, addrEntry{kind: addrCounty, code: code, explicit: true, former: true})
	}
	for w, code := range addrAdministrativeNames {
		county(code)
		add(w, addrEntry{kind: addrCounty, code: code, explicit: true})
	}
	for w, code := range addrBareAliases {
		county(code)
		add(w, addrEntry{kind: addrCounty, code: code, former: w == "梅列"})
	}
	for _, w := range addrNationalNames {
		e, ok := d[w]
		if !ok {
			panic(fmt.Sprintf("workflow: %q is not a Fujian division name", w))
		}
		e.national = true
		d[w] = e
	}
	for _, w := range addrElsewhereNames {
		add(w, addrEntry{kind: addrElsewhere, explicit: true})
	}
	for _, w := range addrNoiseWords {
		add(w, addrEntry{kind: addrNoise, explicit: true})
	}
	for w := range shared {
		delete(d, w)
	}
	longest := 0
	for w := range d {
		longest = max(longest, utf8.RuneCountInString(w))
	}
	return d, longest
}

// addrStem is a division name without its 省/市/区/县 suffix.
func addrStem(name string) string {
	for _, suf := range []string{"省", "市", "区", "县"} {
		if s, ok := strings.CutSuffix(name, suf); ok {
			return s
		}
	}
	return name
}

// addrNormalize folds full-width ASCII to half-width and drops whitespace
// and invisible characters, which people and input methods scatter through
// addresses ("厦门 思明区", "福州市　鼓楼区").
func addrNormalize(s string) []rune {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		}
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.IsControl(r) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// addrScan finds dictionary words, leftmost-longest and without overlap, so
// that "沙县区" is one word and "山西" inside "中山西路" is found only where
// no longer word starts earlier.
func addrScan(rs []rune) []addrMention {
	var ms []addrMention
	for i := 0; i < len(rs); {
		matched := false
		for l := min(addrMaxWord, len(rs)-i); l >= 2; l-- {
			w := string(rs[i : i+l])
			e, ok := addrDict[w]
			if !ok {
				continue
			}
			// "福州市场" is the 福州 market, not 福州市 followed by 场.
			if rs[i+l-1] == '市' && i+l < len(rs) && rs[i+l] == '场' {
				continue
			}
			ms = append(ms, addrMention{addrEntry: e, word: w, start: i, end: i + l})
			i += l
			matched = true
			break
		}
		if !matched {
			i++
		}
	}
	return ms
}

// addrAccept decides, left to right, which mentions are place names.
func addrAccept(rs []rune, ms []addrMention) {
	for i := range ms {
		m := &ms[i]
		var prev, next *addrMention
		if i > 0 && addrOnlySeparators(rs[ms[i-1].end:m.start]) {
			prev = &ms[i-1]
		}
		if i+1 < len(ms) && addrOnlySeparators(rs[m.end:ms[i+1].start]) && ms[i+1].kind != addrNoise {
			next = &ms[i+1]
		}
		start := addrAtStart(rs[:m.start])
		switch m.kind {
		case addrProvince:
			m.accepted = m.explicit || !addrFollowedByNonPlace(rs[m.end:])
		case addrCity:
			// A bare city name counts where addresses put it: first, before
			// a division, after the province, or after its county in
			// brackets ("鼓楼区（福州）"); elsewhere it is a shop's or a
			// dish's name ("莆田卤面").
			m.accepted = m.explicit || (!addrFollowedByNonPlace(rs[m.end:]) &&
				(start || next != nil || (prev != nil && prev.accepted && prev.kind == addrProvince) ||
					(prev != nil && prev.accepted && prev.kind == addrCounty && addrBracketed(rs, prev.end, m.end))))
		case addrCounty:
			if m.explicit {
				m.accepted = true
				break
			}
			if i > 0 && addrRightAfterItsCity(ms[i-1], *m) {
				m.accepted = !addrFollowedByRoad(rs[m.end:]) && !addrHasPrefix(rs[m.end:], addrBusinessWords)
				break
			}
			if addrFollowedByNonPlace(rs[m.end:]) {
				break
			}
			afterFujian := prev != nil && prev.accepted && (prev.kind == addrCity || prev.kind == addrProvince)
			leading := start && !m.national && (m.end == len(rs) || addrHasMarker(rs[m.end:]))
			m.accepted = afterFujian || leading
		case addrElsewhere:
			m.accepted = addrStrongSuffix(rs[m.end:]) || (!addrFollowedByNonPlace(rs[m.end:]) &&
				(start || next != nil || (prev != nil && prev.accepted && prev.kind == addrElsewhere)))
		}
	}
}

// addrSeparator reports characters that separate the parts of an address
// without meaning anything: punctuation and symbols.
func addrSeparator(r rune) bool {
	return unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// addrBracketed reports whether rs[from:to] is a name in brackets, as in
// "鼓楼区（福州）" after full-width folding.
func addrBracketed(rs []rune, from, to int) bool {
	return slices.Contains(rs[from:to], '(') && to < len(rs) && rs[to] == ')'
}

func addrOnlySeparators(rs []rune) bool {
	for _, r := range rs {
		if !addrSeparator(r) {
			return false
		}
	}
	return true
}

// addrLabels are what people put before an address.
var addrLabels = []string{
	"地址", "住址", "经营地址", "注册地址", "店铺地址", "门店地址", "发货地址", "发货地", "所在地",
	"经营场所", "住所", "位于", "中国",
}

// addrAtStart reports whether a mention is the first thing in the address:
// nothing before it but separators or a label such as "地址：".
func addrAtStart(before []rune) bool {
	s := strings.TrimFunc(string(before), addrSeparator)
	return s == "" || slices.Contains(addrLabels, s)
}

var (
	addrDirections = []rune("东西南北中")
	addrNumerals   = []rune("一二三四五六七八九十0123456789")
	addrRoadWords  = []string{"路", "街", "大道", "大街", "道", "巷", "弄"}
	// addrDirectionRoadWords follow a direction in a road name ("思明南路",
	// "湖里东大道"); a direction before a plain 街 is a street of the
	// county's town instead ("鼓楼东街口", "鲤城西街").
	addrDirectionRoadWords = []string{"路", "大道", "大街"}
	// addrNonPlaceWords after a name make it a town, village, estate,
	// landmark or business rather than a division; 区/县/市 here mean a
	// different division of the same stem (贵州 台江县, 鹤岗 东山区), since
	// the right suffix would have matched the full name.
	addrNonPlaceWords = []string{
		"镇", "乡", "村", "社区", "小区", "新村", "花园", "公寓", "大厦", "广场", "公园", "商场", "商城",
		"市场", "大学", "学院", "中学", "小学", "学校", "医院", "银行", "公司", "集团", "商行", "店",
		"宾馆", "办事处", "会馆", "站", "机场", "码头", "港", "航空", "证券", "保险", "小吃", "堂",
		"家居", "桥", "寺", "门", "区", "县", "市",
	}
	// addrBusinessWords are the addrNonPlaceWords that make a county name
	// part of a business or of a body that usually sits outside the county
	// it is named after ("沙县小吃", "华安证券", "平和堂", a 会馆 of people
	// from elsewhere), even right after the county's own city. The others
	// (镇, 市场, 站, 公园, 医院 …) there are a place in the county.
	addrBusinessWords = []string{
		"小吃", "证券", "保险", "银行", "公司", "集团", "商行", "店", "宾馆", "航空", "家居", "堂",
		"会馆", "办事处",
	}
	// addrStrongSuffixes after a province or city name make it an
	// administrative name for certain: 省, 市, 自治区, 壮族/回族/维吾尔 …,
	// 特别行政区, 地区, 自治州.
	addrStrongSuffixes = []string{"省", "市", "自治", "壮族", "回族", "维吾尔", "特别行政区", "地区", "州"}
	// addrMarkers show that text goes on like an address.
	addrMarkers = []string{
		"路", "街", "道", "巷", "弄", "镇", "乡", "村", "号", "社区", "小区", "园", "楼", "栋", "幢",
		"室", "大厦", "广场", "工业区", "开发区",
	}
)

func addrHasPrefix(rs []rune, words []string) bool {
	s := string(rs[:min(len(rs), 6)])
	for _, w := range words {
		if strings.HasPrefix(s, w) {
			return true
		}
	}
	return false
}

// addrFollowedByNonPlace reports whether the text after a bare name makes
// it a road ("湖里大道", "思明南路", "中山西二路"), a town, an estate or a
// business instead of a division.
func addrFollowedByNonPlace(rest []rune) bool {
	j := 0
	if j < len(rest) && slices.Contains(addrDirections, rest[j]) {
		j++
	}
	if j < len(rest) && slices.Contains(addrNumerals, rest[j]) {
		j++
	}
	if addrHasPrefix(rest[j:], addrRoadWords) {
		return true
	}
	return addrHasPrefix(rest, addrNonPlaceWords)
}

// addrRightAfterItsCity reports whether the bare county name m is written
// directly after its own city ("福州连江", "福建省福州市连江"), with nothing,
// not even punctuation, in between.
func addrRightAfterItsCity(prev, m addrMention) bool {
	return prev.accepted && prev.kind == addrCity && prev.end == m.start && prev.code == weiquan.CityCode(m.code)
}

// addrFollowedByRoad reports whether the text after a bare name makes it
// the start of a road name: "湖里大道", "湖里大街", "思明南路", "湖滨南二路".
func addrFollowedByRoad(rest []rune) bool {
	j := 0
	direction := j < len(rest) && slices.Contains(addrDirections, rest[j])
	if direction {
		j++
	}
	numeral := j < len(rest) && slices.Contains(addrNumerals, rest[j])
	if numeral {
		j++
	}
	if direction && !numeral {
		return addrHasPrefix(rest[j:], addrDirectionRoadWords)
	}
	return addrHasPrefix(rest[j:], addrRoadWords)
}

func addrStrongSuffix(rest []rune) bool {
	if addrHasPrefix(rest, []string{"市场"}) {
		return false
	}
	return addrHasPrefix(rest, addrStrongSuffixes)
}

func addrHasMarker(rest []rune) bool {
	s := string(rest)
	for _, w := range addrMarkers {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

func addrOnlyPlatform(rs []rune) bool {
	s := string(rs)
	for _, p := range addrPlatforms {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// addrNames renders codes as "福州市鼓楼区、厦门市" for reasons.
func addrNames(codes []string) string {
	names := make([]string, 0, len(codes))
	for _, code := range codes {
		d, ok := weiquan.DivisionByCode(code)
		if !ok {
			names = append(names, code)
			continue
		}
		name := d.Name
		if d.Level == weiquan.LevelCounty {
			if city, ok := weiquan.DivisionByCode(d.ParentCode); ok {
				name = city.Name + name
			}
		}
		names = append(names, name)
	}
	return strings.Join(names, "、")
}

// addrLegacyCodes maps county-level codes retired by renames and mergers to
// the code of the division that replaced them, so that an integration
// still sending an old code gets the current one. 莆田县 (350321) is not
// here: it was split between four districts.
var addrLegacyCodes = map[string]string{
	"350182": "350112", // 长乐市 → 长乐区
	"350784": "350703", // 建阳市 → 建阳区
	"350822": "350803", // 永定县 → 永定区
	"350402": "350404", // 梅列区 → 三元区
	"350403": "350404", // 三元区 (before the merger) → 三元区
	"350427": "350405", // 沙县 → 沙县区
	"350681": "350604", // 龙海市 → 龙海区
	"350625": "350605", // 长泰县 → 长泰区
	"350202": "350203", // 鼓浪屿区 → 思明区
	"350204": "350203", // 开元区 → 思明区
}
