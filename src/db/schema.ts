// The Django schema as csi-chat knows it: created on a fresh database, verified (never altered) on an
// existing one, so a database Django created is used as it is and Django could take ours over.
import fs from 'node:fs';
import type { Database } from './index.ts';
import { dbAsset } from '../paths.ts';

export const SCHEMA_SQL_PATH = dbAsset('schema.sql');
const MIGRATIONS_PATH = dbAsset('django-migrations.txt');
export const DEMO_SQL_PATH = dbAsset('demo.sql');
export const DEMO_USERS_PATH = dbAsset('demo-users.json');

export class SchemaError extends Error {}

/** Tables and their columns, read from db/schema.sql (the pg_dump of Django's migrated schema). */
export function expectedTables(): Map<string, string[]> {
  const sql = fs.readFileSync(SCHEMA_SQL_PATH, 'utf8');
  const tables = new Map<string, string[]>();
  const re = /CREATE TABLE public\.("?)([A-Za-z_]+)\1 \(\n([\s\S]*?)\n\);/g;
  for (let m = re.exec(sql); m; m = re.exec(sql)) {
    const cols = m[3]
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('CONSTRAINT'))
      .map((line) => line.split(/\s+/)[0].replace(/"/g, ''));
    tables.set(m[2], cols);
  }
  return tables;
}

function expectedMigrations(): Array<{ app: string; name: string }> {
  return fs
    .readFileSync(MIGRATIONS_PATH, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [app, name] = l.split(/\s+/);
      return { app, name };
    });
}

async function publicTables(db: Database): Promise<Set<string>> {
  const rows = await db.knex
    .select('table_name')
    .from('information_schema.tables')
    .where({ table_schema: 'public', table_type: 'BASE TABLE' });
  return new Set(rows.map((r: { table_name: string }) => r.table_name));
}

/** Creates the Django schema and its django_migrations rows on a database with no tables. */
export async function createSchema(db: Database): Promise<void> {
  const migrations = expectedMigrations();
  const values = migrations
    .map((m) => `(${quote(m.app)}, ${quote(m.name)}, now())`)
    .join(',\n');
  await db.exec(
    'BEGIN;\n' +
      fs.readFileSync(SCHEMA_SQL_PATH, 'utf8') +
      `\nINSERT INTO public.django_migrations (app, name, applied) VALUES\n${values};\nCOMMIT;`,
  );
}

function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Checks an existing database has every table, column and migration csi-chat relies on. Read-only. */
export async function verifySchema(db: Database): Promise<void> {
  const present = await publicTables(db);
  for (const [table] of expectedTables()) {
    if (!present.has(table)) throw new SchemaError(`database is missing table "${table}" (run Django's migrations first)`);
  }
  const colRows: Array<{ table_name: string; column_name: string }> = await db.knex
    .select('table_name', 'column_name')
    .from('information_schema.columns')
    .where({ table_schema: 'public' });
  const cols = new Set(colRows.map((r) => `${r.table_name}.${r.column_name}`));
  for (const [table, columns] of expectedTables()) {
    for (const col of columns) {
      if (!cols.has(`${table}.${col}`)) throw new SchemaError(`database table "${table}" is missing column "${col}"`);
    }
  }
  const applied: Array<{ app: string; name: string }> = await db.knex.select('app', 'name').from('django_migrations');
  const appliedSet = new Set(applied.map((r) => `${r.app} ${r.name}`));
  for (const m of expectedMigrations()) {
    if (!appliedSet.has(`${m.app} ${m.name}`)) throw new SchemaError(`database lacks Django migration ${m.app}.${m.name}`);
  }
}

export type PrepareOutcome = 'created' | 'verified';

/** Fresh database → schema created (unless `create` is false: CREATE_SCHEMA=false); otherwise
 * verified, and SchemaError names what is missing. */
export async function prepareSchema(db: Database, opts: { create?: boolean } = {}): Promise<PrepareOutcome> {
  const present = await publicTables(db);
  if (present.size === 0) {
    if (opts.create === false) {
      throw new SchemaError('the database has no tables and CREATE_SCHEMA=false: not creating a schema (is DATABASE_URL the Django database?)');
    }
    await createSchema(db);
    return 'created';
  }
  await verifySchema(db);
  return 'verified';
}

export function allTableNames(): string[] {
  return [...expectedTables().keys()];
}
