package handlers_test

import (
	"fmt"
	"strings"
	"testing"

	"weiquan/workflow"
)

// TestClusterFlagsEarlierComplaints: when the fifth complaint against one
// respondent within a week makes a cluster, the earlier open ones are
// flagged too, each with one internal event; a closed one is not; later
// complaints flag themselves and add nothing to the earlier ones.
func TestClusterFlagsEarlierComplaints(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	off := e.login("off1") // amr-350203, the respondent's county (思明区)
	const uscc = "91350203MA2YJ6QX1Y"
	register := func() string {
		t.Helper()
		body := validComplaint()
		body["respondent"].(map[string]any)["uscc"] = uscc
		r := e.do("POST", "/api/v1/cases", op, body)
		if r.status != 201 {
			t.Fatalf("intake: %d %s", r.status, r.body)
		}
		// A list waits until the index holds this operator's last write.
		if l := e.do("GET", "/api/v1/cases?page_size=1", op, nil); l.status != 200 {
			t.Fatalf("list: %d", l.status)
		}
		return r.json(t)["id"].(string)
	}
	type seen struct {
		status  string
		flagged bool
		events  int // cluster_flagged events
	}
	look := func(id string) seen {
		t.Helper()
		r := e.do("GET", "/api/v1/cases/"+id, op, nil)
		if r.status != 200 {
			t.Fatalf("get %s: %d %s", id, r.status, r.body)
		}
		m := r.json(t)
		var s seen
		s.status, _ = m["status"].(string)
		for _, f := range m["flags"].([]any) {
			s.flagged = s.flagged || f == workflow.FlagCluster
		}
		for _, ev := range m["events"].([]any) {
			ev := ev.(map[string]any)
			if ev["type"] == workflow.EventClusterFlagged {
				s.events++
				if ev["public"] == true {
					t.Errorf("case %s: the cluster event is shown to the complainant", id)
				}
			}
		}
		return s
	}

	var ids []string
	for range workflow.ClusterSize - 1 {
		ids = append(ids, register())
	}
	// The first one is rejected: a closed complaint is not flagged later.
	first := e.do("GET", "/api/v1/cases/"+ids[0], off, nil).json(t)
	if r := e.do("POST", "/api/v1/cases/"+ids[0]+"/actions/reject", off, map[string]any{
		"version": first["version"], "ground": "not_consumer_dispute", "note": "非生活消费"}); r.status != 200 {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	for _, id := range ids {
		if s := look(id); s.flagged || s.events != 0 {
			t.Fatalf("case %s flagged before a cluster formed: %+v", id, s)
		}
	}

	fifth := register()
	ids = append(ids, fifth)
	sixth := register()
	ids = append(ids, sixth)
	for i, id := range ids {
		s := look(id)
		want := seen{status: s.status, flagged: true, events: 1}
		if i == 0 {
			want = seen{status: "closed"}
		}
		if s != want {
			t.Errorf("complaint %d (%s): got %+v, want %+v", i+1, id, s, want)
		}
	}
	// Another respondent's complaints are untouched.
	other := validComplaint()
	other["respondent"].(map[string]any)["uscc"] = "91350100M000100Y43"
	r := e.do("POST", "/api/v1/cases", op, other)
	if r.status != 201 || strings.Contains(fmt.Sprint(r.json(t)["flags"]), workflow.FlagCluster) {
		t.Errorf("another respondent: %d %s", r.status, r.body)
	}
}
