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
  /** Hooks run by contract tests after they reset the database (caches keyed by row ids). */
  onReset: Array<() => void>;
}
