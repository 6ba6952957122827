"""Typed errors.

Every failure the SDK raises is a ShaleError (a database error, with SQLSTATE,
message, detail, hint and a kind to match on) or one of the SDK's own:
TenantScopeError, CommitUnknownError, RetriesExhaustedError.
"""
from __future__ import annotations

from typing import Optional

import psycopg

SERIALIZATION = "serialization"  # 40001: run the transaction again
DEADLOCK = "deadlock"  # 40P01: run the transaction again
CONNECTION = "connection"  # 08xxx, 57P01-57P03, a lost socket: again once a node answers
READ_ONLY = "read_only"  # 25006: the connection reached a read-only node
FEATURE_NOT_SUPPORTED = "feature_not_supported"  # 0A000: a statement Shale refuses
UNIQUE_VIOLATION = "unique_violation"  # 23505
CANCELED = "canceled"  # 57014
OTHER = "other"


def kind_for_sqlstate(code: str) -> str:
    """Maps a SQLSTATE to its kind."""
    if code == "40001":
        return SERIALIZATION
    if code == "40P01":
        return DEADLOCK
    if code.startswith("08") or code in ("57P01", "57P02", "57P03"):
        return CONNECTION
    if code == "25006":
        return READ_ONLY
    if code == "0A000":
        return FEATURE_NOT_SUPPORTED
    if code == "23505":
        return UNIQUE_VIOLATION
    if code == "57014":
        return CANCELED
    return OTHER


class ShaleError(Exception):
    """A database error: the server's fields, or SQLSTATE 08006 when the connection was lost."""

    def __init__(
        self,
        sqlstate: str,
        message: str,
        *,
        from_server: bool,
        severity: Optional[str] = None,
        detail: Optional[str] = None,
        hint: Optional[str] = None,
        where: Optional[str] = None,
    ) -> None:
        text = f"{message} (SQLSTATE {sqlstate})" + (f"; hint: {hint}" if hint else "")
        super().__init__(text)
        self.sqlstate = sqlstate
        self.kind = kind_for_sqlstate(sqlstate)
        self.message = message
        #: True when the server answered with an ErrorResponse; a COMMIT answered
        #: with ERROR did not commit, one without an answer may have.
        self.from_server = from_server
        self.severity = severity
        self.detail = detail
        self.hint = hint
        self.where = where


class TenantScopeError(Exception):
    """A tenant handle refused a statement before running it."""

    def __init__(self, tenant: str, statement: str, reason: str) -> None:
        super().__init__(f"tenant {tenant!r}: statement refused: {reason}")
        self.tenant = tenant
        self.statement = statement
        self.reason = reason


class CommitUnknownError(Exception):
    """The connection broke during COMMIT: it may or may not have committed, so it was not run again."""

    def __init__(self, attempts: int, cause: BaseException) -> None:
        super().__init__(
            f"the connection was lost during COMMIT (attempt {attempts}); the transaction may or may not "
            f"have committed, so it was not run again (pass idempotent=True if running it twice is safe): {cause}"
        )
        self.attempts = attempts
        self.cause = cause


class RetriesExhaustedError(Exception):
    """Every allowed attempt failed with a retryable error."""

    def __init__(self, attempts: int, last_error: BaseException) -> None:
        super().__init__(f"transaction failed after {attempts} attempts; last error: {last_error}")
        self.attempts = attempts
        self.last_error = last_error


def to_shale_error(error: BaseException) -> BaseException:
    """Converts a psycopg error into a ShaleError; other exceptions are returned as they are."""
    if isinstance(error, (ShaleError, TenantScopeError)):
        return error
    if not isinstance(error, psycopg.Error):
        return error
    if error.sqlstate:
        diag = error.diag
        shale_error = ShaleError(
            error.sqlstate,
            diag.message_primary or str(error),
            from_server=True,
            severity=diag.severity_nonlocalized or diag.severity,
            detail=diag.message_detail,
            hint=diag.message_hint,
            where=diag.context,
        )
    elif str(error).startswith("connection failed"):  # libpq gives no SQLSTATE for a failed connection attempt
        shale_error = ShaleError("08001", f"could not connect: {str(error).strip()}", from_server=False)
    else:  # OperationalError without SQLSTATE: the connection broke, or the pool timed out
        shale_error = ShaleError("08006", f"connection lost: {str(error).strip()}", from_server=False)
    shale_error.__cause__ = error
    return shale_error


def kind_of(error: BaseException) -> str:
    """The kind of any exception ('other' for those that are not database errors)."""
    converted = to_shale_error(error)
    return converted.kind if isinstance(converted, ShaleError) else OTHER
