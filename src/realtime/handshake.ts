// The handshake's one lookup, shared by every socket route: the `?token=` key's user and, for a room
// socket, the room and the user's membership — one query, so a refusal costs one round trip. Handshakes
// that arrive together (a reconnect storm after a deploy: thousands at once) share that query: the
// lookups of one event-loop turn, and those that queue while earlier batches run, go out as one
// statement (HandshakeLookups), so the database sees one round trip per batch instead of one per socket.
import type { Db } from '../db/sql.ts';
import { preparedRows } from '../db/sql.ts';
import { tokenFromQuery } from '../auth/tokens.ts';
import { MAX_INT4 } from '../python/builtins.ts';

export interface SocketUser {
  id: number;
  first_name: string;
  photo: string | null;
  role: string;
  is_active: boolean;
  room_name: string | null;
  room_active: boolean | null;
  is_member: boolean;
}

const COLUMNS = `u.id, u.first_name, u.photo, u.role, u.is_active, r.name AS room_name, r.is_active AS room_active,
       EXISTS (SELECT 1 FROM "Chat_room_members" m WHERE m.room_id = r.id AND m.user_id = u.id) AS is_member`;

/** The token's user, and (when roomId is given) the room and the user's membership, in one query. */
export async function lookupSocketUser(db: Db, key: string, roomId: number | null): Promise<SocketUser | null> {
  const found = await preparedRows<SocketUser>(
    db,
    'csi_chat_connect_info',
    `SELECT ${COLUMNS}
     FROM "authtoken_token" t JOIN "User_user" u ON u.id = t.user_id
     LEFT JOIN "Chat_room" r ON r.id = ?
     WHERE t.key = ?`,
    [roomId, key],
  );
  return found[0] ?? null;
}

/** lookupSocketUser for many handshakes at once: row i answers the i-th (key, room) of the JSON list. */
export async function lookupSocketUsers(db: Db, list: Array<{ key: string; roomId: number | null }>): Promise<Array<SocketUser | null>> {
  const found = await preparedRows<SocketUser & { i: number }>(
    db,
    'csi_chat_connect_info_many',
    `SELECT h.i, ${COLUMNS}
     FROM json_to_recordset(?::json) AS h(i int, key text, room_id int)
     JOIN "authtoken_token" t ON t.key = h.key JOIN "User_user" u ON u.id = t.user_id
     LEFT JOIN "Chat_room" r ON r.id = h.room_id`,
    [JSON.stringify(list.map((l, i) => ({ i, key: l.key, room_id: l.roomId })))],
  );
  const out: Array<SocketUser | null> = new Array(list.length).fill(null);
  for (const row of found) {
    const { i, ...user } = row;
    out[i] = user;
  }
  return out;
}

/** A key and room the batched statement reads exactly as the single one does: printable ASCII (every
 * token key is 40 hex digits) and an int4 room id. Anything else (a NUL, a lone surrogate, a room id
 * past int4) takes the single statement, so its outcome (including its errors) stays what it was. */
const BATCHABLE_KEY = /^[\x20-\x7e]{1,64}$/;
const batchable = (key: string, roomId: number | null) => BATCHABLE_KEY.test(key) && (roomId === null || (roomId >= 0 && roomId <= Number(MAX_INT4)));

interface Pending {
  key: string;
  roomId: number | null;
  resolve(u: SocketUser | null): void;
  reject(err: unknown): void;
}

/** Collects handshake lookups: one statement per batch, at most `maxInFlight` batches at a time. With one
 * at a time, a handshake alone waits for nothing, and the handshakes that arrive while a statement runs
 * all go in the next one (a storm batches itself). */
export class HandshakeLookups {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  /** Statements run and lookups answered (for the tests and /metrics-style inspection). */
  readonly stats = { statements: 0, lookups: 0 };

  constructor(
    private readonly db: Db,
    private readonly maxBatch = 500,
    private readonly maxInFlight = 1,
  ) {}

  lookup(key: string, roomId: number | null): Promise<SocketUser | null> {
    if (!batchable(key, roomId)) {
      this.stats.statements += 1;
      this.stats.lookups += 1;
      return lookupSocketUser(this.db, key, roomId);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ key, roomId, resolve, reject });
      // Gather the rest of this turn's handshakes first.
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.queue.length && this.inFlight < this.maxInFlight) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight += 1;
      this.stats.statements += 1;
      this.stats.lookups += batch.length;
      const run = batch.length === 1 ? lookupSocketUser(this.db, batch[0].key, batch[0].roomId).then((u) => [u]) : lookupSocketUsers(this.db, batch);
      run.then(
        (users) => batch.forEach((p, i) => p.resolve(users[i])),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      );
      void run
        .catch(() => undefined)
        .finally(() => {
          this.inFlight -= 1;
          this.pump();
        });
    }
  }
}

/** The active user of the handshake's `?token=`, or null (the socket is refused with 403). */
export async function authenticateSocket(lookups: HandshakeLookups, query: string, roomId: number | null): Promise<SocketUser | null> {
  const key = tokenFromQuery(query);
  // A token key is 40 hex characters: a longer one matches nothing, and a NUL (`?token=%00`) cannot
  // reach Postgres at all (the statement fails: the original's handshake crashed with a 500).
  if (!key || key.length > 40 || key.includes('\u0000')) return null;
  const info = await lookups.lookup(key, roomId);
  return info && info.is_active ? info : null;
}
