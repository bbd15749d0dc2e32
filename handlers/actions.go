package handlers

import (
	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/workflow"
)

// act applies one state-machine action; the body carries the version the
// person saw, so acting on a case someone else just changed is a 409.
func (s *Server) act(c *fiber.Ctx) error {
	id := c.Params("id")
	// Whether the person may see the case comes first, so that one who may
	// not learns nothing about its state from the answer.
	if _, err := s.actableCase(c, id); err != nil {
		return err
	}
	var req workflow.ActionRequest
	if err := decodeStrict(c.Body(), &req); err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	a := actor(c)
	cs, err := s.Engine.Act(ctx, a, id, c.Params("action"), req)
	if err != nil {
		return err
	}
	s.writes.note(a.UserID, cs)
	return c.JSON(s.caseView(c, cs))
}

// explainRouting answers where routing would send a case and why: for a
// stored case (?case_id=…) or for a draft in the intake format.
func (s *Server) explainRouting(c *fiber.Ctx) error {
	var draft weiquan.Case
	if id := c.Query("case_id"); id != "" {
		cs, err := s.readableCase(c, id)
		if err != nil {
			return err
		}
		draft = *cs
	} else {
		var err error
		if draft, err = workflow.DecodeIntake(c.Body()); err != nil {
			return err
		}
	}
	return c.JSON(s.Router.Route(&draft))
}
