package workflow

// Intake: strict decoding, validation and normalisation of a new case.
//
// Every problem a person can fix is reported at once, per field, as a stable
// code for programs and a Chinese message for people. Field keys are dotted
// JSON paths: "complainant.phone", "subject.amount_fen", "demands[1]".
//
// 400 EInvalid — the body is not an acceptable JSON document:
//
//	code             field                          meaning
//	(none)           —                              empty, not JSON, not an object, or data after the object
//	unknown_field    any key not in the intake body id, status, events…, misspelt or wrongly cased keys
//	duplicate_field  a key given twice              the same key twice in one object
//	invalid_type     a field                        wrong JSON type (text expected, got number, …)
//
// 413 ETooLarge — the body is longer than MaxIntakeBytes.
//
// 422 EValidation — well-formed JSON with unacceptable values:
//
//	code                   fields                                       rule
//	required               kind, channel                                always
//	                       complainant.name, complainant.phone          complaint; report unless anonymous
//	                       respondent.name, description                 complaint, report
//	                       subject.category, subject.problem, demands   complaint
//	                       description                                  inquiry with neither description nor title
//	invalid_kind           kind                                         not complaint/report/inquiry
//	invalid_channel        channel                                      not one of weiquan.Channels
//	invalid_phone          complainant.phone, source.caller_number      not a mainland mobile or landline with area code
//	anonymous_not_allowed  complainant.anonymous                        a complaint may not be anonymous
//	invalid_uscc           respondent.uscc                              not 18 characters with the GB 32100 check character
//	invalid_id_number      complainant.id_number (optional)             not 18 characters with the GB 11643 check character
//	unknown_division       respondent.division_code                     not a Fujian county-level code
//	unknown_code           subject.category, subject.problem, demands[i] not a taxonomy code
//	duplicate              demands[i]                                   the same demand twice
//	too_many               demands                                      more than MaxDemands demands
//	invalid_date           subject.purchase_date                        not YYYY-MM-DD, before 1900 or after today (Asia/Shanghai)
//	invalid_amount         subject.amount_fen                           not an integer from 0 to 10^10 fen (1 亿元)
//	too_long               any text field                               more runes than its limit (intakeLimits)
//	invalid_text           any text field                               control or bidi-override characters, invalid UTF-8
//
// Normalisation (Validate, in place): every text is trimmed; CRLF becomes LF;
// zero-width spaces and BOMs are dropped; single-line fields turn newlines
// and tabs into spaces; phones become weiquan.ParsePhone's form; the USCC is
// folded to half-width, stripped of spaces and upper-cased; a retired
// division code becomes its successor's; an absent division code is
// resolved from the respondent's address (left empty when unresolved); an
// empty complaint or report title is taken from the first sentence of the
// description; nil demands become an empty list.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"weiquan"
)

// MaxIntakeBytes is the largest intake body accepted: a 5,000-character
// description in UTF-8 with JSON escapes and every other field fits many
// times over.
const MaxIntakeBytes = 64 << 10

// MaxDemands is the most demands one case may make.
const MaxDemands = 8

// MaxAmountFen is the largest amount accepted: 1 亿元. Larger figures are
// typing errors, not consumer disputes.
const MaxAmountFen = 10_000_000_000

// Field error codes of intake (see the table above).
const (
	CodeRequired            = "required"
	CodeInvalidKind         = "invalid_kind"
	CodeInvalidChannel      = "invalid_channel"
	CodeInvalidPhone        = "invalid_phone"
	CodeAnonymousNotAllowed = "anonymous_not_allowed"
	CodeInvalidUSCC         = "invalid_uscc"
	CodeInvalidIDNumber     = "invalid_id_number"
	CodeUnknownDivision     = "unknown_division"
	CodeUnknownCode         = "unknown_code"
	CodeDuplicate           = "duplicate"
	CodeTooMany             = "too_many"
	CodeInvalidDate         = "invalid_date"
	CodeInvalidAmount       = "invalid_amount"
	CodeTooLong             = "too_long"
	CodeInvalidText         = "invalid_text"
	CodeUnknownField        = "unknown_field"
	CodeDuplicateField      = "duplicate_field"
	CodeInvalidType         = "invalid_type"
)

// intakeLimits are the text limits in runes (characters as people count
// them), by field path.
var intakeLimits = map[string]int{
	"source.call_id":        64,
	"source.caller_number":  30,
	"complainant.name":      50,
	"complainant.phone":     30,
	"complainant.id_number": 30,
	"complainant.address":   200,
	"respondent.name":       100,
	"respondent.address":    200,
	"respondent.platform":   100,
	"respondent.shop":       100,
	"subject.product":       100,
	"subject.brand":         100,
	"subject.model":         100,
	"title":                 100,
	"description":           5000,
}

// intakeNow is the clock that decides whether a purchase date is in the
// future; tests replace it.
var intakeNow = time.Now

// intakeBody is the JSON an intake request may carry, and nothing else: the
// server sets source.type, source.operator_id and every field of the case
// outside this list. AmountFen is a json.Number so that 12.5 or 1e20 is
// reported as a bad amount (422) rather than as a bad request.
type intakeBody struct {
	Kind        string            `json:"kind"`
	Channel     string            `json:"channel"`
	Source      intakeSource      `json:"source"`
	Complainant intakeComplainant `json:"complainant"`
	Respondent  intakeRespondent  `json:"respondent"`
	Subject     intakeSubject     `json:"subject"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Demands     []string          `json:"demands"`
	Consent     intakeConsent     `json:"consent"`
}

type intakeSource struct {
	CallID       string `json:"call_id"`
	CallerNumber string `json:"caller_number"`
}

type intakeComplainant struct {
	Name      string `json:"name"`
	Phone     string `json:"phone"`
	Address   string `json:"address"`
	Anonymous bool   `json:"anonymous"`
	IDNumber  string `json:"id_number"` // optional; sealed at registration (pii.go)
}

type intakeRespondent struct {
	Name         string `json:"name"`
	USCC         string `json:"uscc"`
	Address      string `json:"address"`
	DivisionCode string `json:"division_code"`
	Platform     string `json:"platform"`
	Shop         string `json:"shop"`
}

type intakeSubject struct {
	Category     string      `json:"category"`
	Problem      string      `json:"problem"`
	Product      string      `json:"product"`
	Brand        string      `json:"brand"`
	Model        string      `json:"model"`
	PurchaseDate string      `json:"purchase_date"`
	AmountFen    json.Number `json:"amount_fen"`
}

type intakeConsent struct {
	SMS         bool `json:"sms"`
	Mediation   bool `json:"mediation"`
	Arbitration bool `json:"arbitration"`
}

// DecodeIntake strictly decodes an intake JSON body into a draft case and
// validates and normalises it (see Validate). Errors are *weiquan.Error:
// ETooLarge over MaxIntakeBytes; EInvalid when the body is not one JSON
// object, has unknown or repeated keys or a value of the wrong JSON type
// (Fields names each); EValidation with every bad field at once. On error
// the returned case is empty: nothing of a rejected request is kept.
func DecodeIntake(body []byte) (weiquan.Case, error) {
	if len(body) > MaxIntakeBytes {
		return weiquan.Case{}, weiquan.Errorf(weiquan.ETooLarge, "提交的内容过大（上限 %d KB）", MaxIntakeBytes>>10)
	}
	// A byte-order mark is what some Windows tools put before JSON.
	body = bytes.TrimPrefix(body, []byte("\ufeff"))
	// Syntax first, so that a broken document is reported as such and not
	// as whatever problem precedes the break.
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return weiquan.Case{}, weiquan.WrapError(weiquan.EInvalid, "提交的内容为空", err)
		}
		return weiquan.Case{}, weiquan.WrapError(weiquan.EInvalid, "提交的内容不是有效的 JSON", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return weiquan.Case{}, weiquan.WrapError(weiquan.EInvalid, "提交的 JSON 对象之后还有多余的内容",
			fmt.Errorf("decode intake: data after the object at offset %d", dec.InputOffset()))
	}
	if raw = bytes.TrimSpace(raw); raw[0] != '{' {
		return weiquan.Case{}, weiquan.Errorf(weiquan.EInvalid, "提交的内容应为 JSON 对象")
	}

	if problems, err := intakeCheckShape(raw); err != nil {
		return weiquan.Case{}, weiquan.WrapError(weiquan.EInvalid, "提交的内容不是有效的 JSON", err)
	} else if len(problems) > 0 {
		return weiquan.Case{}, &weiquan.Error{
			Code: weiquan.EInvalid, Message: "提交的内容格式有误，请按提示修改", Fields: map[string]weiquan.FieldError(problems),
		}
	}

	var b intakeBody
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(&b); err != nil {
		// intakeCheckShape has accepted the document, so this is a
		// disagreement between it and encoding/json.
		return weiquan.Case{}, weiquan.WrapError(weiquan.EInvalid, "提交的内容格式有误", fmt.Errorf("decode intake: %w", err))
	}

	c := weiquan.Case{
		Kind:    weiquan.Kind(b.Kind),
		Channel: weiquan.Channel(b.Channel),
		Source:  weiquan.Source{CallID: b.Source.CallID, CallerNumber: b.Source.CallerNumber},
		Complainant: weiquan.Complainant{
			Name: b.Complainant.Name, Phone: b.Complainant.Phone, Address: b.Complainant.Address,
			Anonymous: b.Complainant.Anonymous, IDNumber: b.Complainant.IDNumber,
		},
		Respondent: weiquan.Respondent{
			Name: b.Respondent.Name, USCC: b.Respondent.USCC, Address: b.Respondent.Address,
			DivisionCode: b.Respondent.DivisionCode, Platform: b.Respondent.Platform, Shop: b.Respondent.Shop,
		},
		Subject: weiquan.Subject{
			Category: b.Subject.Category, Problem: b.Subject.Problem, Product: b.Subject.Product,
			Brand: b.Subject.Brand, Model: b.Subject.Model, PurchaseDate: b.Subject.PurchaseDate,
		},
		Title:       b.Title,
		Description: b.Description,
		Demands:     b.Demands,
		Consent:     weiquan.Consent{SMS: b.Consent.SMS, Mediation: b.Consent.Mediation, Arbitration: b.Consent.Arbitration},
	}
	errs := weiquan.ValidationErrors{}
	if b.Subject.AmountFen != "" {
		n, err := strconv.ParseInt(b.Subject.AmountFen.String(), 10, 64)
		if err != nil {
			errs.Add("subject.amount_fen", CodeInvalidAmount, intakeAmountMessage)
		}
		c.Subject.AmountFen = n
	}
	if err := validateIntake(&c, errs, intakeNow()); err != nil {
		return weiquan.Case{}, err
	}
	return c, nil
}

// Validate checks a draft case and normalises it in place (see the table at
// the top of this file). It is what DecodeIntake applies after decoding and
// what the seed generator applies to synthetic cases; applying it twice
// changes nothing. It returns a 422 *weiquan.Error naming every bad field.
func Validate(c *weiquan.Case) error {
	return validateIntake(c, weiquan.ValidationErrors{}, intakeNow())
}

const intakeAmountMessage = "金额应为以分为单位的整数，0 到 100 亿分（1 亿元）之间"

// intakeCheck carries the state of one validation: the errors so far and
// the words the messages use for this kind of case.
type intakeCheck struct {
	errs       weiquan.ValidationErrors
	person     string // 投诉人, 举报人, 咨询人
	respondent string // 被投诉人, 被举报人, 经营者
}

func validateIntake(c *weiquan.Case, errs weiquan.ValidationErrors, now time.Time) error {
	v := intakeCheck{errs: errs, person: "投诉人", respondent: "被投诉人"}

	c.Kind = weiquan.Kind(strings.TrimSpace(string(c.Kind)))
	switch c.Kind {
	case weiquan.KindComplaint:
	case weiquan.KindReport:
		v.person, v.respondent = "举报人", "被举报人"
	case weiquan.KindInquiry:
		v.person, v.respondent = "咨询人", "经营者"
	case "":
		v.errs.Add("kind", CodeRequired, "请选择案件类型：投诉、举报或咨询")
	default:
		v.errs.Add("kind", CodeInvalidKind, "案件类型应为投诉（complaint）、举报（report）或咨询（inquiry）")
	}
	complaint, report, inquiry := c.Kind == weiquan.KindComplaint, c.Kind == weiquan.KindReport, c.Kind == weiquan.KindInquiry

	c.Channel = weiquan.Channel(strings.TrimSpace(string(c.Channel)))
	switch {
	case c.Channel == "":
		v.errs.Add("channel", CodeRequired, "请选择受理渠道")
	case !slices.Contains(weiquan.Channels, c.Channel):
		v.errs.Add("channel", CodeInvalidChannel, "受理渠道应为 12315、12365、12331、12330、12358、web 或 api")
	}

	v.text("source.call_id", "来电编号", &c.Source.CallID, false)
	v.phone("source.caller_number", "来电号码", &c.Source.CallerNumber)

	// Complainant. A complaint is a civil dispute between two named
	// parties; a reporter may stay anonymous, and a real-name reporter is
	// owed an answer, so needs a way to be reached.
	cp := &c.Complainant
	nameOK := v.text("complainant.name", v.person+"姓名", &cp.Name, false)
	phoneOK := v.phone("complainant.phone", v.person+"联系电话", &cp.Phone)
	v.text("complainant.address", v.person+"地址", &cp.Address, false)
	if v.text("complainant.id_number", v.person+"身份证号", &cp.IDNumber, false) && cp.IDNumber != "" {
		cp.IDNumber = weiquan.NormalizeIDNumber(cp.IDNumber)
		if !weiquan.ValidIDNumber(cp.IDNumber) {
			v.errs.Add("complainant.id_number", CodeInvalidIDNumber, v.person+"身份证号应为 18 位，且最后一位校验码正确（末位可为 X）")
		}
	}
	needContact := complaint || (report && !cp.Anonymous)
	if complaint && cp.Anonymous {
		v.errs.Add("complainant.anonymous", CodeAnonymousNotAllowed, "投诉不能匿名，请填写投诉人的姓名和联系电话")
	}
	if needContact && nameOK && cp.Name == "" {
		v.errs.Add("complainant.name", CodeRequired, "请填写"+v.person+"姓名"+intakeIf(report, "，或选择匿名举报"))
	}
	if needContact && phoneOK && cp.Phone == "" {
		v.errs.Add("complainant.phone", CodeRequired, "请填写"+v.person+"联系电话"+intakeIf(report, "，或选择匿名举报"))
	}

	// Respondent.
	rp := &c.Respondent
	if v.text("respondent.name", v.respondent+"名称", &rp.Name, false) && rp.Name == "" && (complaint || report) {
		v.errs.Add("respondent.name", CodeRequired, "请填写"+v.respondent+"名称")
	}
	rp.USCC = weiquan.NormalizeUSCC(strings.Map(intakeUSCCRune, rp.USCC))
	if rp.USCC != "" && !weiquan.ValidUSCC(rp.USCC) {
		v.errs.Add("respondent.uscc", CodeInvalidUSCC, "统一社会信用代码应为 18 位，且最后一位校验码正确")
	}
	addressOK := v.text("respondent.address", v.respondent+"地址", &rp.Address, false)
	rp.DivisionCode = strings.TrimSpace(rp.DivisionCode)
	if successor, ok := addrLegacyCodes[rp.DivisionCode]; ok {
		rp.DivisionCode = successor
	}
	switch d, ok := weiquan.DivisionByCode(rp.DivisionCode); {
	case rp.DivisionCode == "":
		// Derived, never guessed: an unresolved address leaves the case to
		// the dispatcher rather than failing the intake.
		if addressOK {
			rp.DivisionCode = ResolveAddress(rp.Address).Code
		}
	case !ok || d.Level != weiquan.LevelCounty:
		v.errs.Add("respondent.division_code", CodeUnknownDivision, "行政区划代码应为福建省的县级区划代码（6 位，如 350203）")
	}
	v.text("respondent.platform", "平台名称", &rp.Platform, false)
	v.text("respondent.shop", "店铺名称", &rp.Shop, false)

	// Subject.
	s := &c.Subject
	v.term("subject.category", "商品或服务类别", &s.Category, weiquan.Vocabulary.Categories, complaint)
	v.term("subject.problem", "问题类别", &s.Problem, weiquan.Vocabulary.Problems, complaint)
	v.text("subject.product", "商品或服务名称", &s.Product, false)
	v.text("subject.brand", "品牌", &s.Brand, false)
	v.text("subject.model", "型号", &s.Model, false)
	s.PurchaseDate = strings.TrimSpace(s.PurchaseDate)
	if s.PurchaseDate != "" {
		if msg := intakeCheckDate(s.PurchaseDate, now); msg != "" {
			v.errs.Add("subject.purchase_date", CodeInvalidDate, msg)
		}
	}
	if s.AmountFen < 0 || s.AmountFen > MaxAmountFen {
		v.errs.Add("subject.amount_fen", CodeInvalidAmount, intakeAmountMessage)
	}

	// The facts, and a title to list them by.
	descOK := v.text("description", intakeDescriptionLabel(c.Kind), &c.Description, true)
	if v.text("title", "标题", &c.Title, false) && c.Title == "" && (complaint || report) && descOK {
		c.Title = intakeTitleFrom(c.Description)
		v.text("title", "标题", &c.Title, false) // tabs of the description become spaces
	}
	switch {
	case !descOK || c.Description != "":
	case complaint:
		v.errs.Add("description", CodeRequired, "请填写投诉的事实经过")
	case report:
		v.errs.Add("description", CodeRequired, "请填写举报的违法行为")
	case inquiry && c.Title == "":
		v.errs.Add("description", CodeRequired, "请填写咨询的问题")
	}

	// Demands.
	if c.Demands == nil {
		c.Demands = []string{}
	}
	switch {
	case len(c.Demands) > MaxDemands:
		v.errs.Add("demands", CodeTooMany, fmt.Sprintf("诉求最多 %d 项", MaxDemands))
	case len(c.Demands) == 0 && complaint:
		v.errs.Add("demands", CodeRequired, "请至少选择一项诉求")
	default:
		for i := range c.Demands {
			c.Demands[i] = strings.TrimSpace(c.Demands[i])
			field := fmt.Sprintf("demands[%d]", i)
			if _, ok := weiquan.Lookup(weiquan.Vocabulary.Demands, c.Demands[i]); !ok {
				v.errs.Add(field, CodeUnknownCode, "诉求不在分类目录中")
			} else if slices.Contains(c.Demands[:i], c.Demands[i]) {
				v.errs.Add(field, CodeDuplicate, "诉求重复")
			}
		}
	}
	return v.errs.Err()
}

func intakeIf(cond bool, s string) string {
	if cond {
		return s
	}
	return ""
}

func intakeDescriptionLabel(k weiquan.Kind) string {
	switch k {
	case weiquan.KindReport:
		return "举报内容"
	case weiquan.KindInquiry:
		return "咨询内容"
	}
	return "投诉内容"
}

// text cleans a text field in place and checks its characters and length.
// It reports whether the field is free of errors so far.
func (v intakeCheck) text(field, label string, p *string, multiline bool) bool {
	s, ok := intakeClean(*p, multiline)
	*p = s
	if !ok {
		v.errs.Add(field, CodeInvalidText, label+"含有不允许的控制字符")
		return false
	}
	if limit := intakeLimits[field]; limit > 0 && utf8.RuneCountInString(s) > limit {
		v.errs.Add(field, CodeTooLong, fmt.Sprintf("%s不能超过 %d 个字", label, limit))
		return false
	}
	return true
}

// phone cleans and normalises an optional phone number in place.
func (v intakeCheck) phone(field, label string, p *string) bool {
	if !v.text(field, label, p, false) {
		return false
	}
	if *p == "" {
		return true
	}
	n, ok := weiquan.ParsePhone(*p)
	if !ok {
		v.errs.Add(field, CodeInvalidPhone, label+"应为手机号或带区号的固定电话")
		return false
	}
	*p = string(n)
	return true
}

// term checks a taxonomy code in place.
func (v intakeCheck) term(field, label string, p *string, terms []weiquan.Term, required bool) {
	*p = strings.TrimSpace(*p)
	switch _, ok := weiquan.Lookup(terms, *p); {
	case *p == "":
		if required {
			v.errs.Add(field, CodeRequired, "请选择"+label)
		}
	case !ok:
		v.errs.Add(field, CodeUnknownCode, label+"不在分类目录中")
	}
}

// intakeClean trims a text and removes what people do not type but copy and
// paste brings along: CRLF line ends, zero-width spaces, BOMs; single-line
// fields get spaces for newlines and tabs. It reports false for invalid
// UTF-8 and for control and bidi-override characters, which would garble
// or disguise what an officer reads.
func intakeClean(s string, multiline bool) (string, bool) {
	if !utf8.ValidString(s) {
		return s, false
	}
	ok := true
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == '\r':
			if strings.HasPrefix(s[i+1:], "\n") {
				continue
			}
			r = '\n'
		case r == '\u2028' || r == '\u2029':
			r = '\n'
		case r == '\u200b' || r == '\u2060' || r == '\ufeff':
			continue
		}
		switch {
		case (r == '\n' || r == '\t') && !multiline:
			r = ' '
		case r == '\n' || r == '\t':
		case unicode.IsControl(r), r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			ok = false
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String()), ok
}

// intakeUSCCRune folds the full-width letters and digits of Chinese input
// methods and drops the spaces people use to group a code read aloud.
func intakeUSCCRune(r rune) rune {
	switch {
	case r >= '０' && r <= '９', r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ':
		return r - 0xFEE0
	case unicode.IsSpace(r):
		return -1
	}
	return r
}

// intakeCheckDate returns why a purchase date is unacceptable, or "".
func intakeCheckDate(s string, now time.Time) string {
	d, err := time.ParseInLocation(time.DateOnly, s, weiquan.Shanghai)
	if err != nil || d.Format(time.DateOnly) != s {
		return "购买日期应为 YYYY-MM-DD 格式的日期，如 2026-10-01"
	}
	if d.Year() < 1900 {
		return "购买日期有误，请检查年份"
	}
	if s > now.In(weiquan.Shanghai).Format(time.DateOnly) {
		return "购买日期不能晚于今天"
	}
	return ""
}

// intakeTitleMax is the length of a title taken from the description: what
// fits on one line of a case list.
const intakeTitleMax = 30

// intakeTitleFrom takes the first sentence of a description as a title,
// shortened with an ellipsis to intakeTitleMax runes.
func intakeTitleFrom(desc string) string {
	for _, s := range strings.FieldsFunc(desc, func(r rune) bool { return strings.ContainsRune("。！？!?；;\n", r) }) {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if rs := []rune(s); len(rs) > intakeTitleMax {
			s = strings.TrimRightFunc(string(rs[:intakeTitleMax-1]), func(r rune) bool {
				return unicode.IsSpace(r) || unicode.IsPunct(r)
			}) + "…"
		}
		return s
	}
	return ""
}

// intakeMaxProblems bounds the fields listed in a 400 answer: a body of
// thousands of unknown keys gets the first ones, which is enough to fix it.
const intakeMaxProblems = 20

// intakeCheckShape walks a syntactically valid JSON object against
// intakeBody and lists unknown keys, repeated keys and values of the wrong
// JSON type with their full paths ("complainant.age", "demands[2]").
// encoding/json alone cannot: it names an unknown key without its path,
// matches keys case-insensitively, keeps the last of repeated keys and
// reports only the first type error. null counts as absent, as in
// encoding/json, except inside the list of demands.
func intakeCheckShape(raw []byte) (weiquan.ValidationErrors, error) {
	w := intakeWalker{dec: json.NewDecoder(bytes.NewReader(raw)), problems: weiquan.ValidationErrors{}}
	w.dec.UseNumber()
	if err := w.value("", reflect.TypeFor[intakeBody](), false); err != nil {
		return nil, fmt.Errorf("check intake shape: %w", err)
	}
	return w.problems, nil
}

type intakeWalker struct {
	dec      *json.Decoder
	problems weiquan.ValidationErrors
}

var intakeNumberType = reflect.TypeFor[json.Number]()

func (w *intakeWalker) add(field, code, msg string) {
	if len(w.problems) < intakeMaxProblems {
		w.problems.Add(field, code, msg)
	}
}

// value reads one value that should have Go type t.
func (w *intakeWalker) value(path string, t reflect.Type, inList bool) error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	want := ""
	switch {
	case tok == nil && !inList:
		return nil
	case t == intakeNumberType:
		if _, ok := tok.(json.Number); ok {
			return nil
		}
		want = "数字"
	case t.Kind() == reflect.String:
		if _, ok := tok.(string); ok {
			return nil
		}
		want = "文本"
	case t.Kind() == reflect.Bool:
		if _, ok := tok.(bool); ok {
			return nil
		}
		want = "true 或 false"
	case t.Kind() == reflect.Struct:
		if tok == json.Delim('{') {
			return w.object(path, t)
		}
		want = "对象"
	case t.Kind() == reflect.Slice:
		if tok == json.Delim('[') {
			return w.list(path, t.Elem())
		}
		want = "列表"
	}
	w.add(path, CodeInvalidType, fmt.Sprintf("此项应为%s", want))
	return w.skip(tok)
}

func (w *intakeWalker) object(path string, t reflect.Type) error {
	fields := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fields[name] = f.Type
	}
	seen := make(map[string]bool, len(fields))
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		field := intakeShortKey(key)
		if path != "" {
			field = path + "." + field
		}
		ft, known := fields[key]
		switch {
		case !known:
			w.add(field, CodeUnknownField, "无法识别的字段，请删除")
		case seen[key]:
			w.add(field, CodeDuplicateField, "字段重复出现")
		default:
			seen[key] = true
			if err := w.value(field, ft, false); err != nil {
				return err
			}
			continue
		}
		if err := w.skipValue(); err != nil {
			return err
		}
	}
	_, err := w.dec.Token() // '}'
	return err
}

func (w *intakeWalker) list(path string, elem reflect.Type) error {
	for i := 0; w.dec.More(); i++ {
		if err := w.value(fmt.Sprintf("%s[%d]", path, i), elem, true); err != nil {
			return err
		}
	}
	_, err := w.dec.Token() // ']'
	return err
}

func (w *intakeWalker) skipValue() error {
	tok, err := w.dec.Token()
	if err != nil {
		return err
	}
	return w.skip(tok)
}

// skip consumes the rest of a value whose first token has been read.
func (w *intakeWalker) skip(tok json.Token) error {
	if tok != json.Delim('{') && tok != json.Delim('[') {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// intakeShortKey keeps an unknown key short enough to echo in an answer.
func intakeShortKey(key string) string {
	const limit = 64
	if utf8.RuneCountInString(key) <= limit {
		return key
	}
	return string([]rune(key)[:limit]) + "…"
}
