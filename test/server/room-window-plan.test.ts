// The room's newest messages for the cursor page (?before=&limit=) and the resume (?after=), on Django's schema
// (no index on (room_id, id)): a room the planner cannot tell apart from the average room (outside room_id's
// most-common-values list, as in a database of more rooms than the statistics target; forced here with
// SET STATISTICS 1) made `ORDER BY id DESC LIMIT n` walk the primary key through every room's messages — a scan
// of the whole table per page or reconnect, which any member could repeat. roomMessageIds (src/chat/queries.ts)
// walks a bounded window of the newest messages, then the room's own index. Counted in rows read from
// Chat_message by each statement (EXPLAIN ANALYZE of the statements as they ran), and checked against the
// plain statement's answers.
import { expect } from 'chai';
import type { Knex } from 'knex';
import { describeNeeding, postgresMissing } from '../helpers/suites.ts';
import { createScratchDatabase, type ScratchDatabase } from '../helpers/scratchDb.ts';
import { replaySent } from '../helpers/sentStatements.ts';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { prepareSchema } from '../../src/db/schema.ts';
import * as q from '../../src/chat/queries.ts';
import { resumeMessages } from '../../src/chat/socketQueries.ts';

const OTHER_MESSAGES = 200_000;

/** Room 2: 300 old messages (every 7th deleted); then OTHER_MESSAGES over rooms 1 and 3..20 (room 1 every 19th). */
const DATA = `
INSERT INTO "User_user" (id, password, is_superuser, email, first_name, last_name, photo, role, year, status, is_staff,
  is_active, created_at, updated_at, is_verified, last_seen, is_completed, hosteller)
SELECT g, '!', false, 'win' || g || '@example.test', 'Win' || g, 'User', NULL, 'member', '2nd', 'active', false, true,
  now(), now(), false, NULL, false, false FROM generate_series(1, 2) g;
INSERT INTO "Chat_room" (id, name, description, room_avatar, created_at, updated_at, is_active, created_by_id)
SELECT g, 'win_room_' || g, 'window', NULL, now(), now(), true, 1 FROM generate_series(1, 20) g;
INSERT INTO "Chat_room_members" (room_id, user_id) SELECT r, u FROM generate_series(1, 20) r, generate_series(1, 2) u;
INSERT INTO "Chat_message" (message_type, content, attachment, reactions, is_deleted, is_edited, status, created_at,
  updated_at, parent_message_id, sender_id, room_id, is_pinned, pinned_at)
SELECT 'text', 'old ' || s, NULL, NULL, s % 7 = 0, false, '{}', now(), now(), NULL, 1, 2, false, NULL FROM generate_series(1, 300) s;
INSERT INTO "Chat_message" (message_type, content, attachment, reactions, is_deleted, is_edited, status, created_at,
  updated_at, parent_message_id, sender_id, room_id, is_pinned, pinned_at)
SELECT 'text', 'm' || s, NULL, NULL, s % 11 = 0, false, '{}', now(), now(), NULL, 1 + s % 2,
  CASE WHEN s % 19 = 0 THEN 1 ELSE 3 + s % 18 END, false, NULL FROM generate_series(1, ${OTHER_MESSAGES}) s;
`;

/** Run apart from DATA: the ALTER cannot share a transaction with the inserts' deferred foreign-key checks. */
const STATS = `ALTER TABLE "Chat_message" ALTER COLUMN room_id SET STATISTICS 1; ANALYZE "Chat_message";`;

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** Rows the node and its children read from Chat_message (returned or filtered out). */
function rowsRead(node: PlanNode): number {
  const own =
    node['Relation Name'] === 'Chat_message' ? ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0)) * (node['Actual Loops'] ?? 1) : 0;
  return own + (node.Plans ?? []).reduce((n, p) => n + rowsRead(p), 0);
}

describeNeeding('room windows: cursor page and resume of a room the planner takes for the average one (Postgres)', [postgresMissing], function () {
  this.timeout(180000);
  let scratch: ScratchDatabase;
  let db: Database;

  before(async () => {
    scratch = await createScratchDatabase('csi_window');
    db = await openDatabase({ databaseUrl: scratch.url, pgliteDir: null, poolMax: 1 });
    await prepareSchema(db);
    await db.exec(DATA);
    await db.knex.raw(STATS);
  });

  after(async () => {
    await db?.close();
    await scratch?.drop();
  });

  /** Rows read from Chat_message by the statements `run` issues, EXPLAIN ANALYZEd in its transaction (with
   * the SET LOCAL settings preparedRows gives them), and what `run` answered. */
  async function measure<T>(run: (trx: Knex.Transaction) => Promise<T>): Promise<{ read: number; statements: number; answer: T }> {
    const { answer, replayed } = await replaySent(db.knex, run, async (trx, statements) => {
      let read = 0;
      for (const st of statements) {
        const res = await trx.raw<{ rows: Array<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }> }>(
          `EXPLAIN (ANALYZE, FORMAT JSON) ${st.sql}`,
          st.bindings,
        );
        read += rowsRead(res.rows[0]['QUERY PLAN'][0].Plan);
      }
      return { read, statements: statements.length };
    });
    return { ...replayed, answer };
  }

  const plainIds = async (room: number, below: number | null, above: number, limit: number, skipDeleted: boolean) =>
    (
      await db
        .knex('Chat_message')
        .where('room_id', room)
        .where('id', '>', above)
        .modify((b) => (below === null ? b : b.where('id', '<', below)))
        .modify((b) => (skipDeleted ? b.where('is_deleted', false) : b))
        .orderBy('id', 'desc')
        .limit(limit)
        .pluck('id')
    ).map(Number);

  it('the quiet room: a cursor page and a resume read a bounded window and the room, not the table', async () => {
    const page = await measure((trx) => q.messagesBefore(trx, 2, null, 21));
    expect(page.answer.map((m) => m.id)).to.deep.equal(await plainIds(2, null, 0, 21, false));
    // The window (1,000 newest of all rooms) and the room's 300 messages, not the 200,300 of the table.
    expect(page.read, `rows read: ${page.read}`).to.be.below(2000);
    const resume = await measure((trx) => resumeMessages(trx, { roomId: 2, userId: 1, after: 0, limit: 501, maxBytes: 1 << 20 }));
    expect(resume.answer.rows.map((r) => r.id)).to.deep.equal((await plainIds(2, null, 0, 501, true)).reverse());
    expect(resume.read, `rows read: ${resume.read}`).to.be.below(12000);
  });

  it('a busy room: the page comes from the window alone', async () => {
    const page = await measure((trx) => q.messagesBefore(trx, 1, 150000, 21));
    expect(page.answer.map((m) => m.id)).to.deep.equal(await plainIds(1, 150000, 0, 21, false));
    expect(page.statements).to.equal(2); // the window and the rows: no fallback
    expect(page.read, `rows read: ${page.read}`).to.be.below(1100);
  });

  it('answers what the plain statement answers, at every boundary of the window', async () => {
    const newest = Number((await db.knex('Chat_message').max('id as m'))[0].m);
    for (const room of [1, 2, 3]) {
      for (const below of [null, newest, newest - 999, newest - 1000, newest - 1001, 150000, 1000, 301, 300, 2, 1]) {
        for (const limit of [1, 21, 101]) {
          const ids = await q.roomMessageIds(db.knex, { roomId: room, below, above: 0, limit, skipDeleted: false });
          expect(ids, `room ${room} below ${below} limit ${limit}`).to.deep.equal(await plainIds(room, below, 0, limit, false));
        }
      }
      for (const above of [0, 100, 299, newest - 5000, newest - 10]) {
        const ids = await q.roomMessageIds(db.knex, { roomId: room, below: null, above, limit: 501, skipDeleted: true });
        expect(ids, `room ${room} above ${above}`).to.deep.equal(await plainIds(room, null, above, 501, true));
      }
    }
  });
});
