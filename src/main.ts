// `npm start`: configuration → database → channel layer → storage → HTTP + WebSocket server.
import fs from 'node:fs';
import { ConfigError, loadConfig } from './config.ts';
import { buildContext, closeContext } from './bootstrap.ts';
import { listen } from './app.ts';
import { SchemaError } from './db/schema.ts';
import { TOKEN_TABLE, USER_TABLE } from './auth/tokens.ts';
import { dbAsset } from './paths.ts';

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
  let built;
  try {
    built = await buildContext(config);
  } catch (err) {
    const msg = err instanceof SchemaError ? `refusing to start: ${err.message}` : `cannot open the database: ${(err as Error).message}`;
    console.error(`csi-chat: ${msg}`);
    process.exit(1);
  }
  const { ctx } = built;
  const running = await listen(ctx, config.port, config.host);
  ctx.log.info(
    { database: ctx.db.description, schema: built.schema, channelLayer: ctx.layer.kind, storage: ctx.storage.kind, port: running.port },
    `csi-chat listening on http://${config.host}:${running.port} — database: ${ctx.db.description}; channel layer: ${ctx.layer.kind}; media: ${ctx.storage.kind}`,
  );
  if (built.demoLoaded) await logDemoUsers(ctx);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    ctx.log.info({ signal }, 'shutting down');
    await running.close();
    await closeContext(ctx);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
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
