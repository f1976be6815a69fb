// /ws/notifications/ — the original's NotificationConsumer: authenticated users only (403 at the
// handshake otherwise, as in the original), one group per user, client frames ignored.
import type { AppContext } from '../context.ts';
import type { UpgradeRequest } from '../realtime/router.ts';
import { GroupConsumer } from '../realtime/groupConsumer.ts';
import { authenticateSocket } from '../realtime/handshake.ts';
import { eventType, type EventTable } from '../realtime/fanout.ts';
import { WireText } from '../realtime/wire.ts';
import { pythonDumps } from '../python/json.ts';
import type { LayerMessage } from '../layers/types.ts';
import { notificationGroup } from './service.ts';

interface SendNotificationEvent extends LayerMessage {
  type: 'send_notification';
  notification: unknown;
}

/** The consumer's one handler, send_notification: {"notification": …}, the same bytes for every socket. */
export const NOTIFICATION_EVENTS: EventTable = {
  send_notification: eventType<SendNotificationEvent, WireText>({
    required: ['notification'],
    render: (e) => new WireText(pythonDumps({ notification: e.notification })),
    pick: (bytes) => bytes,
    doc: {
      summary: 'A notification for this user (a chat mention, an event or task notice), as stored',
      frame: {
        type: 'object',
        required: ['notification'],
        additionalProperties: false,
        properties: {
          notification: {
            type: 'object',
            required: ['id', 'event_type', 'message', 'url', 'created_at'],
            properties: {
              id: { type: 'integer', minimum: 1 },
              event_type: { type: 'string' },
              message: { type: 'string' },
              url: { type: ['string', 'null'] },
              created_at: { type: 'string', description: 'datetime.isoformat() in UTC (+00:00)' },
            },
          },
        },
      },
    },
  }),
};

/** One group per user; client frames are ignored, as in the original. */
class NotificationConsumer extends GroupConsumer {
  constructor(ctx: AppContext, userId: number) {
    super(ctx, userId, notificationGroup(userId), null, NOTIFICATION_EVENTS);
  }

  protected onText(): void {}
}

export async function connectNotifications(ctx: AppContext, up: UpgradeRequest): Promise<void> {
  const info = await authenticateSocket(ctx.handshakes, up.query, null);
  if (!info) return up.reject(403);
  await new NotificationConsumer(ctx, info.id).connect(up);
}
