// /ws/notifications/ — the original's NotificationConsumer: authenticated users only (403 at the
// handshake otherwise, as in the original), one group per user, client frames ignored.
import type { WebSocket } from 'ws';
import type { AppContext } from '../context.ts';
import type { UpgradeRequest, WsRouter } from '../ws.ts';
import type { LayerMessage } from '../layers/types.ts';
import { ManagedSocket } from '../socket.ts';
import { tokenFromQuery } from '../auth/tokens.ts';
import { pythonDumps } from '../drf/json.ts';
import { connectInfo } from '../chat/socketQueries.ts';
import { notificationGroup } from './service.ts';
import { CLOSE_ACCESS_REVOKED, trackSession, untrackSession, type Session } from '../chat/access.ts';

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

export async function connectNotifications(ctx: AppContext, up: UpgradeRequest): Promise<void> {
  const key = tokenFromQuery(up.query);
  if (!key) return up.reject(403);
  const info = await connectInfo(ctx.db.knex, key, null);
  if (!info || !info.is_active) return up.reject(403);
  const channel = ctx.layer.newChannel();
  const group = notificationGroup(info.id);
  let socket: ManagedSocket | null = null;
  const early: string[] = [];
  // Only a logout (room null) ends a notification socket's access.
  let revoked = false;
  const session: Session = {
    roomId: null,
    revoke: () => {
      revoked = true;
      if (socket) socket.close(CLOSE_ACCESS_REVOKED);
      else leave();
    },
  };
  ctx.layer.register(channel, (m) => {
    const text = notificationFrame(m);
    if (text === null) return;
    if (socket) socket.send(text);
    else early.push(text);
  });
  const leave = () => {
    ctx.layer.unregister(channel);
    untrackSession(ctx, info.id, session);
    ctx.layer.groupDiscard(group, channel).catch((err: unknown) => ctx.log.debug({ err }, 'group discard failed'));
  };
  await Promise.all([ctx.layer.groupAdd(group, channel), trackSession(ctx, info.id, session)]);
  let ws: WebSocket;
  try {
    ws = await up.accept();
  } catch {
    leave();
    return;
  }
  if (revoked) {
    ws.close(CLOSE_ACCESS_REVOKED); // logged out during the handshake
    return;
  }
  ctx.online.connected(info.id);
  socket = new ManagedSocket(ws, up.hub, {
    onText: () => undefined,
    onClose: () => {
      leave();
      ctx.online.disconnected(info.id);
    },
  });
  for (const text of early.splice(0)) socket.send(text);
}

/** /ws/notifications/ — the notification consumer. */
export function registerNotificationSockets(ws: WsRouter): void {
  ws.add('ws/notifications/', connectNotifications);
}
