#!/usr/bin/env bash
# Installs the project and runs the example pipeline locally (a daily weather aggregate written
# to out/daily_weather_jan_2024.parquet).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
npm run build
node dist/src/cli/aqueducts.js run --file examples/weather.yml -p month=jan -p year=2024
