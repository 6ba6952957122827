#!/usr/bin/env bash
# sdk_management.sh — the management clients of the Go, Node.js and Python SDKs
# against one real `shale serve` (temporary directory, free port): each SDK's
# own test runner runs its OpenAPI drift test (every path and method the client
# calls is in docs/control-plane-openapi.json with the same parameters and body
# fields) and its API test (databases, branches, deploy requests, roles, restore
# points, operations and their wait, insights, the CA certificate, connect by
# database name, typed errors). Also checks the packaging still holds the
# client (go vet, npm pack, the wheel). The exit trap stops every cluster and
# the state instance, by directory.
# Prints ok / not ok per check and "e2e sdk_management: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
source test/lib/cluster.sh
export SHALE_BIN=${SHALE_BIN:-/usr/local/bin/shale}
export CP_WORK=$(mktemp -d /tmp/shale-sdkm.XXXXXX)
chmod 755 "$CP_WORK"
port=$(free_port_from $((20000 + RANDOM % 12000)))
source test/lib/control_plane_cleanup.sh
trap control_plane_cleanup EXIT
bash scripts/install-deps.sh >/dev/null # Go, Node.js and npm, python3-venv where missing
mkdir -p "$CP_WORK/logs"

# step NAME COMMAND...: one check; output in $CP_WORK/logs, its summary line on
# success, its tail on failure.
step() {
  local name=$1 log="$CP_WORK/logs/$(echo "$1" | tr -c 'a-z0-9' _).log" summary
  shift
  if "$@" >"$log" 2>&1; then
    check "$name" ok ok
    summary=$(grep -E '^(ok|FAIL)\s|^# (pass|fail|skipped) |passed|failed|\.whl$|packed' "$log" | tail -n 3 | tr '\n' ' ')
    [ -n "$summary" ] && echo "#   $summary"
  else
    check "$name" ok failed
    tail -n 40 "$log" | sed 's/^/#   /'
  fi
}

started=$(date +%s)
SHALE_BACKUPS=off "$SHALE_BIN" serve --dir "$CP_WORK/serve" --port "$port" --token-file "$CP_WORK/first-token" \
  --log-file "$CP_WORK/serve.log" >"$CP_WORK/serve.out" 2>&1 &
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/v1/openapi.json" >/dev/null 2>&1 && [ -s "$CP_WORK/first-token" ] && break
  sleep 0.2
done
check "shale serve answers on port $port" ok "$(curl -sf "http://127.0.0.1:$port/v1/openapi.json" >/dev/null && echo ok)"
export SHALE_TEST_API_URL=http://127.0.0.1:$port SHALE_TEST_TOKEN=$(cat "$CP_WORK/first-token" 2>/dev/null)

echo "# Go"
step "go: go vet" bash -c "cd sdk/go && go vet ./..."
step "go: management tests (go test: OpenAPI drift, API)" bash -c "cd sdk/go && go test -count=1 -v ./management/ | grep -E '^(--- |ok|FAIL|PASS)'"
echo "# Node.js"
step "node: npm ci and build" bash -c "cd sdk/node && npm ci --no-audit --no-fund && npm run build"
step "node: management tests (node --test: OpenAPI drift, API)" bash -c "cd sdk/node && node --test test/management-openapi.test.mjs test/management-api.test.mjs"
step "node: types (tsc) and npm pack hold the client" bash -c "cd sdk/node && npm run --silent test:types &&
  npm pack --dry-run 2>&1 | grep -q dist/cjs/management/client.js && npm pack --dry-run 2>&1 | grep -q dist/cjs/management/client.d.ts && echo packed"
echo "# Python"
step "python: install into a venv" bash -c "python3 -m venv '$CP_WORK/venv' && '$CP_WORK/venv/bin/pip' install --quiet '$repo/sdk/python[test]' && echo installed"
step "python: the wheel holds shale.management" bash -c "'$CP_WORK/venv/bin/pip' wheel --quiet --no-deps -w '$CP_WORK/wheels' '$repo/sdk/python' &&
  '$CP_WORK/venv/bin/python' -m zipfile -l '$CP_WORK'/wheels/shale_sdk-*.whl | grep -q 'shale/management/client.py' && ls '$CP_WORK/wheels'"
step "python: mypy --strict" bash -c "cd sdk/python && '$CP_WORK/venv/bin/mypy' --strict --cache-dir '$CP_WORK/mypy-cache' src/shale"
step "python: management tests (pytest: OpenAPI drift, API)" bash -c "cd sdk/python && '$CP_WORK/venv/bin/python' -m pytest -q -p no:cacheprovider tests/test_management_openapi.py tests/test_management_api.py"

echo "# the READMEs' management quick starts, as printed (each in an organization of its own)"
source test/sdk/quickstart.sh # readme_block, output_matches
# org_token NAME: the admin token of a new organization NAME
org_token() {
  curl -s -X POST "$SHALE_TEST_API_URL/v1/organizations" -H "Authorization: Bearer $SHALE_TEST_TOKEN" \
    -H "Content-Type: application/json" -d "{\"name\": \"$1\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"]["secret"])'
}
# readme_management LANG DIR COMMAND...: writes LANG's README block to DIR, runs COMMAND there
# with a new organization's token, compares what it prints with the README's output block.
readme_management() {
  local lang=$1 dir=$2 readme="$repo/sdk/$1/README.md" file token started=$SECONDS
  shift 2
  file=$(grep -o '<!-- management:code [^ ]* -->' "$readme" | awk '{print $3}')
  readme_block "$readme" "management:code $file" >"$dir/$file"
  readme_block "$readme" management:output >"$dir/expected"
  token=$(org_token "readme-$lang")
  (cd "$dir" && SHALE_API_URL=$SHALE_TEST_API_URL SHALE_TOKEN=$token "$@") >"$dir/out" 2>"$dir/err"
  check "$lang README: the management quick start prints its output block ($((SECONDS - started)) s)" same \
    "$(output_matches "$dir/expected" "$dir/out" && echo same || echo "differs: $(head -c 300 "$dir/out") $(tail -n 5 "$dir/err")")"
}
mkdir -p "$CP_WORK/readme-go" "$CP_WORK/readme-node/node_modules/@shale-db" "$CP_WORK/readme-python"
printf 'module quickstart\n\ngo 1.19\n\nrequire github.com/shale-db/shale/sdk/go v0.0.0\n\nreplace github.com/shale-db/shale/sdk/go => %s/sdk/go\n' "$repo" >"$CP_WORK/readme-go/go.mod"
cp sdk/go/go.sum "$CP_WORK/readme-go/"
ln -s "$repo/sdk/node" "$CP_WORK/readme-node/node_modules/@shale-db/sdk"
readme_management go "$CP_WORK/readme-go" bash -c "go mod tidy 2>/dev/null && go run ."
readme_management node "$CP_WORK/readme-node" node management-quickstart.mjs
readme_management python "$CP_WORK/readme-python" "$CP_WORK/venv/bin/python" management_quickstart.py

echo "# took $(( $(date +%s) - started )) s"
finish_checks "e2e sdk_management"
