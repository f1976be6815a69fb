// One accepted WebSocket with the protections every consumer needs: frames written in order (some are
// prepared asynchronously), a per-connection rate bound, binary-frame refusal, a bound on the send
// buffer (a slow reader is closed with 1013 instead of buffering without limit), and daphne's keepalive
// (ping after 20 s idle, close after 30 s without pong) driven by one timer for all sockets.
import type { WebSocket, RawData } from 'ws';
import { pythonDumps } from '../python/json.ts';
import type { SocketHub } from './hub.ts';
import { WireText } from './wire.ts';

export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_TRY_AGAIN_LATER = 1013;

/** A frame to write: text now (a Buffer holds UTF-8 text, encoded once for many sockets; a WireText is
 * also framed once, wire.ts), or text once a lookup finishes (null = nothing to write). Always sent as a
 * text frame. */
export type Frame = string | Buffer | WireText;
export type Outgoing = Frame | Promise<Frame | null>;

const TEXT_FRAME = { binary: false } as const;

export interface SocketHandlers {
  /** A client frame; the promise (if any) settles when its handling is over (stored, fanned out). */
  socketText(text: string): void | Promise<void>;
  socketClosed(): void;
}

export const RATE_LIMIT_ERROR = pythonDumps({ error: 'Too many messages: slow down.' });
export const BINARY_FRAME_ERROR = pythonDumps({ error: 'Binary frames are not supported: send JSON text.' });
/** A socket whose frames wait faster than they are handled (a hung database, a flood within the rate):
 * told so, then closed with 1013, the frames already accepted still handled (src/config.ts WS_MAX_PENDING_FRAMES). */
export const BACKLOG_ERROR = pythonDumps({ error: 'Too many frames waiting to be handled: reconnect and send again later.' });
/** Past WS_MAX_SOCKETS_PER_USER: the socket is told why, then closed with 1008. */
export const USER_SOCKETS_ERROR = pythonDumps({ error: 'Too many open connections for this user: close some and try again.' });
/** A frame that arrives while the process shuts down is not handled (src/server/lifecycle.ts): the
 * sender is told so, and sends it again once reconnected (to another process). */
export const SHUTTING_DOWN_ERROR = pythonDumps({ error: 'Server restarting: this frame was not handled. Reconnect and send it again.' });

/** A token bucket: `burst` frames at once, refilled at `perSecond`. */
export class RateBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.refilledAt = now;
  }

  take(now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

// The ws listeners every ManagedSocket needs, shared (module-level functions, `this` = the ws): closures
// per socket would cost each idle socket a function object and a context (bench/limit: idle memory).
const MANAGED = Symbol('csi-chat.managedSocket');
type Tagged = WebSocket & { [MANAGED]: ManagedSocket };

function onWsMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  (this as Tagged)[MANAGED].receive(data, isBinary);
}
function onWsPong(this: WebSocket): void {
  (this as Tagged)[MANAGED].ponged();
}
function onWsClose(this: WebSocket): void {
  (this as Tagged)[MANAGED].finish();
}
/** The parts of a ws WebSocket that a pre-framed write depends on (ws 8: lib/websocket.js, lib/sender.js). */
interface WsInternals {
  _socket?: RawSocket;
  _extensions?: Record<string, unknown>;
  /** The sender's state: 0 (DEFAULT) when nothing waits in its queue (only compression or a Blob queue). */
  _sender?: { _state?: unknown };
}

interface RawSocket {
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
}

/** The socket pre-framed bytes may go to: none when an extension was negotiated (with permessage-deflate
 * ws may hold a frame back while it compresses it), or when this ws does not look like ws 8's. */
function rawSocketOf(ws: WebSocket): RawSocket | null {
  const w = ws as unknown as WsInternals;
  if (!w._socket || !w._extensions || Object.keys(w._extensions).length > 0 || w._sender?._state !== 0) return null;
  return w._socket;
}

/** Nothing waits in ws's queue (its sender is in its DEFAULT state): a write now keeps ws's order. */
const senderIdle = (ws: WebSocket) => (ws as unknown as WsInternals)._sender?._state === 0;

function onWsError(this: WebSocket, err: Error): void {
  const s = (this as Tagged)[MANAGED];
  s.hub.log.debug({ err }, 'websocket error');
  s.finish();
}

export class ManagedSocket {
  /** Frames waiting behind one being prepared (null while there are none: most sockets, most of the time). */
  private queue: Outgoing[] | null = null;
  private draining = false;
  /** The rate bound, made with the first client frame (an idle socket never needs one; a fresh bucket is full). */
  private rate: RateBucket | null = null;
  /** Frames refused in a row by the rate bound; past the burst the client is cut off. */
  private refusedInARow = 0;
  /** Client frames whose handling has not finished yet. */
  private inFlight = 0;
  /** Frames ever put in the queue, and ever taken out of it (shutdown waits for a queue position). */
  private queuedTotal = 0;
  private dequeuedTotal = 0;
  lastActivity = Date.now();
  pingSentAt = 0;
  /** Where a WireText's bytes are written (null: ws frames its payload, see rawSocketOf). */
  private readonly raw: RawSocket | null;
  closed = false;

  constructor(
    readonly ws: WebSocket,
    readonly hub: SocketHub,
    private readonly handlers: SocketHandlers,
    /** The user whose frame budget (shared by all their sockets) this socket draws on. */
    private readonly userId: number | null = null,
  ) {
    (ws as Tagged)[MANAGED] = this;
    this.raw = rawSocketOf(ws);
    ws.on('message', onWsMessage);
    ws.on('pong', onWsPong);
    ws.on('close', onWsClose);
    ws.on('error', onWsError);
    hub.add(this);
  }

  /** The client answered a keepalive ping. */
  ponged(): void {
    this.pingSentAt = 0;
    this.lastActivity = Date.now();
  }

  /** A client frame (from the shared 'message' listener). */
  receive(data: RawData, isBinary: boolean): void {
    this.lastActivity = Date.now();
    if (!this.takeToken()) return;
    if (isBinary) {
      this.send(BINARY_FRAME_ERROR);
      return;
    }
    if (this.hub.draining) {
      this.send(SHUTTING_DOWN_ERROR);
      return;
    }
    if (this.inFlight >= this.hub.limits.maxPendingFrames) {
      // Not handled, and the client is told so before the close: it sends the frame again later.
      this.hub.stats.backlogClosed += 1;
      this.send(BACKLOG_ERROR);
      this.close(CLOSE_TRY_AGAIN_LATER);
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    try {
      const work = this.handlers.socketText(text);
      if (work) {
        this.inFlight += 1;
        const done = () => {
          this.inFlight -= 1;
        };
        work.then(done, done);
      }
    } catch (err) {
      this.hub.log.error({ err }, 'websocket frame handler failed');
    }
  }

  /** The process is shutting down: a client frame not yet handled must be answered SHUTTING_DOWN_ERROR. */
  get shuttingDown(): boolean {
    return this.hub.draining;
  }

  /** A client frame is being handled (shutdown waits for this to end). */
  get handling(): boolean {
    return this.inFlight > 0;
  }

  /** The queue position of the last frame queued so far. */
  get queueMark(): number {
    return this.queuedTotal;
  }

  /** Every frame queued up to `mark` is written (or the socket is closed). */
  flushedTo(mark: number): boolean {
    return this.closed || this.dequeuedTotal >= mark;
  }

  private takeToken(): boolean {
    this.rate ??= new RateBucket(this.hub.limits.ratePerSecond, this.hub.limits.rateBurst);
    // The user's shared budget is drawn only when the socket's own allows the frame.
    if (this.rate.take() && (this.userId === null || this.hub.takeUserToken(this.userId))) {
      this.refusedInARow = 0;
      return true;
    }
    this.refusedInARow += 1;
    if (this.refusedInARow === 1) this.send(RATE_LIMIT_ERROR);
    else if (this.refusedInARow > this.hub.limits.rateBurst) this.close(CLOSE_POLICY_VIOLATION);
    return false;
  }

  /** Queues a frame; frames go out in the order they were queued, whatever resolves first. */
  send(frame: Outgoing): void {
    if (this.closed) return;
    if (!(frame instanceof Promise) && !this.queue?.length) {
      this.write(frame);
      return;
    }
    // drain() awaits it in turn; until then a rejection must not count as unhandled (Node ends the process).
    if (frame instanceof Promise) frame.catch(() => undefined);
    (this.queue ??= []).push(frame);
    this.queuedTotal += 1;
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue?.length && !this.closed) {
        const head = this.queue[0];
        let text: Frame | null;
        try {
          text = head instanceof Promise ? await head : head;
        } catch (err) {
          this.hub.log.error({ err }, 'could not prepare a frame');
          text = null;
        }
        void this.queue?.shift(); // the head, awaited above (the queue is gone if the socket closed meanwhile)
        this.dequeuedTotal += 1;
        if (text !== null) this.write(text);
      }
    } finally {
      this.draining = false;
      if (this.queue?.length === 0) this.queue = null;
    }
  }

  private write(text: Frame): void {
    const ws = this.ws;
    if (this.closed || ws.readyState !== ws.OPEN) return;
    const buffered = ws.bufferedAmount;
    // Bytes written this turn sit in the corked socket until the hub uncorks it: not a backlog.
    if (buffered - this.corkedBytes > this.hub.limits.sendBufferBytes) {
      // The reader cannot keep up: drop it rather than hold the room's frames in memory.
      this.hub.log.warn({ buffered }, 'closing a slow websocket reader');
      this.hub.stats.slowClosed += 1;
      this.close(CLOSE_TRY_AGAIN_LATER);
      return;
    }
    if (!this.corked) this.cork();
    if (text instanceof WireText && this.raw !== null && senderIdle(ws)) {
      // The frame's bytes as ws would write them (wire.ts), in one write; in ws's order, since nothing
      // waits in its queue. ws.bufferedAmount counts them (the socket's writable length).
      this.raw.write(text.wire);
      if (this.corked) this.corkedBytes += text.wire.length;
    } else {
      ws.send(text instanceof WireText ? text.payload : text, TEXT_FRAME);
      if (this.corked) this.corkedBytes += ws.bufferedAmount - buffered;
    }
    this.hub.stats.framesOut += 1;
  }

  /** Frames written to this socket in one turn of the event loop leave in one write (one writev
   * syscall instead of one per frame); the hub uncorks every corked socket once, in setImmediate. */
  private corked = false;
  /** What this turn's frames added to ws.bufferedAmount while corked. */
  private corkedBytes = 0;

  private cork(): void {
    const raw = (this.ws as unknown as WsInternals)._socket;
    if (!raw) return;
    raw.cork();
    this.corked = true;
    this.hub.uncorkSoon(this);
  }

  /** Called by the hub: flushes what this turn wrote. */
  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.corkedBytes = 0;
    (this.ws as unknown as WsInternals)._socket?.uncork();
  }

  close(code?: number): void {
    if (this.closed) return;
    this.ws.close(code);
    // A close frame stuck behind a full buffer never arrives: cut the TCP connection soon after.
    setTimeout(() => this.ws.terminate(), 1000).unref();
    this.finish();
  }

  /** The socket is gone (closed, errored, or closed by us): from the shared listeners and close(). */
  finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = null;
    this.hub.remove(this);
    try {
      this.handlers.socketClosed();
    } catch (err) {
      this.hub.log.error({ err }, 'websocket close handler failed');
    }
  }
}
