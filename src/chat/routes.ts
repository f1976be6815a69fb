import type { UrlRouter } from '../drf/router.ts';
import type { WsRouter } from '../ws.ts';

export function registerChatRoutes(_router: UrlRouter): void {}

export function registerChatSockets(_ws: WsRouter): void {}
