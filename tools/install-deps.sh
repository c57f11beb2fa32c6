#!/usr/bin/env bash
# Installs the Debian 12 packages exportscreen builds with, and the tools the
# two README commands run: python3 (tools/demo.sh and the integration tests
# parse JSON and pick free ports with it), openssl (the TLS test makes its
# certificates with the CLI); libcpp-httplib-dev serves the metrics and
# probe endpoint (--metrics_listen) and the analyst console; chromium,
# chromium-driver and python3-selenium run the console's browser test
# (tests/console/); nats-server and libnats-dev (the C client) run cluster
# mode and its tests (issue 17). Idempotent: does nothing (and needs no
# network) when everything is already installed. python3-yaml: the deploy/
# manifests test (tests/deploy/).
#
#   tools/install-deps.sh              everything (README commands, CI)
#   tools/install-deps.sh --build-only what building screening_server and
#                                      screenctl needs, nothing to test with
#                                      (deploy/Dockerfile's build stage)
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev librocksdb-dev libicu-dev libssl-dev libexpat1-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev
  python3 python3-yaml openssl iso-codes
  chromium chromium-driver python3-selenium
  clang libclang-rt-14-dev clang-format
  nats-server libnats-dev libzstd-dev
)
if [ "${1:-}" = "--build-only" ]; then
  PACKAGES=(
    cmake ninja-build g++ pkg-config
    libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
    libabsl-dev librocksdb-dev libicu-dev libssl-dev libexpat1-dev
    libcpp-httplib-dev libnats-dev libzstd-dev python3 iso-codes
  )
elif [ -n "${1:-}" ]; then
  echo "usage: tools/install-deps.sh [--build-only]" >&2
  exit 2
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
