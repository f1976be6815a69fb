// Assembles the HTTP server (express for media files, the Django-style URL router for the API) and the
// WebSocket upgrade routes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { AppContext } from './context.ts';
import { UrlRouter } from './drf/router.ts';
import { WsRouter } from './ws.ts';
import { metricsHandler } from './metrics.ts';
import { registerRoutes, registerSockets } from './routes.ts';
import { adminHandler } from './admin/mount.ts';

export interface RunningServer {
  server: http.Server;
  router: UrlRouter;
  ws: WsRouter;
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

export function createHttpServer(ctx: AppContext): { server: http.Server; router: UrlRouter; ws: WsRouter } {
  const router = new UrlRouter();
  registerRoutes(router);
  const ws = new WsRouter(ctx);
  registerSockets(ws);

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', ctx.config.trustProxy);
  if (ctx.config.metricsToken) app.get('/metrics', metricsHandler(ctx, ws.hub, ctx.config.metricsToken));
  // Admin site (issue #14): Django's /admin/, loaded on its first request (src/admin/mount.ts).
  app.use('/admin', adminHandler(ctx));
  app.use(router.handler(ctx));
  if (ctx.storage.kind === 'local') {
    app.use('/media', express.static(ctx.config.mediaRoot, { index: false, dotfiles: 'deny', fallthrough: true }));
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
