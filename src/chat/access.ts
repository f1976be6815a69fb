// Closing sockets whose access ended. The original kept a socket in the room's group after its user
// left or the room was deleted or archived (or logged out), so it went on receiving every message.
// Each csi-chat process keeps an index of its sockets by user and joins ONE control group with one
// channel; the REST views that end access send `csichat.revoke` to that group, and every process closes
// its matching sockets. Django consumers never join the group, so they are never sent an event type
// they have no handler for, and no socket pays a second group membership for this rare event.
import type { AppContext } from '../context.ts';
import type { ChannelLayer, LayerMessage } from '../layers/types.ts';

export const REVOKE_EVENT = 'csichat.revoke';
export const CONTROL_GROUP = 'csichat.control';
/** Close code of a socket whose room access ended (application range, like Channels' custom codes). */
export const CLOSE_ACCESS_REVOKED = 4003;

export interface RevokeEvent {
  type: typeof REVOKE_EVENT;
  users: number[];
  /** The room whose sockets close; null closes all of the users' sockets (logout). */
  room: number | null;
  [key: string]: unknown;
}

/** A socket that can lose its access: a chat socket of a room, or a notification socket (room null). */
export interface Session {
  readonly roomId: number | null;
  revoke(): void;
}

class SessionIndex {
  private readonly byUser = new Map<number, Set<Session>>();
  ready: Promise<void> | null = null;

  add(userId: number, s: Session): void {
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(s);
  }

  remove(userId: number, s: Session): void {
    const set = this.byUser.get(userId);
    if (!set) return;
    set.delete(s);
    if (set.size === 0) this.byUser.delete(userId);
  }

  revoke(users: unknown, room: unknown): void {
    if (!Array.isArray(users) || (room !== null && typeof room !== 'number')) return;
    for (const userId of users) {
      for (const s of [...(this.byUser.get(userId as number) ?? [])]) {
        if (room === null || s.roomId === room) s.revoke();
      }
    }
  }
}

const indexes = new WeakMap<ChannelLayer, SessionIndex>();

function indexFor(layer: ChannelLayer): SessionIndex {
  let index = indexes.get(layer);
  if (!index) indexes.set(layer, (index = new SessionIndex()));
  return index;
}

/** Registers a socket's session (after joining its groups); resolves once this process listens for revocations. */
export async function trackSession(ctx: AppContext, userId: number, s: Session): Promise<void> {
  const index = indexFor(ctx.layer);
  index.ready ??= (async () => {
    const channel = ctx.layer.newChannel();
    ctx.layer.register(channel, (m: LayerMessage) => {
      if (m.type === REVOKE_EVENT) index.revoke(m.users, m.room);
    });
    await ctx.layer.groupAdd(CONTROL_GROUP, channel);
  })().catch((err: unknown) => {
    index.ready = null; // try again with the next socket
    throw err;
  });
  await index.ready;
  index.add(userId, s);
}

export function untrackSession(ctx: AppContext, userId: number, s: Session): void {
  indexFor(ctx.layer).remove(userId, s);
}

export async function revokeSockets(ctx: AppContext, userIds: number[], room: number | null): Promise<void> {
  if (!userIds.length) return;
  await ctx.layer
    .groupSend(CONTROL_GROUP, { type: REVOKE_EVENT, users: userIds, room } satisfies RevokeEvent)
    .catch((err: unknown) => ctx.log.warn({ err, userIds, room }, 'could not close revoked sockets'));
}
