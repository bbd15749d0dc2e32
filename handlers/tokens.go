package handlers

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/workflow"
)

// API tokens let integrations call the API with a role and units of their
// own: `Authorization: Bearer wqt_…`. Administrators create and revoke them;
// a token never reaches an administration endpoint, whatever its role.

const tokenKey = "weiquan.api_token"

// bearerAPIToken returns the API token of the Authorization header. A token
// in a cookie is not one: cookies are for sessions only.
func bearerAPIToken(c *fiber.Ctx) (string, bool) {
	t, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	t = strings.TrimSpace(t)
	return t, ok && strings.HasPrefix(t, workflow.TokenPrefix)
}

var (
	errTokenAdmin    = weiquan.Errorf(weiquan.EForbidden, "API 令牌不能用于管理接口，请管理员本人登录后操作")
	errTokenPassword = weiquan.Errorf(weiquan.EForbidden, "API 令牌没有密码可改")
	errTokensOff     = weiquan.Errorf(weiquan.EUnauthorized, "API 令牌无效")
	errNoTokens      = weiquan.Errorf(weiquan.EUnavailable, "本服务未启用 API 令牌")
)

// withAPIToken authenticates the request as the token and runs the rest of
// the chain as its actor.
func (s *Server) withAPIToken(ctx context.Context, c *fiber.Ctx, token string) error {
	if _, err := s.actAsAPIToken(ctx, c, token); err != nil {
		return err
	}
	return c.Next()
}

// actAsAPIToken authenticates the request as the token and makes it the
// request's actor.
func (s *Server) actAsAPIToken(ctx context.Context, c *fiber.Ctx, token string) (*weiquan.APIToken, error) {
	if s.Tokens == nil {
		return nil, errTokensOff
	}
	t, err := s.Tokens.Authenticate(ctx, token)
	if err != nil {
		return nil, err
	}
	// Checked here, for every route under /admin/ present and future, rather
	// than trusting each handler's role check: tokens are never admin, but
	// this holds even if one were.
	if strings.HasPrefix(c.Path(), "/api/v1/admin/") {
		return nil, errTokenAdmin
	}
	c.Locals(userKey, &weiquan.User{ID: t.ActorID(), Username: "api:" + t.Name, Role: t.Role, UnitIDs: t.UnitIDs})
	c.Locals(tokenKey, t)
	return t, nil
}

// logoutAPIToken signs an integration out the only way a token can be: it
// is revoked, at once and for good, as an administrator revokes it. A
// token has no session to end, and a client that logs out expects its
// credential to stop working. A token that no longer works is 401, as on
// any other endpoint.
func (s *Server) logoutAPIToken(ctx context.Context, c *fiber.Ctx, token string) error {
	t, err := s.actAsAPIToken(ctx, c, token)
	if err != nil {
		return err
	}
	if t, err = s.Tokens.Revoke(ctx, t.ID); err != nil {
		return err
	}
	s.log.Info("api token revoked", "id", t.ID, "name", t.Name, "by", t.ActorID())
	s.audit(c, "", "token_revoked", fmt.Sprintf("API 令牌 %s（%s）退出登录，撤销了自身", t.ID, t.Name))
	return c.SendStatus(fiber.StatusNoContent)
}

// viaAPIToken reports whether the request is authenticated by an API token
// rather than a person's session.
func viaAPIToken(c *fiber.Ctx) bool {
	_, ok := c.Locals(tokenKey).(*weiquan.APIToken)
	return ok
}

// requireTokenAdmin refuses everyone but an administrator signed in in
// person, and answers 503 when tokens are not wired.
func (s *Server) requireTokenAdmin(c *fiber.Ctx, what string) error {
	if viaAPIToken(c) {
		return errTokenAdmin
	}
	if actor(c).Role != weiquan.RoleAdmin {
		return weiquan.Errorf(weiquan.EForbidden, "只有管理员可以%s", what)
	}
	if s.Tokens == nil {
		return errNoTokens
	}
	return nil
}

type createTokenRequest struct {
	Name  string       `json:"name"`
	Role  weiquan.Role `json:"role"`
	Units []string     `json:"units"`
	// ExpiresAt is RFC 3339, or a date (YYYY-MM-DD) meaning the token works
	// through that day in China time. Empty: no expiry.
	ExpiresAt string `json:"expires_at"`
}

// tokenView is a token record as administrators see it: never the token.
type tokenView struct {
	*weiquan.APIToken
	ActorID string `json:"actor_id"`
	Status  string `json:"status"`
}

type createdToken struct {
	Token string `json:"token"`
	tokenView
}

func (s *Server) viewToken(t *weiquan.APIToken) tokenView {
	return tokenView{APIToken: t, ActorID: t.ActorID(), Status: t.Status(s.Tokens.Now())}
}

// createToken answers 201 with the token, shown this once.
func (s *Server) createToken(c *fiber.Ctx) error {
	if err := s.requireTokenAdmin(c, "创建 API 令牌"); err != nil {
		return err
	}
	var req createTokenRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	if len(req.Units) > maxUserUnits {
		return weiquan.ValidationErrors{"units": {Code: "too_many", Message: fmt.Sprintf("一个令牌最多绑定 %d 个承办单位", maxUserUnits)}}.Err()
	}
	nt := workflow.NewToken{Name: req.Name, Role: req.Role, UnitIDs: req.Units}
	if req.ExpiresAt != "" {
		at, ok := parseExpiry(req.ExpiresAt)
		if !ok {
			v := weiquan.ValidationErrors{}
			v.Add("expires_at", "invalid_time", "过期时间格式不正确，请写成 2027-01-01 或 2027-01-01T00:00:00+08:00")
			return v.Err()
		}
		nt.ExpiresAt = &at
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	token, t, err := s.Tokens.Create(ctx, nt, actor(c).UserID)
	if err != nil {
		return err
	}
	s.log.Info("api token created", "id", t.ID, "name", t.Name, "role", t.Role, "by", actor(c).UserID)
	s.audit(c, "", "token_created", fmt.Sprintf("创建 API 令牌 %s（%s，角色 %s）", t.ID, t.Name, t.Role))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(createdToken{Token: token, tokenView: s.viewToken(t)})
}

// parseExpiry reads an RFC 3339 time, or a date meaning the end of that day
// in China time.
func parseExpiry(v string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, true
	}
	if d, err := time.ParseInLocation(time.DateOnly, v, weiquan.Shanghai); err == nil {
		return d.AddDate(0, 0, 1), true
	}
	return time.Time{}, false
}

func (s *Server) listTokens(c *fiber.Ctx) error {
	if err := s.requireTokenAdmin(c, "查看 API 令牌"); err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	list, err := s.Tokens.List(ctx)
	if err != nil {
		return err
	}
	items := make([]tokenView, len(list))
	for i := range list {
		items[i] = s.viewToken(&list[i])
	}
	return c.JSON(fiber.Map{"items": items, "total": len(items)})
}

// revokeToken ends a token at once; its record stays, marked revoked, so
// that the events and audit entries it left can still be traced to it.
func (s *Server) revokeToken(c *fiber.Ctx) error {
	if err := s.requireTokenAdmin(c, "撤销 API 令牌"); err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	t, err := s.Tokens.Revoke(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	s.log.Info("api token revoked", "id", t.ID, "name", t.Name, "by", actor(c).UserID)
	s.audit(c, "", "token_revoked", fmt.Sprintf("撤销 API 令牌 %s（%s）", t.ID, t.Name))
	return c.SendStatus(fiber.StatusNoContent)
}
