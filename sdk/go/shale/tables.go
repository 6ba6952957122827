// tables.go — helpers for the SQL functions that turn tables into distributed
// and reference tables (docs/sql-reference.md, "Functions: tables").
package shale

import "context"

// DistributeOption changes DistributeTable.
type DistributeOption func(*distributeConfig)

type distributeConfig struct {
	shardCount   int
	colocateWith *string
}

// ShardCount sets the number of shards (1-4096; default 32).
func ShardCount(n int) DistributeOption { return func(c *distributeConfig) { c.shardCount = n } }

// ColocateWith puts the table in the colocation group of another distributed table.
func ColocateWith(table string) DistributeOption {
	return func(c *distributeConfig) { c.colocateWith = &table }
}

// DistributeTable runs shale.distribute_table: the table's rows spread over
// shards by the hash of column.
func (db *DB) DistributeTable(ctx context.Context, table, column string, options ...DistributeOption) error {
	config := distributeConfig{shardCount: 32}
	for _, option := range options {
		option(&config)
	}
	_, err := db.Exec(ctx, "SELECT shale.distribute_table($1::regclass, $2::text, shard_count => $3::int, colocate_with => $4::regclass)",
		table, column, config.shardCount, config.colocateWith)
	return err
}

// MakeReferenceTable runs shale.make_reference_table: a full copy of the table in every worker group.
func (db *DB) MakeReferenceTable(ctx context.Context, table string) error {
	_, err := db.Exec(ctx, "SELECT shale.make_reference_table($1::regclass)", table)
	return err
}
