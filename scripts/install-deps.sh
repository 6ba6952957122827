#!/usr/bin/env bash
# install-deps.sh — installs the Debian packages Shale needs to build, run and test,
# plus any package named as an argument (make lint and make format pass theirs).
# Idempotent: packages already installed are skipped, so a second run is quick and
# needs no network. Uses sudo when not run as root.
set -euo pipefail

packages=(
  # servers and headers
  postgresql-15 postgresql-server-dev-15 postgresql-client-15 postgresql-contrib libpq-dev
  # build tools and libraries
  build-essential g++ make cmake pkg-config
  libboost-dev libboost-program-options-dev nlohmann-json3-dev
  # tests
  googletest libgtest-dev python3-psycopg2
  # control plane tests: answers checked against the OpenAPI file (test/e2e/control_plane.sh)
  python3-jsonschema
  # schemathesis from PyPI in a venv (scripts/install-python-test-deps.sh)
  python3-venv python3-pip
  # shale serve: API tokens hashed with SHA-256, random tokens and passwords (OpenSSL libcrypto)
  libssl-dev
  # shaled's HTTP API tests (test/e2e/http_api.sh); Boost.Beast comes with libboost-dev
  curl
  # backups (docs/backups.md)
  pgbackrest
  # the portal's browser tests (test/e2e/portal.sh): Playwright drives Debian's Chromium headless
  chromium
  # multi-host tests cut hosts (network namespaces) off with nft (test/multinode/partition_worker_host.sh);
  # ip and tc come with iproute2
  nftables iproute2
  "$@"
)
# the SDKs' tests (test/e2e/sdks.sh): Go, Node.js with npm, and Python's venv, from Debian
# only where the machine has none already
command -v go >/dev/null || packages+=(golang-go)
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
python3 -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
