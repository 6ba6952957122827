// plan_test.go — unit tests of the EXPLAIN reader (plan.go) on plans captured
// from a real cluster (sdk/testdata/explain/*.json).
package shale

import (
	"os"
	"strings"
	"testing"
)

func scansOf(t *testing.T, file string) []remoteScan {
	t.Helper()
	data, err := os.ReadFile("../../testdata/explain/" + file)
	if err != nil {
		t.Fatal(err)
	}
	scans, err := remoteScansOfPlan(string(data))
	if err != nil {
		t.Fatal(err)
	}
	return scans
}

func TestRouterSelectIsPinned(t *testing.T) {
	scans := scansOf(t, "router_select.json")
	if len(scans) != 1 || scans[0].Shard != 102030 || scans[0].Distributed != "router (one shard)" {
		t.Fatalf("got %+v", scans)
	}
	if problem := scopeProblem(scans); problem != "" {
		t.Fatalf("refused: %s", problem)
	}
	if !isReadOnlyShardSQL(scans[0].ShardSQL) {
		t.Fatalf("a SELECT is a read")
	}
}

func TestRefusals(t *testing.T) {
	for file, want := range map[string]string{
		"multi_shard.json": "runs on 2 shards",
		"outer_join.json":  "runs on 1 shards (every shard)",
		"insert.json":      "Insert(table, row)",
		"no_table.json":    "no distributed or reference table",
	} {
		problem := scopeProblem(scansOf(t, file))
		if !strings.Contains(problem, want) {
			t.Errorf("%s: got %q, want it to contain %q", file, problem, want)
		}
	}
}

func TestWritesAreNotReads(t *testing.T) {
	for _, sql := range []string{"UPDATE public.currencies SET name = 'a'", "DELETE FROM x", "WITH d AS (DELETE FROM x) SELECT 1", ""} {
		if isReadOnlyShardSQL(sql) {
			t.Errorf("%q taken for a read", sql)
		}
	}
}

func TestBadExplainOutput(t *testing.T) {
	if _, err := remoteScansOfPlan("not json"); err == nil {
		t.Fatal("no error for bad input")
	}
}
