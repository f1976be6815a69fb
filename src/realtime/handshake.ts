// The handshake's one lookup, shared by every socket route: the `?token=` key's user and, for a room
// socket, the room and the user's membership — one query, so a refusal costs one round trip.
import type { Db } from '../db/sql.ts';
import { preparedRows } from '../db/sql.ts';
import { tokenFromQuery } from '../auth/tokens.ts';

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

/** The token's user, and (when roomId is given) the room and the user's membership, in one query. */
async function lookupSocketUser(db: Db, key: string, roomId: number | null): Promise<SocketUser | null> {
  const found = await preparedRows<SocketUser>(
    db,
    'csi_chat_connect_info',
    `SELECT u.id, u.first_name, u.photo, u.role, u.is_active, r.name AS room_name, r.is_active AS room_active,
       EXISTS (SELECT 1 FROM "Chat_room_members" m WHERE m.room_id = r.id AND m.user_id = u.id) AS is_member
     FROM "authtoken_token" t JOIN "User_user" u ON u.id = t.user_id
     LEFT JOIN "Chat_room" r ON r.id = ?
     WHERE t.key = ?`,
    [roomId, key],
  );
  return found[0] ?? null;
}

/** The active user of the handshake's `?token=`, or null (the socket is refused with 403). */
export async function authenticateSocket(db: Db, query: string, roomId: number | null): Promise<SocketUser | null> {
  const key = tokenFromQuery(query);
  // A token key is 40 hex characters: a longer one matches nothing, and a NUL (`?token=%00`) cannot
  // reach Postgres at all (the statement fails: the original's handshake crashed with a 500).
  if (!key || key.length > 40 || key.includes('\u0000')) return null;
  const info = await lookupSocketUser(db, key, roomId);
  return info && info.is_active ? info : null;
}
