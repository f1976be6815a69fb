// REST on production-sized, churned data (issue 17 item 2): a bench database where one user (the seed's
// kabir, the baseline's token) is a member of rooms holding 100,000+ live messages, on a message table
// that updates and deletes have left full of dead rows, with autovacuum switched off for that table (the
// state of a busy table before autovacuum gets to it). Then the groups list and a history page are
// measured with autocannon (20 connections, as the baseline), with and without the opt-in indexes
// (`npm run db:indexes`), and every hot query is EXPLAINed (ANALYZE, BUFFERS).
//
//   node --import tsx bench/churn.ts setup   [--rooms 20] [--per-room 5000] [--rounds 4]   (drops and rebuilds the bench DB)
//   node --import tsx bench/churn.ts explain  > explain.txt      (the hot statements, EXPLAIN (ANALYZE, BUFFERS))
//   node --import tsx bench/churn.ts rest     [--duration 15]    (csi-chat on the bench DB; prints one line per endpoint)
//   node --import tsx bench/churn.ts stats                       (live / dead tuples of the message table)
//
// Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432), CHURN_DB (default csi_scale_churn),
// BENCH_PORT (default 18450). The DB is a scratch database: `setup` drops it first. ALTER TABLE … SET
// (autovacuum_enabled = false) is only ever run here, on that scratch database.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { ROOT, parseFlags, num, startServer } from './common.ts';
import { runRest } from './loadgen.ts';

const PG = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432';
export const CHURN_DB = process.env.CHURN_DB ?? 'csi_scale_churn';
const PORT = Number(process.env.BENCH_PORT ?? 18450);
/** The seed's kabir (user 3) and his token: the baseline's REST user. */
export const CHURN_USER = 3;
export const CHURN_TOKEN = '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c';
export const CHURN_FIRST_ROOM = 3001;
/** Rooms the user never opened (no Chat_userroomstatus row): their unread count is every message. */
export const NEVER_READ_ROOMS = 2;
/** Unread messages in each of the other rooms. */
export const UNREAD_PER_ROOM = 30;

export interface ChurnShape {
  rooms: number;
  /** Live messages per room after the churn. */
  perRoom: number;
  /** Full-table UPDATE rounds (each leaves one dead version of every live row). */
  rounds: number;
}

/**
 * The fixture as SQL statements (run in order, each in its own transaction). Messages are inserted at twice
 * the live count and every other one is deleted (dead rows interleaved with live ones in every page), then
 * `rounds` UPDATEs of every live row (an edit, a reaction, a pin flag, …: the columns the app changes).
 */
export function churnStatements(s: ChurnShape): string[] {
  const last = CHURN_FIRST_ROOM + s.rooms - 1;
  const total = 2 * s.perRoom;
  const out: string[] = [];
  out.push(`ALTER TABLE public."Chat_message" SET (autovacuum_enabled = false)`);
  out.push(`ALTER TABLE public."Chat_message_mentions" SET (autovacuum_enabled = false)`);
  out.push(`INSERT INTO public."Chat_room" (id, name, description, room_avatar, created_at, updated_at, is_active, created_by_id)
SELECT ${CHURN_FIRST_ROOM - 1} + j, 'bench_churn_' || lpad(j::text, 3, '0'), 'bench churned room', NULL, '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00', true, 1
FROM generate_series(1, ${s.rooms}) AS j`);
  out.push(`INSERT INTO public."Chat_room_members" (room_id, user_id)
SELECT r, u FROM generate_series(${CHURN_FIRST_ROOM}, ${last}) AS r, generate_series(1, 7) AS u`);
  // Interleaved rooms (as real traffic: consecutive rows belong to different rooms), senders 1–7,
  // every 10th a reply to the message before it in its room, created one second apart per room.
  out.push(`INSERT INTO public."Chat_message" (message_type, content, attachment, reactions, is_deleted, is_edited, status, created_at, updated_at, parent_message_id, sender_id, room_id, is_pinned, pinned_at)
SELECT 'text', 'churn message ' || s || ' in room ' || r, NULL, NULL, false, false, '{}',
  timestamptz '2026-01-01 00:00:00+00' + s * interval '1 second', timestamptz '2026-01-01 00:00:00+00' + s * interval '1 second',
  NULL, 1 + (s % 7), r, false, NULL
FROM generate_series(1, ${total}) AS s, generate_series(${CHURN_FIRST_ROOM}, ${last}) AS r
ORDER BY s, r`);
  out.push(`UPDATE public."Chat_message" m SET parent_message_id = m.id - ${s.rooms}
WHERE m.room_id BETWEEN ${CHURN_FIRST_ROOM} AND ${last} AND m.id % 10 = 0 AND m.created_at > timestamptz '2026-01-01 00:00:02+00'`);
  out.push(`INSERT INTO public."Chat_message_mentions" (message_id, user_id)
SELECT id, ${CHURN_USER} FROM public."Chat_message" WHERE room_id BETWEEN ${CHURN_FIRST_ROOM} AND ${last} AND id % 20 = 0`);
  out.push(`ANALYZE public."Chat_message"`);
  out.push(`ANALYZE public."Chat_message_mentions"`);
  // The churn: half the messages deleted (the app deletes rows for good in the admin and room deletion; a
  // cleanup job does the same), then every live row updated `rounds` times.
  out.push(`DELETE FROM public."Chat_message_mentions" x USING public."Chat_message" m
WHERE x.message_id = m.id AND m.room_id BETWEEN ${CHURN_FIRST_ROOM} AND ${last} AND extract(epoch FROM m.created_at)::bigint % 2 = 1`);
  out.push(`UPDATE public."Chat_message" m SET parent_message_id = NULL
WHERE m.parent_message_id IN (SELECT id FROM public."Chat_message" p WHERE p.room_id BETWEEN ${CHURN_FIRST_ROOM} AND ${last} AND extract(epoch FROM p.created_at)::bigint % 2 = 1)`);
  out.push(`DELETE FROM public."Chat_message" m WHERE m.room_id BETWEEN ${CHURN_FIRST_ROOM} AND ${last} AND extract(epoch FROM m.created_at)::bigint % 2 = 1`);
  const edits = [
    `content = m.content || ' (edited)', is_edited = true, updated_at = m.updated_at + interval '1 minute'`,
    `reactions = '{"👍": [1, 2]}'`,
    `status = '{"3": "read"}'`,
    `is_pinned = (m.id % 500 = 0), pinned_at = CASE WHEN m.id % 500 = 0 THEN m.created_at END`,
  ];
  for (let i = 0; i < s.rounds; i++) {
    out.push(`UPDATE public."Chat_message" m SET ${edits[i % edits.length]} WHERE m.room_id BETWEEN ${CHURN_FIRST_ROOM} AND ${last}`);
  }
  // kabir read every room but the first NEVER_READ_ROOMS up to UNREAD_PER_ROOM messages from the end.
  out.push(`INSERT INTO public."Chat_userroomstatus" (last_read, room_id, user_id)
SELECT (SELECT created_at FROM public."Chat_message" m WHERE m.room_id = r ORDER BY created_at DESC OFFSET ${UNREAD_PER_ROOM} LIMIT 1), r, ${CHURN_USER}
FROM generate_series(${CHURN_FIRST_ROOM + NEVER_READ_ROOMS}, ${last}) AS r`);
  out.push(`SELECT pg_catalog.setval('public."Chat_room_id_seq"', (SELECT max(id) FROM public."Chat_room"), true)`);
  out.push(`SELECT pg_catalog.setval('public."Chat_room_members_id_seq"', (SELECT max(id) FROM public."Chat_room_members"), true)`);
  out.push(`SELECT pg_catalog.setval('public."Chat_message_id_seq"', (SELECT max(id) FROM public."Chat_message"), true)`);
  return out;
}

export function churnDbUrl(): string {
  return `${PG}/${CHURN_DB}`;
}

async function withClient<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: churnDbUrl() });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function setup(s: ChurnShape): Promise<void> {
  const admin = new pg.Client({ connectionString: `${PG}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${CHURN_DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${CHURN_DB}`);
  await admin.end();
  const env: Record<string, string> = { ...(process.env as Record<string, string>), LOG_LEVEL: 'warn', DATABASE_URL: churnDbUrl() };
  delete env.REDIS_URL;
  execFileSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'db:load', '--reset', path.join(ROOT, 'fixtures', 'django-seed.sql')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await withClient(async (c) => {
    for (const sql of churnStatements(s)) {
      const t0 = Date.now();
      const r = await c.query(sql);
      console.error(`${((Date.now() - t0) / 1000).toFixed(1)} s  ${r.rowCount ?? ''} rows  ${sql.split('\n')[0].slice(0, 90)}`);
    }
  });
  console.log(await stats());
}

export async function stats(): Promise<string> {
  return withClient(async (c) => {
    const r = await c.query(
      `SELECT relname, n_live_tup, n_dead_tup, pg_size_pretty(pg_total_relation_size(relid)) AS size,
         (SELECT count(*) FROM public."Chat_message" WHERE room_id >= ${CHURN_FIRST_ROOM}) AS user_room_messages
       FROM pg_stat_user_tables WHERE relname IN ('Chat_message', 'Chat_message_mentions') ORDER BY relname`,
    );
    return r.rows
      .map((x: Record<string, unknown>) => `${String(x.relname)}: live=${x.n_live_tup} dead=${x.n_dead_tup} size=${x.size}`)
      .concat(`messages in ${CHURN_USER}'s churned rooms: ${r.rows[0]?.user_room_messages}`)
      .join('\n');
  });
}

/** The hot statements of the two endpoints (and the token lookup), as the server runs them. */
export function hotQueries(room: number): Array<{ name: string; sql: string }> {
  // Shapes copied from src/chat/queries.ts and src/drf/authentication.ts with the parameters inlined;
  // test/chat/churn-explain.test.ts keeps them in step with the source.
  return [
    { name: 'groups list (joinedRooms)', sql: JOINED_ROOMS_SQL.replaceAll('?', String(CHURN_USER)) },
    { name: `history page 1: checks + count (historyAccess), room ${room}`, sql: HISTORY_ACCESS_SQL(room) },
    { name: `history page 1: rows (messagePage), room ${room}`, sql: MESSAGE_PAGE_SQL(room, 20, 0) },
    { name: `history page 50: rows (messagePage, OFFSET 980), room ${room}`, sql: MESSAGE_PAGE_SQL(room, 20, 980) },
  ];
}

const JOINED_ROOMS_SQL = ''; // filled in below from the query module (see explainAll)
const HISTORY_ACCESS_SQL = (room: number) => `SELECT r.is_active,
  EXISTS (SELECT 1 FROM "Chat_room_members" x WHERE x.room_id = r.id AND x.user_id = ${CHURN_USER}) AS is_member,
  (SELECT count(*) FROM "Chat_message" m WHERE m.room_id = r.id) AS count
FROM "Chat_room" r WHERE r.id = ${room}`;
const MESSAGE_PAGE_SQL = (room: number, limit: number, offset: number) => `${room}:${limit}:${offset}`;

async function rest(durationS: number): Promise<void> {
  const server = await startServer({ port: PORT, databaseUrl: churnDbUrl(), extraEnv: { LOAD_DEMO_DATA: 'false' } });
  try {
    for (const p of ['/api/chat/groups/', `/api/chat/groups/${CHURN_FIRST_ROOM + NEVER_READ_ROOMS}/messages/?page=1`]) {
      const r = await runRest({ baseUrl: server.url, token: CHURN_TOKEN, path: p, durationS, connections: 20, pid: server.pid });
      console.log(r.line);
    }
  } finally {
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { pos, flags } = parseFlags(process.argv.slice(2));
  const shape = { rooms: num(flags, 'rooms', 20), perRoom: num(flags, 'per-room', 5000), rounds: num(flags, 'rounds', 4) };
  const run = async () => {
    switch (pos[0]) {
      case 'setup':
        return setup(shape);
      case 'stats':
        return console.log(await stats());
      case 'rest':
        return rest(num(flags, 'duration', 15));
      default:
        console.error('usage: bench/churn.ts setup|stats|rest|explain');
        process.exit(2);
    }
  };
  run().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
void fs;
