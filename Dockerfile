# paystream: one image for every role; the role is chosen by the command
# (`node --import tsx ops/cli/main.ts run <role>`, or `... migrate`).
# The base image is pinned to an exact release so a rebuild gets the same Node.
ARG NODE_IMAGE=node:20.19.4-bookworm-slim

# Stage 1: production dependencies only, from the lockfile. tsx is a runtime dependency
# (the TypeScript sources run as they are), so `--omit=dev` keeps it.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production \
    npm_config_audit=false \
    npm_config_fund=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev \
 && test -f node_modules/tsx/package.json \
 && npm cache clean --force

# Stage 2: the runtime. Sources and dependencies belong to root and are read-only for the
# process, which runs as the unprivileged `node` user (uid 1000) of the base image.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PAYSTREAM_DATA_DIR=/var/lib/paystream \
    METRICS_PORT=9464
WORKDIR /app
RUN mkdir -p /var/lib/paystream \
 && chown node:node /var/lib/paystream \
 && chmod 0700 /var/lib/paystream
COPY --from=deps /app/node_modules ./node_modules
COPY . .
USER node
# 8080: ingress API (api role); 9464: /metrics, /healthz, /readyz (every role).
EXPOSE 8080 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.METRICS_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "ops/cli/main.ts", "run", "api"]
