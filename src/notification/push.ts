// Optional FCM push (the original's Notification/utils.py send_push_notification_individual):
// a notification to every Android DeviceToken of the given users. Configured by FIREBASE_CREDENTIALS
// (a path to the service-account JSON, or the JSON itself); without it pushes are skipped with a debug
// log. Tokens FCM reports as unregistered or invalid are deleted, so they are not tried again.
//
// The sender never throws: a push is a side effect of a request or a chat frame that has already
// succeeded, so failures are logged and swallowed (the original let them propagate into a 500 after
// the rows were written).
import fs from 'node:fs';
import type { Knex } from 'knex';
import type { Logger } from 'pino';

export const DEVICE_TOKEN_TABLE = 'Notification_devicetoken';

/** FCM accepts at most 500 tokens per multicast request. */
const MULTICAST_LIMIT = 500;

/** Error codes after which a token will never work again (firebase-admin messaging error codes). */
const DEAD_TOKEN_CODES = new Set(['messaging/registration-token-not-registered', 'messaging/invalid-registration-token']);

export interface PushNotification {
  title: string;
  body: string;
  /** FCM data payload: string values only. */
  data?: Record<string, string>;
}

export interface PushSender {
  /** Sends to every Android device of these users. Resolves once done; never rejects. */
  send(userIds: number[], notification: PushNotification): Promise<void>;
}

/** The subset of firebase-admin's MulticastMessage this module builds. */
export interface MulticastRequest {
  tokens: string[];
  notification: { title: string; body: string };
  data?: Record<string, string>;
}

export interface MulticastResult {
  successCount: number;
  failureCount: number;
  responses: Array<{ success: boolean; messageId?: string; error?: { code: string; message: string } }>;
}

/** The subset of firebase-admin's Messaging used here (tests inject a fake). */
export interface MessagingLike {
  sendEachForMulticast(message: MulticastRequest): Promise<MulticastResult>;
}

/** Push is not configured: nothing is sent. */
export class NoopPushSender implements PushSender {
  constructor(private readonly log?: Logger) {}

  async send(userIds: number[], notification: PushNotification): Promise<void> {
    this.log?.debug({ userIds, title: notification.title }, 'push skipped: FIREBASE_CREDENTIALS not configured');
  }
}

/** How long one multicast may take before the sender gives up on it (FCM unreachable, slow network). */
const DEFAULT_PUSH_TIMEOUT_MS = 10_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`FCM did not answer within ${ms} ms`)), ms);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export class FcmPushSender implements PushSender {
  constructor(
    private readonly knex: Knex,
    private readonly messaging: MessagingLike,
    private readonly log: Logger,
    private readonly timeoutMs: number = DEFAULT_PUSH_TIMEOUT_MS,
  ) {}

  async send(userIds: number[], notification: PushNotification): Promise<void> {
    try {
      const ids = [...new Set(userIds.filter((id) => Number.isSafeInteger(id)))];
      if (!ids.length) return;
      // Android tokens only, as the original (DeviceToken.ANDROID).
      const rows: Array<{ device_token: string }> = await this.knex(DEVICE_TOKEN_TABLE)
        .select('device_token')
        .whereIn('user_id', ids)
        .andWhere('device_type', 'android')
        .orderBy('id');
      const tokens = [...new Set(rows.map((r) => r.device_token))];
      if (!tokens.length) {
        this.log.debug({ userIds: ids }, 'push: no device tokens');
        return;
      }
      const dead: string[] = [];
      for (let i = 0; i < tokens.length; i += MULTICAST_LIMIT) {
        const batch = tokens.slice(i, i + MULTICAST_LIMIT);
        const request: MulticastRequest = {
          tokens: batch,
          notification: { title: notification.title, body: notification.body },
          ...(notification.data && Object.keys(notification.data).length ? { data: { ...notification.data } } : {}),
        };
        let result: MulticastResult;
        try {
          result = await withTimeout(this.messaging.sendEachForMulticast(request), this.timeoutMs);
        } catch (err) {
          this.log.warn({ err, tokens: batch.length }, 'push: FCM multicast failed');
          continue;
        }
        result.responses.forEach((r, j) => {
          if (r.success) return;
          const code = r.error?.code ?? '';
          if (DEAD_TOKEN_CODES.has(code)) dead.push(batch[j]!);
          else this.log.warn({ code, message: r.error?.message }, 'push: FCM refused a token');
        });
      }
      if (dead.length) {
        const removed = await this.knex(DEVICE_TOKEN_TABLE).whereIn('device_token', dead).del();
        this.log.info({ removed }, 'push: removed unregistered device tokens');
      }
    } catch (err) {
      this.log.warn({ err }, 'push failed');
    }
  }
}

/** Parses FIREBASE_CREDENTIALS: inline JSON (starts with "{") or a path to the JSON file. */
export function readServiceAccount(value: string): Record<string, unknown> {
  const text = value.trim().startsWith('{') ? value : fs.readFileSync(value, 'utf8');
  const parsed: unknown = JSON.parse(text);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('FIREBASE_CREDENTIALS is not a JSON object');
  return parsed as Record<string, unknown>;
}

/**
 * The push sender for this configuration: firebase-admin when credentials are set (an unreadable
 * credential is logged and push disabled, so the server still starts), else the no-op sender.
 */
export async function createPushSender(credentials: string | null, knex: Knex, log: Logger): Promise<PushSender> {
  if (!credentials) return new NoopPushSender(log);
  try {
    const account = readServiceAccount(credentials);
    const { initializeApp, cert, getApps } = await import('firebase-admin/app');
    const { getMessaging } = await import('firebase-admin/messaging');
    const name = 'csi-chat';
    const app = getApps().find((a) => a.name === name) ?? initializeApp({ credential: cert(account as Parameters<typeof cert>[0]) }, name);
    const messaging = getMessaging(app);
    const adapter: MessagingLike = {
      async sendEachForMulticast(message) {
        const res = await messaging.sendEachForMulticast(message);
        return {
          successCount: res.successCount,
          failureCount: res.failureCount,
          responses: res.responses.map((r) => ({
            success: r.success,
            ...(r.messageId ? { messageId: r.messageId } : {}),
            ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}),
          })),
        };
      },
    };
    log.info({ projectId: account.project_id }, 'FCM push enabled');
    return new FcmPushSender(knex, adapter, log);
  } catch (err) {
    log.error({ err: err instanceof Error ? err.message : String(err) }, 'FIREBASE_CREDENTIALS unusable: push disabled');
    return new NoopPushSender(log);
  }
}
