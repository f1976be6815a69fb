// /ws/notifications/ — the original's NotificationConsumer: authenticated users only (403 at the
// handshake otherwise, as in the original), one group per user, client frames ignored.
import type { AppContext } from '../context.ts';
import type { UpgradeRequest } from '../realtime/router.ts';
import { GroupConsumer } from '../realtime/groupConsumer.ts';
import { authenticateSocket } from '../realtime/handshake.ts';
import { eventType, type EventTable } from '../realtime/fanout.ts';
import { pythonDumps } from '../python/json.ts';
import type { LayerMessage } from '../layers/types.ts';
import { notificationGroup } from './service.ts';

interface SendNotificationEvent extends LayerMessage {
  type: 'send_notification';
  notification: unknown;
}

/** The consumer's one handler, send_notification: {"notification": …}, the same bytes for every socket. */
const NOTIFICATION_EVENTS: EventTable = {
  send_notification: eventType<SendNotificationEvent, Buffer>({
    required: ['notification'],
    render: (e) => Buffer.from(pythonDumps({ notification: e.notification })),
    pick: (bytes) => bytes,
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
  const info = await authenticateSocket(ctx.db.knex, up.query, null);
  if (!info) return up.reject(403);
  await new NotificationConsumer(ctx, info.id).connect(up);
}
