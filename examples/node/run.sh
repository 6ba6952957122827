#!/usr/bin/env bash
# run.sh URI — builds the Node.js SDK, installs this example from its lockfile and
# runs it against a Shale cluster.
set -euo pipefail
cd "$(dirname "$0")"
(cd ../../sdk/node && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build) >/dev/null
npm ci --no-audit --no-fund --loglevel=error >/dev/null
exec node invoices.mjs "$1"
