package workflow

import (
	"bufio"
	"bytes"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"weiquan"
)

// Credit codes of the shipped examples (data/units-examples.json).
const (
	routeTestODRXiamen      = "91350206EXAMPLE01H" // odr-xiamen-youxuan, 湖里区
	routeTestODRFuzhou      = "91350104EXAMPLE02J" // odr-fuzhou-jiadian, 仓山区
	routeTestODRJinjiang    = "91350582EXAMPLE039" // odr-jinjiang-xiefu, 晋江市
	routeTestSimingMember   = "92350203EXAMPLE114" // station-350203-zhongshan
	routeTestGulouMember    = "91350102EXAMPLE22P" // station-350102-dongjiekou (鼓楼, 台江)
	routeTestJinjiangMember = "91350582EXAMPLE316" // station-350582-xiefu
	routeTestArbJimei       = "91350211EXAMPLE41W" // committed to arb-350200
	routeTestArbHuli        = "91350206EXAMPLE42Q" // committed to arb-350200
	routeTestArbGulou       = "91350102EXAMPLE51P" // committed to arb-350100
	routeTestArbJinan       = "91350111EXAMPLE52U" // committed to arb-350100
	routeTestPlain          = "91350203MA2Y0K1B3"  // + check character: in no list
)

func routeTestRouter(t testing.TB) *Router {
	t.Helper()
	r, err := DefaultRouter(unitTestDefault(t))
	if err != nil {
		t.Fatalf("DefaultRouter: %v", err)
	}
	return r
}

// routeTestCase is a complaint about an appliance against a business in a
// division, adjusted by opts: the shape of most cases, built directly.
func routeTestCase(kind weiquan.Kind, ch weiquan.Channel, division string, opts ...func(*weiquan.Case)) *weiquan.Case {
	c := &weiquan.Case{
		Kind: kind, Channel: ch,
		Complainant: weiquan.Complainant{Name: "张三", Phone: "13800138000"},
		Respondent:  weiquan.Respondent{Name: "某某商行", DivisionCode: division},
		Subject:     weiquan.Subject{Category: "household_appliances", Problem: "quality", AmountFen: 359900},
		Demands:     []string{"refund"},
		Consent:     weiquan.Consent{SMS: true, Mediation: true},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func withUSCC(u string) func(*weiquan.Case) {
	return func(c *weiquan.Case) { c.Respondent.USCC = u }
}

func withAddress(a string) func(*weiquan.Case) {
	return func(c *weiquan.Case) { c.Respondent.Address = a }
}

func withComplainantAddress(a string) func(*weiquan.Case) {
	return func(c *weiquan.Case) { c.Complainant.Address = a }
}

func withPlatform(platform, shop string) func(*weiquan.Case) {
	return func(c *weiquan.Case) { c.Respondent.Platform, c.Respondent.Shop = platform, shop }
}

func withCategory(cat string) func(*weiquan.Case) {
	return func(c *weiquan.Case) { c.Subject.Category = cat }
}

func withProblem(p string) func(*weiquan.Case) {
	return func(c *weiquan.Case) { c.Subject.Problem = p }
}

func withAmount(fen int64) func(*weiquan.Case) {
	return func(c *weiquan.Case) { c.Subject.AmountFen = fen }
}

func withArbitration(c *weiquan.Case) { c.Consent.Arbitration = true }

func withAnonymous(c *weiquan.Case) { c.Complainant = weiquan.Complainant{Anonymous: true} }

// routeScenario is one case and where the default Fujian rules send it.
type routeScenario struct {
	name       string
	c          *weiquan.Case
	action     string
	track      weiquan.Track
	unit       string
	department string
	ground     string
	hotline    string
	rule       string
	// last is the exact last line of the explanation (the deciding rule),
	// when set; skipped are exact lines that must appear before it.
	last    string
	skipped []string
	// contains are fragments the last line must contain.
	contains []string
}

func routeScenarios(t testing.TB) []routeScenario {
	const (
		C, R, I = weiquan.KindComplaint, weiquan.KindReport, weiquan.KindInquiry
		assign  = DecisionAssign
	)
	check, ok := weiquan.USCCCheckChar(routeTestPlain)
	if !ok {
		t.Fatalf("bad credit code prefix %s", routeTestPlain)
	}
	plain := routeTestPlain + string(check)
	cp, fd, q, pr, ip := DeptConsumerProtection, DeptFoodDrug, DeptQuality, DeptPrice, DeptIntellectualProperty
	return []routeScenario{
		// The county agency, in each of the nine cities, each channel choosing the department.
		{name: "福州 鼓楼区", c: routeTestCase(C, weiquan.Channel12315, "350102", withUSCC(plain)),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350102", department: cp, rule: "county-agency"},
		{name: "厦门 思明区", c: routeTestCase(C, weiquan.Channel12315, "350203"),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350203", department: cp, rule: "county-agency",
			last: "rule 14 `county-agency`: respondent division 350203 思明区 → amr-350203 思明区市场监督管理局 (track agency, department consumer_protection)",
			skipped: []string{
				"rule 1 `inquiry-respondent` skipped: kind complaint is not inquiry",
				"rule 5 `finance` skipped: category household_appliances 家用电器 is not finance",
				"rule 8 `kinmen` skipped: respondent division 350203 思明区 is not 350527 金门县",
				"rule 9 `report-county` skipped: kind complaint is not report",
				"rule 11 `odr-enterprise` skipped: respondent is not an ODR enterprise",
				"rule 12 `station-member` skipped: respondent is not a member of a consumer-rights station",
				"rule 13 `arbitration` skipped: complainant has not consented to arbitration",
			}},
		{name: "莆田 城厢区 food on 12331", c: routeTestCase(C, weiquan.Channel12331, "350302", withCategory("food"), withProblem("food_safety")),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350302", department: fd, rule: "county-agency"},
		{name: "三明 沙县区 on 12365", c: routeTestCase(C, weiquan.Channel12365, "350405"),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350405", department: q, rule: "county-agency"},
		{name: "泉州 晋江市 price on 12358", c: routeTestCase(C, weiquan.Channel12358, "350582", withProblem("price")),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350582", department: pr, rule: "county-agency"},
		{name: "漳州 龙海区 on the web form", c: routeTestCase(C, weiquan.ChannelWeb, "350604"),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350604", department: cp, rule: "county-agency"},
		{name: "南平 武夷山市 on 12330", c: routeTestCase(C, weiquan.Channel12330, "350782", withProblem("counterfeit")),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350782", department: ip, rule: "county-agency"},
		{name: "龙岩 新罗区 by api", c: routeTestCase(C, weiquan.ChannelAPI, "350802"),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350802", department: cp, rule: "county-agency"},
		{name: "宁德 福鼎市", c: routeTestCase(C, weiquan.Channel12315, "350982"),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350982", department: cp, rule: "county-agency"},
		{name: "平潭 goes to the experimental zone's bureau", c: routeTestCase(C, weiquan.Channel12315, "350128"),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350128", department: cp, rule: "county-agency",
			last: "rule 14 `county-agency`: respondent division 350128 平潭县 → amr-350128 平潭综合实验区市场监督管理局 (track agency, department consumer_protection)"},
		{name: "division from the address", c: routeTestCase(C, weiquan.Channel12315, "", withAddress("福建省龙岩市永定区凤城街道1号")),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350803", department: cp, rule: "county-agency",
			last: "rule 14 `county-agency`: respondent division 350803 永定区 (from the address) → amr-350803 永定区市场监督管理局 (track agency, department consumer_protection)"},
		{name: "retired division code 长乐市", c: routeTestCase(C, weiquan.Channel12315, "350182"),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350112", department: cp, rule: "county-agency"},

		// 金门县: in the code table, not administered by Fujian.
		{name: "金门 complaint", c: routeTestCase(C, weiquan.Channel12315, "350527"),
			action: DecisionDispatch, unit: "dispatch-350000", department: cp, rule: "kinmen",
			last: "rule 8 `kinmen`: respondent division 350527 金门县 → dispatch-350000 福建省市场监管投诉举报指挥中心 (dispatch, department consumer_protection) — 金门县不由福建省管辖，没有承办单位，由省指挥中心研究处理"},
		{name: "金门 report on 12331", c: routeTestCase(R, weiquan.Channel12331, "350527", withCategory("food")),
			action: DecisionDispatch, unit: "dispatch-350000", department: fd, rule: "kinmen"},
		{name: "金门 from the address", c: routeTestCase(C, weiquan.Channel12315, "", withAddress("福建省泉州市金门县金城镇民生路1号")),
			action: DecisionDispatch, unit: "dispatch-350000", department: cp, rule: "kinmen",
			contains: []string{"respondent division 350527 金门县 (from the address)"}},

		// Only a city, or nothing.
		{name: "address names only 厦门市", c: routeTestCase(C, weiquan.Channel12315, "", withAddress("厦门市某某广场3楼")),
			action: DecisionDispatch, unit: "dispatch-350200", department: cp, rule: "city-only",
			last: "rule 16 `city-only`: respondent division 350200 厦门市 (city only, from the address) → dispatch-350200 厦门市市场监管投诉举报指挥中心 (dispatch, department consumer_protection) — 只知道所在城市，需由该市指挥中心确定区县承办单位"},
		{name: "an integration sends 宁德's city code", c: routeTestCase(C, weiquan.ChannelAPI, "350900"),
			action: DecisionDispatch, unit: "dispatch-350900", department: cp, rule: "city-only"},
		{name: "no address", c: routeTestCase(C, weiquan.Channel12315, ""),
			action: DecisionDispatch, unit: "dispatch-350000", department: cp, rule: "no-division",
			last: "rule 18 `no-division`: respondent division unknown (no address) → dispatch-350000 福建省市场监管投诉举报指挥中心 (dispatch, department consumer_protection) — 无法确定被投诉人所在区县，需由指挥中心人工分派"},
		{name: "address outside Fujian", c: routeTestCase(C, weiquan.Channel12315, "", withAddress("浙江省杭州市西湖区文三路1号")),
			action: DecisionDispatch, unit: "dispatch-350000", department: cp, rule: "no-division",
			contains: []string{"respondent division unknown (地址在福建省以外"}},
		{name: "only the province", c: routeTestCase(C, weiquan.Channel12315, "350000"),
			action: DecisionDispatch, unit: "dispatch-350000", department: cp, rule: "no-division",
			skipped: []string{"rule 14 `county-agency` skipped: respondent division 350000 福建省 (province only) is not a county"}},

		// Reports: enforcement where the act took place.
		{name: "report in 思明区", c: routeTestCase(R, weiquan.Channel12315, "350203", withProblem("false_advertising")),
			action: assign, track: weiquan.TrackEnforcement, unit: "amr-350203", department: cp, rule: "report-county",
			last: "rule 9 `report-county`: respondent division 350203 思明区 → amr-350203 思明区市场监督管理局 (track enforcement, department consumer_protection)"},
		{name: "anonymous food report in 丰泽区", c: routeTestCase(R, weiquan.Channel12331, "350503", withAnonymous, withCategory("food"), withProblem("food_safety")),
			action: assign, track: weiquan.TrackEnforcement, unit: "amr-350503", department: fd, rule: "report-county"},
		{name: "report against an ODR enterprise goes to enforcement", c: routeTestCase(R, weiquan.Channel12315, "350206", withUSCC(routeTestODRXiamen)),
			action: assign, track: weiquan.TrackEnforcement, unit: "amr-350206", department: cp, rule: "report-county"},
		{name: "report against a station member goes to enforcement", c: routeTestCase(R, weiquan.Channel12365, "350203", withUSCC(routeTestSimingMember)),
			action: assign, track: weiquan.TrackEnforcement, unit: "amr-350203", department: q, rule: "report-county"},
		{name: "report on a shop of a Fujian platform, shop address unknown", c: routeTestCase(R, weiquan.Channel12315, "", withPlatform("示例优选", "某某小店")),
			action: assign, track: weiquan.TrackEnforcement, unit: "amr-350206", department: cp, rule: "report-platform",
			last: "rule 10 `report-platform`: shop 某某小店 on platform 示例优选; platform 示例优选 is registered in 350206 湖里区; respondent division unknown (no address) → amr-350206 湖里区市场监督管理局 (track enforcement, department consumer_protection)"},
		{name: "report on a 淘宝 shop, address unknown", c: routeTestCase(R, weiquan.Channel12315, "", withPlatform("淘宝", "某某小铺")),
			action: DecisionDispatch, unit: "dispatch-350000", department: cp, rule: "platform-outside",
			contains: []string{"platform 淘宝 is registered outside Fujian (浙江省杭州市)", "须由指挥中心移送平台注册地市场监管部门处理"}},
		{name: "report on a 天猫 shop at its own address", c: routeTestCase(R, weiquan.Channel12315, "", withPlatform("天猫", "某某旗舰店"), withAddress("福建省泉州市丰泽区东海街道1号")),
			action: assign, track: weiquan.TrackEnforcement, unit: "amr-350503", department: cp, rule: "report-county"},
		{name: "report with only the city 漳州", c: routeTestCase(R, weiquan.Channel12315, "", withAddress("漳州市某某批发市场")),
			action: DecisionDispatch, unit: "dispatch-350600", department: cp, rule: "city-only"},

		// Outside market supervision: rejected with the right hotline.
		{name: "finance complaint", c: routeTestCase(C, weiquan.Channel12315, "350203", withCategory("finance"), withProblem("contract")),
			action: DecisionReject, ground: "not_market_supervision", hotline: "12378", department: cp, rule: "finance",
			last: "rule 5 `finance`: category finance 金融保险 → reject (ground not_market_supervision, hotline 12378) — 金融保险纠纷不属于市场监管部门职责，请拨打 12378 金融消费者投诉热线"},
		{name: "postal express report", c: routeTestCase(R, weiquan.Channel12315, "350104", withCategory("postal_express")),
			action: DecisionReject, ground: "not_market_supervision", hotline: "12305", department: cp, rule: "postal-express"},
		{name: "medical services complaint on the web", c: routeTestCase(C, weiquan.ChannelWeb, "350702", withCategory("medical_services")),
			action: DecisionReject, ground: "not_market_supervision", hotline: "12320", department: cp, rule: "medical-services"},
		{name: "finance complaint against 金门 is still rejected", c: routeTestCase(C, weiquan.Channel12315, "350527", withCategory("finance")),
			action: DecisionReject, ground: "not_market_supervision", hotline: "12378", department: cp, rule: "finance"},

		// ODR enterprises first.
		{name: "ODR enterprise in 湖里区", c: routeTestCase(C, weiquan.Channel12315, "350206", withUSCC(routeTestODRXiamen)),
			action: assign, track: weiquan.TrackODR, unit: "odr-xiamen-youxuan", department: cp, rule: "odr-enterprise",
			last: "rule 11 `odr-enterprise`: respondent 91350206EXAMPLE01H is ODR enterprise odr-xiamen-youxuan 厦门示例优选电子商务有限公司 → odr-xiamen-youxuan 厦门示例优选电子商务有限公司 (track odr, department consumer_protection)"},
		{name: "ODR enterprise on 12365", c: routeTestCase(C, weiquan.Channel12365, "350104", withUSCC(routeTestODRFuzhou)),
			action: assign, track: weiquan.TrackODR, unit: "odr-fuzhou-jiadian", department: q, rule: "odr-enterprise"},
		{name: "ODR enterprise selling on 天猫, no address", c: routeTestCase(C, weiquan.Channel12315, "", withUSCC(routeTestODRJinjiang), withPlatform("天猫", "晋江示例鞋服旗舰店")),
			action: assign, track: weiquan.TrackODR, unit: "odr-jinjiang-xiefu", department: cp, rule: "odr-enterprise"},
		{name: "ODR enterprise that is also arbitration-ready", c: routeTestCase(C, weiquan.Channel12315, "350206", withUSCC(routeTestODRXiamen), withArbitration),
			action: assign, track: weiquan.TrackODR, unit: "odr-xiamen-youxuan", department: cp, rule: "odr-enterprise"},

		// Station members next.
		{name: "station member in 思明区", c: routeTestCase(C, weiquan.Channel12315, "350203", withUSCC(routeTestSimingMember), withCategory("catering_lodging")),
			action: assign, track: weiquan.TrackStation, unit: "station-350203-zhongshan", department: cp, rule: "station-member",
			last: "rule 12 `station-member`: respondent is a member of station-350203-zhongshan 思明区中山路商圈消费维权服务站（示例） → station-350203-zhongshan 思明区中山路商圈消费维权服务站（示例） (track station, department consumer_protection)"},
		{name: "station member in a county the station covers (台江区)", c: routeTestCase(C, weiquan.Channel12315, "350103", withUSCC(routeTestGulouMember)),
			action: assign, track: weiquan.TrackStation, unit: "station-350102-dongjiekou", department: cp, rule: "station-member"},
		{name: "station member in 晋江市 on 12365", c: routeTestCase(C, weiquan.Channel12365, "350582", withUSCC(routeTestJinjiangMember), withCategory("clothing")),
			action: assign, track: weiquan.TrackStation, unit: "station-350582-xiefu", department: q, rule: "station-member"},
		{name: "station member outside the station's area", c: routeTestCase(C, weiquan.Channel12315, "350206", withUSCC(routeTestSimingMember)),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350206", department: cp, rule: "county-agency",
			skipped: []string{"rule 12 `station-member` skipped: respondent is a member of station-350203-zhongshan 思明区中山路商圈消费维权服务站（示例）, which does not serve 350206 湖里区"}},

		// Arbitration: both consents, within the ceiling of the body serving the division.
		{name: "arbitration in 厦门", c: routeTestCase(C, weiquan.Channel12315, "350211", withUSCC(routeTestArbJimei), withArbitration, withAmount(3_000_000)),
			action: assign, track: weiquan.TrackArbitration, unit: "arb-350200", department: cp, rule: "arbitration",
			last: "rule 13 `arbitration`: complainant consents to arbitration; respondent has committed to arbitration at arb-350200 厦门仲裁委员会小额消费纠纷仲裁中心（示例）; amount 30000.00 元 within the 50000.00 元 ceiling → arb-350200 厦门仲裁委员会小额消费纠纷仲裁中心（示例） (track arbitration, department consumer_protection)"},
		{name: "arbitration at exactly the ceiling", c: routeTestCase(C, weiquan.Channel12315, "350206", withUSCC(routeTestArbHuli), withArbitration, withAmount(5_000_000)),
			action: assign, track: weiquan.TrackArbitration, unit: "arb-350200", department: cp, rule: "arbitration"},
		{name: "arbitration in 福州", c: routeTestCase(C, weiquan.Channel12315, "350111", withUSCC(routeTestArbJinan), withArbitration, withAmount(2_000_000)),
			action: assign, track: weiquan.TrackArbitration, unit: "arb-350100", department: cp, rule: "arbitration"},
		{name: "committed business, complainant did not consent", c: routeTestCase(C, weiquan.Channel12315, "350211", withUSCC(routeTestArbJimei)),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350211", department: cp, rule: "county-agency",
			skipped: []string{"rule 13 `arbitration` skipped: complainant has not consented to arbitration"}},
		{name: "amount above the 厦门 ceiling", c: routeTestCase(C, weiquan.Channel12315, "350206", withUSCC(routeTestArbHuli), withArbitration, withAmount(6_000_000)),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350206", department: cp, rule: "county-agency",
			skipped: []string{"rule 13 `arbitration` skipped: amount 60000.00 元 is above the 50000.00 元 ceiling of arb-350200 厦门仲裁委员会小额消费纠纷仲裁中心（示例）"}},
		{name: "amount above the lower 福州 ceiling", c: routeTestCase(C, weiquan.Channel12315, "350102", withUSCC(routeTestArbGulou), withArbitration, withAmount(4_000_000)),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350102", department: cp, rule: "county-agency"},
		{name: "no arbitration body in 龙岩", c: routeTestCase(C, weiquan.Channel12315, "350802", withUSCC(routeTestArbJimei), withArbitration),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350802", department: cp, rule: "county-agency",
			skipped: []string{"rule 13 `arbitration` skipped: no arbitration body serves respondent division 350802 新罗区"}},
		{name: "business not committed to arbitration", c: routeTestCase(C, weiquan.Channel12315, "350203", withUSCC(plain), withArbitration),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350203", department: cp, rule: "county-agency",
			skipped: []string{"rule 13 `arbitration` skipped: respondent has not committed to arbitration at arb-350200 厦门仲裁委员会小额消费纠纷仲裁中心（示例）"}},
		{name: "no amount, no arbitration", c: routeTestCase(C, weiquan.Channel12315, "350211", withUSCC(routeTestArbJimei), withArbitration, withAmount(0)),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350211", department: cp, rule: "county-agency",
			skipped: []string{"rule 13 `arbitration` skipped: amount 0.00 元 is below 0.01 元"}},

		// Shops on platforms: their own address, else the platform's registration.
		{name: "天猫 shop with its own address in 丰泽区", c: routeTestCase(C, weiquan.Channel12315, "", withPlatform("天猫", "某某旗舰店"), withAddress("福建省泉州市丰泽区东海街道1号")),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350503", department: cp, rule: "county-agency"},
		{name: "天猫 shop with a division code", c: routeTestCase(C, weiquan.Channel12315, "350203", withPlatform("天猫", "某某旗舰店")),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350203", department: cp, rule: "county-agency"},
		{name: "京东 shop, only the platform known", c: routeTestCase(C, weiquan.Channel12315, "", withPlatform("京东", "某某专营店"), withAddress("京东商城某某专营店")),
			action: DecisionDispatch, unit: "dispatch-350000", department: cp, rule: "platform-outside",
			last:    "rule 17 `platform-outside`: shop 某某专营店 on platform 京东; platform 京东 is registered outside Fujian (北京市); respondent division unknown (地址只有电商平台名称，没有经营地址) → dispatch-350000 福建省市场监管投诉举报指挥中心 (dispatch, department consumer_protection) — 平台经营者注册地在福建省外，本省市场监管部门无管辖权，须由指挥中心移送平台注册地市场监管部门处理",
			skipped: []string{"rule 15 `platform-fujian` skipped: platform 京东 is registered outside Fujian (北京市)"}},
		{name: "抖音 shop on 12365, no address", c: routeTestCase(C, weiquan.Channel12365, "", withPlatform("抖音", "某某直播间")),
			action: DecisionDispatch, unit: "dispatch-350000", department: q, rule: "platform-outside"},
		{name: "拼多多 shop in 莆田, county unknown, is not transferred", c: routeTestCase(C, weiquan.Channel12315, "", withPlatform("拼多多", "某某小店"), withAddress("莆田市某某小区")),
			action: DecisionDispatch, unit: "dispatch-350300", department: cp, rule: "city-only"},
		{name: "platform written in Latin letters", c: routeTestCase(C, weiquan.Channel12315, "", withPlatform("TMALL", "某某旗舰店")),
			action: DecisionDispatch, unit: "dispatch-350000", department: cp, rule: "platform-outside"},
		{name: "shop on a Fujian platform, address unknown", c: routeTestCase(C, weiquan.Channel12315, "", withPlatform("示例优选商城", "某某小店")),
			action: assign, track: weiquan.TrackAgency, unit: "amr-350206", department: cp, rule: "platform-fujian",
			last: "rule 15 `platform-fujian`: shop 某某小店 on platform 示例优选商城; platform 示例优选商城 is registered in 350206 湖里区 → amr-350206 湖里区市场监督管理局 (track agency, department consumer_protection)"},
		{name: "unlisted platform, address unknown", c: routeTestCase(C, weiquan.Channel12315, "", withPlatform("微店", "某某小店")),
			action: DecisionDispatch, unit: "dispatch-350000", department: cp, rule: "no-division",
			skipped: []string{
				"rule 15 `platform-fujian` skipped: platform 微店 is not in the platform list (registration unknown)",
				"rule 17 `platform-outside` skipped: platform 微店 is not in the platform list (registration unknown)",
			}},

		// Inquiries: answered where the question is, else by a dispatcher.
		{name: "inquiry about a business in 思明区", c: routeTestCase(I, weiquan.Channel12315, "350203"),
			action: assign, track: weiquan.TrackAnswer, unit: "amr-350203", department: cp, rule: "inquiry-respondent",
			last: "rule 1 `inquiry-respondent`: respondent division 350203 思明区 → amr-350203 思明区市场监督管理局 (track answer, department consumer_protection)"},
		{name: "inquiry from a caller in 鼓楼区", c: routeTestCase(I, weiquan.Channel12315, "", withComplainantAddress("福州市鼓楼区五四路1号")),
			action: assign, track: weiquan.TrackAnswer, unit: "amr-350102", department: cp, rule: "inquiry-complainant"},
		{name: "inquiry about finance is answered, not rejected", c: routeTestCase(I, weiquan.Channel12331, "350203", withCategory("finance")),
			action: assign, track: weiquan.TrackAnswer, unit: "amr-350203", department: fd, rule: "inquiry-respondent"},
		{name: "inquiry about a 金门 business from 思明区", c: routeTestCase(I, weiquan.Channel12315, "350527", withComplainantAddress("厦门市思明区湖滨南路1号")),
			action: assign, track: weiquan.TrackAnswer, unit: "amr-350203", department: cp, rule: "inquiry-complainant",
			skipped: []string{"rule 1 `inquiry-respondent` skipped: no agency for respondent division 350527 金门县"},
			last:    "rule 2 `inquiry-complainant`: complainant division 350203 思明区 (from the address) → amr-350203 思明区市场监督管理局 (track answer, department consumer_protection)"},
		{name: "inquiry about a business in 三明, county unknown", c: routeTestCase(I, weiquan.Channel12315, "350400"),
			action: DecisionDispatch, unit: "dispatch-350400", department: cp, rule: "inquiry-city"},
		{name: "inquiry from a caller who gave only 泉州", c: routeTestCase(I, weiquan.Channel12315, "", withComplainantAddress("泉州市")),
			action: DecisionDispatch, unit: "dispatch-350500", department: cp, rule: "inquiry-dispatch"},
		{name: "inquiry with nothing to go on", c: routeTestCase(I, weiquan.Channel12315, ""),
			action: DecisionDispatch, unit: "dispatch-350000", department: cp, rule: "inquiry-dispatch",
			last: "rule 4 `inquiry-dispatch`: complainant division unknown (no address) → dispatch-350000 福建省市场监管投诉举报指挥中心 (dispatch, department consumer_protection)"},
	}
}

// routeTestRuleLines maps each rule name of the embedded file to its line.
func routeTestRuleLines(t *testing.T) map[string]int {
	t.Helper()
	lines := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(routeFujianRules))
	for n := 1; sc.Scan(); n++ {
		if rest, ok := strings.CutPrefix(sc.Text(), "rule "); ok {
			name, _, _ := strings.Cut(rest, ":")
			lines[name] = n
		}
	}
	return lines
}

func TestRouteFujian(t *testing.T) {
	r := routeTestRouter(t)
	lines := routeTestRuleLines(t)
	scenarios := routeScenarios(t)
	if len(scenarios) < 40 {
		t.Errorf("%d scenarios, want at least 40", len(scenarios))
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			d := r.Route(sc.c)
			if d.Action != sc.action || d.Track != sc.track || d.UnitID != sc.unit || d.Department != sc.department ||
				d.Rule != sc.rule || d.Ground != sc.ground || d.Hotline != sc.hotline {
				t.Errorf("got  %s track=%q unit=%s department=%s rule=%s ground=%q hotline=%q\nwant %s track=%q unit=%s department=%s rule=%s ground=%q hotline=%q\n%s",
					d.Action, d.Track, d.UnitID, d.Department, d.Rule, d.Ground, d.Hotline,
					sc.action, sc.track, sc.unit, sc.department, sc.rule, sc.ground, sc.hotline, strings.Join(d.Explanation, "\n"))
			}
			if d.Line != lines[sc.rule] {
				t.Errorf("Line = %d, want %d (line of rule %s)", d.Line, lines[sc.rule], sc.rule)
			}
			// One line per rule tried: the rules before the deciding one and
			// the deciding one.
			num := 0
			for i, name := range routeTestRuleOrder(r) {
				if name == sc.rule {
					num = i + 1
				}
			}
			if len(d.Explanation) != num {
				t.Errorf("%d explanation lines, want %d:\n%s", len(d.Explanation), num, strings.Join(d.Explanation, "\n"))
			}
			if len(d.Explanation) == 0 {
				return
			}
			last := d.Explanation[len(d.Explanation)-1]
			if want := "rule " + strconv.Itoa(num) + " `" + sc.rule + "`"; !strings.HasPrefix(last, want) || strings.Contains(last, " skipped: ") {
				t.Errorf("last line %q does not say that %s decided", last, want)
			}
			if sc.last != "" && last != sc.last {
				t.Errorf("last line\ngot  %s\nwant %s", last, sc.last)
			}
			for _, f := range sc.contains {
				if !strings.Contains(last, f) {
					t.Errorf("last line %q does not contain %q", last, f)
				}
			}
			for _, s := range sc.skipped {
				if !slices.Contains(d.Explanation[:len(d.Explanation)-1], s) {
					t.Errorf("explanation lacks %q:\n%s", s, strings.Join(d.Explanation, "\n"))
				}
			}
		})
	}
}

func routeTestRuleOrder(r *Router) []string {
	rs := r.set()
	out := make([]string, len(rs.rules))
	for i, rule := range rs.rules {
		out[i] = rule.name
	}
	return out
}

// TestRouteCoverage: the scenarios exercise every track, every action,
// every rule of the default file and all nine cities.
func TestRouteCoverage(t *testing.T) {
	r := routeTestRouter(t)
	tracks, actions, rules, cities := map[weiquan.Track]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, sc := range routeScenarios(t) {
		d := r.Route(sc.c)
		tracks[d.Track], actions[d.Action], rules[d.Rule] = true, true, true
		if u, ok := r.set().units.Get(d.UnitID); ok {
			if city := weiquan.CityCode(u.DivisionCode); city != "" {
				cities[city] = true
			}
		}
	}
	for _, tr := range weiquan.Vocabulary.Tracks {
		if !tracks[weiquan.Track(tr.Code)] {
			t.Errorf("no scenario on track %s", tr.Code)
		}
	}
	for _, a := range []string{DecisionAssign, DecisionReject, DecisionDispatch} {
		if !actions[a] {
			t.Errorf("no scenario with action %s", a)
		}
	}
	for _, name := range routeTestRuleOrder(r) {
		if !rules[name] {
			t.Errorf("no scenario decided by rule %s", name)
		}
	}
	for _, d := range weiquan.Divisions {
		if d.Level == weiquan.LevelCity && !cities[d.Code] {
			t.Errorf("no scenario in %s %s", d.Code, d.Name)
		}
	}
}

// TestRouteLeavesCaseAlone: routing reads the case and nothing else.
func TestRouteLeavesCaseAlone(t *testing.T) {
	r := routeTestRouter(t)
	c := routeTestCase(weiquan.KindComplaint, weiquan.Channel12315, "", withAddress("厦门市思明区湖滨南路100号"), withPlatform("天猫", "某某旗舰店"))
	before := *c
	r.Route(c)
	if !reflect.DeepEqual(*c, before) {
		t.Errorf("Route changed the case:\n got %+v\nwant %+v", *c, before)
	}
}

// TestRouteConcurrent: one router serves many requests at once (run with
// -race).
func TestRouteConcurrent(t *testing.T) {
	r := routeTestRouter(t)
	scenarios := routeScenarios(t)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Go(func() {
			for _, sc := range scenarios {
				if d := r.Route(sc.c); d.UnitID != sc.unit {
					t.Errorf("%s: unit %s, want %s", sc.name, d.UnitID, sc.unit)
				}
			}
		})
	}
	wg.Wait()
}

func TestDecisionRecord(t *testing.T) {
	r := routeTestRouter(t)
	d := r.Route(routeTestCase(weiquan.KindComplaint, weiquan.Channel12365, "350203"))
	at := time.Date(2026, 11, 26, 2, 0, 0, 123456789, time.UTC)
	got := d.Record(at)
	want := weiquan.RoutingDecision{Rule: "county-agency", Line: d.Line, Track: weiquan.TrackAgency, UnitID: "amr-350203",
		Department: DeptQuality, Explanation: d.Explanation, At: weiquan.InShanghai(at)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Record = %+v\nwant %+v", got, want)
	}
	got.Explanation[0] = "changed"
	if d.Explanation[0] == "changed" {
		t.Error("the record shares its explanation with the decision")
	}
}

func TestDepartmentFor(t *testing.T) {
	tests := []struct {
		ch   weiquan.Channel
		want string
	}{
		{weiquan.Channel12315, DeptConsumerProtection},
		{weiquan.Channel12331, DeptFoodDrug},
		{weiquan.Channel12365, DeptQuality},
		{weiquan.Channel12358, DeptPrice},
		{weiquan.Channel12330, DeptIntellectualProperty},
		{weiquan.ChannelWeb, DeptConsumerProtection},
		{weiquan.ChannelAPI, DeptConsumerProtection},
	}
	for _, tt := range tests {
		t.Run(string(tt.ch), func(t *testing.T) {
			if got := DepartmentFor(tt.ch); got != tt.want {
				t.Errorf("DepartmentFor(%s) = %s, want %s", tt.ch, got, tt.want)
			}
		})
	}
}

func TestDefaultRouter(t *testing.T) {
	units := unitTestDefault(t)
	a, err := DefaultRouter(units)
	if err != nil {
		t.Fatalf("DefaultRouter: %v", err)
	}
	if b, _ := DefaultRouter(units); a.set() != b.set() || a == b {
		t.Error("the default rules were parsed twice for the default units, or the router handle is shared")
	}
	// The rules need none of the examples: over the plain Fujian set an ODR
	// enterprise's case goes to its county.
	plain, err := LoadUnits(strings.NewReader(`{"units": []}`), "none.json")
	if err != nil {
		t.Fatalf("LoadUnits: %v", err)
	}
	r, err := DefaultRouter(plain)
	if err != nil {
		t.Fatalf("DefaultRouter over the Fujian set alone: %v", err)
	}
	d := r.Route(routeTestCase(weiquan.KindComplaint, weiquan.Channel12315, "350206", withUSCC(routeTestODRXiamen)))
	if d.UnitID != "amr-350206" || d.Track != weiquan.TrackAgency {
		t.Errorf("got %s on %s, want amr-350206 on agency", d.UnitID, d.Track)
	}
}

// TestRouteCustomRules exercises the conditions and actions the Fujian file
// does not use.
func TestRouteCustomRules(t *testing.T) {
	const rules = `# test rules
platform 示例商城 registered=350200
rule small-price: channel=12358 problem=price amount<=10000 -> track=agency unit=amr-350200 department=price note="小额价格争议由市局处理"
rule fuzhou-goods: kind!=inquiry category!=food city=350100 -> track=agency unit=agency(respondent) department=quality
rule no-mediation: kind=complaint !consent.mediation -> dispatch unit=dispatch-350100
rule caller-siming: complainant.division=350203 -> track=answer unit=agency(complainant)
rule city-platform: respondent.platform platform.registered=fujian,unknown -> track=agency unit=agency(platform)
rule not-odr: !respondent.odr division!=none -> reject ground=other_legal_ground department=by-channel
`
	r, err := LoadRules(strings.NewReader(rules), "custom.rules", unitTestDefault(t))
	if err != nil {
		t.Fatalf("LoadRules: %v", err)
	}
	noMediation := func(c *weiquan.Case) { c.Consent.Mediation = false }
	tests := []struct {
		name    string
		c       *weiquan.Case
		action  string
		unit    string
		dept    string
		rule    string
		last    string
		skipped []string
	}{
		{name: "small price dispute", c: routeTestCase(weiquan.KindComplaint, weiquan.Channel12358, "350203", withProblem("price"), withAmount(10000)),
			action: DecisionAssign, unit: "amr-350200", dept: DeptPrice, rule: "small-price",
			last: "rule 1 `small-price`: problem price 价格; amount 100.00 元 → amr-350200 厦门市市场监督管理局 (track agency, department price) — 小额价格争议由市局处理"},
		{name: "price dispute above the amount", c: routeTestCase(weiquan.KindComplaint, weiquan.Channel12358, "350102", withProblem("price"), withAmount(10001)),
			action: DecisionAssign, unit: "amr-350102", dept: DeptQuality, rule: "fuzhou-goods",
			skipped: []string{"rule 1 `small-price` skipped: amount 100.01 元 is above 100.00 元"},
			last:    "rule 2 `fuzhou-goods`: category household_appliances 家用电器; respondent city 350100 福州市; respondent division 350102 鼓楼区 → amr-350102 鼓楼区市场监督管理局 (track agency, department quality)"},
		{name: "food in 福州 is excluded", c: routeTestCase(weiquan.KindComplaint, weiquan.Channel12315, "350102", withCategory("food"), noMediation),
			action: DecisionDispatch, unit: "dispatch-350100", dept: DeptConsumerProtection, rule: "no-mediation",
			skipped: []string{
				"rule 1 `small-price` skipped: channel 12315 is not 12358",
				"rule 2 `fuzhou-goods` skipped: category food 食品 is excluded (category!=food)",
			},
			last: "rule 3 `no-mediation`: complainant has not consented to mediation → dispatch-350100 福州市市场监管投诉举报指挥中心 (dispatch, department consumer_protection)"},
		{name: "another city", c: routeTestCase(weiquan.KindComplaint, weiquan.Channel12315, "350203", withComplainantAddress("厦门市思明区湖滨南路1号")),
			action: DecisionAssign, unit: "amr-350203", dept: DeptConsumerProtection, rule: "caller-siming",
			skipped: []string{
				"rule 2 `fuzhou-goods` skipped: respondent city 350200 厦门市 is not 350100 福州市",
				"rule 3 `no-mediation` skipped: complainant consents to mediation",
			}},
		{name: "unlisted platform", c: routeTestCase(weiquan.KindReport, weiquan.Channel12315, "", withPlatform("微店", "某某小店")),
			action: DecisionDispatch, unit: "dispatch-350000", dept: DeptConsumerProtection, rule: "",
			skipped: []string{
				"rule 2 `fuzhou-goods` skipped: respondent division unknown (no address)",
				"rule 4 `caller-siming` skipped: complainant division unknown (no address)",
				"rule 5 `city-platform` skipped: platform 微店 is not in the platform list (registration unknown)",
				"rule 6 `not-odr` skipped: respondent division unknown (no address) is excluded (division!=none)",
			},
			last: "no rule matched: respondent division unknown (no address) → dispatch-350000 福建省市场监管投诉举报指挥中心 (dispatch, department consumer_protection)"},
		{name: "Fujian platform", c: routeTestCase(weiquan.KindReport, weiquan.Channel12315, "", withPlatform("示例商城", "某某小店")),
			action: DecisionAssign, unit: "amr-350200", dept: DeptConsumerProtection, rule: "city-platform"},
		{name: "reject by the last rule", c: routeTestCase(weiquan.KindInquiry, weiquan.Channel12365, "350802"),
			action: DecisionReject, unit: "", dept: DeptQuality, rule: "not-odr",
			last: "rule 6 `not-odr`: respondent is not an ODR enterprise; respondent division 350802 新罗区 → reject (ground other_legal_ground)"},
		{name: "negated flag skips", c: routeTestCase(weiquan.KindInquiry, weiquan.Channel12315, "350206", withUSCC(routeTestODRXiamen)),
			action: DecisionDispatch, unit: "dispatch-350200", dept: DeptConsumerProtection, rule: "",
			skipped: []string{"rule 6 `not-odr` skipped: respondent 91350206EXAMPLE01H is ODR enterprise odr-xiamen-youxuan 厦门示例优选电子商务有限公司"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := r.Route(tt.c)
			if d.Action != tt.action || d.UnitID != tt.unit || d.Department != tt.dept || d.Rule != tt.rule {
				t.Errorf("got %s %s %s rule %q, want %s %s %s rule %q\n%s", d.Action, d.UnitID, d.Department, d.Rule,
					tt.action, tt.unit, tt.dept, tt.rule, strings.Join(d.Explanation, "\n"))
			}
			if last := d.Explanation[len(d.Explanation)-1]; tt.last != "" && last != tt.last {
				t.Errorf("last line\ngot  %s\nwant %s", last, tt.last)
			}
			for _, s := range tt.skipped {
				if !slices.Contains(d.Explanation, s) {
					t.Errorf("explanation lacks %q:\n%s", s, strings.Join(d.Explanation, "\n"))
				}
			}
		})
	}
}

func TestLoadRulesErrors(t *testing.T) {
	const head = "# test\n\n" // every rule under test is on line 3
	const ok = "rule a: kind=complaint -> track=agency unit=agency(respondent)\n"
	tests := []struct {
		name       string
		file       string
		col        int
		msg        string
		moreErrors int
	}{
		{name: "unknown condition", file: "rule a: kind=complaint foo=1 -> track=agency unit=agency(respondent)",
			col: 24, msg: `unknown condition "foo"`},
		{name: "unknown flag", file: "rule a: respondent.member -> track=agency unit=agency(respondent)",
			col: 9, msg: `unknown condition "respondent.member"`},
		{name: "unknown directive", file: "rul a: kind=complaint -> dispatch",
			col: 1, msg: `unknown directive "rul" (want rule or platform)`},
		{name: "rule without a name", file: "rule",
			col: 1, msg: "rule needs a name: rule NAME: CONDITION… -> ACTION"},
		{name: "missing colon", file: "rule a kind=complaint -> dispatch",
			col: 7, msg: "a colon must follow the rule name"},
		{name: "colon apart is fine, bad name is not", file: "rule Odr_1 : -> dispatch",
			col: 6, msg: `rule name "Odr_1" must be lower-case letters, digits and hyphens`},
		{name: "duplicate name", file: "rule a: kind=report -> dispatch\n" + ok,
			col: 6, msg: `rule "a" already defined on line 3`},
		{name: "missing arrow", file: "rule a: kind=complaint track=agency unit=agency(respondent)",
			col: 37, msg: "missing -> between the conditions and the action (spaces around it)"},
		{name: "arrow without spaces", file: "rule a: kind=complaint->dispatch",
			col: 9, msg: "missing -> between the conditions and the action (spaces around it)"},
		{name: "unknown kind", file: "rule a: kind=complain -> dispatch",
			col: 9, msg: `kind: unknown kind "complain" (want complaint, report or inquiry)`},
		{name: "unknown channel", file: "rule a: channel=12315,12345 -> dispatch",
			col: 9, msg: `channel: unknown channel "12345"`},
		{name: "unknown category", file: "rule a: category=banking -> dispatch",
			col: 9, msg: `category: unknown category "banking"`},
		{name: "unknown problem", file: "rule a: problem=noise -> dispatch",
			col: 9, msg: `problem: unknown problem "noise"`},
		{name: "amount needs <= or >=", file: "rule a: amount=100 -> dispatch",
			col: 9, msg: "amount takes <= or >= (in fen)"},
		{name: "amount in yuan", file: "rule a: amount<=12.5 -> dispatch",
			col: 9, msg: `amount "12.5" is not a whole number of fen`},
		{name: "comparison on a list", file: "rule a: kind>=complaint -> dispatch",
			col: 9, msg: `condition "kind" takes = or !=`},
		{name: "flag with a value", file: "rule a: respondent.odr=yes -> dispatch",
			col: 9, msg: `condition "respondent.odr" takes no value (write respondent.odr or !respondent.odr)`},
		{name: "list without a value", file: "rule a: kind -> dispatch",
			col: 9, msg: `condition "kind" needs a value (kind=…)`},
		{name: "empty value", file: "rule a: kind= -> dispatch",
			col: 9, msg: `condition "kind" has no value`},
		{name: "negated list", file: "rule a: !kind=complaint -> dispatch",
			col: 9, msg: "write kind!=… rather than !kind=…"},
		{name: "unknown division word", file: "rule a: division=town -> dispatch",
			col: 9, msg: `division: "town" is not county, city, province, none or a Fujian division code`},
		{name: "county as a city", file: "rule a: city=350203 -> dispatch",
			col: 9, msg: `city: "350203" is not a Fujian city code`},
		{name: "unknown platform registration", file: "rule a: platform.registered=abroad -> dispatch",
			col: 9, msg: `platform.registered: "abroad" is not fujian, outside or unknown`},
		{name: "condition twice", file: "rule a: kind=complaint kind=report -> dispatch",
			col: 24, msg: `condition "kind=report" repeats kind; list the values in one condition`},
		{name: "nothing after the arrow", file: "rule a: kind=complaint ->",
			col: 24, msg: "nothing after ->: want track=… unit=…, reject ground=… or dispatch"},
		{name: "unknown action key", file: "rule a: -> track=agency unit=agency(respondent) dept=quality",
			col: 49, msg: `unknown action key "dept" for assign (want track, unit, department, note)`},
		{name: "word in the action", file: "rule a: -> assign track=agency unit=agency(respondent)",
			col: 12, msg: `unexpected "assign" in the action (want key=value)`},
		{name: "key twice", file: "rule a: -> track=agency track=agency unit=agency(respondent)",
			col: 25, msg: "track given twice"},
		{name: "unknown track", file: "rule a: -> track=mediation unit=agency(respondent)",
			col: 12, msg: `unknown track "mediation" (want agency, odr, station, arbitration, enforcement or answer)`},
		{name: "unknown unit", file: "rule a: -> track=agency unit=amr-999999",
			col: 25, msg: `unknown unit "amr-999999" (want a unit id or agency(respondent), agency(complainant), agency(platform), odr, station, arbitration, dispatch, dispatch(complainant))`},
		{name: "unknown template", file: "rule a: -> track=agency unit=agency(shop)",
			col: 25, msg: `unknown unit "agency(shop)" (want a unit id or agency(respondent), agency(complainant), agency(platform), odr, station, arbitration, dispatch, dispatch(complainant))`},
		{name: "track and template disagree", file: "rule a: -> track=odr unit=agency(respondent)",
			col: 22, msg: "track odr needs unit=odr or an ODR enterprise's id, not unit=agency(respondent)"},
		{name: "track and unit type disagree", file: "rule a: -> track=station unit=amr-350203",
			col: 26, msg: "track station needs unit=station or a station's id, not unit=amr-350203"},
		{name: "enforcement at a station", file: "rule a: -> track=enforcement unit=station",
			col: 30, msg: "track enforcement needs unit=agency(…) or an agency's id, not unit=station"},
		{name: "dispatch to an agency", file: "rule a: -> dispatch unit=amr-350203",
			col: 21, msg: "dispatch needs unit=dispatch, dispatch(complainant) or a dispatch centre's id, not unit=amr-350203"},
		{name: "dispatch with a track", file: "rule a: -> dispatch track=agency",
			col: 21, msg: `unknown action key "track" for dispatch (want unit, department, note)`},
		{name: "assignment without a track", file: "rule a: kind=report -> unit=agency(respondent)",
			col: 21, msg: "an assignment needs track=… (or write reject or dispatch)"},
		{name: "assignment without a unit", file: "rule a: kind=report -> track=enforcement",
			col: 21, msg: "an assignment needs unit=…"},
		{name: "reject without a ground", file: "rule a: category=finance -> reject hotline=12378",
			col: 26, msg: "reject needs ground=… (an Order 20 Art. 15 ground code)"},
		{name: "unknown ground", file: "rule a: category=finance -> reject ground=out_of_jurisdiction hotline=12378",
			col: 36, msg: `unknown ground "out_of_jurisdiction" (want an Order 20 Art. 15 ground code)`},
		{name: "bad hotline", file: "rule a: category=finance -> reject ground=not_market_supervision hotline=12-378",
			col: 66, msg: `hotline "12-378" must be 3 to 12 digits`},
		{name: "unknown department", file: "rule a: -> track=agency unit=agency(respondent) department=finance",
			col: 49, msg: `unknown department "finance" (want by-channel, consumer_protection, food_drug, quality, price, intellectual_property)`},
		{name: "unterminated note", file: `rule a: -> dispatch note="未完`,
			col: 26, msg: "unterminated quoted text"},
		{name: "platform without registration", file: "platform 淘宝",
			col: 1, msg: "write: platform ALIAS[,ALIAS…] registered=CODE or registered=outside:PLACE"},
		{name: "platform registered in another province's code", file: "platform 淘宝 registered=330106\n" + ok,
			col: 13, msg: `unknown division code "330106" (a Fujian code, or outside:PLACE)`},
		{name: "platform outside without a place", file: "platform 淘宝 registered=outside:\n" + ok,
			col: 13, msg: "registered=outside: needs the place"},
		{name: "platform alias twice", file: "platform 淘宝 registered=outside:浙江\nplatform 天猫,淘宝 registered=outside:浙江\n" + ok,
			col: 10, msg: `platform alias "淘宝" already defined on line 3`},
		{name: "no rules", file: "platform 淘宝 registered=outside:浙江\n",
			col: 1, msg: "the file has no rules"},
		{name: "every problem reported", file: "rule a: kind=complain -> dispatch\nrule b: foo -> dispatch\nrule c: -> reject",
			col: 9, msg: `kind: unknown kind "complain" (want complaint, report or inquiry)`, moreErrors: 2},
	}
	units := unitTestDefault(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadRules(strings.NewReader(head+tt.file), "test.rules", units)
			if err == nil {
				t.Fatalf("LoadRules succeeded; want %s", tt.msg)
			}
			if got := weiquan.ErrorCode(err); got != weiquan.EValidation {
				t.Errorf("code = %s, want %s", got, weiquan.EValidation)
			}
			les := unitTestLineErrors(err)
			if len(les) != 1+tt.moreErrors {
				t.Fatalf("%d line errors, want %d: %v", len(les), 1+tt.moreErrors, err)
			}
			line := 3
			if tt.name == "no rules" {
				line = 1
			} else if strings.HasPrefix(tt.name, "duplicate") || tt.name == "platform alias twice" {
				line = 4
			}
			le := les[0]
			if le.Source != "test.rules" || le.Line != line || le.Column != tt.col || le.Msg != tt.msg {
				t.Errorf("got  %s:%d:%d: %s\nwant test.rules:%d:%d: %s", le.Source, le.Line, le.Column, le.Msg, line, tt.col, tt.msg)
			}
			wantText := "test.rules:" + strconv.Itoa(line) + ":" + strconv.Itoa(tt.col) + ": " + tt.msg
			if !strings.Contains(err.Error(), wantText) {
				t.Errorf("error %q does not contain %q", err.Error(), wantText)
			}
			msg := weiquan.ErrorMessage(err)
			if want := "分派规则文件 test.rules 第 " + strconv.Itoa(line) + " 行"; !strings.HasPrefix(msg, want) {
				t.Errorf("message %q does not start with %q", msg, want)
			}
			if tt.moreErrors > 0 && !strings.Contains(msg, "另有 "+strconv.Itoa(tt.moreErrors)+" 处错误") {
				t.Errorf("message %q does not say there are %d more problems", msg, tt.moreErrors)
			}
		})
	}
}

// TestLoadRulesSyntax: what the format tolerates.
func TestLoadRulesSyntax(t *testing.T) {
	file := "\uFEFF# comment\r\n" +
		"   \r\n" +
		"rule a : kind=complaint   ->   track=agency  unit=agency(respondent)   # trailing comment\r\n" +
		"rule b: -> dispatch note=\"含 空格 和 \\\"引号\\\"\" # note\n"
	r, err := LoadRules(strings.NewReader(file), "syntax.rules", unitTestDefault(t))
	if err != nil {
		t.Fatalf("LoadRules: %v", err)
	}
	if got := routeTestRuleOrder(r); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("rules %v, want [a b]", got)
	}
	if r.set().rules[0].line != 3 || r.set().rules[1].line != 4 {
		t.Errorf("lines %d, %d; want 3, 4", r.set().rules[0].line, r.set().rules[1].line)
	}
	d := r.Route(routeTestCase(weiquan.KindReport, weiquan.Channel12315, "350203"))
	if last := d.Explanation[len(d.Explanation)-1]; !strings.HasSuffix(last, ` — 含 空格 和 "引号"`) {
		t.Errorf("note not kept: %q", last)
	}
}

func TestLoadRulesTooLarge(t *testing.T) {
	big := strings.NewReader("# " + strings.Repeat("x", routeMaxFileBytes) + "\n")
	_, err := LoadRules(big, "big.rules", unitTestDefault(t))
	if got := weiquan.ErrorCode(err); got != weiquan.ETooLarge {
		t.Errorf("code = %q (%v), want %q", got, err, weiquan.ETooLarge)
	}
}
