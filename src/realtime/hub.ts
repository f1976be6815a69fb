// All open sockets of the process: keepalive driven by one timer (daphne's ping after 20 s idle, close
// after 30 s without pong), the once-per-turn uncork of every socket written to, counts for /metrics,
// and closing everything on shutdown.
import type { Logger } from 'pino';
import { RateBucket, type ManagedSocket } from './socket.ts';

export interface SocketLimits {
  ratePerSecond: number;
  rateBurst: number;
  /** Client frames of one socket received and not handled yet (WS_MAX_PENDING_FRAMES). */
  maxPendingFrames: number;
  /** Open sockets of one user in this process (WS_MAX_SOCKETS_PER_USER). */
  maxSocketsPerUser: number;
  /** Frames of one user over all their sockets (WS_USER_RATE_PER_SECOND / WS_USER_RATE_BURST). */
  userRatePerSecond: number;
  userRateBurst: number;
  sendBufferBytes: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
}

export interface SocketStats {
  open: number;
  framesOut: number;
  slowClosed: number;
  /** Handshakes refused by the per-user socket bound, sockets closed by the backlog bound. */
  userLimitRefused: number;
  backlogClosed: number;
  /** Handshakes refused by WS_ALLOWED_ORIGINS. */
  originRefused: number;
}

/** One user's sockets in this process and their shared frame budget. */
interface UserEntry {
  sockets: number;
  bucket: RateBucket;
}

export class SocketHub {
  private readonly sockets = new Set<ManagedSocket>();
  private timer: NodeJS.Timeout | null = null;
  readonly stats: SocketStats = { open: 0, framesOut: 0, slowClosed: 0, userLimitRefused: 0, backlogClosed: 0, originRefused: 0 };
  private readonly users = new Map<number, UserEntry>();
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

  /** Counts a socket of `userId` about to open; false (and nothing counted) past WS_MAX_SOCKETS_PER_USER. */
  claimUserSocket(userId: number): boolean {
    let e = this.users.get(userId);
    if (e && e.sockets >= this.limits.maxSocketsPerUser) {
      this.stats.userLimitRefused += 1;
      return false;
    }
    if (!e) {
      e = { sockets: 0, bucket: new RateBucket(this.limits.userRatePerSecond, this.limits.userRateBurst) };
      this.users.set(userId, e);
    }
    e.sockets += 1;
    return true;
  }

  /** A socket counted by claimUserSocket() is gone. */
  releaseUserSocket(userId: number): void {
    const e = this.users.get(userId);
    if (!e) return;
    e.sockets -= 1;
    if (e.sockets <= 0) this.users.delete(userId);
  }

  /** One frame from `userId` against the budget all their sockets share. */
  takeUserToken(userId: number): boolean {
    const e = this.users.get(userId);
    return e ? e.bucket.take() : true;
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
