// tenant.go — Tenant, a handle bound to one distribution value (a tenant).
//
// How a statement is checked before it runs: the handle sends
// EXPLAIN (FORMAT JSON) of the statement with its arguments (a plain EXPLAIN
// contacts no worker), reads the ShaleRemoteScan nodes (plan.go), and accepts
// the statement only when every one is a router statement on one shard and that
// shard holds the tenant's hash range (asked once per shard with
// shale.shard_for, then cached: a shard's range never changes, a split makes new
// shards). Other tenants can share that shard, so the handle also proves, once
// per statement text, that the shard follows the tenant's value: the tenant must
// be one of the arguments, and with that argument replaced by a value on another
// shard the statement must move to that value's shard (tenant_pin.go). A shard of a reference table is accepted for reads only. INSERT goes
// through Insert, which sets the distribution column to the tenant itself,
// because Shale's EXPLAIN of an INSERT does not name a shard. Anything else (a
// multi-shard statement, another tenant's shard, no distributed table, DDL) is
// refused with a *TenantScopeError before it runs. Cost: one extra round trip
// to the router per statement.
package shale

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier is what both the pool and a transaction can run.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Tenant runs statements on one tenant's shard only.
type Tenant struct {
	db    *DB
	value any    // the distribution value as given
	text  string // its text form, as PostgreSQL reads it

	lock   sync.Mutex
	shards map[int64]shardScope // verdicts per shard id
	tables map[string]tableInfo // distribution columns per table name, for Insert
	pins   map[string]int       // statement text -> index of the argument proven to pin it
	probe  any                  // a value of the tenant's type on another shard (tenant_pin.go)
}

type shardScope struct {
	reference  bool // a reference table's shard: every tenant's copy
	holdsValue bool // the shard's hash range holds the tenant's value
}

type tableInfo struct {
	quotedName string
	column     string
	kind       string
}

// Tenant returns a handle bound to the distribution value value. Its text form
// (fmt.Sprint) must be what PostgreSQL reads as the distribution column's type:
// an integer, a string, a UUID string.
func (db *DB) Tenant(value any) *Tenant {
	return &Tenant{db: db, value: value, text: fmt.Sprint(value),
		shards: map[int64]shardScope{}, tables: map[string]tableInfo{}, pins: map[string]int{}}
}

// Value is the tenant's distribution value.
func (t *Tenant) Value() any { return t.value }

// Exec checks and runs one statement outside a transaction.
func (t *Tenant) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := t.check(ctx, t.db, sql, args); err != nil {
		return pgconn.CommandTag{}, err
	}
	return t.db.Exec(ctx, sql, args...)
}

// Query checks and runs a query outside a transaction.
func (t *Tenant) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := t.check(ctx, t.db, sql, args); err != nil {
		return nil, err
	}
	return t.db.Query(ctx, sql, args...)
}

// QueryRow checks and runs a query that returns one row.
func (t *Tenant) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := t.check(ctx, t.db, sql, args); err != nil {
		return typedRow{err: err}
	}
	return t.db.QueryRow(ctx, sql, args...)
}

// Insert inserts one row into a distributed table, with the distribution column
// set to the tenant (leave it out of row, or give the tenant's own value).
func (t *Tenant) Insert(ctx context.Context, table string, row map[string]any) (pgconn.CommandTag, error) {
	sql, args, err := t.insertStatement(ctx, t.db, table, row)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	return t.db.Exec(ctx, sql, args...)
}

// Transaction is DB.Transaction with a TenantTx, whose statements are checked the same way.
func (t *Tenant) Transaction(ctx context.Context, fn func(ctx context.Context, tx *TenantTx) error, options ...TxOption) (TxReport, error) {
	return t.db.Transaction(ctx, func(ctx context.Context, tx pgx.Tx) error {
		return fn(ctx, &TenantTx{tenant: t, tx: tx})
	}, options...)
}

// TenantTx is a transaction of a tenant handle.
type TenantTx struct {
	tenant *Tenant
	tx     pgx.Tx
}

// Exec checks and runs one statement in the transaction.
func (x *TenantTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := x.tenant.check(ctx, x.tx, sql, args); err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := x.tx.Exec(ctx, sql, args...)
	return tag, asError(err)
}

// Query checks and runs a query in the transaction.
func (x *TenantTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := x.tenant.check(ctx, x.tx, sql, args); err != nil {
		return nil, err
	}
	rows, err := x.tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, asError(err)
	}
	return typedRows{rows}, nil
}

// QueryRow checks and runs a query that returns one row, in the transaction.
func (x *TenantTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := x.Query(ctx, sql, args...)
	return typedRow{rows: rows, err: err}
}

// Insert inserts one row for the tenant in the transaction (see Tenant.Insert).
func (x *TenantTx) Insert(ctx context.Context, table string, row map[string]any) (pgconn.CommandTag, error) {
	sql, args, err := x.tenant.insertStatement(ctx, x.tx, table, row)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := x.tx.Exec(ctx, sql, args...)
	return tag, asError(err)
}

// check refuses sql unless it runs on the tenant's shard only (see the file comment).
func (t *Tenant) check(ctx context.Context, q querier, sql string, args []any) error {
	scans, err := t.explain(ctx, q, sql, args)
	if err != nil {
		return err
	}
	if problem := scopeProblem(scans); problem != "" {
		return t.refuse(sql, problem)
	}
	if err := t.learnShards(ctx, q, scans); err != nil {
		return err
	}
	var distributed []remoteScan
	t.lock.Lock()
	for _, scan := range scans {
		scope := t.shards[scan.Shard]
		switch {
		case scope.reference && !isReadOnlyShardSQL(scan.ShardSQL):
			t.lock.Unlock()
			return t.refuse(sql, "a write to a reference table changes every tenant's copy; run it on the DB")
		case !scope.reference && !scope.holdsValue:
			t.lock.Unlock()
			return t.refuse(sql, fmt.Sprintf("the statement runs on shard %d, which does not hold tenant %s", scan.Shard, t.text))
		case !scope.reference:
			distributed = append(distributed, scan)
		}
	}
	t.lock.Unlock()
	if len(distributed) == 0 {
		return nil // reference tables only: every tenant's copy, read
	}
	return t.provePinnedByTenant(ctx, q, sql, args, distributed[0].Shard)
}

// explain returns the ShaleRemoteScan nodes of the statement's plan for these arguments.
func (t *Tenant) explain(ctx context.Context, q querier, sql string, args []any) ([]remoteScan, error) {
	var explained string
	if err := q.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&explained); err != nil {
		if e, ok := asError(err).(*Error); ok && e.SQLState == "42601" {
			return nil, t.refuse(sql, "only SELECT, UPDATE and DELETE run on a tenant handle (EXPLAIN refused the statement: "+e.Message+")")
		}
		return nil, asError(err)
	}
	return remoteScansOfPlan(explained)
}

// learnShards asks the router, once per shard, whether a shard is a reference
// table's or holds the tenant's value.
func (t *Tenant) learnShards(ctx context.Context, q querier, scans []remoteScan) error {
	t.lock.Lock()
	var unknown []int64
	for _, scan := range scans {
		if _, known := t.shards[scan.Shard]; !known {
			unknown = append(unknown, scan.Shard)
		}
	}
	t.lock.Unlock()
	if len(unknown) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `SELECT s.shard_id, t.kind = 'reference', shale.shard_for(s.table_id, $2::text) = s.shard_id
		FROM shale.shard s JOIN shale.tables t ON t.table_name = s.table_id WHERE s.shard_id = ANY($1::bigint[])`, unknown, t.text)
	if err != nil {
		return asError(err)
	}
	defer rows.Close()
	learned := map[int64]shardScope{}
	for rows.Next() {
		var id int64
		var scope shardScope
		if err := rows.Scan(&id, &scope.reference, &scope.holdsValue); err != nil {
			return asError(err)
		}
		learned[id] = scope
	}
	if err := rows.Err(); err != nil {
		return asError(err)
	}
	t.lock.Lock()
	defer t.lock.Unlock()
	for id, scope := range learned {
		t.shards[id] = scope
	}
	return nil
}

// insertStatement builds the INSERT of Tenant.Insert.
func (t *Tenant) insertStatement(ctx context.Context, q querier, table string, row map[string]any) (string, []any, error) {
	info, err := t.tableInfo(ctx, q, table)
	if err != nil {
		return "", nil, err
	}
	if info.kind != "distributed" {
		return "", nil, t.refuse("INSERT INTO "+table, fmt.Sprintf("%s is not a distributed table", table))
	}
	if given, ok := row[info.column]; ok && fmt.Sprint(given) != t.text {
		return "", nil, t.refuse("INSERT INTO "+table, fmt.Sprintf("the row's %s is %v, not the tenant %s", info.column, given, t.text))
	}
	columns := []string{info.column}
	for column := range row {
		if column != info.column {
			columns = append(columns, column)
		}
	}
	sort.Strings(columns[1:])
	args := []any{t.value}
	quoted := []string{quoteIdentifier(info.column)}
	placeholders := []string{"$1"}
	for i, column := range columns[1:] {
		args = append(args, row[column])
		quoted = append(quoted, quoteIdentifier(column))
		placeholders = append(placeholders, fmt.Sprintf("$%d", i+2))
	}
	sql := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", info.quotedName, strings.Join(quoted, ", "), strings.Join(placeholders, ", "))
	return sql, args, nil
}

// tableInfo reads (once) a table's quoted name, kind and distribution column.
func (t *Tenant) tableInfo(ctx context.Context, q querier, table string) (tableInfo, error) {
	t.lock.Lock()
	info, known := t.tables[table]
	t.lock.Unlock()
	if known {
		return info, nil
	}
	var column *string
	err := q.QueryRow(ctx, `SELECT $1::regclass::text, coalesce(t.kind, 'local'), t.distribution_column::text
		FROM (SELECT 1) one LEFT JOIN shale.tables t ON t.table_name = $1::regclass`, table).Scan(&info.quotedName, &info.kind, &column)
	if err != nil {
		return tableInfo{}, asError(err)
	}
	if column != nil {
		info.column = *column
	}
	t.lock.Lock()
	t.tables[table] = info
	t.lock.Unlock()
	return info, nil
}

func (t *Tenant) refuse(sql, reason string) error {
	return &TenantScopeError{Tenant: t.text, Statement: sql, Reason: reason}
}

// quoteIdentifier quotes a column name for SQL.
func quoteIdentifier(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
