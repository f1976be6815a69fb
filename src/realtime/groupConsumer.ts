// What every socket consumer does around its own frames (Channels' AsyncWebsocketConsumer with one
// group): a layer channel in one group, joined before the handshake completes so no event is missed;
// events that arrive before the socket exists are held and delivered once it does; the group fan-out
// through the render-once step (fanout.ts) with the consumer's event table; online/offline tracking;
// revocation (sessions.ts); leaving the group when the socket closes.
import type { WebSocket } from 'ws';
import type { AppContext } from '../context.ts';
import type { LayerMessage } from '../layers/types.ts';
import type { UpgradeRequest } from './router.ts';
import type { EventTable, Recipient } from './fanout.ts';
import { ManagedSocket } from './socket.ts';
import { CLOSE_ACCESS_REVOKED, type Session } from './sessions.ts';

export abstract class GroupConsumer implements Session, Recipient {
  protected socket: ManagedSocket | null = null;
  /** Layer events that arrived between joining the group and completing the handshake. */
  private early: LayerMessage[] = [];
  private readonly channel: string;
  private closed = false;

  constructor(
    protected readonly ctx: AppContext,
    readonly userId: number,
    protected readonly group: string,
    /** The room whose access this socket depends on; null for a notification socket (logout only). */
    readonly roomId: number | null,
    /** The group's event types: what each must carry, how it renders once, what this socket gets. */
    private readonly events: EventTable,
  ) {
    this.channel = ctx.layer.newChannel();
  }

  /** A text frame from the client; the promise settles once it is handled (shutdown waits for it). */
  protected abstract onText(text: string): void | Promise<void>;

  /** Joins the group, then completes the handshake; a failed handshake leaves the group again. */
  async connect(up: UpgradeRequest): Promise<void> {
    this.ctx.layer.register(this.channel, (m) => this.receive(m));
    await Promise.all([this.ctx.layer.groupAdd(this.group, this.channel), this.ctx.sessions.track(this.userId, this)]);
    let ws: WebSocket;
    try {
      ws = await up.accept();
    } catch {
      this.leave();
      return;
    }
    if (this.closed) {
      ws.close(CLOSE_ACCESS_REVOKED); // access ended during the handshake
      return;
    }
    this.socket = new ManagedSocket(ws, up.hub, { onText: (t) => this.onText(t), onClose: () => this.leave() });
    this.ctx.online.connected(this.userId);
    const early = this.early;
    this.early = [];
    for (const m of early) this.receive(m);
  }

  /** Access ended (room left, deleted or archived; logout): close with 4003. */
  revoke(): void {
    if (this.socket) this.socket.close(CLOSE_ACCESS_REVOKED);
    else this.leave();
  }

  private leave(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.layer.unregister(this.channel);
    this.ctx.sessions.untrack(this.userId, this);
    this.ctx.layer.groupDiscard(this.group, this.channel).catch((err: unknown) => this.ctx.log.debug({ err }, 'group discard failed'));
    if (this.socket) this.ctx.online.disconnected(this.userId);
  }

  private receive(m: LayerMessage): void {
    if (!this.socket) {
      if (!this.closed) this.early.push(m);
      return;
    }
    const out = this.ctx.groupRenderer.frameFor(this.ctx, m, this.events, this);
    if (out !== null) this.socket.send(out);
  }
}
