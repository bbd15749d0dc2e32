package weiquan

// Term is one taxonomy code with its Chinese label.
type Term struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	Group string `json:"group,omitempty"` // goods or services, for categories
	// Hotline is set for categories outside market supervision: the number the
	// complainant should call instead.
	Hotline string `json:"hotline,omitempty"`
}

// Taxonomy is the fixed vocabulary of the API. Codes may be added, never
// renamed: they are stored in cases and used by integrations.
type Taxonomy struct {
	Kinds      []Term `json:"kinds"`
	Channels   []Term `json:"channels"`
	Categories []Term `json:"categories"`
	Problems   []Term `json:"problems"`
	Demands    []Term `json:"demands"`
	Statuses   []Term `json:"statuses"`
	Outcomes   []Term `json:"outcomes"`
	Tracks     []Term `json:"tracks"`
}

// Vocabulary is the taxonomy of DESIGN §2.
var Vocabulary = Taxonomy{
	Kinds: []Term{
		{Code: "complaint", Label: "投诉"}, {Code: "report", Label: "举报"}, {Code: "inquiry", Label: "咨询"},
	},
	Channels: []Term{
		{Code: "12315", Label: "12315 消费者投诉举报"}, {Code: "12365", Label: "12365 产品质量"},
		{Code: "12331", Label: "12331 食品药品"}, {Code: "12330", Label: "12330 知识产权"},
		{Code: "12358", Label: "12358 价格"}, {Code: "web", Label: "网上投诉"}, {Code: "api", Label: "系统对接"},
	},
	Categories: []Term{
		{Code: "household_appliances", Label: "家用电器", Group: "goods"},
		{Code: "food", Label: "食品", Group: "goods"},
		{Code: "drugs", Label: "药品", Group: "goods"},
		{Code: "medical_devices", Label: "医疗器械", Group: "goods"},
		{Code: "cosmetics", Label: "化妆品", Group: "goods"},
		{Code: "clothing", Label: "服装鞋帽", Group: "goods"},
		{Code: "daily_goods", Label: "日用百货", Group: "goods"},
		{Code: "furniture_building", Label: "家具建材", Group: "goods"},
		{Code: "vehicles", Label: "汽车及零部件", Group: "goods"},
		{Code: "communication_devices", Label: "通讯器材", Group: "goods"},
		{Code: "electronics", Label: "电子产品", Group: "goods"},
		{Code: "jewelry", Label: "首饰", Group: "goods"},
		{Code: "children_products", Label: "儿童用品", Group: "goods"},
		{Code: "agricultural_inputs", Label: "农资", Group: "goods"},
		{Code: "catering_lodging", Label: "餐饮住宿", Group: "services"},
		{Code: "education_training", Label: "教育培训", Group: "services"},
		{Code: "telecom_services", Label: "电信服务", Group: "services"},
		{Code: "prepaid_services", Label: "预付式消费", Group: "services"},
		{Code: "tourism", Label: "旅游服务", Group: "services"},
		{Code: "beauty", Label: "美容美发", Group: "services"},
		{Code: "repair", Label: "维修服务", Group: "services"},
		{Code: "property", Label: "物业服务", Group: "services"},
		{Code: "home_decoration", Label: "家装服务", Group: "services"},
		{Code: "internet_services", Label: "互联网服务", Group: "services"},
		{Code: "transport", Label: "交通出行", Group: "services"},
		{Code: "finance", Label: "金融保险", Group: "services", Hotline: "12378"},
		{Code: "postal_express", Label: "邮政快递", Group: "services", Hotline: "12305"},
		{Code: "medical_services", Label: "医疗服务", Group: "services", Hotline: "12320"},
		{Code: "other", Label: "其他", Group: "services"},
	},
	Problems: []Term{
		{Code: "quality", Label: "质量"}, {Code: "safety", Label: "安全"}, {Code: "after_sales", Label: "售后服务"},
		{Code: "contract", Label: "合同"}, {Code: "false_advertising", Label: "虚假宣传"}, {Code: "price", Label: "价格"},
		{Code: "measurement", Label: "计量"}, {Code: "counterfeit", Label: "假冒伪劣"}, {Code: "food_safety", Label: "食品安全"},
		{Code: "personal_info", Label: "个人信息"}, {Code: "fraud", Label: "欺诈"}, {Code: "prepaid_refund", Label: "预付卡退费"},
		{Code: "other", Label: "其他"},
	},
	Demands: []Term{
		{Code: "refund", Label: "退货退款"}, {Code: "exchange", Label: "换货"}, {Code: "repair", Label: "维修"},
		{Code: "compensation", Label: "赔偿"}, {Code: "punitive_compensation", Label: "惩罚性赔偿"},
		{Code: "apology", Label: "赔礼道歉"}, {Code: "performance", Label: "继续履行"}, {Code: "other", Label: "其他"},
	},
	Statuses: []Term{
		{Code: "registered", Label: "登记"}, {Code: "assigned", Label: "已分派"}, {Code: "accepted", Label: "已受理"},
		{Code: "mediating", Label: "调解中"}, {Code: "verifying", Label: "核查中"}, {Code: "closed", Label: "办结"},
	},
	Outcomes: []Term{
		{Code: "resolved", Label: "调解成功"}, {Code: "mediation_failed", Label: "调解终止"}, {Code: "rejected", Label: "不予受理"},
		{Code: "withdrawn", Label: "撤回"}, {Code: "referred", Label: "转仲裁/诉讼/其他部门"}, {Code: "answered", Label: "已答复"},
		{Code: "filed", Label: "立案"}, {Code: "not_filed", Label: "不予立案"},
	},
	Tracks: []Term{
		{Code: "agency", Label: "行政调解"}, {Code: "odr", Label: "企业在线和解"}, {Code: "station", Label: "服务站调解"},
		{Code: "arbitration", Label: "小额消费纠纷仲裁"}, {Code: "enforcement", Label: "举报核查"}, {Code: "answer", Label: "咨询答复"},
	},
}

// Lookup finds a code in a list of terms.
func Lookup(terms []Term, code string) (Term, bool) {
	for _, t := range terms {
		if t.Code == code {
			return t, true
		}
	}
	return Term{}, false
}
