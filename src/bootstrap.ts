// Builds the AppContext from configuration: database (checked or created), channel layer, storage,
// mail. Shared by `npm start`, the CLI and the tests.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { AppContext } from './context.ts';
import { openDatabase, type Database } from './db/index.ts';
import { prepareSchema, DEMO_SQL_PATH, type PrepareOutcome } from './db/schema.ts';
import { loadSqlFile } from './db/load.ts';
import { createChannelLayer } from './layers/index.ts';
import type { ChannelLayer } from './layers/types.ts';
import { LocalStorage } from './storage/local.ts';
import type { MediaStorage } from './storage/types.ts';
import { createMailer } from './mail.ts';
import { DbPresence } from './presence.ts';
import { createLogger } from './log.ts';
import { createPushSender, type PushSender } from './notification/push.ts';
import { createOnlineRegistry, type OnlineRegistry } from './online.ts';
import { MemoryLoginThrottle } from './admin/throttle.ts';

export function pgliteDirFor(config: Config): string {
  return path.join(config.dataDir, 'pgdata');
}

export async function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: config.databaseUrl ? null : pgliteDirFor(config) });
}

export async function createStorage(config: Config): Promise<MediaStorage> {
  if (config.cloudinary) {
    const { CloudinaryStorage } = await import('./storage/cloudinary.ts');
    return new CloudinaryStorage(config.cloudinary);
  }
  fs.mkdirSync(config.mediaRoot, { recursive: true });
  return new LocalStorage(config.mediaRoot, process.env.MEDIA_BASE_URL ?? `http://localhost:${config.port}`, config.cloudinaryCloudName);
}

export interface BuildOptions {
  log?: Logger;
  db?: Database;
  layer?: ChannelLayer;
  storage?: MediaStorage;
  push?: PushSender;
  online?: OnlineRegistry;
}

export interface Built {
  ctx: AppContext;
  schema: PrepareOutcome;
  demoLoaded: boolean;
}

export async function buildContext(config: Config, opts: BuildOptions = {}): Promise<Built> {
  const log = opts.log ?? createLogger(config.logLevel);
  const db = opts.db ?? (await openConfiguredDatabase(config));
  const schema = await prepareSchema(db);
  let demoLoaded = false;
  if (schema === 'created' && config.loadDemoData) {
    await loadSqlFile(db, DEMO_SQL_PATH, { reset: false });
    demoLoaded = true;
  }
  const layer = opts.layer ?? (await createChannelLayer(config, log));
  const storage = opts.storage ?? (await createStorage(config));
  const ctx: AppContext = {
    config,
    db,
    layer,
    storage,
    log,
    presence: new DbPresence(db.knex, log),
    mailer: createMailer(config.email, log),
    push: opts.push ?? (await createPushSender(config.firebaseCredentials, db.knex, log)),
    online: opts.online ?? createOnlineRegistry(layer.kind === 'memory' ? null : config.redisUrl, log),
    // Admin (issue #14): a per-process log-in throttle until #13's shared throttles exist.
    admin: { loginThrottle: new MemoryLoginThrottle(), site: null },
    onReset: [],
  };
  return { ctx, schema, demoLoaded };
}

export async function closeContext(ctx: AppContext): Promise<void> {
  await ctx.online.close().catch(() => undefined);
  await ctx.layer.close().catch(() => undefined);
  await ctx.db.close().catch(() => undefined);
}
