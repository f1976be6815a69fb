// Closing sockets whose access ended. The original kept a socket in the room's group after its user
// left or the room was deleted or archived, so it went on receiving every message. csi-chat consumers
// also join a per-user control group (never joined by Django consumers, so they are never sent an event
// type they lack a handler for), and the REST views that end access send `csichat.revoke` to it.
import type { AppContext } from '../context.ts';

export const REVOKE_EVENT = 'csichat.revoke';
/** Close code of a socket whose room access ended (application range, like Channels' custom codes). */
export const CLOSE_ACCESS_REVOKED = 4003;

export const userControlGroup = (userId: number) => `csichat.user.${userId}`;

export interface RevokeEvent {
  type: typeof REVOKE_EVENT;
  /** The room whose sockets close; null closes all of the user's chat sockets (e.g. logout). */
  room: number | null;
  [key: string]: unknown;
}

export async function revokeSockets(ctx: AppContext, userIds: number[], room: number | null): Promise<void> {
  await Promise.all(
    userIds.map((userId) =>
      ctx.layer
        .groupSend(userControlGroup(userId), { type: REVOKE_EVENT, room } satisfies RevokeEvent)
        .catch((err: unknown) => ctx.log.warn({ err, userId, room }, 'could not close revoked sockets')),
    ),
  );
}
