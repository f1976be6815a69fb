// SQL of the chat socket (issue #4). Each action is one statement (pins: one short transaction) that
// also enforces the room scope and membership, so a check and its write cannot drift apart.
import { performance } from 'node:perf_hooks';
import type { Knex } from 'knex';
import { type Db, pgArray, preparedRows, rows } from '../db/sql.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { roomMessageIds } from './queries.ts';

const IS_MEMBER = `EXISTS (SELECT 1 FROM "Chat_room_members" WHERE room_id = ? AND user_id = ?)`;

export interface ParentRow {
  p_id: number;
  p_content: string | null;
  p_created_at: string;
  p_sender_id: number;
  p_first_name: string;
  p_photo: string | null;
}

const PARENT_COLUMNS = `p.id AS p_id, p.content AS p_content, p.created_at AS p_created_at, p.sender_id AS p_sender_id,
  pu.first_name AS p_first_name, pu.photo AS p_photo`;

/**
 * The parent of a reply as the consumer's chat_message handler reads it (events may come from Django
 * processes, which do not check the parent's room): only a message of the event's room, so another room's
 * content never reaches this room's sockets (issue 13 #5).
 */
export async function parentForFrame(db: Db, id: number, roomId: number): Promise<ParentRow | null> {
  const found = await rows<ParentRow>(
    db,
    `SELECT ${PARENT_COLUMNS} FROM "Chat_message" p JOIN "User_user" pu ON pu.id = p.sender_id WHERE p.id = ? AND p.room_id = ?`,
    [id, roomId],
  );
  return found[0] ?? null;
}

export interface NewSocketMessage {
  roomId: number;
  senderId: number;
  messageType: string;
  content: string;
  attachment: string | null;
  parentId: number | null;
  mentionIds: number[];
  createdAt: string;
}

export interface InsertedSocketMessage {
  is_member: boolean;
  parent_found: boolean;
  id: number | null;
  created_at: string | null;
  room_name: string | null;
  /** Mentioned users that are members of the room (stored in Chat_message_mentions). */
  mentioned: number[] | null;
  p_id: number | null;
  p_content: string | null;
  p_created_at: string | null;
  p_sender_id: number | null;
  p_first_name: string | null;
  p_photo: string | null;
}

/**
 * Message.objects.create + message.mentions.add(members) in one round trip: the row is written only if
 * the sender is a member and the parent (when given) is a message of the same room.
 */
async function insertSocketMessage(db: Db, m: NewSocketMessage): Promise<InsertedSocketMessage> {
  const found = await preparedRows<InsertedSocketMessage>(
    db,
    'csi_chat_insert_message',
    `WITH member AS (SELECT 1 FROM "Chat_room_members" WHERE room_id = ? AND user_id = ?),
     parent AS (
       SELECT ${PARENT_COLUMNS} FROM "Chat_message" p JOIN "User_user" pu ON pu.id = p.sender_id
       WHERE p.id = ?::integer AND p.room_id = ?
     ),
     ins AS (
       INSERT INTO "Chat_message" (message_type, content, attachment, reactions, is_deleted, is_edited, status,
         created_at, updated_at, parent_message_id, sender_id, room_id, is_pinned, pinned_at)
       SELECT ?, ?, ?, NULL, false, false, '{}'::jsonb, ?, ?, ?::integer, ?, ?, false, NULL
       WHERE EXISTS (SELECT 1 FROM member) AND (?::integer IS NULL OR EXISTS (SELECT 1 FROM parent))
       RETURNING id, created_at
     ),
     men AS (
       INSERT INTO "Chat_message_mentions" (message_id, user_id)
       SELECT ins.id, rm.user_id FROM ins JOIN "Chat_room_members" rm ON rm.room_id = ? AND rm.user_id = ANY (?::bigint[])
       RETURNING user_id
     )
     SELECT EXISTS (SELECT 1 FROM member) AS is_member, EXISTS (SELECT 1 FROM parent) AS parent_found,
       ins.id, ins.created_at, r.name AS room_name,
       (SELECT array_agg(user_id ORDER BY user_id) FROM men) AS mentioned,
       parent.*
     FROM (SELECT 1) one
     LEFT JOIN ins ON true
     LEFT JOIN parent ON true
     LEFT JOIN "Chat_room" r ON r.id = ?`,
    [
      m.roomId,
      m.senderId,
      m.parentId,
      m.roomId,
      m.messageType,
      m.content,
      m.attachment,
      m.createdAt,
      m.createdAt,
      m.parentId,
      m.senderId,
      m.roomId,
      m.parentId,
      m.roomId,
      pgArray(m.mentionIds),
      m.roomId,
    ],
  );
  return found[0];
}

// ---- resume (?after=) ----------------------------------------------------------------------------

export interface ResumeRow extends Partial<ParentRow> {
  id: number;
  message_type: string;
  content: string | null;
  attachment: string | null;
  created_at: string;
  sender_id: number;
  s_first_name: string;
  s_photo: string | null;
  s_role: string;
}

export interface ResumeRead {
  /** The user is (still) a member of the room. */
  is_member: boolean;
  /** `after` is 0 or the id of a message of this room. */
  anchor_found: boolean;
  /** Messages stored after `after` (deleted ones left out) that were read: newest first, at most `limit`. */
  fetched: number;
  /** Those within the byte budget, oldest first: every one whose newer ones' text stays under it. */
  rows: ResumeRow[];
}

/**
 * A resume's catch-up: the room's messages with an id above `after`, not deleted, the newest `limit`
 * read and, of those, the newest whose text (content + attachment) stays within `maxBytes` — one
 * statement that also checks membership and that `after` is 0 or a message of this room.
 */
export async function resumeMessages(
  db: Db,
  a: { roomId: number; userId: number; after: number; limit: number; maxBytes: number },
): Promise<ResumeRead> {
  // The candidates, newest first (see roomMessageIds: a room's newest without a scan of the table); the
  // statement below checks access and the anchor, and reads them.
  const ids = await roomMessageIds(db, { roomId: a.roomId, below: null, above: a.after, limit: a.limit, skipDeleted: true });
  const found = await preparedRows<ResumeRow & { is_member: boolean; anchor_found: boolean; fetched: number; id: number | null }>(
    db,
    'csi_chat_resume',
    `WITH access AS (
       SELECT EXISTS (SELECT 1 FROM "Chat_room_members" WHERE room_id = ? AND user_id = ?) AS is_member,
         (?::integer = 0 OR EXISTS (SELECT 1 FROM "Chat_message" WHERE id = ?::integer AND room_id = ?)) AS anchor_found
     ),
     newest AS (
       -- size: the text the frame carries, the reply's parent preview included (a room of short replies to one
       -- long message would otherwise pass the bound many times over, and the socket's send buffer with it).
       SELECT m.id, m.message_type, m.content, m.attachment, m.created_at, m.sender_id, m.parent_message_id,
         COALESCE(octet_length(m.content), 0) + COALESCE(octet_length(m.attachment), 0)
           + COALESCE((SELECT octet_length(pm.content) FROM "Chat_message" pm WHERE pm.id = m.parent_message_id AND pm.room_id = m.room_id), 0) AS size
       FROM "Chat_message" m, access
       WHERE access.is_member AND access.anchor_found AND m.id = ANY(?::integer[]) AND m.room_id = ? AND m.id > ?::integer AND NOT m.is_deleted
       ORDER BY m.id DESC LIMIT ?
     ),
     kept AS (
       SELECT * FROM (SELECT n.*, sum(n.size) OVER (ORDER BY n.id DESC) - n.size AS newer_bytes FROM newest n) w
       WHERE w.newer_bytes < ?
     )
     SELECT a.is_member, a.anchor_found, (SELECT count(*) FROM newest)::integer AS fetched,
       k.id, k.message_type, k.content, k.attachment, k.created_at, k.sender_id,
       u.first_name AS s_first_name, u.photo AS s_photo, u.role AS s_role,
       ${PARENT_COLUMNS}
     FROM access a
     LEFT JOIN kept k ON true
     LEFT JOIN "User_user" u ON u.id = k.sender_id
     LEFT JOIN "Chat_message" p ON p.id = k.parent_message_id AND p.room_id = ?
     LEFT JOIN "User_user" pu ON pu.id = p.sender_id
     ORDER BY k.id`,
    [a.roomId, a.userId, a.after, a.after, a.roomId, pgArray(ids), a.roomId, a.after, a.limit, a.maxBytes, a.roomId],
  );
  const head = found[0];
  return {
    is_member: head.is_member,
    anchor_found: head.anchor_found,
    fetched: head.fetched,
    rows: found.filter((r): r is typeof r & { id: number } => r.id !== null),
  };
}

// ---- sends with a client_id (src/chat/clientIds.ts) -----------------------------------------------

/** An id from Chat_message's own sequence, reserved for a client_id's message before its first insert. */
export async function reserveMessageId(db: Db): Promise<number> {
  const found = await preparedRows<{ id: number }>(
    db,
    'csi_chat_reserve_message_id',
    `SELECT nextval(pg_get_serial_sequence('"Chat_message"', 'id'))::integer AS id`,
    [],
  );
  return found[0].id;
}

export interface ClaimedSocketMessage extends InsertedSocketMessage {
  /** This statement stored the row. */
  inserted: boolean;
  /** The row of the reserved id as stored before (an earlier attempt's), when there is one. */
  prior_id: number | null;
  prior_created_at: string | null;
  /** That row is this sender's message in this room (else the claim is stale: a restored database). */
  prior_ours: boolean | null;
  /** The reserved id was issued by the sequence as it stands; false after a restore set it back (the claim
   * is stale, and inserting it would collide with an id the sequence hands out later). */
  claim_issued: boolean;
}

/**
 * insertSocketMessage under the id reserved for a client_id: the row is written only if no row has that
 * id yet (an earlier attempt's, on any process) — INSERT … ON CONFLICT (id) DO NOTHING waits for a
 * concurrent attempt's transaction and then leaves its row alone — and with the same checks (member,
 * parent in the room). A row that existed when the statement began comes back as prior_*; one that a
 * concurrent attempt committed meanwhile is not visible to this statement (read it with storedMessage).
 */
export async function insertClaimedMessage(db: Db, m: NewSocketMessage & { id: number }): Promise<ClaimedSocketMessage> {
  const found = await preparedRows<ClaimedSocketMessage>(
    db,
    'csi_chat_insert_claimed_message',
    `WITH member AS (SELECT 1 FROM "Chat_room_members" WHERE room_id = ? AND user_id = ?),
     parent AS (
       SELECT ${PARENT_COLUMNS} FROM "Chat_message" p JOIN "User_user" pu ON pu.id = p.sender_id
       WHERE p.id = ?::integer AND p.room_id = ?
     ),
     prior AS (SELECT id, created_at, sender_id, room_id FROM "Chat_message" WHERE id = ?::integer),
     issued AS (
       SELECT ?::integer <= coalesce(pg_sequence_last_value(pg_get_serial_sequence('"Chat_message"', 'id')::regclass), 0) AS ok
     ),
     ins AS (
       INSERT INTO "Chat_message" (id, message_type, content, attachment, reactions, is_deleted, is_edited, status,
         created_at, updated_at, parent_message_id, sender_id, room_id, is_pinned, pinned_at)
       SELECT ?::integer, ?, ?, ?, NULL, false, false, '{}'::jsonb, ?, ?, ?::integer, ?, ?, false, NULL
       WHERE EXISTS (SELECT 1 FROM member) AND (?::integer IS NULL OR EXISTS (SELECT 1 FROM parent))
         AND NOT EXISTS (SELECT 1 FROM prior) AND (SELECT ok FROM issued)
       ON CONFLICT (id) DO NOTHING
       RETURNING id, created_at
     ),
     men AS (
       INSERT INTO "Chat_message_mentions" (message_id, user_id)
       SELECT ins.id, rm.user_id FROM ins JOIN "Chat_room_members" rm ON rm.room_id = ? AND rm.user_id = ANY (?::bigint[])
       RETURNING user_id
     )
     SELECT EXISTS (SELECT 1 FROM member) AS is_member, EXISTS (SELECT 1 FROM parent) AS parent_found,
       ins.id IS NOT NULL AS inserted, ins.id, ins.created_at, r.name AS room_name,
       (SELECT array_agg(user_id ORDER BY user_id) FROM men) AS mentioned,
       prior.id AS prior_id, prior.created_at AS prior_created_at,
       (prior.sender_id = ? AND prior.room_id = ?) AS prior_ours,
       (SELECT ok FROM issued) AS claim_issued,
       parent.*
     FROM (SELECT 1) one
     LEFT JOIN ins ON true
     LEFT JOIN parent ON true
     LEFT JOIN prior ON true
     LEFT JOIN "Chat_room" r ON r.id = ?`,
    [
      m.roomId,
      m.senderId,
      m.parentId,
      m.roomId,
      m.id,
      m.id,
      m.id,
      m.messageType,
      m.content,
      m.attachment,
      m.createdAt,
      m.createdAt,
      m.parentId,
      m.senderId,
      m.roomId,
      m.parentId,
      m.roomId,
      pgArray(m.mentionIds),
      m.senderId,
      m.roomId,
      m.roomId,
    ],
  );
  return found[0];
}

export interface StoredSocketMessage extends InsertedSocketMessage {
  content: string | null;
  message_type: string;
  attachment: string | null;
  parent_message_id: number | null;
}

/**
 * A message of `roomId` as stored (not deleted), in the shape an insert returns plus its own fields: what a
 * retry with a client_id publishes when the attempt that stored it could not (src/chat/consumer.ts).
 */
export async function storedSocketMessage(db: Db, a: { id: number; roomId: number }): Promise<StoredSocketMessage | null> {
  const found = await rows<StoredSocketMessage>(
    db,
    `SELECT true AS is_member, true AS parent_found, m.id, m.created_at, m.content, m.message_type, m.attachment,
       m.parent_message_id, r.name AS room_name,
       (SELECT array_agg(user_id ORDER BY user_id) FROM "Chat_message_mentions" WHERE message_id = m.id) AS mentioned,
       ${PARENT_COLUMNS}
     FROM "Chat_message" m
     JOIN "Chat_room" r ON r.id = m.room_id
     LEFT JOIN "Chat_message" p ON p.id = m.parent_message_id AND p.room_id = m.room_id
     LEFT JOIN "User_user" pu ON pu.id = p.sender_id
     WHERE m.id = ? AND m.room_id = ? AND NOT m.is_deleted`,
    [a.id, a.roomId],
  );
  return found[0] ?? null;
}

/** A stored message's id, created_at and whether it is `senderId`'s in `roomId` (a fresh read). */
export async function storedMessage(
  db: Db,
  a: { id: number; senderId: number; roomId: number },
): Promise<{ id: number; created_at: string; ours: boolean } | null> {
  const found = await rows<{ id: number; created_at: string; ours: boolean }>(
    db,
    `SELECT id, created_at, (sender_id = ? AND room_id = ?) AS ours FROM "Chat_message" WHERE id = ?`,
    [a.senderId, a.roomId, a.id],
  );
  return found[0] ?? null;
}

// ---- batched plain sends -------------------------------------------------------------------------
//
// Each message is still checked and stored exactly as insertSocketMessage would (membership of the sender in the
// room at the moment of the INSERT, its own id, its own created_at); messages of one batch get their ids
// in arrival order. At most MAX_IN_FLIGHT statements run at once (the consumer handles one frame per
// socket at a time, so one sender's messages are never in two of them); what arrives meanwhile waits
// and goes in the next statement. A batch that Postgres refuses (e.g. a NUL in one content) is retried
// message by message, so one bad message fails alone, with insertSocketMessage's error; a batch whose
// connection broke is first looked for, so it is never stored twice (SocketMessageWriter.store).

/** Rows per statement (bounded so one statement stays small). */
const BATCH_MAX = 256;
/** Statements in flight per pool (the pool has 10 connections; the rest stay free for other work). */
const MAX_IN_FLIGHT = 3;

const BATCH_SQL = `WITH input AS (
    SELECT * FROM jsonb_to_recordset(?::jsonb) AS t(ord int, room_id bigint, sender_id bigint, message_type text,
      content text, attachment text, created_at timestamptz)
  ), ok AS (
    SELECT i.*, nextval(pg_get_serial_sequence('"Chat_message"', 'id'))::integer AS id
    FROM (
      SELECT * FROM input i
      WHERE EXISTS (SELECT 1 FROM "Chat_room_members" rm WHERE rm.room_id = i.room_id AND rm.user_id = i.sender_id)
      ORDER BY i.ord
    ) i
  ), ins AS (
    INSERT INTO "Chat_message" (id, message_type, content, attachment, reactions, is_deleted, is_edited, status,
      created_at, updated_at, parent_message_id, sender_id, room_id, is_pinned, pinned_at)
    SELECT id, message_type, content, attachment, NULL, false, false, '{}'::jsonb, created_at, created_at, NULL,
      sender_id, room_id, false, NULL
    FROM ok ORDER BY ord
    RETURNING id, created_at
  )
  SELECT i.ord, ok.id IS NOT NULL AS is_member, ins.id, ins.created_at, r.name AS room_name
  FROM input i
  LEFT JOIN ok ON ok.ord = i.ord
  LEFT JOIN ins ON ins.id = ok.id
  LEFT JOIN "Chat_room" r ON r.id = i.room_id
  ORDER BY i.ord`;

interface Pending {
  m: NewSocketMessage;
  /** performance.now() when the send's frame arrived (the admission bound counts from there). */
  receivedAt: number;
  resolve(row: InsertedSocketMessage): void;
  reject(err: unknown): void;
}

/**
 * The writer's admission bounds (issue 13 #3: under overload, refuse the excess instead of letting every
 * send wait longer and longer). 0 = no bound.
 */
export interface WriterLimits {
  /** WS_SEND_MAX_WAIT_MS: a send whose statement has not started this long after its frame arrived is refused. */
  maxWaitMs: number;
  /** WS_SEND_MAX_QUEUED: sends waiting for a statement; one more is refused at once. */
  maxQueued: number;
}

const NO_LIMITS: WriterLimits = { maxWaitMs: 0, maxQueued: 0 };

/**
 * A send the writer refused without writing it (past WriterLimits): nothing of it reaches the database, so
 * the sender may be told "nothing was saved".
 */
export class WriterBusy extends Error {
  constructor(readonly reason: 'waited' | 'queue') {
    super(reason === 'waited' ? 'the send waited too long for the message writer' : 'too many sends wait for the message writer');
  }
}

const NO_PARENT = {
  parent_found: false,
  mentioned: null,
  p_id: null,
  p_content: null,
  p_created_at: null,
  p_sender_id: null,
  p_first_name: null,
  p_photo: null,
} as const;

/** The batch's outcome could not be learnt (the database stayed unreachable after the connection broke). */
export class SendOutcomeUnknown extends Error {
  constructor(override readonly cause: unknown) {
    super('the database connection broke while a message was being stored, and whether it was stored is not known');
  }
}

type BatchRow = { ord: number; is_member: boolean; id: number | null; created_at: string | null; room_name: string | null };

/** A node-postgres connection as knex's pool hands it out: its backend's pid tells who ran a statement. */
interface PgConnection {
  processID?: number;
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * The rows of a batch that are in the table (re-read after a lost connection): the same room, sender,
 * created_at (microseconds, taken per message), type, content and attachment. Each stored row is matched
 * once, in input order.
 */
const REREAD_SQL = `WITH input AS (
    SELECT * FROM jsonb_to_recordset(?::jsonb) AS t(ord int, room_id bigint, sender_id bigint, message_type text,
      content text, attachment text, created_at timestamptz)
  ), numbered AS (
    SELECT i.*, row_number() OVER (PARTITION BY i.room_id, i.sender_id, i.created_at, i.message_type, i.content, i.attachment ORDER BY i.ord) AS k
    FROM input i
  ), stored AS (
    SELECT m.id, m.created_at, m.room_id, m.sender_id, m.message_type, m.content, m.attachment,
      row_number() OVER (PARTITION BY m.room_id, m.sender_id, m.created_at, m.message_type, m.content, m.attachment ORDER BY m.id) AS k
    FROM "Chat_message" m
    WHERE (m.room_id, m.sender_id, m.created_at) IN (SELECT room_id, sender_id, created_at FROM input)
  )
  SELECT n.ord, s.id, s.created_at, r.name AS room_name
  FROM numbered n
  LEFT JOIN stored s ON s.room_id = n.room_id AND s.sender_id = n.sender_id AND s.created_at = n.created_at
    AND s.message_type = n.message_type AND s.content IS NOT DISTINCT FROM n.content
    AND s.attachment IS NOT DISTINCT FROM n.attachment AND s.k = n.k
  LEFT JOIN "Chat_room" r ON r.id = n.room_id
  ORDER BY n.ord`;

/** How long to keep trying to learn a lost batch's outcome before telling the senders it is unknown. */
const OUTCOME_DEADLINE_MS = 15_000;

/**
 * The socket's message writer, one per process (a service of the application context).
 *
 * Admission (WriterLimits): a send is refused with WriterBusy — before any statement, so it is never
 * stored — when it has waited maxWaitMs since its frame arrived (checked when it is offered, while it is
 * queued, and when its batch is formed) or when maxQueued sends already wait. A send in a statement is
 * never refused: its outcome is the statement's. Without it, a room offered more than the
 * database can take queues every send behind the others (in the writer and in each socket's frame
 * chain): every send is acknowledged later and later, sockets hit their backlog bound or look like floods
 * when the stalled process reads their frames in bursts, and delivery collapses (bench/overload.ts). With
 * it the excess is refused and what is accepted waits at most maxWaitMs before its statement.
 */
export class SocketMessageWriter {
  private queue: Pending[] = [];
  private running = 0;
  /** Sends refused by the admission bounds, by reason (for the tests and /metrics-style inspection). */
  readonly stats = { refusedWaited: 0, refusedQueue: 0 };

  constructor(
    private readonly knex: Knex,
    /** How long to keep trying to learn a lost batch's outcome (tests shorten it). */
    private readonly outcomeDeadlineMs = OUTCOME_DEADLINE_MS,
    private readonly limits: WriterLimits = NO_LIMITS,
  ) {}

  /**
   * Throws WriterBusy when a send whose frame arrived at `receivedAt` (performance.now()) has waited past
   * maxWaitMs. Sends that are not batched (replies, mentions, client_id claims) call it before their
   * first statement; batched ones go through insert(), which calls it.
   */
  admit(receivedAt: number): void {
    if (this.limits.maxWaitMs > 0 && performance.now() - receivedAt > this.limits.maxWaitMs) {
      this.stats.refusedWaited += 1;
      throw new WriterBusy('waited');
    }
  }

  /** Plain messages (no reply, no mentions) are batched: one statement and one commit for every message
   * that arrived while the previous statement ran. `receivedAt`: when the send's frame arrived
   * (performance.now()); the admission bounds count from it. */
  insert(m: NewSocketMessage, receivedAt = performance.now()): Promise<InsertedSocketMessage> {
    try {
      this.admit(receivedAt);
    } catch (err) {
      return Promise.reject(err);
    }
    if (m.parentId !== null || m.mentionIds.length > 0) return insertSocketMessage(this.knex, m);
    if (this.limits.maxQueued > 0 && this.queue.length >= this.limits.maxQueued) {
      this.stats.refusedQueue += 1;
      return Promise.reject(new WriterBusy('queue'));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ m, receivedAt, resolve, reject });
      if (this.running < MAX_IN_FLIGHT) void this.run();
      this.armSweep();
    });
  }

  /** While sends are queued (every statement slot busy: a slow or stalled database), a timer refuses each
   * one once it has waited maxWaitMs, so its sender hears within the bound instead of when a slot frees. */
  private sweepTimer: NodeJS.Timeout | null = null;

  private armSweep(): void {
    if (this.limits.maxWaitMs <= 0 || this.sweepTimer !== null || this.queue.length === 0) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const p of this.queue) oldest = Math.min(oldest, p.receivedAt);
    const delay = Math.max(0, oldest + this.limits.maxWaitMs - performance.now()) + 1;
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = null;
      this.queue = this.admitted(this.queue);
      this.armSweep();
    }, delay);
    this.sweepTimer.unref();
  }

  private async run(): Promise<void> {
    this.running++;
    try {
      while (this.queue.length) {
        const batch = this.admitted(this.queue.splice(0, BATCH_MAX));
        if (batch.length === 0) continue;
        if (batch.length === 1 && !this.onPostgres()) {
          const [p] = batch;
          await insertSocketMessage(this.knex, p.m).then(p.resolve, p.reject);
          continue;
        }
        await this.store(batch);
      }
    } finally {
      this.running--;
    }
  }

  /** The sends of a batch still within maxWaitMs; the others are refused (they never reach a statement). */
  private admitted(batch: Pending[]): Pending[] {
    if (this.limits.maxWaitMs <= 0) return batch;
    const kept: Pending[] = [];
    for (const p of batch) {
      try {
        this.admit(p.receivedAt);
        kept.push(p);
      } catch (err) {
        p.reject(err);
      }
    }
    return kept;
  }

  private onPostgres(): boolean {
    return (this.knex.client as { config?: { client?: unknown } }).config?.client === 'pg';
  }

  /**
   * One statement for the batch. If it fails with an answer from Postgres (e.g. a NUL in one content), it
   * was rolled back and each message is tried alone, so one bad message fails alone. If the connection
   * broke instead, the statement may have committed (a reset between the commit and its answer): the
   * outcome is learnt first (issue 13 #7) — the backend that ran it is waited for (or stopped), then the
   * rows are looked for — so a message is never stored twice and the sender is told what happened.
   */
  private async store(batch: Pending[]): Promise<void> {
    const input = JSON.stringify(
      batch.map((p, i) => ({
        ord: i,
        room_id: p.m.roomId,
        sender_id: p.m.senderId,
        message_type: p.m.messageType,
        content: p.m.content,
        attachment: p.m.attachment,
        created_at: p.m.createdAt,
      })),
    );
    let backendPid: number | undefined;
    try {
      const out = this.onPostgres()
        ? await this.onConnection(async (conn) => {
            backendPid = conn.processID;
            return (await conn.query({ name: 'csi_chat_insert_batch', text: numbered(BATCH_SQL), values: [input] })).rows as BatchRow[];
          })
        : await preparedRows<BatchRow>(this.knex, 'csi_chat_insert_batch', BATCH_SQL, [input]);
      if (out.length !== batch.length) throw new Error('batched insert returned a different number of rows');
      for (const r of out) batch[r.ord].resolve({ is_member: r.is_member, id: r.id, created_at: r.created_at, room_name: r.room_name, ...NO_PARENT });
      return;
    } catch (err) {
      if (isDatabaseUnavailable(err) && backendPid !== undefined) {
        let found: BatchRow[];
        try {
          found = await this.lostBatchRows(backendPid, input);
        } catch (unknownErr) {
          for (const p of batch) p.reject(new SendOutcomeUnknown(unknownErr));
          return;
        }
        if (found.some((r) => r.id !== null)) {
          // It committed: every member's message is there; the others were not members at the time.
          for (const r of found) {
            batch[r.ord].resolve({ is_member: r.id !== null, id: r.id, created_at: r.created_at, room_name: r.room_name, ...NO_PARENT });
          }
          return;
        }
        // Nothing of it is stored, and the backend that ran it is gone: trying again cannot duplicate.
      }
    }
    // One at a time: each message gets its own outcome (and its own error).
    for (const p of batch) await insertSocketMessage(this.knex, p.m).then(p.resolve, p.reject);
  }

  private async onConnection<T>(work: (conn: PgConnection) => Promise<T>): Promise<T> {
    const client = this.knex.client as { acquireConnection(): Promise<PgConnection>; releaseConnection(c: PgConnection): Promise<void> };
    const conn = await client.acquireConnection();
    try {
      return await work(conn);
    } finally {
      await client.releaseConnection(conn);
    }
  }

  /**
   * After the connection of backend `pid` broke during the batch: waits until that backend can no longer
   * commit it (gone, or idle: its statement ended; one still running or in a transaction is terminated,
   * which rolls back whatever it had not committed), then reads which of the batch's rows exist. Throws when
   * Postgres stays unreachable past OUTCOME_DEADLINE_MS.
   */
  private async lostBatchRows(pid: number, input: string): Promise<BatchRow[]> {
    const deadline = Date.now() + this.outcomeDeadlineMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const [backend] = await rows<{ state: string | null }>(this.knex, `SELECT state FROM pg_stat_activity WHERE pid = ?`, [pid]);
        if (!backend || backend.state === 'idle') {
          return await rows<BatchRow>(this.knex, REREAD_SQL, [input]);
        }
        await rows(this.knex, `SELECT pg_terminate_backend(?)`, [pid]);
      } catch (err) {
        if (!isDatabaseUnavailable(err) || Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline) throw new Error(`backend ${pid} of a lost batch did not end`);
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 1000)));
    }
  }
}

/** A `?`-placeholder statement in node-postgres' `$n` form. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Edit by the sender, in the socket's room (Editing failed. otherwise). */
export async function editMessage(db: Db, a: { id: number; roomId: number; userId: number; content: string; now: string }): Promise<boolean> {
  const done = await rows(
    db,
    `UPDATE "Chat_message" SET content = ?, is_edited = true, updated_at = ?
     WHERE id = ? AND room_id = ? AND sender_id = ? AND ${IS_MEMBER} RETURNING id`,
    [a.content, a.now, a.id, a.roomId, a.userId, a.roomId, a.userId],
  );
  return done.length > 0;
}

/** Soft delete by the sender, in the socket's room; the content stays, as in the original. */
export async function softDeleteMessage(db: Db, a: { id: number; roomId: number; userId: number; now: string }): Promise<boolean> {
  const done = await rows(
    db,
    `UPDATE "Chat_message" SET is_deleted = true, updated_at = ?
     WHERE id = ? AND room_id = ? AND sender_id = ? AND ${IS_MEMBER} RETURNING id`,
    [a.now, a.id, a.roomId, a.userId, a.roomId, a.userId],
  );
  return done.length > 0;
}

export interface ReactionResult {
  /** The counters after this reaction, keys in jsonb order. */
  reactions: Record<string, unknown>;
  /** The reacted key did not exist before (Python appends a new dict key at the end). */
  added: boolean;
}

/**
 * reactions[reaction] += 1 in one UPDATE, so concurrent reactions never lose a count. A stored value
 * that is not a number (or a non-object column) starts again from 0 instead of failing.
 */
export async function reactToMessage(
  db: Db,
  a: { id: number; roomId: number; userId: number; reaction: string; now: string },
): Promise<ReactionResult | null> {
  const done = await rows<{ reactions: Record<string, unknown>; added: boolean }>(
    db,
    `WITH cur AS (
       SELECT id, CASE WHEN jsonb_typeof(reactions) = 'object' THEN reactions ELSE '{}'::jsonb END AS r
       FROM "Chat_message" WHERE id = ? AND room_id = ? AND ${IS_MEMBER}
     )
     UPDATE "Chat_message" m SET
       reactions = jsonb_set(
         CASE WHEN jsonb_typeof(m.reactions) = 'object' THEN m.reactions ELSE '{}'::jsonb END,
         ARRAY[?::text],
         to_jsonb(CASE WHEN jsonb_typeof(m.reactions -> ?::text) = 'number' THEN (m.reactions ->> ?::text)::numeric ELSE 0 END + 1)),
       updated_at = ?
     FROM cur WHERE m.id = cur.id
     RETURNING m.reactions, NOT jsonb_exists(cur.r, ?::text) AS added`,
    [a.id, a.roomId, a.roomId, a.userId, a.reaction, a.reaction, a.reaction, a.now, a.reaction],
  );
  return done[0] ?? null;
}

export type PinOutcome = { ok: true; pinnedAt: string | null } | { ok: false };

/**
 * Pin or unpin a message of the room. At most `limit` pinned per room, counting the others; re-pinning
 * a pinned one renews pinned_at. The room row lock serialises concurrent pins of one room.
 */
export async function pinMessage(
  knex: Knex,
  a: { id: number; roomId: number; userId: number; pin: boolean; now: string; limit: number },
): Promise<PinOutcome> {
  return knex.transaction(async (trx) => {
    const room = await rows(trx, `SELECT id FROM "Chat_room" WHERE id = ? AND ${IS_MEMBER} FOR UPDATE`, [a.roomId, a.roomId, a.userId]);
    if (!room.length) return { ok: false } as const;
    const done = await rows<{ pinned_at: string | null }>(
      trx,
      `UPDATE "Chat_message" SET is_pinned = ?, pinned_at = ?
       WHERE id = ? AND room_id = ?
         AND (NOT ?::boolean OR (SELECT count(*) FROM "Chat_message" WHERE room_id = ? AND is_pinned AND id <> ?) < ?)
       RETURNING pinned_at`,
      [a.pin, a.pin ? a.now : null, a.id, a.roomId, a.pin, a.roomId, a.id, a.limit],
    );
    return done.length ? ({ ok: true, pinnedAt: done[0].pinned_at } as const) : ({ ok: false } as const);
  });
}
