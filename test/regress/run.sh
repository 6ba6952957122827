#!/usr/bin/env bash
# regress/run.sh — starts a Shale cluster (router + 2 worker groups, no
# replicas, so the expected output is stable), runs the pg_regress schedule and
# the isolation specs against it, and stops it.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
source "$here/lib/cluster.sh"
PGXS_DIR=$(/usr/lib/postgresql/15/bin/pg_config --pkglibdir)/pgxs

work=$(mktemp -d /tmp/shale-regress.XXXXXX)
chmod 755 "$work"
# SHALE_REGRESS_OUTPUT=DIR keeps the results there (to review and accept new expected output)
output=${SHALE_REGRESS_OUTPUT:-$work}
trap 'cluster_stop; rm -rf "$work"' EXIT
cluster_start "$work/cluster" --workers 2 --replicas 0

status=0
"$PGXS_DIR/src/test/regress/pg_regress" --use-existing --host=127.0.0.1 --port="$ROUTER_PORT" \
  --user=postgres --dbname=postgres --inputdir="$here" --outputdir="$output/regress" \
  --schedule="$here/schedule" || status=1
"$PGXS_DIR/src/test/isolation/pg_isolation_regress" --use-existing --host=127.0.0.1 --port="$ROUTER_PORT" \
  --user=postgres --dbname=postgres --inputdir="$here/isolation" --outputdir="$output/isolation" \
  --schedule="$here/isolation/schedule" || status=1
if [ $status -ne 0 ]; then
  cat "$output"/regress/regression.diffs "$output"/isolation/regression.diffs 2>/dev/null | head -200
fi
exit $status
