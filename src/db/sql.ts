// The small SQL helpers every query module uses: raw statements returning rows (knex would expand a JS
// array into a value list and wrap results differently per driver), Postgres array literals, and named
// prepared statements for the hot paths.
import type { Knex } from 'knex';

export type Db = Knex | Knex.Transaction;

/** Runs one raw statement (`?` placeholders) and returns its rows. */
export async function rows<T>(db: Db, sql: string, bindings: readonly unknown[] = []): Promise<T[]> {
  const res = (await db.raw(sql, bindings as Knex.RawBinding[])) as { rows: T[] };
  return res.rows;
}

/** An integer list as one Postgres array literal (knex would expand a JS array into a value list). */
export const pgArray = (ids: number[]) => `{${ids.map((n) => String(Math.trunc(n))).join(',')}}`;

/** A pg connection as knex's pool hands it out (node-postgres Client). */
interface PgConnection {
  query(config: { name: string; text: string; values: unknown[] } | string): Promise<{ rows: unknown[] }>;
  connection?: { parsedStatements?: Record<string, unknown> };
}

// Allow-listed module state: a memo of a pure function of constant SQL texts (the statement with $n
// placeholders), the same in every process and context.
// eslint-disable-next-line no-restricted-syntax
const preparedTexts = new Map<string, string>();

/**
 * Planner settings for the statements that read a room's messages (the groups list, the history checks and
 * count, a history page), with DB_ROOM_INDEX_PATHS=true: index paths only, and no JIT. Same rows: settings
 * change only the plan. Opt-in because they cost two more round trips per statement (BEGIN + SET, COMMIT),
 * which on a vacuumed table buy nothing and slowed the bench's light requests by a fifth on a loaded machine.
 *
 * Why (bench/results.md, "REST on churned data"): on a message table that autovacuum has not reached yet
 * (dead row versions left by updates and deletes, no visibility map), counting a room's messages must visit
 * the heap for every index entry. A bitmap heap scan, which the planner picks for those counts, never marks
 * the entries of dead versions as dead in the index, so every count visits again the page of every dead
 * version; a plain index (only) scan marks them (LP_DEAD) on its first pass, and from then on visits one
 * heap page per live row — 3–4× less work per count on the bench's churned table. The planner cannot know
 * this (it costs both alike), so bitmap and sequential scans are switched off for these statements only.
 * JIT is switched off because the estimates of these short statements (and the disabled paths' penalty
 * cost) can exceed jit_above_cost, and compiling costs tens of milliseconds.
 */
export const ROOM_MESSAGES_PLAN = 'SET LOCAL enable_bitmapscan = off; SET LOCAL enable_seqscan = off; SET LOCAL jit = off';

/**
 * rows() as a named prepared statement on Postgres: each pooled connection parses and plans the
 * statement once and then only binds and executes it (planning cost more than running these queries).
 * Same SQL, same bindings, same rows. On PGlite it is rows() itself.
 *
 * `settings` (SET LOCAL statements, e.g. ROOM_MESSAGES_PLAN): the statement runs in its own transaction
 * with them (BEGIN; settings — one round trip —, the statement, COMMIT), so they never outlive it on the
 * pooled connection, failed or not. Inside a caller's transaction they are SET LOCAL there, i.e. they last
 * until that transaction ends.
 */
export async function preparedRows<T>(db: Db, name: string, sql: string, bindings: readonly unknown[], settings?: string): Promise<T[]> {
  const client = (db as Knex).client as {
    config?: { client?: unknown };
    acquireConnection(): Promise<PgConnection>;
    releaseConnection(conn: PgConnection): Promise<void>;
  };
  if (client.config?.client !== 'pg') return rows<T>(db, sql, bindings);
  if (db.isTransaction) {
    if (settings) await db.raw(settings);
    return rows<T>(db, sql, bindings);
  }
  let text = preparedTexts.get(name);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    preparedTexts.set(name, text);
  }
  const statement = { name, text, values: [...bindings] };
  const conn = await client.acquireConnection();
  const execute = async (): Promise<T[]> => {
    if (!settings) return (await conn.query(statement)).rows as T[];
    try {
      await conn.query(`BEGIN; ${settings}`);
      const found = (await conn.query(statement)).rows as T[];
      await conn.query('COMMIT');
      return found;
    } catch (err) {
      // Never hand a connection back inside an open (or aborted) transaction.
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  };
  try {
    try {
      return await execute();
    } catch (err) {
      // A table changed under a long-lived statement (e.g. a Django migration added a column that
      // `u.*` returns): "cached plan must not change result type". Prepare it again on this connection.
      if ((err as { code?: string }).code !== '0A000') throw err;
      await conn.query(`DEALLOCATE ${name}`);
      delete conn.connection?.parsedStatements?.[name];
      return await execute();
    }
  } finally {
    await client.releaseConnection(conn);
  }
}

/** Django's icontains on PostgreSQL: UPPER(col::text) LIKE UPPER('%q%') with %, _ and \ escaped. */
export function containsPattern(q: string): string {
  return '%' + q.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}
