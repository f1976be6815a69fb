// The statements a query function sends, replayed in the transaction they ran in: the plan suites EXPLAIN (or
// re-run) exactly what the app sent — with the SET LOCAL settings preparedRows gave them, or without after a
// RESET ALL — and everything is rolled back.
import type { Knex } from 'knex';

/** One statement as sent, with its `$n` placeholders turned back into knex's `?`. */
export interface SentStatement {
  sql: string;
  bindings: Knex.RawBinding[];
}

/** Runs `run` in a transaction, records the statements it sent (SET/BEGIN/COMMIT/ROLLBACK left out), hands
 * them to `replay` in the same transaction, then rolls back. Answers what both returned. */
export async function replaySent<T, R>(
  knex: Knex,
  run: (trx: Knex.Transaction) => Promise<T>,
  replay: (trx: Knex.Transaction, statements: SentStatement[]) => Promise<R>,
): Promise<{ answer: T; replayed: R }> {
  let answer: T | undefined;
  let replayed: R | undefined;
  await knex
    .transaction(async (trx) => {
      const seen: Array<{ sql: string; bindings: unknown[] }> = [];
      const listener = (d: { sql: string; bindings?: unknown[] }) => seen.push({ sql: d.sql, bindings: d.bindings ?? [] });
      knex.on('query', listener);
      try {
        answer = await run(trx);
      } finally {
        knex.off('query', listener);
      }
      const statements = seen
        .filter((s) => !/^(SET|BEGIN|COMMIT|ROLLBACK)/i.test(s.sql))
        .map((st) => {
          const bindings: Knex.RawBinding[] = [];
          const sql = st.sql.replace(/\$(\d+)/g, (_m, n: string) => (bindings.push(st.bindings[Number(n) - 1] as Knex.RawBinding), '?'));
          return { sql, bindings };
        });
      replayed = await replay(trx, statements);
      await trx.rollback();
    })
    .catch((err: unknown) => {
      // knex rejects a transaction rolled back without an error with this text: the expected end here.
      if (!(err instanceof Error && err.message.includes('Transaction rejected with non-error: undefined'))) throw err;
    });
  return { answer: answer as T, replayed: replayed as R };
}
