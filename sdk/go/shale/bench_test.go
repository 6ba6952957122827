// bench_test.go — the SDK's query path against the bare driver on a real
// cluster (SHALE_TEST_URI): a point select and a one-row update transaction,
// through pgxpool directly and through DB, DB.Transaction and a tenant handle.
// bench/sdk/run.sh runs them and compares.
package shale

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func benchSetup(b *testing.B) (*DB, *pgxpool.Pool) {
	uri := os.Getenv("SHALE_TEST_URI")
	if uri == "" {
		b.Skip("SHALE_TEST_URI is not set")
	}
	ctx := context.Background()
	db, err := Open(ctx, uri, WithMaxConns(2))
	if err != nil {
		b.Fatal(err)
	}
	bare, err := pgxpool.New(ctx, uri)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close(); bare.Close() })
	var exists bool
	if err := db.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM shale.tables WHERE table_name::text = 'go_bench')").Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if !exists {
		for _, sql := range []string{"CREATE TABLE go_bench (id bigint PRIMARY KEY, n bigint NOT NULL)",
			"SELECT shale.distribute_table('go_bench', 'id')", "INSERT INTO go_bench SELECT g, 0 FROM generate_series(1, 100) g"} {
			if _, err := db.Exec(ctx, sql); err != nil {
				b.Fatal(err)
			}
		}
	}
	return db, bare
}

const pointSelect = "SELECT n FROM go_bench WHERE id = $1"
const pointUpdate = "UPDATE go_bench SET n = n + 1 WHERE id = $1"

// paths times several ways of doing the same operation, interleaved in one loop and
// in rotating order (so that the load of a shared machine, and whatever the path
// before leaves behind, falls on all of them alike), and reports
// each one's mean as a metric "<name>-us/op".
func paths(b *testing.B, names []string, run func(path, i int) error) {
	total := make([]time.Duration, len(names))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range names {
			path := (i + k) % len(names) // each path takes each place in the order equally often
			started := time.Now()
			if err := run(path, i); err != nil {
				b.Fatal(err)
			}
			total[path] += time.Since(started)
		}
	}
	for path, name := range names {
		b.ReportMetric(float64(total[path].Microseconds())/float64(b.N), name+"-us/op")
	}
}

// BenchmarkPointSelect: bare pgx, DB.QueryRow and Tenant.QueryRow.
func BenchmarkPointSelect(b *testing.B) {
	db, bare := benchSetup(b)
	ctx := context.Background()
	tenant := db.Tenant(int64(7))
	var n int64
	paths(b, []string{"bare", "sdk", "tenant"}, func(path, i int) error {
		switch path {
		case 0:
			return bare.QueryRow(ctx, pointSelect, int64(i%100+1)).Scan(&n)
		case 1:
			return db.QueryRow(ctx, pointSelect, int64(i%100+1)).Scan(&n)
		}
		return tenant.QueryRow(ctx, pointSelect, int64(7)).Scan(&n)
	})
}

// BenchmarkUpdateTransaction: pgx.BeginFunc on the bare pool and DB.Transaction.
func BenchmarkUpdateTransaction(b *testing.B) {
	db, bare := benchSetup(b)
	ctx := context.Background()
	paths(b, []string{"bare", "sdk"}, func(path, i int) error {
		if path == 0 {
			return pgx.BeginFunc(ctx, bare, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, pointUpdate, int64(i%100+1))
				return err
			})
		}
		_, err := db.Transaction(ctx, func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, pointUpdate, int64(i%100+1))
			return err
		})
		return err
	})
}
