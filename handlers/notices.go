package handlers

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/workflow"
)

// Deadline notices: the warnings and overdue notices the deadline sweeper
// files for the unit holding a case (workflow.Notices).
//
//	GET  /api/v1/notices?page_size=20&offset=0   the signed-in officer's or supervisor's units
//	POST /api/v1/notices/{id}/read               mark one read

func (s *Server) notices() (*workflow.Notices, error) {
	if s.Notices == nil {
		return nil, weiquan.Errorf(weiquan.EUnavailable, "单位通知服务未启用")
	}
	return s.Notices, nil
}

func (s *Server) listNotices(c *fiber.Ctx) error {
	v := weiquan.ValidationErrors{}
	limit, offset := workflow.DefaultNoticePage, 0
	if raw := c.Query("page_size"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > workflow.MaxNoticePage {
			v.Add("page_size", "invalid_page_size", "每页条数须为 1–"+strconv.Itoa(workflow.MaxNoticePage))
		}
		limit = n
	}
	if raw := c.Query("offset"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 {
			v.Add("offset", "invalid_offset", "偏移量须为不小于 0 的整数")
		}
		offset = n
	}
	if err := v.Err(); err != nil {
		return err
	}
	n, err := s.notices()
	if err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	page, err := n.List(ctx, actor(c), limit, offset)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (s *Server) readNotice(c *fiber.Ctx) error {
	n, err := s.notices()
	if err != nil {
		return err
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	got, err := n.MarkRead(ctx, actor(c), c.Params("id"))
	if err != nil {
		return err
	}
	s.audit(c, got.CaseID, "read_notice", got.ID)
	return c.JSON(got)
}

// unitNotices is the first limit notices of the signed-in person's units,
// unread first, then newest first: what the officer desk lists. Roles
// without units (operators, administrators) get none rather than an error,
// so a page can call it for anyone.
func (s *Server) unitNotices(c *fiber.Ctx, limit int) ([]weiquan.Notice, error) {
	a := actor(c)
	if s.Notices == nil || (a.Role != weiquan.RoleOfficer && a.Role != weiquan.RoleSupervisor) {
		return []weiquan.Notice{}, nil
	}
	ctx, cancel := s.ctx(c)
	defer cancel()
	page, err := s.Notices.List(ctx, a, limit, 0)
	if err != nil {
		return nil, err
	}
	return page.Items, nil
}
