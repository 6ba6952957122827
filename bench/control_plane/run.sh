#!/usr/bin/env bash
# run.sh — runs create_databases.py against a fresh `shale serve` in a
# temporary directory, then stops every cluster and the state instance it made.
# BENCH_CREATIONS (10) and BENCH_PARALLEL (5) set the counts; SHALE_BIN the CLI.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
export SHALE_BIN=${SHALE_BIN:-/usr/local/bin/shale}
export CP_WORK=$(mktemp -d /tmp/shale-cp-bench.XXXXXX)
chmod 755 "$CP_WORK"
export CP_PORT=$(free_port_from $((20000 + RANDOM % 12000)))
source test/lib/control_plane_cleanup.sh
trap control_plane_cleanup EXIT
/usr/bin/python3 bench/control_plane/create_databases.py
