package seed

// The catalog is what the synthetic consumers buy and what goes wrong with it.
// Brands are real product brands (a complaint about a 格力 air conditioner is
// what a 12315 operator hears all day); the businesses complained about are
// never real: their names are built from word lists in words.go.

// Problem codes of the taxonomy (weiquan.Vocabulary.Problems).
const (
	pQuality     = "quality"
	pSafety      = "safety"
	pAfterSales  = "after_sales"
	pContract    = "contract"
	pAdvertising = "false_advertising"
	pPrice       = "price"
	pMeasurement = "measurement"
	pCounterfeit = "counterfeit"
	pFoodSafety  = "food_safety"
	pPersonal    = "personal_info"
	pFraud       = "fraud"
	pPrepaid     = "prepaid_refund"
	pOther       = "other"
)

// defect is one thing that went wrong, written as a clause that reads after
// the product's name ("空调" + "室内机漏水") and after 发现/后/就.
type defect struct {
	problem string
	text    string
}

func d(problem, text string) defect { return defect{problem: problem, text: text} }

// brand is a product brand with model numbers typical of it. In a model
// pattern '#' is a random digit and '@' a random capital letter.
type brand struct {
	name   string
	models []string
}

func b(name string, models ...string) brand { return brand{name: name, models: models} }

// product is one kind of goods or service.
type product struct {
	category string
	name     string
	brands   []brand // empty: people name no brand (翡翠手镯, 婚宴)
	// models used when the brand has none of its own; empty: no model.
	models []string
	// price range in yuan; the amount is drawn in it and rounded the way
	// shops price things.
	minYuan, maxYuan int
	// verb is what the consumer did: 购买 for goods, 办理/报名/预订… for services.
	verb string
	// maxAgeDays bounds how long before the complaint the purchase was.
	maxAgeDays int
	// online: sold on the e-commerce platforms, so some cases name one.
	online  bool
	defects []defect
	// trade overrides the category's line of business in respondent names
	// where the category is too broad (a 民宿 is not a 餐馆).
	trade trade
}

// Defects shared by many goods.
var (
	goodsAfterSales = []defect{
		d(pAfterSales, "报修后一直没人上门处理"),
		d(pAfterSales, "维修了三次还是同样的问题"),
		d(pAfterSales, "在保修期内维修却要收费"),
	}
	goodsContract = []defect{
		d(pContract, "付款后商家迟迟不发货"),
		d(pContract, "送来的型号与订单不一致"),
	}
	goodsPrice = []defect{
		d(pPrice, "结账价格比标价高出不少"),
		d(pPrice, "先提价再打折，所谓优惠价比平时还贵"),
	}
	goodsAdvertising = []defect{
		d(pAdvertising, "实际功能与宣传严重不符"),
	}
	goodsCounterfeit = []defect{
		d(pCounterfeit, "经品牌方鉴定不是正品"),
	}
	servicesCommon = []defect{
		d(pContract, "商家单方面更改了服务内容"),
		d(pPrice, "收费项目没有明码标价，结账时多收了钱"),
		d(pAdvertising, "服务内容与宣传的完全不一样"),
	}
)

func join(lists ...[]defect) []defect {
	var out []defect
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var catalog = []product{
	// household_appliances
	{category: "household_appliances", name: "空调", minYuan: 1999, maxYuan: 8999, maxAgeDays: 400, online: true,
		brands: []brand{b("格力", "KFR-35GW/@@###", "KFR-26GW/NhGd#@", "KFR-72LW/###"), b("美的", "KFR-35GW/N8MJA#", "KFR-26GW/BDN8Y-@@###"),
			b("海尔", "KFR-35GW/##@@A81U1"), b("奥克斯", "KFR-35GW/BpR3@@###"), b("海信", "KFR-35GW/E##@-X1")},
		defects: join([]defect{
			d(pQuality, "制冷效果很差"), d(pQuality, "室内机漏水"), d(pQuality, "外机噪音特别大"),
			d(pQuality, "装好不到一周就不制冷了"), d(pSafety, "插头处发热冒烟"),
			d(pAdvertising, "宣传的一级能效实际只有三级"), d(pPrice, "安装时被收取高额的铜管材料费"),
		}, goodsAfterSales, goodsContract)},
	{category: "household_appliances", name: "冰箱", minYuan: 1299, maxYuan: 12999, maxAgeDays: 500, online: true,
		brands: []brand{b("海尔", "BCD-###W@@@U1"), b("美的", "BCD-###WTPZM(E)"), b("容声", "BCD-###WD1@@"), b("西门子", "KA##@V##TI")},
		defects: join([]defect{
			d(pQuality, "冷藏室不制冷，食物都放坏了"), d(pQuality, "压缩机响声很大"), d(pQuality, "门封条变形，关不严"),
			d(pQuality, "冷冻室结了厚厚的冰"), d(pAdvertising, "宣传的风冷无霜实际会结霜"),
		}, goodsAfterSales, goodsPrice)},
	{category: "household_appliances", name: "洗衣机", minYuan: 999, maxYuan: 6999, maxAgeDays: 500, online: true,
		brands: []brand{b("小天鹅", "TG100V##@@"), b("海尔", "EG100MATE##S"), b("美的", "MG100V##@@"), b("西门子", "WG54@###HW")},
		defects: join([]defect{
			d(pQuality, "脱水时剧烈晃动还会移位"), d(pQuality, "洗完的衣服上全是黑色絮状物"), d(pQuality, "显示屏报错无法启动"),
			d(pSafety, "使用时漏电，手摸上去发麻"),
		}, goodsAfterSales, goodsContract)},
	{category: "household_appliances", name: "燃气热水器", minYuan: 899, maxYuan: 5999, maxAgeDays: 600, online: true,
		brands: []brand{b("A.O.史密斯", "JSQ##-@@##"), b("万和", "JSQ##-###W##"), b("万家乐", "JSQ##-##@#"), b("林内", "RUS-##@###")},
		defects: join([]defect{
			d(pQuality, "水温忽冷忽热"), d(pQuality, "点不着火"), d(pSafety, "使用时有明显的燃气味"),
			d(pPrice, "安装时被要求另付几百元安装辅材费"),
		}, goodsAfterSales)},
	{category: "household_appliances", name: "电视机", minYuan: 1499, maxYuan: 15999, maxAgeDays: 500, online: true,
		brands: []brand{b("海信", "##E7@-PRO"), b("TCL", "##Q10@"), b("创维", "##A#@ Pro"), b("小米", "L##M7-@@")},
		defects: join([]defect{
			d(pQuality, "屏幕出现一条竖线"), d(pQuality, "开机后黑屏只有声音"), d(pQuality, "屏幕有好几个坏点"),
			d(pAdvertising, "开机广告关不掉，宣传时却说没有广告"),
		}, goodsAfterSales, goodsPrice, goodsContract)},
	{category: "household_appliances", name: "油烟机", minYuan: 1299, maxYuan: 7999, maxAgeDays: 500, online: true,
		brands: []brand{b("方太", "CXW-###-@@##"), b("老板", "CXW-###-##@#"), b("华帝", "CXW-###-i11###")},
		defects: join([]defect{
			d(pQuality, "吸力很弱，油烟满屋都是"), d(pQuality, "漏油，油滴到灶台上"), d(pQuality, "噪音大得像拖拉机"),
		}, goodsAfterSales, goodsAdvertising)},
	{category: "household_appliances", name: "扫地机器人", minYuan: 999, maxYuan: 5999, maxAgeDays: 300, online: true,
		brands: []brand{b("科沃斯", "T##@ Pro"), b("石头", "G##@"), b("追觅", "X##@ Pro")},
		defects: join([]defect{
			d(pQuality, "充不进电，无法回充"), d(pQuality, "APP一直连不上"), d(pQuality, "拖布支架断裂"),
		}, goodsAfterSales, goodsAdvertising, goodsPrice)},
	{category: "household_appliances", name: "电饭煲", minYuan: 199, maxYuan: 1299, maxAgeDays: 300, online: true,
		brands: []brand{b("苏泊尔", "SF40HC##"), b("美的", "MB-##@##"), b("九阳", "F-##FZ###")},
		defects: join([]defect{
			d(pQuality, "内胆涂层大面积脱落"), d(pQuality, "煮出来的饭是夹生的"), d(pSafety, "底部烧焦还有焦糊味"),
		}, goodsAfterSales, goodsCounterfeit)},

	// food
	{category: "food", name: "月饼礼盒", minYuan: 88, maxYuan: 888, maxAgeDays: 30, online: true,
		brands: []brand{b("美心"), b("广州酒家"), b("稻香村"), b("元祖")},
		defects: []defect{
			d(pFoodSafety, "里面的月饼发霉长毛"), d(pFoodSafety, "吃出了头发"), d(pAdvertising, "包装比月饼还贵，属于过度包装"),
			d(pMeasurement, "实际重量比标注的少了好多"), d(pCounterfeit, "是仿冒知名品牌的包装"),
		}},
	{category: "food", name: "婴幼儿配方奶粉", minYuan: 198, maxYuan: 1598, maxAgeDays: 60, online: true,
		brands: []brand{b("飞鹤"), b("君乐宝"), b("惠氏"), b("美赞臣"), b("伊利")},
		defects: []defect{
			d(pFoodSafety, "孩子喝了以后上吐下泻"), d(pFoodSafety, "罐内有黑色异物"), d(pCounterfeit, "扫码查询显示不是正品"),
			d(pQuality, "奶粉结块，冲不开"), d(pFoodSafety, "收到时已经超过保质期"),
		}},
	{category: "food", name: "纯牛奶", minYuan: 39, maxYuan: 139, maxAgeDays: 30, online: true,
		brands: []brand{b("蒙牛"), b("伊利"), b("光明"), b("长富")},
		defects: []defect{
			d(pFoodSafety, "打开后发现已经结块变质"), d(pFoodSafety, "有一股酸臭味"), d(pFoodSafety, "包装上的生产日期被涂改过"),
			d(pPrice, "超市标价和结账价不一样"),
		}},
	{category: "food", name: "零食大礼包", minYuan: 49, maxYuan: 299, maxAgeDays: 30, online: true,
		brands: []brand{b("三只松鼠"), b("良品铺子"), b("百草味"), b("盐津铺子")},
		defects: []defect{
			d(pFoodSafety, "里面有几袋已经过期"), d(pFoodSafety, "坚果有哈喇味，吃了拉肚子"), d(pMeasurement, "净含量明显不足"),
			d(pFoodSafety, "吃出了一只虫子"),
		}},
	{category: "food", name: "食用油", minYuan: 59, maxYuan: 299, maxAgeDays: 60, online: true,
		brands: []brand{b("金龙鱼"), b("鲁花"), b("福临门")},
		defects: []defect{
			d(pCounterfeit, "包装和正品不一样，疑似假冒"), d(pFoodSafety, "油里有沉淀物和异味"), d(pMeasurement, "标5升实际只有4升多"),
			d(pAdvertising, "标称纯花生油，实际掺了其他油"),
		}},
	{category: "food", name: "铁观音茶叶", trade: trade{company: []string{"茶业", "茶叶"}, store: []string{"茶行", "茶庄"}}, minYuan: 168, maxYuan: 3888, maxAgeDays: 90, online: true,
		brands: []brand{b("八马"), b("华祥苑"), b("日春"), b("安溪铁观音集团")},
		defects: []defect{
			d(pAdvertising, "说是特级茶，实际是陈茶碎末"), d(pCounterfeit, "品牌防伪码查询无效"), d(pMeasurement, "每包重量都不足"),
			d(pFoodSafety, "茶叶受潮发霉"), d(pPrice, "现场价格比标签价高一倍"),
		}},
	{category: "food", name: "海鲜干货", trade: trade{company: []string{"海产品", "食品贸易"}, store: []string{"干货商行", "海产品店"}}, minYuan: 98, maxYuan: 1280, maxAgeDays: 60, online: true,
		defects: []defect{
			d(pMeasurement, "回家一称少了近两百克"), d(pFoodSafety, "有刺鼻的药水味"), d(pAdvertising, "说是野生的，实际是养殖的"),
			d(pPrice, "按斤报价结账却按两算"),
		}},
	{category: "food", name: "生鲜水果", trade: trade{company: []string{"果业", "生鲜超市", "农产品"}, store: []string{"水果店", "生鲜店"}}, minYuan: 29, maxYuan: 399, maxAgeDays: 15, online: true,
		defects: []defect{
			d(pQuality, "收到时一半已经烂了"), d(pMeasurement, "缺斤短两，差了快一斤"), d(pAdvertising, "图片上是大果，收到的都是小果"),
			d(pPrice, "电子秤显示的价格比标价高"),
		}},
	{category: "food", name: "保健食品", trade: trade{company: []string{"健康科技", "生物科技"}, store: []string{"保健品店", "养生馆"}}, minYuan: 298, maxYuan: 9800, maxAgeDays: 120,
		defects: []defect{
			d(pAdvertising, "推销时说能治高血压糖尿病"), d(pFraud, "以免费体检为名诱导老人高价购买"), d(pFoodSafety, "没有保健食品批准文号"),
		}},

	// drugs
	{category: "drugs", name: "感冒灵颗粒", minYuan: 15, maxYuan: 60, maxAgeDays: 60, online: true,
		brands: []brand{b("999"), b("白云山")},
		defects: []defect{
			d(pQuality, "颗粒受潮结成了硬块"), d(pQuality, "药品已经过期还在销售"), d(pPrice, "同样的药比隔壁药店贵了一倍"),
		}},
	{category: "drugs", name: "布洛芬缓释胶囊", minYuan: 18, maxYuan: 45, maxAgeDays: 60, online: true,
		brands: []brand{b("芬必得"), b("仁和")},
		defects: []defect{
			d(pCounterfeit, "药盒批号查不到，怀疑是假药"), d(pQuality, "胶囊破损粘连"), d(pPrice, "结账时价格比标签高"),
		}},
	{category: "drugs", name: "中药饮片", trade: trade{company: []string{"医药连锁", "中药饮片"}, store: []string{"大药房", "中药店"}}, minYuan: 68, maxYuan: 1680, maxAgeDays: 60,
		defects: []defect{
			d(pQuality, "药材发霉生虫"), d(pMeasurement, "称量不足，每副少了好几克"), d(pAdvertising, "店员说能根治风湿，吃了完全没用"),
			d(pCounterfeit, "买到的西洋参是用其他根茎冒充的"),
		}},
	{category: "drugs", name: "处方药", minYuan: 45, maxYuan: 890, maxAgeDays: 60, online: true,
		defects: []defect{
			d(pQuality, "拿到的药已经过期"), d(pSafety, "没有处方也直接卖给我"), d(pPersonal, "买药后不断接到推销电话"),
		}},

	// medical_devices
	{category: "medical_devices", name: "电子血压计", minYuan: 129, maxYuan: 699, maxAgeDays: 300, online: true,
		brands: []brand{b("欧姆龙", "HEM-####@"), b("鱼跃", "YE###@"), b("九安", "KD-####")},
		defects: join([]defect{
			d(pQuality, "测量结果误差很大"), d(pQuality, "开机后显示错误代码"),
		}, goodsAfterSales, goodsCounterfeit)},
	{category: "medical_devices", name: "制氧机", minYuan: 1299, maxYuan: 5999, maxAgeDays: 300, online: true,
		brands: []brand{b("鱼跃", "###@-W"), b("欧姆龙", "KJR-Y##W")},
		defects: join([]defect{
			d(pQuality, "氧浓度达不到标称值"), d(pAdvertising, "宣传是医用级，实际是保健级"),
		}, goodsAfterSales)},
	{category: "medical_devices", name: "隐形眼镜", minYuan: 89, maxYuan: 599, maxAgeDays: 90, online: true,
		brands: []brand{b("博士伦"), b("强生安视优"), b("海昌")},
		defects: []defect{
			d(pCounterfeit, "和正品对比明显是假货"), d(pSafety, "戴上后眼睛红肿发炎"), d(pQuality, "镜片边缘有破损"),
		}},
	{category: "medical_devices", name: "助听器", minYuan: 2980, maxYuan: 26800, maxAgeDays: 400,
		brands: []brand{b("西门子", "Pure ###"), b("峰力", "Audéo P##"), b("瑞声达", "ONE ##")},
		defects: join([]defect{
			d(pQuality, "戴上后一直有啸叫声"), d(pFraud, "以免费测听为名推销高价助听器"),
		}, goodsAfterSales)},

	// cosmetics
	{category: "cosmetics", name: "面霜", minYuan: 99, maxYuan: 2980, maxAgeDays: 120, online: true,
		brands: []brand{b("兰蔻"), b("雅诗兰黛"), b("欧莱雅"), b("珀莱雅"), b("薇诺娜")},
		defects: []defect{
			d(pSafety, "用后脸上起了大片红疹"), d(pCounterfeit, "专柜鉴定说是假货"), d(pAdvertising, "宣传七天美白，实际毫无效果"),
			d(pQuality, "膏体有异味且分层"),
		}},
	{category: "cosmetics", name: "精华液", minYuan: 159, maxYuan: 1980, maxAgeDays: 120, online: true,
		brands: []brand{b("雅诗兰黛"), b("SK-II"), b("玉兰油"), b("珀莱雅")},
		defects: []defect{
			d(pCounterfeit, "批次号和官方查询结果不符"), d(pSafety, "使用后皮肤过敏脱皮"), d(pPrice, "直播间说是最低价，结果比专柜还贵"),
		}},
	{category: "cosmetics", name: "洗发水", minYuan: 39, maxYuan: 199, maxAgeDays: 90, online: true,
		brands: []brand{b("海飞丝"), b("潘婷"), b("飘柔"), b("施华蔻")},
		defects: []defect{
			d(pCounterfeit, "味道和以前买的完全不一样，疑似假货"), d(pSafety, "用后头皮发痒掉头发"), d(pMeasurement, "瓶子里只有大半瓶"),
		}},
	{category: "cosmetics", name: "口红", minYuan: 69, maxYuan: 520, maxAgeDays: 90, online: true,
		brands: []brand{b("迪奥"), b("圣罗兰"), b("完美日记"), b("花西子")},
		defects: []defect{
			d(pCounterfeit, "包装做工粗糙，明显是假货"), d(pSafety, "涂了以后嘴唇红肿"), d(pContract, "下单的色号和收到的不一样"),
		}},
	{category: "cosmetics", name: "染发剂", minYuan: 39, maxYuan: 299, maxAgeDays: 60, online: true,
		brands: []brand{b("欧莱雅"), b("章华"), b("美源")},
		defects: []defect{
			d(pSafety, "使用后头皮严重过敏红肿"), d(pAdvertising, "宣传植物配方不伤发，实际伤发严重"), d(pQuality, "颜色和包装上的完全不同"),
		}},

	// clothing
	{category: "clothing", name: "羽绒服", minYuan: 399, maxYuan: 2999, maxAgeDays: 120, online: true,
		brands: []brand{b("波司登"), b("鸭鸭"), b("雪中飞"), b("太平鸟")},
		defects: []defect{
			d(pQuality, "一直往外钻毛"), d(pAdvertising, "标签写90%白鸭绒，检测含绒量不到50%"), d(pQuality, "洗了一次就结块"),
			d(pCounterfeit, "吊牌和正品不同，疑似假冒"), d(pAfterSales, "申请七天无理由退货被拒"),
		}},
	{category: "clothing", name: "运动鞋", minYuan: 199, maxYuan: 1299, maxAgeDays: 120, online: true,
		brands: []brand{b("安踏"), b("李宁"), b("特步"), b("361度"), b("鸿星尔克"), b("匹克")},
		defects: []defect{
			d(pQuality, "穿了半个月鞋底就开胶"), d(pQuality, "鞋面开裂"), d(pCounterfeit, "鞋标和官网不一致，疑似假鞋"),
			d(pAfterSales, "申请七天无理由退货被拒"), d(pPrice, "买完第二天就降价一百多"),
		}},
	{category: "clothing", name: "真皮皮鞋", minYuan: 299, maxYuan: 1999, maxAgeDays: 120, online: true,
		brands: []brand{b("红蜻蜓"), b("奥康"), b("百丽"), b("森达")},
		defects: []defect{
			d(pAdvertising, "说是头层牛皮，实际是人造革"), d(pQuality, "鞋跟断了"), d(pQuality, "严重掉色，把袜子都染黑了"),
		}},
	{category: "clothing", name: "连衣裙", minYuan: 129, maxYuan: 899, maxAgeDays: 60, online: true,
		defects: []defect{
			d(pQuality, "洗一次就严重缩水"), d(pQuality, "面料起球勾丝"), d(pAdvertising, "标注真丝实际是化纤"),
			d(pContract, "收到的颜色尺码和下单的不一样"), d(pAfterSales, "商家以吊牌已拆为由拒绝退货"),
		}},
	{category: "clothing", name: "冲锋衣", minYuan: 299, maxYuan: 2599, maxAgeDays: 120, online: true,
		brands: []brand{b("探路者"), b("骆驼"), b("凯乐石")},
		defects: []defect{
			d(pAdvertising, "宣传防水，下小雨就湿透了"), d(pQuality, "拉链坏了拉不上"), d(pCounterfeit, "防伪码无法查询"),
		}},

	// daily_goods
	{category: "daily_goods", name: "保温杯", minYuan: 49, maxYuan: 399, maxAgeDays: 120, online: true,
		brands: []brand{b("膳魔师"), b("象印"), b("富光"), b("哈尔斯")},
		defects: []defect{
			d(pQuality, "完全不保温，倒进开水半小时就凉"), d(pSafety, "内胆有锈迹，担心材质不合格"), d(pCounterfeit, "和专柜对比做工明显不同"),
		}},
	{category: "daily_goods", name: "床上四件套", minYuan: 199, maxYuan: 1599, maxAgeDays: 90, online: true,
		brands: []brand{b("富安娜"), b("罗莱"), b("水星家纺")},
		defects: []defect{
			d(pAdvertising, "标的是长绒棉，实际是涤纶"), d(pQuality, "第一次洗就严重掉色"), d(pSafety, "有很重的甲醛味"),
		}},
	{category: "daily_goods", name: "行李箱", minYuan: 199, maxYuan: 2999, maxAgeDays: 200, online: true,
		brands: []brand{b("新秀丽"), b("美旅"), b("外交官")},
		defects: []defect{
			d(pQuality, "第一次出差拉杆就断了"), d(pQuality, "万向轮脱落"), d(pAfterSales, "终身保修却拒绝维修"),
		}},
	{category: "daily_goods", name: "抽纸", minYuan: 29, maxYuan: 99, maxAgeDays: 30, online: true,
		brands: []brand{b("心相印"), b("维达"), b("清风")},
		defects: []defect{
			d(pMeasurement, "标注每包130抽，实际只有100抽左右"), d(pCounterfeit, "纸质粗糙发黄，疑似假冒"), d(pQuality, "一碰就掉纸屑"),
		}},
	{category: "daily_goods", name: "电动自行车头盔", trade: trade{company: []string{"交通器材", "商贸"}, store: []string{"电动车配件店"}}, minYuan: 39, maxYuan: 299, maxAgeDays: 90, online: true,
		defects: []defect{
			d(pSafety, "没有3C认证标志"), d(pQuality, "卡扣一拉就断"), d(pAdvertising, "宣传符合国标，实际是无标产品"),
		}},

	// furniture_building
	{category: "furniture_building", name: "布艺沙发", minYuan: 2999, maxYuan: 19999, maxAgeDays: 300, online: true,
		brands: []brand{b("顾家家居"), b("芝华仕"), b("林氏家居")},
		defects: join([]defect{
			d(pQuality, "坐垫塌陷起皱"), d(pSafety, "刺鼻气味一个多月散不掉"), d(pAdvertising, "说是进口面料，实际是国产普通布"),
		}, goodsContract, goodsAfterSales)},
	{category: "furniture_building", name: "床垫", minYuan: 1999, maxYuan: 25999, maxAgeDays: 400, online: true,
		brands: []brand{b("喜临门"), b("慕思"), b("席梦思"), b("穗宝")},
		defects: join([]defect{
			d(pQuality, "睡了两个月中间就凹陷了"), d(pAdvertising, "标称天然乳胶，检测乳胶含量极低"), d(pSafety, "拆开后有很重的异味"),
		}, goodsContract)},
	{category: "furniture_building", name: "实木衣柜", minYuan: 3999, maxYuan: 29999, maxAgeDays: 300,
		defects: join([]defect{
			d(pAdvertising, "说是全实木，拆开看是颗粒板"), d(pQuality, "柜门变形关不上"), d(pSafety, "甲醛检测严重超标"),
		}, goodsContract)},
	{category: "furniture_building", name: "瓷砖", minYuan: 2000, maxYuan: 30000, maxAgeDays: 400,
		brands: []brand{b("东鹏"), b("马可波罗"), b("诺贝尔")},
		defects: []defect{
			d(pQuality, "铺贴后大面积开裂"), d(pQuality, "同一批次色差明显"), d(pContract, "送来的型号和样品不一样"),
			d(pCounterfeit, "背面没有品牌标识，怀疑以次充好"),
		}},
	{category: "furniture_building", name: "卫浴套装", minYuan: 1999, maxYuan: 15999, maxAgeDays: 400,
		brands: []brand{b("九牧", "ZS###@"), b("恒洁", "H0###@"), b("箭牌", "AE####@")},
		defects: join([]defect{
			d(pQuality, "马桶冲水不干净还漏水"), d(pQuality, "花洒镀层剥落"),
		}, goodsAfterSales, goodsContract)},
	{category: "furniture_building", name: "木地板", minYuan: 3000, maxYuan: 40000, maxAgeDays: 500,
		brands: []brand{b("圣象"), b("大自然"), b("德尔")},
		defects: []defect{
			d(pQuality, "铺好三个月就起拱变形"), d(pMeasurement, "实际铺设面积比结算面积少了十多平方米"), d(pCounterfeit, "检测报告是伪造的"),
		}},

	// vehicles
	{category: "vehicles", name: "新能源汽车", minYuan: 99800, maxYuan: 329800, maxAgeDays: 700,
		brands: []brand{b("比亚迪", "秦PLUS DM-i", "宋PLUS EV", "海豹 06"), b("吉利", "银河E5", "几何E"), b("五菱", "宏光MINIEV"),
			b("小鹏", "MONA M03"), b("零跑", "C10")},
		defects: []defect{
			d(pQuality, "提车一周就报动力电池故障"), d(pQuality, "行驶中仪表盘突然黑屏"), d(pAdvertising, "续航里程远远达不到宣传的数值"),
			d(pContract, "交车时被加收上牌服务费和金融服务费"), d(pFraud, "提车时发现是维修过的车"),
			d(pAfterSales, "4S店维修一个多月还没修好"), d(pContract, "交付时间一拖再拖"),
		}},
	{category: "vehicles", name: "二手车", trade: trade{company: []string{"二手车交易", "汽车贸易"}, store: []string{"二手车行"}}, minYuan: 25000, maxYuan: 189000, maxAgeDays: 400,
		defects: []defect{
			d(pFraud, "过户后查出是泡水车"), d(pFraud, "实际里程被调过表"), d(pContract, "承诺的质保条款不兑现"),
		}},
	{category: "vehicles", name: "汽车轮胎", minYuan: 480, maxYuan: 4800, maxAgeDays: 300, online: true,
		brands: []brand{b("米其林"), b("玛吉斯"), b("朝阳"), b("普利司通")},
		defects: []defect{
			d(pQuality, "行驶不到两千公里就鼓包"), d(pCounterfeit, "生产日期是翻新的旧胎"), d(pPrice, "安装时临时加收动平衡费"),
		}},
	{category: "vehicles", name: "电动自行车", trade: trade{company: []string{"电动车", "车业"}, store: []string{"电动车店", "电动车行"}}, minYuan: 1599, maxYuan: 5999, maxAgeDays: 400,
		brands: []brand{b("雅迪", "DE##"), b("爱玛", "TDT####Z"), b("台铃", "TDT####Z")},
		defects: join([]defect{
			d(pQuality, "电池充满电只能跑十几公里"), d(pSafety, "充电时电池鼓包冒烟"), d(pAdvertising, "说是锂电池，拆开是铅酸电池"),
		}, goodsAfterSales)},
	{category: "vehicles", name: "行车记录仪", minYuan: 199, maxYuan: 999, maxAgeDays: 200, online: true,
		brands: []brand{b("70迈", "A###"), b("盯盯拍", "Z##")},
		defects: join([]defect{
			d(pQuality, "录的视频全是花屏"), d(pQuality, "经常自动关机"),
		}, goodsAfterSales)},

	// communication_devices
	{category: "communication_devices", name: "手机", minYuan: 999, maxYuan: 9999, maxAgeDays: 365, online: true,
		brands: []brand{b("华为", "Mate 70", "nova 13", "Pura 70"), b("小米", "小米15", "Redmi K80"), b("OPPO", "Reno13", "Find X8"),
			b("vivo", "X200", "S20"), b("荣耀", "Magic7", "荣耀X60"), b("苹果", "iPhone 16", "iPhone 16 Pro")},
		defects: join([]defect{
			d(pQuality, "屏幕出现绿线"), d(pQuality, "充电时发烫得厉害"), d(pQuality, "经常自动重启"), d(pFraud, "收到的是翻新机"),
			d(pCounterfeit, "序列号查询显示已激活过"), d(pAdvertising, "宣传的以旧换新补贴不兑现"),
		}, goodsAfterSales, goodsPrice)},
	{category: "communication_devices", name: "蓝牙耳机", minYuan: 99, maxYuan: 1999, maxAgeDays: 200, online: true,
		brands: []brand{b("华为", "FreeBuds 6i"), b("小米", "Buds 5"), b("苹果", "AirPods 4"), b("漫步者", "Lolli3")},
		defects: join([]defect{
			d(pQuality, "一只耳机没有声音"), d(pCounterfeit, "序列号查询不到，是高仿"), d(pQuality, "充电仓充不进电"),
		}, goodsAfterSales)},
	{category: "communication_devices", name: "儿童电话手表", minYuan: 299, maxYuan: 1999, maxAgeDays: 300, online: true,
		brands: []brand{b("小天才", "Z##"), b("华为", "儿童手表 5")},
		defects: join([]defect{
			d(pQuality, "定位经常漂到几公里外"), d(pQuality, "屏幕进水失灵"),
		}, goodsAfterSales)},
	{category: "communication_devices", name: "充电宝", minYuan: 59, maxYuan: 299, maxAgeDays: 200, online: true,
		brands: []brand{b("罗马仕"), b("小米"), b("安克")},
		defects: []defect{
			d(pSafety, "充电时起火冒烟"), d(pAdvertising, "标称20000毫安实际容量不到一半"), d(pSafety, "没有3C认证，机场不让带"),
		}},

	// electronics
	{category: "electronics", name: "笔记本电脑", minYuan: 3499, maxYuan: 15999, maxAgeDays: 365, online: true,
		brands: []brand{b("联想", "小新Pro 16", "拯救者Y9000P"), b("华为", "MateBook 14"), b("戴尔", "灵越14"), b("华硕", "天选5"),
			b("惠普", "星Book Pro 14")},
		defects: join([]defect{
			d(pQuality, "键盘有好几个键失灵"), d(pQuality, "用了一个月就蓝屏死机"), d(pFraud, "收到的是拆封过的机器"),
			d(pAdvertising, "配置单上的独立显卡实际是集成显卡"),
		}, goodsAfterSales, goodsPrice, goodsContract)},
	{category: "electronics", name: "平板电脑", minYuan: 1299, maxYuan: 8999, maxAgeDays: 365, online: true,
		brands: []brand{b("华为", "MatePad 11.5"), b("苹果", "iPad Air"), b("小米", "小米平板7")},
		defects: join([]defect{
			d(pQuality, "屏幕漏光"), d(pQuality, "电池续航只有两三个小时"), d(pCounterfeit, "序列号显示是官方翻新机"),
		}, goodsAfterSales, goodsPrice)},
	{category: "electronics", name: "数码相机", minYuan: 2999, maxYuan: 19999, maxAgeDays: 365, online: true,
		brands: []brand{b("佳能", "EOS R50", "EOS R6 Mark II"), b("索尼", "A7C2", "ZV-E10"), b("富士", "X-S20")},
		defects: join([]defect{
			d(pQuality, "拍出的照片有黑点"), d(pFraud, "快门次数显示已经用过几千次"), d(pContract, "说好的赠品全都没给"),
		}, goodsAfterSales)},
	{category: "electronics", name: "游戏机", minYuan: 1499, maxYuan: 4999, maxAgeDays: 300, online: true,
		brands: []brand{b("任天堂", "Switch OLED"), b("索尼", "PS5")},
		defects: join([]defect{
			d(pQuality, "手柄漂移"), d(pFraud, "收到的是港版却按国行价格卖"),
		}, goodsAfterSales)},

	// jewelry
	{category: "jewelry", name: "黄金手镯", minYuan: 6800, maxYuan: 39800, maxAgeDays: 400,
		brands: []brand{b("周大福"), b("老凤祥"), b("周生生"), b("中国黄金")},
		defects: []defect{
			d(pMeasurement, "拿到别家称重少了将近两克"), d(pCounterfeit, "检测含金量不足"), d(pPrice, "另收高额工费，事先没有说明"),
			d(pContract, "回收时商家拒绝按当初承诺的价格回收"),
		}},
	{category: "jewelry", name: "钻戒", minYuan: 3999, maxYuan: 59999, maxAgeDays: 500,
		brands: []brand{b("周大福"), b("DR"), b("I Do")},
		defects: []defect{
			d(pAdvertising, "证书上的净度和实际不符"), d(pQuality, "佩戴一个月钻石就脱落"), d(pCounterfeit, "鉴定证书编号查不到"),
		}},
	{category: "jewelry", name: "翡翠手镯", minYuan: 1800, maxYuan: 58000, maxAgeDays: 400, online: true,
		defects: []defect{
			d(pFraud, "鉴定结果是注胶染色的B+C货"), d(pFraud, "直播间说是A货，收到是玻璃"), d(pFraud, "旅游购物时被导游带去强迫购买"),
		}},
	{category: "jewelry", name: "银项链", minYuan: 99, maxYuan: 999, maxAgeDays: 200, online: true,
		defects: []defect{
			d(pCounterfeit, "戴了两天就发黑，检测不是银的"), d(pQuality, "链子断了"), d(pAdvertising, "标注S925实际是合金"),
		}},

	// children_products
	{category: "children_products", name: "婴儿推车", minYuan: 399, maxYuan: 4999, maxAgeDays: 300, online: true,
		brands: []brand{b("好孩子", "GB####"), b("Babyzen", "YOYO2"), b("宝宝好", "V##")},
		defects: join([]defect{
			d(pSafety, "刹车失灵，差点溜坡"), d(pQuality, "车架焊点开裂"),
		}, goodsAfterSales)},
	{category: "children_products", name: "儿童安全座椅", minYuan: 599, maxYuan: 3999, maxAgeDays: 300, online: true,
		brands: []brand{b("好孩子", "CS###"), b("宝得适", "百变骑士"), b("感恩", "ISOFIX-##")},
		defects: []defect{
			d(pSafety, "ISOFIX接口根本卡不牢"), d(pSafety, "没有3C认证标志"), d(pQuality, "安全带卡扣松脱"),
		}},
	{category: "children_products", name: "益智玩具", minYuan: 39, maxYuan: 999, maxAgeDays: 120, online: true,
		brands: []brand{b("乐高"), b("费雪"), b("布鲁可")},
		defects: []defect{
			d(pSafety, "小零件容易脱落，孩子差点吞下去"), d(pSafety, "有刺鼻的塑料味"), d(pCounterfeit, "是仿冒的积木"),
		}},
	{category: "children_products", name: "纸尿裤", minYuan: 89, maxYuan: 399, maxAgeDays: 60, online: true,
		brands: []brand{b("帮宝适"), b("花王"), b("好奇"), b("尤妮佳")},
		defects: []defect{
			d(pSafety, "宝宝用后屁股红肿起疹"), d(pCounterfeit, "和专柜包装不同，疑似假货"), d(pQuality, "侧漏严重"),
		}},

	// agricultural_inputs
	{category: "agricultural_inputs", name: "复合肥", minYuan: 800, maxYuan: 12000, maxAgeDays: 200,
		brands: []brand{b("史丹利"), b("金正大"), b("心连心")},
		defects: []defect{
			d(pCounterfeit, "检测养分含量严重不足"), d(pQuality, "施肥后作物大面积烧苗"), d(pAdvertising, "宣传增产三成，实际减产"),
		}},
	{category: "agricultural_inputs", name: "水稻种子", minYuan: 300, maxYuan: 8000, maxAgeDays: 200,
		defects: []defect{
			d(pQuality, "出苗率不到一半"), d(pCounterfeit, "包装上的审定编号是假的"), d(pQuality, "抽穗期比说明晚了二十天"),
		}},
	{category: "agricultural_inputs", name: "农药", minYuan: 120, maxYuan: 3000, maxAgeDays: 150,
		defects: []defect{
			d(pQuality, "喷了三遍虫子一点没少"), d(pSafety, "用药后茶树叶子全部发黄"), d(pCounterfeit, "农药登记证号查不到"),
		}},

	// catering_lodging
	{category: "catering_lodging", name: "海鲜大餐", trade: trade{company: []string{"餐饮管理", "餐饮服务"}, store: []string{"餐馆", "饭店", "海鲜酒楼", "大排档"}}, minYuan: 300, maxYuan: 3800, verb: "吃", maxAgeDays: 10,
		defects: join([]defect{
			d(pFoodSafety, "菜里吃出了钢丝球"), d(pFoodSafety, "吃完后全家上吐下泻"), d(pPrice, "结账时多收了包间费和开瓶费"),
			d(pPrice, "海鲜按斤称重时缺斤短两"),
		}, servicesCommon[:1])},
	{category: "catering_lodging", name: "外卖套餐", trade: trade{company: []string{"餐饮管理", "餐饮服务"}, store: []string{"快餐店", "小吃店", "外卖店"}}, minYuan: 25, maxYuan: 260, verb: "订购", maxAgeDays: 7,
		defects: []defect{
			d(pFoodSafety, "饭里有一只蟑螂"), d(pFoodSafety, "肉已经发臭了"), d(pContract, "送达时间晚了两个小时"),
		}},
	{category: "catering_lodging", name: "婚宴", trade: trade{company: []string{"酒店管理", "餐饮管理"}, store: []string{"大酒店", "酒楼"}}, minYuan: 20000, maxYuan: 98000, verb: "预订", maxAgeDays: 120,
		defects: []defect{
			d(pContract, "酒店临时取消预订，定金不退"), d(pContract, "菜品与合同约定的不一致"), d(pPrice, "结账时多收了服务费"),
			d(pPrepaid, "婚期改了，定金一分不退"),
		}},
	{category: "catering_lodging", name: "酒店住宿", trade: trade{company: []string{"酒店管理", "酒店"}, store: []string{"宾馆", "大酒店", "商务酒店"}}, minYuan: 198, maxYuan: 2888, verb: "预订", maxAgeDays: 30, online: true,
		defects: []defect{
			d(pQuality, "房间卫生很差，床单上有污渍"), d(pContract, "到店后被告知没有房间"), d(pAdvertising, "实际房间和网上照片完全不一样"),
			d(pPersonal, "住店后个人信息被泄露，接到诈骗电话"),
		}},
	{category: "catering_lodging", name: "民宿", trade: trade{company: []string{"民宿管理", "文化旅游"}, store: []string{"民宿", "客栈"}}, minYuan: 258, maxYuan: 1888, verb: "预订", maxAgeDays: 30, online: true,
		defects: []defect{
			d(pContract, "提前十天取消却只退一半房费"), d(pAdvertising, "宣传的海景房根本看不到海"), d(pSafety, "房间里发现隐藏摄像头"),
		}},

	// education_training
	{category: "education_training", name: "少儿英语课程", minYuan: 4800, maxYuan: 29800, verb: "报名", maxAgeDays: 300,
		defects: []defect{
			d(pPrepaid, "机构突然关门，剩余课时无法退费"), d(pAdvertising, "承诺的外教一直没来上课"), d(pContract, "频繁更换老师和上课时间"),
			d(pPrepaid, "申请退费被扣除高额违约金"),
		}},
	{category: "education_training", name: "驾驶培训", trade: trade{company: []string{"驾驶员培训", "机动车驾驶培训"}, store: []string{"驾校报名点"}}, minYuan: 3800, maxYuan: 7800, verb: "报名", maxAgeDays: 400,
		defects: []defect{
			d(pContract, "交了学费后迟迟安排不了练车"), d(pPrice, "考试时被要求另交各种费用"), d(pPrepaid, "驾校停业，学费退不回来"),
		}},
	{category: "education_training", name: "职业技能培训", minYuan: 3980, maxYuan: 19800, verb: "报名", maxAgeDays: 300, online: true,
		defects: []defect{
			d(pAdvertising, "承诺包过包就业，实际什么都没有"), d(pFraud, "以招聘为名诱导办理培训贷"), d(pPrepaid, "申请退费一直拖着不办"),
		}},
	{category: "education_training", name: "考研辅导班", minYuan: 5800, maxYuan: 39800, verb: "报名", maxAgeDays: 300, online: true,
		defects: []defect{
			d(pAdvertising, "宣传的名师授课实际是录播"), d(pContract, "说好不过全额退费，现在不认账"), d(pPrepaid, "退费申请三个月没有回音"),
		}},
	{category: "education_training", name: "少儿舞蹈课", minYuan: 2800, maxYuan: 12800, verb: "报名", maxAgeDays: 300,
		defects: []defect{
			d(pPrepaid, "舞蹈室搬走了，剩余课时退不了"), d(pContract, "老师离职后课程就停了"),
		}},

	// telecom_services
	{category: "telecom_services", name: "宽带", minYuan: 360, maxYuan: 2400, verb: "办理", maxAgeDays: 365,
		brands: []brand{b("中国电信"), b("中国移动"), b("中国联通"), b("中国广电")},
		defects: []defect{
			d(pQuality, "网速远达不到办理时承诺的千兆"), d(pContract, "销户时被要求缴纳高额违约金"), d(pAfterSales, "报修一周都没人来修"),
		}},
	{category: "telecom_services", name: "手机套餐", minYuan: 199, maxYuan: 3600, verb: "办理", maxAgeDays: 365,
		brands: []brand{b("中国电信"), b("中国移动"), b("中国联通")},
		defects: []defect{
			d(pContract, "被擅自开通了增值业务"), d(pPrice, "每月扣费比套餐说明多"), d(pAdvertising, "说好的话费返还没有到账"),
			d(pPersonal, "营业员用我的身份证多办了一张卡"),
		}},

	// prepaid_services
	{category: "prepaid_services", name: "健身卡", trade: trade{company: []string{"健身服务", "体育发展"}, store: []string{"健身馆", "健身工作室"}}, minYuan: 1999, maxYuan: 12800, verb: "办理", maxAgeDays: 400,
		defects: []defect{
			d(pPrepaid, "办卡不到三个月健身房就关门了"), d(pPrepaid, "私教课要求退费被拒"), d(pContract, "换了老板后不认以前的会员卡"),
		}},
	{category: "prepaid_services", name: "洗车储值卡", trade: trade{company: []string{"汽车服务", "汽车美容"}, store: []string{"洗车行", "汽车美容店"}}, minYuan: 500, maxYuan: 3000, verb: "办理", maxAgeDays: 400,
		defects: []defect{
			d(pPrepaid, "洗车店突然关门，卡里余额退不了"), d(pContract, "店家单方面提高了洗车价格"),
		}},
	{category: "prepaid_services", name: "游泳年卡", trade: trade{company: []string{"体育发展", "游泳健身"}, store: []string{"游泳馆"}}, minYuan: 1200, maxYuan: 4800, verb: "办理", maxAgeDays: 400,
		defects: []defect{
			d(pPrepaid, "游泳馆长期停业整修却不给延期退费"), d(pQuality, "泳池水质浑浊，有很重的消毒水味"),
		}},
	{category: "prepaid_services", name: "儿童乐园年卡", trade: trade{company: []string{"文化娱乐", "游乐"}, store: []string{"儿童乐园", "亲子乐园"}}, minYuan: 999, maxYuan: 3999, verb: "办理", maxAgeDays: 400,
		defects: []defect{
			d(pPrepaid, "乐园关门，年卡剩余天数无法退费"), d(pSafety, "游乐设施破损，孩子被划伤"),
		}},
	{category: "prepaid_services", name: "汽车保养套餐", trade: trade{company: []string{"汽车服务", "汽车维修"}, store: []string{"汽修厂", "汽车服务中心"}}, minYuan: 1800, maxYuan: 8800, verb: "购买", maxAgeDays: 500,
		defects: []defect{
			d(pPrepaid, "修理厂转让后不认之前的套餐"), d(pContract, "保养时被要求另外加钱"),
		}},

	// tourism
	{category: "tourism", name: "跟团游", minYuan: 1980, maxYuan: 15800, verb: "报名", maxAgeDays: 120, online: true,
		defects: []defect{
			d(pContract, "行程中被强制进店购物"), d(pContract, "擅自更改行程，少去了两个景点"), d(pAdvertising, "宣传的五星酒店实际是快捷酒店"),
			d(pContract, "因故取消行程被扣了一半团费"),
		}},
	{category: "tourism", name: "景区门票", trade: trade{company: []string{"旅游开发", "文化旅游"}, store: []string{"景区票务点"}}, minYuan: 60, maxYuan: 680, verb: "购买", maxAgeDays: 30, online: true,
		defects: []defect{
			d(pPrice, "门票之外还要强制购买观光车票"), d(pContract, "景区临时关闭却不给退票"), d(pPrice, "老年人优惠不给执行"),
		}},

	// beauty
	{category: "beauty", name: "美容护理卡", trade: trade{company: []string{"美容服务", "美业管理"}, store: []string{"美容院", "皮肤管理中心"}}, minYuan: 1980, maxYuan: 39800, verb: "办理", maxAgeDays: 400,
		defects: []defect{
			d(pPrepaid, "美容院关门跑路，卡里余额退不了"), d(pFraud, "护理过程中不断被推销高价项目"), d(pSafety, "做完光子嫩肤脸上起水泡"),
		}},
	{category: "beauty", name: "烫发染发", trade: trade{company: []string{"美发服务", "美业管理"}, store: []string{"美发店", "造型工作室"}}, minYuan: 198, maxYuan: 2680, verb: "做", maxAgeDays: 30,
		defects: []defect{
			d(pQuality, "烫完头发严重受损，一梳就断"), d(pPrice, "说好的三百元结账变成两千多"), d(pFraud, "洗头时被连环推销办卡"),
		}},
	{category: "beauty", name: "美甲", trade: trade{company: []string{"美甲服务", "美业管理"}, store: []string{"美甲店", "美甲工作室"}}, minYuan: 88, maxYuan: 688, verb: "做", maxAgeDays: 30,
		defects: []defect{
			d(pSafety, "做完指甲发炎化脓"), d(pPrice, "结账时按最贵的款式收费"),
		}},

	// repair
	{category: "repair", name: "家电上门维修", trade: trade{company: []string{"家电维修服务", "家电服务"}, store: []string{"家电维修部"}}, minYuan: 150, maxYuan: 2800, verb: "预约", maxAgeDays: 60,
		defects: []defect{
			d(pPrice, "换个小零件收了好几百"), d(pFraud, "维修工把好的配件说成坏的"), d(pQuality, "修完第二天又坏了"),
			d(pAdvertising, "网上搜到的官方售后电话原来是冒牌的"),
		}},
	{category: "repair", name: "手机维修", trade: trade{company: []string{"电子科技", "通讯维修"}, store: []string{"手机维修店", "通讯维修部"}}, minYuan: 199, maxYuan: 1999, verb: "做", maxAgeDays: 60,
		defects: []defect{
			d(pFraud, "原装屏幕被偷换成了组装屏"), d(pPrice, "修完报价比当初说的高了一倍"), d(pPersonal, "维修后手机里的照片被人拷走"),
		}},
	{category: "repair", name: "汽车维修", trade: trade{company: []string{"汽车维修", "汽车服务"}, store: []string{"汽修厂", "汽车修理部"}}, minYuan: 500, maxYuan: 18000, verb: "做", maxAgeDays: 90,
		defects: []defect{
			d(pPrice, "维修费用没有事先告知，结算时高得离谱"), d(pFraud, "更换的是副厂件却按原厂件收费"), d(pQuality, "修完后故障依旧"),
		}},
	{category: "repair", name: "开锁服务", trade: trade{company: []string{"开锁服务", "锁业"}, store: []string{"开锁店", "锁具经营部"}}, minYuan: 100, maxYuan: 1200, verb: "预约", maxAgeDays: 30,
		defects: []defect{
			d(pPrice, "电话里说一百元，开完锁要八百元"), d(pFraud, "故意破坏锁芯再推销换锁"),
		}},

	// property
	{category: "property", name: "物业服务", trade: trade{company: []string{"物业管理", "物业服务"}, store: []string{"物业服务中心"}}, minYuan: 800, maxYuan: 6800, verb: "接受", maxAgeDays: 365,
		defects: []defect{
			d(pQuality, "电梯经常坏，报修没人管"), d(pPrice, "擅自上调物业费"), d(pContract, "停车费涨价没有公示"),
			d(pQuality, "小区垃圾好几天没人清理"),
		}},

	// home_decoration
	{category: "home_decoration", name: "全包装修", minYuan: 60000, maxYuan: 380000, verb: "签约", maxAgeDays: 500,
		defects: []defect{
			d(pContract, "工期已经拖延了三个多月"), d(pQuality, "墙面大面积开裂"), d(pPrice, "施工中不断增项加价"),
			d(pQuality, "卫生间防水没做好，漏到楼下"), d(pFraud, "合同约定的品牌材料被换成了杂牌"),
		}},
	{category: "home_decoration", name: "全屋定制", minYuan: 15000, maxYuan: 120000, verb: "签约", maxAgeDays: 400,
		brands: []brand{b("欧派"), b("索菲亚"), b("尚品宅配")},
		defects: []defect{
			d(pContract, "交货时间一拖再拖"), d(pQuality, "柜体尺寸做错，装不上去"), d(pSafety, "柜子甲醛检测超标"),
			d(pMeasurement, "投影面积计算方式不透明，多算了十几平方米"),
		}},

	// internet_services
	{category: "internet_services", name: "视频会员", minYuan: 15, maxYuan: 298, verb: "开通", maxAgeDays: 200,
		brands: []brand{b("爱奇艺"), b("腾讯视频"), b("优酷"), b("芒果TV")},
		defects: []defect{
			d(pContract, "被默认勾选了自动续费，扣款前没有提醒"), d(pContract, "开了会员看剧还要再付费"), d(pPrepaid, "取消自动续费后仍然扣款"),
		}},
	{category: "internet_services", name: "网络游戏", minYuan: 30, maxYuan: 6480, verb: "充值", maxAgeDays: 200,
		defects: []defect{
			d(pContract, "未成年孩子充值的钱申请退还被拒"), d(pContract, "账号被无故封禁，充值的钱没了"), d(pFraud, "抽奖概率和公示的不一致"),
		}},
	{category: "internet_services", name: "在线课程", minYuan: 99, maxYuan: 6980, verb: "购买", maxAgeDays: 200,
		defects: []defect{
			d(pAdvertising, "直播间承诺七天学会，内容全是空话"), d(pPrepaid, "APP停止运营，课程无法观看也不退费"),
			d(pPersonal, "注册后个人信息被卖给了推销公司"),
		}},

	// transport
	{category: "transport", name: "网约车", trade: trade{company: []string{"出行科技", "汽车服务"}, store: []string{"汽车租赁服务部"}}, minYuan: 18, maxYuan: 380, verb: "乘坐", maxAgeDays: 30,
		defects: []defect{
			d(pPrice, "司机故意绕路多收费"), d(pPrice, "订单结束后被额外收取高速费和清洁费"), d(pSafety, "司机驾驶途中一直看手机"),
		}},
	{category: "transport", name: "机票", trade: trade{company: []string{"航空票务", "国际旅行社"}, store: []string{"机票代售点"}}, minYuan: 380, maxYuan: 5600, verb: "购买", maxAgeDays: 60,
		defects: []defect{
			d(pContract, "退票手续费比规定高得多"), d(pContract, "买机票时被捆绑销售了保险和优惠券"), d(pPrice, "同一航班查询价格不断上涨"),
		}},

	// finance, postal_express, medical_services: outside market supervision
	// (12378, 12305, 12320) but people call 12315 about them anyway.
	{category: "finance", name: "信用卡分期", minYuan: 3000, maxYuan: 50000, verb: "办理", maxAgeDays: 400,
		defects: []defect{
			d(pPrice, "分期手续费实际年化利率远高于宣传"), d(pPersonal, "被推销电话骚扰"),
		}},
	{category: "postal_express", name: "快递", minYuan: 12, maxYuan: 200, verb: "寄", maxAgeDays: 30,
		defects: []defect{
			d(pContract, "包裹丢失只按运费赔偿"), d(pQuality, "包裹被摔坏"), d(pContract, "未经同意放在快递柜还收超时费"),
		}},
	{category: "medical_services", name: "种植牙", trade: trade{company: []string{"口腔门诊", "医疗管理"}, store: []string{"口腔诊所"}}, minYuan: 5800, maxYuan: 28000, verb: "做", maxAgeDays: 400,
		defects: []defect{
			d(pAdvertising, "宣传的进口种植体实际是国产"), d(pPrice, "手术中不断加收费用"), d(pQuality, "种植体松动"),
		}},
	{category: "other", name: "婚纱摄影", trade: trade{company: []string{"婚纱摄影", "摄影"}, store: []string{"影楼", "摄影工作室"}}, minYuan: 3999, maxYuan: 19999, verb: "预订", maxAgeDays: 300,
		defects: []defect{
			d(pContract, "拍摄后迟迟不给底片和相册"), d(pPrice, "选片时被强制加钱"), d(pPrepaid, "影楼倒闭，定金退不回来"),
		}},
	{category: "other", name: "宠物美容", trade: trade{company: []string{"宠物服务", "宠物用品"}, store: []string{"宠物店", "宠物美容店"}}, minYuan: 88, maxYuan: 888, verb: "做", maxAgeDays: 30,
		defects: []defect{
			d(pSafety, "狗狗洗澡时被烫伤"), d(pPrepaid, "宠物店关门，储值卡余额无法退"),
		}},
}

// categoryWeights say how often each category comes up, roughly in the
// proportions of provincial 12315 statistics: appliances, food, clothing,
// phones and prepaid cards lead.
var categoryWeights = []weightedCode{
	{"household_appliances", 18}, {"food", 18}, {"drugs", 4}, {"medical_devices", 2}, {"cosmetics", 8},
	{"clothing", 14}, {"daily_goods", 10}, {"furniture_building", 8}, {"vehicles", 8},
	{"communication_devices", 12}, {"electronics", 8}, {"jewelry", 4}, {"children_products", 4},
	{"agricultural_inputs", 2}, {"catering_lodging", 12}, {"education_training", 8}, {"telecom_services", 6},
	{"prepaid_services", 12}, {"tourism", 4}, {"beauty", 6}, {"repair", 4}, {"property", 4},
	{"home_decoration", 6}, {"internet_services", 8}, {"transport", 4}, {"finance", 1},
	{"postal_express", 2}, {"medical_services", 1}, {"other", 2},
}

type weightedCode struct {
	code   string
	weight int
}

// Trades name the line of business in a respondent's name: a company form
// (…电器有限公司) and a sole-trader form (…电器商行).
type trade struct {
	company []string
	store   []string
}

var trades = map[string]trade{
	"household_appliances":  {company: []string{"电器", "家电销售", "电器设备"}, store: []string{"电器商行", "家电城", "电器店"}},
	"food":                  {company: []string{"食品", "商贸", "超市", "食品贸易"}, store: []string{"食品商行", "超市", "便利店", "副食店"}},
	"drugs":                 {company: []string{"医药连锁", "大药房连锁"}, store: []string{"大药房", "药店"}},
	"medical_devices":       {company: []string{"医疗器械", "医疗器械贸易"}, store: []string{"医疗器械经营部", "大药房"}},
	"cosmetics":             {company: []string{"化妆品", "美妆科技", "日化"}, store: []string{"化妆品店", "美妆店"}},
	"clothing":              {company: []string{"服饰", "鞋业", "服装"}, store: []string{"服装店", "鞋店", "服饰店"}},
	"daily_goods":           {company: []string{"日用品", "百货", "商贸"}, store: []string{"百货商行", "日用品店"}},
	"furniture_building":    {company: []string{"家具", "建材", "家居"}, store: []string{"家具城", "建材商行", "家居馆"}},
	"vehicles":              {company: []string{"汽车销售服务", "汽车贸易", "车业"}, store: []string{"车行", "电动车店"}},
	"communication_devices": {company: []string{"通讯设备", "通讯器材", "数码科技"}, store: []string{"手机店", "通讯商行"}},
	"electronics":           {company: []string{"电子科技", "数码科技", "电脑"}, store: []string{"电脑商行", "数码店"}},
	"jewelry":               {company: []string{"珠宝", "金银珠宝", "珠宝首饰"}, store: []string{"金店", "银楼", "珠宝行"}},
	"children_products":     {company: []string{"母婴用品", "婴童用品", "玩具"}, store: []string{"母婴店", "玩具店"}},
	"agricultural_inputs":   {company: []string{"农资", "农业生产资料", "种业"}, store: []string{"农资店", "农资经营部"}},
	"catering_lodging":      {company: []string{"餐饮管理", "餐饮服务", "酒店管理"}, store: []string{"餐馆", "饭店", "小吃店", "民宿"}},
	"education_training":    {company: []string{"教育科技", "教育咨询", "文化传播"}, store: []string{"培训中心", "艺术培训部"}},
	"telecom_services":      {company: []string{"通信服务", "通信技术"}, store: []string{"营业厅", "通讯代办点"}},
	"prepaid_services":      {company: []string{"健身服务", "体育发展", "汽车服务"}, store: []string{"健身馆", "洗车行", "游泳馆"}},
	"tourism":               {company: []string{"国际旅行社", "旅行社", "旅游开发"}, store: []string{"旅行社门市部"}},
	"beauty":                {company: []string{"美容服务", "美业管理"}, store: []string{"美容院", "美发店", "美甲店"}},
	"repair":                {company: []string{"家电维修服务", "汽车维修", "电子科技"}, store: []string{"维修部", "汽修厂", "开锁店"}},
	"property":              {company: []string{"物业管理", "物业服务"}, store: []string{"物业服务中心"}},
	"home_decoration":       {company: []string{"装饰工程", "装饰设计", "家居科技"}, store: []string{"装饰工作室"}},
	"internet_services":     {company: []string{"网络科技", "信息技术", "互联网科技"}, store: []string{"网络工作室"}},
	"transport":             {company: []string{"出行科技", "汽车租赁", "客运"}, store: []string{"票务代售点"}},
	"finance":               {company: []string{"金融服务", "融资租赁"}, store: []string{"分期服务部"}},
	"postal_express":        {company: []string{"快递", "物流"}, store: []string{"快递网点", "驿站"}},
	"medical_services":      {company: []string{"口腔门诊", "医疗管理"}, store: []string{"口腔诊所"}},
	"other":                 {company: []string{"摄影", "宠物服务", "文化传媒"}, store: []string{"影楼", "宠物店"}},
}
