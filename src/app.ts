// Assembles the HTTP server: express for media files and /metrics, the Django-style URL router over
// src/urls.ts for the API, and the WebSocket upgrades routed by the same table's websocket patterns.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { AppContext } from './context.ts';
import { UrlRouter } from './drf/router.ts';
import { allowedHostsMiddleware } from './drf/hosts.ts';
import { WsRouter } from './realtime/router.ts';
import { metricsHandler } from './metrics.ts';
import { urlpatterns, websocketUrlpatterns } from './urls.ts';
import { READINESS_PATH, readinessHandler } from './server/readiness.ts';
import { adminHandler } from './admin/mount.ts';
import { mediaHeaders } from './storage/local.ts';

export interface RunningServer {
  server: http.Server;
  router: UrlRouter;
  ws: WsRouter;
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

function createHttpServer(ctx: AppContext): { server: http.Server; router: UrlRouter; ws: WsRouter } {
  const router = new UrlRouter(urlpatterns);
  const ws = new WsRouter(ctx, websocketUrlpatterns);

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', ctx.config.trustProxy);
  app.use(allowedHostsMiddleware(ctx.config.allowedHosts, ctx.config.debug));
  if (ctx.config.metricsToken) app.get('/metrics', metricsHandler(ctx, ws.hub, ctx.config.metricsToken));
  app.get(
    READINESS_PATH,
    readinessHandler(ctx, () => ws.hub.draining),
  );
  // The admin site: Django's /admin/, loaded on its first request (src/admin/mount.ts).
  app.use('/admin', adminHandler(ctx));
  app.use(router.handler(ctx));
  if (ctx.storage.kind === 'local') {
    app.use('/media', express.static(ctx.config.mediaRoot, { index: false, dotfiles: 'deny', fallthrough: true, setHeaders: mediaHeaders }));
  }
  app.use((_req, res) => {
    res.status(404).setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end();
  });

  const server = http.createServer({ keepAliveTimeout: 65000 }, app);
  server.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head));
  return { server, router, ws };
}

export async function listen(ctx: AppContext, port: number, host = '127.0.0.1'): Promise<RunningServer> {
  const { server, router, ws } = createHttpServer(ctx);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    server,
    router,
    ws,
    port: actual,
    baseUrl: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actual}`,
    async close() {
      // Going away (1001), as daphne does on shutdown; clients that do not finish the close are cut.
      if (ws.wss.clients.size) {
        ws.hub.closeAll(1001);
        await new Promise((r) => setTimeout(r, 200));
      }
      for (const client of ws.wss.clients) client.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
