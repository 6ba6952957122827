#!/usr/bin/env bash
# control_plane.sh — end-to-end tests of `shale serve` and the CLI's API
# commands against real databases (test/e2e/control_plane_test.py). Starts
# shale serve on a free port in a temporary directory; the exit trap stops
# every database cluster and the state instance it made, by directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
export SHALE_BIN=${SHALE_BIN:-/usr/local/bin/shale}
export CP_WORK=$(mktemp -d /tmp/shale-cp.XXXXXX)
chmod 755 "$CP_WORK"
export CP_PORT=$(free_port_from $((20000 + RANDOM % 12000)))

source test/lib/control_plane_cleanup.sh
trap control_plane_cleanup EXIT

# Debian's python3 (python3-psycopg2, python3-jsonschema from scripts/install-deps.sh)
if /usr/bin/python3 test/e2e/control_plane_test.py; then
  echo "control_plane: PASS"
else
  echo "control_plane: FAIL (serve log: $CP_WORK/serve.log)"
  tail -n 30 "$CP_WORK/serve.log" 2>/dev/null || true
  exit 1
fi
