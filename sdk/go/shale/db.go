// db.go — DB, the SDK's entry point: a pgxpool pool opened from a Shale URI,
// with statements outside transactions that wait out a failover while no node
// accepts the connection, and errors converted to *Error.
package shale

import (
	"context"
	"errors"
	"math/rand"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is a pool of connections to the read-write router node of one Shale cluster.
type DB struct {
	pool         *pgxpool.Pool
	retry        RetryPolicy
	connectRetry time.Duration

	randomLock sync.Mutex
	random     *rand.Rand
}

// Option changes how Open sets up a DB.
type Option func(*openConfig)

type openConfig struct {
	maxConns     int32
	retry        RetryPolicy
	connectRetry time.Duration
}

// WithMaxConns sets the pool size (default: pgxpool's, the larger of 4 and the CPU count).
func WithMaxConns(n int32) Option { return func(c *openConfig) { c.maxConns = n } }

// WithRetryPolicy sets the default retry policy of DB.Transaction.
func WithRetryPolicy(p RetryPolicy) Option { return func(c *openConfig) { c.retry = p } }

// WithConnectRetry sets how long a statement keeps trying to get a connection to a
// read-write node before it fails (default 15 s; 0 keeps the default).
func WithConnectRetry(d time.Duration) Option { return func(c *openConfig) { c.connectRetry = d } }

// Open parses uri (a postgres:// URI, multi-host with target_session_attrs=read-write
// as `shale up` prints it, or a key=value string) and opens a pool. It connects once,
// so a wrong URI fails here rather than at the first statement.
func Open(ctx context.Context, uri string, options ...Option) (*DB, error) {
	config := openConfig{retry: DefaultRetryPolicy, connectRetry: 15 * time.Second}
	for _, option := range options {
		option(&config)
	}
	poolConfig, err := pgxpool.ParseConfig(uri)
	if err != nil {
		return nil, &Error{Kind: KindOther, SQLState: "08001", Message: "invalid connection URI: " + err.Error(), Cause: err}
	}
	if poolConfig.ConnConfig.ConnectTimeout == 0 {
		poolConfig.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	if config.maxConns > 0 {
		poolConfig.MaxConns = config.maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, poolConfig)
	if err != nil {
		return nil, asError(err)
	}
	db := &DB{pool: pool, retry: config.retry.withDefaults(), connectRetry: config.connectRetry,
		random: rand.New(rand.NewSource(time.Now().UnixNano()))}
	if err := db.pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, asError(err)
	}
	return db, nil
}

// Close closes every connection of the pool.
func (db *DB) Close() { db.pool.Close() }

// Pool returns the underlying pgxpool pool, for what the SDK does not wrap (CopyFrom, batches).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Exec runs one statement outside a transaction. A statement that could not be
// sent (no read-write node yet, a connection found dead before sending) is sent
// again until the connect-retry time is up; one that was sent is never repeated.
func (db *DB) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := db.whileUnsent(ctx, func() error {
		var err error
		tag, err = db.pool.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}

// Query runs a query outside a transaction, with the same resending rule as Exec.
func (db *DB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	var rows pgx.Rows
	err := db.whileUnsent(ctx, func() error {
		var err error
		rows, err = db.pool.Query(ctx, sql, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return typedRows{rows}, nil
}

// QueryRow runs a query that returns one row; errors come from Scan.
func (db *DB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := db.Query(ctx, sql, args...)
	return typedRow{rows: rows, err: err}
}

// whileUnsent runs send until it succeeds, fails after the statement reached the
// server, or the connect-retry time is up; it returns the error as *Error.
func (db *DB) whileUnsent(ctx context.Context, send func() error) error {
	deadline := time.Now().Add(db.connectRetry)
	for n := 1; ; n++ {
		err := send()
		unsent := err != nil && (pgconn.SafeToRetry(err) || isConnectFailure(err))
		if kind := KindOf(err); !unsent || kind != KindConnection && kind != KindReadOnly || time.Now().After(deadline) || ctx.Err() != nil {
			return asError(err) // sent, refused by a node that answered (a wrong password, no such database), or out of time
		}
		if sleepErr := sleepContext(ctx, db.backoff(n)); sleepErr != nil {
			return asError(err)
		}
	}
}

// isConnectFailure reports whether err came from opening a connection (nothing was sent).
func isConnectFailure(err error) bool {
	var connectErr *pgconn.ConnectError
	return errors.As(err, &connectErr)
}

func (db *DB) backoff(n int) time.Duration { return db.retry.backoffDelay(n, db.randomInt63n) }

// randomInt63n draws from [0, k) for the backoff jitter; safe for concurrent use.
func (db *DB) randomInt63n(k int64) int64 {
	db.randomLock.Lock()
	defer db.randomLock.Unlock()
	return db.random.Int63n(k)
}

func sleepContext(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// typedRows and typedRow convert the errors of pgx rows to *Error.
type typedRows struct{ pgx.Rows }

func (r typedRows) Err() error { return asError(r.Rows.Err()) }

func (r typedRows) Scan(dest ...any) error { return asError(r.Rows.Scan(dest...)) }

type typedRow struct {
	rows pgx.Rows
	err  error
}

func (r typedRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
