# csi-chat for hosts other than Render (on Render, render.yaml builds on the Node runtime instead).
#   docker build -t csi-chat .
#   docker run -p 8000:8000 -e DATABASE_URL=... -e REDIS_URL=... -e SECRET_KEY=... csi-chat
# Shutdown: SIGTERM drains within SHUTDOWN_GRACE_MS (25 s by default); `docker stop` waits only 10 s
# before SIGKILL, so stop with `docker stop -t 30` (compose: stop_grace_period: 30s) or set
# SHUTDOWN_GRACE_MS below the stop timeout.
# test/server/deploy-config.test.ts checks this file's structure and .dockerignore (no Docker engine needed).

# --- build: compile TypeScript to dist/ and bundle the admin's front end into dist/admin-assets/ ---
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The root's postinstall (the admin bundle) needs scripts/ and src/, not copied yet: `npm run build` below
# builds it instead. It is deleted from the package.json here, not skipped with --ignore-scripts and an
# `npm rebuild` after: `npm rebuild` runs the root's postinstall too (the build stopped there). The
# dependencies' own install scripts (native modules) run as usual.
RUN npm pkg delete scripts.postinstall && npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY db ./db
RUN npm run build

# --- run: production dependencies, the compiled server and the files it reads (db/) ---
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8000
WORKDIR /app
COPY package.json package-lock.json ./
# Without the root's postinstall (the admin bundle comes from the build stage; scripts/ is not here).
RUN npm pkg delete scripts.postinstall && npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY db ./db
# The API documents (API_DOCS=true) take their examples from the recorded transcripts.
COPY fixtures/golden ./fixtures/golden
# The embedded database (no DATABASE_URL) and local media live under DATA_DIR=./data.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM itself (no shell, no npm in between); it installs its own
# SIGTERM/SIGINT handlers, which PID 1 needs, and reaps its only children (WEB_CONCURRENCY workers).
CMD ["node", "dist/main.js"]
