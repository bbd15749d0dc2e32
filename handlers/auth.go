package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/workflow"
)

const sessionCookie = "weiquan_session"

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token string    `json:"token"`
	User  userView  `json:"user"`
	At    time.Time `json:"signed_in_at"`
}

type userView struct {
	ID       string       `json:"id"`
	Username string       `json:"username"`
	Role     weiquan.Role `json:"role"`
	UnitIDs  []string     `json:"unit_ids"`
}

func viewUser(u *weiquan.User) userView {
	return userView{ID: u.ID, Username: u.Username, Role: u.Role, UnitIDs: u.UnitIDs}
}

func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	v := weiquan.ValidationErrors{}
	if strings.TrimSpace(req.Username) == "" {
		v.Add("username", "required", "请输入用户名")
	}
	if req.Password == "" {
		v.Add("password", "required", "请输入密码")
	}
	capText(v, "username", "用户名", req.Username, maxUsernameChars)
	capText(v, "password", "密码", req.Password, maxPasswordChars)
	if err := v.Err(); err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	token, u, err := s.Accounts.Login(ctx, req.Username, req.Password, c.IP())
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	return c.JSON(loginResponse{Token: token, User: viewUser(u), At: weiquan.InShanghai(s.Accounts.Now())})
}

// logout ends the caller's session; an API token, which has none, is
// revoked instead (logoutAPIToken).
func (s *Server) logout(c *fiber.Ctx) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	if tok, ok := bearerAPIToken(c); ok {
		return s.logoutAPIToken(ctx, c, tok)
	}
	if err := s.Accounts.Logout(ctx, tokenOf(c)); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

// setSessionCookie hands the browser its session: HttpOnly so scripts
// cannot read it, Secure behind TLS, SameSite=Lax so other sites' forms do
// not carry it.
func (s *Server) setSessionCookie(c *fiber.Ctx, token string) {
	c.Locals(csrfSessionKey, token) // forms rendered in this response belong to the new session
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: token, Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(s.Accounts.MaxAge.Seconds()),
	})
}

func (s *Server) clearSessionCookie(c *fiber.Ctx) {
	c.Locals(csrfSessionKey, "")
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1, Expires: time.Unix(0, 0)})
}

// tokenOf takes the bearer token, else the session cookie.
func tokenOf(c *fiber.Ctx) string {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		if t, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	return c.Cookies(sessionCookie)
}

const userKey = "weiquan.user"

func (s *Server) requireSession(c *fiber.Ctx) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	if tok, ok := bearerAPIToken(c); ok {
		return s.withAPIToken(ctx, c, tok)
	}
	u, err := s.Accounts.Authenticate(ctx, tokenOf(c))
	if err != nil {
		return err
	}
	c.Locals(userKey, u)
	return c.Next()
}

// actor is the signed-in staff member as the workflow sees them.
func actor(c *fiber.Ctx) weiquan.Actor {
	u, _ := c.Locals(userKey).(*weiquan.User)
	if u == nil {
		return weiquan.Actor{Address: c.IP()}
	}
	return weiquan.Actor{UserID: u.ID, Role: u.Role, UnitIDs: u.UnitIDs, Address: c.IP()}
}

// decodeStrict decodes a small JSON body, refusing unknown fields.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return weiquan.Errorf(weiquan.EInvalid, "请求内容只能包含一个 JSON 对象")
	}
	return nil
}

// decodeError names the field a JSON error is about, so the person sees
// which one to fix.
func decodeError(err error) error {
	e := &weiquan.Error{Code: weiquan.EInvalid, Message: "请求内容不是有效的 JSON", Err: err}
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		e.Message = "字段类型不正确：" + typeErr.Field
		e.Fields = map[string]weiquan.FieldError{typeErr.Field: {Code: "invalid_type", Message: "字段类型不正确"}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e.Message = "请求含有未知字段：" + field
		e.Fields = map[string]weiquan.FieldError{field: {Code: "unknown_field", Message: "未知字段"}}
	}
	return e
}

type createUserRequest struct {
	Username string       `json:"username"`
	Password string       `json:"password"`
	Role     weiquan.Role `json:"role"`
	Units    []string     `json:"units"`
}

// createUser lets an administrator add a staff account.
func (s *Server) createUser(c *fiber.Ctx) error {
	if actor(c).Role != weiquan.RoleAdmin {
		return weiquan.Errorf(weiquan.EForbidden, "只有管理员可以创建用户")
	}
	var req createUserRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	v := weiquan.ValidationErrors{}
	capText(v, "username", "用户名", req.Username, maxUsernameChars)
	capText(v, "password", "密码", req.Password, maxPasswordChars)
	if len(req.Units) > maxUserUnits {
		v.Add("units", "too_many", fmt.Sprintf("一个用户最多绑定 %d 个承办单位", maxUserUnits))
	}
	if err := v.Err(); err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	u, err := s.Accounts.CreateUser(ctx, workflow.NewUser{Username: req.Username, Password: req.Password, Role: req.Role, UnitIDs: req.Units})
	if err != nil {
		return err
	}
	s.audit(c, "", "user_created", fmt.Sprintf("创建用户 %s（%s，角色 %s，单位 %s）", u.Username, u.ID, u.Role, strings.Join(u.UnitIDs, "、")))
	return c.Status(fiber.StatusCreated).JSON(viewUser(u))
}

type changePasswordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword replaces the signed-in user's password and ends all their
// sessions, this one included: they sign in again with the new password.
func (s *Server) changePassword(c *fiber.Ctx) error {
	if viaAPIToken(c) {
		return errTokenPassword
	}
	var req changePasswordRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	v := weiquan.ValidationErrors{}
	capText(v, "current_password", "当前密码", req.CurrentPassword, maxPasswordChars)
	capText(v, "new_password", "新密码", req.NewPassword, maxPasswordChars)
	if err := v.Err(); err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	if err := s.Accounts.ChangePassword(ctx, actor(c).UserID, req.CurrentPassword, req.NewPassword); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}
