// `npm start` / `node dist/main.js`: configuration → database → channel layer → storage → HTTP +
// WebSocket server; SIGTERM drains it (src/server/lifecycle.ts). WEB_CONCURRENCY > 1: this process is
// the cluster primary and the workers run the server (src/server/cluster.ts).
import cluster from 'node:cluster';
import fs from 'node:fs';
import { ConfigError, loadConfig } from './config.ts';
import { buildContext } from './bootstrap.ts';
import { listen } from './app.ts';
import { createLogger } from './log.ts';
import { TOKEN_TABLE, USER_TABLE } from './auth/tokens.ts';
import { dbAsset } from './paths.ts';
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
    { database: ctx.db.description, schema: built.schema, channelLayer: ctx.layer.kind, storage: ctx.storage.kind, port: running.port, pid: process.pid },
    `csi-chat listening on http://${config.host}:${running.port} — database: ${ctx.db.description}; channel layer: ${ctx.layer.kind}; media: ${ctx.storage.kind}`,
  );
  if (built.demoLoaded) await logDemoUsers(ctx);
}

async function logDemoUsers(ctx: import('./context.ts').AppContext): Promise<void> {
  const demo = JSON.parse(fs.readFileSync(dbAsset('demo-users.json'), 'utf8')) as {
    users: Array<{ email: string; password: string }>;
  };
  const rows: Array<{ email: string; key: string | null }> = await ctx.db
    .knex(`${USER_TABLE} as u`)
    .leftJoin(`${TOKEN_TABLE} as t`, 't.user_id', 'u.id')
    .select('u.email', 't.key');
  const tokens = new Map(rows.map((r) => [r.email, r.key]));
  const lines = demo.users.map((u) => `  ${u.email.padEnd(28)} password ${u.password.padEnd(15)} token ${tokens.get(u.email) ?? '(created at first login)'}`);
  ctx.log.info(`demo data loaded; log in with:\n${lines.join('\n')}`);
}

main().catch((err) => {
  console.error('csi-chat: fatal:', err);
  process.exit(1);
});
