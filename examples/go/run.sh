#!/usr/bin/env bash
# run.sh URI — runs the Go invoicing example against a Shale cluster (modules from go.sum).
set -euo pipefail
cd "$(dirname "$0")"
exec go run . "$1"
