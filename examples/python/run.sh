#!/usr/bin/env bash
# run.sh URI — installs the Python SDK from this checkout into a venv under this
# example (the SDK's dependencies once, the SDK itself each time, so it is never
# stale) and runs the app against a Shale cluster.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet ../../sdk/python
fi
.venv/bin/pip install --quiet --force-reinstall --no-deps ../../sdk/python
exec .venv/bin/python invoices.py "$1"
