// integration_test.go — tests against a real Shale cluster: the URI comes from
// SHALE_TEST_URI (test/e2e/sdks.sh starts a cluster and sets it); without it
// these tests are skipped. Tables are prefixed go_ so that the SDKs' tests can
// share one cluster.
package shale

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func openTestDB(t *testing.T) *DB {
	t.Helper()
	uri := os.Getenv("SHALE_TEST_URI")
	if uri == "" {
		t.Skip("SHALE_TEST_URI is not set")
	}
	db, err := Open(context.Background(), uri, WithMaxConns(4))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

func mustExec(t *testing.T, db *DB, sql string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// setupTenantTables makes go_projects (distributed by org_id) and go_plans (reference).
func setupTenantTables(t *testing.T, db *DB) {
	ctx := context.Background()
	mustExec(t, db, "DROP TABLE IF EXISTS go_projects, go_plans")
	mustExec(t, db, "CREATE TABLE go_projects (org_id bigint NOT NULL, id bigint NOT NULL, name text, PRIMARY KEY (org_id, id))")
	mustExec(t, db, "CREATE TABLE go_plans (code text PRIMARY KEY, max_projects int)")
	if err := db.DistributeTable(ctx, "go_projects", "org_id", ShardCount(8)); err != nil {
		t.Fatal(err)
	}
	if err := db.MakeReferenceTable(ctx, "go_plans"); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "INSERT INTO go_plans VALUES ('free', 3)")
}

func TestHelpersRegisterTables(t *testing.T) {
	db := openTestDB(t)
	setupTenantTables(t, db)
	var kinds string
	err := db.QueryRow(context.Background(), `SELECT string_agg(table_name::text || ':' || kind, ',' ORDER BY table_name::text)
		FROM shale.tables WHERE table_name::text IN ('go_projects', 'go_plans')`).Scan(&kinds)
	if err != nil || kinds != "go_plans:reference,go_projects:distributed" {
		t.Fatalf("got %q, %v", kinds, err)
	}
	err = db.DistributeTable(context.Background(), "go_projects", "org_id")
	if err == nil {
		t.Fatal("distributing a distributed table again succeeded")
	}
}

func TestTenantHandleStaysOnItsShard(t *testing.T) {
	db := openTestDB(t)
	setupTenantTables(t, db)
	ctx := context.Background()
	acme, globex := db.Tenant(int64(1)), db.Tenant(int64(2))
	for _, tenant := range []*Tenant{acme, globex} {
		if _, err := tenant.Insert(ctx, "go_projects", map[string]any{"id": 1, "name": "first"}); err != nil {
			t.Fatal(err)
		}
	}
	var name string
	if err := acme.QueryRow(ctx, "SELECT name FROM go_projects WHERE org_id = $1 AND id = $2", 1, 1).Scan(&name); err != nil || name != "first" {
		t.Fatalf("got %q, %v", name, err)
	}
	// a reference table joined in a pinned read is fine
	var limit int
	err := acme.QueryRow(ctx, `SELECT p.max_projects FROM go_projects j JOIN go_plans p ON p.code = 'free'
		WHERE j.org_id = $1 AND j.id = $2`, 1, 1).Scan(&limit)
	if err != nil || limit != 3 {
		t.Fatalf("got %d, %v", limit, err)
	}
	if _, err := acme.Exec(ctx, "UPDATE go_projects SET name = 'renamed' WHERE org_id = $1 AND id = $2", 1, 1); err != nil {
		t.Fatal(err)
	}

	// another tenant on the same shard as tenant 1 passes the shard check; the pin proof stops it
	var neighbour int64
	if err := db.QueryRow(ctx, `SELECT min(k) FROM generate_series(2, 1000) k
		WHERE shale.shard_for('go_projects', k) = shale.shard_for('go_projects', 1)`).Scan(&neighbour); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sql    string
		args   []any
		reason string
	}{
		{"SELECT name FROM go_projects WHERE org_id = $1", []any{neighbour}, "pass the tenant (1) as a parameter"},
		{"SELECT name FROM go_projects WHERE org_id = 1", nil, "pass the tenant (1) as a parameter"},
		{"SELECT name FROM go_projects WHERE org_id = $1 AND id IN (SELECT id FROM go_projects WHERE org_id = $2)",
			[]any{int64(1), neighbour}, "do not all follow the tenant's parameter"},
	} {
		_, err := acme.Exec(ctx, c.sql, c.args...)
		var scope *TenantScopeError
		if !errors.As(err, &scope) || !strings.Contains(scope.Reason, c.reason) {
			t.Errorf("%s %v: got %v, want a TenantScopeError containing %q", c.sql, c.args, err, c.reason)
		}
	}

	refusals := map[string]string{
		"SELECT name FROM go_projects WHERE org_id = 2": "does not hold tenant 1",
		"SELECT count(*) FROM go_projects":              "not on the tenant's shard alone",
		"UPDATE go_projects SET name = 'x'":             "not on the tenant's shard alone",
		"INSERT INTO go_projects VALUES (1, 9, 'raw')":  "Insert(table, row)",
		"UPDATE go_plans SET max_projects = 9":          "reference table",
		"CREATE TABLE go_nope (x int)":                  "only SELECT, UPDATE and DELETE",
		"SELECT now()":                                  "no distributed or reference table",
	}
	for sql, want := range refusals {
		_, err := acme.Exec(ctx, sql)
		var scope *TenantScopeError
		if !errors.As(err, &scope) || !strings.Contains(scope.Reason, want) {
			t.Errorf("%s: got %v, want a TenantScopeError containing %q", sql, err, want)
		}
	}
	_, err = acme.Insert(ctx, "go_projects", map[string]any{"org_id": 2, "id": 5})
	var scope *TenantScopeError
	if !errors.As(err, &scope) || !strings.Contains(scope.Reason, "not the tenant 1") {
		t.Errorf("insert for another tenant: got %v", err)
	}
	// nothing of the refused statements ran
	var count int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM go_projects WHERE name = 'x' OR id = 9").Scan(&count); err != nil || count != 0 {
		t.Fatalf("a refused statement ran: %d, %v", count, err)
	}

	// in a transaction too
	_, err = acme.Transaction(ctx, func(ctx context.Context, tx *TenantTx) error {
		if _, err := tx.Insert(ctx, "go_projects", map[string]any{"id": 2, "name": "second"}); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "DELETE FROM go_projects WHERE org_id = 2")
		return err
	})
	if !errors.As(err, &scope) {
		t.Fatalf("tenant transaction: got %v", err)
	}
	if err := db.QueryRow(ctx, "SELECT count(*) FROM go_projects WHERE org_id = 1 AND id = 2").Scan(&count); err != nil || count != 0 {
		t.Fatalf("the refused transaction committed: %d, %v", count, err)
	}
}

func TestServerRefusalIsTyped(t *testing.T) {
	db := openTestDB(t)
	setupTenantTables(t, db)
	_, err := db.Exec(context.Background(), "SELECT ctid FROM go_projects")
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindFeatureNotSupported || e.SQLState != "0A000" || e.Hint == "" {
		t.Fatalf("got %#v", err)
	}
}

// TestSerializationFailureIsRetried makes a real 40001: a REPEATABLE READ
// transaction updates a row that another session changed after its snapshot.
func TestSerializationFailureIsRetried(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	mustExec(t, db, "DROP TABLE IF EXISTS go_counters")
	mustExec(t, db, "CREATE TABLE go_counters (id bigint PRIMARY KEY, n int)")
	if err := db.DistributeTable(ctx, "go_counters", "id"); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "INSERT INTO go_counters VALUES (7, 0)")
	// One connection, warmed by a read: on a Shale node, BEGIN ISOLATION LEVEL REPEATABLE READ
	// as the first statement of a session failed (25001) before ad249e0, on the router and on its new
	// worker connections alike (docs/sdks.md, "Known problems").
	one, err := Open(ctx, os.Getenv("SHALE_TEST_URI"), WithMaxConns(1))
	if err != nil {
		t.Fatal(err)
	}
	defer one.Close()
	mustExec(t, one, "SELECT n FROM go_counters WHERE id = 7")
	calls := 0
	report, err := one.Transaction(ctx, func(ctx context.Context, tx pgx.Tx) error {
		calls++
		var n int
		if err := tx.QueryRow(ctx, "SELECT n FROM go_counters WHERE id = 7").Scan(&n); err != nil {
			return err
		}
		if calls == 1 { // another session changes the row after this snapshot
			mustExec(t, db, "UPDATE go_counters SET n = n + 100 WHERE id = 7")
		}
		_, err := tx.Exec(ctx, "UPDATE go_counters SET n = n + 1 WHERE id = 7")
		return err
	}, Isolation(pgx.RepeatableRead), Retry(RetryPolicy{BaseDelay: 10 * time.Millisecond}))
	if err != nil || report.Attempts != 2 || calls != 2 || KindOf(report.LastError()) != KindSerialization {
		t.Fatalf("attempts %d, calls %d, last %v, err %v", report.Attempts, calls, report.LastError(), err)
	}
	var n int
	if err := db.QueryRow(ctx, "SELECT n FROM go_counters WHERE id = 7").Scan(&n); err != nil || n != 101 {
		t.Fatalf("n = %d, %v", n, err)
	}
}

func TestRetriesAreBounded(t *testing.T) {
	db := openTestDB(t)
	calls := 0
	report, err := db.Transaction(context.Background(), func(ctx context.Context, tx pgx.Tx) error {
		calls++
		_, err := tx.Exec(ctx, "DO $$BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = 'serialization_failure'; END$$")
		return err
	}, Retry(RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond}))
	var exhausted *RetriesExhaustedError
	if !errors.As(err, &exhausted) || exhausted.Attempts != 3 || calls != 3 || len(report.Retried) != 3 {
		t.Fatalf("got %v after %d calls (%+v)", err, calls, report)
	}
	if KindOf(err) != KindSerialization {
		t.Fatalf("the last error is not kept: %v", err)
	}
}

func TestNonRetryableErrorIsReturnedAtOnce(t *testing.T) {
	db := openTestDB(t)
	calls := 0
	_, err := db.Transaction(context.Background(), func(ctx context.Context, tx pgx.Tx) error {
		calls++
		_, err := tx.Exec(ctx, "SELECT 1/0")
		return err
	})
	var e *Error
	if !errors.As(err, &e) || e.SQLState != "22012" || calls != 1 {
		t.Fatalf("got %v after %d calls", err, calls)
	}
}

// slowCommit makes COMMIT of a transaction that inserted into go_slow_commit
// last two seconds (a deferred constraint trigger sleeps), and terminates the
// session from another connection meanwhile: the client sees the socket close
// during COMMIT, with no answer.
func slowCommitFunction(t *testing.T, db *DB, calls *int) func(ctx context.Context, tx pgx.Tx) error {
	return func(ctx context.Context, tx pgx.Tx) error {
		*calls++
		var pid int
		if err := tx.QueryRow(ctx, "INSERT INTO go_slow_commit VALUES ($1) RETURNING pg_backend_pid()", *calls).Scan(&pid); err != nil {
			return err
		}
		if *calls == 1 {
			go func() {
				time.Sleep(500 * time.Millisecond)
				_, _ = db.Exec(context.Background(), "SELECT pg_terminate_backend($1)", pid)
			}()
		}
		return nil
	}
}

func setupSlowCommit(t *testing.T, db *DB) {
	mustExec(t, db, "DROP TABLE IF EXISTS go_slow_commit")
	mustExec(t, db, "CREATE TABLE go_slow_commit (attempt int)")
	mustExec(t, db, `CREATE OR REPLACE FUNCTION go_sleep_at_commit() RETURNS trigger LANGUAGE plpgsql AS
		$$BEGIN IF NEW.attempt = 1 THEN PERFORM pg_sleep(2); END IF; RETURN NULL; END$$`)
	mustExec(t, db, `CREATE CONSTRAINT TRIGGER go_slow AFTER INSERT ON go_slow_commit
		DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION go_sleep_at_commit()`)
}

func TestConnectionLostDuringCommitIsNotRetried(t *testing.T) {
	db := openTestDB(t)
	setupSlowCommit(t, db)
	calls := 0
	_, err := db.Transaction(context.Background(), slowCommitFunction(t, db, &calls))
	var unknown *CommitUnknownError
	if !errors.As(err, &unknown) || calls != 1 || unknown.Attempts != 1 {
		t.Fatalf("got %v after %d calls", err, calls)
	}
}

func TestConnectionLostDuringCommitIsRetriedWhenIdempotent(t *testing.T) {
	db := openTestDB(t)
	setupSlowCommit(t, db)
	calls := 0
	report, err := db.Transaction(context.Background(), slowCommitFunction(t, db, &calls), Idempotent())
	if err != nil || calls != 2 || report.Attempts != 2 || KindOf(report.LastError()) != KindConnection {
		t.Fatalf("got %v after %d calls (%+v)", err, calls, report)
	}
	var rows int
	if err := db.QueryRow(context.Background(), "SELECT count(*) FROM go_slow_commit").Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("rows %d, %v", rows, err)
	}
}

func TestUnknownDatabaseFailsAtOnce(t *testing.T) {
	db := openTestDB(t)
	config := db.Pool().Config().ConnConfig
	started := time.Now()
	_, err := Open(context.Background(), fmt.Sprintf("postgres://%s@%s:%d/no_such_database", config.User, config.Host, config.Port))
	var e *Error
	if !errors.As(err, &e) || e.SQLState != "3D000" || time.Since(started) > 3*time.Second {
		t.Fatalf("got %v after %v", err, time.Since(started))
	}
}

func TestOpenFailsClearlyOnBadURI(t *testing.T) {
	_, err := Open(context.Background(), "postgres://postgres@127.0.0.1:1/postgres?connect_timeout=2")
	if KindOf(err) != KindConnection {
		t.Fatalf("got %v", err)
	}
}

// routerPorts returns the ports of the router group's primary and replica.
func routerPorts(t *testing.T, db *DB) (primary, replica int) {
	t.Helper()
	err := db.QueryRow(context.Background(), `SELECT max(port) FILTER (WHERE role = 'primary'), max(port) FILTER (WHERE role = 'replica')
		FROM shale.nodes WHERE group_id = 0`).Scan(&primary, &replica)
	if err != nil {
		t.Fatal(err)
	}
	return primary, replica
}

// deadPort returns a port on 127.0.0.1 where nothing listens (bound, then closed).
func deadPort(t *testing.T) int {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := listener.Addr().(*net.TCPAddr).Port
	listener.Close()
	return port
}

func TestMultiHostFindsTheReadWriteRouter(t *testing.T) {
	db := openTestDB(t)
	primary, replica := routerPorts(t, db)
	config := db.Pool().Config().ConnConfig
	uri := fmt.Sprintf("postgres://%s@127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d/%s?target_session_attrs=read-write&connect_timeout=2",
		config.User, deadPort(t), replica, primary, config.Database)
	other, err := Open(context.Background(), uri)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var port int
	if err := other.QueryRow(context.Background(), "SELECT inet_server_port()").Scan(&port); err != nil || port != primary {
		t.Fatalf("connected to port %d (%v), want the primary %d", port, err, primary)
	}
}

// TestDistributedDeadlockIsRetried makes two transactions lock rows on two worker
// groups in opposite orders. Neither worker sees the cycle; shaled breaks it by
// cancelling one (40P01), and Transaction runs that one again: both commit.
func TestDistributedDeadlockIsRetried(t *testing.T) {
	db := openTestDB(t)
	ctx := context.Background()
	mustExec(t, db, "DROP TABLE IF EXISTS go_deadlock")
	mustExec(t, db, "CREATE TABLE go_deadlock (id bigint PRIMARY KEY, n int NOT NULL)")
	if err := db.DistributeTable(ctx, "go_deadlock", "id"); err != nil {
		t.Fatal(err)
	}
	var onGroup1, onGroup2 int64
	err := db.QueryRow(ctx, `SELECT min(k) FILTER (WHERE p.group_id = 1), min(k) FILTER (WHERE p.group_id = 2)
		FROM generate_series(1, 100) k JOIN shale.placement p ON p.shard_id = shale.shard_for('go_deadlock', k)`).Scan(&onGroup1, &onGroup2)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, "INSERT INTO go_deadlock VALUES ($1, 0), ($2, 0)", onGroup1, onGroup2)

	firstLocked := []chan struct{}{make(chan struct{}), make(chan struct{})}
	var once [2]sync.Once
	reports := make([]TxReport, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, order := range [][2]int64{{onGroup1, onGroup2}, {onGroup2, onGroup1}} {
		wg.Add(1)
		go func(i int, first, second int64) {
			defer wg.Done()
			reports[i], errs[i] = db.Transaction(ctx, func(ctx context.Context, tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, "UPDATE go_deadlock SET n = n + 1 WHERE id = $1", first); err != nil {
					return err
				}
				once[i].Do(func() { close(firstLocked[i]) })
				<-firstLocked[1-i] // the other one holds its first row too
				_, err := tx.Exec(ctx, "UPDATE go_deadlock SET n = n + 1 WHERE id = $1", second)
				return err
			}, Retry(RetryPolicy{BaseDelay: 10 * time.Millisecond}))
		}(i, order[0], order[1])
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatalf("errors: %v, %v", errs[0], errs[1])
	}
	deadlocks := 0
	for _, report := range reports {
		for _, retried := range report.Retried {
			if KindOf(retried) == KindDeadlock {
				deadlocks++
			}
		}
	}
	if deadlocks != 1 || reports[0].Attempts+reports[1].Attempts != 3 {
		t.Fatalf("want one deadlock retried: %+v %+v", reports[0], reports[1])
	}
	var total int
	if err := db.QueryRow(ctx, "SELECT sum(n)::int FROM go_deadlock").Scan(&total); err != nil || total != 4 {
		t.Fatalf("total %d, %v", total, err)
	}
}
