// bench_test.go — the SDK's query path against the bare driver on a real
// cluster (SHALE_TEST_URI): a point select and a one-row update transaction,
// through pgxpool directly and through DB, DB.Transaction and a tenant handle.
// bench/sdk/run.sh runs them and compares.
package shale

import (
	"context"
	"os"
	"testing"

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

func BenchmarkPointSelectBarePgx(b *testing.B) {
	_, bare := benchSetup(b)
	ctx := context.Background()
	var n int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := bare.QueryRow(ctx, pointSelect, int64(i%100+1)).Scan(&n); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPointSelectSDK(b *testing.B) {
	db, _ := benchSetup(b)
	ctx := context.Background()
	var n int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := db.QueryRow(ctx, pointSelect, int64(i%100+1)).Scan(&n); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPointSelectTenantHandle(b *testing.B) {
	db, _ := benchSetup(b)
	ctx := context.Background()
	tenant := db.Tenant(int64(7))
	var n int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := tenant.QueryRow(ctx, pointSelect, int64(7)).Scan(&n); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdateTransactionBarePgx(b *testing.B) {
	_, bare := benchSetup(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := pgx.BeginFunc(ctx, bare, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, pointUpdate, int64(i%100+1))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdateTransactionSDK(b *testing.B) {
	db, _ := benchSetup(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, err := db.Transaction(ctx, func(ctx context.Context, tx pgx.Tx) error {
			_, err := tx.Exec(ctx, pointUpdate, int64(i%100+1))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
