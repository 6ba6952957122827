#!/usr/bin/env bash
# run.sh — differential correctness test: the same queries and writes on plain
# PostgreSQL tables and on Shale distributed tables, on a fresh 2-worker cluster.
# Extra arguments go to run.py (e.g. --only NAME, --verbose).
# Exits non-zero on any wrong answer, crash or broken case.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/cluster.sh"

with_test_cluster differential --workers 2 --replicas 0

status=0
/usr/bin/python3 "$here/run.py" --host 127.0.0.1 --port "$ROUTER_PORT" "$@" || status=$?
exit "$status"
