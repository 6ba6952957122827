// retry_test.go — unit tests of the retry rules (retry.go) and of the error
// classification they rely on (errors.go); no database needed.
package shale

import (
	"errors"
	"io"
	"math/rand"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func serverError(code, severity string) error {
	return &pgconn.PgError{Code: code, Severity: severity, Message: "m", Hint: "h"}
}

func TestDecideAfterFailure(t *testing.T) {
	cases := []struct {
		name       string
		phase      phase
		err        error
		idempotent bool
		want       decision
	}{
		{"serialization failure in the body", phaseBody, serverError("40001", "ERROR"), false, retry},
		{"deadlock in the body", phaseBody, serverError("40P01", "ERROR"), false, retry},
		{"worker lost (08006) in the body", phaseBody, serverError("08006", "ERROR"), false, retry},
		{"admin shutdown", phaseBody, serverError("57P01", "FATAL"), false, retry},
		{"read-only node", phaseBody, serverError("25006", "ERROR"), false, retry},
		{"socket closed in the body", phaseBody, io.ErrUnexpectedEOF, false, retry},
		{"unique violation", phaseBody, serverError("23505", "ERROR"), false, giveUp},
		{"Shale refusal", phaseBody, serverError("0A000", "ERROR"), false, giveUp},
		{"the function's own error", phaseBody, errors.New("business rule"), false, giveUp},
		{"COMMIT answered with 08006 ERROR: rolled back, retried", phaseCommit, serverError("08006", "ERROR"), false, retry},
		{"COMMIT answered with 40001 ERROR", phaseCommit, serverError("40001", "ERROR"), false, retry},
		{"socket lost during COMMIT", phaseCommit, io.ErrUnexpectedEOF, false, commitUnknown},
		{"FATAL during COMMIT", phaseCommit, serverError("57P01", "FATAL"), false, commitUnknown},
		{"socket lost during COMMIT, idempotent", phaseCommit, io.ErrUnexpectedEOF, true, retry},
		{"COMMIT answered with 23505, idempotent", phaseCommit, serverError("23505", "ERROR"), true, giveUp},
		{"PANIC during COMMIT (the router restarts)", phaseCommit, serverError("XX000", "PANIC"), false, commitUnknown},
		{"PANIC during COMMIT, idempotent", phaseCommit, serverError("XX000", "PANIC"), true, retry},
		{"PANIC in the body", phaseBody, serverError("XX000", "PANIC"), false, retry},
		{"internal ERROR in the body", phaseBody, serverError("XX000", "ERROR"), false, giveUp},
	}
	for _, c := range cases {
		if got := decideAfterFailure(c.phase, c.err, c.idempotent); got != c.want {
			t.Errorf("%s: got decision %d, want %d", c.name, got, c.want)
		}
	}
}

func TestBackoffGrowsAndIsBounded(t *testing.T) {
	policy := RetryPolicy{MaxAttempts: 10, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	random := rand.New(rand.NewSource(1))
	wantMax := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, max := range wantMax {
		max *= time.Millisecond
		for draw := 0; draw < 50; draw++ {
			got := policy.backoffDelay(i+1, random.Int63n)
			if got < max/2 || got > max {
				t.Fatalf("retry %d: delay %v outside [%v, %v]", i+1, got, max/2, max)
			}
		}
	}
}

func TestErrorCarriesServerFields(t *testing.T) {
	err := asError(&pgconn.PgError{Code: "0A000", Severity: "ERROR", Message: "SELECT … FOR UPDATE/SHARE across shards is not supported",
		Hint: "Lock rows of one shard at a time", Where: "on worker node 127.0.0.1:1"})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("not an *Error: %T", err)
	}
	if e.Kind != KindFeatureNotSupported || e.SQLState != "0A000" || e.Hint == "" || !e.FromServer || e.Where == "" {
		t.Fatalf("fields lost: %+v", e)
	}
	if KindOf(io.EOF) != KindConnection {
		t.Fatalf("EOF is not a connection error")
	}
	if KindOf(errors.New("x")) != KindOther {
		t.Fatalf("a plain error is not KindOther")
	}
}

func TestDefaultsFillZeroFields(t *testing.T) {
	p := RetryPolicy{MaxAttempts: 3}.withDefaults()
	if p.MaxAttempts != 3 || p.BaseDelay != DefaultRetryPolicy.BaseDelay || p.MaxDelay != DefaultRetryPolicy.MaxDelay {
		t.Fatalf("got %+v", p)
	}
}
