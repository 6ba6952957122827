#!/usr/bin/env bash
# control_plane_schemathesis.sh — schemathesis (PyPI, pinned) against
# docs/control-plane-openapi.json and a real `shale serve`: every operation with
# generated valid and invalid input, and every answer checked (no 5xx, status
# documented, body matching the schema, invalid input refused, auth refused).
# Creating and undeleting databases get only schema-violating input (valid
# input would start clusters); revoking tokens is left out (the fuzzer would
# revoke its own token). Afterwards the token must still work and no database
# may exist.
set -euo pipefail
cd "$(dirname "$0")/../.."
source test/lib/cluster.sh
export SHALE_BIN=${SHALE_BIN:-/usr/local/bin/shale}
venv_bin=$(scripts/install-python-test-deps.sh)
export CP_WORK=$(mktemp -d /tmp/shale-cp-st.XXXXXX)
chmod 755 "$CP_WORK"
export CP_PORT=$(free_port_from $((20000 + RANDOM % 12000)))
source test/lib/control_plane_cleanup.sh
trap control_plane_cleanup EXIT

SHALE_BACKUPS=off "$SHALE_BIN" serve --dir "$CP_WORK/serve" --port "$CP_PORT" --token-file "$CP_WORK/token" \
  --rate-limit 100000 --auth-failure-burst 1000000 --log-file "$CP_WORK/serve.log" >"$CP_WORK/serve.out" 2>&1 &
disown
for _ in $(seq 1 120); do [ -s "$CP_WORK/token" ] && break; sleep 0.5; done
token=$(cat "$CP_WORK/token")
api="http://127.0.0.1:$CP_PORT"
# schemathesis keeps a cache in its working directory: run it in $CP_WORK
openapi=$PWD/docs/control-plane-openapi.json
cd "$CP_WORK"
st=("$venv_bin/schemathesis" run "$openapi" --url "$api" -H "Authorization: Bearer $token"
    --seed "${ST_SEED:-20261202}" --max-examples "${ST_EXAMPLES:-40}" --no-color)
status=0
echo "=== schemathesis: every operation but createDatabase, undeleteDatabase, revokeToken"
"${st[@]}" --exclude-operation-id createDatabase --exclude-operation-id undeleteDatabase \
  --exclude-operation-id revokeToken >"$CP_WORK/all.out" 2>&1 || status=1
tail -n 12 "$CP_WORK/all.out"
echo "=== schemathesis: createDatabase and undeleteDatabase, schema-violating input only"
"${st[@]}" --include-operation-id createDatabase --include-operation-id undeleteDatabase --mode negative \
  >"$CP_WORK/negative.out" 2>&1 || status=1
tail -n 12 "$CP_WORK/negative.out"

answer=$(curl -s -w ' %{http_code}' -H "Authorization: Bearer $token" "$api/v1/databases?include_deleted=true")
if [ "$answer" != '{"databases":[]}
 200' ]; then
  echo "control_plane_schemathesis: after the runs, GET /v1/databases answered: $answer"
  status=1
fi
if [ $status -ne 0 ]; then
  grep -B2 -A20 "^Failures\|^_* .* _*$" "$CP_WORK/all.out" "$CP_WORK/negative.out" | head -n 80 || true
  echo "control_plane_schemathesis: FAIL"
  exit 1
fi
echo "control_plane_schemathesis: PASS"
