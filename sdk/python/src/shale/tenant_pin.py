"""The second half of a tenant handle's check: that a statement's shard follows
the tenant's value, not just happens to hold it.

Tenants share shards (a hash range holds many values), so a statement pinned by
another tenant's value on the same shard passes the shard check. The proof: the
tenant is one of the parameters, and when that parameter is replaced by a probe
value that lives on another shard, EXPLAIN puts every distributed table of the
statement on the probe's shards. Then the parameter is what pins the statement;
that is a property of the statement text, so it is proven once and cached.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Union

from .errors import ShaleError, TenantScopeError
from .plan import scope_problem

if TYPE_CHECKING:
    from .tenant import Queryable, _TenantScope


def prove_pinned_by_tenant(scope: "_TenantScope", q: "Queryable", sql: str, params: List[Any], shard: int) -> None:
    """Raises TenantScopeError unless one of the parameters, equal to the tenant, pins every distributed table."""
    proven = scope.pins.get(sql)
    if proven is not None and proven < len(params) and str(params[proven]) == scope.text:
        return
    candidates = [i for i, param in enumerate(params) if str(param) == scope.text]
    if not candidates:
        raise scope.refuse(
            sql,
            f"pass the tenant ({scope.text}) as a parameter (%s) of the condition on the distribution column: "
            "other tenants share its shard, so only a parameter shows that the statement follows the tenant",
        )
    probe = _probe_value(scope, q, shard)
    for i in candidates:
        probed = list(params)
        probed[i] = probe
        if _follows_probe(scope, q, sql, probed, probe):
            scope.pins[sql] = i
            return
    raise scope.refuse(
        sql,
        "the statement's conditions on the distribution column do not all follow the tenant's parameter "
        "(another value pins it, or it is not pinned by a parameter)",
    )


def _follows_probe(scope: "_TenantScope", q: "Queryable", sql: str, probed: List[Any], probe: Union[int, str]) -> bool:
    """With the probe in place of the tenant: still one shard per table, and every distributed one holds the probe?"""
    try:
        scans = scope.explain(q, sql, probed)
    except (ShaleError, TenantScopeError):
        return False
    if scope_problem(scans):
        return False  # no longer pinned: the tenant's parameter was not the pin
    rows = q.query(
        """SELECT bool_and(shale.shard_for(s.table_id, %s::text) = s.shard_id) AS follows
             FROM shale.shard s JOIN shale.tables t ON t.table_name = s.table_id
            WHERE s.shard_id = ANY(%s::bigint[]) AND t.kind = 'distributed'""",
        [str(probe), [scan.shard for scan in scans]],
    )
    return rows[0]["follows"] is True


def _probe_value(scope: "_TenantScope", q: "Queryable", shard: int) -> Union[int, str]:
    """A value of the tenant's own type whose shard, for the table of shard, is another one (kept)."""
    if scope.probe is not None:
        return scope.probe
    tenant = scope.value
    values: List[Union[int, str]] = [
        tenant + i if isinstance(tenant, int) else f"{tenant}~probe{i}" for i in range(1, 65)
    ]
    rows = q.query(
        """SELECT min(c.i)::int AS found FROM unnest(%s::text[]) WITH ORDINALITY c(v, i)
            WHERE shale.shard_for((SELECT table_id FROM shale.shard WHERE shard_id = %s), c.v) <> %s""",
        [[str(v) for v in values], shard, shard],
    )
    if rows[0]["found"] is None:
        raise scope.refuse("", "no other value of the tenant's type lives on another shard (a table with one shard?)")
    scope.probe = values[rows[0]["found"] - 1]
    return scope.probe
