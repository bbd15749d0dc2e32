package workflow

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"weiquan"
)

// NoticeStore keeps the units' deadline notices (*store.Store).
type NoticeStore interface {
	// AddNotices files notices; one whose id is already filed is left as
	// it is.
	NoticeSink
	UnitNotices(ctx context.Context, unitIDs []string) ([]weiquan.Notice, error)
	MarkNoticeRead(ctx context.Context, id, by string, at time.Time) (weiquan.Notice, error)
}

// Notices is what officers and supervisors read of the deadline notices
// the sweeper files for their units: "the unit is told".
type Notices struct {
	Store NoticeStore
	Units *Units
	Now   func() time.Time // default time.Now
}

// NoticePage is one page of a unit's notices.
type NoticePage struct {
	Items  []weiquan.Notice `json:"items"`
	Unread int              `json:"unread"` // in the whole list, not just this page
	Total  int              `json:"total"`
	// NextOffset is the offset of the next page, 0 after the last.
	NextOffset int `json:"next_offset"`
}

// Maximum and default page sizes of a notice list.
const (
	DefaultNoticePage = 20
	MaxNoticePage     = 100
)

// noticeUnits is the units whose notices a may read: an officer's own, a
// supervisor's scope. Operators and administrators hold no case, so no
// deadline is theirs to be told about.
func (n *Notices) noticeUnits(a weiquan.Actor) ([]string, error) {
	switch a.Role {
	case weiquan.RoleOfficer, weiquan.RoleSupervisor:
	default:
		return nil, weiquan.Errorf(weiquan.EForbidden, "期限提醒只发给承办单位的办案人员和监督人员，您的角色没有单位通知")
	}
	scope := n.Units.Scope(a)
	if scope == nil {
		for _, u := range n.Units.All() {
			scope = append(scope, u.ID)
		}
	}
	return scope, nil
}

// List returns a page of the notices of the actor's units: unread first,
// then newest first (by when they were filed), offset counted in that order.
func (n *Notices) List(ctx context.Context, a weiquan.Actor, limit, offset int) (NoticePage, error) {
	units, err := n.noticeUnits(a)
	if err != nil {
		return NoticePage{}, err
	}
	all, err := n.Store.UnitNotices(ctx, units)
	if err != nil {
		return NoticePage{}, fmt.Errorf("list notices: %w", err)
	}
	slices.SortFunc(all, func(x, y weiquan.Notice) int {
		if (x.ReadAt == nil) != (y.ReadAt == nil) {
			if x.ReadAt == nil {
				return -1
			}
			return 1
		}
		if c := y.At.Compare(x.At); c != 0 {
			return c
		}
		return cmp.Compare(x.ID, y.ID)
	})
	if limit <= 0 {
		limit = DefaultNoticePage
	}
	limit = min(limit, MaxNoticePage)
	offset = max(offset, 0)
	page := NoticePage{Items: []weiquan.Notice{}, Total: len(all)}
	for _, x := range all {
		if x.ReadAt == nil {
			page.Unread++
		}
	}
	if offset < len(all) {
		end := min(offset+limit, len(all))
		page.Items = all[offset:end]
		if end < len(all) {
			page.NextOffset = end
		}
	}
	return page, nil
}

// MarkRead marks notice id read by the actor, when it belongs to one of
// their units; reading it again changes nothing.
func (n *Notices) MarkRead(ctx context.Context, a weiquan.Actor, id string) (weiquan.Notice, error) {
	units, err := n.noticeUnits(a)
	if err != nil {
		return weiquan.Notice{}, err
	}
	unit := weiquan.NoticeUnit(id)
	if unit == "" {
		return weiquan.Notice{}, weiquan.Errorf(weiquan.ENotFound, "没有这条通知")
	}
	if !slices.Contains(units, unit) {
		return weiquan.Notice{}, weiquan.Errorf(weiquan.EForbidden, "这条通知属于%s，不在您的单位范围内", n.unitName(unit))
	}
	now := time.Now
	if n.Now != nil {
		now = n.Now
	}
	return n.Store.MarkNoticeRead(ctx, id, a.UserID, now())
}

func (n *Notices) unitName(id string) string {
	if u, ok := n.Units.Get(id); ok {
		return u.Name
	}
	return id
}
