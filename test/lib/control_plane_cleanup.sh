# control_plane_cleanup.sh — the exit trap of the control plane's test and
# bench scripts: kills the `shale serve` of $CP_WORK, stops every database
# cluster and the state instance under it by data directory, removes $CP_WORK
# (kept when KEEP_CP_WORK is set). Needs PG_BIN and SHALE_BIN (test/lib/cluster.sh).
control_plane_cleanup() {
  local pid
  pid=$(pgrep -f -- "serve --dir $CP_WORK/serve" || true)
  if [ -n "$pid" ]; then
    kill -TERM $pid 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.2; done
    kill -KILL $pid 2>/dev/null || true
  fi
  for cluster in "$CP_WORK"/serve/databases/*/; do
    [ -f "$cluster/cluster.json" ] && "$SHALE_BIN" down --dir "${cluster%/}" >/dev/null 2>&1 || true
  done
  for data in "$CP_WORK"/serve/databases/*/*/* "$CP_WORK"/serve/state/data; do
    if [ -f "$data/postmaster.pid" ]; then
      if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$PG_BIN/pg_ctl" stop -m immediate -D "$data" >/dev/null 2>&1 || true
      else
        "$PG_BIN/pg_ctl" stop -m immediate -D "$data" >/dev/null 2>&1 || true
      fi
    fi
  done
  if [ "${KEEP_CP_WORK:-}" = "" ]; then rm -rf "$CP_WORK"; fi
}
