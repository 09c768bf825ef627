#!/usr/bin/env bash
# Installs, from Debian's packages, everything oci-harden needs to build and to be tested
# against real runtimes and engines. Idempotent; used by .ci/run, make demo and the README.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential pkg-config
  libseccomp-dev libcap-ng-dev libyajl-dev libmount-dev libspdlog-dev catch2 zlib1g-dev
  runc crun containerd docker.io podman busybox-static
  jq groff-base man-db iproute2 uidmap e2fsprogs
  clang clang-tidy clang-tools libclang-rt-14-dev cppcheck python3
  # tests/e2e/cri_test.sh: the CRI client (gRPC, stubs generated at test time), CNI loopback
  python3-grpcio python3-grpc-tools containernetworking-plugins
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
