package workflow

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"weiquan"
)

// EventClusterFlagged is the internal event recorded on every complaint the
// cluster flag is raised on.
const EventClusterFlagged = "cluster_flagged"

// clusterRecheck bounds how many of a respondent's most recent open
// complaints a registration looks at when it raises the cluster flag on the
// earlier ones. Each registration that is part of a cluster flags the ones
// before it, so only those registered since the previous such registration
// can still lack the flag: a few, unless registrations race. Twice the
// cluster size covers the cluster forming (the earlier ClusterSize-1) and
// near-simultaneous registrations, while a respondent with hundreds of
// complaints a week costs each new one a bounded number of reads.
const clusterRecheck = 2 * ClusterSize

// clusterRetries bounds the re-reads of a complaint whose save lost to
// another writer while the flag was being raised on it.
const clusterRetries = 3

// clusterNote is the event's text: for the people who see the case, saying
// why it is flagged and what the flag asks of them.
func clusterNote(n int) string {
	return fmt.Sprintf("该经营者 %d 日内被投诉 %d 件以上（本件在内），已标记为群体性投诉，请关注是否需要立案查处",
		int(ClusterWindow/(24*time.Hour)), n)
}

// raiseCluster marks c (not yet stored) as part of a cluster: the flag and
// its event, once.
func raiseCluster(c *weiquan.Case, n int, now time.Time) bool {
	if slices.Contains(c.Flags, FlagCluster) {
		return false
	}
	c.Flags = append(c.Flags, FlagCluster)
	machineAppendEvent(c, weiquan.Event{At: now, Actor: SystemActor.UserID, Type: EventClusterFlagged,
		Public: false, Note: clusterNote(n)})
	return true
}

// flagEarlier raises the cluster flag on the respondent's earlier open
// complaints of the window once c, just stored, belongs to a cluster.
//
// It runs at intake, right after the insert, rather than in the deadline
// sweeper: the cluster forms at the moment of a registration, so that is
// when the officers holding the earlier complaints should learn of it, not
// up to a sweep interval later; and only a registration against a
// respondent in a cluster pays anything (one index query and a few reads by
// number), where a sweeper would have to look at every respondent's recent
// complaints on every tick. The candidates come from the search index;
// whether one still lacks the flag is judged on the stored case, which the
// index does not carry.
//
// It never fails the registration, which is already stored: a problem is
// logged, and the next complaint against the respondent tries again.
func (in *Intake) flagEarlier(ctx context.Context, c *weiquan.Case, now time.Time) {
	if in.Clusters != nil && c.Kind == weiquan.KindComplaint {
		in.recent.note(c)
	}
	if in.Clusters == nil || in.Engine == nil || !slices.Contains(c.Flags, FlagCluster) {
		return
	}
	ids, err := in.Clusters.RecentRespondentComplaints(ctx, c.Respondent.USCC, c.Respondent.Name,
		now.Add(-ClusterWindow), clusterRecheck)
	if err != nil {
		slog.Warn("finding the earlier complaints of a cluster failed", "case", c.ID, "err", err)
		return
	}
	n := len(ids)
	if !slices.Contains(ids, c.ID) {
		n++ // the index may not hold the new case yet
	}
	for _, id := range ids {
		if id == c.ID {
			continue
		}
		if err := in.flagStored(ctx, id, max(n, ClusterSize), now); err != nil {
			slog.Warn("raising the cluster flag on an earlier complaint failed", "case", id, "err", err)
		}
	}
}

// flagStored raises the flag on stored case id unless it has it, is closed
// (the index may lag behind a closure) or is no complaint.
func (in *Intake) flagStored(ctx context.Context, id string, n int, now time.Time) error {
	st := in.Engine.Store
	for range clusterRetries {
		cur, err := st.GetCase(ctx, id)
		if err != nil {
			return err
		}
		if cur.Kind != weiquan.KindComplaint || cur.Status == weiquan.StatusClosed || slices.Contains(cur.Flags, FlagCluster) {
			return nil
		}
		next := machineClone(cur)
		raiseCluster(next, n, now)
		next.UpdatedAt = now
		err = st.SaveCase(ctx, next, cur.Version)
		if err == nil {
			auditEvents(ctx, in.Audit, SystemActor, cur, next)
		}
		if weiquan.ErrorCode(err) != weiquan.EConflict {
			return err
		}
	}
	return fmt.Errorf("cluster flag on case %s: still changing after %d attempts", id, clusterRetries)
}

// clusterWait bounds how long a registration waits for the index to hold
// the previous complaint against the same respondent. The index is
// normally a few milliseconds behind; when intake outruns it (a sustained
// peak), a registration gives up rather than keep a caller waiting, and a
// later complaint against the respondent flags the ones before it.
const clusterWait = 100 * time.Millisecond

// clusterMemoMax bounds the respondents remembered; past it the memo
// starts over (a wait is then skipped, never wrong).
const clusterMemoMax = 10000

// clusterMemo remembers, per respondent, the last complaint this process
// registered against it. The counts come from the search index, which
// follows the store a moment behind: complaints against one respondent
// registered in quick succession (an operator logging five calls about the
// same shop, a batch from an integration) would each count without the one
// before, and no fifth would ever make a cluster. So a registration waits,
// briefly, until the index holds the previous complaint against its
// respondent — and, the index applying the store's writes in order, every
// earlier one. Registrations against other respondents never wait.
type clusterMemo struct {
	mu   sync.Mutex
	last map[string]caseAt
}

type caseAt struct {
	id      string
	version int64
}

func respondentKey(r weiquan.Respondent) string {
	if r.USCC != "" {
		return "uscc:" + r.USCC
	}
	return "name:" + r.Name
}

func (m *clusterMemo) note(c *weiquan.Case) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil || len(m.last) >= clusterMemoMax {
		m.last = map[string]caseAt{}
	}
	m.last[respondentKey(c.Respondent)] = caseAt{id: c.ID, version: c.Version}
}

func (m *clusterMemo) previous(r weiquan.Respondent) (caseAt, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.last[respondentKey(r)]
	return p, ok
}

// awaitPrevious waits (at most clusterWait) until the index counts the
// last complaint this process registered against r.
func (in *Intake) awaitPrevious(ctx context.Context, r weiquan.Respondent) {
	p, ok := in.recent.previous(r)
	if !ok {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, clusterWait)
	defer cancel()
	if err := in.Clusters.WaitForVersion(wctx, p.id, p.version); err != nil && ctx.Err() == nil {
		slog.Warn("the search index is behind: the cluster count may miss the last complaints", "err", err)
	}
}
