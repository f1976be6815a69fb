// All open sockets of the process: keepalive driven by one timer (daphne's ping after 20 s idle, close
// after 30 s without pong), the once-per-turn uncork of every socket written to, counts for /metrics,
// and closing everything on shutdown.
import type { Logger } from 'pino';
import type { ManagedSocket } from './socket.ts';

export interface SocketLimits {
  ratePerSecond: number;
  rateBurst: number;
  sendBufferBytes: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
}

export interface SocketStats {
  open: number;
  framesOut: number;
  slowClosed: number;
}

export class SocketHub {
  private readonly sockets = new Set<ManagedSocket>();
  private timer: NodeJS.Timeout | null = null;
  readonly stats: SocketStats = { open: 0, framesOut: 0, slowClosed: 0 };
  private corked: ManagedSocket[] = [];
  /** Set by beginDrain(): new client frames are refused (SHUTTING_DOWN_ERROR), so the sockets go idle. */
  draining = false;
  private readonly flushCorked = () => {
    const list = this.corked;
    this.corked = [];
    for (const s of list) s.uncork();
  };

  constructor(
    readonly limits: SocketLimits,
    readonly log: Logger,
  ) {}

  add(s: ManagedSocket): void {
    if (this.closedWith !== null) {
      // A handshake that completed after closeAll(): close it too, once its consumer has it.
      const code = this.closedWith;
      setImmediate(() => s.close(code));
    }
    this.sockets.add(s);
    this.stats.open = this.sockets.size;
    if (!this.timer) {
      const tick = Math.max(50, Math.min(this.limits.pingIntervalMs, this.limits.pingTimeoutMs) / 4);
      this.timer = setInterval(() => this.keepalive(), tick);
      this.timer.unref();
    }
  }

  /** Uncorks `s` once the current turn of the event loop is over (see ManagedSocket.cork). */
  uncorkSoon(s: ManagedSocket): void {
    if (this.corked.length === 0) setImmediate(this.flushCorked);
    this.corked.push(s);
  }

  remove(s: ManagedSocket): void {
    this.sockets.delete(s);
    this.stats.open = this.sockets.size;
  }

  private keepalive(): void {
    const now = Date.now();
    for (const s of this.sockets) {
      if (s.pingSentAt) {
        if (now - s.pingSentAt > this.limits.pingTimeoutMs) s.ws.terminate();
      } else if (now - s.lastActivity > this.limits.pingIntervalMs) {
        s.pingSentAt = now;
        try {
          s.ws.ping();
        } catch {
          s.ws.terminate();
        }
      }
    }
  }

  /** Shutdown, step one: refuse new client frames; finish the ones being handled. */
  beginDrain(): void {
    this.draining = true;
  }

  /** Sockets still handling a client frame. */
  handlingCount(): number {
    let n = 0;
    for (const s of this.sockets) if (s.handling) n += 1;
    return n;
  }

  /** Where each socket's queue ends now: allFlushed() tells when all of that is written. */
  queueMarks(): Array<[ManagedSocket, number]> {
    return [...this.sockets].map((s) => [s, s.queueMark]);
  }

  allFlushed(marks: Array<[ManagedSocket, number]>): boolean {
    return marks.every(([s, mark]) => s.flushedTo(mark));
  }

  /** The code of closeAll(), once called (later sockets are closed with it). */
  private closedWith: number | null = null;

  closeAll(code = 1001): void {
    this.closedWith = code;
    for (const s of [...this.sockets]) s.close(code);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
