// `npm run db:indexes` (src/db/indexes.ts): opt-in, never built by start-up, printed or applied
// concurrently, idempotent, an invalid leftover rebuilt, dropped on request; the schema check still passes
// with it; its name cannot be one Django generates; the history and groups statements can use it.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { describeNeeding, postgresMissing } from '../helpers/suites.ts';
import { createScratchDatabase, type ScratchDatabase } from '../helpers/scratchDb.ts';
import { openDatabase } from '../../src/db/index.ts';
import { prepareSchema } from '../../src/db/schema.ts';
import { OPT_IN_INDEXES, applyIndexes, indexStates } from '../../src/db/indexes.ts';

function cli(databaseUrl: string, ...args: string[]) {
  const env: Record<string, string> = { ...(process.env as Record<string, string>), DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' };
  delete env.REDIS_URL;
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { encoding: 'utf8', env, timeout: 60000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('db:indexes: the opt-in indexes', () => {
  it("names no index the way Django generates them (<table>_<columns>_<8 hex>[_like]) and none of Django's own", () => {
    for (const ix of OPT_IN_INDEXES) {
      expect(ix.name).to.match(/^csi_/);
      expect(ix.name).to.not.match(/_[0-9a-f]{8}(_like)?$/);
      expect(ix.name.length).to.be.at.most(63); // Postgres' identifier limit: no silent truncation
    }
  });

  it('on PGlite (embedded) --apply builds them without CONCURRENTLY and is idempotent', async () => {
    const db = await openDatabase({ databaseUrl: null, pgliteDir: null });
    try {
      await prepareSchema(db);
      expect([...(await indexStates(db)).values()]).to.deep.equal(OPT_IN_INDEXES.map(() => 'absent'));
      expect((await applyIndexes(db))[0]).to.match(/: created in \d+ ms$/);
      expect(await applyIndexes(db)).to.deep.equal(OPT_IN_INDEXES.map((ix) => `${ix.name}: already present`));
      expect([...(await indexStates(db)).values()]).to.deep.equal(OPT_IN_INDEXES.map(() => 'valid'));
    } finally {
      await db.close();
    }
  });
});

describeNeeding('db:indexes on Postgres (npm run db:indexes)', [postgresMissing], function () {
  this.timeout(120000);
  let scratch: ScratchDatabase;
  let url: string;

  before(async () => {
    scratch = await createScratchDatabase('csi_idx');
    url = scratch.url;
  });

  after(async () => {
    await scratch?.drop();
  });

  async function states(): Promise<Record<string, boolean>> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query<{ relname: string; indisvalid: boolean }>(
        `SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'csi\\_%'`,
      );
      return Object.fromEntries(r.rows.map((x) => [x.relname, x.indisvalid]));
    } finally {
      await c.end();
    }
  }

  it('start-up (db:init) builds none; --print writes CREATE INDEX CONCURRENTLY IF NOT EXISTS; --apply builds, then says present', async () => {
    const init = cli(url, 'db:init');
    expect(init.status, init.stderr).to.equal(0);
    expect(await states()).to.deep.equal({});
    const printed = cli(url, 'db:indexes', '--print');
    expect(printed.status).to.equal(0);
    expect(printed.stdout).to.include(
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS "csi_chat_message_room_created_id" ON public."Chat_message" USING btree (room_id, created_at, id);',
    );
    expect(await states()).to.deep.equal({}); // --print changes nothing
    const applied = cli(url, 'db:indexes', '--apply');
    expect(applied.status, applied.stderr).to.equal(0);
    expect(applied.stdout).to.match(/^csi_chat_message_room_created_id: created in \d+ ms$/m);
    expect(await states()).to.deep.equal({ csi_chat_message_room_created_id: true });
    expect(cli(url, 'db:indexes', '--apply').stdout).to.equal('csi_chat_message_room_created_id: already present\n');
    // the schema check (run at every start-up) still passes with the extra index
    const again = cli(url, 'db:init');
    expect(again.status, again.stderr).to.equal(0);
    expect(again.stdout).to.include('schema verified');
  });

  it('rebuilds an invalid index (an interrupted concurrent build), and the history statement uses it', async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(`UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'public.csi_chat_message_room_created_id'::regclass`);
      expect(await states()).to.deep.equal({ csi_chat_message_room_created_id: false });
      const r = cli(url, 'db:indexes', '--apply');
      expect(r.stdout).to.match(/csi_chat_message_room_created_id: rebuilt \(an invalid earlier build was dropped\) in \d+ ms/);
      expect(await states()).to.deep.equal({ csi_chat_message_room_created_id: true });
      await c.query('SET enable_seqscan = off');
      const plan = await c.query(`EXPLAIN SELECT * FROM "Chat_message" WHERE room_id = 1 ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 0`);
      expect(plan.rows.map((x: Record<string, string>) => x['QUERY PLAN']).join('\n')).to.include(
        'Index Scan Backward using csi_chat_message_room_created_id',
      );
    } finally {
      await c.end();
    }
  });

  it('--drop removes them; no flag or two flags is a usage error', async () => {
    expect(cli(url, 'db:indexes', '--drop').stdout).to.equal('csi_chat_message_room_created_id: dropped\n');
    expect(await states()).to.deep.equal({});
    for (const args of [[], ['--print', '--apply']]) {
      const r = cli(url, 'db:indexes', ...args);
      expect(r.status).to.equal(1);
      expect(r.stderr).to.include('db:indexes needs exactly one of --print, --apply, --drop');
    }
  });
});
