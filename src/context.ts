// Everything a request or socket handler needs, built once at start-up (src/main.ts) or by tests.
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Database } from './db/index.ts';
import type { ChannelLayer } from './layers/types.ts';
import type { MediaStorage } from './storage/types.ts';
import type { OnlineRegistry } from './online.ts';
import type { PushSender } from './notification/push.ts';

export interface Presence {
  /** UpdateLastSeenMiddleware: last_seen = now() after an authenticated REST request. */
  touchLastSeen(userId: number): void;
  /** Forget cached state (tests reset the database under a running server). */
  reset(): void;
}

export interface Mailer {
  send(mail: { to: string; subject: string; text: string; from?: string }): Promise<void>;
}

/** Admin log-in failures (src/admin/throttle.ts): per key (client address + username). */
export interface LoginThrottle {
  /** Seconds until the key may try again; 0 when it may now. */
  retryAfterSeconds(key: string): Promise<number>;
  failure(key: string): Promise<void>;
  success(key: string): Promise<void>;
}

/** The admin site at /admin/ (issue #14): built on its first request, so the chat never loads it. */
export interface AdminState {
  loginThrottle: LoginThrottle;
  /** The express handler of the built site (src/admin/site.ts), once requested. */
  site: Promise<(req: import('express').Request, res: import('express').Response, next: (err?: unknown) => void) => void> | null;
}

export interface AppContext {
  config: Config;
  db: Database;
  layer: ChannelLayer;
  storage: MediaStorage;
  log: Logger;
  presence: Presence;
  mailer: Mailer;
  /** FCM push to users' devices (src/notification/push.ts); a no-op when FIREBASE_CREDENTIALS is unset. */
  push: PushSender;
  /** Users with an open socket on any process (push only to the others). */
  online: OnlineRegistry;
  admin: AdminState;
  /** Hooks run by contract tests after they reset the database (caches keyed by row ids). */
  onReset: Array<() => void>;
}
