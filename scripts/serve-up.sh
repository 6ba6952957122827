#!/usr/bin/env bash
# serve-up.sh — `make up`: starts `shale serve` on this machine (detached,
# in ./.shale-serve unless SHALE_SERVE_DIR says otherwise) unless it already
# runs, creates a first database "main" from the blank template unless it
# exists, and prints the API address, the admin token and the database URI
# (the URI last), and the portal's address. Safe to run again: it changes nothing that is already there.
# The first admin token is kept in DIR/admin-token (mode 0600) so that a re-run
# can print it; remove that file once you have stored the token elsewhere.
# scripts/serve-down.sh stops it all again.
set -euo pipefail
shale=${SHALE_BIN:-/usr/local/bin/shale}
dir=$(realpath -m "${SHALE_SERVE_DIR:-./.shale-serve}")
mkdir -p "$dir"

api_answers() { curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/v1/openapi.json" | grep -q 200; }

port=""
[ -f "$dir/serve.port" ] && port=$(cat "$dir/serve.port")
if [ -z "$port" ] || ! api_answers "$port"; then
  if [ -z "$port" ]; then
    port=8420
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  fi
  echo "serve-up: starting shale serve on 127.0.0.1:$port (log: $dir/serve.log)"
  setsid "$shale" serve --dir "$dir" --port "$port" --token-file "$dir/admin-token" \
    --log-file "$dir/serve.log" </dev/null >>"$dir/serve.out" 2>&1 &
  echo $! >"$dir/serve.pid"
  echo "$port" >"$dir/serve.port"
  for _ in $(seq 1 120); do api_answers "$port" && break; sleep 0.5; done
  api_answers "$port" || { echo "serve-up: shale serve did not start; end of $dir/serve.out:"; tail -n 20 "$dir/serve.out"; exit 1; }
fi
api="http://127.0.0.1:$port"
[ -f "$dir/admin-token" ] || { echo "serve-up: $dir/admin-token is gone; use a token you stored (shale token create)"; exit 1; }
token=$(cat "$dir/admin-token")
export SHALE_API_URL=$api SHALE_TOKEN=$token

if ! "$shale" db show main >/dev/null 2>&1; then
  echo "serve-up: creating the database \"main\" (blank template)"
  "$shale" db create main --template blank >/dev/null
fi
# a restart of shale serve starts the stopped clusters: wait for that operation
id=$("$shale" db show main --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["database"]["id"])')
for _ in $(seq 1 240); do
  busy=$(curl -s -H "Authorization: Bearer $token" "$api/v1/operations?database_id=$id&limit=1" |
    python3 -c 'import json, sys; o = json.load(sys.stdin)["operations"]; print(1 if o and o[0]["state"] in ("pending", "running") else 0)')
  [ "$busy" = 0 ] && break
  sleep 0.5
done
uri=$("$shale" db show main --json | python3 -c 'import json, sys; d = json.load(sys.stdin)["database"]; print(d["uri"] or "")')
[ -n "$uri" ] || { echo "serve-up: the database \"main\" is not ready:"; "$shale" db show main; exit 1; }
# the operator on this machine gets the superuser's URI with its password (kept in the cluster's
# pgpass file; every node asks for it); applications get roles of their own (POST /v1/databases/{id}/roles)
password=$(awk -F: '$4 == "postgres" { print $5; exit }' "$dir/databases/$id/pgpass" 2>/dev/null || true)
[ -n "$password" ] && uri=${uri/postgres:\/\/postgres@/postgres:\/\/postgres:$password@}
echo "portal: $api/   (open it in a browser: create the first admin there, or sign in with the token)"
echo "API:   $api/v1   (OpenAPI: $api/v1/openapi.json)"
echo "token: $token   (also in $dir/admin-token)"
echo "$uri"
