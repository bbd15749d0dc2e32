package seed

// Text templates for titles and descriptions, written the way consumers
// write to 12315 (and the way operators take down a call: "消费者反映：…").
//
// Slots, filled per case:
//
//	{date} 2025年3月12日   {md} 3月12日   {n} days of use   {wait} 半个月
//	{where} 在厦门市…有限公司 / 在拼多多店铺“…”   {seller} the business or the shop
//	{company} the business behind it   {raddr} its address
//	{verb} 购买/办理/报名…   {sold} 销售/提供
//	{item} 格力空调   {itemfull} 格力空调（型号KFR-35GW/…）   {product} 空调
//	{amount} 3599   {defect} what went wrong   {plabel} 质量   {offence} 虚假宣传
//	{demand} the first demand   {demands} all of them   {reply} {contact} {law}
//	{platform} {shop}

// usage: the templates that tell how long the thing was used before it
// failed only fit failures.
var usage = []string{pQuality, pSafety, pAfterSales}

// tmpl is one template and the cases it fits.
type tmpl struct {
	text string
	// fit: "A" any product, "G" goods only, "S" services only; an extra
	// "O" means online cases only, "F" offline only.
	fit string
	// problems restricts the template to these problems; empty: any.
	problems []string
	// title goes with an inquiry's question; empty: a generic one.
	title string
}

var complaintDescriptions = []tmpl{
	{fit: "G", text: "我于{date}{where}购买了{itemfull}，价格{amount}元，使用{n}天后{defect}，联系商家要求{demand}被拒绝，商家{reply}。希望市场监管部门帮忙协调，要求{demands}。", problems: usage},
	{fit: "G", text: "{md}在{seller}买的{item}，花了{amount}元，才用了{n}天就{defect}。我{contact}，对方{reply}。到现在已经{wait}了，问题一直没有解决，请帮忙处理。", problems: usage},
	{fit: "G", text: "本人于{date}{where}购买{itemfull}，支付{amount}元。收到后第{n}天发现{defect}。根据{law}的规定，经营者应当承担相应责任，现要求{demands}。"},
	{fit: "G", text: "消费者反映：其于{date}{where}购买{itemfull}，金额{amount}元，{defect}。消费者{contact}，商家{reply}。消费者诉求：{demands}。"},
	{fit: "G", text: "我家{md}买了{item}，{amount}块钱，用了没几天就{defect}，打电话给售后，对方{reply}。我要求{demand}，希望有关部门给个说法。", problems: usage},
	{fit: "GO", text: "{date}我在{platform}下单购买了{itemfull}，实付{amount}元，店铺是“{shop}”。到货后使用{n}天{defect}。申请售后时商家{reply}。我认为商家侵害了我的合法权益，要求{demands}。", problems: usage},
	{fit: "G", text: "您好，我想投诉{seller}。我在他们那里买了{item}（{amount}元），{defect}，{contact}都没有用，对方{reply}。麻烦帮我处理一下，要求{demand}。"},
	{fit: "G", text: "购买时间：{date}；购买地点：{seller}；商品：{itemfull}；金额：{amount}元。问题：{defect}。协商情况：商家{reply}。诉求：{demands}。"},
	{fit: "GF", text: "{date}在{seller}购买{item}，当时销售人员承诺有问题包退包换。结果用了{n}天{defect}，现在商家{reply}，和当初说的完全不一样。要求{demands}。", problems: usage},
	{fit: "GO", text: "我在{platform}上的“{shop}”买了{item}，付款{amount}元，收到货后发现{defect}。联系客服，对方{reply}。平台介入后也没有结果，请求帮助，要求{demand}。"},
	{fit: "GF", text: "家里老人在{seller}被推销买了{item}，花了{amount}元，{defect}。我们去找商家，对方{reply}。请求依法处理，要求{demands}。"},
	{fit: "G", text: "我是{md}在{seller}买的{item}，发票上金额{amount}元。用了{n}天{defect}，来回折腾了{wait}，商家{reply}。要求{demands}。", problems: usage},
	{fit: "G", text: "{date}购买的{itemfull}{defect}。商家{reply}。我已经{contact}，前后拖了{wait}，实在没办法才投诉，请求按照{law}处理，{demands}。"},
	{fit: "G", text: "在{seller}购买{item}，金额{amount}元，{defect}。购物小票和照片我都保留着。我{contact}，商家{reply}。要求{demands}。"},
	{fit: "G", text: "新买的{item}（{amount}元）第{n}天就{defect}，这种质量问题商家应该负责，可是对方{reply}。希望尽快帮我解决，要求{demand}。", problems: []string{pQuality, pSafety, pAfterSales}},
	{fit: "S", text: "我于{date}在{seller}{verb}了{item}，共支付{amount}元。{defect}，我{contact}，商家{reply}。请求依法处理，要求{demands}。"},
	{fit: "S", text: "{md}我在{seller}{verb}{item}，花了{amount}元，结果{defect}。跟他们沟通了{wait}，对方{reply}。要求{demands}。"},
	{fit: "S", text: "投诉{seller}：本人{date}{verb}{item}，费用{amount}元。{defect}。多次协商无果，商家{reply}。现要求{demands}。"},
	{fit: "S", text: "消费者反映：其于{date}在{seller}{verb}{item}，支付{amount}元，{defect}，经协商，商家{reply}。消费者要求{demands}。"},
	{fit: "S", text: "我{date}在{seller}{verb}了{item}，当时说得很好，结果{defect}。我觉得被骗了，{contact}，对方{reply}。希望相关部门管一管，要求{demand}。"},
	{fit: "S", text: "服务时间：{date}；服务单位：{seller}；项目：{item}；费用：{amount}元。问题：{defect}。协商情况：商家{reply}。诉求：{demands}。"},
	{fit: "S", text: "在{seller}{verb}的{item}{defect}。我是{date}{verb}的，交了{amount}元，现在商家{reply}，前后已经{wait}。请帮忙协调，{demands}。"},
	{fit: "S", text: "我和家人{md}在{seller}{verb}{item}，消费{amount}元，{defect}。当场提出后，对方{reply}。要求{demands}。"},
	{fit: "S", text: "{date}在{seller}{verb}{item}，一次性交了{amount}元。{defect}，到现在{wait}了还没解决。按照{law}，要求{demands}。", problems: []string{pPrepaid, pContract}},
	{fit: "A", text: "{date}{where}{verb}的{item}{defect}，我{contact}，商家{reply}。金额{amount}元，请求{demands}。"},
	{fit: "A", text: "我要投诉{seller}。{date}{verb}{item}，{amount}元，{defect}。商家{reply}。我的要求是{demands}。"},
	{fit: "A", text: "本人于{date}{where}{verb}{itemfull}，金额{amount}元。{defect}。{contact}未果，商家{reply}。特此投诉，请求{demands}。"},
	{fit: "A", text: "您好！{md}我在{seller}{verb}了{item}，{defect}，商家{reply}。我觉得这不合理，按照{law}，要求{demands}，谢谢！"},
	{fit: "A", text: "{date}，我在{seller}{verb}{item}，付了{amount}元。{defect}，找他们理论，对方{reply}。请维护消费者的合法权益，要求{demand}。"},
	{fit: "A", text: "事情经过：{date}{verb}{item}（{amount}元）；{defect}；{contact}；商家{reply}。已经过去{wait}，诉求：{demands}。"},
	{fit: "A", text: "我是一名普通消费者，{date}在{seller}{verb}{item}，{defect}。商家{reply}，我很气愤，要求{demands}。"},
	{fit: "A", text: "经营者{seller}，{verb}的是{itemfull}，金额{amount}元。{defect}，商家{reply}，希望监管部门介入，要求{demands}。"},
	{fit: "A", text: "请帮忙处理：{date}{where}{verb}{item}，{defect}。我{contact}，一直拖着不解决，对方{reply}。要求{demands}。"},
	{fit: "A", text: "在{seller}{verb}的{item}{defect}，这已经严重影响了我的正常生活。商家{reply}。我要求{demands}，并希望对该商家进行处理。"},
	{fit: "A", text: "我{md}{where}{verb}{itemfull}，花了{amount}元，{defect}，{contact}，商家{reply}。请求调解，要求{demands}。"},
	{fit: "A", text: "给家人{verb}的{item}，{amount}元，{defect}。找商家，对方{reply}。我们认为商家应当承担责任，要求{demands}。"},
	{fit: "A", text: "反映{seller}的问题：{verb}的{item}{defect}。本人{date}{verb}，支付{amount}元，有付款记录。商家{reply}。诉求：{demands}。"},
	{fit: "A", text: "我于{date}{where}{verb}了{item}，{defect}。我已经{contact}，但商家{reply}。根据{law}，我要求{demands}。"},
	{fit: "A", text: "{item}{defect}！{date}在{seller}{verb}的，{amount}元。商家{reply}，太不负责任了，要求{demands}。"},
	{fit: "AO", text: "我在{platform}店铺“{shop}”{verb}了{item}，订单金额{amount}元，{defect}。商家{reply}，平台客服也只是让等。要求{demands}。"},
	{fit: "AF", text: "{date}我到{seller}{verb}{item}，现场支付{amount}元，{defect}。店员{reply}。请相关部门核实处理，要求{demands}。"},
	{fit: "A", text: "{defect}。这是我{md}在{seller}{verb}的{item}，{amount}元。{contact}，商家{reply}。要求{demands}，谢谢。", problems: []string{pFoodSafety, pSafety, pFraud}},
}

var complaintTitles = []tmpl{
	{fit: "A", text: "{product}{defect}，要求{demand}"},
	{fit: "A", text: "{product}{defect}，商家拒绝处理"},
	{fit: "A", text: "投诉{seller}{plabel}问题"},
	{fit: "A", text: "{item}{defect}"},
	{fit: "A", text: "{seller}拒绝{demand}"},
	{fit: "G", text: "购买的{product}{defect}"},
	{fit: "S", text: "{verb}的{product}{defect}"},
	{fit: "A", text: "{product}{plabel}纠纷"},
	{fit: "A", text: "要求{seller}{demand}"},
	{fit: "A", text: "{product}{defect}，{contact}无果"},
	{fit: "G", text: "{product}质量问题投诉", problems: []string{pQuality}},
	{fit: "A", text: "在{seller}{verb}的{product}{defect}，请求调解"},
}

var reportDescriptions = []tmpl{
	{fit: "A", text: "举报{seller}{sold}的{item}{defect}。我于{date}{verb}时发现这一问题，怀疑该经营者{offence}，请依法查处。"},
	{fit: "A", text: "实名举报：{company}（地址：{raddr}）{sold}的{item}{defect}，涉嫌{offence}，希望监管部门尽快核查。"},
	{fit: "A", text: "我在{seller}{verb}的{item}{defect}，该商家还在继续经营，可能有更多消费者受害，请求查处。"},
	{fit: "A", text: "举报人反映：{seller}{sold}的{item}{defect}，举报人于{date}{verb}，金额{amount}元。该经营者涉嫌{offence}，请求核查。"},
	{fit: "G", text: "发现{seller}涉嫌{offence}：{sold}的{item}{defect}。货架上还有很多同样的商品在售，请尽快处理。"},
	{fit: "AO", text: "举报{platform}店铺“{shop}”，{verb}的{item}{defect}，涉嫌{offence}。店铺经营者为{company}，地址{raddr}。"},
	{fit: "A", text: "{md}在{seller}{verb}{item}，{defect}。这种行为损害消费者权益，特此举报，请依法处理。"},
	{fit: "A", text: "举报内容：{company}{sold}的{item}{defect}，涉嫌{offence}。时间：{date}。请依法调查处理并告知处理结果。"},
	{fit: "A", text: "匿名举报：{company}{sold}的{item}{defect}，这个问题已经存在很长时间，请执法人员去现场检查。"},
	{fit: "A", text: "举报{company}涉嫌{offence}：{verb}的{item}{defect}，我有照片和票据为证，请求依法查处并给予举报奖励。"},
	{fit: "A", text: "{company}位于{raddr}，{sold}的{item}{defect}，明显{offence}。请市场监管部门核实，依法处理。"},
}

var reportTitles = []tmpl{
	{fit: "A", text: "举报{seller}{offence}"},
	{fit: "A", text: "举报{company}：{item}{defect}"},
	{fit: "A", text: "{product}{defect}，请求查处"},
	{fit: "A", text: "关于{company}涉嫌{offence}的举报"},
	{fit: "A", text: "{product}{plabel}问题举报"},
}

var inquiryDescriptions = []tmpl{
	{fit: "G", text: "请问我买的{product}用了{n}天就{defect}，商家不给退，我应该怎么办？", title: "{product}出现问题商家不给退怎么办"},
	{fit: "G", text: "想咨询一下，{product}的三包期是多长时间？过了七天还能退货吗？", title: "咨询{product}三包期限"},
	{fit: "S", text: "我在一家店{verb}了{product}，交了{amount}元，现在店要关门了，钱能退回来吗？", problems: []string{pPrepaid, pContract}, title: "{product}预付费用能否退还"},
	{fit: "GO", text: "网上买的{product}不满意，七天无理由退货的运费应该由谁承担？", title: "咨询七天无理由退货运费"},
	{fit: "A", text: "买到的{product}{defect}，可以要求十倍赔偿吗？需要准备什么材料？", problems: []string{pFoodSafety}, title: "咨询食品问题能否要求十倍赔偿"},
	{fit: "A", text: "请问投诉{product}的问题需要准备哪些材料？应该找哪个部门？", title: "咨询投诉流程"},
	{fit: "A", text: "商家说“最终解释权归本店所有”，这种说法合法吗？我{verb}的{product}{defect}。", title: "咨询“最终解释权”条款是否合法"},
	{fit: "A", text: "我{verb}了{item}，{defect}，这种情况可以投诉吗？大概多久会有结果？", title: "{product}{plabel}问题能否投诉"},
	{fit: "A", text: "请问{product}的收费有没有规定？商家收了{amount}元，我觉得不合理。", problems: []string{pPrice}, title: "咨询{product}收费标准"},
	{fit: "A", text: "咨询一下，{verb}{product}时商家让先交定金，后来不想要了，定金能退吗？", problems: []string{pContract, pPrepaid}, title: "咨询定金能否退还"},
	{fit: "A", text: "我上个月投诉过{product}的问题，想问一下处理进度在哪里查询？", title: "咨询投诉处理进度"},
	{fit: "A", text: "商家不开发票，说开发票要加税点，这样合理吗？我{verb}的是{item}，{amount}元。", title: "商家拒开发票是否合理"},
	{fit: "A", text: "我的个人信息好像被泄露了，经常接到推销{product}的电话，可以向谁反映？", problems: []string{pPersonal}, title: "个人信息泄露向谁反映"},
	{fit: "G", text: "请问{product}{defect}，算不算质量问题？能要求商家换货吗？", problems: []string{pQuality, pSafety}, title: "{product}{defect}是否属于质量问题"},
	{fit: "A", text: "老人在外面被推销买了{product}，花了{amount}元，家属能不能帮他退？", problems: []string{pFraud, pAdvertising}, title: "老人被推销购买{product}能否退款"},
}

// fits reports whether a template can be used for a case.
func (t tmpl) fits(goods, online bool, problem string) bool {
	kindOK := false
	for _, r := range t.fit {
		switch r {
		case 'A':
			kindOK = true
		case 'G':
			kindOK = goods
		case 'S':
			kindOK = !goods
		case 'O':
			if !online {
				return false
			}
		case 'F':
			if online {
				return false
			}
		}
	}
	if !kindOK {
		return false
	}
	if len(t.problems) == 0 {
		return true
	}
	for _, p := range t.problems {
		if p == problem {
			return true
		}
	}
	return false
}
