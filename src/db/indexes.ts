// Opt-in indexes beyond Django's schema (`npm run db:indexes -- --print|--apply`; README: running against an
// existing Django database). Never created by start-up: a deployment decides when to build them (each is
// built CONCURRENTLY, so writes go on meanwhile). Django never sees them in its migration state, and their
// names (prefix `csi_`) cannot clash with the ones Django generates (`<table>_<column>_<hash>`), so
// `manage.py migrate` runs as before; `--drop` removes them again.
//
// Why each exists: bench/results.md (REST on churned data) has the EXPLAIN (ANALYZE, BUFFERS) with and without.
import type { Database } from './index.ts';

export interface OptInIndex {
  name: string;
  table: string;
  /** The column list, as in CREATE INDEX … (<columns>). */
  columns: string;
  why: string;
}

export const OPT_IN_INDEXES: readonly OptInIndex[] = [
  {
    name: 'csi_chat_message_room_created_id',
    table: 'Chat_message',
    columns: 'room_id, created_at, id',
    why:
      "a room's newest messages in order: the history page (ORDER BY created_at DESC, id DESC LIMIT/OFFSET), the groups list's " +
      'last message, last-read message and unread count (messages after last_read) read a few index entries instead of every row of the room',
  },
];

export function createSql(ix: OptInIndex, concurrently: boolean): string {
  return `CREATE INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF NOT EXISTS "${ix.name}" ON public."${ix.table}" USING btree (${ix.columns})`;
}

export function dropSql(ix: OptInIndex, concurrently: boolean): string {
  return `DROP INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF EXISTS public."${ix.name}"`;
}

/** The statements --apply runs, for --print (psql-ready; CONCURRENTLY cannot run inside a transaction block). */
export function printIndexes(): string {
  return OPT_IN_INDEXES.map((ix) => `-- ${ix.why}\n${createSql(ix, true)};`).join('\n') + '\n';
}

/** State of each opt-in index: absent, valid, or invalid (a concurrent build that failed or was interrupted). */
export async function indexStates(db: Database): Promise<Map<string, 'absent' | 'valid' | 'invalid'>> {
  const res = await db.knex.raw<{ rows: Array<{ name: string; valid: boolean }> }>(
    `SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = ANY(?)`,
    [OPT_IN_INDEXES.map((ix) => ix.name)],
  );
  const out = new Map<string, 'absent' | 'valid' | 'invalid'>(OPT_IN_INDEXES.map((ix) => [ix.name, 'absent']));
  for (const r of res.rows) out.set(r.name, r.valid ? 'valid' : 'invalid');
  return out;
}

/**
 * Builds every missing index (CONCURRENTLY on Postgres; PGlite has one connection, so a plain build). An
 * INVALID leftover of an interrupted concurrent build is dropped and rebuilt (IF NOT EXISTS alone would keep
 * it, and Postgres never uses an invalid index). Returns one line per index.
 */
export async function applyIndexes(db: Database, opts: { drop?: boolean } = {}): Promise<string[]> {
  const concurrently = db.kind === 'pg';
  const states = await indexStates(db);
  const lines: string[] = [];
  for (const ix of OPT_IN_INDEXES) {
    const state = states.get(ix.name);
    if (opts.drop) {
      if (state === 'absent') lines.push(`${ix.name}: not present`);
      else {
        await db.knex.raw(dropSql(ix, concurrently));
        lines.push(`${ix.name}: dropped`);
      }
      continue;
    }
    if (state === 'valid') {
      lines.push(`${ix.name}: already present`);
      continue;
    }
    if (state === 'invalid') await db.knex.raw(dropSql(ix, concurrently));
    const t0 = Date.now();
    await db.knex.raw(createSql(ix, concurrently));
    lines.push(`${ix.name}: ${state === 'invalid' ? 'rebuilt (an invalid earlier build was dropped)' : 'created'} in ${Date.now() - t0} ms`);
  }
  return lines;
}
