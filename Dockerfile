# syntax=docker/dockerfile:1
# The aqueducts-executor server: Node 24 LTS on Debian bookworm (slim), with unixODBC and the
# PostgreSQL ODBC driver. Configuration comes from the environment (docs/operations.md, "Configuration").
#   Build:  docker build -t aqueducts-executor .
#   Run:    docker run --rm -p 3031:3031 -e API_KEY=change-me -v "$PWD/data:/data" aqueducts-executor
# Draining on SIGTERM waits up to DRAIN_TIMEOUT (60 s) for the running pipeline; give `docker stop`
# more than that (`-t 75`, or `stop_grace_period` in compose) or the run is killed mid-way.

# --- build: compile TypeScript, then drop the dev dependencies ------------------------------------
FROM node:24-bookworm-slim AS build
# The optional `odbc` module compiles against unixODBC's headers (node-gyp: python3, make, g++).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ unixodbc-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund \
 && node -e "require('odbc')"
COPY tsconfig.json tsconfig.build.json ./
COPY machines ./machines
COPY src ./src
RUN npm run build \
 && chmod 755 dist/src/cli/aqueducts.js \
 && npm prune --omit=dev

# --- runtime ------------------------------------------------------------------------------------------
FROM node:24-bookworm-slim

# ODBC driver manager and the PostgreSQL driver (registered as "PostgreSQL Unicode" / "PostgreSQL ANSI").
RUN apt-get update \
 && apt-get install -y --no-install-recommends unixodbc odbc-postgresql \
 && rm -rf /var/lib/apt/lists/* \
 && grep -qF '[PostgreSQL Unicode]' /etc/odbcinst.ini

WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The CLI on PATH, e.g. `docker exec <container> aqueducts validate --file examples/weather.yml`.
RUN ln -s /app/dist/src/cli/aqueducts.js /usr/local/bin/aqueducts

# Pipeline data: relative locations in pipelines resolve against /data (created before VOLUME so
# the node user owns the volume).
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
WORKDIR /data

ENV NODE_ENV=production \
    EXECUTOR_MODE=standalone \
    BIND_ADDRESS=0.0.0.0:3031 \
    DATA_ROOT=/data \
    SPILL_DIR=/tmp/aqueducts-spill \
    RUST_LOG=info

USER node
EXPOSE 3031

# Slim images have no curl: ask Node. Assumes the default port and plain HTTP; with another
# BIND_ADDRESS port or TLS, override it (docker run --health-cmd ...). 503 while draining = unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3031/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

ENTRYPOINT ["node", "/app/dist/src/cli/aqueducts-executor.js"]
