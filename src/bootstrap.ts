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
import { createLogger } from './log.ts';
import { createPushSender, type PushSender } from './notification/push.ts';
import { HandshakeLookups } from './realtime/handshake.ts';
import { createOnlineRegistry, type OnlineRegistry } from './realtime/online.ts';
import { SessionIndex } from './realtime/sessions.ts';
import { GroupRenderer } from './realtime/fanout.ts';
import { DbLastSeenWriter } from './user/lastSeen.ts';
import { OtpAttemptGuard } from './user/otpGuard.ts';
import { UploadBudget } from './drf/uploads.ts';
import { createCounterStore, MemoryCounterStore, type CounterStore } from './drf/throttling.ts';
import { GoogleIdTokenVerifier } from './user/google.ts';
import { SocketMessageWriter } from './chat/socketQueries.ts';
import { StoreLoginThrottle } from './admin/throttle.ts';
import { createClientIdStore, type ClientIdStore } from './chat/clientIds.ts';
import { createSharedSocketPlaces, type SharedSocketPlaces } from './realtime/socketPlaces.ts';

export function pgliteDirFor(config: Config): string {
  return path.join(config.dataDir, 'pgdata');
}

export async function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: config.databaseUrl ? null : pgliteDirFor(config), timeouts: config.dbTimeouts });
}

async function createStorage(config: Config): Promise<MediaStorage> {
  if (config.cloudinary) {
    const { CloudinaryStorage } = await import('./storage/cloudinary.ts');
    return new CloudinaryStorage(config.cloudinary);
  }
  fs.mkdirSync(config.mediaRoot, { recursive: true });
  return new LocalStorage(config.mediaRoot, config.mediaBaseUrl ?? `http://localhost:${config.port}`, config.cloudinaryCloudName);
}

export interface BuildOptions {
  log?: Logger;
  db?: Database;
  layer?: ChannelLayer;
  storage?: MediaStorage;
  push?: PushSender;
  online?: OnlineRegistry;
  chatClientIds?: ClientIdStore;
  throttles?: CounterStore;
  socketPlaces?: SharedSocketPlaces | null;
}

export interface Built {
  ctx: AppContext;
  schema: PrepareOutcome;
  demoLoaded: boolean;
}

export async function buildContext(config: Config, opts: BuildOptions = {}): Promise<Built> {
  const log = opts.log ?? createLogger(config.logLevel);
  const db = opts.db ?? (await openConfiguredDatabase(config));
  const schema = await prepareSchema(db, { create: config.createSchema });
  let demoLoaded = false;
  if (schema === 'created' && config.loadDemoData) {
    await loadSqlFile(db, DEMO_SQL_PATH, { reset: false });
    demoLoaded = true;
  }
  const layer = opts.layer ?? (await createChannelLayer(config, log));
  const storage = opts.storage ?? (await createStorage(config));
  const push = opts.push ?? (await createPushSender(config.firebaseCredentials, db.knex, log));
  const online = opts.online ?? createOnlineRegistry(layer.kind === 'memory' ? null : config.redisUrls, log);
  const chatClientIds = opts.chatClientIds ?? createClientIdStore(layer.kind === 'memory' ? null : config.redisUrls, log);
  const throttles = opts.throttles ?? createCounterStore(layer.kind === 'memory' ? null : config.redisUrls, log);
  const socketPlaces =
    opts.socketPlaces !== undefined
      ? opts.socketPlaces
      : config.wsMaxSocketsPerUserShared && layer.kind !== 'memory'
        ? createSharedSocketPlaces(config.redisUrls, log)
        : null;
  const ctx = assembleContext({
    config,
    log,
    db,
    layer,
    storage,
    mailer: createMailer(config.email, log, !config.databaseUrl || config.debug),
    push,
    online,
    chatClientIds,
    throttles,
    socketPlaces,
  });
  return { ctx, schema, demoLoaded };
}

type ContextParts = Pick<AppContext, 'config' | 'log' | 'db' | 'layer' | 'storage' | 'mailer' | 'push' | 'online' | 'chatClientIds'> &
  Partial<Pick<AppContext, 'throttles' | 'socketPlaces'>>;

/** The context around its connections (database, layer, storage, mail, push, online registry, client_id
 * claims — in memory without Redis): the per-process
 * services start empty. Tests call it again to get fresh services over the same connections. */
function assembleContext(parts: ContextParts): AppContext {
  const { config, log, db, layer } = parts;
  const throttles = parts.throttles ?? new MemoryCounterStore();
  return {
    ...parts,
    throttles,
    socketPlaces: parts.socketPlaces ?? null,
    sessions: new SessionIndex(layer, log),
    groupRenderer: new GroupRenderer(),
    handshakes: new HandshakeLookups(db.knex),
    chatMessages: new SocketMessageWriter(db.knex, undefined, { maxWaitMs: config.wsSendMaxWaitMs, maxQueued: config.wsSendMaxQueued }),
    lastSeen: new DbLastSeenWriter(db.knex, log),
    otpGuard: new OtpAttemptGuard(throttles),
    uploads: new UploadBudget(config.upload.maxBytesInFlight),
    google: new GoogleIdTokenVerifier(config, log),
    // The admin's log-in throttle counts in the same store (shared through Redis when configured).
    admin: { loginThrottle: new StoreLoginThrottle(throttles), site: null },
  };
}

export async function closeContext(ctx: AppContext): Promise<void> {
  await ctx.online.close().catch(() => undefined);
  await ctx.socketPlaces?.close().catch(() => undefined);
  await ctx.chatClientIds.close().catch(() => undefined);
  await ctx.throttles.close().catch(() => undefined);
  await ctx.layer.close().catch(() => undefined);
  await ctx.db.close().catch(() => undefined);
}
