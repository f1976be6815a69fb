// Test harness: one shared database per backend (an in-memory PGlite always; the Postgres of
// DATABASE_URL when set, as in CI), reset to the Django seed on demand, and real servers on port 0.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../src/config.ts';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { prepareSchema } from '../../src/db/schema.ts';
import { loadSqlDump } from '../../src/db/load.ts';
import { buildContext, type BuildOptions } from '../../src/bootstrap.ts';
import { listen, type RunningServer } from '../../src/app.ts';
import type { AppContext } from '../../src/context.ts';
import { createLogger } from '../../src/log.ts';
import { OtpAttemptGuard } from '../../src/user/otpGuard.ts';
import { DbLastSeenWriter } from '../../src/user/lastSeen.ts';
import { MemoryClientIdStore } from '../../src/chat/clientIds.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SEED_SQL_PATH = path.join(ROOT, 'fixtures/django-seed.sql');
export const SEED_USERS = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures/seed-users.json'), 'utf8')) as {
  users: Array<{
    id: number;
    email: string;
    password: string;
    token: string | null;
    first_name: string;
    last_name: string | null;
    year: string;
    role: string;
  }>;
};

export type Backend = 'pglite' | 'pg';

/** PGlite always; real Postgres when DATABASE_URL is set (CI sets it). */
export function backends(): Backend[] {
  return process.env.DATABASE_URL ? ['pglite', 'pg'] : ['pglite'];
}

export const isCI = process.env.CI === 'true';

const databases = new Map<Backend, Promise<Database>>();

export function sharedDatabase(backend: Backend): Promise<Database> {
  let db = databases.get(backend);
  if (!db) {
    db = (async () => {
      const opened = await openDatabase(
        backend === 'pg' ? { databaseUrl: process.env.DATABASE_URL!, pgliteDir: null } : { databaseUrl: null, pgliteDir: null },
      );
      await prepareSchema(opened);
      return opened;
    })();
    databases.set(backend, db);
  }
  return db;
}

export async function closeSharedDatabases(): Promise<void> {
  for (const db of databases.values()) await (await db).close().catch(() => undefined);
  databases.clear();
}

let seedSql: string | null = null;

/** Empties every table and loads the Django seed (sequences restored, as before each golden). */
export async function resetToSeed(db: Database): Promise<void> {
  seedSql ??= fs.readFileSync(SEED_SQL_PATH, 'utf8');
  await loadSqlDump(db, seedSql, { reset: true });
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ PORT: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', DATA_DIR: path.join(ROOT, 'data/test'), ...env });
}

export interface TestServer extends RunningServer {
  ctx: AppContext;
  backend: Backend;
  wsUrl: string;
  /** Resets the database to the seed and clears the server's caches. */
  reset(): Promise<void>;
}

export async function startServer(
  backend: Backend,
  opts: { env?: Record<string, string>; build?: BuildOptions; seed?: boolean } = {},
): Promise<TestServer> {
  const config = testConfig(opts.env);
  const db = opts.build?.db ?? (await sharedDatabase(backend));
  if (opts.seed !== false) await resetToSeed(db);
  const { ctx } = await buildContext(config, { log: createLogger(config.logLevel), ...opts.build, db });
  const running = await listen(ctx, 0, '127.0.0.1');
  const reset = async () => {
    await resetToSeed(ctx.db);
    // Per-process state that outlives a database reset: fresh, as a new process would have it.
    // Throttle and attempt counts start again, as in a fresh process (a Redis store's keys are cleared).
    await ctx.throttles.clear();
    ctx.otpGuard = new OtpAttemptGuard(ctx.throttles);
    ctx.lastSeen = new DbLastSeenWriter(ctx.db.knex, ctx.log);
    // Claims name message ids of the database just replaced (ids start again from the seed's).
    if (ctx.chatClientIds instanceof MemoryClientIdStore) ctx.chatClientIds = new MemoryClientIdStore();
  };
  return {
    ...running,
    ctx,
    backend,
    wsUrl: running.baseUrl.replace(/^http/, 'ws'),
    reset,
    async close() {
      await running.close();
      // The shared database stays open for the next suite; the layer, the online registry and the
      // client_id store are per server (each holds its own Redis connections when REDIS_URL is set).
      await ctx.online.close().catch(() => undefined);
      await ctx.socketPlaces?.close().catch(() => undefined);
      await ctx.layer.close().catch(() => undefined);
      await ctx.chatClientIds.close().catch(() => undefined);
      await ctx.throttles.close().catch(() => undefined);
    },
  };
}

export function userToken(email: string): string {
  const u = SEED_USERS.users.find((x) => x.email === email || x.first_name.toLowerCase() === email.toLowerCase());
  if (!u?.token) throw new Error(`seed user ${email} has no token`);
  return u.token;
}
