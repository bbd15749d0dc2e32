package handlers_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"weiquan"
)

// fieldErrorOf is the error shown right after the input named name.
func fieldErrorOf(body []byte, name string) string {
	re := regexp.MustCompile(`(?s)name="` + regexp.QuoteMeta(name) + `".{0,600}?<span class="field-error"[^>]*>([^<]*)</span>`)
	if m := re.FindSubmatch(body); m != nil {
		return string(m[1])
	}
	return ""
}

func consoleForm(mod func(url.Values)) url.Values {
	f := url.Values{
		"kind": {"complaint"}, "channel": {"12315"}, "source.call_id": {"PBX-7"}, "source.caller_number": {"13800138000"},
		"complainant.name": {"张三"}, "complainant.phone": {"13800138000"},
		"respondent.name": {"厦门某某电器有限公司"}, "respondent.address": {"厦门市思明区湖滨南路88号"},
		"subject.category": {"household_appliances"}, "subject.problem": {"quality"}, "subject.product": {"空调"},
		"subject.amount": {"3599.00"}, "description": {"空调安装后漏水，商家拒绝退货。"}, "demands": {"refund", "repair"},
		"consent.sms": {"1"}, "consent.mediation": {"1"},
	}
	if mod != nil {
		mod(f)
	}
	return f
}

// TestConsoleWithoutJavaScript walks the operator's form as plain HTML:
// the caller's history, field errors in Chinese next to their fields, one
// case per form however often it is posted, the duplicate warning, and an
// inquiry answered and closed in the same submit.
func TestConsoleWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	earlier := e.intake(op, nil)
	b := newFormClient(e, op)

	// The phone system's link, followed by a browser not signed in, comes
	// back to the same link after signing in.
	anon := newFormClient(e, "")
	if r := anon.get(t, "/console?caller=13800138000&call_id=PBX-7"); r.status != 303 ||
		r.header.Get("Location") != "/login?next="+url.QueryEscape("/console?caller=13800138000&call_id=PBX-7") {
		t.Errorf("caller link without a session: %d %s", r.status, r.header.Get("Location"))
	}

	r := b.get(t, "/console?caller=13800138000&call_id=PBX-7")
	if r.status != 200 {
		t.Fatalf("console: %d %s", r.status, r.body)
	}
	mustContain(t, "console", r, earlier.ID, "138****8000", `value="PBX-7"`)
	// The list of earlier cases is masked; the number itself stays in the
	// lookup and form inputs, where the operator confirms it with the caller.
	history := regexp.MustCompile(`(?s)<ul class="cases" id="history">.*?</ul>`).Find(r.body)
	if history == nil {
		t.Fatalf("no history list: %s", textOf(r.body))
	}
	assertNoFullPII(t, "console history", history)

	t.Run("field errors next to their fields", func(t *testing.T) {
		r := b.post(t, "/console", consoleForm(func(f url.Values) {
			f.Set("complainant.phone", "12345")
			f.Del("complainant.name")
			f.Set("subject.amount", "三千")
		}))
		if r.status != 422 {
			t.Fatalf("bad form: %d", r.status)
		}
		for name, want := range map[string]string{"complainant.phone": "电话", "complainant.name": "姓名", "subject.amount": "金额"} {
			if got := fieldErrorOf(r.body, name); !strings.Contains(got, want) {
				t.Errorf("error after %s: %q, want one mentioning %s", name, got, want)
			}
		}
		mustContain(t, "re-shown form", r, `value="厦门某某电器有限公司"`, `value="三千"`)
	})

	t.Run("a likely duplicate is shown before saving", func(t *testing.T) {
		b.get(t, "/console?caller=13800138000")
		r := b.post(t, "/console", consoleForm(nil))
		if r.status != 200 || !strings.Contains(string(r.body), `id="dups"`) {
			t.Fatalf("no duplicate warning: %d %.500s", r.status, textOf(r.body))
		}
		mustContain(t, "duplicate warning", r, earlier.ID, "仍然登记")
	})

	t.Run("saved once however often the form is posted", func(t *testing.T) {
		b.get(t, "/console?caller=13800138000")
		form := consoleForm(func(f url.Values) { f.Set("dup_ack", "1") })
		r := b.post(t, "/console", form)
		if r.status != 303 {
			t.Fatalf("save: %d %.500s", r.status, textOf(r.body))
		}
		loc := r.header.Get("Location")
		if !strings.HasPrefix(loc, "/console/cases/") {
			t.Fatalf("save leads to %q", loc)
		}
		id := strings.TrimPrefix(loc, "/console/cases/")
		again := b.request(t, "POST", "/console", form) // the same form, token and key
		if again.status != 303 || again.header.Get("Location") != loc {
			t.Errorf("second post of the same form: %d %s, want the same case %s", again.status, again.header.Get("Location"), id)
		}
		res := e.do("GET", "/api/v1/cases?phone=13800138000&facets=false", op, nil)
		if n := strings.Count(string(res.body), `"id":"`); n != 2 {
			t.Errorf("%d cases of the caller, want 2 (the earlier one and this one): %s", n, res.body)
		}
		page := b.get(t, loc)
		mustContain(t, "read-back page", page, `data-id="`+id+`"`, id[:4], id[8:], "138****8000")
		assertNoFullPII(t, "read-back page", page.body)
		c := e.stored(id)
		if c.Source.CallID != "PBX-7" || c.Subject.AmountFen != 359900 || len(c.Demands) != 2 || c.Respondent.DivisionCode != "350203" {
			t.Errorf("stored case: %+v", c)
		}
	})

	t.Run("an inquiry answered on the spot is closed", func(t *testing.T) {
		b.get(t, "/console?caller=13900139000")
		r := b.post(t, "/console", url.Values{"kind": {"inquiry"}, "channel": {"12315"},
			"complainant.phone": {"13900139000"}, "description": {"预付卡商家关门了，应该找哪里？"},
			"answer": {"请向商家所在地的市场监督管理局投诉，也可拨打 12315 登记。"}})
		if r.status != 303 {
			t.Fatalf("inquiry: %d %.500s", r.status, textOf(r.body))
		}
		id := strings.TrimPrefix(r.header.Get("Location"), "/console/cases/")
		c := e.stored(id)
		if c.Kind != weiquan.KindInquiry || c.Status != weiquan.StatusClosed || c.Outcome != weiquan.OutcomeAnswered {
			t.Errorf("inquiry after the answer: %s %s %s", c.Kind, c.Status, c.Outcome)
		}
		mustContain(t, "answered inquiry", b.get(t, "/console/cases/"+id), "办结")
	})

	t.Run("an inquiry saved without an answer is answered from its page", func(t *testing.T) {
		b.get(t, "/console")
		r := b.post(t, "/console", url.Values{"kind": {"inquiry"}, "channel": {"12315"}, "description": {"三包期是多久？"}})
		loc := r.header.Get("Location")
		page := b.get(t, loc)
		mustContain(t, "unanswered inquiry", page, "答复咨询并办结")
		r = b.post(t, loc+"/answer", url.Values{"version": {regexp.MustCompile(`name="version" value="(\d+)"`).FindStringSubmatch(string(page.body))[1]},
			"answer": {"一般为自售出之日起 7 日内可退货，15 日内可换货。"}})
		if r.status != 303 {
			t.Fatalf("answer: %d %.400s", r.status, textOf(r.body))
		}
		if c := e.stored(strings.TrimPrefix(loc, "/console/cases/")); c.Status != weiquan.StatusClosed {
			t.Errorf("status after the answer: %s", c.Status)
		}
	})

	t.Run("the county of an address as it is typed", func(t *testing.T) {
		r := e.do("GET", "/api/v1/divisions/resolve?address="+url.QueryEscape("厦门思明湖滨南路"), op, nil)
		m := r.json(t)
		if r.status != 200 || m["code"] != "350203" || m["name"] != "厦门市思明区" {
			t.Errorf("resolve: %d %v", r.status, m)
		}
		r = e.do("GET", "/api/v1/divisions/resolve?address="+url.QueryEscape("南京市鼓楼区"), op, nil)
		if m := r.json(t); m["code"] != "" || m["reason"] == "" {
			t.Errorf("another province's address: %v", m)
		}
	})
}

// TestConsumerPagesWithoutJavaScript files a complaint with an SMS code and
// tracks it, as plain form posts.
func TestConsumerPagesWithoutJavaScript(t *testing.T) {
	e := newEnv(t)
	const phone = "13700137001"
	registerPII(phone)
	b := newFormClient(e, "")
	mustContain(t, "home", b.get(t, "/"), "我要投诉", "/track")
	b.get(t, "/complaint")
	form := url.Values{"complainant.name": {"陈小姐"}, "complainant.phone": {phone},
		"respondent.name": {"福州某某美容美发店"}, "respondent.address": {"福州市鼓楼区五四路88号"},
		"subject.category": {"beauty"}, "subject.problem": {"prepaid_refund"},
		"description": {"办了预付卡，店铺关门后无法退款。"}, "demands": {"refund"}, "consent.sms": {"1"}}
	r := b.post(t, "/complaint", withStep(form, "code"))
	if r.status != 200 {
		t.Fatalf("ask for a code: %d %.400s", r.status, textOf(r.body))
	}
	mustContain(t, "after asking for a code", r, "验证码已发送", "137****7001", `value="福州某某美容美发店"`)
	code := e.outboxCode(t, phone)
	if code == "" {
		t.Fatal("no code in the outbox")
	}

	wrong := b.post(t, "/complaint", withStep(withCode(form, "000000"), "file"))
	if wrong.status != 422 || !strings.Contains(fieldErrorOf(wrong.body, "otp_code"), "验证码") {
		t.Errorf("wrong code: %d %q", wrong.status, fieldErrorOf(wrong.body, "otp_code"))
	}
	r = b.post(t, "/complaint", withStep(withCode(form, code), "file"))
	if r.status != 303 || !strings.HasPrefix(r.header.Get("Location"), "/track/") {
		t.Fatalf("file: %d %s %.400s", r.status, r.header.Get("Location"), textOf(r.body))
	}
	page := b.get(t, r.header.Get("Location"))
	id := regexp.MustCompile(`id="case-number">(\d{14})<`).FindStringSubmatch(string(page.body))
	if page.status != 200 || id == nil {
		t.Fatalf("case page: %d %.400s", page.status, textOf(page.body))
	}
	mustContain(t, "filed case page", page, "提交成功", "登记", "137****7001")
	assertNoFullPII(t, "filed case page", page.body)
	if c := e.stored(id[1]); c.Channel != weiquan.ChannelWeb || c.Complainant.Phone == "" {
		t.Errorf("filed case: %+v", c)
	}

	// Tracking from another browser: case number, phone, a new code.
	e.clock.Add(61 * time.Second)
	other := newFormClient(e, "")
	if r := other.get(t, "/track/"+id[1]); r.status != 303 {
		t.Errorf("tracking page without a code: %d, want a redirect to the form", r.status)
	}
	other.get(t, "/track?id="+id[1])
	r = other.post(t, "/track", url.Values{"id": {id[1]}, "phone": {phone}, "step": {"code"}})
	mustContain(t, "tracking code sent", r, "验证码已发送")
	code = e.outboxCode(t, phone)
	r = other.post(t, "/track", url.Values{"id": {id[1]}, "phone": {phone}, "code": {code}})
	if r.status != 303 {
		t.Fatalf("track: %d %.400s", r.status, textOf(r.body))
	}
	page = other.get(t, r.header.Get("Location"))
	mustContain(t, "tracking page", page, id[1], "登记")
	assertNoFullPII(t, "tracking page", page.body)
}

func withStep(f url.Values, step string) url.Values {
	g := url.Values{}
	for k, v := range f {
		g[k] = v
	}
	g.Set("step", step)
	return g
}

func withCode(f url.Values, code string) url.Values {
	g := withStep(f, f.Get("step"))
	g.Set("otp_code", code)
	return g
}
