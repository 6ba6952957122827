"""Reads Shale's distributed plan from EXPLAIN (FORMAT JSON).

The ShaleRemoteScan nodes, with their "Distributed" path, "Shard" and
"Shard SQL". Pure functions; tenant.py decides with them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Union


@dataclass(frozen=True)
class RemoteScan:
    distributed: str
    shard: int  #: 0 when the plan names no shard
    shards: int
    shard_sql: str


def remote_scans_of_plan(explain: Union[str, List[Any]]) -> List[RemoteScan]:
    """The ShaleRemoteScan nodes of an EXPLAIN (FORMAT JSON) result (JSON text or parsed)."""
    top = json.loads(explain) if isinstance(explain, str) else explain
    if not isinstance(top, list):
        raise ValueError("cannot read EXPLAIN output: not a JSON array")
    scans: List[RemoteScan] = []

    def walk(node: Dict[str, Any]) -> None:
        if node.get("Custom Plan Provider") == "ShaleRemoteScan":
            scans.append(
                RemoteScan(
                    distributed=node.get("Distributed", ""),
                    shard=int(node.get("Shard", 0)),
                    shards=int(node.get("Shards", 0)),
                    shard_sql=node.get("Shard SQL", "").strip(),
                )
            )
        for child in node.get("Plans", []):
            walk(child)

    for entry in top:
        walk(entry["Plan"])
    return scans


def scope_problem(scans: List[RemoteScan]) -> str:
    """Why these scans cannot run on a tenant handle whatever their shard, or '' when each is pinned."""
    if not scans:
        return "the statement uses no distributed or reference table; run it on the Database, not on a tenant handle"
    for scan in scans:
        if scan.distributed.startswith("insert"):
            return "an INSERT on a tenant handle goes through insert(table, row), which sets the distribution column itself"
        if scan.distributed != "router (one shard)":
            return (
                f"the statement runs on {scan.shards} shards ({scan.distributed}), not on the tenant's shard alone; "
                "add a condition on the distribution column (= the tenant)"
            )
        if scan.shard == 0:
            return "the plan does not name the statement's shard"
    return ""


def is_read_only_shard_sql(shard_sql: str) -> bool:
    """Whether a pinned statement only reads: its shard SQL is a SELECT (a WITH counts as a write)."""
    words = shard_sql.split()
    return bool(words) and words[0].upper() == "SELECT"
