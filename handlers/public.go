package handlers

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/notifications"
	"weiquan/workflow"
)

// The consumer's side of the API: no account, a phone confirmed by a
// one-time SMS code (workflow.OTP).
//
//	POST /api/v1/public/otp          ask for a code (202 whatever the phone)
//	POST /api/v1/public/cases        file a complaint or report with the code
//	GET  /api/v1/public/track/{id}   the public view of one case, with phone
//	                                 and code the first time, then with the
//	                                 weiquan_track cookie for that case

// trackCookie lets the consumer reload the tracking page of one case for
// workflow.TrackSessionTTL without a new code. Its value is signed and
// names the case, so it opens no other.
const trackCookie = "weiquan_track"

// maxOTPRequestBytes bounds the body of a code request.
const maxOTPRequestBytes = 1 << 10

// publicRoutes registers the consumer endpoints under api.
func (s *Server) publicRoutes(api fiber.Router) {
	// Anyone can reach these, so each address is limited beyond what the
	// codes themselves limit (workflow.OTP: per number and per address).
	pub := api.Group("/public")
	pub.Post("/otp", s.limitByAddress("public-otp", 30, 10*time.Minute), s.requestOTP)
	pub.Post("/cases", s.limitByAddress("public-cases", 20, time.Hour), s.fileCase)
	pub.Get("/track/:id", s.limitByAddress("public-track", 120, 10*time.Minute), s.trackCase)
}

type otpRequest struct {
	Phone   string `json:"phone"`
	Purpose string `json:"purpose"`
	CaseID  string `json:"case_id"`
}

// requestOTP answers 202 alike whether or not the phone goes with the case,
// so that nobody learns which numbers filed which cases; only the limits
// and malformed input answer otherwise.
func (s *Server) requestOTP(c *fiber.Ctx) error {
	if s.OTP == nil {
		return weiquan.Errorf(weiquan.EUnavailable, "短信验证暂不可用，请拨打 12315")
	}
	if len(c.Body()) > maxOTPRequestBytes {
		return weiquan.Errorf(weiquan.ETooLarge, "请求内容过大")
	}
	var req otpRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	if err := s.OTP.Request(ctx, req.Phone, req.Purpose, req.CaseID, c.IP()); err != nil {
		if weiquan.ErrorCode(err) == weiquan.ERateLimited {
			wait := workflow.RetryAfter(err)
			if wait <= 0 {
				wait = time.Hour
			}
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		}
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"sent": true,
		"expires_in": int(workflow.OTPTTL / time.Second), "resend_after": int(workflow.OTPResendGap / time.Second)})
}

// fileCase registers a complaint or report filed online, through the same
// decoding, validation and registration as staff intake, on channel web.
// The complainant's phone must be the one the code was sent to. The intake
// is checked before the code, so a mistake in the form does not use the
// code up.
func (s *Server) fileCase(c *fiber.Ctx) error {
	if s.OTP == nil {
		return weiquan.Errorf(weiquan.EUnavailable, "短信验证暂不可用，请拨打 12315")
	}
	body := c.Body()
	if len(body) > workflow.MaxIntakeBytes+maxOTPRequestBytes {
		return weiquan.Errorf(weiquan.ETooLarge, "提交的内容过大（上限 %d KB）", workflow.MaxIntakeBytes>>10)
	}
	code, rest, err := splitPublicIntake(body)
	if err != nil {
		return err
	}
	draft, err := workflow.DecodeIntake(rest)
	if err != nil {
		return withMissingCode(err, code)
	}
	v := weiquan.ValidationErrors{}
	if draft.Kind != weiquan.KindComplaint && draft.Kind != weiquan.KindReport {
		v.Add("kind", workflow.CodeInvalidKind, "网上只能提交投诉或举报；咨询请拨打 12315")
	}
	if p, ok := weiquan.ParsePhone(draft.Complainant.Phone); !ok || !p.IsMobile() {
		v.Add("complainant.phone", workflow.CodeInvalidPhone, "网上提交需要填写接收验证码的手机号码")
	}
	if code == "" {
		v.Add("otp_code", workflow.CodeRequired, "请输入短信验证码")
	}
	if err := v.Err(); err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	if err := s.OTP.Verify(ctx, draft.Complainant.Phone, code, weiquan.PurposeFile, ""); err != nil {
		return renameField(err, "code", "otp_code")
	}
	cs, err := s.Intake.Register(ctx, weiquan.Actor{Address: c.IP()}, draft)
	if err != nil {
		return err
	}
	s.setTrackCookie(c, cs.ID)
	c.Location("/api/v1/public/track/" + cs.ID)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(s.publicView(cs))
}

// trackCase shows the public view of one case: to whoever confirms the
// complainant's phone with a code for this case, then to the holder of the
// tracking cookie for it.
func (s *Server) trackCase(c *fiber.Ctx) error {
	if s.OTP == nil {
		return weiquan.Errorf(weiquan.EUnavailable, "短信验证暂不可用，请拨打 12315")
	}
	id := c.Params("id")
	if !validCaseID(id) {
		return weiquan.Errorf(weiquan.ENotFound, "案件编号应为 14 位数字")
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	phone, code := c.Query("phone"), c.Query("code")
	if phone == "" && code == "" {
		if !s.OTP.CheckTrackToken(c.Cookies(trackCookie), id) {
			return &weiquan.Error{Code: weiquan.EUnauthorized, Message: "请输入手机号码和短信验证码查询",
				Fields: map[string]weiquan.FieldError{"code": {Code: workflow.CodeRequired, Message: "请输入短信验证码"}}}
		}
	} else if err := s.OTP.Verify(ctx, phone, code, weiquan.PurposeTrack, id); err != nil {
		return err
	}
	cs, err := s.Store.GetCase(ctx, id)
	if err != nil {
		return err
	}
	if phone != "" {
		// A verified code was issued for the complainant's phone; checked
		// again so that nothing but a match can ever open a case.
		if !workflow.SamePhone(cs.Complainant.Phone, phone) {
			return weiquan.Errorf(weiquan.EForbidden, "手机号码与案件不符")
		}
		s.setTrackCookie(c, id)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(s.publicView(cs))
}

func (s *Server) setTrackCookie(c *fiber.Ctx, id string) {
	c.Cookie(&fiber.Cookie{Name: trackCookie, Value: s.OTP.TrackToken(id), Path: "/", HTTPOnly: true,
		Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode,
		MaxAge: int(workflow.TrackSessionTTL / time.Second)})
}

// splitPublicIntake takes otp_code out of an online filing and makes its
// channel web: what is left is a staff intake body for
// workflow.DecodeIntake. A consumer may not fill in the hotline's call
// details (source) or another channel. A body that is not a JSON object is
// handed on as it is, for DecodeIntake to explain.
func splitPublicIntake(body []byte) (code string, rest []byte, err error) {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", body, nil
	}
	var out bytes.Buffer
	out.WriteString(`{"channel":"web"`)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", body, nil
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "", body, nil
		}
		switch key {
		case "otp_code":
			if err := json.Unmarshal(v, &code); err != nil {
				return "", nil, &weiquan.Error{Code: weiquan.EInvalid, Message: "字段类型不正确：otp_code",
					Fields: map[string]weiquan.FieldError{"otp_code": {Code: workflow.CodeInvalidType, Message: "验证码应为文本"}}}
			}
			continue
		case "channel":
			var ch string
			if json.Unmarshal(v, &ch) != nil || (ch != "" && ch != string(weiquan.ChannelWeb)) {
				return "", nil, weiquan.ValidationErrors{"channel": {Code: workflow.CodeInvalidChannel,
					Message: "网上提交的渠道只能是 web"}}.Err()
			}
			continue
		case "source":
			return "", nil, &weiquan.Error{Code: weiquan.EInvalid, Message: "网上提交不能填写来电信息（source）",
				Fields: map[string]weiquan.FieldError{"source": {Code: workflow.CodeUnknownField, Message: "未知字段"}}}
		}
		k, _ := json.Marshal(key)
		out.WriteByte(',')
		out.Write(k)
		out.WriteByte(':')
		out.Write(v)
	}
	out.WriteByte('}')
	return code, out.Bytes(), nil
}

// withMissingCode adds "otp_code required" to an intake's field errors, so
// the form shows every problem at once.
func withMissingCode(err error, code string) error {
	e, ok := err.(*weiquan.Error)
	if !ok || code != "" || e.Code != weiquan.EValidation {
		return err
	}
	cp := *e
	cp.Fields = map[string]weiquan.FieldError{"otp_code": {Code: workflow.CodeRequired, Message: "请输入短信验证码"}}
	for k, v := range e.Fields {
		cp.Fields[k] = v
	}
	return &cp
}

// renameField moves a field error to the name the request used.
func renameField(err error, from, to string) error {
	e, ok := err.(*weiquan.Error)
	if !ok || e.Fields == nil {
		return err
	}
	fe, ok := e.Fields[from]
	if !ok {
		return err
	}
	cp := *e
	cp.Fields = map[string]weiquan.FieldError{to: fe}
	for k, v := range e.Fields {
		if k != from {
			cp.Fields[k] = v
		}
	}
	return &cp
}

// PublicCase is what a consumer sees of a case: where it stands, which
// unit has it (by name), its deadlines and its public events. Never the
// internal events, the staff who acted, the routing, the messages, the
// description, or anyone's full phone or ID number.
type PublicCase struct {
	ID           string            `json:"id"`
	Kind         weiquan.Kind      `json:"kind"`
	KindLabel    string            `json:"kind_label"`
	Status       weiquan.Status    `json:"status"`
	StatusLabel  string            `json:"status_label"`
	Outcome      weiquan.Outcome   `json:"outcome,omitempty"`
	OutcomeLabel string            `json:"outcome_label,omitempty"`
	Title        string            `json:"title"`
	Respondent   string            `json:"respondent"`
	Unit         string            `json:"unit"`  // the unit's name, "" while unassigned
	Phone        string            `json:"phone"` // masked: 138****8000
	Deadlines    weiquan.Deadlines `json:"deadlines"`
	Events       []PublicEvent     `json:"events"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
	TrackURL     string            `json:"track_url"`
}

// PublicEvent is one public entry of the timeline, without its actor.
type PublicEvent struct {
	At          time.Time      `json:"at"`
	Type        string         `json:"type"`
	Label       string         `json:"label"`
	Status      weiquan.Status `json:"status,omitempty"`
	StatusLabel string         `json:"status_label,omitempty"`
	Note        string         `json:"note,omitempty"`
}

// eventLabels names the event types in Chinese: the state machine's
// actions and registration.
var eventLabels = func() map[string]string {
	m := map[string]string{weiquan.EventRegistered: "登记"}
	for _, t := range workflow.Transitions() {
		m[t.Action] = t.Label
	}
	return m
}()

// digitsLike is what may be a phone or ID number inside a note an officer
// made public; masked as a safeguard.
var digitsLike = regexp.MustCompile(`[0-9]{7,}[0-9Xx]?`)

// publicView is the consumer's view of c (see PublicCase).
func (s *Server) publicView(c *weiquan.Case) PublicCase {
	cs := *c
	cs.NormalizeTimes()
	v := PublicCase{ID: cs.ID, Kind: cs.Kind, KindLabel: label(weiquan.Vocabulary.Kinds, string(cs.Kind)),
		Status: cs.Status, StatusLabel: label(weiquan.Vocabulary.Statuses, string(cs.Status)),
		Outcome: cs.Outcome, OutcomeLabel: label(weiquan.Vocabulary.Outcomes, string(cs.Outcome)),
		Title: cs.Title, Respondent: cs.Respondent.Name, Phone: weiquan.MaskPhone(cs.Complainant.Phone),
		Deadlines: cs.Deadlines, Events: []PublicEvent{}, CreatedAt: cs.CreatedAt, UpdatedAt: cs.UpdatedAt,
		TrackURL: notifications.TrackLink(s.trackURL(), cs.ID)}
	if s.Units != nil && cs.UnitID != "" {
		if u, ok := s.Units.Get(cs.UnitID); ok {
			v.Unit = u.Name
		}
	}
	for _, e := range cs.Events {
		if !e.Public {
			continue
		}
		l, ok := eventLabels[e.Type]
		if !ok {
			l = "办理进展"
		}
		pe := PublicEvent{At: e.At, Type: e.Type, Label: l, Status: e.To,
			Note: digitsLike.ReplaceAllStringFunc(e.Note, weiquan.MaskPhone)}
		if e.To != "" {
			pe.StatusLabel = label(weiquan.Vocabulary.Statuses, string(e.To))
		}
		v.Events = append(v.Events, pe)
	}
	return v
}

func (s *Server) trackURL() string {
	if s.cfg.TrackURL != "" {
		return s.cfg.TrackURL
	}
	return "/track?id={id}"
}

func label(terms []weiquan.Term, code string) string {
	if t, ok := weiquan.Lookup(terms, code); ok {
		return t.Label
	}
	return ""
}
