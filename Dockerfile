# syntax=docker/dockerfile:1
# imagewarden: `docker build -t imagewarden .`, then run the daemon with a config mounted at
# /etc/imagewarden/config.yaml and a volume at /var/lib/imagewarden (the SQLite store, feed
# cache, reports and job locks).

# Build stage: compiles better-sqlite3 from source (its prebuilt download is not reachable
# from every build network) and the TypeScript, then drops the dev dependencies.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# node-gyp builds against the running Node's own headers, which the official image ships here.
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
# Not `npm ci`: it refuses a lock file whose other-platform optional binaries (swc, jest's
# resolver) the registry cannot resolve; `npm install` keeps the locked versions (see .ci/run).
RUN npm install --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY jobs ./jobs
COPY bench ./bench
COPY scripts ./scripts
COPY test ./test
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: the compiled service, its production modules and the report templates.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# package.json: the CLI reads its version from it.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/jobs ./dist/jobs
COPY templates ./templates
RUN groupadd --gid 10001 imagewarden \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/imagewarden --shell /usr/sbin/nologin imagewarden \
 && mkdir -p /var/lib/imagewarden /etc/imagewarden \
 && chown 10001:10001 /var/lib/imagewarden
USER 10001:10001
# Relative paths in the config (database, reports, feed cache) land on the data volume.
WORKDIR /var/lib/imagewarden
VOLUME ["/var/lib/imagewarden"]
# /healthz, /readyz and /metrics (http.listen must bind 0.0.0.0:9464 in a container); no
# HEALTHCHECK: Kubernetes probes those endpoints itself.
EXPOSE 9464
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["daemon", "--config", "/etc/imagewarden/config.yaml"]
