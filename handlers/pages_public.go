package handlers

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/workflow"
)

// The consumer's pages: no account, a phone confirmed by an SMS code. They
// use the same Go API as the JSON endpoints of public.go (workflow.OTP,
// DecodeIntake, Intake.Register, publicView) and work as plain form posts.
//
//	GET  /                      what the service is
//	GET  /complaint, /report    the form; POST with step=code sends the code,
//	                            otherwise files and goes to the case
//	GET  /track                 case number + phone; POST step=code sends a
//	                            code, otherwise opens the case
//	GET  /track/:id             the public view (tracking cookie required)

func (s *Server) publicPages(app *fiber.App) {
	app.Get("/", s.homePage)
	fileLimit := s.limitByAddress("page-file", 40, time.Hour)
	app.Get("/complaint", s.filePage(weiquan.KindComplaint))
	app.Post("/complaint", fileLimit, s.fileSubmit(weiquan.KindComplaint))
	app.Get("/report", s.filePage(weiquan.KindReport))
	app.Post("/report", fileLimit, s.fileSubmit(weiquan.KindReport))
	app.Get("/track", s.trackPage)
	app.Post("/track", s.limitByAddress("page-track", 120, 10*time.Minute), s.trackSubmit)
	app.Get("/track/:id", s.trackCasePage)
}

func (s *Server) homePage(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "home.html", Page{Title: "首页"})
}

// fileData is what public_file.html shows.
type fileData struct {
	Form     intakeForm
	Kind     weiquan.Kind
	Path     string // /complaint or /report
	CodeSent bool
}

func kindPath(k weiquan.Kind) string { return "/" + string(k) }

func kindTitle(k weiquan.Kind) string {
	if k == weiquan.KindReport {
		return "我要举报"
	}
	return "我要投诉"
}

func (s *Server) filePage(kind weiquan.Kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		d := fileData{Kind: kind, Path: kindPath(kind), Form: intakeForm{Kind: string(kind), ConsentSMS: true,
			ConsentMediation: kind == weiquan.KindComplaint, FormKey: randomToken()}}
		return s.render(c, fiber.StatusOK, "public_file.html", Page{Title: kindTitle(kind), Nav: string(kind), Data: d})
	}
}

// fileSubmit sends the code (step=code) or files the case. The rules are
// those of POST /api/v1/public/cases: a complaint or report, on channel
// web, the complainant's phone a mobile that the code was sent to; the
// form is checked before the code so a mistake does not use the code up.
func (s *Server) fileSubmit(kind weiquan.Kind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		form := readIntakeForm(c)
		form.Kind, form.Channel, form.CallID, form.CallerNumber, form.Answer = string(kind), string(weiquan.ChannelWeb), "", "", ""
		if kind == weiquan.KindComplaint {
			form.Anonymous = false
		}
		if !validFormKey(form.FormKey) {
			form.FormKey = randomToken()
		}
		d := fileData{Kind: kind, Path: kindPath(kind), Form: form}
		page := func(status int, flash, msg string, fields map[string]weiquan.FieldError) error {
			return s.render(c, status, "public_file.html", Page{Title: kindTitle(kind), Nav: string(kind),
				Flash: flash, Error: msg, FieldErrors: fields, Data: d})
		}
		if s.OTP == nil {
			return weiquan.Errorf(weiquan.EUnavailable, "短信验证暂不可用，请拨打 12315")
		}
		ctx, cancel := s.ctx(c)
		defer cancel()
		if c.FormValue("step") == "code" {
			d.Form.OTPCode = ""
			if err := s.OTP.Request(ctx, form.Phone, weiquan.PurposeFile, "", c.IP()); err != nil {
				msg, fields, status, ok := formProblem(err)
				if !ok {
					return err
				}
				return page(status, "", msg, renameFieldMap(fields, "phone", "complainant.phone"))
			}
			d.CodeSent = true
			return page(fiber.StatusOK, "验证码已发送到 "+weiquan.MaskPhone(form.Phone)+"，5 分钟内有效", "", nil)
		}
		d.CodeSent = true
		draft, err := form.decode()
		v := weiquan.ValidationErrors{}
		if err != nil {
			msg, fields, status, ok := formProblem(err)
			if !ok {
				return err
			}
			for k, fe := range fields {
				v[k] = fe
			}
			if form.OTPCode == "" {
				v.Add("otp_code", workflow.CodeRequired, "请输入短信验证码")
			}
			return page(status, "", msg, v)
		}
		if p, ok := weiquan.ParsePhone(draft.Complainant.Phone); !ok || !p.IsMobile() {
			v.Add("complainant.phone", workflow.CodeInvalidPhone, "网上提交需要填写接收验证码的手机号码")
		}
		if form.OTPCode == "" {
			v.Add("otp_code", workflow.CodeRequired, "请输入短信验证码（先点“获取验证码”）")
		}
		if len(v) > 0 {
			return page(fiber.StatusUnprocessableEntity, "", "请按提示修改标红的内容", v)
		}
		// The form's key: a second post of the same form (double tap,
		// reload) goes to the case the first one filed.
		key := "public|" + form.FormKey
		id, done, err := s.claimForm(ctx, key)
		if err != nil {
			msg, fields, status, ok := formProblem(err)
			if !ok {
				return err
			}
			return page(status, "", msg, fields)
		}
		if done == nil {
			return c.Redirect("/track/"+id, fiber.StatusSeeOther)
		}
		defer done("") // nothing saved, unless noted below
		if err := s.OTP.Verify(ctx, draft.Complainant.Phone, form.OTPCode, weiquan.PurposeFile, ""); err != nil {
			msg, fields, status, ok := formProblem(err)
			if !ok {
				return err
			}
			return page(status, "", msg, renameFieldMap(fields, "code", "otp_code"))
		}
		draft.Source.FormKey = key
		cs, err := s.Intake.Register(ctx, weiquan.Actor{Address: c.IP()}, draft)
		if err != nil {
			return err
		}
		done(cs.ID)
		s.setTrackCookie(c, cs.ID)
		return c.Redirect("/track/"+cs.ID+"?filed=1", fiber.StatusSeeOther)
	}
}

// renameFieldMap moves a field error to the name the form uses.
func renameFieldMap(fields map[string]weiquan.FieldError, from, to string) map[string]weiquan.FieldError {
	fe, ok := fields[from]
	if !ok {
		return fields
	}
	out := map[string]weiquan.FieldError{to: fe}
	for k, v := range fields {
		if k != from {
			out[k] = v
		}
	}
	return out
}

// trackForm is what track.html shows.
type trackForm struct {
	ID, Phone string
	CodeSent  bool
}

func (s *Server) trackPage(c *fiber.Ctx) error {
	id := strings.TrimSpace(c.Query("id"))
	if len(id) > 20 {
		id = id[:20]
	}
	return s.render(c, fiber.StatusOK, "track.html", Page{Title: "查询进度", Nav: "track", Data: trackForm{ID: id}})
}

// trackSubmit sends a code for the case (step=code) — answering alike
// whether or not the phone goes with the case — or checks the code and
// opens the case.
func (s *Server) trackSubmit(c *fiber.Ctx) error {
	f := trackForm{ID: strings.TrimSpace(c.FormValue("id")), Phone: strings.TrimSpace(c.FormValue("phone"))}
	page := func(status int, flash, msg string, fields map[string]weiquan.FieldError) error {
		return s.render(c, status, "track.html", Page{Title: "查询进度", Nav: "track", Flash: flash, Error: msg,
			FieldErrors: fields, Data: f})
	}
	if s.OTP == nil {
		return weiquan.Errorf(weiquan.EUnavailable, "短信验证暂不可用，请拨打 12315")
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	if c.FormValue("step") == "code" {
		if err := s.OTP.Request(ctx, f.Phone, weiquan.PurposeTrack, f.ID, c.IP()); err != nil {
			msg, fields, status, ok := formProblem(err)
			if !ok {
				return err
			}
			return page(status, "", msg, renameFieldMap(fields, "case_id", "id"))
		}
		f.CodeSent = true
		return page(fiber.StatusOK, "如果手机号码与案件相符，验证码已发送到 "+weiquan.MaskPhone(f.Phone)+"，5 分钟内有效", "", nil)
	}
	f.CodeSent = true
	code := strings.TrimSpace(c.FormValue("code"))
	if code == "" {
		return page(fiber.StatusUnprocessableEntity, "", "请输入短信验证码",
			map[string]weiquan.FieldError{"code": {Code: workflow.CodeRequired, Message: "请输入短信验证码"}})
	}
	if err := s.OTP.Verify(ctx, f.Phone, code, weiquan.PurposeTrack, f.ID); err != nil {
		msg, fields, status, ok := formProblem(err)
		if !ok {
			return err
		}
		return page(status, "", msg, renameFieldMap(fields, "case_id", "id"))
	}
	cs, err := s.Store.GetCase(ctx, f.ID)
	if err != nil {
		return err
	}
	if !workflow.SamePhone(cs.Complainant.Phone, f.Phone) {
		return weiquan.Errorf(weiquan.EForbidden, "手机号码与案件不符")
	}
	s.setTrackCookie(c, cs.ID)
	return c.Redirect("/track/"+cs.ID, fiber.StatusSeeOther)
}

// trackCaseData is what track_case.html shows.
type trackCaseData struct {
	Case  PublicCase
	Filed bool
}

// trackCasePage shows the public view to the holder of the tracking cookie
// for this case; anyone else is sent to the form.
func (s *Server) trackCasePage(c *fiber.Ctx) error {
	id := c.Params("id")
	if s.OTP == nil || !validCaseID(id) || !s.OTP.CheckTrackToken(c.Cookies(trackCookie), id) {
		return c.Redirect("/track?id="+url.QueryEscape(id), fiber.StatusSeeOther)
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	cs, err := s.Store.GetCase(ctx, id)
	if err != nil {
		return err
	}
	d := trackCaseData{Case: s.publicView(cs), Filed: c.Query("filed") == "1"}
	return s.render(c, fiber.StatusOK, "track_case.html", Page{Title: "案件 " + id, Nav: "track", Data: d})
}
