#!/usr/bin/env bash
# serve-down.sh — stops what scripts/serve-up.sh started: `shale serve` (SIGTERM,
# by the pid it recorded, which also stops its state instance) and the cluster
# of every database under the serve directory (`shale down`). The data stays;
# serve-up.sh starts it all again.
set -euo pipefail
shale=${SHALE_BIN:-/usr/local/bin/shale}
dir=$(realpath -m "${SHALE_SERVE_DIR:-./.shale-serve}")
if [ -f "$dir/serve.pid" ]; then
  pid=$(cat "$dir/serve.pid")
  if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "serve --dir $dir "; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "serve-down: stopped shale serve (pid $pid)"
  fi
  rm -f "$dir/serve.pid"
fi
for cluster in "$dir"/databases/*/; do
  [ -f "$cluster/cluster.json" ] && "$shale" down --dir "${cluster%/}" >/dev/null && echo "serve-down: stopped ${cluster%/}"
done
exit 0
