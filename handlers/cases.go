package handlers

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/notifications"
	"weiquan/workflow"
)

func (s *Server) createCase(c *fiber.Ctx) error {
	draft, err := workflow.DecodeIntake(c.Body())
	if err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	a := actor(c)
	cs, err := s.Intake.Register(ctx, a, draft)
	if err != nil {
		return err
	}
	s.writes.note(a.UserID, cs)
	c.Location("/api/v1/cases/" + cs.ID)
	return c.Status(fiber.StatusCreated).JSON(s.caseView(c, cs))
}

func (s *Server) getCase(c *fiber.Ctx) error {
	full := c.Query("full")
	if full != "" && full != "true" && full != "false" {
		return weiquan.ValidationErrors{"full": {Code: "invalid_bool", Message: "full 只能是 true 或 false"}}.Err()
	}
	cs, err := s.readableCase(c, c.Params("id"))
	if err != nil {
		return err
	}
	if full == "true" {
		// Personal information in clear, audited (pii.go).
		view, err := s.fullCaseView(c, cs)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.JSON(view)
	}
	return c.JSON(s.caseView(c, cs))
}

// loadCase reads a case by the number a request names.
func (s *Server) loadCase(c *fiber.Ctx, id string) (*weiquan.Case, error) {
	if !validCaseID(id) {
		return nil, weiquan.Errorf(weiquan.ENotFound, "案件编号应为 14 位数字")
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	return s.Store.GetCase(ctx, id)
}

// present is the one place a case becomes its API form, so that intake's 201
// and a later GET answer byte for byte the same.
func present(c *weiquan.Case) *weiquan.Case {
	out := *c
	out.NormalizeTimes()
	if out.Demands == nil {
		out.Demands = []string{}
	}
	if out.Links == nil {
		out.Links = []weiquan.Link{}
	}
	if out.Events == nil {
		out.Events = []weiquan.Event{}
	}
	if out.Alerts == nil {
		out.Alerts = []weiquan.Alert{}
	}
	if out.Flags == nil {
		out.Flags = []string{}
	}
	if out.Messages == nil {
		out.Messages = []weiquan.Message{}
	}
	// A message owed at registration was composed before the case had a
	// number; the dispatcher puts it in when sending. Show it as it will go.
	if slices.ContainsFunc(out.Messages, func(m weiquan.Message) bool { return strings.Contains(m.Body, notifications.IDPlaceholder) }) {
		out.Messages = slices.Clone(out.Messages)
		for i := range out.Messages {
			out.Messages[i].Body = strings.ReplaceAll(out.Messages[i].Body, notifications.IDPlaceholder, out.ID)
		}
	}
	return &out
}

func validCaseID(id string) bool {
	if len(id) != 14 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}
