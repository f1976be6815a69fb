// Closing sockets whose access ended. The original kept a socket in the room's group after its user
// left or the room was deleted or archived (or logged out), so it went on receiving every message.
// Each csi-chat process keeps an index of its sockets by user and joins ONE control group with one
// channel; whatever ends access (a REST view, an admin edit) sends `csichat.revoke` to that group, and
// every process closes its matching sockets. Django consumers never join the group, so they are never
// sent an event type they have no handler for, and no socket pays a second group membership for this
// rare event.
import type { Logger } from 'pino';
import type { ChannelLayer, LayerMessage } from '../layers/types.ts';

const REVOKE_EVENT = 'csichat.revoke';
const CONTROL_GROUP = 'csichat.control';
/** Close code of a socket whose access ended (application range, like Channels' custom codes). */
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

/** This process's open sessions by user, and the control-group subscription that revokes them. */
export class SessionIndex {
  private readonly byUser = new Map<number, Set<Session>>();
  /** Set once this process listens on the control group (retried with the next socket after a failure). */
  private listening: Promise<void> | null = null;

  constructor(
    private readonly layer: ChannelLayer,
    private readonly log: Logger,
  ) {}

  /** Registers a socket's session; resolves once this process listens for revocations. */
  async track(userId: number, s: Session): Promise<void> {
    this.listening ??= this.listen().catch((err: unknown) => {
      this.listening = null;
      throw err;
    });
    await this.listening;
    let set = this.byUser.get(userId);
    if (!set) this.byUser.set(userId, (set = new Set()));
    set.add(s);
  }

  untrack(userId: number, s: Session): void {
    const set = this.byUser.get(userId);
    if (!set) return;
    set.delete(s);
    if (set.size === 0) this.byUser.delete(userId);
  }

  /** Closes the users' sockets of `room` (every socket of theirs when room is null) on every process. */
  async revoke(userIds: number[], room: number | null): Promise<void> {
    if (!userIds.length) return;
    await this.layer
      .groupSend(CONTROL_GROUP, { type: REVOKE_EVENT, users: userIds, room } satisfies RevokeEvent)
      .catch((err: unknown) => this.log.warn({ err, userIds, room }, 'could not close revoked sockets'));
  }

  private async listen(): Promise<void> {
    const channel = this.layer.newChannel();
    this.layer.register(channel, (m: LayerMessage) => {
      if (m.type === REVOKE_EVENT) this.closeLocal(m.users, m.room);
    });
    await this.layer.groupAdd(CONTROL_GROUP, channel);
  }

  private closeLocal(users: unknown, room: unknown): void {
    if (!Array.isArray(users) || (room !== null && typeof room !== 'number')) return;
    for (const userId of users) {
      for (const s of [...(this.byUser.get(userId as number) ?? [])]) {
        if (room === null || s.roomId === room) s.revoke();
      }
    }
  }
}
