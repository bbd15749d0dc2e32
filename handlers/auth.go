package handlers

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
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
	if err := v.Err(); err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	token, u, err := s.Accounts.Login(ctx, req.Username, req.Password, c.IP())
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: token, Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(s.Accounts.MaxAge.Seconds()),
	})
	return c.JSON(loginResponse{Token: token, User: viewUser(u), At: weiquan.InShanghai(s.Accounts.Now())})
}

func (s *Server) logout(c *fiber.Ctx) error {
	ctx, cancel := s.ctx(c)
	defer cancel()
	if err := s.Accounts.Logout(ctx, tokenOf(c)); err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", HTTPOnly: true, Secure: s.cfg.SecureCookies,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: -1, Expires: time.Unix(0, 0)})
	return c.SendStatus(fiber.StatusNoContent)
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
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return weiquan.WrapError(weiquan.EInvalid, "请求内容不是有效的 JSON 或含有未知字段", err)
	}
	if dec.More() {
		return weiquan.Errorf(weiquan.EInvalid, "请求内容只能包含一个 JSON 对象")
	}
	return nil
}
