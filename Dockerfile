# syntax=docker/dockerfile:1
# Aqueducts executor image: Node 24 LTS on Debian slim.
# Build:  docker build -t aqueducts-executor .
# Run a pipeline mounted at /work:  docker run --rm -v "$PWD:/work" -w /work aqueducts-executor run --file pipeline.yml

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY machines ./machines
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY examples ./examples
RUN ln -s /app/dist/src/cli/aqueducts.js /usr/local/bin/aqueducts && chmod +x /app/dist/src/cli/aqueducts.js
USER node
ENTRYPOINT ["aqueducts"]
CMD ["--help"]
