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
 * rows() as a named prepared statement on Postgres: each pooled connection parses and plans the
 * statement once and then only binds and executes it (planning cost more than running these queries).
 * Same SQL, same bindings, same rows. Inside a transaction and on PGlite it is rows() itself.
 */
export async function preparedRows<T>(db: Db, name: string, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  const client = (db as Knex).client as {
    config?: { client?: unknown };
    acquireConnection(): Promise<PgConnection>;
    releaseConnection(conn: PgConnection): Promise<void>;
  };
  if (db.isTransaction || client.config?.client !== 'pg') return rows<T>(db, sql, bindings);
  let text = preparedTexts.get(name);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    preparedTexts.set(name, text);
  }
  const conn = await client.acquireConnection();
  try {
    try {
      return (await conn.query({ name, text, values: [...bindings] })).rows as T[];
    } catch (err) {
      // A table changed under a long-lived statement (e.g. a Django migration added a column that
      // `u.*` returns): "cached plan must not change result type". Prepare it again on this connection.
      if ((err as { code?: string }).code !== '0A000') throw err;
      await conn.query(`DEALLOCATE ${name}`);
      delete conn.connection?.parsedStatements?.[name];
      return (await conn.query({ name, text, values: [...bindings] })).rows as T[];
    }
  } finally {
    await client.releaseConnection(conn);
  }
}

/** Django's icontains on PostgreSQL: UPPER(col::text) LIKE UPPER('%q%') with %, _ and \ escaped. */
export function containsPattern(q: string): string {
  return '%' + q.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}
