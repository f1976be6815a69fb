import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { loadConfig, ConfigError } from '../../src/config.ts';
import { openDatabase } from '../../src/db/index.ts';
import { createSchema, verifySchema, SchemaError } from '../../src/db/schema.ts';
import { ROOT } from '../helpers/harness.ts';

describe('start-up checks', function () {
  this.timeout(120000);

  it('names the variable of an invalid setting', () => {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{ PORT: 'eighty' }, /^PORT must be an integer/],
      [{ DATABASE_URL: 'mysql://x/y' }, /^DATABASE_URL must start with postgres:\/\//],
      [{ DATABASE_URL: 'not a url' }, /^DATABASE_URL is not a valid URL/],
      [{ REDIS_URL: 'http://x' }, /^REDIS_URL must start with redis:\/\//],
      [{ DEBUG: 'maybe' }, /^DEBUG must be a boolean/],
      [{ CLOUDINARY_CLOUD_NAME: 'x' }, /^CLOUDINARY_API_KEY must be set/],
      [{ CHANNEL_LAYER: 'kafka' }, /^CHANNEL_LAYER must be/],
    ];
    for (const [env, re] of bad) {
      expect(() => loadConfig(env), JSON.stringify(env)).to.throw(ConfigError, re);
    }
    const ok = loadConfig({});
    expect(ok.port).to.equal(8000);
    expect(ok.databaseUrl).to.equal(null);
  });

  it('refuses a database missing a table, naming it, and changes nothing', async () => {
    const db = await openDatabase({ databaseUrl: null, pgliteDir: null });
    try {
      await createSchema(db);
      await verifySchema(db);
      await db.knex.raw('DROP TABLE "Chat_userroomstatus"');
      const tablesBefore = await db.knex('information_schema.tables').where({ table_schema: 'public' }).count({ n: '*' });
      let error: unknown;
      try {
        await verifySchema(db);
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(SchemaError);
      expect((error as Error).message).to.contain('"Chat_userroomstatus"');
      const tablesAfter = await db.knex('information_schema.tables').where({ table_schema: 'public' }).count({ n: '*' });
      expect(tablesAfter).to.deep.equal(tablesBefore);
      await db.knex('django_migrations').where({ app: 'Chat', name: '0006_message_is_pinned_message_pinned_at' }).delete();
      await db.knex.raw('CREATE TABLE "Chat_userroomstatus" (id bigint, last_read timestamptz, room_id bigint, user_id bigint)');
      expect(() => undefined).to.not.throw();
      await verifySchema(db).then(
        () => expect.fail('should refuse'),
        (err: Error) => expect(err.message).to.equal('database lacks Django migration Chat.0006_message_is_pinned_message_pinned_at'),
      );
    } finally {
      await db.close();
    }
  });

  it('exits non-zero with one clear line for a bad DATABASE_URL', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', PORT: '0' },
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.match(/csi-chat: cannot open the database: .*ECONNREFUSED/);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: 'mysql://x', PORT: '0' },
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(bad.status).to.equal(2);
    expect(bad.stderr.trim()).to.equal('csi-chat: configuration error: DATABASE_URL must start with postgres:// or postgresql://, got mysql://');
  });
});
