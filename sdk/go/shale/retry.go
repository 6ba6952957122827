// retry.go — the retry rules of DB.Transaction, as pure functions so that unit
// tests pin them down. The same rules hold in the Node.js and Python SDKs
// (docs/sdks.md, "Retry rules"):
//
//   - retried: 40001 serialization failure, 40P01 deadlock (a distributed deadlock
//     broken by shaled too), 08xxx connection errors and a lost socket, 57P01-57P03
//     (a node shutting down or starting during a failover), 25006 (the connection
//     reached a node that is read-only now: a demoted primary), and any FATAL or
//     PANIC (the server ended the session: a lost connection by another name);
//   - never retried once COMMIT was sent and no answer came back (the socket broke):
//     the transaction may have committed. An ERROR answer to COMMIT means it did
//     not commit, so that is retried by the rules above. Idempotent functions are
//     retried in both cases;
//   - backoff: the n-th retry waits between half and all of min(MaxDelay, BaseDelay*2^(n-1));
//   - bound: at most MaxAttempts runs of the function.
package shale

import "time"

// RetryPolicy bounds the retries of DB.Transaction.
type RetryPolicy struct {
	MaxAttempts int           // runs of the function, the first one included (default 10)
	BaseDelay   time.Duration // wait before the first retry (default 100 ms)
	MaxDelay    time.Duration // longest wait between two attempts (default 2 s)
}

// DefaultRetryPolicy covers a failover (measured at 0.8-1.8 s from kill -9 to the
// next acknowledged write, docs/high-availability.md) several times over: the
// waits alone add up to 5.5-11 s.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second}

// phase says how far an attempt got when it failed.
type phase int

const (
	phaseBody   phase = iota // connecting, BEGIN, or the function's own statements
	phaseCommit              // COMMIT was sent
)

// retryableKind reports whether an error of this kind is worth another attempt.
func retryableKind(kind Kind) bool {
	switch kind {
	case KindSerialization, KindDeadlock, KindConnection, KindReadOnly:
		return true
	}
	return false
}

// commitOutcomeUnknown reports whether a failure during COMMIT leaves the outcome
// open: no ErrorResponse came back (the socket broke), or a FATAL/PANIC did.
func commitOutcomeUnknown(err *Error) bool {
	return !err.FromServer || err.Severity != "ERROR"
}

// decision is what Transaction does after a failed attempt.
type decision int

const (
	giveUp        decision = iota // return the error as it is
	retry                         // wait, then run the function again
	commitUnknown                 // return CommitUnknownError
)

// decideAfterFailure applies the retry rules to one failed attempt.
func decideAfterFailure(p phase, err error, idempotent bool) decision {
	e, ok := asError(err).(*Error)
	if !ok {
		return giveUp // the function's own error, or a tenant scope refusal
	}
	if p == phaseCommit && commitOutcomeUnknown(e) && !idempotent {
		return commitUnknown
	}
	if retryableKind(e.Kind) || sessionEnded(e) {
		return retry
	}
	return giveUp
}

// sessionEnded reports whether the server ended the session with its error (a
// FATAL, or a PANIC that restarts the whole node): like a lost connection, the
// transaction can run again on a new one once the outcome question is settled.
func sessionEnded(err *Error) bool {
	return err.Severity == "FATAL" || err.Severity == "PANIC"
}

// backoffDelay is the wait before retry number n (n >= 1); int63n(k) draws from [0, k).
func (p RetryPolicy) backoffDelay(n int, int63n func(int64) int64) time.Duration {
	delay := p.BaseDelay
	for i := 1; i < n && delay < p.MaxDelay; i++ {
		delay *= 2
	}
	if delay > p.MaxDelay {
		delay = p.MaxDelay
	}
	half := delay / 2
	if half <= 0 {
		return delay
	}
	return half + time.Duration(int63n(int64(half)+1))
}

// withDefaults fills zero fields from DefaultRetryPolicy.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetryPolicy.MaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultRetryPolicy.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetryPolicy.MaxDelay
	}
	return p
}
