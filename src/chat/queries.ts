// SQL of the chat REST API (issue #5), on the Django tables. Every list is one set-based statement
// (LATERAL joins for last messages, unread counts and mentions), so a request costs a constant number
// of queries whatever the number of rooms, messages or members.
import { type Db, ROOM_MESSAGES_PLAN, containsPattern, pgArray, preparedRows, rows } from '../db/sql.ts';
import type { MemberRow, MessageRow, RoomDetailRow, RoomListRow, RoomRow } from './serializers.ts';

const ROOM_COLUMNS = `r.id, r.name, r.description, r.room_avatar, r.is_active, r.created_at, r.updated_at, r.created_by_id,
  cb.first_name AS cb_first_name, cb.last_name AS cb_last_name`;

/** The last message of room r (obj.messages.order_by('-created_at').first(), deleted ones included). */
const LAST_MESSAGE_JOIN = `
  LEFT JOIN LATERAL (
    SELECT m.id, m.content, m.created_at, m.sender_id FROM "Chat_message" m
    WHERE m.room_id = r.id ORDER BY m.created_at DESC, m.id DESC LIMIT 1
  ) lm ON true
  LEFT JOIN "User_user" lmu ON lmu.id = lm.sender_id`;

const LAST_MESSAGE_COLUMNS = `lm.id AS lm_id, lm.content AS lm_content, lm.created_at AS lm_created_at,
  lm.sender_id AS lm_sender_id, lmu.first_name AS lm_sender_first_name, lmu.last_name AS lm_sender_last_name`;

/**
 * GET groups/: the user's active rooms with RoomSerializer's method fields, in one statement:
 * unread_count = every message when never read, else others' messages after last_read;
 * last_read_message_id = newest message at or before last_read.
 * The unread count is two counts, only one of which runs per room (CASE evaluates one branch): a read room's
 * is a range on created_at, which an index on (room_id, created_at) reads from last_read on (`npm run
 * db:indexes`); a never-read room's is a plain count of the room, which reads no column outside Django's
 * room_id index, so on a vacuumed table it is index-only (one condition with an OR on sender_id made it
 * fetch every row of the room even then: bench/results.md, REST on churned data). `plan`: planner settings
 * for the statement (ROOM_MESSAGES_PLAN with DB_ROOM_INDEX_PATHS: the counts then mark dead row versions'
 * index entries as they pass them).
 */
export function joinedRooms(db: Db, userId: number, plan?: string): Promise<RoomDetailRow[]> {
  return preparedRows<RoomDetailRow>(
    db,
    'csi_chat_joined_rooms',
    `SELECT ${ROOM_COLUMNS}, s.last_read, uc.n AS unread_count, lr.id AS last_read_message_id, ${LAST_MESSAGE_COLUMNS}
     FROM "Chat_room_members" rm
     JOIN "Chat_room" r ON r.id = rm.room_id
     JOIN "User_user" cb ON cb.id = r.created_by_id
     LEFT JOIN "Chat_userroomstatus" s ON s.room_id = r.id AND s.user_id = ?
     LEFT JOIN LATERAL (
       SELECT CASE WHEN s.last_read IS NULL
         THEN (SELECT count(*) FROM "Chat_message" m WHERE m.room_id = r.id)
         ELSE (SELECT count(*) FROM "Chat_message" m WHERE m.room_id = r.id AND m.created_at > s.last_read AND m.sender_id <> ?)
       END AS n
     ) uc ON true
     LEFT JOIN LATERAL (
       SELECT m.id FROM "Chat_message" m
       WHERE m.room_id = r.id AND m.created_at <= s.last_read ORDER BY m.created_at DESC, m.id DESC LIMIT 1
     ) lr ON true
     ${LAST_MESSAGE_JOIN}
     WHERE rm.user_id = ? AND r.is_active
     ORDER BY r.id`,
    [userId, userId, userId],
    plan,
  );
}

/** RoomSerializer(room) without a request (create/edit responses): room + last message. */
export async function roomDetail(db: Db, roomId: number): Promise<RoomDetailRow | null> {
  const found = await rows<RoomDetailRow>(
    db,
    `SELECT ${ROOM_COLUMNS}, NULL AS last_read, 0 AS unread_count, NULL AS last_read_message_id, ${LAST_MESSAGE_COLUMNS}
     FROM "Chat_room" r
     JOIN "User_user" cb ON cb.id = r.created_by_id
     ${LAST_MESSAGE_JOIN}
     WHERE r.id = ?`,
    [roomId],
  );
  return found[0] ?? null;
}

const MEMBERS_COUNT_JOIN = `
  LEFT JOIN (SELECT room_id, count(*) AS n FROM "Chat_room_members" GROUP BY room_id) mc ON mc.room_id = r.id`;

/** GET groups/list/: every active room with members_count. */
export function activeRooms(db: Db): Promise<RoomListRow[]> {
  return rows<RoomListRow>(
    db,
    `SELECT ${ROOM_COLUMNS}, COALESCE(mc.n, 0) AS members_count
     FROM "Chat_room" r
     JOIN "User_user" cb ON cb.id = r.created_by_id
     ${MEMBERS_COUNT_JOIN}
     WHERE r.is_active
     ORDER BY r.id`,
  );
}

/** GET groups/search/?q=: the user's active rooms whose name or description contains q. */
export function searchJoinedRooms(db: Db, userId: number, q: string): Promise<RoomListRow[]> {
  const pattern = containsPattern(q);
  return rows<RoomListRow>(
    db,
    `SELECT ${ROOM_COLUMNS}, COALESCE(mc.n, 0) AS members_count
     FROM "Chat_room_members" rm
     JOIN "Chat_room" r ON r.id = rm.room_id
     JOIN "User_user" cb ON cb.id = r.created_by_id
     ${MEMBERS_COUNT_JOIN}
     WHERE rm.user_id = ? AND r.is_active
       AND (UPPER(r.name::text) LIKE UPPER(?) OR UPPER(r.description::text) LIKE UPPER(?))
     ORDER BY r.id`,
    [userId, pattern, pattern],
  );
}

export interface RoomAccessRow extends RoomRow {
  is_member: boolean;
}

/** A room by id (any state) with whether `userId` is a member; null when there is no such room. */
export async function roomAccess(db: Db, roomId: number, userId: number, opts: { forUpdate?: boolean } = {}): Promise<RoomAccessRow | null> {
  const found = await rows<RoomAccessRow>(
    db,
    `SELECT ${ROOM_COLUMNS},
       EXISTS (SELECT 1 FROM "Chat_room_members" x WHERE x.room_id = r.id AND x.user_id = ?) AS is_member
     FROM "Chat_room" r
     JOIN "User_user" cb ON cb.id = r.created_by_id
     WHERE r.id = ?${opts.forUpdate ? ' FOR UPDATE OF r' : ''}`,
    [userId, roomId],
  );
  return found[0] ?? null;
}

export interface HistoryAccessRow {
  is_active: boolean;
  is_member: boolean;
  count: number;
}

/**
 * The messages view's checks and the paginator's count in one statement. DRF's count is exact, so on a table
 * autovacuum has not reached it visits every live row of the room; `plan` = ROOM_MESSAGES_PLAN makes that an
 * index scan that stops re-visiting dead versions (src/db/sql.ts).
 */
export async function historyAccess(db: Db, roomId: number, userId: number, plan?: string): Promise<HistoryAccessRow | null> {
  const found = await preparedRows<HistoryAccessRow>(
    db,
    'csi_chat_history_access',
    `SELECT r.is_active,
       EXISTS (SELECT 1 FROM "Chat_room_members" x WHERE x.room_id = r.id AND x.user_id = ?) AS is_member,
       (SELECT count(*) FROM "Chat_message" m WHERE m.room_id = r.id) AS count
     FROM "Chat_room" r WHERE r.id = ?`,
    [userId, roomId],
    plan,
  );
  return found[0] ?? null;
}

/**
 * MessageSerializer's columns of the messages `m` with sender, parent (+ its sender) and mention ids. A
 * parent from another room (stored by the original, which did not check) reads as none: its content is not
 * the room's to show (issue 13 #5).
 */
const HISTORY_COLUMNS = `m.id, m.message_type, m.content, m.attachment, m.reactions, m.is_deleted, m.is_edited, m.status,
       m.created_at, m.updated_at, m.room_id, m.is_pinned, m.pinned_at,
       COALESCE(mm.ids, '{}') AS mentions,
       s.id AS s_id, s.first_name AS s_first_name, s.last_name AS s_last_name, s.role AS s_role,
       s.photo AS s_photo, s.year AS s_year, s.last_seen AS s_last_seen,
       p.id AS p_id, p.content AS p_content, p.sender_id AS p_sender_id,
       ps.first_name AS p_first_name, ps.last_name AS p_last_name, ps.photo AS p_photo`;

const HISTORY_JOINS = `JOIN "User_user" s ON s.id = m.sender_id
     LEFT JOIN "Chat_message" p ON p.id = m.parent_message_id AND p.room_id = m.room_id
     LEFT JOIN "User_user" ps ON ps.id = p.sender_id
     LEFT JOIN LATERAL (
       SELECT array_agg(x.user_id ORDER BY x.id) AS ids FROM "Chat_message_mentions" x WHERE x.message_id = m.id
     ) mm ON true`;

/**
 * One history page, newest first, with sender, parent (+ its sender) and mention ids joined in. With the
 * opt-in index it reads offset + limit entries of it; without, `plan` = ROOM_MESSAGES_PLAN reads the room
 * through Django's room_id index instead of a bitmap heap scan over every dead version's page.
 */
export function messagePage(db: Db, roomId: number, limit: number, offset: number, plan?: string): Promise<MessageRow[]> {
  return preparedRows<MessageRow>(
    db,
    'csi_chat_message_page',
    `SELECT ${HISTORY_COLUMNS}
     FROM (
       SELECT * FROM "Chat_message" WHERE room_id = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?
     ) m
     ${HISTORY_JOINS}
     ORDER BY m.created_at DESC, m.id DESC`,
    [roomId, limit, offset],
    plan,
  );
}

/** The window step of roomMessageIds reads at most max(min, perRow × limit) of the newest messages of all rooms. */
export const ROOM_WINDOW = { min: 1000, perRow: 20 } as const;

/**
 * The ids of a room's newest messages with `above < id < below` (below null: no upper bound), newest first, at
 * most `limit` — for the cursor page and the resume (?after=), whose `ORDER BY id DESC LIMIT n` on one room
 * Django's schema can only serve from the primary key (walking every room's messages until n of this room are
 * found) or from the room_id index (reading all of the room's and sorting). The planner picks between them
 * from the room's estimated share of the table; for a quiet room outside the column's most-common-values list
 * the estimate is the average room, it walks the primary key, and one page cost a scan of the whole table
 * (≈ 280-600 ms on 1,000,000 messages, test/server/room-window-plan.test.ts) where the page-number history of
 * that room cost 2 ms. So: first a bounded walk of the primary key (the newest `window` messages below
 * `below`, any room), which finds a busy room's page in a few entries; only when that window is used up
 * without `limit` of the room, the rest from the room's own index (ROOM_MESSAGES_PLAN: never a scan of the
 * table) — at worst the room's messages, as the page-number history's count reads.
 */
export async function roomMessageIds(
  db: Db,
  a: { roomId: number; below: number | null; above: number; limit: number; skipDeleted: boolean },
): Promise<number[]> {
  const window = Math.max(ROOM_WINDOW.min, ROOM_WINDOW.perRow * a.limit);
  const [w] = await preparedRows<{ scanned: number; lowest: number | null; ids: number[] | null }>(
    db,
    'csi_chat_room_window',
    `WITH w AS MATERIALIZED (
       SELECT id, room_id, is_deleted FROM "Chat_message" WHERE id < ?::bigint AND id > ?::integer ORDER BY id DESC LIMIT ?
     )
     SELECT (SELECT count(*) FROM w)::integer AS scanned, (SELECT min(id) FROM w) AS lowest,
       (SELECT array_agg(x.id ORDER BY x.id DESC) FROM (
          SELECT id FROM w WHERE room_id = ? AND NOT (is_deleted AND ?::boolean) ORDER BY id DESC LIMIT ?
        ) x) AS ids`,
    [a.below ?? 2 ** 31, a.above, window, a.roomId, a.skipDeleted, a.limit],
  );
  const ids = (w.ids ?? []).map(Number);
  if (ids.length >= a.limit || w.scanned < window) return ids;
  // `id + 0`: neither the order nor the bounds may come from the primary key (that walk is what the window
  // bounded): the room's index is then the only path left.
  const older = await preparedRows<{ id: number }>(
    db,
    'csi_chat_room_older',
    `SELECT id FROM "Chat_message" WHERE room_id = ? AND id + 0 < ?::integer AND id + 0 > ?::integer AND NOT (is_deleted AND ?::boolean)
     ORDER BY id + 0 DESC LIMIT ?`,
    [a.roomId, w.lowest, a.above, a.skipDeleted, a.limit - ids.length],
    ROOM_MESSAGES_PLAN,
  );
  return [...ids, ...older.map((r) => Number(r.id))];
}

/**
 * The history's cursor page (`?before=&limit=`, beyond the original): the room's `limit` messages with an id
 * below `before` (every message when null), newest (highest id) first. A keyset on the id: messages stored
 * meanwhile have higher ids, so a page never repeats or skips one.
 */
export async function messagesBefore(db: Db, roomId: number, before: number | null, limit: number): Promise<MessageRow[]> {
  const ids = await roomMessageIds(db, { roomId, below: before, above: 0, limit, skipDeleted: false });
  if (!ids.length) return [];
  return preparedRows<MessageRow>(
    db,
    'csi_chat_messages_by_id',
    `SELECT ${HISTORY_COLUMNS}
     FROM (SELECT * FROM "Chat_message" WHERE id = ANY(?::integer[]) AND room_id = ?) m
     ${HISTORY_JOINS}
     ORDER BY m.id DESC`,
    [pgArray(ids), roomId],
  );
}

const MEMBER_COLUMNS = 'u.id, u.first_name, u.last_name, u.role, u.photo, u.year, u.last_seen';

/** room.members.all() */
export function roomMembers(db: Db, roomId: number): Promise<MemberRow[]> {
  return rows<MemberRow>(
    db,
    `SELECT ${MEMBER_COLUMNS} FROM "Chat_room_members" rm JOIN "User_user" u ON u.id = rm.user_id
     WHERE rm.room_id = ? ORDER BY u.id`,
    [roomId],
  );
}

/** room.members.filter(Q(first_name__icontains=q) | Q(last_name__icontains=q)) */
export function searchRoomMembers(db: Db, roomId: number, q: string): Promise<MemberRow[]> {
  const pattern = containsPattern(q);
  return rows<MemberRow>(
    db,
    `SELECT ${MEMBER_COLUMNS} FROM "Chat_room_members" rm JOIN "User_user" u ON u.id = rm.user_id
     WHERE rm.room_id = ? AND (UPPER(u.first_name::text) LIKE UPPER(?) OR UPPER(u.last_name::text) LIKE UPPER(?))
     ORDER BY u.id`,
    [roomId, pattern, pattern],
  );
}

/** An active room by id (get_object_or_404(Room, id=..., is_active=True)) with membership of userId. */
export async function activeRoomAccess(db: Db, roomId: number, userId: number): Promise<RoomAccessRow | null> {
  const room = await roomAccess(db, roomId, userId);
  return room && room.is_active ? room : null;
}

// ---------------------------------------------------------------------------------------------
// Writes

/** Existing user ids among `ids` (PrimaryKeyRelatedField(queryset=User.objects.all())). */
export async function existingUserIds(db: Db, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const found = await rows<{ id: number }>(db, `SELECT id FROM "User_user" WHERE id = ANY(?::bigint[])`, [pgArray(ids)]);
  return new Set(found.map((r) => r.id));
}

/** Whether a room other than `exceptId` already has this exact name (UniqueValidator). */
export async function roomNameTaken(db: Db, name: string, exceptId: number | null): Promise<boolean> {
  const found = await rows<{ one: number }>(
    db,
    `SELECT 1 AS one FROM "Chat_room" WHERE name = ?${exceptId === null ? '' : ' AND id <> ?'} LIMIT 1`,
    exceptId === null ? [name] : [name, exceptId],
  );
  return found.length > 0;
}

export interface NewRoom {
  name: string;
  description: string | null;
  room_avatar: string | null;
  is_active: boolean;
  created_by_id: number;
  created_at: string;
  updated_at: string;
}

export async function insertRoom(db: Db, room: NewRoom, memberIds: number[]): Promise<number> {
  const inserted = await rows<{ id: number }>(
    db,
    `INSERT INTO "Chat_room" (name, description, room_avatar, created_at, updated_at, is_active, created_by_id)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [room.name, room.description, room.room_avatar, room.created_at, room.updated_at, room.is_active, room.created_by_id],
  );
  const id = inserted[0].id;
  if (memberIds.length) {
    await db.raw(`INSERT INTO "Chat_room_members" (room_id, user_id) SELECT ?, u FROM unnest(?::bigint[]) AS u ON CONFLICT DO NOTHING`, [
      id,
      pgArray(memberIds),
    ]);
  }
  return id;
}

export interface RoomChanges {
  name?: string;
  description?: string | null;
  room_avatar?: string | null;
  is_active?: boolean;
  created_by_id?: number;
  updated_at: string;
}

/** instance.save(): every given column plus updated_at (auto_now). */
export async function updateRoom(db: Db, roomId: number, changes: RoomChanges): Promise<void> {
  await db('Chat_room').where({ id: roomId }).update(changes);
}

/** room.delete(): Django's Python-side cascade — replies (recursively, in any room), their mentions,
 * the room's memberships and read states, then the room. */
export async function deleteRoomCascade(db: Db, roomId: number): Promise<void> {
  await db.raw(
    `WITH RECURSIVE doomed(id) AS (
       SELECT id FROM "Chat_message" WHERE room_id = ?
       UNION SELECT m.id FROM "Chat_message" m JOIN doomed d ON m.parent_message_id = d.id
     ), gone_mentions AS (
       DELETE FROM "Chat_message_mentions" WHERE message_id IN (SELECT id FROM doomed)
     )
     DELETE FROM "Chat_message" WHERE id IN (SELECT id FROM doomed)`,
    [roomId],
  );
  await db('Chat_room_members').where({ room_id: roomId }).delete();
  await db('Chat_userroomstatus').where({ room_id: roomId }).delete();
  await db('Chat_room').where({ id: roomId }).delete();
}

export async function removeMember(db: Db, roomId: number, userId: number): Promise<void> {
  await db('Chat_room_members').where({ room_id: roomId, user_id: userId }).delete();
}

/** room.members.add(user); true when the row was added (false when already a member). */
export async function addMember(db: Db, roomId: number, userId: number): Promise<boolean> {
  const res = (await db.raw(
    `INSERT INTO "Chat_room_members" (room_id, user_id) SELECT ?, ?
     WHERE NOT EXISTS (SELECT 1 FROM "Chat_room_members" WHERE room_id = ? AND user_id = ?)
     ON CONFLICT DO NOTHING RETURNING id`,
    [roomId, userId, roomId, userId],
  )) as { rows: unknown[] };
  return res.rows.length > 0;
}

/** room.members.get(id=...) */
export async function memberById(
  db: Db,
  roomId: number,
  userId: number,
): Promise<{ id: number; first_name: string; last_name: string | null } | null> {
  const found = await rows<{ id: number; first_name: string; last_name: string | null }>(
    db,
    `SELECT u.id, u.first_name, u.last_name FROM "Chat_room_members" rm JOIN "User_user" u ON u.id = rm.user_id
     WHERE rm.room_id = ? AND u.id = ?`,
    [roomId, userId],
  );
  return found[0] ?? null;
}

/** Whether a room with this id exists (any state). */

/** UserRoomStatus.objects.get_or_create(user, room) then last_read = now; save(). Returns false when
 * the room does not exist. The UPDATE comes first so that no identity value is burnt on re-reads. */
export async function markRead(db: Db, roomId: number, userId: number, now: string): Promise<boolean> {
  const updated = (await db.raw(`UPDATE "Chat_userroomstatus" SET last_read = ? WHERE room_id = ? AND user_id = ? RETURNING id`, [
    now,
    roomId,
    userId,
  ])) as { rows: unknown[] };
  if (updated.rows.length) return true;
  const inserted = (await db.raw(
    `INSERT INTO "Chat_userroomstatus" (last_read, room_id, user_id)
     SELECT ?, r.id, ? FROM "Chat_room" r WHERE r.id = ?
     ON CONFLICT (user_id, room_id) DO UPDATE SET last_read = excluded.last_read
     RETURNING id`,
    [now, userId, roomId],
  )) as { rows: unknown[] };
  return inserted.rows.length > 0;
}

/** The room's member ids (whose sockets close when the room goes away). */
export async function roomMemberIds(db: Db, roomId: number): Promise<number[]> {
  return (await rows<{ user_id: number }>(db, `SELECT user_id FROM "Chat_room_members" WHERE room_id = ? ORDER BY user_id`, [roomId])).map((r) =>
    Number(r.user_id),
  );
}

/**
 * The upload's `parent_message` (PrimaryKeyRelatedField(queryset=Message.objects.all()) in the original):
 * a message of the room when the user may write there. The original took a message of any room, and history
 * and the live frame then showed its content and sender (issue 13 #5; README divergences), so another
 * room's message answers as a missing one. When the room is unknown, inactive or not the user's, any existing
 * message passes as in the original, and the room check after validation gives the original's 404/403.
 */
export async function parentAllowed(db: Db, id: number, roomId: number | null, userId: number): Promise<boolean> {
  return (
    (
      await rows(
        db,
        `SELECT 1 FROM "Chat_message" p
         WHERE p.id = ? AND (p.room_id IS NOT DISTINCT FROM ?::bigint OR NOT EXISTS (
           SELECT 1 FROM "Chat_room" r JOIN "Chat_room_members" rm ON rm.room_id = r.id AND rm.user_id = ?
           WHERE r.id = ?::bigint AND r.is_active))`,
        [id, roomId, userId, roomId],
      )
    ).length > 0
  );
}

export interface NewMessage {
  roomId: number;
  senderId: number;
  messageType: string;
  content: string | null;
  attachment: string;
  parentId: number | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Message.objects.create(...) with Message.save()'s membership rule in the same statement: no row
 * (null) when the sender is no longer a member of the room (or the parent is not a message of the room,
 * which parentAllowed() already refused).
 */
export async function insertMessage(db: Db, m: NewMessage): Promise<{ id: number; created_at: string } | null> {
  const inserted = await rows<{ id: number; created_at: string }>(
    db,
    `INSERT INTO "Chat_message" (message_type, content, attachment, reactions, is_deleted, is_edited, status,
       created_at, updated_at, parent_message_id, sender_id, room_id, is_pinned, pinned_at)
     SELECT ?, ?, ?, NULL, false, false, '{}'::jsonb, ?, ?, ?, ?, ?, false, NULL
     WHERE EXISTS (SELECT 1 FROM "Chat_room_members" WHERE room_id = ? AND user_id = ?)
       AND (?::integer IS NULL OR EXISTS (SELECT 1 FROM "Chat_message" WHERE id = ?::integer AND room_id = ?))
     RETURNING id, created_at`,
    [
      m.messageType,
      m.content,
      m.attachment,
      m.createdAt,
      m.updatedAt,
      m.parentId,
      m.senderId,
      m.roomId,
      m.roomId,
      m.senderId,
      m.parentId,
      m.parentId,
      m.roomId,
    ],
  );
  return inserted[0] ?? null;
}
