// transaction.go — DB.Transaction: runs a function in a transaction and runs it
// again, by the rules in retry.go, when a failover or a conflict aborted it.
package shale

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TxReport says what happened in DB.Transaction.
type TxReport struct {
	Attempts int           // runs of the function, the successful one included
	Retried  []error       // the error of each attempt that was retried, in order
	Elapsed  time.Duration // from the call to its return
}

// LastError is the error of the last retried attempt, or nil.
func (r TxReport) LastError() error {
	if len(r.Retried) == 0 {
		return nil
	}
	return r.Retried[len(r.Retried)-1]
}

// TxOption changes one call of DB.Transaction.
type TxOption func(*txConfig)

type txConfig struct {
	policy     RetryPolicy
	idempotent bool
	isolation  pgx.TxIsoLevel
	onRetry    func(attempt int, err error, delay time.Duration)
}

// Idempotent marks the function as safe to run twice even if its first COMMIT
// took effect (it checks for its own earlier result, say); then a connection
// lost during COMMIT is retried too.
func Idempotent() TxOption { return func(c *txConfig) { c.idempotent = true } }

// Isolation sets the isolation level (READ COMMITTED by default; Shale refuses
// SERIALIZABLE on distributed tables).
func Isolation(level pgx.TxIsoLevel) TxOption { return func(c *txConfig) { c.isolation = level } }

// Retry sets the retry policy of this call.
func Retry(p RetryPolicy) TxOption { return func(c *txConfig) { c.policy = p.withDefaults() } }

// OnRetry is called before each wait, with the attempt that failed and its error.
func OnRetry(f func(attempt int, err error, delay time.Duration)) TxOption {
	return func(c *txConfig) { c.onRetry = f }
}

// Transaction runs fn in a transaction and commits it. On a retryable failure
// it rolls back, waits and runs fn again, at most MaxAttempts times in all. It
// returns fn's own error as it is, *Error for database errors,
// *CommitUnknownError when the connection broke during COMMIT of a function not
// marked Idempotent, and *RetriesExhaustedError when every attempt failed.
func (db *DB) Transaction(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error, options ...TxOption) (TxReport, error) {
	config := txConfig{policy: db.retry, isolation: pgx.ReadCommitted}
	for _, option := range options {
		option(&config)
	}
	started := time.Now()
	report := TxReport{}
	for attempt := 1; ; attempt++ {
		report.Attempts = attempt
		failedIn, err := db.runAttempt(ctx, fn, config.isolation)
		report.Elapsed = time.Since(started)
		if err == nil {
			return report, nil
		}
		err = asError(err)
		if ctx.Err() != nil {
			return report, err
		}
		switch decideAfterFailure(failedIn, err, config.idempotent) {
		case giveUp:
			return report, err
		case commitUnknown:
			return report, &CommitUnknownError{Attempts: attempt, Cause: err}
		}
		report.Retried = append(report.Retried, err)
		if attempt >= config.policy.MaxAttempts {
			return report, &RetriesExhaustedError{Attempts: attempt, LastError: err}
		}
		delay := config.policy.backoffDelay(attempt, db.randomInt63n)
		if config.onRetry != nil {
			config.onRetry(attempt, err, delay)
		}
		if sleepErr := sleepContext(ctx, delay); sleepErr != nil {
			report.Elapsed = time.Since(started)
			return report, err
		}
	}
}

// runAttempt runs fn once on a fresh transaction and says how far it got.
func (db *DB) runAttempt(ctx context.Context, fn func(ctx context.Context, tx pgx.Tx) error, isolation pgx.TxIsoLevel) (phase, error) {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return phaseBody, err
	}
	defer releaseOrDiscard(ctx, conn, &err)
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: isolation})
	if err != nil {
		return phaseBody, err
	}
	if err = fn(ctx, tx); err != nil {
		_ = tx.Rollback(ctx)
		return phaseBody, err
	}
	err = tx.Commit(ctx)
	return phaseCommit, err
}

// releaseOrDiscard returns conn to the pool, or closes it first when the attempt
// ended with a connection or read-only error (the node is gone or is a standby now).
func releaseOrDiscard(ctx context.Context, conn *pgxpool.Conn, err *error) {
	if *err != nil {
		if kind := KindOf(*err); kind == KindConnection || kind == KindReadOnly {
			_ = conn.Conn().Close(ctx)
		}
	}
	conn.Release()
}
