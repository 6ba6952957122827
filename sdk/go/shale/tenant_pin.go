// tenant_pin.go — the second half of a tenant handle's check: that a statement's
// shard follows the tenant's value, not just happens to hold it. Tenants share
// shards (a hash range holds many values), so a statement pinned by another
// tenant's value on the same shard passes the shard check. The proof: the tenant
// is one of the arguments, and when that argument is replaced by a probe value
// that lives on another shard, EXPLAIN puts every distributed table of the
// statement on the probe's shards. Then the argument is what pins the statement;
// that is a property of the statement text, so it is proven once and cached.
package shale

import (
	"context"
	"fmt"
	"strconv"
)

// provePinnedByTenant refuses sql unless one of its arguments, equal to the
// tenant, pins every distributed table in it. shard is one of its shards now.
func (t *Tenant) provePinnedByTenant(ctx context.Context, q querier, sql string, args []any, shard int64) error {
	t.lock.Lock()
	index, proven := t.pins[sql]
	t.lock.Unlock()
	if proven && index < len(args) && fmt.Sprint(args[index]) == t.text {
		return nil
	}
	var candidates []int
	for i, arg := range args {
		if fmt.Sprint(arg) == t.text {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) == 0 {
		return t.refuse(sql, fmt.Sprintf("pass the tenant (%s) as a parameter ($n) of the condition on the distribution column: "+
			"other tenants share its shard, so only a parameter shows that the statement follows the tenant", t.text))
	}
	probe, err := t.probeValue(ctx, q, shard)
	if err != nil {
		return err
	}
	for _, i := range candidates {
		probed := append([]any(nil), args...)
		probed[i] = probe
		if follows, err := t.followsProbe(ctx, q, sql, probed, probe); err != nil {
			return err
		} else if follows {
			t.lock.Lock()
			t.pins[sql] = i
			t.lock.Unlock()
			return nil
		}
	}
	return t.refuse(sql, "the statement's conditions on the distribution column do not all follow the tenant's parameter "+
		"(another value pins it, or it is not pinned by a parameter)")
}

// followsProbe reports whether, with the probe in place of the tenant, the
// statement still runs on one shard per table and every distributed one holds the probe.
func (t *Tenant) followsProbe(ctx context.Context, q querier, sql string, probed []any, probe any) (bool, error) {
	scans, err := t.explain(ctx, q, sql, probed)
	if err != nil || scopeProblem(scans) != "" {
		return false, nil // a plan that is no longer pinned: the tenant's argument was not the pin
	}
	shards := make([]int64, 0, len(scans))
	for _, scan := range scans {
		shards = append(shards, scan.Shard)
	}
	var follows *bool
	err = q.QueryRow(ctx, `SELECT bool_and(shale.shard_for(s.table_id, $2::text) = s.shard_id)
		FROM shale.shard s JOIN shale.tables t ON t.table_name = s.table_id
		WHERE s.shard_id = ANY($1::bigint[]) AND t.kind = 'distributed'`, shards, fmt.Sprint(probe)).Scan(&follows)
	if err != nil {
		return false, asError(err)
	}
	return follows != nil && *follows, nil
}

// probeValue returns (and keeps) a value of the tenant's own Go type whose
// shard, for the table of shard, is another one.
func (t *Tenant) probeValue(ctx context.Context, q querier, shard int64) (any, error) {
	t.lock.Lock()
	probe := t.probe
	t.lock.Unlock()
	if probe != nil {
		return probe, nil
	}
	candidates, values := probeCandidates(t.value)
	if candidates == nil {
		return nil, t.refuse("", fmt.Sprintf("a tenant value of type %T cannot be checked; use an integer or a string", t.value))
	}
	var found *int
	err := q.QueryRow(ctx, `SELECT min(c.i)::int FROM unnest($2::text[]) WITH ORDINALITY c(v, i)
		WHERE shale.shard_for((SELECT table_id FROM shale.shard WHERE shard_id = $1), c.v) <> $1`, shard, candidates).Scan(&found)
	if err != nil {
		return nil, asError(err)
	}
	if found == nil {
		return nil, t.refuse("", "no other value of the tenant's type lives on another shard (a table with one shard?)")
	}
	probe = values[*found-1]
	t.lock.Lock()
	t.probe = probe
	t.lock.Unlock()
	return probe, nil
}

// probeCandidates returns values near the tenant's, as text and as the tenant's
// own Go type (nil for types it cannot make).
func probeCandidates(value any) ([]string, []any) {
	var texts []string
	var values []any
	for i := 1; i <= 64; i++ {
		var v any
		switch tenant := value.(type) {
		case int:
			v = tenant + i
		case int32:
			v = tenant + int32(i)
		case int64:
			v = tenant + int64(i)
		case string:
			v = tenant + "~probe" + strconv.Itoa(i)
		default:
			return nil, nil
		}
		texts = append(texts, fmt.Sprint(v))
		values = append(values, v)
	}
	return texts, values
}
