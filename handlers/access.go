package handlers

import (
	"fmt"

	"github.com/gofiber/fiber/v2"

	"weiquan"
	"weiquan/search"
)

// readableCase loads the case a request names and refuses it, with a 403
// that says what is missing, when the signed-in actor may not see it
// (workflow.Units.CanRead: their units hold it now or held it once). Every
// handler or page that shows one case goes through here.
func (s *Server) readableCase(c *fiber.Ctx, id string) (*weiquan.Case, error) {
	cs, err := s.loadCase(c, id)
	if err != nil {
		return nil, err
	}
	a := actor(c)
	if !s.Units.CanRead(a, cs) {
		return nil, &weiquan.Error{Code: weiquan.EForbidden, Message: s.notInScopeMessage(a, cs),
			Err: fmt.Errorf("case %s: %s (role %q, units %v) may not read it (unit %q, trail %v)",
				cs.ID, a.UserID, a.Role, a.UnitIDs, cs.UnitID, cs.Trail())}
	}
	return cs, nil
}

// actableCase is readableCase for a request that changes the case. An
// officer whose unit only once held the case is told where it is now: the
// case is read-only for them. Everything else (which role may take which
// action in which status) is the state machine's to decide.
func (s *Server) actableCase(c *fiber.Ctx, id string) (*weiquan.Case, error) {
	cs, err := s.readableCase(c, id)
	if err != nil {
		return nil, err
	}
	a := actor(c)
	if a.Role == weiquan.RoleOfficer && !s.Units.CanAct(a, cs) {
		return nil, &weiquan.Error{Code: weiquan.EForbidden,
			Message: fmt.Sprintf("该案件%s，您所属单位曾经办理过本案，只能查看，不能办理", s.heldBy(cs)),
			Err: fmt.Errorf("case %s: officer %s (units %v) may only read it: it is with %q",
				cs.ID, a.UserID, a.UnitIDs, cs.UnitID)}
	}
	return cs, nil
}

// notInScopeMessage says, in the person's terms, why a case is not theirs.
func (s *Server) notInScopeMessage(a weiquan.Actor, cs *weiquan.Case) string {
	switch a.Role {
	case weiquan.RoleOfficer:
		return fmt.Sprintf("该案件不在您所属单位的管辖范围内（%s）", s.heldBy(cs))
	case weiquan.RoleSupervisor:
		return fmt.Sprintf("该案件不在您监督的单位范围内（%s）", s.heldBy(cs))
	case "":
		return "您的账号没有角色，不能查看案件"
	default:
		return "您的角色没有查看该案件的权限"
	}
}

// heldBy says where a case is now, for a message.
func (s *Server) heldBy(cs *weiquan.Case) string {
	if cs.UnitID == "" {
		return "尚未分派承办单位"
	}
	return "现由" + s.unitLabel(cs.UnitID) + "承办"
}

// unitLabel is a unit's name for a message.
func (s *Server) unitLabel(id string) string {
	if u, ok := s.Units.Get(id); ok {
		return u.Name
	}
	return id
}

// scopedSearch runs a search limited to the cases the actor may see: the
// access scope is set here, whatever the caller put in q, so no list, queue,
// count or facet can include a case the person may not open. It first waits
// (briefly) for the person's own last write to reach the index. Every
// handler or page that searches goes through here.
func (s *Server) scopedSearch(c *fiber.Ctx, q search.Query) (search.Result, error) {
	a := actor(c)
	q.Scope = s.Units.Scope(a)
	ctx, cancel := s.ctx(c)
	defer cancel()
	s.awaitOwnWrite(ctx, a.UserID)
	res, err := s.Search.Search(ctx, q)
	if err != nil {
		return res, err
	}
	if res.Items == nil {
		res.Items = []search.Summary{}
	}
	s.maskSummaries(ctx, c, res.Items)
	return res, nil
}
