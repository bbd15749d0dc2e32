package workflow

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"weiquan"
)

// AuditConsumer is the actor and role of the audit entries of consumers,
// who have no account: their address tells them apart.
const AuditConsumer = "consumer"

// Auditor appends to the audit trail (store.Store.InsertAudit). Intake and
// the Engine record every change they make through it; nil records nothing
// (tests of the state machine alone).
type Auditor interface {
	InsertAudit(ctx context.Context, e *weiquan.AuditEntry) error
}

// auditRecord appends one entry. The change it describes is already saved, so a
// failure to record it cannot undo it: it is logged as an error for the
// operators of the service to act on, and the person's request succeeds.
func auditRecord(ctx context.Context, a Auditor, actor weiquan.Actor, caseID, action, detail string, at time.Time) {
	if a == nil {
		return
	}
	e := &weiquan.AuditEntry{At: at, ActorID: actorName(actor), Role: actor.Role, Address: actor.Address,
		CaseID: caseID, Action: action, Detail: detail}
	if actor.UserID == "" && actor.Role == "" && actor.Address != "" {
		// No account and a client address: a consumer filing online.
		e.ActorID, e.Role = AuditConsumer, AuditConsumer
	}
	// The request may have been cancelled the moment the case was saved;
	// the trail is written regardless.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := a.InsertAudit(ctx, e); err != nil {
		slog.Error("audit trail: recording a change failed", "case", caseID, "action", action, "err", err)
	}
}

// auditEvents records the events that a saved change appended to a case
// (an action can append more than one: escalating re-routes), each with
// the status it moved the case between and the unit that holds it. Notes
// are left out: they are free text and may quote personal information.
func auditEvents(ctx context.Context, a Auditor, actor weiquan.Actor, prev, next *weiquan.Case) {
	if a == nil {
		return
	}
	for _, ev := range next.Events[min(len(prev.Events), len(next.Events)):] {
		auditRecord(ctx, a, actor, next.ID, ev.Type, auditDetail(ev, prev, next), ev.At)
	}
}

func auditDetail(ev weiquan.Event, prev, next *weiquan.Case) string {
	var parts []string
	if ev.From != "" || ev.To != "" {
		if ev.From == ev.To {
			parts = append(parts, "状态 "+string(ev.To))
		} else {
			parts = append(parts, fmt.Sprintf("状态 %s → %s", orDash(string(ev.From)), ev.To))
		}
	}
	if prev.UnitID != next.UnitID {
		parts = append(parts, fmt.Sprintf("承办单位 %s → %s", orDash(prev.UnitID), orDash(next.UnitID)))
	} else if next.UnitID != "" {
		parts = append(parts, "承办单位 "+next.UnitID)
	}
	return strings.Join(parts, "；")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
