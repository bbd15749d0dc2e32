package handlers

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/notifications"
	"weiquan/workflow"
)

// SMS is what the Twilio webhooks and the SMS log need.
type SMS struct {
	// AuthToken verifies X-Twilio-Signature; with none configured every
	// webhook is refused.
	AuthToken string
	// PublicURL is the base URL Twilio calls, which the signature covers.
	PublicURL string
	Store     notifications.WebhookStore
	// Log lists the local SMS log (开发短信箱), newest first.
	Log func(ctx context.Context, limit int) (any, error)
}

// verifiedForm returns the request's parameters when Twilio's signature
// over them checks out; anything unsigned or wrongly signed is refused and
// changes nothing.
func (s *Server) verifiedForm(c *fiber.Ctx) (post, all url.Values, err error) {
	post, all = url.Values{}, url.Values{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		post.Add(string(k), string(v))
		all.Add(string(k), string(v))
	})
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) { all.Add(string(k), string(v)) })
	if s.SMS.AuthToken == "" || !notifications.VerifySignature(s.SMS.AuthToken, s.SMS.PublicURL+c.OriginalURL(), post, c.Get(notifications.SignatureHeader)) {
		return nil, nil, weiquan.Errorf(weiquan.EForbidden, "签名无效：只接受来自短信服务商的已签名回调")
	}
	return post, all, nil
}

func (s *Server) twilioStatus(c *fiber.Ctx) error {
	_, all, err := s.verifiedForm(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	if err := notifications.HandleStatus(ctx, s.SMS.Store, all, s.Accounts.Now()); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) twilioInbound(c *fiber.Ctx) error {
	post, _, err := s.verifiedForm(c)
	if err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	res, err := notifications.HandleInbound(ctx, s.SMS.Store, post, s.Accounts.Now())
	if err != nil {
		return err
	}
	if res.CaseID != "" {
		// The complainant changed the case by SMS (a score, an opt-out, a
		// message for the officer): the trail names them by channel.
		detail := "短信回复：" + res.Action
		if res.Score > 0 {
			detail += fmt.Sprintf("（满意度 %d）", res.Score)
		}
		s.auditEntry(c, &weiquan.AuditEntry{ActorID: "sms", Role: workflow.AuditConsumer, CaseID: res.CaseID,
			Action: "sms_reply", Detail: detail})
	}
	c.Set(fiber.HeaderContentType, "text/xml")
	return c.SendString(notifications.EmptyTwiML)
}

// smsLog shows administrators the messages the local-log sender "sent".
func (s *Server) smsLog(c *fiber.Ctx) error {
	if actor(c).Role != weiquan.RoleAdmin {
		return weiquan.Errorf(weiquan.EForbidden, "只有管理员可以查看短信日志")
	}
	limit := 100
	if raw := c.Query("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 500 {
			return weiquan.ValidationErrors{"limit": {Code: "invalid_limit", Message: "条数应在 1 到 500 之间"}}.Err()
		}
		limit = n
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	items, err := s.SMS.Log(ctx, limit)
	if err != nil {
		return err
	}
	masked, err := maskSMSLog(items)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": masked})
}
