package notifications

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"weiquan"
)

func TestSegments(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		encoding string
		units    int
		want     int
	}{
		{"empty", "", EncodingGSM7, 0, 0},
		{"short ASCII", "Your code is 123456", EncodingGSM7, 19, 1},
		{"160 GSM-7", strings.Repeat("a", 160), EncodingGSM7, 160, 1},
		{"161 GSM-7", strings.Repeat("a", 161), EncodingGSM7, 161, 2},
		{"306 GSM-7", strings.Repeat("a", 306), EncodingGSM7, 306, 2},
		{"307 GSM-7", strings.Repeat("a", 307), EncodingGSM7, 307, 3},
		{"extension characters take two septets", strings.Repeat("€", 80), EncodingGSM7, 160, 1},
		{"one more extension character", strings.Repeat("€", 80) + "{", EncodingGSM7, 162, 2},
		{"GSM-7 accents", "Café à Zürich", EncodingGSM7, 13, 1},
		{"70 Chinese", strings.Repeat("投", 70), EncodingUCS2, 70, 1},
		{"71 Chinese", strings.Repeat("投", 71), EncodingUCS2, 71, 2},
		{"134 Chinese", strings.Repeat("投", 134), EncodingUCS2, 134, 2},
		{"135 Chinese", strings.Repeat("投", 135), EncodingUCS2, 135, 3},
		{"one Chinese character makes it all UCS-2", strings.Repeat("a", 100) + "投", EncodingUCS2, 101, 2},
		{"an emoji is two UTF-16 units", strings.Repeat("投", 69) + "😀", EncodingUCS2, 71, 2},
		{"full-width comma is not GSM-7", "a，b", EncodingUCS2, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, units := Encode(tt.body)
			if enc != tt.encoding || units != tt.units {
				t.Errorf("Encode got %s/%d, want %s/%d", enc, units, tt.encoding, tt.units)
			}
			if got := Segments(tt.body); got != tt.want {
				t.Errorf("Segments got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestTrackLink(t *testing.T) {
	tests := []struct {
		name, base, id, want string
	}{
		{"query parameter", "http://127.0.0.1:8080/track", "20261126000001", "http://127.0.0.1:8080/track?id=20261126000001"},
		{"existing query", "https://x.cn/t?src=sms", "20261126000001", "https://x.cn/t?src=sms&id=20261126000001"},
		{"placeholder", "https://t.12315.cn/{id}", "20261126000001", "https://t.12315.cn/20261126000001"},
		{"no number yet", "https://t.12315.cn/{id}", "", "https://t.12315.cn/{id}"},
		{"no number yet, query", "http://127.0.0.1:8080/track", "", "http://127.0.0.1:8080/track?id={id}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TrackLink(tt.base, tt.id); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCompose(t *testing.T) {
	c := testCase("20261126000001", "138 0013 8000")
	c.Result = weiquan.Result{Ground: "not_jurisdiction"}
	c.Outcome = weiquan.OutcomeWithdrawn
	tests := []struct {
		template string
		extra    map[string]string
		want     string
	}{
		{TemplateRegistered, nil, "【12315】您的投诉已登记，编号20261126000001，查询进度：https://t.12315.cn/20261126000001"},
		{TemplateAssignedStation, nil, "【12315】您的投诉20261126000001已转维权服务站，查询：https://t.12315.cn/20261126000001"},
		{TemplateAccepted, nil, "【12315】您的投诉20261126000001已受理，查询：https://t.12315.cn/20261126000001"},
		{TemplateRejected, nil, "【12315】您的投诉20261126000001不予受理：本部门无管辖权。详情：https://t.12315.cn/20261126000001"},
		{TemplateRejected, map[string]string{ExtraReason: "重复投诉"}, "【12315】您的投诉20261126000001不予受理：重复投诉。详情：https://t.12315.cn/20261126000001"},
		{TemplateClosed, nil, "【12315】您的投诉20261126000001已撤回，查询：https://t.12315.cn/20261126000001"},
		{TemplateSatisfaction, nil, "【12315】请评价投诉20261126000001的办理：回复1-5（5为非常满意），回复TD退订"},
		{TemplateOTP, map[string]string{ExtraCode: "123456"}, "【12315】您的验证码是123456，5分钟内有效，请勿告诉他人"},
		{TemplateOTP, map[string]string{ExtraCode: "654321", ExtraMinutes: "10", ExtraTo: "13900139000"}, "【12315】您的验证码是654321，10分钟内有效，请勿告诉他人"},
	}
	for _, tt := range tests {
		t.Run(tt.template+"/"+strings.Join(slices.Sorted(maps.Keys(tt.extra)), "+"), func(t *testing.T) {
			m, err := Compose(tt.template, c, testTrackURL, tt.extra)
			if err != nil {
				t.Fatalf("Compose: %v", err)
			}
			if m.Body != tt.want {
				t.Errorf("body got\n%s\nwant\n%s", m.Body, tt.want)
			}
			wantTo := "+8613800138000"
			if tt.extra[ExtraTo] != "" {
				wantTo = "+8613900139000"
			}
			if m.To != wantTo || m.Template != tt.template || m.Status != weiquan.MessageOwed ||
				m.Segments != Segments(tt.want) || m.Urgent != (tt.template == TemplateOTP) {
				t.Errorf("got %+v", m)
			}
		})
	}

	t.Run("hotline rejection names the hotline", func(t *testing.T) {
		c := testCase("20261126000002", "13800138000")
		c.Result = weiquan.Result{Ground: "not_market_supervision", Hotline: "12378"}
		m, err := Compose(TemplateRejected, c, testTrackURL, nil)
		if err != nil || !strings.Contains(m.Body, "不属于市场监管部门职责，请拨打12378反映") {
			t.Errorf("got %q, %v", m.Body, err)
		}
	})
	t.Run("signature follows the hotline", func(t *testing.T) {
		c := testCase("20261126000002", "13800138000")
		c.Channel = weiquan.Channel12365
		m, _ := Compose(TemplateAccepted, c, testTrackURL, nil)
		if !strings.HasPrefix(m.Body, "【12365】") {
			t.Errorf("got %q", m.Body)
		}
	})
	t.Run("no number yet", func(t *testing.T) {
		c := testCase("", "13800138000")
		m, err := Compose(TemplateRegistered, c, testTrackURL, nil)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(m.Body, IDPlaceholder) != 2 {
			t.Errorf("body %q should hold the placeholder for the number and in the link", m.Body)
		}
		filled := strings.ReplaceAll(m.Body, IDPlaceholder, "20261126000001")
		if m.Segments != Segments(filled) {
			t.Errorf("segments got %d, want %d, the count with the number in", m.Segments, Segments(filled))
		}
	})

	errs := []struct {
		name, template, phone string
		extra                 map[string]string
		code                  string
	}{
		{"unknown template", "nope", "13800138000", nil, weiquan.EInternal},
		{"landline", TemplateAccepted, "0591-87654321", nil, weiquan.EValidation},
		{"no phone", TemplateAccepted, "", nil, weiquan.EValidation},
		{"code without code", TemplateOTP, "13800138000", nil, weiquan.EInternal},
	}
	for _, tt := range errs {
		t.Run("error/"+tt.name, func(t *testing.T) {
			_, err := Compose(tt.template, testCase("20261126000001", tt.phone), testTrackURL, tt.extra)
			if err == nil || weiquan.ErrorCode(err) != tt.code {
				t.Errorf("got %v (code %q), want an error with code %q", err, weiquan.ErrorCode(err), tt.code)
			}
		})
	}
}

// Every case template fits one segment with a link of the length a
// deployment with a short tracking address has (https://t.12315.cn/ and the
// number: 33 characters); the budget below is how long the link may be.
func TestTemplatesFitOneSegment(t *testing.T) {
	budgets := map[string]int{
		TemplateRegistered:          33,
		TemplateAssignedStation:     34,
		TemplateAssignedArbitration: 33,
		TemplateAssignedODR:         33,
		TemplateEscalated:           33,
		TemplateAccepted:            38,
		TemplateRejected:            25, // with the longest short ground (11 characters); 29 with a 7-character one
		TemplateMediationResolved:   33,
		TemplateMediationFailed:     28,
		TemplateClosed:              34, // with the longest phrase, 经核查不予立案
		TemplateSatisfaction:        70, // no link
		TemplateOTP:                 70, // no link
	}
	if got, want := slices.Sorted(maps.Keys(budgets)), Templates(); !slices.Equal(got, want) {
		t.Fatalf("budgets for %v, templates are %v", got, want)
	}
	c := testCase("20261126000001", "13800138000")
	c.Result.Ground = "no_respondent_info"
	c.Outcome = weiquan.OutcomeNotFiled
	for name, budget := range budgets {
		t.Run(name, func(t *testing.T) {
			// The link as it is in the message: the placeholder becomes the
			// 14-digit number.
			link := strings.Repeat("x", budget-len(c.ID)) + IDPlaceholder
			if budget == 70 {
				link = testTrackURL
			}
			m, err := Compose(name, c, link, map[string]string{ExtraCode: "123456"})
			if err != nil {
				t.Fatal(err)
			}
			if m.Segments != 1 {
				t.Errorf("%d segments (%d characters) with a %d-character link: %s", m.Segments,
					utf8.RuneCountInString(m.Body), budget, m.Body)
			}
			if budget < 70 {
				longer, _ := Compose(name, c, link+"y", map[string]string{ExtraCode: "123456"})
				if longer.Segments == 1 {
					t.Errorf("budget %d is not tight: one more character still fits", budget)
				}
			}
		})
	}
}

func TestOwed(t *testing.T) {
	type state struct {
		status  weiquan.Status
		track   weiquan.Track
		outcome weiquan.Outcome
	}
	tests := []struct {
		name  string
		event string
		state state
		want  []string
	}{
		{"registration", weiquan.EventRegistered, state{status: weiquan.StatusRegistered}, []string{TemplateRegistered}},
		{"routed to a station", "route", state{weiquan.StatusAssigned, weiquan.TrackStation, ""}, []string{TemplateAssignedStation}},
		{"routed to arbitration", "route", state{weiquan.StatusAssigned, weiquan.TrackArbitration, ""}, []string{TemplateAssignedArbitration}},
		{"assigned to an ODR enterprise", "assign", state{weiquan.StatusAssigned, weiquan.TrackODR, ""}, []string{TemplateAssignedODR}},
		{"routed to an agency", "route", state{weiquan.StatusAssigned, weiquan.TrackAgency, ""}, nil},
		{"left with the dispatch centre", "route", state{status: weiquan.StatusRegistered}, nil},
		{"rejected by routing", "route", state{weiquan.StatusClosed, "", weiquan.OutcomeRejected}, []string{TemplateRejected}},
		{"accepted", "accept", state{weiquan.StatusAccepted, weiquan.TrackAgency, ""}, []string{TemplateAccepted}},
		{"rejected", "reject", state{weiquan.StatusClosed, weiquan.TrackAgency, weiquan.OutcomeRejected}, []string{TemplateRejected}},
		{"escalated", "escalate", state{weiquan.StatusAssigned, weiquan.TrackAgency, ""}, []string{TemplateEscalated}},
		{"agreement", "record_agreement", state{weiquan.StatusClosed, weiquan.TrackAgency, weiquan.OutcomeResolved},
			[]string{TemplateMediationResolved, TemplateSatisfaction}},
		{"terminated", "terminate", state{weiquan.StatusClosed, weiquan.TrackAgency, weiquan.OutcomeMediationFailed},
			[]string{TemplateMediationFailed, TemplateSatisfaction}},
		{"answered", "answer", state{weiquan.StatusClosed, weiquan.TrackAnswer, weiquan.OutcomeAnswered},
			[]string{TemplateClosed, TemplateSatisfaction}},
		{"decided", "decide", state{weiquan.StatusClosed, weiquan.TrackEnforcement, weiquan.OutcomeFiled}, []string{TemplateClosed}},
		{"withdrawn", "withdraw", state{weiquan.StatusClosed, weiquan.TrackAgency, weiquan.OutcomeWithdrawn}, []string{TemplateClosed}},
		{"mediation started", "start_mediation", state{weiquan.StatusMediating, weiquan.TrackAgency, ""}, nil},
		{"note", "note", state{weiquan.StatusAccepted, weiquan.TrackAgency, ""}, nil},
		{"reopened", "reopen", state{status: weiquan.StatusRegistered}, nil},
		{"deadline warning", "deadline_warning", state{weiquan.StatusAssigned, weiquan.TrackAgency, ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testCase("20261126000001", "13800138000")
			c.Status, c.Track, c.Outcome = tt.state.status, tt.state.track, tt.state.outcome
			got := Owed(c, tt.event, testTrackURL, tenAM)
			var names []string
			for _, m := range got {
				names = append(names, m.Template)
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("got %v, want %v", names, tt.want)
			}
		})
	}

	t.Run("numbered after the last message", func(t *testing.T) {
		c := testCase("20261126000001", "13800138000")
		c.Messages = []weiquan.Message{{Seq: 1}, {Seq: 4}}
		c.Status, c.Outcome = weiquan.StatusClosed, weiquan.OutcomeResolved
		got := Owed(c, "record_agreement", testTrackURL, tenAM)
		if len(got) != 2 || got[0].Seq != 5 || got[1].Seq != 6 {
			t.Fatalf("got %+v, want seqs 5 and 6", got)
		}
		for _, m := range got {
			if !m.CreatedAt.Equal(tenAM) || !m.UpdatedAt.Equal(tenAM) || m.NotBefore != nil {
				t.Errorf("message %d: created %v updated %v not before %v", m.Seq, m.CreatedAt, m.UpdatedAt, m.NotBefore)
			}
		}
	})
	t.Run("quiet hours", func(t *testing.T) {
		c := testCase("20261126000001", "13800138000")
		late := time.Date(2026, 11, 26, 23, 30, 0, 0, weiquan.Shanghai)
		got := Owed(c, weiquan.EventRegistered, testTrackURL, late)
		want := time.Date(2026, 11, 27, 8, 0, 0, 0, weiquan.Shanghai)
		if len(got) != 1 || got[0].NotBefore == nil || !got[0].NotBefore.Equal(want) {
			t.Errorf("got %+v, want not before %v", got, want)
		}
	})

	refused := []struct {
		name   string
		change func(c *weiquan.Case)
	}{
		{"declined SMS", func(c *weiquan.Case) { c.Consent.SMS = false }},
		{"confidential reporter", func(c *weiquan.Case) { c.Kind, c.Complainant.Anonymous = weiquan.KindReport, true }},
		{"landline", func(c *weiquan.Case) { c.Complainant.Phone = "0591-87654321" }},
		{"no phone", func(c *weiquan.Case) { c.Complainant.Phone = "" }},
	}
	for _, tt := range refused {
		t.Run("none: "+tt.name, func(t *testing.T) {
			c := testCase("20261126000001", "13800138000")
			tt.change(c)
			if got := Owed(c, weiquan.EventRegistered, testTrackURL, tenAM); len(got) != 0 {
				t.Errorf("got %d messages, want none", len(got))
			}
		})
	}
}

func TestQuietHours(t *testing.T) {
	day := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, weiquan.Shanghai) }
	tests := []struct {
		name  string
		at    time.Time
		quiet bool
		end   time.Time
	}{
		{"21:59", day(26, 21, 59), false, time.Time{}},
		{"22:00", day(26, 22, 0), true, day(27, 8, 0)},
		{"midnight", day(27, 0, 0), true, day(27, 8, 0)},
		{"07:59", day(27, 7, 59), true, day(27, 8, 0)},
		{"08:00", day(27, 8, 0), false, time.Time{}},
		{"22:30 given in UTC", day(26, 22, 30).UTC(), true, day(27, 8, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := InQuietHours(tt.at); got != tt.quiet {
				t.Errorf("InQuietHours got %v, want %v", got, tt.quiet)
			}
			if tt.quiet {
				if got := QuietHoursEnd(tt.at); !got.Equal(tt.end) {
					t.Errorf("QuietHoursEnd got %v, want %v", got, tt.end)
				}
			}
		})
	}
}
