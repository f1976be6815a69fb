// npm run db:load | db:init | db:indexes | createuser | token | schema — against DATABASE_URL, or the embedded PGlite files.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { openConfiguredDatabase } from './bootstrap.ts';
import { prepareSchema, SchemaError } from './db/schema.ts';
import { loadSqlFile, LoadError } from './db/load.ts';
import { applyIndexes, printIndexes } from './db/indexes.ts';
import { makePassword } from './auth/hashers.ts';
import { getOrCreateToken, USER_TABLE } from './auth/tokens.ts';
import { nowTimestamp } from './drf/datetime.ts';
import type { Database } from './db/index.ts';
import { buildDocuments, documentFiles } from './apidocs/index.ts';
import { urlpatterns, websocketUrlpatterns } from './urls.ts';

class UsageError extends Error {}

const USAGE = `usage:
  npm run db:init
  npm run db:load -- [--reset] FILE.sql
  npm run db:indexes -- --print | --apply | --drop     (opt-in indexes; --print writes the SQL, --apply builds them concurrently)
  npm run createuser -- --email E --password P --first-name F [--last-name L] [--role R] [--year Y]
  npm run token -- --email E
  npm run schema -- [--out DIR]          (openapi.yaml/.json, asyncapi.yaml/.json; default DIR: docs/api)`;

async function withDb<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openConfiguredDatabase(loadConfig());
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'db:init': {
      const outcome = await withDb((db) => prepareSchema(db));
      console.log(outcome === 'created' ? 'schema created' : 'schema verified: every table, column and migration is present');
      return;
    }
    case 'db:load': {
      const { values, positionals } = parseArgs({ args: rest, options: { reset: { type: 'boolean', default: false } }, allowPositionals: true });
      if (positionals.length !== 1) throw new UsageError('db:load needs exactly one FILE.sql');
      await withDb((db) => loadSqlFile(db, positionals[0], { reset: !!values.reset }));
      console.log(`loaded ${positionals[0]}${values.reset ? ' (database emptied first)' : ''}`);
      return;
    }
    case 'db:indexes': {
      const { values } = parseArgs({
        args: rest,
        options: {
          print: { type: 'boolean', default: false },
          apply: { type: 'boolean', default: false },
          drop: { type: 'boolean', default: false },
        },
      });
      const chosen = [values.print, values.apply, values.drop].filter(Boolean).length;
      if (chosen !== 1) throw new UsageError('db:indexes needs exactly one of --print, --apply, --drop');
      if (values.print) {
        process.stdout.write(printIndexes());
        return;
      }
      const lines = await withDb((db) => applyIndexes(db, { drop: !!values.drop }));
      for (const l of lines) console.log(l);
      return;
    }
    case 'createuser': {
      const { values } = parseArgs({
        args: rest,
        options: {
          email: { type: 'string' },
          password: { type: 'string' },
          'first-name': { type: 'string' },
          'last-name': { type: 'string' },
          role: { type: 'string', default: 'member' },
          year: { type: 'string', default: '1st' },
        },
      });
      if (!values.email || !values.password || !values['first-name']) throw new UsageError('createuser needs --email, --password and --first-name');
      const { email, password } = values;
      const id = await withDb(async (db) => {
        await prepareSchema(db);
        const existing = await db.knex(USER_TABLE).where({ email }).first('id');
        if (existing) throw new UsageError(`a user with email ${email} already exists`);
        const now = nowTimestamp();
        const [row] = await db
          .knex(USER_TABLE)
          .insert({
            password: await makePassword(password),
            last_login: null,
            is_superuser: false,
            email,
            first_name: values['first-name'],
            last_name: values['last-name'] ?? null,
            role: values.role,
            year: values.year,
            status: 'active',
            is_staff: false,
            is_active: true,
            created_at: now,
            updated_at: now,
            is_verified: false,
            is_completed: false,
            hosteller: false,
          })
          .returning('id');
        return row.id as number;
      });
      console.log(`created user ${id} <${email}>`);
      return;
    }
    case 'token': {
      const { values } = parseArgs({ args: rest, options: { email: { type: 'string' } } });
      if (!values.email) throw new UsageError('token needs --email');
      const key = await withDb(async (db) => {
        const user = await db.knex(USER_TABLE).where({ email: values.email }).first('id');
        if (!user) throw new UsageError(`no user with email ${values.email}`);
        return getOrCreateToken(db.knex, user.id as number);
      });
      console.log(key);
      return;
    }
    case 'schema': {
      const { values } = parseArgs({ args: rest, options: { out: { type: 'string', default: 'docs/api' } } });
      const dir = values.out!;
      fs.mkdirSync(dir, { recursive: true });
      for (const [name, text] of Object.entries(documentFiles(buildDocuments(urlpatterns, websocketUrlpatterns)))) {
        fs.writeFileSync(path.join(dir, name), text);
        console.log(`wrote ${path.join(dir, name)}`);
      }
      return;
    }
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'no command given');
  }
}

run(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof UsageError) console.error(`csi-chat: ${err.message}\n${USAGE}`);
    else if (err instanceof ConfigError) console.error(`csi-chat: configuration error: ${err.message}`);
    else if (err instanceof SchemaError || err instanceof LoadError) console.error(`csi-chat: ${err.message}`);
    else console.error(`csi-chat: ${(err as Error).message}`);
    process.exit(1);
  },
);
