#!/usr/bin/env bash
# branching.sh — end-to-end tests of branches and deploy requests (issue 15,
# test/e2e/branching_test.py) against a real `shale serve` and real databases:
# schema and data branches, protection, deploy under a pgbench load, revert,
# lint, conflicts, bad input. The exit trap stops every cluster it made.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
export SHALE_BIN=${SHALE_BIN:-/usr/local/bin/shale}
export CP_WORK=$(mktemp -d /tmp/shale-branching.XXXXXX)
chmod 755 "$CP_WORK"
export CP_PORT=$(free_port_from $((31000 + RANDOM % 5)))
source test/lib/control_plane_cleanup.sh
trap control_plane_cleanup EXIT
if /usr/bin/python3 test/e2e/branching_test.py; then
  echo "branching: PASS"
else
  echo "branching: FAIL (serve log: $CP_WORK/serve.log)"
  tail -n 30 "$CP_WORK/serve.log" 2>/dev/null || true
  exit 1
fi
