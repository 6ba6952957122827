#!/usr/bin/env bash
# sdks.sh — the Go, Node.js and Python SDKs end to end, against one real cluster
# (2 worker groups, 1 replica each): builds each SDK from its lockfile, runs its
# unit and cluster tests, runs each README's quick start exactly as printed (from
# empty package caches), runs the three examples, and runs the failover test
# (money transfers through each SDK's transaction(fn) while the primary of a worker
# group and then the router primary are killed with -9, then a planned switchover
# of the router; test/sdk/failover_transfers.sh).
# Prints ok / not ok per check and "e2e sdks: N passed, M failed"; exits non-zero
# on any failure.
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/.." && pwd)
source "$here/lib/cluster.sh"
source "$here/lib/failover.sh"
source "$here/sdk/quickstart.sh"
source "$here/sdk/failover_transfers.sh"

bash "$repo/scripts/install-deps.sh" >/dev/null # Go, Node.js and npm, python3-venv where missing
with_test_cluster sdks --workers 2 --replicas 1 || exit 1
export SHALE_TEST_URI=$CLUSTER_URI
mkdir -p "$work/logs" "$work/bin"

# step NAME COMMAND...: runs COMMAND (output in $work/logs), one check; prints the
# last line of its output (a test runner's summary) on success, its tail on failure.
step() {
  local name=$1 log="$work/logs/$(echo "$1" | tr -c 'a-z0-9' _).log" summary
  shift
  if "$@" >"$log" 2>&1; then
    check "$name" ok ok
    summary=$(grep -E '^(ok|FAIL)\s|^# (pass|fail) |passed|failed|\.whl$' "$log" | tail -n 2 | tr '\n' ' ')
    [ -n "$summary" ] && echo "#   $summary"
  else
    check "$name" ok failed
    tail -n 30 "$log" | sed 's/^/#   /'
  fi
}

echo "# Go SDK"
step "go: go vet" bash -c "cd '$repo/sdk/go' && go vet ./..."
step "go: unit and cluster tests (go test)" bash -c "cd '$repo/sdk/go' && go test -count=1 ./..."
step "go: build the transfer loop" bash -c "cd '$repo/sdk/go' && go build -o '$work/bin/transferloop' ./internal/transferloop"

echo "# Node.js SDK"
step "node: npm ci and build" bash -c "cd '$repo/sdk/node' && npm ci --no-audit --no-fund && npm run build"
step "node: unit and cluster tests (node --test)" bash -c "cd '$repo/sdk/node' && npm test"
step "node: types work for ES module and CommonJS consumers (tsc)" bash -c "cd '$repo/sdk/node' && npm run --silent test:types && echo typed"
step "node: npm pack has ESM, CommonJS and types" bash -c "cd '$repo/sdk/node' && npm pack --dry-run 2>&1 |
  grep -q dist/esm/index.mjs && npm pack --dry-run 2>&1 | grep -q dist/cjs/index.js && npm pack --dry-run 2>&1 | grep -q dist/cjs/index.d.ts && echo packed"

echo "# Python SDK"
step "python: install into a venv from pyproject.toml" bash -c "python3 -m venv '$work/venv' && '$work/venv/bin/pip' install --quiet '$repo/sdk/python[test]' && echo installed"
step "python: the wheel builds and holds py.typed" bash -c "'$work/venv/bin/pip' wheel --quiet --no-deps -w '$work/wheels' '$repo/sdk/python' &&
  '$work/venv/bin/python' -m zipfile -l '$work'/wheels/shale_sdk-*.whl | grep -q 'shale/py.typed' && ls '$work/wheels'"
step "python: type hints check (mypy --strict)" bash -c "cd '$repo/sdk/python' && '$work/venv/bin/mypy' --strict --cache-dir '$work/mypy-cache' src/shale"
step "python: unit and cluster tests (pytest)" bash -c "cd '$repo/sdk/python' && '$work/venv/bin/python' -m pytest -q -p no:cacheprovider"

echo "# quick starts, as printed in the READMEs"
export SHALE_REPO=$repo SHALE_URI=$CLUSTER_URI
for lang in go node python; do
  run_quickstart "$lang" "$repo/sdk/$lang/README.md" "$work/quickstart-$lang"
done

echo "# examples"
for lang in go node python; do
  "$repo/examples/$lang/run.sh" "$CLUSTER_URI" >"$work/example-$lang.out" 2>"$work/example-$lang.err"
  check "example ($lang) prints examples/expected-output.txt" "same" \
    "$(diff -q "$work/example-$lang.out" "$repo/examples/expected-output.txt" >/dev/null && echo same ||
       echo "differs: $(diff "$work/example-$lang.out" "$repo/examples/expected-output.txt" | head -n 5) $(tail -n 3 "$work/example-$lang.err")")"
done

echo "# failover: transfers through transaction(fn) while primaries are killed"
transfers_under_failover \
  "go=$work/bin/transferloop" \
  "node=node $repo/sdk/node/tools/transfer-loop.mjs" \
  "python=$work/venv/bin/python $repo/sdk/python/tools/transfer_loop.py"

finish_checks "e2e sdks"
