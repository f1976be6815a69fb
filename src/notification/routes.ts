import type { UrlRouter } from '../drf/router.ts';
import type { WsRouter } from '../ws.ts';

export function registerNotificationRoutes(_router: UrlRouter): void {}

export function registerNotificationSockets(_ws: WsRouter): void {}
