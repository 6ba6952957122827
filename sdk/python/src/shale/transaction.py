"""Runs a function in a transaction and runs it again, by the rules in retry.py,
when a failover or a conflict aborted it."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from .errors import CONNECTION, READ_ONLY, CommitUnknownError, RetriesExhaustedError, ShaleError, kind_of, to_shale_error
from .retry import BODY, COMMIT, COMMIT_UNKNOWN, GIVE_UP, RetryPolicy, backoff_delay, decide_after_failure

T = TypeVar("T")

ISOLATION_LEVELS = ("read committed", "repeatable read")


@dataclass
class TransactionReport:
    """What happened in one call of Database.transaction."""

    attempts: int = 0  #: runs of the function, the successful one included
    retried: List[BaseException] = field(default_factory=list)  #: each retried attempt's error
    elapsed: float = 0.0  #: seconds from the call to its return

    @property
    def last_error(self) -> Optional[BaseException]:
        return self.retried[-1] if self.retried else None


class Transaction:
    """What a transaction function gets: statements on the transaction's connection."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self.connection = connection

    def query(self, sql: str, params: Optional[Sequence[Any]] = None) -> List[Dict[str, Any]]:
        """Runs a statement and returns its rows as dicts."""
        try:
            with self.connection.cursor(row_factory=dict_row) as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        except psycopg.Error as error:
            raise to_shale_error(error) from error

    def execute(self, sql: str, params: Optional[Sequence[Any]] = None) -> int:
        """Runs a statement and returns the number of rows it touched."""
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.rowcount
        except psycopg.Error as error:
            raise to_shale_error(error) from error


def run_transaction(
    pool: ConnectionPool,
    fn: Callable[[Transaction], T],
    *,
    idempotent: bool,
    isolation: str,
    policy: RetryPolicy,
    on_retry: Optional[Callable[[int, BaseException, float], None]],
    acquire_timeout: float,
) -> Tuple[T, TransactionReport]:
    """Runs fn in transactions until one commits or the rules say stop."""
    if isolation not in ISOLATION_LEVELS:
        raise ValueError(f"isolation must be one of {ISOLATION_LEVELS} (Shale refuses SERIALIZABLE)")
    started = time.monotonic()
    report = TransactionReport()
    attempt = 0
    while True:
        attempt += 1
        report.attempts = attempt
        phase, value, error = _run_attempt(pool, fn, isolation, acquire_timeout)
        report.elapsed = time.monotonic() - started
        if error is None:
            return value, report  # type: ignore[return-value]  # fn returned a T (maybe None)
        converted = to_shale_error(error)
        decision = decide_after_failure(phase, converted, idempotent)
        if decision == GIVE_UP:
            raise converted from (error if converted is not error else None)
        if decision == COMMIT_UNKNOWN:
            raise CommitUnknownError(attempt, converted) from error
        report.retried.append(converted)
        if attempt >= policy.max_attempts:
            raise RetriesExhaustedError(attempt, converted) from error
        delay = backoff_delay(policy, attempt)
        if on_retry is not None:
            on_retry(attempt, converted, delay)
        time.sleep(delay)


def _run_attempt(
    pool: ConnectionPool, fn: Callable[[Transaction], T], isolation: str, acquire_timeout: float
) -> Tuple[str, Optional[T], Optional[BaseException]]:
    """One run of fn: returns (phase reached, value, error or None)."""
    try:
        connection = pool.getconn(timeout=acquire_timeout)
    except psycopg.Error as error:
        return BODY, None, error
    phase = BODY
    failure: Optional[BaseException] = None
    try:
        _command(connection, f"BEGIN ISOLATION LEVEL {isolation.upper()}")
        value = fn(Transaction(connection))
        phase = COMMIT
        status = _command(connection, "COMMIT")
        if status == "ROLLBACK":
            raise ShaleError("25P02", "COMMIT rolled the transaction back: a statement in it had failed",
                             from_server=True, severity="ERROR")
        return phase, value, None
    except Exception as error:  # noqa: BLE001 - the rules decide what to do with any error
        failure = error
        if phase == BODY and not connection.broken:
            try:
                _command(connection, "ROLLBACK")
            except psycopg.Error:
                pass
        return phase, None, error
    finally:
        if failure is not None and kind_of(failure) in (CONNECTION, READ_ONLY):
            connection.close()  # a dead node or a standby now: the pool opens a new one
        pool.putconn(connection)


def _command(connection: psycopg.Connection, sql: str) -> Optional[str]:
    """Sends a transaction command (never as a prepared statement) and returns its status."""
    return connection.execute(sql, prepare=False).statusmessage
