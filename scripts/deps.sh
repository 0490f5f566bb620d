#!/usr/bin/env bash
# Installs everything etcdsnap needs to build and test on Debian 12, with apt-get only.
# Works as root or through sudo; a no-op when everything is already there.
#   scripts/deps.sh           what the build and the tests need
#   scripts/deps.sh --bench   that, and what bench/run.sh needs besides (gnuplot for its charts)
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libssl-dev openssl libspdlog-dev libfmt-dev nlohmann-json3-dev libzstd-dev zlib1g-dev
  libgtest-dev libgmock-dev
  clang libclang-rt-14-dev
  golang-go golang-github-coreos-bbolt-dev
  etcd-server etcd-client
  time procps zstd gzip
  dnsmasq-base
  python3 python3-prometheus-client
  systemd strace python3-yaml
  groff-base man-db zsh dpkg-dev file lintian
)
case ${1:-} in
  "") ;;
  --bench) PACKAGES+=(gnuplot-nox coreutils util-linux) ;;  # lscpu, lsblk and df: machine.md
  *) echo "usage: scripts/deps.sh [--bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "installing: ${missing[*]}" >&2
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts etcd as a service on install; we run our own on loopback, so stop that one.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  "${SUDO[@]}" systemctl disable --now etcd >/dev/null 2>&1 || true
fi
