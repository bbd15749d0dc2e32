package workflow

import (
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"weiquan"
)

// intakeTestNow is the clock of these tests: 2026-11-26 10:00 in Fujian.
var intakeTestNow = time.Date(2026, 11, 26, 10, 0, 0, 0, weiquan.Shanghai)

// intakeTestUSCC completes 17 characters with their check character.
func intakeTestUSCC(t testing.TB, first17 string) string {
	t.Helper()
	c, ok := weiquan.USCCCheckChar(first17)
	if !ok {
		t.Fatalf("bad USCC prefix %q", first17)
	}
	return first17 + string(c)
}

func intakeValidComplaint(t testing.TB) weiquan.Case {
	return weiquan.Case{
		Kind:        weiquan.KindComplaint,
		Channel:     weiquan.Channel12315,
		Source:      weiquan.Source{CallID: "PBX-88812", CallerNumber: "13800138000"},
		Complainant: weiquan.Complainant{Name: "张三", Phone: "13800138000", Address: "福州市鼓楼区五四路1号"},
		Respondent: weiquan.Respondent{
			Name: "厦门某某电器有限公司", USCC: intakeTestUSCC(t, "91350203MA2Y0K1B3"), Address: "厦门市思明区湖滨南路100号",
		},
		Subject: weiquan.Subject{
			Category: "household_appliances", Problem: "quality", Product: "空调", Brand: "格力",
			PurchaseDate: "2026-10-01", AmountFen: 359900,
		},
		Title:       "空调安装后漏水，商家拒绝退货",
		Description: "10月1日购买的空调安装后一直漏水。商家拒绝退货。",
		Demands:     []string{"refund"},
		Consent:     weiquan.Consent{SMS: true, Mediation: true},
	}
}

// intakeFieldCodes is the field → code map of a validation or decoding error.
func intakeFieldCodes(t *testing.T, err error, wantCode string) map[string]string {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *weiquan.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *weiquan.Error", err, err)
	}
	if e.Code != wantCode {
		t.Fatalf("error code = %q (%v), want %q", e.Code, err, wantCode)
	}
	if e.Message == "" {
		t.Errorf("error %v has no message", err)
	}
	got := map[string]string{}
	for f, fe := range e.Fields {
		got[f] = fe.Code
		if fe.Message == "" {
			t.Errorf("field %s (%s) has no message", f, fe.Code)
		}
	}
	return got
}

func TestValidateIntake(t *testing.T) {
	long := func(n int) string { return strings.Repeat("字", n) }
	tests := []struct {
		name   string
		mutate func(c *weiquan.Case)
		want   map[string]string // nil: valid
	}{
		{"valid complaint", func(c *weiquan.Case) {}, nil},
		{"valid anonymous report", func(c *weiquan.Case) {
			c.Kind = weiquan.KindReport
			c.Complainant = weiquan.Complainant{Anonymous: true}
			c.Subject = weiquan.Subject{}
			c.Demands = nil
		}, nil},
		{"valid real-name report", func(c *weiquan.Case) { c.Kind = weiquan.KindReport; c.Demands = nil }, nil},
		{"valid inquiry with only a description", func(c *weiquan.Case) {
			*c = weiquan.Case{Kind: weiquan.KindInquiry, Channel: weiquan.Channel12315, Description: "预付卡商家跑路怎么办？"}
		}, nil},
		{"valid inquiry with only a title", func(c *weiquan.Case) {
			*c = weiquan.Case{Kind: weiquan.KindInquiry, Channel: weiquan.ChannelWeb, Title: "网购七天无理由退货的规定"}
		}, nil},
		{"anonymous inquiry", func(c *weiquan.Case) {
			c.Kind = weiquan.KindInquiry
			c.Complainant = weiquan.Complainant{Anonymous: true}
		}, nil},
		{"largest amount", func(c *weiquan.Case) { c.Subject.AmountFen = MaxAmountFen }, nil},
		{"purchase today", func(c *weiquan.Case) { c.Subject.PurchaseDate = "2026-11-26" }, nil},
		{"longest name", func(c *weiquan.Case) { c.Complainant.Name = long(50) }, nil},
		{"eight demands", func(c *weiquan.Case) {
			c.Demands = []string{"refund", "exchange", "repair", "compensation", "punitive_compensation", "apology", "performance", "other"}
		}, nil},
		{"unresolvable address", func(c *weiquan.Case) { c.Respondent.Address = "淘宝" }, nil},

		{"missing kind", func(c *weiquan.Case) { c.Kind = "" }, map[string]string{"kind": CodeRequired}},
		{"unknown kind", func(c *weiquan.Case) { c.Kind = "投诉" }, map[string]string{"kind": CodeInvalidKind}},
		{"missing channel", func(c *weiquan.Case) { c.Channel = "" }, map[string]string{"channel": CodeRequired}},
		{"unknown channel", func(c *weiquan.Case) { c.Channel = "12345" }, map[string]string{"channel": CodeInvalidChannel}},
		{"bad phone", func(c *weiquan.Case) { c.Complainant.Phone = "12345" }, map[string]string{"complainant.phone": CodeInvalidPhone}},
		{"letters in phone", func(c *weiquan.Case) { c.Complainant.Phone = "138abc" }, map[string]string{"complainant.phone": CodeInvalidPhone}},
		{"bad caller number", func(c *weiquan.Case) { c.Source.CallerNumber = "110" }, map[string]string{"source.caller_number": CodeInvalidPhone}},
		{"complaint without name", func(c *weiquan.Case) { c.Complainant.Name = " " }, map[string]string{"complainant.name": CodeRequired}},
		{"complaint without phone", func(c *weiquan.Case) { c.Complainant.Phone = "" }, map[string]string{"complainant.phone": CodeRequired}},
		{"anonymous complaint", func(c *weiquan.Case) { c.Complainant.Anonymous = true }, map[string]string{"complainant.anonymous": CodeAnonymousNotAllowed}},
		{"complaint without respondent", func(c *weiquan.Case) { c.Respondent.Name = "" }, map[string]string{"respondent.name": CodeRequired}},
		{"complaint without facts", func(c *weiquan.Case) { c.Description = "" }, map[string]string{"description": CodeRequired}},
		{"complaint without demands", func(c *weiquan.Case) { c.Demands = nil }, map[string]string{"demands": CodeRequired}},
		{"complaint without category", func(c *weiquan.Case) { c.Subject.Category = "" }, map[string]string{"subject.category": CodeRequired}},
		{"complaint without problem", func(c *weiquan.Case) { c.Subject.Problem = "" }, map[string]string{"subject.problem": CodeRequired}},
		{"real-name report without phone", func(c *weiquan.Case) {
			c.Kind = weiquan.KindReport
			c.Complainant.Phone = ""
		}, map[string]string{"complainant.phone": CodeRequired}},
		{"real-name report without name", func(c *weiquan.Case) {
			c.Kind = weiquan.KindReport
			c.Complainant.Name = ""
		}, map[string]string{"complainant.name": CodeRequired}},
		{"report without facts", func(c *weiquan.Case) { c.Kind = weiquan.KindReport; c.Description = "" }, map[string]string{"description": CodeRequired}},
		{"report without respondent", func(c *weiquan.Case) { c.Kind = weiquan.KindReport; c.Respondent.Name = "" }, map[string]string{"respondent.name": CodeRequired}},
		{"inquiry without question", func(c *weiquan.Case) {
			*c = weiquan.Case{Kind: weiquan.KindInquiry, Channel: weiquan.Channel12315}
		}, map[string]string{"description": CodeRequired}},
		{"inquiry optional fields still checked", func(c *weiquan.Case) {
			*c = weiquan.Case{Kind: weiquan.KindInquiry, Channel: weiquan.Channel12315, Description: "问",
				Complainant: weiquan.Complainant{Phone: "999"}, Subject: weiquan.Subject{Category: "toys"}}
		}, map[string]string{"complainant.phone": CodeInvalidPhone, "subject.category": CodeUnknownCode}},
		{"uscc with wrong check character", func(c *weiquan.Case) {
			c.Respondent.USCC = c.Respondent.USCC[:17] + map[bool]string{true: "1", false: "0"}[c.Respondent.USCC[17] == '0']
		}, map[string]string{"respondent.uscc": CodeInvalidUSCC}},
		{"short uscc", func(c *weiquan.Case) { c.Respondent.USCC = "91350203" }, map[string]string{"respondent.uscc": CodeInvalidUSCC}},
		{"uscc with a letter outside the alphabet", func(c *weiquan.Case) { c.Respondent.USCC = "91350203MA2Y0K1BO" + "1" }, map[string]string{"respondent.uscc": CodeInvalidUSCC}},
		{"division of another province", func(c *weiquan.Case) { c.Respondent.DivisionCode = "110101" }, map[string]string{"respondent.division_code": CodeUnknownDivision}},
		{"city code as division", func(c *weiquan.Case) { c.Respondent.DivisionCode = "350200" }, map[string]string{"respondent.division_code": CodeUnknownDivision}},
		{"province code as division", func(c *weiquan.Case) { c.Respondent.DivisionCode = "350000" }, map[string]string{"respondent.division_code": CodeUnknownDivision}},
		{"unknown category", func(c *weiquan.Case) { c.Subject.Category = "toys" }, map[string]string{"subject.category": CodeUnknownCode}},
		{"unknown problem", func(c *weiquan.Case) { c.Subject.Problem = "质量" }, map[string]string{"subject.problem": CodeUnknownCode}},
		{"unknown demand", func(c *weiquan.Case) { c.Demands = []string{"refund", "退款"} }, map[string]string{"demands[1]": CodeUnknownCode}},
		{"empty demand", func(c *weiquan.Case) { c.Demands = []string{""} }, map[string]string{"demands[0]": CodeUnknownCode}},
		{"duplicate demand", func(c *weiquan.Case) { c.Demands = []string{"refund", "repair", " refund"} }, map[string]string{"demands[2]": CodeDuplicate}},
		{"too many demands", func(c *weiquan.Case) {
			c.Demands = []string{"refund", "exchange", "repair", "compensation", "punitive_compensation", "apology", "performance", "other", "refund"}
		}, map[string]string{"demands": CodeTooMany}},
		{"date with slashes", func(c *weiquan.Case) { c.Subject.PurchaseDate = "2026/10/01" }, map[string]string{"subject.purchase_date": CodeInvalidDate}},
		{"date without zero padding", func(c *weiquan.Case) { c.Subject.PurchaseDate = "2026-1-5" }, map[string]string{"subject.purchase_date": CodeInvalidDate}},
		{"impossible date", func(c *weiquan.Case) { c.Subject.PurchaseDate = "2026-02-30" }, map[string]string{"subject.purchase_date": CodeInvalidDate}},
		{"future date", func(c *weiquan.Case) { c.Subject.PurchaseDate = "2026-11-27" }, map[string]string{"subject.purchase_date": CodeInvalidDate}},
		{"date with a typo in the year", func(c *weiquan.Case) { c.Subject.PurchaseDate = "0226-10-01" }, map[string]string{"subject.purchase_date": CodeInvalidDate}},
		{"negative amount", func(c *weiquan.Case) { c.Subject.AmountFen = -1 }, map[string]string{"subject.amount_fen": CodeInvalidAmount}},
		{"amount too large", func(c *weiquan.Case) { c.Subject.AmountFen = MaxAmountFen + 1 }, map[string]string{"subject.amount_fen": CodeInvalidAmount}},

		{"long name", func(c *weiquan.Case) { c.Complainant.Name = long(51) }, map[string]string{"complainant.name": CodeTooLong}},
		{"long phone", func(c *weiquan.Case) { c.Complainant.Phone = strings.Repeat("1", 31) }, map[string]string{"complainant.phone": CodeTooLong}},
		{"long complainant address", func(c *weiquan.Case) { c.Complainant.Address = long(201) }, map[string]string{"complainant.address": CodeTooLong}},
		{"long respondent name", func(c *weiquan.Case) { c.Respondent.Name = long(101) }, map[string]string{"respondent.name": CodeTooLong}},
		{"long respondent address", func(c *weiquan.Case) { c.Respondent.Address = long(201) }, map[string]string{"respondent.address": CodeTooLong}},
		{"long platform", func(c *weiquan.Case) { c.Respondent.Platform = long(101) }, map[string]string{"respondent.platform": CodeTooLong}},
		{"long shop", func(c *weiquan.Case) { c.Respondent.Shop = long(101) }, map[string]string{"respondent.shop": CodeTooLong}},
		{"long product", func(c *weiquan.Case) { c.Subject.Product = long(101) }, map[string]string{"subject.product": CodeTooLong}},
		{"long brand", func(c *weiquan.Case) { c.Subject.Brand = long(101) }, map[string]string{"subject.brand": CodeTooLong}},
		{"long model", func(c *weiquan.Case) { c.Subject.Model = long(101) }, map[string]string{"subject.model": CodeTooLong}},
		{"long title", func(c *weiquan.Case) { c.Title = long(101) }, map[string]string{"title": CodeTooLong}},
		{"long description", func(c *weiquan.Case) { c.Description = long(5001) }, map[string]string{"description": CodeTooLong}},
		{"long call id", func(c *weiquan.Case) { c.Source.CallID = strings.Repeat("x", 65) }, map[string]string{"source.call_id": CodeTooLong}},
		{"long caller number", func(c *weiquan.Case) { c.Source.CallerNumber = strings.Repeat("1", 31) }, map[string]string{"source.caller_number": CodeTooLong}},

		{"bell in name", func(c *weiquan.Case) { c.Complainant.Name = "张\a三" }, map[string]string{"complainant.name": CodeInvalidText}},
		{"nul in description", func(c *weiquan.Case) { c.Description = "漏水\x00" }, map[string]string{"description": CodeInvalidText}},
		{"escape in title", func(c *weiquan.Case) { c.Title = "\x1b[31m退款" }, map[string]string{"title": CodeInvalidText}},
		{"bidi override in respondent", func(c *weiquan.Case) { c.Respondent.Name = "某某\u202e司公" }, map[string]string{"respondent.name": CodeInvalidText}},
		{"invalid utf-8 in address", func(c *weiquan.Case) { c.Respondent.Address = "厦门\xff" }, map[string]string{"respondent.address": CodeInvalidText}},
		{"control character in phone", func(c *weiquan.Case) { c.Complainant.Phone = "138\x0000138000" }, map[string]string{"complainant.phone": CodeInvalidText}},

		{"several problems at once", func(c *weiquan.Case) {
			c.Channel = "fax"
			c.Complainant.Phone = "12"
			c.Complainant.Anonymous = true
			c.Respondent.USCC = "X"
			c.Subject.PurchaseDate = "yesterday"
			c.Subject.AmountFen = -5
			c.Demands = []string{"refund", "cash", "refund"}
			c.Description = ""
		}, map[string]string{
			"channel": CodeInvalidChannel, "complainant.phone": CodeInvalidPhone,
			"complainant.anonymous": CodeAnonymousNotAllowed, "respondent.uscc": CodeInvalidUSCC,
			"subject.purchase_date": CodeInvalidDate, "subject.amount_fen": CodeInvalidAmount,
			"demands[1]": CodeUnknownCode, "demands[2]": CodeDuplicate, "description": CodeRequired,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := intakeValidComplaint(t)
			tt.mutate(&c)
			err := validateIntake(&c, weiquan.ValidationErrors{}, intakeTestNow)
			got := intakeFieldCodes(t, err, weiquan.EValidation)
			if !maps.Equal(got, tt.want) {
				t.Errorf("validate: got %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
}

func TestValidateIntakeNormalises(t *testing.T) {
	c := intakeValidComplaint(t)
	uscc := c.Respondent.USCC
	c.Kind = " complaint "
	c.Complainant.Name = "\u200b 张三\t"
	c.Complainant.Phone = "+86 138-0013-8000"
	c.Complainant.Address = "福州市\r\n鼓楼区"
	c.Source.CallerNumber = "（0591）8765 4321"
	c.Respondent.USCC = " " + strings.ToLower(uscc[:9]) + " " + intakeFullWidth(uscc[9:])
	c.Respondent.DivisionCode = ""
	c.Respondent.Address = "淘宝店铺 某某旗舰店 厦门市湖里区高崎南五路"
	c.Title = ""
	c.Description = "  商家承诺七天无理由退货，收到退货后却以包装破损为由拒绝退款，客服电话一直无人接听！\r\n请求处理。"
	c.Demands = []string{" refund "}

	if err := validateIntake(&c, weiquan.ValidationErrors{}, intakeTestNow); err != nil {
		t.Fatalf("validate: %v", err)
	}
	checks := []struct{ field, got, want string }{
		{"kind", string(c.Kind), "complaint"},
		{"complainant.name", c.Complainant.Name, "张三"},
		{"complainant.phone", c.Complainant.Phone, "13800138000"},
		{"complainant.address", c.Complainant.Address, "福州市 鼓楼区"},
		{"source.caller_number", c.Source.CallerNumber, "0591-87654321"},
		{"respondent.uscc", c.Respondent.USCC, uscc},
		{"respondent.division_code", c.Respondent.DivisionCode, "350206"},
		{"title", c.Title, "商家承诺七天无理由退货，收到退货后却以包装破损为由拒绝退款…"},
		{"description", c.Description, "商家承诺七天无理由退货，收到退货后却以包装破损为由拒绝退款，客服电话一直无人接听！\n请求处理。"},
		{"demands[0]", c.Demands[0], "refund"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %q, want %q", ck.field, ck.got, ck.want)
		}
	}
	if n := len([]rune(c.Title)); n > intakeTitleMax {
		t.Errorf("derived title has %d runes, want at most %d", n, intakeTitleMax)
	}

	again := c
	again.Demands = append([]string(nil), c.Demands...)
	if err := validateIntake(&again, weiquan.ValidationErrors{}, intakeTestNow); err != nil {
		t.Fatalf("second validate: %v", err)
	}
	if !reflect.DeepEqual(again, c) {
		t.Errorf("second validate changed the case:\n got %+v\nwant %+v", again, c)
	}
}

func intakeFullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '!' && r <= '~' {
			return r + 0xFEE0
		}
		return r
	}, s)
}

func TestValidateIntakeDivision(t *testing.T) {
	tests := []struct {
		name     string
		division string
		address  string
		want     string
	}{
		{"derived from the address", "", "福建省厦门市思明区湖滨南路100号", "350203"},
		{"derived from a former name", "", "福建省长乐市吴航街道", "350112"},
		{"unresolved address stays empty", "", "南京市鼓楼区中山路", ""},
		{"no address", "", "", ""},
		{"given code wins over the address", "350102", "厦门市思明区湖滨南路", "350102"},
		{"retired code becomes its successor", "350681", "", "350604"},
		{"merged district", "350402", "", "350404"},
		{"kinmen is a county of the table", weiquan.DivisionKinmen, "", weiquan.DivisionKinmen},
		{"whitespace around the code", " 350203 ", "", "350203"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := intakeValidComplaint(t)
			c.Respondent.DivisionCode, c.Respondent.Address = tt.division, tt.address
			if err := validateIntake(&c, weiquan.ValidationErrors{}, intakeTestNow); err != nil {
				t.Fatalf("validate: %v", err)
			}
			if got := c.Respondent.DivisionCode; got != tt.want {
				t.Errorf("division_code = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidateIntakeTitle(t *testing.T) {
	tests := []struct {
		name        string
		kind        weiquan.Kind
		title, desc string
		want        string
	}{
		{"first sentence", weiquan.KindComplaint, "", "空调漏水。商家不管。", "空调漏水"},
		{"first line", weiquan.KindComplaint, "", "空调漏水\n商家不管", "空调漏水"},
		{"skips empty sentences", weiquan.KindReport, "", "。！ 无证经营？", "无证经营"},
		{"exactly thirty runes", weiquan.KindComplaint, "", strings.Repeat("水", 30) + "。", strings.Repeat("水", 30)},
		{"shortened", weiquan.KindComplaint, "", strings.Repeat("水", 28) + "，漏了", strings.Repeat("水", 28) + "…"},
		{"tabs become spaces", weiquan.KindComplaint, "", "空调\t漏水", "空调 漏水"},
		{"given title kept", weiquan.KindComplaint, " 退款 ", "空调漏水。", "退款"},
		{"inquiry keeps no title", weiquan.KindInquiry, "", "怎么退款？", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := intakeValidComplaint(t)
			c.Kind, c.Title, c.Description = tt.kind, tt.title, tt.desc
			if err := validateIntake(&c, weiquan.ValidationErrors{}, intakeTestNow); err != nil {
				t.Fatalf("validate: %v", err)
			}
			if c.Title != tt.want {
				t.Errorf("title = %q, want %q", c.Title, tt.want)
			}
		})
	}
}

// Validate (rather than validateIntake) reads the package clock.
func TestValidateIntakeUsesClock(t *testing.T) {
	saved := intakeNow
	t.Cleanup(func() { intakeNow = saved })
	intakeNow = func() time.Time { return intakeTestNow }

	c := intakeValidComplaint(t)
	c.Subject.PurchaseDate = "2026-11-27"
	got := intakeFieldCodes(t, Validate(&c), weiquan.EValidation)
	if want := map[string]string{"subject.purchase_date": CodeInvalidDate}; !maps.Equal(got, want) {
		t.Errorf("validate: got %v, want %v", got, want)
	}
	// Just after midnight in Fujian it is already the 27th there.
	intakeNow = func() time.Time { return time.Date(2026, 11, 26, 16, 30, 0, 0, time.UTC) }
	c = intakeValidComplaint(t)
	c.Subject.PurchaseDate = "2026-11-27"
	if err := Validate(&c); err != nil {
		t.Errorf("validate at 00:30 Asia/Shanghai: %v", err)
	}
}

// intakeTestBody is a valid complaint as a JSON object, for tests to change.
func intakeTestBody(t testing.TB) map[string]any {
	t.Helper()
	return map[string]any{
		"kind":    "complaint",
		"channel": "12315",
		"source":  map[string]any{"call_id": "PBX-1", "caller_number": "0591 87654321"},
		"complainant": map[string]any{
			"name": "张三", "phone": "138 0013 8000", "address": "福州市鼓楼区", "anonymous": false,
		},
		"respondent": map[string]any{
			"name": "某某电器店", "uscc": intakeTestUSCC(t, "91350203MA2Y0K1B3"), "address": "厦门思明湖滨南路100号",
			"division_code": "", "platform": "", "shop": "",
		},
		"subject": map[string]any{
			"category": "household_appliances", "problem": "quality", "product": "空调", "brand": "", "model": "",
			"purchase_date": "2024-05-01", "amount_fen": 359900,
		},
		"title":       "",
		"description": "空调漏水。商家不退。",
		"demands":     []any{"refund", "compensation"},
		"consent":     map[string]any{"sms": true, "mediation": true, "arbitration": false},
	}
}

func intakeMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeIntake(t *testing.T) {
	c, err := DecodeIntake(intakeMarshal(t, intakeTestBody(t)))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	want := weiquan.Case{
		Kind:        weiquan.KindComplaint,
		Channel:     weiquan.Channel12315,
		Source:      weiquan.Source{CallID: "PBX-1", CallerNumber: "0591-87654321"},
		Complainant: weiquan.Complainant{Name: "张三", Phone: "13800138000", Address: "福州市鼓楼区"},
		Respondent: weiquan.Respondent{
			Name: "某某电器店", USCC: intakeTestUSCC(t, "91350203MA2Y0K1B3"), Address: "厦门思明湖滨南路100号", DivisionCode: "350203",
		},
		Subject: weiquan.Subject{
			Category: "household_appliances", Problem: "quality", Product: "空调", PurchaseDate: "2024-05-01", AmountFen: 359900,
		},
		Title:       "空调漏水",
		Description: "空调漏水。商家不退。",
		Demands:     []string{"refund", "compensation"},
		Consent:     weiquan.Consent{SMS: true, Mediation: true},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("decode:\n got %+v\nwant %+v", c, want)
	}
}

func TestDecodeIntakeErrors(t *testing.T) {
	body := func(change func(m map[string]any)) string {
		m := intakeTestBody(t)
		change(m)
		return string(intakeMarshal(t, m))
	}
	valid := body(func(map[string]any) {})
	tests := []struct {
		name   string
		body   string
		code   string
		fields map[string]string // nil: no fields
	}{
		{"valid with a byte-order mark", "\ufeff" + valid, "", nil},
		{"valid with surrounding whitespace", "\n " + valid + " \n", "", nil},
		{"nulls are absent", body(func(m map[string]any) { m["title"] = nil; m["consent"] = nil }), "", nil},
		{"empty", "", weiquan.EInvalid, nil},
		{"only whitespace", "  \n", weiquan.EInvalid, nil},
		{"not json", "kind=complaint", weiquan.EInvalid, nil},
		{"truncated", valid[:len(valid)-5], weiquan.EInvalid, nil},
		{"array", "[]", weiquan.EInvalid, nil},
		{"null", "null", weiquan.EInvalid, nil},
		{"string", `"complaint"`, weiquan.EInvalid, nil},
		{"second object", valid + "{}", weiquan.EInvalid, nil},
		{"trailing garbage", valid + "x", weiquan.EInvalid, nil},
		{"too large", `{"description":"` + strings.Repeat("a", MaxIntakeBytes) + `"}`, weiquan.ETooLarge, nil},

		{"server field", body(func(m map[string]any) { m["status"] = "closed" }), weiquan.EInvalid,
			map[string]string{"status": CodeUnknownField}},
		{"unknown nested field", body(func(m map[string]any) { m["complainant"].(map[string]any)["age"] = 30 }), weiquan.EInvalid,
			map[string]string{"complainant.age": CodeUnknownField}},
		{"server-set source field", body(func(m map[string]any) { m["source"].(map[string]any)["operator_id"] = "u-x" }), weiquan.EInvalid,
			map[string]string{"source.operator_id": CodeUnknownField}},
		{"wrongly cased key", `{"Kind":"complaint"}`, weiquan.EInvalid, map[string]string{"Kind": CodeUnknownField}},
		{"several unknown fields", `{"id":"1","version":2,"events":[{"x":1}],"kind":"complaint"}`, weiquan.EInvalid,
			map[string]string{"id": CodeUnknownField, "version": CodeUnknownField, "events": CodeUnknownField}},
		{"repeated key", `{"kind":"complaint","kind":"report"}`, weiquan.EInvalid, map[string]string{"kind": CodeDuplicateField}},
		{"number for text", body(func(m map[string]any) { m["kind"] = 1 }), weiquan.EInvalid,
			map[string]string{"kind": CodeInvalidType}},
		{"text for number", body(func(m map[string]any) { m["subject"].(map[string]any)["amount_fen"] = "100" }), weiquan.EInvalid,
			map[string]string{"subject.amount_fen": CodeInvalidType}},
		{"text for bool", body(func(m map[string]any) { m["consent"].(map[string]any)["sms"] = "yes" }), weiquan.EInvalid,
			map[string]string{"consent.sms": CodeInvalidType}},
		{"text for object", body(func(m map[string]any) { m["complainant"] = "张三" }), weiquan.EInvalid,
			map[string]string{"complainant": CodeInvalidType}},
		{"text for list", body(func(m map[string]any) { m["demands"] = "refund" }), weiquan.EInvalid,
			map[string]string{"demands": CodeInvalidType}},
		{"number in list", body(func(m map[string]any) { m["demands"] = []any{"refund", 2, nil} }), weiquan.EInvalid,
			map[string]string{"demands[1]": CodeInvalidType, "demands[2]": CodeInvalidType}},
		{"object for text", body(func(m map[string]any) { m["title"] = map[string]any{"zh": "退款"} }), weiquan.EInvalid,
			map[string]string{"title": CodeInvalidType}},
		{"unknown and wrong type together", body(func(m map[string]any) { m["foo"] = 1; m["channel"] = 12315 }), weiquan.EInvalid,
			map[string]string{"foo": CodeUnknownField, "channel": CodeInvalidType}},

		{"fractional amount", strings.Replace(valid, "359900", "3599.5", 1), weiquan.EValidation,
			map[string]string{"subject.amount_fen": CodeInvalidAmount}},
		{"exponent amount", strings.Replace(valid, "359900", "1e3", 1), weiquan.EValidation,
			map[string]string{"subject.amount_fen": CodeInvalidAmount}},
		{"amount beyond int64", strings.Replace(valid, "359900", "99999999999999999999", 1), weiquan.EValidation,
			map[string]string{"subject.amount_fen": CodeInvalidAmount}},
		{"validation errors", body(func(m map[string]any) {
			m["kind"] = "complain"
			m["complainant"].(map[string]any)["phone"] = "123"
			m["demands"] = []any{"refund", "refund"}
		}), weiquan.EValidation, map[string]string{
			"kind": CodeInvalidKind, "complainant.phone": CodeInvalidPhone, "demands[1]": CodeDuplicate,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DecodeIntake([]byte(tt.body))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("decode: no error, want %s", tt.code)
			}
			got := intakeFieldCodes(t, err, tt.code)
			if len(got) == 0 {
				got = nil
			}
			if !maps.Equal(got, tt.fields) {
				t.Errorf("decode: fields %v, want %v (%v)", got, tt.fields, err)
			}
			if !reflect.DeepEqual(c, weiquan.Case{}) {
				t.Errorf("decode returned a case with the error: %+v", c)
			}
		})
	}
}

// A body of many unknown keys gets a bounded answer.
func TestDecodeIntakeBoundsProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"` + strings.Repeat("长", 500) + `":1`)
	for i := range 1000 {
		b.WriteString(`,"k` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + `":1`)
	}
	b.WriteString("}")
	_, err := DecodeIntake([]byte(b.String()))
	got := intakeFieldCodes(t, err, weiquan.EInvalid)
	if len(got) == 0 || len(got) > intakeMaxProblems {
		t.Errorf("decode: %d fields, want 1 to %d", len(got), intakeMaxProblems)
	}
	for f := range got {
		if n := len([]rune(f)); n > 70 {
			t.Errorf("field key of %d runes echoed", n)
		}
	}
}
