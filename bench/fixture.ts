// The baseline's bench fixture as SQL, on top of fixtures/django-seed.sql (users 1–7, rooms 1–4).
//
//   node --import tsx bench/fixture.ts sql [--users 10000] [--rest] [--rest-messages 1000]   > fixture.sql
//   node --import tsx bench/fixture.ts reset-sql                      (deletes bench-room messages)
//   node --import tsx bench/fixture.ts tokens [--users 10000]         (one token per line)
//
// Contents (ids fixed so that runs are comparable):
//   users     id 1000+i, email benchNNNN@akgec.ac.in, i = 1..users, DRF token as the baseline's
//   room 5    bench_room_50   members bench 1–50      (as the baseline: id 5)
//   room 6    bench_room_200  members bench 1–200     (as the baseline: id 6)
//   room 7    bench_room_1000 members bench 1–1000
//   room 8    bench_room_10   members bench 1–10
//   room 9    bench_room_100  members bench 1–100
//   room 10   bench_room_all  members every bench user (idle connections: N distinct users)
//   rooms 101–300  bench_r10_NNN, 10 members each: room 100+j has bench users 10(j-1)+1 … 10j (users 1–2000)
//   --rest: rooms 1001–1100 bench_rest_NNN (members: bench 1–10; kabir stays in his 3 seed rooms,
//           so his requests are the baseline's, on a 100,000-message table), 1,000 messages each
//           = 100,000 messages (--rest-messages N per room; the smoke uses 50), plus 20 per seed room
//           so the baseline's room-1 history page is full.
import { benchToken, parseFlags, num } from './common.ts';

/** One precomputed Django pbkdf2_sha256 hash (of "bench-password"); nothing in the bench logs in by password. */
export const BENCH_PASSWORD_HASH = 'pbkdf2_sha256$870000$csibenchsalt2026abcdef$qA0BSzWFswNcAYLvT9YQcQYHGMCWtKLiB+wN4ONEjoI=';

export const FANOUT_ROOMS: Record<number, number> = { 50: 5, 200: 6, 1000: 7, 10: 8, 100: 9 };
/** Room of every bench user (idle-connections scenario: N distinct users on one room). */
export const ALL_ROOM = 10;
export const ROOMS_FIRST = 101;
export const ROOMS_COUNT = 200;
export const REST_FIRST = 1001;
export const REST_COUNT = 100;

export const BENCH_USER_OFFSET = 1000;

/** Messages per REST room in the full fixture (100 rooms × 1,000 = the issue's 100,000-message table). */
export const REST_MESSAGES_PER_ROOM = 1000;

export function fixtureSql(opts: { users: number; rest: boolean; restMessagesPerRoom?: number }): string {
  const perRoom = opts.restMessagesPerRoom ?? REST_MESSAGES_PER_ROOM;
  const users = opts.users;
  if (users < 2000) throw new Error('--users must be at least 2000 (rooms scenario uses bench users 1–2000)');
  const out: string[] = [];
  out.push(
    `-- csi-chat bench fixture: ${users} users, fan-out rooms 5–9, rooms 101–300${opts.rest ? `, REST rooms 1001–1100 + ${REST_COUNT * perRoom} messages` : ''}`,
  );
  out.push(`INSERT INTO public."User_user" (id, password, last_login, is_superuser, email, first_name, last_name, photo, linkedin_url, insta_url, github_url, role, bio, year, status, is_staff, is_active, created_at, updated_at, domain_id, is_verified, last_seen, achievements, branch, dob, is_completed, hosteller)
SELECT ${BENCH_USER_OFFSET} + i, '${BENCH_PASSWORD_HASH}', NULL, false, 'bench' || lpad(i::text, greatest(4, length(i::text)), '0') || '@akgec.ac.in', 'Bench', lpad(i::text, greatest(4, length(i::text)), '0'), NULL, NULL, NULL, NULL, 'member', NULL, '2nd', 'active', false, true, '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00', NULL, true, NULL, NULL, NULL, NULL, true, false
FROM generate_series(1, ${users}) AS i;`);
  out.push(`INSERT INTO public.authtoken_token (key, created, user_id)
SELECT substr(md5('csi-bench-' || i) || md5('csi-bench2-' || i), 1, 40), '2026-01-01 00:00:00+00', ${BENCH_USER_OFFSET} + i FROM generate_series(1, ${users}) AS i;`);
  const room = (id: number, name: string) =>
    `INSERT INTO public."Chat_room" (id, name, description, room_avatar, created_at, updated_at, is_active, created_by_id) VALUES (${id}, '${name}', 'bench room', NULL, '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00', true, 1);`;
  for (const [n, id] of Object.entries(FANOUT_ROOMS)) {
    if (Number(n) > users) continue;
    out.push(room(id, `bench_room_${n}`));
    out.push(`INSERT INTO public."Chat_room_members" (room_id, user_id) SELECT ${id}, ${BENCH_USER_OFFSET} + i FROM generate_series(1, ${n}) AS i;`);
  }
  out.push(room(ALL_ROOM, 'bench_room_all'));
  out.push(
    `INSERT INTO public."Chat_room_members" (room_id, user_id) SELECT ${ALL_ROOM}, ${BENCH_USER_OFFSET} + i FROM generate_series(1, ${users}) AS i;`,
  );
  out.push(`INSERT INTO public."Chat_room" (id, name, description, room_avatar, created_at, updated_at, is_active, created_by_id)
SELECT ${ROOMS_FIRST - 1} + j, 'bench_r10_' || lpad(j::text, 3, '0'), 'bench room', NULL, '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00', true, 1 FROM generate_series(1, ${ROOMS_COUNT}) AS j;`);
  out.push(`INSERT INTO public."Chat_room_members" (room_id, user_id)
SELECT ${ROOMS_FIRST - 1} + j, ${BENCH_USER_OFFSET} + 10 * (j - 1) + k FROM generate_series(1, ${ROOMS_COUNT}) AS j, generate_series(1, 10) AS k;`);
  if (opts.rest) {
    out.push(`INSERT INTO public."Chat_room" (id, name, description, room_avatar, created_at, updated_at, is_active, created_by_id)
SELECT ${REST_FIRST - 1} + j, 'bench_rest_' || lpad(j::text, 3, '0'), 'bench REST room', NULL, '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00', true, 1 FROM generate_series(1, ${REST_COUNT}) AS j;`);
    out.push(`INSERT INTO public."Chat_room_members" (room_id, user_id)
SELECT ${REST_FIRST - 1} + j, ${BENCH_USER_OFFSET} + k FROM generate_series(1, ${REST_COUNT}) AS j, generate_series(1, 10) AS k;`);
    out.push(`INSERT INTO public."Chat_message" (message_type, content, attachment, reactions, is_deleted, is_edited, status, created_at, updated_at, parent_message_id, sender_id, room_id, is_pinned, pinned_at)
SELECT 'text', 'bench history message ' || s || ' in room ' || j, NULL, NULL, false, false, '{}', timestamptz '2026-01-01 00:00:00+00' + s * interval '1 second', timestamptz '2026-01-01 00:00:00+00' + s * interval '1 second', NULL, ${BENCH_USER_OFFSET} + 1 + (s % 10), ${REST_FIRST - 1} + j, false, NULL
FROM generate_series(1, ${REST_COUNT}) AS j, generate_series(1, ${perRoom}) AS s;`);
    out.push(`INSERT INTO public."Chat_message" (message_type, content, attachment, reactions, is_deleted, is_edited, status, created_at, updated_at, parent_message_id, sender_id, room_id, is_pinned, pinned_at)
SELECT 'text', 'bench seed-room message ' || s, NULL, NULL, false, false, '{}', timestamptz '2025-05-01 00:00:00+00' + s * interval '1 minute', timestamptz '2025-05-01 00:00:00+00' + s * interval '1 minute', NULL, 3, r, false, NULL
FROM generate_series(1, 3) AS r, generate_series(1, 20) AS s;`);
  }
  out.push(`SELECT pg_catalog.setval('public."User_user_id_seq"', (SELECT max(id) FROM public."User_user"), true);`);
  out.push(`SELECT pg_catalog.setval('public."Chat_room_id_seq"', (SELECT max(id) FROM public."Chat_room"), true);`);
  out.push(`SELECT pg_catalog.setval('public."Chat_room_members_id_seq"', (SELECT max(id) FROM public."Chat_room_members"), true);`);
  out.push(`SELECT pg_catalog.setval('public."Chat_message_id_seq"', (SELECT max(id) FROM public."Chat_message"), true);`);
  out.push('ANALYZE;');
  return out.join('\n') + '\n';
}

/** Deletes every message of the fan-out and rooms-scenario bench rooms (run before each measurement). */
export function resetSql(): string {
  const ids = [...Object.values(FANOUT_ROOMS), ALL_ROOM].join(', ');
  return `DELETE FROM public."Chat_message_mentions" WHERE message_id IN (SELECT id FROM public."Chat_message" WHERE room_id IN (${ids}) OR room_id BETWEEN ${ROOMS_FIRST} AND ${ROOMS_FIRST + ROOMS_COUNT - 1});
DELETE FROM public."Chat_message" WHERE room_id IN (${ids}) OR room_id BETWEEN ${ROOMS_FIRST} AND ${ROOMS_FIRST + ROOMS_COUNT - 1};`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { pos, flags } = parseFlags(process.argv.slice(2));
  const users = num(flags, 'users', 10000);
  switch (pos[0]) {
    case 'sql':
      process.stdout.write(
        fixtureSql({ users, rest: flags.rest === 'true', restMessagesPerRoom: num(flags, 'rest-messages', REST_MESSAGES_PER_ROOM) }),
      );
      break;
    case 'reset-sql':
      process.stdout.write(resetSql() + '\n');
      break;
    case 'tokens':
      for (let i = 1; i <= users; i++) process.stdout.write(benchToken(i) + '\n');
      break;
    default:
      console.error('usage: bench/fixture.ts sql [--users N] [--rest] | reset-sql | tokens [--users N]');
      process.exit(2);
  }
}
