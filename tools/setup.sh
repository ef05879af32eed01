#!/usr/bin/env bash
# Installs what csim needs on a Debian machine, by package name, and only what is missing.
# Idempotent: a second run does nothing (no apt-get update unless something is missing).
set -euo pipefail

packages=(
  bazel-bootstrap          # Bazel 4.2.3 (offline build, see docs/building.md)
  g++
  haproxy iproute2 nftables util-linux procps
  libboost-all-dev nlohmann-json3-dev libyaml-cpp-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev openssl        # TLS: the API server with --listen, HTTPS ingresses, test certificates
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# kubectl: the machine image ships a current one; Debian's kubernetes-client is older (1.20)
# and only a fallback.
if ! command -v kubectl >/dev/null 2>&1; then missing+=(kubernetes-client); fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
    echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
