// The planner settings of the statements that read a room's messages (ROOM_MESSAGES_PLAN, src/db/sql.ts):
// on a churned message table (dead row versions, autovacuum off) the groups list, the history count and a
// history page read Chat_message through an index — never a bitmap heap scan, which never marks dead
// versions' index entries and so re-visits their pages on every count — with and without the opt-in index;
// the settings hold for the statement only (never left on the pooled connection, failed or not); the rows
// are the same as under the planner's own plan.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { describeNeeding, postgresMissing } from '../helpers/suites.ts';
import { createScratchDatabase, type ScratchDatabase } from '../helpers/scratchDb.ts';
import { replaySent } from '../helpers/sentStatements.ts';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { prepareSchema } from '../../src/db/schema.ts';
import { OPT_IN_INDEXES, createSql, dropSql } from '../../src/db/indexes.ts';
import { ROOM_MESSAGES_PLAN, preparedRows } from '../../src/db/sql.ts';
import * as q from '../../src/chat/queries.ts';

/** Two users, two rooms, 400 messages each (interleaved), half deleted, the rest updated 3 times. */
const CHURN = `
ALTER TABLE "Chat_message" SET (autovacuum_enabled = false);
INSERT INTO "User_user" (id, password, is_superuser, email, first_name, last_name, photo, role, year, status, is_staff,
  is_active, created_at, updated_at, is_verified, last_seen, is_completed, hosteller)
SELECT g, '!', false, 'plan' || g || '@example.test', 'Plan' || g, 'User', NULL, 'member', '2nd', 'active', false, true,
  now(), now(), false, NULL, false, false FROM generate_series(1, 2) g;
INSERT INTO "Chat_room" (id, name, description, room_avatar, created_at, updated_at, is_active, created_by_id)
SELECT g, 'plan_room_' || g, 'plan', NULL, now(), now(), true, 1 FROM generate_series(1, 2) g;
INSERT INTO "Chat_room_members" (room_id, user_id) SELECT r, u FROM generate_series(1, 2) r, generate_series(1, 2) u;
INSERT INTO "Chat_message" (message_type, content, attachment, reactions, is_deleted, is_edited, status, created_at,
  updated_at, parent_message_id, sender_id, room_id, is_pinned, pinned_at)
SELECT 'text', 'm' || s, NULL, NULL, false, false, '{}', timestamptz '2026-01-01' + s * interval '1 second', now(), NULL,
  CASE WHEN s % 4 = 0 THEN 2 ELSE 1 END, r, false, NULL
FROM generate_series(1, 800) s, generate_series(1, 2) r ORDER BY s, r;
INSERT INTO "Chat_userroomstatus" (last_read, room_id, user_id) VALUES (timestamptz '2026-01-01' + interval '700 seconds', 1, 1);
ANALYZE "Chat_message";
DELETE FROM "Chat_message" WHERE extract(epoch FROM created_at)::bigint % 2 = 1;
UPDATE "Chat_message" SET content = content || ' (edited)', is_edited = true;
UPDATE "Chat_message" SET reactions = '{"x": [1]}';
UPDATE "Chat_message" SET status = '{"1": "read"}';
`;

describeNeeding('ROOM_MESSAGES_PLAN: room message statements on a churned table (Postgres)', [postgresMissing], function () {
  this.timeout(120000);
  let scratch: ScratchDatabase;
  let db: Database;

  before(async () => {
    scratch = await createScratchDatabase('csi_plan');
    db = await openDatabase({ databaseUrl: scratch.url, pgliteDir: null, poolMax: 1 });
    await prepareSchema(db);
    await db.exec(CHURN);
  });

  after(async () => {
    await db?.close();
    await scratch?.drop();
  });

  /**
   * The plans of the statements `run` issues, EXPLAINed in the transaction it ran in (where preparedRows
   * applies its settings as SET LOCAL); `plan: 'default'` explains them without the settings.
   */
  async function plans(run: (trx: Knex.Transaction) => Promise<unknown>, plan: 'app' | 'default' = 'app', explain = 'EXPLAIN'): Promise<string[]> {
    const { replayed } = await replaySent(db.knex, run, async (trx, statements) => {
      if (plan === 'default') await trx.raw('RESET ALL');
      const out: string[] = [];
      for (const st of statements) {
        const res = await trx.raw<{ rows: Array<Record<string, string>> }>(`${explain} ${st.sql}`, st.bindings);
        out.push(res.rows.map((r) => r['QUERY PLAN']).join('\n'));
      }
      return out;
    });
    return replayed;
  }

  const statements: Array<[string, (trx: Knex.Transaction) => Promise<unknown>]> = [
    ['groups list', (trx) => q.joinedRooms(trx, 1, ROOM_MESSAGES_PLAN)],
    ['history checks + count', (trx) => q.historyAccess(trx, 1, 1, ROOM_MESSAGES_PLAN)],
    ['history page', (trx) => q.messagePage(trx, 1, 20, 40, ROOM_MESSAGES_PLAN)],
  ];

  for (const withIndex of [false, true]) {
    it(`${withIndex ? 'with' : 'without'} the opt-in index: Chat_message is read through an index, never a bitmap heap or sequential scan`, async () => {
      for (const ix of OPT_IN_INDEXES) await db.knex.raw(withIndex ? createSql(ix, false) : dropSql(ix, false));
      // The planner's own choice on this table is a bitmap heap or a sequential scan somewhere (what the
      // settings exist for; if this ever stops holding, the test below proves nothing).
      const own = (await Promise.all(statements.map(([, run]) => plans(run, 'default')))).flat().join('\n');
      expect(own).to.match(/(Bitmap Heap Scan|Seq Scan) on "Chat_message"/);
      for (const [what, run] of statements) {
        const found = await plans(run);
        expect(found, what).to.have.length(1);
        expect(found[0], what).to.not.match(/(Bitmap Heap Scan|Seq Scan) on "Chat_message"/);
        expect(found[0], what).to.match(/Index (Only )?Scan( Backward)? using \S+ on "Chat_message"/);
      }
    });
  }

  it("answers the same rows as the planner's own plan (prepared statements on the pool against plain statements without the settings)", async () => {
    for (const [what, run] of statements) {
      const mine = await run(db.knex as unknown as Knex.Transaction);
      const { replayed: own } = await replaySent(db.knex, run, async (trx, [st]) => {
        await trx.raw('RESET ALL');
        return ((await trx.raw(st.sql, st.bindings)) as { rows: unknown[] }).rows;
      });
      expect(mine, what).to.deep.equal(what === 'history checks + count' ? own[0] : own);
    }
    const groups = await q.joinedRooms(db.knex, 1);
    // room 1 read up to 700 s: of the 50 newer messages, user 2's 25; room 2 never read: all 400
    expect(groups.map((r) => Number(r.unread_count))).to.deep.equal([25, 400]);
    expect((await q.historyAccess(db.knex, 1, 1))!.count).to.equal(400);
  });

  it('holds the settings for the statement only: the pooled connection is left as it was, after a success and after a failure', async () => {
    const show = 'SELECT current_setting(?) AS bitmap, current_setting(?) AS seq, current_setting(?) AS jit';
    const args = ['enable_bitmapscan', 'enable_seqscan', 'jit'];
    const inside = await preparedRows<Record<string, string>>(db.knex, 'csi_test_plan_show', show, args, ROOM_MESSAGES_PLAN);
    expect(inside).to.deep.equal([{ bitmap: 'off', seq: 'off', jit: 'off' }]);
    // pool of one connection: the next statement runs on the same session
    const after = (await db.knex.raw(show, args)) as { rows: Array<Record<string, string>> };
    expect(after.rows[0]).to.include({ bitmap: 'on', seq: 'on' });
    let failed: unknown = null;
    await preparedRows(db.knex, 'csi_test_plan_fail', 'SELECT 1 / (? - 1) AS x', [1], ROOM_MESSAGES_PLAN).catch((err: unknown) => (failed = err));
    expect((failed as { code?: string }).code).to.equal('22012'); // division_by_zero
    const status = (await db.knex.raw(show, args)) as { rows: Array<Record<string, string>> };
    expect(status.rows[0]).to.include({ bitmap: 'on', seq: 'on' }); // it ran: not left inside an aborted transaction
    // nor inside an open one (simple protocol: an implicit transaction starts with the statement)
    const fresh = (await db.knex.raw('SELECT now() = statement_timestamp() AS fresh')) as { rows: Array<{ fresh: boolean }> };
    expect(fresh.rows[0].fresh).to.equal(true);
  });

  // Last: it vacuums the table.
  it('once vacuumed, the groups list counts a never-read room from the index alone (the OR on sender_id made it read every row)', async () => {
    await db.knex.raw('VACUUM "Chat_message"');
    for (const withIndex of [false, true]) {
      for (const ix of OPT_IN_INDEXES) await db.knex.raw(withIndex ? createSql(ix, false) : dropSql(ix, false));
      const [plan] = await plans((trx) => q.joinedRooms(trx, 1), 'default', 'EXPLAIN (ANALYZE, BUFFERS)');
      // room 2 is never read by user 1: its unread count is the room's 400 messages
      expect(plan).to.match(
        /Index Only Scan using \S+ on "Chat_message" m\S*[^\n]*rows=400 loops=1\)\n\s+Index Cond: \(room_id = r\.id\)\n\s+Heap Fetches: 0/,
      );
    }
  });
});
