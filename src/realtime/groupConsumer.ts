// What every socket consumer does around its own frames (Channels' AsyncWebsocketConsumer with one
// group): a layer channel in one group, joined before the handshake completes so no event is missed;
// events that arrive before the socket exists are held and delivered once it does; the group fan-out
// through the render-once step (fanout.ts) with the consumer's event table; online/offline tracking;
// revocation (sessions.ts); leaving the group when the socket closes. A consumer may also send a
// CATCH-UP first (a chat socket's resume, beyond the original): read after joining, while live events
// are held, then sent before them; live events it already covers (held, or published late) are dropped —
// no gap, no duplicate.
import type { WebSocket } from 'ws';
import type { AppContext } from '../context.ts';
import type { LayerMessage } from '../layers/types.ts';
import type { UpgradeRequest } from './router.ts';
import type { EventTable, Recipient } from './fanout.ts';
import { CLOSE_POLICY_VIOLATION, CLOSE_TRY_AGAIN_LATER, ManagedSocket, USER_SOCKETS_ERROR, type Frame, type SocketHandlers } from './socket.ts';
import type { SocketHub } from './hub.ts';
import { CLOSE_ACCESS_REVOKED, type Session } from './sessions.ts';

/** What a socket gets before live traffic, read once its channel is in the group. */
export interface CatchUp {
  frames: Frame[];
  /** Close the socket with this code once the frames are out (e.g. a refused resume): nothing live follows. */
  close?: number;
  /**
   * A live event that the frames already cover (dropped, not sent twice): held ones, and later ones too —
   * a message stored before the catch-up read it may be published only after the socket went live (its
   * sender publishes after its commit). Asked of every live event for COVER_MS after the catch-up.
   */
  covers?(m: LayerMessage): boolean;
}

/** How long live events are checked against a catch-up: far beyond a sender's commit-to-publish time. */
const COVER_MS = 60_000;

/** Live events held per socket until its handshake (and catch-up) is over; past it the socket is not
 * opened (a room this busy would otherwise queue without bound): the client gets 1013 and reconnects. */
export const MAX_HELD_EVENTS = 5000;

/** The held-events list of every live socket (never written: receive() sends once the socket exists). */
const NO_EARLY = Object.freeze([]) as unknown as LayerMessage[];

export abstract class GroupConsumer implements Session, Recipient, SocketHandlers {
  protected socket: ManagedSocket | null = null;
  /** Set once this socket is counted against its user's bound (released on leave). */
  private hub: SocketHub | null = null;
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

  /** Live events held beyond MAX_HELD_EVENTS were dropped: the socket must not go live. */
  private overflowed = false;
  /** The catch-up's covers(), while live events may still repeat what it sent. */
  private covered: ((m: LayerMessage) => boolean) | null = null;
  private coveredUntil = 0;

  /** A text frame from the client; the promise settles once it is handled (shutdown waits for it). */
  protected abstract onText(text: string): void | Promise<void>;

  /** The catch-up to send before live frames, read after the channel joined the group; null for none. */
  protected catchUp(): Promise<CatchUp | null> | null {
    return null;
  }

  /** Joins the group, then reads the catch-up (if any), then completes the handshake; a failed read or
   * handshake leaves the group again (a failed read refuses the handshake, as a failed lookup does). */
  async connect(up: UpgradeRequest): Promise<void> {
    if (!(await this.claimPlace(up))) {
      // Past WS_MAX_SOCKETS_PER_USER: opened only to say why, then closed (never joins the group).
      this.closed = true;
      let ws: WebSocket;
      try {
        ws = await up.accept();
      } catch {
        return;
      }
      const s = new ManagedSocket(ws, up.hub, { socketText: () => undefined, socketClosed: () => undefined });
      s.send(USER_SOCKETS_ERROR);
      s.close(CLOSE_POLICY_VIOLATION);
      return;
    }
    this.hub = up.hub;
    this.ctx.layer.register(this.channel, (m) => this.receive(m));
    try {
      await Promise.all([this.ctx.layer.groupAdd(this.group, this.channel), this.ctx.sessions.track(this.userId, this)]);
    } catch (err) {
      this.leave(); // releases the user's socket place too
      throw err;
    }
    // From here every event of the group reaches this channel and is held: whatever the catch-up does not
    // read (stored after it began) arrives among the held events.
    let catchUp: CatchUp | null;
    try {
      catchUp = await this.catchUp();
    } catch (err) {
      this.leave();
      throw err;
    }
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
    // The consumer is the socket's handler object itself: no closures per socket (idle memory).
    this.socket = new ManagedSocket(ws, up.hub, this, this.userId);
    this.ctx.online.connected(this.userId);
    if (this.overflowed) {
      this.socket.close(CLOSE_TRY_AGAIN_LATER);
      return;
    }
    if (catchUp) {
      for (const f of catchUp.frames) this.socket.send(f);
      if (catchUp.close !== undefined) {
        this.socket.close(catchUp.close);
        return;
      }
    }
    if (catchUp?.covers) {
      this.covered = catchUp.covers;
      this.coveredUntil = Date.now() + COVER_MS;
    }
    const early = this.early;
    this.early = NO_EARLY; // shared: no array kept per live socket
    for (const m of early) this.receive(m);
  }

  /** A place for this socket under WS_MAX_SOCKETS_PER_USER: in this process, then (WS_MAX_SOCKETS_PER_USER_SHARED)
   * on every process; false (nothing kept) past the bound. */
  private async claimPlace(up: UpgradeRequest): Promise<boolean> {
    if (!up.hub.claimUserSocket(this.userId)) return false;
    const shared = this.ctx.socketPlaces;
    if (shared === null) return true;
    let ok: boolean;
    try {
      ok = await shared.claim(this.userId, up.hub.limits.maxSocketsPerUser);
    } catch (err) {
      up.hub.releaseUserSocket(this.userId);
      throw err;
    }
    if (!ok) {
      up.hub.releaseUserSocket(this.userId);
      up.hub.stats.userLimitRefused += 1;
    } else this.sharedPlace = shared;
    return ok;
  }

  /** The shared place claimPlace() took, given back when the socket goes. */
  private sharedPlace: { release(userId: number): void } | null = null;

  /** SocketHandlers: a client frame. */
  socketText(text: string): void | Promise<void> {
    return this.onText(text);
  }

  /** SocketHandlers: the socket closed. */
  socketClosed(): void {
    this.leave();
  }

  /** Access ended (room left, deleted or archived; logout): close with 4003. */
  revoke(): void {
    if (this.socket) this.socket.close(CLOSE_ACCESS_REVOKED);
    else this.leave();
  }

  private leave(): void {
    if (this.closed) return;
    this.closed = true;
    this.hub?.releaseUserSocket(this.userId);
    this.sharedPlace?.release(this.userId);
    this.sharedPlace = null;
    // group_discard first: it leaves the local mirror at once, so unregister() finds no membership left to
    // discard a second time (one ZREM per socket, not two).
    this.ctx.layer.groupDiscard(this.group, this.channel).catch((err: unknown) => this.ctx.log.debug({ err }, 'group discard failed'));
    this.ctx.layer.unregister(this.channel);
    this.ctx.sessions.untrack(this.userId, this);
    if (this.socket) this.ctx.online.disconnected(this.userId);
  }

  private receive(m: LayerMessage): void {
    if (!this.socket) {
      if (this.closed || this.overflowed) return;
      if (this.early.length >= MAX_HELD_EVENTS) {
        this.overflowed = true;
        this.early = [];
        return;
      }
      this.early.push(m);
      return;
    }
    if (this.covered) {
      if (Date.now() > this.coveredUntil) this.covered = null;
      else if (this.covered(m)) return;
    }
    const out = this.ctx.groupRenderer.frameFor(this.ctx, m, this.events, this);
    if (out !== null) this.socket.send(out);
  }
}
