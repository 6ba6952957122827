"""Tenant, a handle bound to one distribution value (a tenant).

Before a statement runs, the handle sends EXPLAIN (FORMAT JSON) of it with its
parameters (a plain EXPLAIN contacts no worker), reads the ShaleRemoteScan
nodes (plan.py), and accepts it only when each one is a router statement on one
shard whose hash range holds the tenant (asked once per shard with
shale.shard_for, then cached: a shard's range never changes, a split makes new
shards). Other tenants can share that shard, so the handle also proves, once per
statement text, that the shard follows the tenant's parameter (tenant_pin.py).
A reference table's shard is accepted for reads only. INSERT goes
through insert(), which sets the distribution column itself, because Shale's
EXPLAIN of an INSERT names no shard. Anything else is refused with a
TenantScopeError before it runs. Cost: one extra round trip per statement.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Protocol, Sequence, Tuple, TypeVar, Union

from .errors import ShaleError, TenantScopeError

if TYPE_CHECKING:
    from .transaction import TransactionReport
from .plan import RemoteScan, is_read_only_shard_sql, remote_scans_of_plan, scope_problem
from .tenant_pin import prove_pinned_by_tenant

T = TypeVar("T")
TenantValue = Union[str, int]


class Queryable(Protocol):
    def query(self, sql: str, params: Optional[Sequence[Any]] = None) -> List[Dict[str, Any]]: ...

    def execute(self, sql: str, params: Optional[Sequence[Any]] = None) -> int: ...


class _TenantScope:
    """What a tenant handle learned about shards and tables, shared with its transactions."""

    def __init__(self, value: TenantValue) -> None:
        self.value = value
        self.text = str(value)
        self._lock = threading.Lock()
        self._shards: Dict[int, Tuple[bool, bool]] = {}  # shard id -> (reference, holds the value)
        self._tables: Dict[str, Tuple[str, str, Optional[str]]] = {}  # name -> (quoted name, kind, column)
        self.pins: Dict[str, int] = {}  # statement text -> index of the parameter proven to pin it (tenant_pin.py)
        self.probe: Optional[TenantValue] = None  # a value of the tenant's type on another shard (tenant_pin.py)

    def refuse(self, statement: str, reason: str) -> TenantScopeError:
        return TenantScopeError(self.text, statement, reason)

    def check(self, q: Queryable, sql: str, params: Optional[Sequence[Any]]) -> None:
        """Raises TenantScopeError unless sql runs on the tenant's shard only."""
        scans = self.explain(q, sql, params)
        problem = scope_problem(scans)
        if problem:
            raise self.refuse(sql, problem)
        self._learn_shards(q, [scan.shard for scan in scans])
        distributed = []
        for scan in scans:
            reference, holds_value = self._shards[scan.shard]
            if reference and not is_read_only_shard_sql(scan.shard_sql):
                raise self.refuse(sql, "a write to a reference table changes every tenant's copy; run it on the Database")
            if not reference and not holds_value:
                raise self.refuse(sql, f"the statement runs on shard {scan.shard}, which does not hold tenant {self.text}")
            if not reference:
                distributed.append(scan)
        if distributed:
            prove_pinned_by_tenant(self, q, sql, list(params or []), distributed[0].shard)

    def explain(self, q: Queryable, sql: str, params: Optional[Sequence[Any]]) -> List[RemoteScan]:
        """The ShaleRemoteScan nodes of the statement's plan for these parameters."""
        try:
            explained = q.query(f"EXPLAIN (FORMAT JSON) {sql}", params)[0]["QUERY PLAN"]
        except ShaleError as error:
            if error.sqlstate == "42601":
                raise self.refuse(
                    sql, f"only SELECT, UPDATE and DELETE run on a tenant handle (EXPLAIN refused the statement: {error.message})"
                ) from error
            raise
        return remote_scans_of_plan(explained)

    def _learn_shards(self, q: Queryable, shards: List[int]) -> None:
        with self._lock:
            unknown = [shard for shard in shards if shard not in self._shards]
        if not unknown:
            return
        rows = q.query(
            """SELECT s.shard_id, t.kind = 'reference' AS reference,
                      shale.shard_for(s.table_id, %s::text) = s.shard_id AS holds_value
                 FROM shale.shard s JOIN shale.tables t ON t.table_name = s.table_id
                WHERE s.shard_id = ANY(%s::bigint[])""",
            [self.text, unknown],
        )
        with self._lock:
            for row in rows:
                self._shards[int(row["shard_id"])] = (row["reference"], row["holds_value"])

    def insert_statement(self, q: Queryable, table: str, row: Mapping[str, Any]) -> Tuple[str, List[Any]]:
        """The INSERT of insert(): the distribution column set to the tenant."""
        with self._lock:
            info = self._tables.get(table)
        if info is None:
            found = q.query(
                """SELECT %s::regclass::text AS quoted_name, coalesce(t.kind, 'local') AS kind,
                          t.distribution_column::text AS column_name
                     FROM (SELECT 1) one LEFT JOIN shale.tables t ON t.table_name = %s::regclass""",
                [table, table],
            )[0]
            info = (found["quoted_name"], found["kind"], found["column_name"])
            with self._lock:
                self._tables[table] = info
        quoted_name, kind, column = info
        if kind != "distributed" or column is None:
            raise self.refuse(f"INSERT INTO {table}", f"{table} is not a distributed table")
        if column in row and str(row[column]) != self.text:
            raise self.refuse(f"INSERT INTO {table}", f"the row's {column} is {row[column]}, not the tenant {self.text}")
        others = sorted(name for name in row if name != column)
        columns = ", ".join(_quote_identifier(name) for name in [column, *others])
        placeholders = ", ".join(["%s"] * (len(others) + 1))
        return f"INSERT INTO {quoted_name} ({columns}) VALUES ({placeholders})", [self.value, *(row[n] for n in others)]


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class TenantQueries:
    """Statements of one tenant, on the Database or in one of its transactions."""

    def __init__(self, scope: _TenantScope, runner: Queryable) -> None:
        self._scope = scope
        self._runner = runner

    @property
    def value(self) -> TenantValue:
        return self._scope.value

    def query(self, sql: str, params: Optional[Sequence[Any]] = None) -> List[Dict[str, Any]]:
        """Checks and runs a statement; returns its rows as dicts."""
        self._scope.check(self._runner, sql, params)
        return self._runner.query(sql, params)

    def execute(self, sql: str, params: Optional[Sequence[Any]] = None) -> int:
        """Checks and runs a statement; returns the number of rows it touched."""
        self._scope.check(self._runner, sql, params)
        return self._runner.execute(sql, params)

    def insert(self, table: str, row: Mapping[str, Any]) -> int:
        """Inserts one row with the distribution column set to the tenant (leave it out, or give the tenant's value)."""
        sql, params = self._scope.insert_statement(self._runner, table, row)
        return self._runner.execute(sql, params)


class Tenant(TenantQueries):
    """A tenant handle (Database.tenant)."""

    def __init__(self, value: TenantValue, runner: Queryable, transaction_runner: Callable[..., Any]) -> None:
        super().__init__(_TenantScope(value), runner)
        self._transaction_runner = transaction_runner  # Database.transaction_with_report

    def transaction(self, fn: Callable[[TenantQueries], T], **options: Any) -> T:
        """Database.transaction, with the same checks on every statement of fn (same options)."""
        return self.transaction_with_report(fn, **options)[0]

    def transaction_with_report(self, fn: Callable[[TenantQueries], T], **options: Any) -> "Tuple[T, TransactionReport]":
        """transaction(), also returning the report: attempts, the retried errors, the time taken."""
        result: Tuple[T, TransactionReport] = self._transaction_runner(lambda tx: fn(TenantQueries(self._scope, tx)), **options)
        return result
