// The URL table (the original's core/urls.py and each app's urls.py) and the WebSocket routes.
import type { UrlRouter } from './drf/router.ts';
import type { WsRouter } from './ws.ts';
import { registerCoreRoutes } from './core/routes.ts';
import { registerUserRoutes } from './user/routes.ts';
import { registerChatRoutes } from './chat/routes.ts';
import { registerChatSockets } from './chat/sockets.ts';
import { registerNotificationRoutes } from './notification/routes.ts';
import { registerNotificationSockets } from './notification/sockets.ts';
import { registerAppRoutes } from './apps.ts';

export function registerRoutes(router: UrlRouter): void {
  registerCoreRoutes(router);
  registerUserRoutes(router);
  registerChatRoutes(router);
  registerNotificationRoutes(router);
  registerAppRoutes(router);
}

export function registerSockets(ws: WsRouter): void {
  registerChatSockets(ws);
  registerNotificationSockets(ws);
}
