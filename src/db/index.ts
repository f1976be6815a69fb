// Database handle: knex over node-postgres when DATABASE_URL is set, otherwise PGlite (Postgres in
// WASM, file-backed) through knex-pglite. Both return timestamps as the server's text so that
// microseconds survive (a JS Date would truncate them to milliseconds), with the session in UTC.
import fs from 'node:fs';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import ClientPgLite from 'knex-pglite';

export type DatabaseKind = 'pg' | 'pglite';

export interface Database {
  knex: Knex;
  kind: DatabaseKind;
  /** Human-readable description for the start-up log (no credentials). */
  description: string;
  /** Runs a multi-statement SQL script (simple query protocol). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

const OID = { INT8: 20, DATE: 1082, TIMESTAMP: 1114, TIMESTAMPTZ: 1184, NUMERIC: 1700, INT8_ARRAY: 1016 } as const;

const keepText = (v: string) => v;
const toNumber = (v: string) => Number(v);

function parseIntArray(v: string): number[] {
  const inner = v.slice(1, -1);
  return inner === '' ? [] : inner.split(',').map(Number);
}

/** Type parsers shared by both drivers: ids (bigint) as numbers, dates and timestamps as text. */
const TYPE_PARSERS: Record<number, (v: string) => unknown> = {
  [OID.INT8]: toNumber,
  [OID.DATE]: keepText,
  [OID.TIMESTAMP]: keepText,
  [OID.TIMESTAMPTZ]: keepText,
  [OID.NUMERIC]: keepText,
  [OID.INT8_ARRAY]: parseIntArray,
};

const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    const parser = TYPE_PARSERS[oid];
    if (parser && format !== 'binary') return parser;
    return pg.types.getTypeParser(oid, format);
  },
};

/** SQL that puts a session back in the shape csi-chat expects (pg_dump scripts clear search_path). */
const SESSION_SETUP_SQL = `SET TIME ZONE 'UTC'; SELECT pg_catalog.set_config('search_path', '"$user", public', false);`;

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

/** How long Postgres may take (ms): a hung or black-holed database is answered as unavailable (503,
 * error frames) within these bounds instead of holding requests and sockets for ever. */
export interface DatabaseTimeouts {
  /** Opening a connection (TCP + start-up + auth). */
  connectMs: number;
  /** One statement: Postgres' statement_timeout, and the driver's own wait for the answer (a link that
   * stopped delivering never answers), a little longer so the server's cancel is seen first. */
  statementMs: number;
  /** Waiting for a free pooled connection. */
  poolAcquireMs: number;
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = { connectMs: 5000, statementMs: 10000, poolAcquireMs: 5000 };

export interface OpenOptions {
  databaseUrl: string | null;
  /** Directory for PGlite's files; null = in-memory (tests). */
  pgliteDir: string | null;
  poolMax?: number;
  timeouts?: DatabaseTimeouts;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, opts.poolMax ?? 10, opts.timeouts ?? DEFAULT_DATABASE_TIMEOUTS);
  return openPglite(opts.pgliteDir);
}

/** A pooled connection still waiting for a statement the driver gave up on (a read timeout on a link
 * that stopped delivering) is not handed out again: every query behind it would wait too. */
function idle(conn: pg.Client): boolean {
  const c = conn as unknown as { _activeQuery?: unknown; _queryQueue?: unknown[]; _ending?: boolean };
  return !c._activeQuery && (c._queryQueue?.length ?? 0) === 0 && !c._ending;
}

async function openPostgres(databaseUrl: string, poolMax: number, timeouts: DatabaseTimeouts): Promise<Database> {
  const knex = knexFactory({
    client: 'pg',
    connection: {
      connectionString: databaseUrl,
      types: pgTypes,
      connectionTimeoutMillis: timeouts.connectMs,
      statement_timeout: timeouts.statementMs,
      query_timeout: timeouts.statementMs + 1000,
      keepAlive: true,
    } as Knex.PgConnectionConfig,
    pool: {
      min: 0,
      max: poolMax,
      afterCreate(conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void) {
        conn.query("SET TIME ZONE 'UTC'", (err) => done(err ?? null, conn));
      },
      validate: idle,
    },
    acquireConnectionTimeout: timeouts.poolAcquireMs,
    // knex prints pool errors to the console; the views and consumers log them (503 / error frames).
    log: { warn: () => undefined, error: () => undefined, deprecate: () => undefined, debug: () => undefined },
  });
  // Fail fast at start-up with the driver's own message (wrong host, auth, missing database).
  await knex.raw('select 1');
  return {
    knex,
    kind: 'pg',
    description: `PostgreSQL ${redact(databaseUrl)}`,
    async exec(sql) {
      // One pooled connection, simple query protocol (multi-statement scripts); a failed script must not
      // hand an aborted transaction back to the pool.
      const conn = (await knex.client.acquireConnection()) as pg.Client;
      try {
        // Loading a dump is one long statement: no statement bound for it (RESET below restores it).
        await conn.query('SET statement_timeout = 0');
        await conn.query({ text: sql, query_timeout: 24 * 3600 * 1000 } as pg.QueryConfig);
      } catch (err) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        await conn.query(`${SESSION_SETUP_SQL} RESET statement_timeout;`).catch(() => undefined);
        await knex.client.releaseConnection(conn);
      }
    },
    async close() {
      await knex.destroy();
    },
  };
}

/**
 * PGlite runs a statement synchronously on this thread and settles its promise in a microtask, so
 * statements awaited one after another (the chat writer's batches, many sockets' frames each waiting on the
 * previous one) never let the event loop turn: no socket is read or written and no timer fires until all
 * of them are done (200 awaited inserts: 0 ticks of a 5 ms interval). Under load the embedded server
 * answered nothing for 20 s, then read every socket's frames at once and cut the senders as floods
 * (bench/overload.ts, bench/results.md). Each statement first waits for a turn of the event loop, as a
 * network database's answer does.
 */
function yieldingPglite(pglite: PGlite): PGlite {
  return new Proxy(pglite, {
    get(target, prop) {
      if (prop === 'query') {
        return async (...args: Parameters<PGlite['query']>) => {
          await new Promise<void>((resolve) => setImmediate(resolve));
          return target.query(...args);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function openPglite(dir: string | null): Promise<Database> {
  if (dir) fs.mkdirSync(dir, { recursive: true });
  const pglite = dir
    ? new PGlite({ dataDir: dir, parsers: TYPE_PARSERS })
    : new PGlite({ parsers: TYPE_PARSERS });
  await pglite.waitReady;
  await pglite.exec(SESSION_SETUP_SQL);
  const knex = knexFactory({
    client: ClientPgLite as unknown as typeof Knex.Client,
    connection: (() => ({ pglite: yieldingPglite(pglite) })) as unknown as Knex.StaticConnectionConfig,
  });
  return {
    knex,
    kind: 'pglite',
    description: dir ? `PGlite (embedded, files in ${dir})` : 'PGlite (embedded, in memory)',
    async exec(sql) {
      try {
        await pglite.exec(sql);
      } catch (err) {
        await pglite.exec('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        await pglite.exec(SESSION_SETUP_SQL);
      }
    },
    async close() {
      await knex.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
