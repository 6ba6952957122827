#!/usr/bin/env bash
# memory_bounds.sh — a router backend's memory stays bounded: statements that
# fail in the middle of a multi-shard result (a row the router cannot read, a
# statement timeout) leak nothing over 1,000 repetitions; a large SELECT and a
# large INSERT ... SELECT through the router keep the backend's peak memory far
# below the data's size (test/lib/backend_memory.py does the work).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"

work=$(mktemp -d /tmp/shale-memory.XXXXXX)
chmod 755 "$work"
trap 'cluster_stop; rm -rf "$work"' EXIT
cluster_start "$work/cluster" --workers 2 --replicas 0
# a small work_mem, so the tuplestore of a remote scan spills early
router_sql "ALTER SYSTEM SET work_mem = '4MB'" >/dev/null
router_sql "SELECT pg_reload_conf()" >/dev/null
/usr/bin/python3 "$here/lib/backend_memory.py" "$ROUTER_PORT" "${SHALE_MEMORY_ROWS:-1000000}"
