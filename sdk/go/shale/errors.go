// errors.go — typed errors: every failure the SDK returns can be matched with
// errors.As(err, &shaleErr) and classified by Kind, whatever layer it came from
// (a server ErrorResponse, a lost socket, a failed connection attempt).
package shale

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Kind groups SQLSTATEs by what a program does about them.
type Kind int

const (
	KindOther               Kind = iota // anything else: a constraint violation, a syntax error, ...
	KindSerialization                   // 40001: run the transaction again
	KindDeadlock                        // 40P01: run the transaction again
	KindConnection                      // 08xxx, 57P01-57P03, a lost socket: run it again once a node answers
	KindReadOnly                        // 25006: the connection reached a read-only node (a replica, a demoted primary)
	KindFeatureNotSupported             // 0A000: a statement Shale refuses (docs/queries.md, "What is refused")
	KindUniqueViolation                 // 23505
	KindCanceled                        // 57014, or the caller's context ended
)

func (k Kind) String() string {
	switch k {
	case KindSerialization:
		return "serialization failure"
	case KindDeadlock:
		return "deadlock"
	case KindConnection:
		return "connection"
	case KindReadOnly:
		return "read-only"
	case KindFeatureNotSupported:
		return "feature not supported"
	case KindUniqueViolation:
		return "unique violation"
	case KindCanceled:
		return "canceled"
	}
	return "other"
}

// Error is a database error: the server's fields when the server sent an
// ErrorResponse, or SQLSTATE 08006 with the socket error when the connection was lost.
type Error struct {
	Kind     Kind
	SQLState string
	Severity string // ERROR, FATAL, PANIC; empty when no ErrorResponse arrived
	Message  string
	Detail   string
	Hint     string
	Where    string // CONTEXT, e.g. "on worker node 127.0.0.1:28434"
	// FromServer is true when the server answered with an ErrorResponse. A COMMIT
	// answered with an ERROR did not commit; a COMMIT without an answer may have.
	FromServer bool
	Cause      error
}

func (e *Error) Error() string {
	text := fmt.Sprintf("shale: %s (SQLSTATE %s)", e.Message, e.SQLState)
	if e.Hint != "" {
		text += "; hint: " + e.Hint
	}
	return text
}

func (e *Error) Unwrap() error { return e.Cause }

// kindForSQLState maps a SQLSTATE to its Kind.
func kindForSQLState(code string) Kind {
	switch {
	case code == "40001":
		return KindSerialization
	case code == "40P01":
		return KindDeadlock
	case strings.HasPrefix(code, "08"), code == "57P01", code == "57P02", code == "57P03":
		return KindConnection
	case code == "25006":
		return KindReadOnly
	case code == "0A000":
		return KindFeatureNotSupported
	case code == "23505":
		return KindUniqueViolation
	case code == "57014":
		return KindCanceled
	}
	return KindOther
}

// asError converts any error from pgx into *Error (nil stays nil; an *Error or an
// SDK error such as *TenantScopeError is returned as it is).
func asError(err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	var scope *TenantScopeError
	if errors.As(err, &scope) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return &Error{
			Kind: kindForSQLState(pgErr.Code), SQLState: pgErr.Code, Severity: pgErr.Severity,
			Message: pgErr.Message, Detail: pgErr.Detail, Hint: pgErr.Hint, Where: pgErr.Where,
			FromServer: true, Cause: err,
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindCanceled, SQLState: "57014", Message: err.Error(), Cause: err}
	}
	if isConnectionFailure(err) {
		return &Error{Kind: KindConnection, SQLState: "08006", Message: "connection lost: " + err.Error(), Cause: err}
	}
	return err
}

// isConnectionFailure reports whether err is a broken or refused connection that
// carries no SQLSTATE: a failed connect, a closed or reset socket, an EOF.
func isConnectionFailure(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.As(err, &connectErr), errors.As(err, &opErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true
	}
	text := err.Error()
	return strings.Contains(text, "conn closed") || strings.Contains(text, "connection reset") ||
		strings.Contains(text, "broken pipe") || strings.Contains(text, "unexpected EOF")
}

// KindOf returns the Kind of any error (KindOther for errors that are not database errors).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(asError(err), &e) {
		return e.Kind
	}
	return KindOther
}

// TenantScopeError says why a tenant handle refused a statement before running it.
type TenantScopeError struct {
	Tenant    string
	Statement string
	Reason    string
}

func (e *TenantScopeError) Error() string {
	return fmt.Sprintf("shale: tenant %q: statement refused: %s", e.Tenant, e.Reason)
}

// CommitUnknownError says the connection broke while COMMIT was in flight: the
// transaction may or may not have committed, so it was not run again (mark the
// function idempotent to allow that).
type CommitUnknownError struct {
	Attempts int
	Cause    error
}

func (e *CommitUnknownError) Error() string {
	return fmt.Sprintf("shale: the connection was lost during COMMIT (attempt %d); the transaction may or may not have committed, "+
		"so it was not run again (pass Idempotent() if running it twice is safe): %v", e.Attempts, e.Cause)
}

func (e *CommitUnknownError) Unwrap() error { return e.Cause }

// RetriesExhaustedError says every allowed attempt failed with a retryable error.
type RetriesExhaustedError struct {
	Attempts  int
	LastError error
}

func (e *RetriesExhaustedError) Error() string {
	return fmt.Sprintf("shale: transaction failed after %d attempts; last error: %v", e.Attempts, e.LastError)
}

func (e *RetriesExhaustedError) Unwrap() error { return e.LastError }

// AsError converts an error from pgx (for example from a pgx.Tx inside a
// transaction function) into *Error, so that it carries SQLSTATE, hint and Kind.
func AsError(err error) error { return asError(err) }
