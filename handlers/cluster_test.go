package handlers_test

import (
	"slices"
	"testing"
	"time"

	"weiquan/workflow"
)

func TestClusterFlag(t *testing.T) {
	e := newEnv(t)
	op := e.login("op1")
	flags := func(uscc string) []string {
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
		var out []string
		for _, f := range r.json(t)["flags"].([]any) {
			out = append(out, f.(string))
		}
		return out
	}
	for i := 1; i < workflow.ClusterSize; i++ {
		if got := flags("91350203MA2YJ6QX1Y"); slices.Contains(got, workflow.FlagCluster) {
			t.Fatalf("complaint %d flagged as a cluster already", i)
		}
	}
	if got := flags("91350203MA2YJ6QX1Y"); !slices.Contains(got, workflow.FlagCluster) {
		t.Errorf("complaint %d against one respondent within a week: flags %v, want cluster", workflow.ClusterSize, got)
	}
	if got := flags("91350100M000100Y43"); slices.Contains(got, workflow.FlagCluster) {
		t.Errorf("a complaint against another respondent was flagged: %v", got)
	}
	// A week later the earlier complaints no longer count.
	e.clock.Add(8 * 24 * time.Hour)
	op = e.login("op1")
	if got := flags("91350203MA2YJ6QX1Y"); slices.Contains(got, workflow.FlagCluster) {
		t.Errorf("after a week: flags %v", got)
	}
}
