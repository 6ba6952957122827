#!/usr/bin/env bash
# install-python-test-deps.sh — makes the virtual environment of the Python
# test tools from PyPI (pinned in test/requirements-schemathesis.txt) under
# build/python-test-venv (or $1), with Debian's python3 -m venv
# (python3-venv, scripts/install-deps.sh). Idempotent: a venv already holding
# exactly those pins is kept. Prints the venv's bin directory.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(realpath -m "${1:-build/python-test-venv}")
requirements=test/requirements-schemathesis.txt
stamp="$venv/.requirements"
if [ -x "$venv/bin/schemathesis" ] && cmp -s "$requirements" "$stamp"; then
  echo "$venv/bin"
  exit 0
fi
rm -rf "$venv"
/usr/bin/python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
cp "$requirements" "$stamp"
echo "$venv/bin"
