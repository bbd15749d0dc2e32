// Package notifications keeps complainants informed by SMS through an
// outbox: a state change records the messages it owes inside the case, in
// the same write as the change (Owed); a Dispatcher sends them with a
// Sender (Twilio through twilio-go, or the local log that is the default)
// and records Twilio's SID and delivery status; the webhooks (webhooks.go)
// take Twilio's delivery callbacks and the complainant's replies.
package notifications

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"weiquan"
)

// Template names (weiquan.Message.Template).
const (
	TemplateRegistered          = "registered"
	TemplateAssignedStation     = "assigned_station"
	TemplateAssignedArbitration = "assigned_arbitration"
	TemplateAssignedODR         = "assigned_odr"
	TemplateEscalated           = "escalated"
	TemplateAccepted            = "accepted"
	TemplateRejected            = "rejected"
	TemplateMediationResolved   = "mediation_resolved"
	TemplateMediationFailed     = "mediation_failed"
	TemplateClosed              = "closed"
	TemplateSatisfaction        = "satisfaction"
	TemplateOTP                 = "otp"
)

// IDPlaceholder stands for the case number in a message composed before
// the case has one (registration owes its message before the store numbers
// the case). The dispatcher puts the number in when it claims the message.
const IDPlaceholder = "{id}"

// Extra keys Compose understands.
const (
	ExtraTo      = "to"      // send to this number instead of the complainant's (any template)
	ExtraReason  = "reason"  // rejected: the reason, instead of the one derived from the case
	ExtraCode    = "code"    // otp: the code (required)
	ExtraMinutes = "minutes" // otp: how long it is valid, default 5
)

// vars is what a template is rendered from.
type vars struct {
	sign, kind, id, link string
	c                    *weiquan.Case
	extra                map[string]string
}

type template struct {
	urgent bool
	render func(v vars) (string, error)
}

// The templates. Each starts with the hotline's signature (【12315】), names
// the case number and ends with the tracking link. With a tracking address
// as short as https://t.12315.cn/{id} (33 characters with the number) most
// fit one 70-character UCS-2 segment; a rejection with a long ground and
// the end of a failed mediation, which must name what the complainant can
// do next, need 25–28. TestTemplatesFitOneSegment holds each to its link
// budget. The satisfaction survey asks for a reply and carries no link; the
// code message belongs to no case.
var templates = map[string]template{
	TemplateRegistered: {render: func(v vars) (string, error) {
		return fmt.Sprintf("%s您的%s已登记，编号%s，查询进度：%s", v.sign, v.kind, v.id, v.link), nil
	}},
	TemplateAssignedStation: {render: func(v vars) (string, error) {
		return fmt.Sprintf("%s您的%s%s已转维权服务站，查询：%s", v.sign, v.kind, v.id, v.link), nil
	}},
	TemplateAssignedArbitration: {render: func(v vars) (string, error) {
		return fmt.Sprintf("%s您的%s%s已转仲裁机构处理，查询：%s", v.sign, v.kind, v.id, v.link), nil
	}},
	TemplateAssignedODR: {render: func(v vars) (string, error) {
		return fmt.Sprintf("%s您的%s%s已转企业在线和解，查询：%s", v.sign, v.kind, v.id, v.link), nil
	}},
	TemplateEscalated: {render: func(v vars) (string, error) {
		return fmt.Sprintf("%s您的%s%s已转市场监管部门，查询：%s", v.sign, v.kind, v.id, v.link), nil
	}},
	TemplateAccepted: {render: func(v vars) (string, error) {
		return fmt.Sprintf("%s您的%s%s已受理，查询：%s", v.sign, v.kind, v.id, v.link), nil
	}},
	TemplateRejected: {render: func(v vars) (string, error) {
		reason := v.extra[ExtraReason]
		if reason == "" {
			reason = rejectionReason(v.c.Result)
		}
		return fmt.Sprintf("%s您的%s%s不予受理：%s。详情：%s", v.sign, v.kind, v.id, reason, v.link), nil
	}},
	TemplateMediationResolved: {render: func(v vars) (string, error) {
		return fmt.Sprintf("%s您的%s%s调解成功，已办结，查询：%s", v.sign, v.kind, v.id, v.link), nil
	}},
	TemplateMediationFailed: {render: func(v vars) (string, error) {
		return fmt.Sprintf("%s您的%s%s调解终止，可申请仲裁或起诉，查询：%s", v.sign, v.kind, v.id, v.link), nil
	}},
	TemplateClosed: {render: func(v vars) (string, error) {
		return fmt.Sprintf("%s您的%s%s%s，查询：%s", v.sign, v.kind, v.id, closedPhrase(v.c.Outcome), v.link), nil
	}},
	TemplateSatisfaction: {render: func(v vars) (string, error) {
		return fmt.Sprintf("%s请评价%s%s的办理：回复1-5（5为非常满意），回复TD退订", v.sign, v.kind, v.id), nil
	}},
	TemplateOTP: {urgent: true, render: func(v vars) (string, error) {
		code := v.extra[ExtraCode]
		if code == "" {
			return "", fmt.Errorf("template otp: no code")
		}
		minutes := v.extra[ExtraMinutes]
		if minutes == "" {
			minutes = "5"
		}
		return fmt.Sprintf("%s您的验证码是%s，%s分钟内有效，请勿告诉他人", v.sign, code, minutes), nil
	}},
}

// Templates lists the template names in a stable order.
func Templates() []string { return slices.Sorted(maps.Keys(templates)) }

// shortGrounds are the Order 20 Art. 15 grounds (workflow's rejection
// grounds, by code) in words short enough for one segment; the case page
// shows the full legal wording.
var shortGrounds = map[string]string{
	"not_market_supervision": "不属于市场监管部门职责",
	"not_jurisdiction":       "本部门无管辖权",
	"court_or_arbitration":   "法院或仲裁机构已受理",
	"already_handled":        "已由其他部门受理",
	"not_consumer_dispute":   "不属于消费者权益争议",
	"time_barred":            "超过三年投诉时效",
	"no_respondent_info":     "缺少被投诉人名称或地址",
	"incomplete_materials":   "投诉材料不完整",
	"other_legal_ground":     "不符合受理条件",
}

func rejectionReason(r weiquan.Result) string {
	reason, ok := shortGrounds[r.Ground]
	if !ok {
		reason = "不符合受理条件"
	}
	if r.Hotline != "" {
		reason += "，请拨打" + r.Hotline + "反映"
	}
	return reason
}

func closedPhrase(o weiquan.Outcome) string {
	switch o {
	case weiquan.OutcomeWithdrawn:
		return "已撤回"
	case weiquan.OutcomeAnswered:
		return "已答复"
	case weiquan.OutcomeFiled:
		return "经核查已立案"
	case weiquan.OutcomeNotFiled:
		return "经核查不予立案"
	case weiquan.OutcomeReferred:
		return "已转有关部门处理"
	case weiquan.OutcomeResolved:
		return "调解成功，已办结"
	case weiquan.OutcomeMediationFailed:
		return "调解终止，已办结"
	case weiquan.OutcomeRejected:
		return "不予受理"
	}
	return "已办结"
}

// signature is the sender's name carriers expect at the start of an SMS,
// after the hotline the case came in on.
func signature(ch weiquan.Channel) string {
	if ch.IsHotline() {
		return "【" + string(ch) + "】"
	}
	return "【12315】"
}

func kindWord(k weiquan.Kind) string {
	switch k {
	case weiquan.KindReport:
		return "举报"
	case weiquan.KindInquiry:
		return "咨询"
	}
	return "投诉"
}

// TrackLink is the tracking link of a case: trackURL with "{id}" replaced
// by the case number, or with "id=<number>" added as a query parameter when
// it has no "{id}" (http://127.0.0.1:8080/track → …/track?id=20261126000001).
// A case without a number yet gets IDPlaceholder.
func TrackLink(trackURL, caseID string) string {
	if caseID == "" {
		caseID = IDPlaceholder
	}
	if strings.Contains(trackURL, IDPlaceholder) {
		return strings.ReplaceAll(trackURL, IDPlaceholder, caseID)
	}
	sep := "?"
	if strings.Contains(trackURL, "?") {
		sep = "&"
	}
	return trackURL + sep + "id=" + caseID
}

// Compose renders template for case c into an owed message: To is the
// complainant's mobile number in E.164 (or extra["to"]), Segments the SMS
// segments the body takes, Urgent set for the code message. Seq, CreatedAt
// and UpdatedAt are the caller's (Owed sets them). A case without a number
// yet gets IDPlaceholder in the body, and the segment count assumes the
// 14-digit number that replaces it. Errors: an unknown template, no mobile
// number (EValidation), a missing extra value the template needs.
func Compose(template string, c *weiquan.Case, trackURL string, extra map[string]string) (weiquan.Message, error) {
	t, ok := templates[template]
	if !ok {
		return weiquan.Message{}, fmt.Errorf("compose SMS: unknown template %q", template)
	}
	phone := c.Complainant.Phone
	if to, ok := extra[ExtraTo]; ok {
		phone = to
	}
	to, ok := MobileE164(phone)
	if !ok {
		return weiquan.Message{}, weiquan.WrapError(weiquan.EValidation, "没有可接收短信的手机号码",
			fmt.Errorf("compose SMS %s for case %s: %q is not a mobile number", template, c.ID, weiquan.MaskPhone(phone)))
	}
	id := c.ID
	if id == "" {
		id = IDPlaceholder
	}
	body, err := t.render(vars{sign: signature(c.Channel), kind: kindWord(c.Kind), id: id,
		link: TrackLink(trackURL, c.ID), c: c, extra: extra})
	if err != nil {
		return weiquan.Message{}, fmt.Errorf("compose SMS for case %s: %w", c.ID, err)
	}
	return weiquan.Message{Template: template, To: to, Body: body,
		Segments: Segments(strings.ReplaceAll(body, IDPlaceholder, "00000000000000")),
		Urgent:   t.urgent, Status: weiquan.MessageOwed}, nil
}

// MobileE164 returns a mainland mobile number in E.164, or false for
// anything that cannot receive SMS (a landline, nothing). An E.164 number
// (+8613800138000) is accepted as it is written.
func MobileE164(phone string) (string, bool) {
	p, ok := weiquan.ParsePhone(phone)
	if !ok || !p.IsMobile() {
		return "", false
	}
	return p.E164(), true
}

// Actions of the state machine (workflow's Action* names), and
// weiquan.EventRegistered for intake, as Owed knows them. The notifications
// package cannot import workflow, which calls it; TestEventNamesMatchWorkflow
// keeps the two in step.
const (
	eventRoute           = "route"
	eventAssign          = "assign"
	eventAccept          = "accept"
	eventReject          = "reject"
	eventEscalate        = "escalate"
	eventRecordAgreement = "record_agreement"
	eventTerminate       = "terminate"
	eventDecide          = "decide"
	eventAnswer          = "answer"
	eventWithdraw        = "withdraw"
)

// Owed returns the messages that the event just applied to c owes its
// complainant, numbered after c's last message and stamped now, for the
// caller to append to c.Messages before it saves c (so the messages are
// written with the transition or not at all). c is the case after the
// transition. Non-urgent messages owed in quiet hours wait for 08:00.
//
// Which event owes what (c as after the event):
//
//	event                 condition                              templates
//	registered            —                                      registered
//	route, assign         assigned, track station                assigned_station
//	                      assigned, track arbitration            assigned_arbitration
//	                      assigned, track odr                    assigned_odr
//	                      closed, rejected (outside market       rejected (with the hotline)
//	                        supervision or jurisdiction)
//	                      assigned to an agency, or left with    — (acceptance or rejection
//	                        the dispatch centre                    follows within the limit)
//	accept                —                                      accepted
//	reject                —                                      rejected (short ground)
//	escalate              —                                      escalated
//	record_agreement      —                                      mediation_resolved, satisfaction
//	terminate             —                                      mediation_failed, satisfaction
//	answer                —                                      closed (已答复), satisfaction
//	decide                —                                      closed (立案 / 不予立案)
//	withdraw              —                                      closed (已撤回)
//	anything else         (notes, pauses, returns, reopening,    —
//	                        deadline warnings, …)
//
// Nothing at all is owed when the complainant declined SMS (Consent.SMS
// false), has no mobile number, or asked for confidentiality (Anonymous: a
// reporter's SMS could reveal the report to whoever holds the phone).
func Owed(c *weiquan.Case, event string, trackURL string, now time.Time) []weiquan.Message {
	if !MayText(c) {
		return nil
	}
	names := owedTemplates(c, event)
	if len(names) == 0 {
		return nil
	}
	seq := 0
	for _, m := range c.Messages {
		seq = max(seq, m.Seq)
	}
	now = weiquan.InShanghai(now)
	out := make([]weiquan.Message, 0, len(names))
	for _, name := range names {
		m, err := Compose(name, c, trackURL, nil)
		if err != nil {
			// MayText checked the number; what is left is a template bug,
			// which must not stop the transition that owes the message.
			slog.Error("compose owed SMS", "case", c.ID, "template", name, "err", err)
			continue
		}
		seq++
		m.Seq, m.CreatedAt, m.UpdatedAt = seq, now, now
		if !m.Urgent && InQuietHours(now) {
			at := QuietHoursEnd(now)
			m.NotBefore = &at
		}
		out = append(out, m)
	}
	return out
}

// MayText reports whether the complainant of c may be sent SMS about it:
// they agreed, did not ask for confidentiality and have a mobile number.
func MayText(c *weiquan.Case) bool {
	if !c.Consent.SMS || c.Complainant.Anonymous {
		return false
	}
	_, ok := MobileE164(c.Complainant.Phone)
	return ok
}

func owedTemplates(c *weiquan.Case, event string) []string {
	switch event {
	case weiquan.EventRegistered:
		return []string{TemplateRegistered}
	case eventRoute, eventAssign:
		switch {
		case c.Status == weiquan.StatusClosed && c.Outcome == weiquan.OutcomeRejected:
			return []string{TemplateRejected}
		case c.Status != weiquan.StatusAssigned:
			return nil
		case c.Track == weiquan.TrackStation:
			return []string{TemplateAssignedStation}
		case c.Track == weiquan.TrackArbitration:
			return []string{TemplateAssignedArbitration}
		case c.Track == weiquan.TrackODR:
			return []string{TemplateAssignedODR}
		}
		return nil
	case eventAccept:
		return []string{TemplateAccepted}
	case eventReject:
		return []string{TemplateRejected}
	case eventEscalate:
		return []string{TemplateEscalated}
	case eventRecordAgreement:
		return []string{TemplateMediationResolved, TemplateSatisfaction}
	case eventTerminate:
		return []string{TemplateMediationFailed, TemplateSatisfaction}
	case eventAnswer:
		return []string{TemplateClosed, TemplateSatisfaction}
	case eventDecide, eventWithdraw:
		return []string{TemplateClosed}
	}
	return nil
}

// Quiet hours, Asia/Shanghai: non-urgent messages wait until they end.
const (
	QuietFrom = 22 // 22:00
	QuietTo   = 8  // 08:00
)

// InQuietHours reports whether t falls between 22:00 and 08:00 in Shanghai.
func InQuietHours(t time.Time) bool {
	h := t.In(weiquan.Shanghai).Hour()
	return h >= QuietFrom || h < QuietTo
}

// QuietHoursEnd is the 08:00 (Shanghai) that ends the quiet hours t is in:
// the same morning before 08:00, the next morning from 22:00.
func QuietHoursEnd(t time.Time) time.Time {
	s := t.In(weiquan.Shanghai)
	end := time.Date(s.Year(), s.Month(), s.Day(), QuietTo, 0, 0, 0, weiquan.Shanghai)
	if s.Hour() >= QuietFrom {
		end = end.AddDate(0, 0, 1)
	}
	return end
}

// SMS encodings.
const (
	EncodingGSM7 = "GSM-7"
	EncodingUCS2 = "UCS-2"
)

// gsm7Basic and gsm7Extended are the GSM 03.38 default alphabet and its
// extension table (each extension character takes two septets).
const (
	gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7Extended = "^{}\\[~]|€\f"
)

// Encode returns the encoding an SMS body is sent in and its length in that
// encoding's units: septets for GSM-7, UTF-16 code units for UCS-2 (a
// character outside the BMP, an emoji, takes two).
func Encode(body string) (encoding string, units int) {
	n := 0
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsm7Basic, r):
			n++
		case strings.ContainsRune(gsm7Extended, r):
			n += 2
		default:
			return EncodingUCS2, len(utf16.Encode([]rune(body)))
		}
	}
	return EncodingGSM7, n
}

// Segments is the number of SMS segments body is sent as: one up to 160
// GSM-7 septets or 70 UCS-2 units, else 153 or 67 per segment (the rest of
// each carries the concatenation header). Any Chinese character makes the
// whole body UCS-2. An empty body is 0.
func Segments(body string) int {
	enc, n := Encode(body)
	single, multi := 160, 153
	if enc == EncodingUCS2 {
		single, multi = 70, 67
	}
	switch {
	case n == 0:
		return 0
	case n <= single:
		return 1
	}
	return (n + multi - 1) / multi
}
