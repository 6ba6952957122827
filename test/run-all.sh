#!/usr/bin/env bash
# run-all.sh — runs every test suite (make check calls it). Prints a summary
# line per suite and a closing "N passed, M failed" line; any failed suite
# fails the whole run.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
summary=()

run_suite() {
  local name=$1
  shift
  echo "=== suite: $name"
  local started=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    summary+=("PASS  $name ($((SECONDS - started)) s)")
  else
    failed=$((failed + 1))
    summary+=("FAIL  $name ($((SECONDS - started)) s)")
  fi
}

run_suite unit build/shale_unit_tests
run_suite regress test/regress/run.sh
run_suite differential test/differential/run.sh
for script in test/multinode/*.sh; do
  run_suite "multinode $(basename "$script" .sh)" "$script"
done
for script in test/e2e/*.sh; do
  # a suite listed in test/e2e/PENDING was merged without a green run of its own: it is run by hand
  # (bash test/e2e/NAME.sh) until it is, and named here so that nobody forgets it
  if grep -qx "$(basename "$script")" test/e2e/PENDING 2>/dev/null; then
    summary+=("SKIP  e2e $(basename "$script" .sh) (listed in test/e2e/PENDING)")
    continue
  fi
  run_suite "e2e $(basename "$script" .sh)" "$script"
done

echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
