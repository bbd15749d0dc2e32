package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"weiquan"
	"weiquan/notifications"
)

// testMobile is a mobile number no other test uses.
func testMobile() string {
	return fmt.Sprintf("139%08d", (time.Now().UnixNano()/1000+harnessSeq.Add(1))%100000000)
}

// TestBrowserOperatorLogsCallFromCallerLink: the phone system opens the
// console with the caller's number; the operator sees the caller's earlier
// case, fills the form (the county appears as the address is typed, the
// duplicate warning before saving), saves with Enter and reads back the
// case number — one page load, one submit.
func TestBrowserOperatorLogsCallFromCallerLink(t *testing.T) {
	ctx := newTab(t, 1280, 1000)
	svc := sharedService(t)
	user, pw := svc.newUser(t, weiquan.RoleOperator)
	phone := testMobile()
	api := svc.apiAs(t, user, pw)
	earlier := complaint(1)
	earlier["complainant"] = map[string]any{"name": "王五", "phone": phone}
	earlier["respondent"] = map[string]any{"name": "厦门某某电器有限公司", "address": "厦门市思明区湖滨南路100号"}
	status, body := api.do("POST", "/api/v1/cases", earlier)
	if status != 201 {
		t.Fatalf("earlier case: %d %s", status, body)
	}
	var prior struct{ ID string }
	_ = json.Unmarshal(body, &prior)

	signIn(t, ctx, svc, user, pw)
	browse(t, ctx, svc.Base+"/console?caller="+phone+"&call_id=PBX-1")
	if got := text(t, ctx, "#history"); !strings.Contains(got, prior.ID) {
		t.Errorf("caller history %q does not list the earlier case %s", got, prior.ID)
	}
	assertAccessible(t, ctx, "console")
	// The caller's number is in; the cursor waits in the name, and Tab goes
	// on to the phone.
	if f, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`)); f != "f-name" {
		t.Errorf("focus on load: %q, want the caller's name", f)
	}
	must(t, ctx, "tab", chromedp.SendKeys(chromedp.ID("f-name"), kb.Tab))
	if f, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.id`)); f != "f-phone" {
		t.Errorf("Tab from the name goes to %q, want the phone", f)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-phone"))); v != phone {
		t.Errorf("phone field prefilled with %q, want the caller's number", v)
	}
	// The inquiry answer is hidden for a complaint; switching hotline
	// applies that hotline's usual type and problem.
	if hidden, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("answer-box").offsetParent === null`)); !hidden {
		t.Error("the inquiry answer box is shown for a complaint")
	}
	pick := func(ch string) string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const s = document.getElementById("f-channel");
			s.value = "`+ch+`"; s.dispatchEvent(new Event("change"));
			return document.querySelector('input[name="kind"]:checked').value + "/" +
				document.getElementById("f-category").value + "/" + document.getElementById("f-problem").value;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := pick("12331"); got != "report/food/food_safety" {
		t.Errorf("12331 defaults: %s", got)
	}
	if got := pick("12315"); got != "complaint//" {
		t.Errorf("12315 defaults: %s", got)
	}
	must(t, ctx, "fill the call in",
		chromedp.SendKeys(chromedp.ID("f-name"), "王五"),
		chromedp.SendKeys(chromedp.ID("f-raddress"), "厦门市思明区湖滨南路100号"),
		chromedp.SendKeys(chromedp.ID("f-rname"), "厦门某某电器有限公司"),
		chromedp.SetValue(chromedp.ID("f-category"), "household_appliances"),
		chromedp.SetValue(chromedp.ID("f-problem"), "quality"),
		chromedp.SendKeys(chromedp.ID("f-desc"), "空调安装后漏水，商家拒绝退货。"),
		chromedp.Click(chromedp.CSS(`input[name=demands][value=refund]`)),
	)
	waitText(t, ctx, "#f-county", "厦门市思明区")
	// Same caller, same business, the earlier case still open: warned.
	waitText(t, ctx, "#dups", prior.ID)
	must(t, ctx, "confirm it is not a duplicate", chromedp.Click(chromedp.ID("f-dupack")))
	screenshot(t, ctx, "console-form")
	resp, err := chromedp.RunResponse(ctx, chromedp.SendKeys(chromedp.ID("f-product"), "空调"+kb.Enter))
	if err != nil || resp.Status != 200 {
		t.Fatalf("save with Enter: %v %v", resp, err)
	}
	id, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("case-number"), "data-id"))
	if err != nil || len(id.Value) != 14 {
		t.Fatalf("case number on the page: %+v %v (at %s)", id, err, location(t, ctx))
	}
	shown := strings.Join(strings.Fields(text(t, ctx, "#case-number")), "")
	if shown != id.Value {
		t.Errorf("case number read back %q, page names %q", shown, id.Value)
	}
	screenshot(t, ctx, "console-case-number")
	assertAccessible(t, ctx, "console read-back")

	status, body = svc.api(t).do("GET", "/api/v1/cases/"+id.Value, nil)
	if status != 200 {
		t.Fatalf("the case read back is not stored: %d %s", status, body)
	}
	var stored weiquan.Case
	_ = json.Unmarshal(body, &stored)
	if stored.Source.CallID != "PBX-1" || stored.Channel != "12315" || stored.Kind != weiquan.KindComplaint ||
		stored.Respondent.DivisionCode != "350203" || stored.Subject.Product != "空调" || stored.Complainant.Name != "王五" {
		t.Errorf("stored case does not match the call: %+v", stored)
	}
	// Reloading the page that the save led to shows the same case.
	browse(t, ctx, location(t, ctx))
	if again, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.ID("case-number"), "data-id")); again.Value != id.Value {
		t.Errorf("reload shows %q, want %s", again.Value, id.Value)
	}
}

// TestBrowserConsumerFilesAndTracks: on a phone-sized screen a consumer
// asks for a code, takes it from the SMS, files a complaint, sees the case
// number, and later tracks the case with a new code.
func TestBrowserConsumerFilesAndTracks(t *testing.T) {
	ctx := newTab(t, 390, 844)
	svc := sharedService(t)
	seen := watchDialogs(t, ctx)
	phone := testMobile()

	browse(t, ctx, svc.Base+"/")
	submit(t, ctx, `main a[href="/complaint"]`)
	must(t, ctx, "fill in name and phone",
		chromedp.SendKeys(chromedp.ID("f-name"), "陈小姐"),
		chromedp.SendKeys(chromedp.ID("f-phone"), phone),
		chromedp.SendKeys(chromedp.ID("f-rname"), "福州某某美容美发店"),
		chromedp.SendKeys(chromedp.ID("f-raddress"), "福州市鼓楼区五四路88号"),
	)
	mark := svc.smsMark(t)
	// The code is asked for without leaving the page (the script); the
	// form as typed stays.
	must(t, ctx, "ask for a code", chromedp.Click(chromedp.ID("get-code")))
	waitText(t, ctx, "#code-status", "验证码已发送")
	code := svc.waitCode(t, phone, mark)
	must(t, ctx, "fill in the complaint",
		chromedp.SetValue(chromedp.ID("f-category"), "beauty"),
		chromedp.SetValue(chromedp.ID("f-problem"), "prepaid_refund"),
		chromedp.SendKeys(chromedp.ID("f-desc"), "办了 2000 元的预付卡，店铺关门后无法退款。"),
		chromedp.Click(chromedp.CSS(`input[name=demands][value=refund]`)),
		chromedp.SendKeys(chromedp.ID("f-code"), code),
	)
	screenshot(t, ctx, "consumer-form")
	assertAccessible(t, ctx, "complaint form")
	resp := submit(t, ctx, "#submit")
	if resp.Status != 200 || !strings.Contains(location(t, ctx), "/track/") {
		t.Fatalf("file: status %d at %s", resp.Status, location(t, ctx))
	}
	id := text(t, ctx, "#case-number")
	if len(id) != 14 {
		t.Fatalf("case number on screen: %q", id)
	}
	screenshot(t, ctx, "consumer-case-number")
	assertAccessible(t, ctx, "filed case")
	status, body := svc.api(t).do("GET", "/api/v1/cases/"+id, nil)
	var stored weiquan.Case
	_ = json.Unmarshal(body, &stored)
	if status != 200 || stored.Channel != weiquan.ChannelWeb || stored.Complainant.Name != "陈小姐" ||
		stored.Respondent.DivisionCode != "350102" {
		t.Fatalf("filed case %s: %d %s", id, status, body)
	}
	if !notifications.InQuietHours(time.Now()) {
		svc.waitSMS(t, phone, mark, func(m smsEntry) bool { return m.CaseID == id && strings.Contains(m.Body, id) })
	}

	// Later, on another visit (no cookies): the case number, the phone and
	// a new code. The clock moves past the one-code-a-minute limit.
	ctx = newTab(t, 390, 844)
	browse(t, ctx, svc.Base+"/track?id="+id)
	assertAccessible(t, ctx, "tracking form")
	must(t, ctx, "fill in the phone", chromedp.SendKeys(chromedp.ID("t-phone"), phone))
	advanceClock(t, 61*time.Second)
	mark = svc.smsMark(t)
	must(t, ctx, "ask for a code", chromedp.Click(chromedp.ID("get-code")))
	waitText(t, ctx, "#code-status", "验证码已发送")
	code = svc.waitCode(t, phone, mark)
	must(t, ctx, "type the code", chromedp.SendKeys(chromedp.ID("t-code"), code))
	resp = submit(t, ctx, "#view")
	if resp.Status != 200 {
		t.Fatalf("track: status %d at %s", resp.Status, location(t, ctx))
	}
	if got := text(t, ctx, "#case-number"); got != id {
		t.Errorf("tracking shows %q, want %s", got, id)
	}
	timeline := text(t, ctx, "#timeline")
	if !strings.Contains(timeline, "登记") {
		t.Errorf("public timeline %q lacks the registration", timeline)
	}
	page, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if strings.Contains(page, phone) {
		t.Error("the tracking page shows the full phone number")
	}
	screenshot(t, ctx, "consumer-track")
	assertAccessible(t, ctx, "tracking page")
	if d := seen(); len(d) > 0 {
		t.Errorf("dialogs opened: %q", d)
	}
}

// TestBrowserPayloadsDoNotRun: a case whose every text field holds a script
// or an onerror payload opens on the console and the desk without a dialog.
func TestBrowserPayloadsDoNotRun(t *testing.T) {
	ctx := newTab(t, 1280, 900)
	svc := sharedService(t)
	seen := watchDialogs(t, ctx)
	phone := testMobile()
	var ids []string
	for _, p := range []string{`<script>alert(1)</script>`, `"><img src=x onerror=alert(2)>`} {
		c := complaint(2)
		c["complainant"] = map[string]any{"name": "张" + p, "phone": phone, "address": p}
		c["respondent"] = map[string]any{"name": "厦门电器" + p, "address": "厦门市思明区湖滨南路88号" + p, "shop": p}
		c["title"], c["description"] = "标题"+p, "经过"+p
		status, body := svc.api(t).do("POST", "/api/v1/cases", c)
		if status != 201 {
			t.Fatalf("intake: %d %s", status, body)
		}
		var r struct{ ID string }
		_ = json.Unmarshal(body, &r)
		ids = append(ids, r.ID)
	}
	user, pw := svc.newUser(t, weiquan.RoleOperator)
	signIn(t, ctx, svc, user, pw)
	browse(t, ctx, svc.Base+"/console?caller="+phone)
	for _, id := range ids {
		browse(t, ctx, svc.Base+"/console/cases/"+id)
	}
	officer, opw := svc.newUser(t, weiquan.RoleOfficer, "amr-350203")
	ctx2 := newTab(t, 1280, 900)
	seen2 := watchDialogs(t, ctx2)
	signIn(t, ctx2, svc, officer, opw)
	for _, id := range ids {
		browse(t, ctx2, svc.Base+"/desk/cases/"+id)
	}
	screenshot(t, ctx2, "desk-case-with-payloads")
	if d := append(seen(), seen2()...); len(d) > 0 {
		t.Errorf("a payload ran: dialogs %q", d)
	}
}
