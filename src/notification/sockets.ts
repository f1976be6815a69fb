import type { WsRouter } from '../ws.ts';

/** /ws/notifications/ — the notification consumer (issue #4). */
export function registerNotificationSockets(_ws: WsRouter): void {}
