// Loads a `pg_dump --data-only --inserts` file (such as Django's seed) in one transaction.
import fs from 'node:fs';
import type { Database } from './index.ts';
import { allTableNames, prepareSchema } from './schema.ts';

/** Tables a fresh csi-chat or Django database fills by itself; a dump may carry its own rows for them. */
const BOOKKEEPING_TABLES = new Set(['django_migrations', 'django_content_type', 'auth_permission']);

export class LoadError extends Error {}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** psql meta-commands (`\restrict`, `\connect`, ...) are not SQL; pg_dump 15.14+ writes some. */
function stripPsqlMetaCommands(sql: string): string {
  return sql
    .split('\n')
    .filter((line) => !line.startsWith('\\'))
    .join('\n');
}

function truncateAllSql(tables: string[] = allTableNames()): string {
  return `TRUNCATE TABLE ${tables.map((t) => `public.${quoteIdent(t)}`).join(', ')} RESTART IDENTITY CASCADE;`;
}

async function nonEmptyUserTables(db: Database): Promise<string[]> {
  const found: string[] = [];
  for (const table of allTableNames()) {
    if (BOOKKEEPING_TABLES.has(table)) continue;
    const row = await db.knex(table).first(db.knex.raw('1 as one'));
    if (row) found.push(table);
  }
  return found;
}

function tablesInsertedBy(sql: string): Set<string> {
  const set = new Set<string>();
  const re = /^INSERT INTO public\.("?)([A-Za-z_]+)\1 /gm;
  for (let m = re.exec(sql); m; m = re.exec(sql)) set.add(m[2]);
  return set;
}

export interface LoadOptions {
  reset: boolean;
}

export async function loadSqlDump(db: Database, rawSql: string, opts: LoadOptions): Promise<void> {
  await prepareSchema(db);
  const sql = stripPsqlMetaCommands(rawSql);
  let prelude = '';
  if (opts.reset) {
    prelude = truncateAllSql();
  } else {
    const nonEmpty = await nonEmptyUserTables(db);
    if (nonEmpty.length) {
      throw new LoadError(`database is not empty (table "${nonEmpty[0]}" has rows); use --reset to replace its contents`);
    }
    const bookkeeping = [...tablesInsertedBy(sql)].filter((t) => BOOKKEEPING_TABLES.has(t));
    if (bookkeeping.length) prelude = truncateAllSql(bookkeeping);
  }
  await db.exec(`BEGIN;\n${prelude}\n${sql}\nCOMMIT;`);
}

export async function loadSqlFile(db: Database, file: string, opts: LoadOptions): Promise<void> {
  if (!fs.existsSync(file)) throw new LoadError(`no such file: ${file}`);
  await loadSqlDump(db, fs.readFileSync(file, 'utf8'), opts);
}

/** Empties every table and resets sequences (tests, `--reset`). */
