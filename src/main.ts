// `npm start` / `node dist/main.js`: configuration → database → channel layer → storage → HTTP +
// WebSocket server; SIGTERM drains it (src/server/lifecycle.ts). WEB_CONCURRENCY > 1: this process is
// the cluster primary and the workers run the server (src/server/cluster.ts).
import cluster from 'node:cluster';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from './config.ts';
import { buildContext, pgliteDirFor } from './bootstrap.ts';
import { listen } from './app.ts';
import { createLogger } from './log.ts';
import { DEMO_USERS_PATH } from './db/schema.ts';
import { TOKEN_TABLE, USER_TABLE } from './auth/tokens.ts';
import { ShutdownController, startupFailureLine } from './server/lifecycle.ts';
import { followPrimary, runPrimary } from './server/cluster.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`csi-chat: configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  if (config.webConcurrency > 1 && cluster.isPrimary) return runPrimary(config, log);

  // First thing: a SIGTERM during start-up stops it cleanly instead of killing it half-way.
  const shutdown = new ShutdownController(config.shutdownGraceMs, log);
  if (cluster.isWorker) followPrimary(shutdown);
  else shutdown.install();

  if (!config.databaseUrl) {
    // Plain text for the person at the terminal: the first PGlite start takes a while and logs nothing.
    const fresh = !fs.existsSync(path.join(pgliteDirFor(config), 'PG_VERSION'));
    process.stderr.write(
      fresh
        ? `csi-chat: creating the embedded database in ${pgliteDirFor(config)} (first start: about 20-60 s)...\n`
        : `csi-chat: opening the embedded database in ${pgliteDirFor(config)}...\n`,
    );
  }
  let built;
  try {
    built = await buildContext(config, { log });
  } catch (err) {
    console.error(startupFailureLine(err));
    process.exit(1);
  }
  const { ctx } = built;
  if (shutdown.stopRequested) return shutdown.abortStart(ctx);
  const running = await listen(ctx, config.port, config.host);
  shutdown.serving(ctx, running);
  ctx.log.info(
    {
      database: ctx.db.description,
      schema: built.schema,
      channelLayer: ctx.layer.kind,
      storage: ctx.storage.kind,
      port: running.port,
      pid: process.pid,
    },
    `csi-chat listening on http://${config.host}:${running.port} — database: ${ctx.db.description}; channel layer: ${ctx.layer.kind}; media: ${ctx.storage.kind}`,
  );
  if (!config.databaseUrl) await printDemoLogins(ctx, running.port);
}

/** Embedded mode, every start: the demo logins as plain lines (and where they are written down). */
async function printDemoLogins(ctx: import('./context.ts').AppContext, port: number): Promise<void> {
  const demo = JSON.parse(fs.readFileSync(DEMO_USERS_PATH, 'utf8')) as { users: Array<{ email: string; password: string }> };
  const rows: Array<{ email: string; key: string | null }> = await ctx.db
    .knex(`${USER_TABLE} as u`)
    .leftJoin(`${TOKEN_TABLE} as t`, 't.user_id', 'u.id')
    .whereIn(
      'u.email',
      demo.users.map((u) => u.email),
    )
    .select('u.email', 't.key');
  const tokens = new Map(rows.map((r) => [r.email, r.key]));
  const present = demo.users.filter((u) => tokens.has(u.email));
  if (!present.length) return;
  const lines = present.map(
    (u) => `  ${u.email.padEnd(28)} password ${u.password.padEnd(15)} token ${tokens.get(u.email) ?? '(created at first login)'}`,
  );
  process.stdout.write(
    `\ncsi-chat is up on http://localhost:${port} — demo logins (also in db/demo-users.json):\n${lines.join('\n')}\n` +
      `try: npm run ws -- /ws/chat/1/ ${tokens.get(present[0].email) ?? '<token>'}\n\n`,
  );
}

main().catch((err) => {
  console.error('csi-chat: fatal:', err);
  process.exit(1);
});
