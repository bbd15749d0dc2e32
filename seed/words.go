package seed

// Word lists for people, places and businesses. Everything here is generic
// on purpose: names are common surnames and given names, streets are names
// every Chinese town has, and business names are two-character 字号 drawn
// from auspicious characters, checked against division names and a few
// well-known real companies.

// surnames, weighted towards what is common in Fujian (陈, 林, 黄 lead).
var surnames = []weightedCode{
	{"陈", 12}, {"林", 11}, {"黄", 8}, {"张", 6}, {"吴", 6}, {"王", 5}, {"郑", 5}, {"李", 5}, {"刘", 4},
	{"蔡", 4}, {"杨", 3}, {"许", 3}, {"周", 3}, {"谢", 3}, {"洪", 3}, {"曾", 3}, {"邱", 2}, {"苏", 2},
	{"庄", 2}, {"游", 2}, {"江", 2}, {"何", 2}, {"罗", 2}, {"高", 2}, {"叶", 2}, {"詹", 1}, {"卢", 1},
	{"魏", 1}, {"郭", 2}, {"肖", 1}, {"方", 1}, {"赖", 1}, {"傅", 1}, {"徐", 1}, {"朱", 1}, {"胡", 1},
	{"余", 1}, {"施", 1}, {"潘", 1}, {"翁", 1}, {"范", 1}, {"彭", 1}, {"邓", 1}, {"柯", 1}, {"廖", 1},
	{"戴", 1}, {"颜", 1}, {"康", 1}, {"连", 1}, {"欧阳", 1}, {"上官", 1},
}

var givenNames = []string{
	"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞",
	"平", "刚", "华", "婷", "雪", "琳", "晨", "宇", "浩", "斌", "鑫", "燕",
	"秀英", "秀兰", "桂英", "建华", "志强", "志明", "晓燕", "子涵", "欣怡", "梓萱", "俊杰", "文博", "雅婷",
	"佳怡", "思远", "一鸣", "国强", "丽华", "淑珍", "美玲", "振华", "家豪", "炳坤", "金水", "丽娟", "少华",
	"晓东", "建国", "玉兰", "春花", "文杰", "海燕", "秋萍", "德明", "荣辉", "丽珍", "清华", "永福", "宏伟",
	"雨桐", "浩然", "诗涵", "嘉怡", "梦琪", "子轩", "宇航", "慧敏", "志伟", "佳琪",
}

// Mobile prefixes of the three operators and the virtual ones; the rest of
// the number is random.
var mobilePrefixes = []string{
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "153",
	"155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182", "183",
	"184", "185", "186", "187", "188", "189", "191", "193", "195", "196", "198", "199",
}

// Long-distance codes of the nine cities, by city division code.
var areaCodes = map[string]string{
	"350100": "0591", "350200": "0592", "350300": "0594", "350400": "0598", "350500": "0595",
	"350600": "0596", "350700": "0599", "350800": "0597", "350900": "0593",
}

// Streets every town has. None contains the name of a Fujian division, so
// that an address names its county exactly once.
var streets = []string{
	"人民路", "中山路", "解放路", "建设路", "新华路", "和平路", "五一路", "五四路", "八一路", "工业路",
	"学府路", "滨江路", "府前路", "环城路", "迎宾大道", "南环路", "北环路", "东环路", "西环路", "文化路",
	"胜利路", "青年路", "光明路", "幸福路", "站前路", "沿江路", "滨海大道", "繁荣路", "育才路", "振兴路",
	"友谊路", "交通路", "朝阳路", "东大街", "南大街", "西大街", "北大街", "湖滨路", "金山路", "银河路",
	"梅园路", "体育路", "市场路", "商业街", "新民路", "江滨路", "龙腾路", "创业路", "科技大道", "商贸大道",
	"世纪大道", "腾飞路", "发展大道", "园林路", "花园路", "公园路", "健康路", "凤凰路", "桃园路", "中心街",
}

// Characters for business 字号 and building names.
var nameChars = []string{
	"鑫", "源", "华", "泰", "恒", "盛", "达", "嘉", "宏", "福", "兴", "隆", "瑞", "祥", "鸿", "顺", "康", "美",
	"佳", "汇", "通", "广", "金", "海", "天", "博", "创", "优", "品", "诚", "信", "德", "和", "润", "丰", "锦",
	"尚", "益", "荣", "新", "联", "众", "合", "宝", "永", "安", "明", "辉", "星", "晟", "峰", "川", "豪", "凯",
	"腾", "骏", "鹏", "宇", "航", "景", "怡", "悦", "欣", "乐", "利", "万", "圣", "东", "南", "中", "方", "茂",
	"森", "旺", "昌", "霖", "卓", "睿", "铭", "朗", "逸", "弘", "聚", "启",
}

// Pairs that spell a well-known real business; a synthetic respondent must
// never be one of them.
var nameBlacklist = []string{
	"海信", "恒安", "达利", "华润", "万达", "万和", "新华", "永辉", "百佳", "华联", "联华", "东南", "海天",
	"安利", "百盛", "鸿星", "美佳", "国美", "苏宁", "福耀", "兴业", "广汇", "恒盛", "金海", "华宇", "天虹",
	"宝龙", "世茂", "融信", "正荣", "阳光", "旭辉", "中海", "万科", "恒大", "美宝", "金辉", "泰禾", "中南",
	"华通", "鸿达", "安踏", "明和", "新和", "利华", "宏达", "德信", "荣盛", "联创", "美的", "金龙", "星宇",
}

var residenceSuffixes = []string{"花园", "小区", "新村", "公寓", "苑", "家园", "华府", "嘉园"}
var commerceSuffixes = []string{"广场", "商城", "大厦", "购物中心", "商业中心", "市场"}

// Platforms on which some respondents sell; the respondent is then the
// company behind the shop.
var platforms = []string{"淘宝", "京东", "拼多多", "抖音"}
var shopSuffixes = []string{"专营店", "旗舰店", "优选店", "小店", "生活馆", "严选", "好物店", "官方店"}

// replies are what the business said; they follow 商家/对方 or a comma.
var replies = []string{
	"态度很差，直接挂了电话",
	"口头答应处理，但至今没有下文",
	"要求扣除高额手续费才肯退",
	"拒不承认存在问题",
	"只愿意补偿一张优惠券",
	"把我拉黑了，再也联系不上",
	"说要等负责人回来再说，之后就没人理了",
	"说最终解释权归商家所有",
	"说这是行业惯例，不存在问题",
}

// goodsReplies only make sense about things bought.
var goodsReplies = []string{
	"以已过退货期限为由拒绝处理",
	"称是人为损坏，不予处理",
	"一直推脱说要等厂家答复",
	"只同意维修，不同意退换",
	"让我自己去找厂家",
	"说活动商品一律不退不换",
}

// contacts are what the consumer tried; they follow 我 or start a clause.
var contacts = []string{
	"多次打电话联系商家",
	"到店里找过负责人",
	"发了好几次短信和微信",
	"当面找商家协商过三次",
}

// onlineContacts replace the shop visits for platform sellers.
var onlineContacts = []string{
	"在平台上联系了客服",
	"多次在线联系客服",
	"申请了平台介入",
	"多次打电话联系商家",
}

var waits = []string{"一个星期", "半个月", "二十多天", "一个多月", "两个多月", "三个月"}

var laws = []string{
	"《中华人民共和国消费者权益保护法》",
	"《消费者权益保护法》第二十四条",
	"《消费者权益保护法》第五十五条",
	"《部分商品修理更换退货责任规定》",
}

var lawByProblem = map[string]string{
	pFoodSafety: "《中华人民共和国食品安全法》第一百四十八条",
	pPrepaid:    "《消费者权益保护法》第五十三条",
	pPersonal:   "《中华人民共和国个人信息保护法》",
	pPrice:      "《中华人民共和国价格法》",
	pFraud:      "《消费者权益保护法》第五十五条",
}

// demandText is how a consumer writes each demand.
var demandText = map[string]string{
	"refund":                "退货退款",
	"exchange":              "换货",
	"repair":                "免费维修",
	"compensation":          "赔偿损失",
	"punitive_compensation": "退一赔三",
	"apology":               "赔礼道歉",
	"performance":           "继续履行合同",
	"other":                 "给出合理解释",
}

// For a service there is nothing to return.
const refundService = "退还费用"

// Under the food safety law the punitive damages are ten times the price.
const punitiveFood = "支付价款十倍的赔偿金"

// demandsByProblem lists the demands that fit a problem, most usual first.
// Goods-only demands (exchange, repair) are dropped for services.
var demandsByProblem = map[string][]string{
	pQuality:     {"refund", "exchange", "repair", "compensation"},
	pSafety:      {"compensation", "refund", "apology"},
	pAfterSales:  {"repair", "exchange", "refund", "performance"},
	pContract:    {"performance", "refund", "compensation"},
	pAdvertising: {"refund", "punitive_compensation", "apology"},
	pPrice:       {"refund", "compensation", "apology"},
	pMeasurement: {"refund", "compensation", "apology"},
	pCounterfeit: {"refund", "punitive_compensation", "compensation"},
	pFoodSafety:  {"refund", "punitive_compensation", "compensation", "apology"},
	pPersonal:    {"apology", "compensation", "other"},
	pFraud:       {"punitive_compensation", "refund", "compensation"},
	pPrepaid:     {"refund", "performance", "compensation"},
	pOther:       {"other", "refund", "apology"},
}

// reportPhrase names what a reporter accuses the business of.
var reportPhrase = map[string]string{
	pQuality:     "销售不合格产品",
	pSafety:      "销售不安全产品",
	pAfterSales:  "拒不履行三包义务",
	pContract:    "利用格式条款侵害消费者权益",
	pAdvertising: "虚假宣传",
	pPrice:       "价格违法",
	pMeasurement: "计量作弊",
	pCounterfeit: "销售假冒伪劣商品",
	pFoodSafety:  "违反食品安全规定",
	pPersonal:    "非法收集使用消费者个人信息",
	pFraud:       "消费欺诈",
	pPrepaid:     "预付卡违规经营",
	pOther:       "违法经营",
}

// Problems a report is about: offences the agency can investigate, not a
// private dispute.
var reportable = map[string]bool{
	pQuality: true, pSafety: true, pAdvertising: true, pPrice: true, pMeasurement: true,
	pCounterfeit: true, pFoodSafety: true, pPersonal: true, pFraud: true, pPrepaid: true,
}
