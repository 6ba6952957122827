#!/usr/bin/env bash
# portal.sh — the portal in a real browser: starts its own `shale serve` (the
# portal at /, the /v1 API, real database clusters) in a temporary directory
# and drives Debian's Chromium headless with Playwright (playwright-core from
# portal/package-lock.json) through test/e2e/portal_test.mjs. Screenshots go to
# $PORTAL_ARTIFACTS (default build/portal-screenshots). The exit trap stops the
# serve, every cluster it made and its state instance, by directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
export SHALE_BIN=${SHALE_BIN:-/usr/local/bin/shale}
export CP_WORK=$(mktemp -d /tmp/shale-portal.XXXXXX)
chmod 755 "$CP_WORK"
base=${PORTAL_PORT_BASE:-$((20000 + RANDOM % 10000))}
export CP_PORT=$(free_port_from "$base")
# the databases' own ports: a block of 200 above the API's port
export PORTAL_DATABASE_PORTS="$((CP_PORT + 1))-$((CP_PORT + 400))"
export PORTAL_ARTIFACTS=${PORTAL_ARTIFACTS:-$PWD/build/portal-screenshots}
mkdir -p "$PORTAL_ARTIFACTS"

source test/lib/control_plane_cleanup.sh
trap control_plane_cleanup EXIT

for tool in /usr/bin/chromium psql node; do
  command -v "$tool" >/dev/null || { echo "portal: FAIL ($tool is missing: run scripts/install-deps.sh)"; exit 1; }
done
if [ ! -d portal/node_modules/playwright-core ]; then
  (cd portal && npm ci --no-audit --no-fund --loglevel=error)
fi
portal_dir=${SHALE_PORTAL:-}
if [ -z "$portal_dir" ]; then
  # the portal shale finds by itself: the repository's build next to a build tree's shale, else the installed copy
  if [ -f "$(dirname "$SHALE_BIN")/../../portal/dist/index.html" ]; then
    portal_dir=$(realpath "$(dirname "$SHALE_BIN")/../../portal/dist")
  else
    portal_dir=/usr/local/share/shale/portal
  fi
fi
[ -f "$portal_dir/index.html" ] || { echo "portal: FAIL (no built portal in $portal_dir: run make build)"; exit 1; }

SHALE_BACKUPS=off "$SHALE_BIN" serve --dir "$CP_WORK/serve" --port "$CP_PORT" --token-file "$CP_WORK/token" \
  --portal "$portal_dir" --database-ports "$PORTAL_DATABASE_PORTS" --storage-interval 5 --log-file "$CP_WORK/serve.log" \
  >"$CP_WORK/serve.out" 2>&1 &
for _ in $(seq 1 120); do [ -s "$CP_WORK/token" ] && break; sleep 0.5; done
[ -s "$CP_WORK/token" ] || { echo "portal: FAIL (shale serve did not start)"; tail -n 20 "$CP_WORK/serve.out"; exit 1; }
export PORTAL_URL="http://127.0.0.1:$CP_PORT" PORTAL_TOKEN=$(cat "$CP_WORK/token")

started=$(date +%s)
if node test/e2e/portal_test.mjs; then
  echo "portal: PASS ($(( $(date +%s) - started )) s; screenshots in $PORTAL_ARTIFACTS)"
else
  echo "portal: FAIL (serve log: $CP_WORK/serve.log; screenshots in $PORTAL_ARTIFACTS)"
  tail -n 30 "$CP_WORK/serve.log" 2>/dev/null || true
  exit 1
fi
