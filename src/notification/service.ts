// The original's "notify user": a Notification_notification row, then a `send_notification` event to
// the user's `notifications_<id>` group (Notification/utils.py notify_user), which the notifications
// socket writes as {"notification": {...}}.
import type { Knex } from 'knex';
import type { AppContext } from '../context.ts';
import { nowTimestamp, utcIsoformat } from '../drf/datetime.ts';

export const NOTIFICATION_TABLE = 'Notification_notification';

export interface NotificationPayload {
  id: number;
  event_type: string;
  message: string;
  url: string | null;
  created_at: string;
}

export interface NotifyInput {
  userId: number;
  message: string;
  eventType: string;
  url?: string | null;
}

export function notificationGroup(userId: number): string {
  return `notifications_${userId}`;
}

/** Inserts the rows (one statement for many users) and returns the socket payloads, in input order. */
export async function insertNotifications(knex: Knex, inputs: NotifyInput[]): Promise<Array<{ userId: number; payload: NotificationPayload }>> {
  if (!inputs.length) return [];
  const now = nowTimestamp();
  const rows: Array<{ id: number; user_id: number; event_type: string; message: string; url: string | null; created_at: string }> = await knex(
    NOTIFICATION_TABLE,
  )
    .insert(
      inputs.map((n) => ({
        message: n.message,
        created_at: now,
        event_type: n.eventType,
        user_id: n.userId,
        is_read: false,
        updated_at: now,
        url: n.url ?? null,
      })),
    )
    .returning(['id', 'user_id', 'event_type', 'message', 'url', 'created_at']);
  return rows.map((r) => ({
    userId: r.user_id,
    payload: { id: r.id, event_type: r.event_type, message: r.message, url: r.url, created_at: utcIsoformat(r.created_at)! },
  }));
}

/** Sends already-stored notifications to the users' sockets (on every process, through the layer). */
export async function publishNotifications(ctx: AppContext, items: Array<{ userId: number; payload: NotificationPayload }>): Promise<void> {
  await Promise.all(
    items.map((item) =>
      ctx.layer
        .groupSend(notificationGroup(item.userId), { type: 'send_notification', notification: item.payload })
        .catch((err: unknown) => ctx.log.warn({ err, userId: item.userId }, 'notification fan-out failed (row is stored)')),
    ),
  );
}
