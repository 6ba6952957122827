// plan.go — reads Shale's distributed plan from EXPLAIN (FORMAT JSON): every
// ShaleRemoteScan node with its "Distributed" path, its "Shard" (known at
// planning time for a router statement with constants or bound parameters) and
// its "Shard SQL". Pure functions; tenant.go decides with them.
package shale

import (
	"encoding/json"
	"fmt"
	"strings"
)

// remoteScan is one ShaleRemoteScan node of a plan.
type remoteScan struct {
	Distributed string // "router (one shard)", "every shard", "insert (rows routed to their shards)"
	Shard       int64  // 0 when the plan does not name one
	Shards      int    // for "every shard": how many shards pruning kept
	ShardSQL    string
}

type planNode struct {
	Provider    string     `json:"Custom Plan Provider"`
	Distributed string     `json:"Distributed"`
	Shard       int64      `json:"Shard"`
	Shards      int        `json:"Shards"`
	ShardSQL    string     `json:"Shard SQL"`
	Plans       []planNode `json:"Plans"`
}

// remoteScansOfPlan returns the ShaleRemoteScan nodes of an EXPLAIN (FORMAT JSON) result.
func remoteScansOfPlan(explainJSON string) ([]remoteScan, error) {
	var top []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(explainJSON), &top); err != nil {
		return nil, fmt.Errorf("shale: cannot read EXPLAIN output: %w", err)
	}
	var scans []remoteScan
	var walk func(node planNode)
	walk = func(node planNode) {
		if node.Provider == "ShaleRemoteScan" {
			scans = append(scans, remoteScan{Distributed: node.Distributed, Shard: node.Shard, Shards: node.Shards,
				ShardSQL: strings.TrimSpace(node.ShardSQL)})
		}
		for _, child := range node.Plans {
			walk(child)
		}
	}
	for _, entry := range top {
		walk(entry.Plan)
	}
	return scans, nil
}

// scopeProblem returns why a statement with these remote scans cannot run on a
// tenant handle whatever its shard, or "" when it is pinned to one shard per scan.
func scopeProblem(scans []remoteScan) string {
	if len(scans) == 0 {
		return "the statement uses no distributed or reference table; run it on the DB, not on a tenant handle"
	}
	for _, scan := range scans {
		switch {
		case strings.HasPrefix(scan.Distributed, "insert"):
			return "an INSERT on a tenant handle goes through Insert(table, row), which sets the distribution column itself"
		case scan.Distributed != "router (one shard)":
			return fmt.Sprintf("the statement runs on %d shards (%s), not on the tenant's shard alone; "+
				"add a condition on the distribution column (= the tenant)", scan.Shards, scan.Distributed)
		case scan.Shard == 0:
			return "the plan does not name the statement's shard"
		}
	}
	return ""
}

// isReadOnlyShardSQL reports whether a pinned statement only reads: its shard SQL
// is a SELECT (a WITH statement counts as a write, to be safe).
func isReadOnlyShardSQL(shardSQL string) bool {
	fields := strings.Fields(shardSQL)
	return len(fields) > 0 && strings.EqualFold(fields[0], "SELECT")
}
