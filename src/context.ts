// The one application context: every per-process service a request, socket or job handler needs,
// built in one place at start-up (src/bootstrap.ts) — or by a test, which builds a fresh one instead
// of clearing module state. Nothing per-process lives in module variables.
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/index.ts';
import type { ChannelLayer } from './layers/types.ts';
import type { MediaStorage } from './storage/types.ts';
import type { OnlineRegistry } from './realtime/online.ts';
import type { SessionIndex } from './realtime/sessions.ts';
import type { GroupRenderer } from './realtime/fanout.ts';
import type { HandshakeLookups } from './realtime/handshake.ts';
import type { PushSender } from './notification/push.ts';
import type { OtpAttemptGuard } from './user/otpGuard.ts';
import type { CounterStore } from './drf/throttling.ts';
import type { UploadBudget } from './drf/uploads.ts';
import type { GoogleIdTokenVerifier } from './user/google.ts';
import type { SocketMessageWriter } from './chat/socketQueries.ts';
import type { ClientIdStore } from './chat/clientIds.ts';
import type { SharedSocketPlaces } from './realtime/socketPlaces.ts';

/** UpdateLastSeenMiddleware: last_seen = now() after an authenticated REST request (src/user/lastSeen.ts). */
export interface LastSeenWriter {
  touch(userId: number): void;
}

export interface Mailer {
  send(mail: { to: string; subject: string; text: string; from?: string }): Promise<void>;
}

/** Admin log-in attempts (src/admin/throttle.ts): per client address and account, and per address. */
export interface LoginThrottle {
  /** Counts one attempt before the password is checked (so concurrent attempts are each counted);
   * the seconds to wait when a window is over its limit (the attempt is then refused untried), else 0. */
  attempt(address: string, username: string): Promise<number>;
  /** A successful log-in forgets the attempts on this account from this address. */
  success(address: string, username: string): Promise<void>;
}

/** The admin site at /admin/: built on its first request, so the chat never loads it. */
export interface AdminState {
  loginThrottle: LoginThrottle;
  /** The express handler of the built site (src/admin/site.ts), once requested. */
  site: Promise<(req: import('express').Request, res: import('express').Response, next: (err?: unknown) => void) => void> | null;
}

export interface AppContext {
  config: Config;
  log: Logger;
  db: Database;
  /** The channel layer: in memory, or channels_redis-compatible on Redis (shared with Django's processes). */
  layer: ChannelLayer;
  storage: MediaStorage;
  mailer: Mailer;
  /** FCM push to users' devices; a no-op when FIREBASE_CREDENTIALS is unset. */
  push: PushSender;
  /** Each user's sockets on every process, in Redis (WS_MAX_SOCKETS_PER_USER_SHARED); null: per process only. */
  socketPlaces: SharedSocketPlaces | null;
  /** Users with an open socket on any process (push only to the others). */
  online: OnlineRegistry;
  /** This process's sockets by user, closed with 4003 when access ends on any process. */
  sessions: SessionIndex;
  /** Group fan-out: renders each layer event once per process for every local socket. */
  groupRenderer: GroupRenderer;
  /** Batches the socket handshakes' token + room lookups (one statement for many concurrent handshakes). */
  handshakes: HandshakeLookups;
  /** Batches the chat socket's plain sends into one statement per round trip. */
  chatMessages: SocketMessageWriter;
  /** Claims of send_message's client_id (idempotent sends): in Redis with REDIS_URL, else in this process. */
  chatClientIds: ClientIdStore;
  lastSeen: LastSeenWriter;
  /** Wrong-OTP counts per user (codes are burnt after five). */
  otpGuard: OtpAttemptGuard;
  /** Counters of the throttles and attempt limits (src/drf/throttling.ts): in Redis with REDIS_URL, else in this process. */
  throttles: CounterStore;
  /** Upload bytes being received by this process (UPLOAD_MAX_BYTES_IN_FLIGHT, src/drf/uploads.ts). */
  uploads: UploadBudget;
  /** Google ID tokens of student/google-login/ (caches Google's certificates). */
  google: GoogleIdTokenVerifier;
  /** The admin site: its log-in throttle, and the site once built on its first request. */
  admin: AdminState;
}
