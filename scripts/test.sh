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
node --import tsx --test --test-reporter=spec --test-concurrency=2 --test-timeout=300000 \
  $(find test/unit test/integration -name '*.test.ts' | sort)
