// /ws/notifications/ — the original's NotificationConsumer: authenticated users only (403 at the
// handshake otherwise, as in the original), one group per user, client frames ignored.
import type { AppContext } from '../context.ts';
import type { UpgradeRequest, WsRouter } from '../ws.ts';
import type { LayerMessage } from '../layers/types.ts';
import { GroupConsumer } from '../consumer.ts';
import { tokenFromQuery } from '../auth/tokens.ts';
import { pythonDumps } from '../drf/json.ts';
import { connectInfo } from '../chat/socketQueries.ts';
import { notificationGroup } from './service.ts';

/** One frame text per notification event, shared by all of the user's local sockets. */
const prepared = new WeakMap<LayerMessage, string>();

export function notificationFrame(m: LayerMessage): string | null {
  if (m.type !== 'send_notification' || m.notification === undefined) return null;
  let text = prepared.get(m);
  if (text === undefined) {
    text = pythonDumps({ notification: m.notification });
    prepared.set(m, text);
  }
  return text;
}

/** One group per user; client frames are ignored, as in the original. */
class NotificationConsumer extends GroupConsumer {
  constructor(ctx: AppContext, userId: number) {
    super(ctx, userId, notificationGroup(userId), null);
  }

  protected frameFor(m: LayerMessage): string | null {
    return notificationFrame(m);
  }

  protected onText(): void {}
}

export async function connectNotifications(ctx: AppContext, up: UpgradeRequest): Promise<void> {
  const key = tokenFromQuery(up.query);
  if (!key) return up.reject(403);
  const info = await connectInfo(ctx.db.knex, key, null);
  if (!info || !info.is_active) return up.reject(403);
  await new NotificationConsumer(ctx, info.id).connect(up);
}

/** /ws/notifications/ — the notification consumer. */
export function registerNotificationSockets(ws: WsRouter): void {
  ws.add('ws/notifications/', connectNotifications);
}
