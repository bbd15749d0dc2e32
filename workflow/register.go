package workflow

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"weiquan"
)

// NewCaseStore is what registration needs from the system of record: it
// numbers a case from the day of its CreatedAt and stores it durably.
type NewCaseStore interface {
	InsertNewCase(ctx context.Context, c *weiquan.Case) error
}

// Intake registers validated cases.
type Intake struct {
	Store NewCaseStore
	Now   func() time.Time
	// Engine, when set, routes each case as soon as it is registered, so a
	// complaint logged by an operator is with its unit before the call ends.
	Engine *Engine
	// Clusters, when set, counts recent complaints against a respondent so a
	// new one that makes a cluster is flagged for enforcement.
	Clusters ClusterCounter
	// Keys seal a complainant's ID number before the case is stored; a
	// draft carrying one is refused without them (pii.go).
	Keys *weiquan.KeyRing
	// Audit records each registration in the audit trail (audit.go).
	Audit Auditor

	recent clusterMemo // the last complaint registered per respondent (cluster.go)
}

// ClusterCounter counts the complaints against a respondent (by credit
// code, else name) created since a time, and lists the open ones, newest
// first, at most limit (their case numbers), so that the earlier complaints
// of a cluster are flagged too (cluster.go).
type ClusterCounter interface {
	CountRespondentComplaints(ctx context.Context, uscc, name string, since time.Time) (int, error)
	RecentRespondentComplaints(ctx context.Context, uscc, name string, since time.Time, limit int) ([]string, error)
	// WaitForVersion returns once the counts include case id at version
	// (or ctx ends).
	WaitForVersion(ctx context.Context, id string, version int64) error
}

// A respondent with ClusterSize complaints (this one included) within
// ClusterWindow is a cluster (群体性投诉): many consumers hurt the same way
// call for enforcement, not one mediation at a time.
const (
	ClusterSize   = 5
	ClusterWindow = 7 * 24 * time.Hour
	FlagCluster   = "cluster"
)

// Register numbers a validated draft, records its first event and stores it.
// The returned case is exactly what a later read returns.
func (in *Intake) Register(ctx context.Context, actor weiquan.Actor, draft weiquan.Case) (*weiquan.Case, error) {
	return in.RegisterAt(ctx, actor, draft, in.Now())
}

// RegisterAt registers a case as received at a given time: for imports and
// synthetic data whose cases arrived in the past.
func (in *Intake) RegisterAt(ctx context.Context, actor weiquan.Actor, draft weiquan.Case, at time.Time) (*weiquan.Case, error) {
	now := weiquan.InShanghai(at)
	c := draft
	c.ID = ""
	if c.Complainant.IDNumber != "" {
		if in.Keys == nil {
			return nil, weiquan.WrapError(weiquan.EUnavailable, "身份证号加密密钥未配置，暂时无法登记身份证号",
				fmt.Errorf("register case: an ID number and no key ring"))
		}
		// From here on only the sealed and masked forms exist: where the
		// number was also typed into the text, it is stored masked.
		id := []string{c.Complainant.IDNumber}
		c.Title, c.Description = weiquan.ScrubPII(c.Title, id, nil), weiquan.ScrubPII(c.Description, id, nil)
		if err := in.Keys.SealIDNumber(&c.Complainant); err != nil {
			return nil, fmt.Errorf("register case: %w", err)
		}
	}
	c.UnitTrail = nil // a draft brings no history; routing starts the trail
	c.Version = 1
	c.Status = weiquan.StatusRegistered
	c.Outcome = weiquan.OutcomeNone
	c.Source.Type = sourceType(c.Channel)
	c.Source.OperatorID = actor.UserID
	if c.Demands == nil {
		c.Demands = []string{}
	}
	c.Links, c.Alerts, c.Flags, c.Messages = []weiquan.Link{}, []weiquan.Alert{}, []string{}, []weiquan.Message{}
	c.Events = []weiquan.Event{{
		Seq: 1, At: now, Actor: actorName(actor), Type: weiquan.EventRegistered,
		To: weiquan.StatusRegistered, Public: true, Note: registeredNote(c),
	}}
	c.CreatedAt, c.UpdatedAt = now, now
	if in.Clusters != nil && c.Kind == weiquan.KindComplaint && (c.Respondent.USCC != "" || c.Respondent.Name != "") {
		in.awaitPrevious(ctx, c.Respondent)
		n, err := in.Clusters.CountRespondentComplaints(ctx, c.Respondent.USCC, c.Respondent.Name, now.Add(-ClusterWindow))
		switch {
		case err != nil:
			// A signal for people, not a condition of registering.
			slog.Warn("counting complaints against the respondent failed", "err", err)
		case n+1 >= ClusterSize:
			raiseCluster(&c, n+1, now)
		}
	}
	if in.Engine != nil && in.Engine.Owe != nil {
		c.Messages = append(c.Messages, in.Engine.Owe(&c, weiquan.EventRegistered, now)...)
	}
	if in.Engine != nil {
		// Route before the first write, so registration and routing cost one
		// durable write, not two.
		routed, err := in.Engine.route(ctx, &c, now)
		if err != nil {
			// Register anyway: the dispatcher places what routing could not.
			slog.Warn("routing a new case failed; it waits for the dispatcher", "err", err)
		} else {
			c = *routed
		}
	}
	c.NoteUnit(nil)
	if err := in.Store.InsertNewCase(ctx, &c); err != nil {
		return nil, fmt.Errorf("register case: %w", err)
	}
	auditRecord(ctx, in.Audit, actor, c.ID, weiquan.AuditCaseCreated,
		fmt.Sprintf("%s；状态 %s；承办单位 %s", registeredNote(c), c.Status, orDash(c.UnitID)), now)
	in.flagEarlier(ctx, &c, now)
	return &c, nil
}

func sourceType(ch weiquan.Channel) string {
	switch {
	case ch.IsHotline():
		return "hotline"
	case ch == weiquan.ChannelWeb:
		return "web"
	default:
		return "api"
	}
}

func actorName(a weiquan.Actor) string {
	if a.UserID == "" {
		return "system"
	}
	return a.UserID
}

func registeredNote(c weiquan.Case) string {
	kind, _ := weiquan.Lookup(weiquan.Vocabulary.Kinds, string(c.Kind))
	ch, _ := weiquan.Lookup(weiquan.Vocabulary.Channels, string(c.Channel))
	return fmt.Sprintf("%s已登记（%s）", kind.Label, ch.Label)
}
