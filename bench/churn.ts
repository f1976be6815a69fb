// REST on production-sized, churned data (issue 17 item 2): a bench database where one user (the seed's
// kabir, the baseline's token) is a member of rooms holding 100,000+ live messages, on a message table
// that updates and deletes have left full of dead rows, with autovacuum switched off for that table (the
// state of a busy table before autovacuum gets to it). Then the groups list and a history page are
// measured with autocannon (20 connections, as the baseline), with and without the opt-in indexes
// (`npm run db:indexes`), and every hot query is EXPLAINed (ANALYZE, BUFFERS).
//
//   node --import tsx bench/churn.ts setup   [--rooms 20] [--per-room 5000] [--rounds 4] [--indexes]  (drops and rebuilds the bench DB;
//                                            --indexes: the opt-in indexes exist before the churn, as they would in production)
//   node --import tsx bench/churn.ts explain [--plan default] [--warm] > explain.txt  (the hot statements, EXPLAIN (ANALYZE, BUFFERS);
//                                            --plan default: without the query modules' planner settings; --warm: each executed once first)
//   node --import tsx bench/churn.ts statements [--runs 20]      (server-side ms of each hot statement, min / median: default plan, app plan, default again)
//   node --import tsx bench/churn.ts rest     [--duration 15] [--only groups,history] [--index-paths]  (csi-chat on the bench DB; one line per
//                                            endpoint; --index-paths: with DB_ROOM_INDEX_PATHS=true)
//   node --import tsx bench/churn.ts stats                       (live / dead tuples of the message table)
//
// Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432), CHURN_DB (default csi_scale_churn),
// BENCH_PORT (default 18450). The DB is a scratch database: `setup` drops it first. ALTER TABLE … SET
// (autovacuum_enabled = false) is only ever run here, on that scratch database.
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import type { Knex } from 'knex';
import { ROOT, parseFlags, num, startServer } from './common.ts';
import { runRest } from './loadgen.ts';
import { openDatabase } from '../src/db/index.ts';
import { OPT_IN_INDEXES, createSql } from '../src/db/indexes.ts';
import * as q from '../src/chat/queries.ts';
import { userForToken } from '../src/auth/tokens.ts';
import { ROOM_MESSAGES_PLAN } from '../src/db/sql.ts';
import { nowTimestamp } from '../src/drf/datetime.ts';

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
/** A second member (the seed's user 4) who has read every churned room up to UNREAD_PER_ROOM from the end. */
export const READ_ALL_USER = 4;
export const READ_ALL_TOKEN = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
/** The history page's room: one the user has read, 5,000 live messages (with the default shape). */
export const HISTORY_ROOM = CHURN_FIRST_ROOM + NEVER_READ_ROOMS;

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
  out.push(
    `DELETE FROM public."Chat_message" m WHERE m.room_id BETWEEN ${CHURN_FIRST_ROOM} AND ${last} AND extract(epoch FROM m.created_at)::bigint % 2 = 1`,
  );
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
  out.push(`INSERT INTO public."Chat_userroomstatus" (last_read, room_id, user_id)
SELECT (SELECT created_at FROM public."Chat_message" m WHERE m.room_id = r ORDER BY created_at DESC OFFSET ${UNREAD_PER_ROOM} LIMIT 1), r, ${READ_ALL_USER}
FROM generate_series(${CHURN_FIRST_ROOM}, ${last}) AS r`);
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

/** `indexes`: build the opt-in indexes (npm run db:indexes) before the messages go in, so they churn with the table. */
export async function setup(s: ChurnShape, indexes: boolean): Promise<void> {
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
    const pre = indexes ? OPT_IN_INDEXES.map((ix) => createSql(ix, false)) : [];
    for (const sql of [...pre, ...churnStatements(s)]) {
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

interface Captured {
  sql: string;
  bindings: unknown[];
}

/** The hot statements of the two endpoints, as calls of the query modules themselves. */
function hotCases(): Array<{ title: string; run: (trx: Knex.Transaction) => Promise<unknown> }> {
  return [
    { title: 'token → user (every request)', run: (trx) => userForToken(trx, CHURN_TOKEN) },
    {
      title: 'last_seen (every request, UpdateLastSeenMiddleware)',
      run: (trx) => trx('User_user').where({ id: CHURN_USER }).update({ last_seen: nowTimestamp() }),
    },
    { title: `GET /api/chat/groups/ as user ${CHURN_USER} (joinedRooms)`, run: (trx) => q.joinedRooms(trx, CHURN_USER, ROOM_MESSAGES_PLAN) },
    {
      title: `GET /api/chat/groups/ as user ${READ_ALL_USER} (every room read)`,
      run: (trx) => q.joinedRooms(trx, READ_ALL_USER, ROOM_MESSAGES_PLAN),
    },
    {
      title: `GET …/groups/${HISTORY_ROOM}/messages/?page=1: checks + paginator count (historyAccess)`,
      run: (trx) => q.historyAccess(trx, HISTORY_ROOM, CHURN_USER, ROOM_MESSAGES_PLAN),
    },
    {
      title: `GET …/groups/${HISTORY_ROOM}/messages/?page=1: the page (messagePage)`,
      run: (trx) => q.messagePage(trx, HISTORY_ROOM, 20, 0, ROOM_MESSAGES_PLAN),
    },
    {
      title: `GET …/groups/${HISTORY_ROOM}/messages/?page=50: the page (messagePage, OFFSET 980)`,
      run: (trx) => q.messagePage(trx, HISTORY_ROOM, 20, 980, ROOM_MESSAGES_PLAN),
    },
  ];
}

/** Captures the statements (SQL with ?s, bindings, and the SET LOCALs before each) `run` issues. */
async function capture(db: Awaited<ReturnType<typeof openDatabase>>, trx: Knex.Transaction, run: (trx: Knex.Transaction) => Promise<unknown>) {
  const captured: Array<Captured & { settings: string[] }> = [];
  let settings: string[] = [];
  const listener = (data: { sql: string; bindings?: unknown[] }) => {
    if (/^(BEGIN|COMMIT|ROLLBACK)/i.test(data.sql)) return;
    if (/^SET /i.test(data.sql)) return void settings.push(data.sql);
    // knex reports pg's $n placeholders; raw() takes ?s in order.
    const bindings: unknown[] = [];
    const sql = data.sql.replace(/\$(\d+)/g, (_m, n: string) => (bindings.push((data.bindings ?? [])[Number(n) - 1]), '?'));
    captured.push({ sql, bindings, settings });
    settings = [];
  };
  db.knex.on('query', listener);
  try {
    await run(trx);
  } finally {
    db.knex.off('query', listener);
  }
  return captured;
}

/** Runs fn in a transaction that is always rolled back (the last_seen UPDATE included). */
async function rolledBack(db: Awaited<ReturnType<typeof openDatabase>>, fn: (trx: Knex.Transaction) => Promise<void>): Promise<void> {
  await db.knex
    .transaction(async (trx) => {
      await fn(trx);
      await trx.rollback();
    })
    .catch((err: unknown) => {
      if (!(err instanceof Error && err.message.includes('Transaction rejected with non-error: undefined'))) throw err;
    });
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of every statement the two endpoints run, taken from the query modules themselves:
 * each is called inside a transaction (where preparedRows goes through knex and applies its planner settings
 * as SET LOCAL), its SQL and bindings are captured, then explained in the same transaction, which is rolled
 * back. `plan`: 'app' (the settings the query modules use), 'default' (none: the planner's own choice).
 * `warm`: execute each statement once before explaining it (the steady state: the index entries a plain
 * index scan marks dead on its first pass are skipped by the next ones).
 */
export async function explainAll(plan: 'app' | 'default' = 'app', warm = false): Promise<string> {
  const db = await openDatabase({ databaseUrl: churnDbUrl(), pgliteDir: null, poolMax: 2 });
  const out: string[] = [];
  try {
    for (const c of hotCases()) {
      await rolledBack(db, async (trx) => {
        for (const st of await capture(db, trx, c.run)) {
          if (plan === 'default') await trx.raw('RESET ALL');
          if (warm) await trx.raw(st.sql, st.bindings as Knex.RawBinding[]);
          const res = await trx.raw<{ rows: Array<Record<string, string>> }>(
            `EXPLAIN (ANALYZE, BUFFERS) ${st.sql}`,
            st.bindings as Knex.RawBinding[],
          );
          const set = plan === 'app' && st.settings.length ? [`-- ${st.settings.join('; ')}`] : [];
          out.push(`### ${c.title}`, '', '```', ...set, res.rows.map((r) => r['QUERY PLAN']).join('\n'), '```', '');
        }
      });
    }
  } finally {
    await db.close();
  }
  return out.join('\n');
}

/**
 * Server-side time of each hot statement, robust to a loaded machine: `runs` executions per plan, min and
 * median, in three rounds on the same data: the planner's own plan first (as on a freshly churned table),
 * then the app's plan (ROOM_MESSAGES_PLAN: index paths; its first execution marks dead index entries), then
 * the planner's own plan again (which now also skips the entries marked dead). Each execution is its own
 * rolled-back transaction, timed from the client (one loopback round trip included).
 */
export async function statementTimes(runs: number): Promise<string> {
  const db = await openDatabase({ databaseUrl: churnDbUrl(), pgliteDir: null, poolMax: 2 });
  const lines: string[] = [];
  try {
    const cases: Array<{ title: string; statements: Array<Captured & { settings: string[] }> }> = [];
    for (const c of hotCases()) await rolledBack(db, async (trx) => void cases.push({ title: c.title, statements: await capture(db, trx, c.run) }));
    const rounds = ['default (before)', 'app plan', 'default again (after the marks)'] as const;
    const times = new Map<string, number[]>();
    for (const round of rounds) {
      for (const c of cases) {
        for (let i = 0; i < runs; i++) {
          await rolledBack(db, async (trx) => {
            let ms = 0;
            for (const st of c.statements) {
              if (round === 'app plan') for (const s of st.settings) await trx.raw(s);
              const t0 = process.hrtime.bigint();
              await trx.raw(st.sql, st.bindings as Knex.RawBinding[]);
              ms += Number(process.hrtime.bigint() - t0) / 1e6;
            }
            const key = `${c.title}\t${round}`;
            times.set(key, [...(times.get(key) ?? []), ms]);
          });
        }
      }
    }
    const fmt = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return `${s[0].toFixed(2)} / ${s[s.length >> 1].toFixed(2)}`;
    };
    lines.push(`| statement (ms, min / median of ${runs}) | ${rounds.join(' | ')} |`, `|---|${rounds.map(() => '---|').join('')}`);
    for (const c of cases) lines.push(`| ${c.title} | ${rounds.map((r) => fmt(times.get(`${c.title}\t${r}`)!)).join(' | ')} |`);
  } finally {
    await db.close();
  }
  return lines.join('\n');
}

async function rest(durationS: number, only: string | undefined, indexPaths: boolean): Promise<void> {
  const server = await startServer({
    port: PORT,
    databaseUrl: churnDbUrl(),
    extraEnv: { LOAD_DEMO_DATA: 'false', ...(indexPaths ? { DB_ROOM_INDEX_PATHS: 'true' } : {}) },
  });
  const cases = [
    { name: 'groups', token: CHURN_TOKEN, path: '/api/chat/groups/', who: `user ${CHURN_USER}: 23 rooms, ${NEVER_READ_ROOMS} never read` },
    {
      name: 'groups-read',
      token: READ_ALL_TOKEN,
      path: '/api/chat/groups/',
      who: `user ${READ_ALL_USER}: every room read, ${UNREAD_PER_ROOM} unread each`,
    },
    { name: 'history', token: CHURN_TOKEN, path: `/api/chat/groups/${HISTORY_ROOM}/messages/?page=1`, who: 'page 1 of a 5,000-message room' },
    { name: 'history-50', token: CHURN_TOKEN, path: `/api/chat/groups/${HISTORY_ROOM}/messages/?page=50`, who: 'page 50' },
    { name: 'clean', token: CHURN_TOKEN, path: '/api/chat/groups/1/messages/?page=1', who: "the baseline's request: seed room 1, 20 messages" },
    { name: 'cursor', token: CHURN_TOKEN, path: `/api/chat/groups/${HISTORY_ROOM}/messages/?limit=20`, who: 'cursor page (no count)' },
  ].filter((c) => !only || only.split(',').includes(c.name));
  try {
    for (const c of cases) {
      const r = await runRest({ baseUrl: server.url, token: c.token, path: c.path, durationS, connections: 20, pid: server.pid });
      console.log(`${c.name} (${c.who}): ${r.line}`);
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
        return setup(shape, flags.indexes === 'true');
      case 'stats':
        return console.log(await stats());
      case 'rest':
        return rest(num(flags, 'duration', 15), flags.only, flags['index-paths'] === 'true');
      case 'explain':
        return console.log(await explainAll(flags.plan === 'default' ? 'default' : 'app', flags.warm === 'true'));
      case 'statements':
        return console.log(await statementTimes(num(flags, 'runs', 20)));
      default:
        console.error('usage: bench/churn.ts setup|stats|rest|explain|statements');
        process.exit(2);
    }
  };
  run().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
