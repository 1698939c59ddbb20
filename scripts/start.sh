#!/usr/bin/env bash
# Installs and builds the project, starts the executor on 127.0.0.1:3031 (override with
# BIND_ADDRESS), runs the example pipeline on it with the aqueducts CLI, and keeps the executor
# running until Ctrl+C (which drains it).
set -euo pipefail
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund
npm run build

generated=""
if [ -z "${API_KEY:-}" ]; then
  API_KEY="$(node -e 'console.log(require("node:crypto").randomBytes(16).toString("hex"))')"
  generated=1
fi
export API_KEY
export BIND_ADDRESS="${BIND_ADDRESS:-127.0.0.1:3031}"
export RUST_LOG="${RUST_LOG:-warn}"

# Its own process group (job control on): a Ctrl+C reaches the executor once, through the trap,
# and drains it; a second Ctrl+C while it drains ends it at once.
set -m
node dist/src/cli/aqueducts-executor.js &
pid=$!
set +m
trap 'kill -TERM "$pid" 2>/dev/null || true; wait "$pid" || true' INT TERM EXIT

# Wait until the executor answers its health check.
node -e '
  const url = `http://${process.argv[1]}/api/health`;
  const deadline = Date.now() + 30000;
  (async function poll() {
    try { if ((await fetch(url)).ok) return; } catch {}
    if (Date.now() > deadline) { console.error(`executor did not become healthy at ${url}`); process.exit(1); }
    setTimeout(poll, 200);
  })();
' "$BIND_ADDRESS"

echo "Running the example pipeline on the executor:"
node dist/src/cli/aqueducts.js run --executor "$BIND_ADDRESS" --api-key "$API_KEY" \
  --file examples/weather.yml -p month=jan -p year=2024

echo
echo "The executor is running at http://$BIND_ADDRESS (Ctrl+C drains and stops it)."
if [ -n "$generated" ]; then
  echo "Its API key for this session is $API_KEY (set API_KEY to choose one)."
fi
echo "Try: node dist/src/cli/aqueducts.js run --executor $BIND_ADDRESS --api-key <key> --file examples/weather.toml -p month=feb -p year=2024"
wait "$pid"
