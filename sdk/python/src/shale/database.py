"""Database, the SDK's entry point: a psycopg_pool pool on the read-write node of
a Shale cluster, transactions with retries, tenant handles, and the shale.*
table helpers.

libpq (under psycopg) reads the multi-host URI that `shale up` prints and, with
target_session_attrs=read-write, connects to the node that accepts writes; the
pool opens new connections in the background when old ones break, so after a
failover the next connection reaches the new primary.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from .errors import CONNECTION, READ_ONLY, kind_of, to_shale_error
from .retry import DEFAULT_RETRY_POLICY, RetryPolicy
from .tenant import Tenant, TenantValue
from .transaction import Transaction, TransactionReport, run_transaction

T = TypeVar("T")


class Database:
    """A pool of connections to the read-write router node of one Shale cluster."""

    def __init__(self, pool: ConnectionPool, *, retry: RetryPolicy, connect_retry: float) -> None:
        self._pool = pool
        self._retry = retry
        self._connect_retry = connect_retry

    @property
    def pool(self) -> ConnectionPool:
        """The underlying psycopg_pool pool, for what the SDK does not wrap (COPY, pipelines)."""
        return self._pool

    def query(self, sql: str, params: Optional[Sequence[Any]] = None) -> List[Dict[str, Any]]:
        """Runs one statement outside a transaction; returns its rows as dicts.

        Getting a connection waits out a failover (up to connect_retry seconds); a
        statement that was sent is never sent again.
        """
        rows: List[Dict[str, Any]] = self._run(lambda cursor: cursor.fetchall() if cursor.description else [], sql, params)
        return rows

    def execute(self, sql: str, params: Optional[Sequence[Any]] = None) -> int:
        """Runs one statement outside a transaction; returns the number of rows it touched."""
        count: int = self._run(lambda cursor: cursor.rowcount, sql, params)
        return count

    def _run(self, result: Callable[["psycopg.Cursor[Dict[str, Any]]"], Any], sql: str, params: Optional[Sequence[Any]]) -> Any:
        try:
            connection = self._pool.getconn(timeout=self._connect_retry)
        except psycopg.Error as error:
            raise to_shale_error(error) from error
        try:
            with connection.cursor(row_factory=dict_row) as cursor:
                cursor.execute(sql, params)
                return result(cursor)
        except psycopg.Error as error:
            if kind_of(error) in (CONNECTION, READ_ONLY):
                connection.close()
            raise to_shale_error(error) from error
        finally:
            self._pool.putconn(connection)

    def transaction(
        self,
        fn: Callable[[Transaction], T],
        *,
        idempotent: bool = False,
        isolation: str = "read committed",
        retry: Optional[RetryPolicy] = None,
        on_retry: Optional[Callable[[int, BaseException, float], None]] = None,
    ) -> T:
        """Runs fn in a transaction, again on retryable failures (docs/sdks.md, "Retry rules"); returns fn's value.

        idempotent=True: running fn twice is safe even if its first COMMIT took
        effect, so a connection lost during COMMIT is retried too.
        """
        return self.transaction_with_report(fn, idempotent=idempotent, isolation=isolation, retry=retry, on_retry=on_retry)[0]

    def transaction_with_report(
        self,
        fn: Callable[[Transaction], T],
        *,
        idempotent: bool = False,
        isolation: str = "read committed",
        retry: Optional[RetryPolicy] = None,
        on_retry: Optional[Callable[[int, BaseException, float], None]] = None,
    ) -> Tuple[T, TransactionReport]:
        """transaction(), also returning the report: attempts, the retried errors, the time taken."""
        return run_transaction(
            self._pool, fn, idempotent=idempotent, isolation=isolation, policy=retry or self._retry,
            on_retry=on_retry, acquire_timeout=self._connect_retry,
        )

    def tenant(self, value: TenantValue) -> Tenant:
        """A handle that runs statements on the shard of one distribution value only."""
        return Tenant(value, self, self.transaction_with_report)

    def distribute_table(self, table: str, column: str, *, shard_count: int = 32, colocate_with: Optional[str] = None) -> None:
        """shale.distribute_table: the table's rows spread over shards by the hash of column."""
        self.query(
            "SELECT shale.distribute_table(%s::regclass, %s::text, shard_count => %s::int, colocate_with => %s::regclass)",
            [table, column, shard_count, colocate_with],
        )

    def make_reference_table(self, table: str) -> None:
        """shale.make_reference_table: a full copy of the table in every worker group."""
        self.query("SELECT shale.make_reference_table(%s::regclass)", [table])

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(
    uri: str,
    *,
    max_size: int = 10,
    connect_retry: float = 15.0,
    retry: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> Database:
    """Opens a Database from a URI (multi-host, as `shale up` prints it).

    It connects once first, so a wrong URI fails here with a ShaleError rather
    than at the first statement. connect_retry: how long a statement waits for a
    connection to a read-write node (a failover takes a second or two).
    """
    extra: Dict[str, Any] = {} if "connect_timeout" in uri else {"connect_timeout": 5}
    try:
        psycopg.connect(uri, **extra).close()
    except psycopg.Error as error:
        raise to_shale_error(error) from error
    pool = ConnectionPool(uri, min_size=1, max_size=max_size, kwargs={"autocommit": True, **extra}, open=True)
    return Database(pool, retry=retry, connect_retry=connect_retry)
