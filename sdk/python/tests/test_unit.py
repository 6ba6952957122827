"""Unit tests of the pure parts: the retry rules, the EXPLAIN reader (on plans
captured from a real cluster, sdk/testdata/explain) and error mapping."""
from pathlib import Path

import psycopg
import pytest

import shale
from shale.errors import ShaleError, kind_of, to_shale_error
from shale.plan import is_read_only_shard_sql, remote_scans_of_plan, scope_problem
from shale.retry import BODY, COMMIT, COMMIT_UNKNOWN, GIVE_UP, RETRY, RetryPolicy, backoff_delay, decide_after_failure

PLANS = Path(__file__).resolve().parents[2] / "testdata" / "explain"


def server_error(code: str, severity: str = "ERROR") -> ShaleError:
    return ShaleError(code, "m", from_server=True, severity=severity, hint="h")


LOST = psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly")


@pytest.mark.parametrize(
    "phase, error, idempotent, want",
    [
        (BODY, server_error("40001"), False, RETRY),
        (BODY, server_error("40P01"), False, RETRY),
        (BODY, server_error("08006"), False, RETRY),
        (BODY, server_error("57P01", "FATAL"), False, RETRY),
        (BODY, server_error("25006"), False, RETRY),
        (BODY, LOST, False, RETRY),
        (BODY, server_error("23505"), False, GIVE_UP),
        (BODY, server_error("0A000"), False, GIVE_UP),
        (BODY, ValueError("business rule"), False, GIVE_UP),
        (COMMIT, server_error("08006"), False, RETRY),
        (COMMIT, LOST, False, COMMIT_UNKNOWN),
        (COMMIT, server_error("57P01", "FATAL"), False, COMMIT_UNKNOWN),
        (COMMIT, LOST, True, RETRY),
        (COMMIT, server_error("23505"), True, GIVE_UP),
        (COMMIT, server_error("XX000", "PANIC"), False, COMMIT_UNKNOWN),
        (COMMIT, server_error("XX000", "PANIC"), True, RETRY),
        (BODY, server_error("XX000", "PANIC"), False, RETRY),
        (BODY, server_error("XX000"), False, GIVE_UP),
    ],
)
def test_retry_rules(phase, error, idempotent, want):
    assert decide_after_failure(phase, error, idempotent) == want


def test_backoff_doubles_and_is_capped():
    policy = RetryPolicy()
    for n, top in enumerate([0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0], start=1):
        assert backoff_delay(policy, n, lambda: 0.0) == pytest.approx(top / 2)
        assert backoff_delay(policy, n, lambda: 0.999999) <= top


def plan(name: str) -> str:
    return (PLANS / name).read_text()


def test_reads_shale_plans():
    scans = remote_scans_of_plan(plan("router_select.json"))
    assert [(s.distributed, s.shard) for s in scans] == [("router (one shard)", 102030)]
    assert scope_problem(scans) == ""
    assert is_read_only_shard_sql(scans[0].shard_sql)
    assert "runs on 2 shards" in scope_problem(remote_scans_of_plan(plan("multi_shard.json")))
    assert "every shard" in scope_problem(remote_scans_of_plan(plan("outer_join.json")))
    assert "insert(table, row)" in scope_problem(remote_scans_of_plan(plan("insert.json")))
    assert "no distributed or reference table" in scope_problem(remote_scans_of_plan(plan("no_table.json")))
    assert not is_read_only_shard_sql("WITH d AS (DELETE FROM x) SELECT 1")


def test_errors_map_to_kinds():
    converted = to_shale_error(LOST)
    assert isinstance(converted, ShaleError)
    assert (converted.sqlstate, converted.kind, converted.from_server) == ("08006", "connection", False)
    assert kind_of(ValueError("x")) == "other"
    assert shale.kind_for_sqlstate("0A000") == "feature_not_supported"


def test_version_matches_the_package():
    text = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert f'version = "{shale.VERSION}"' in text
