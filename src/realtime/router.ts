// WebSocket upgrade routing (Channels' URLRouter over the websocket urlpatterns of src/urls.ts): path
// patterns → handlers that accept or refuse.
// Refusals are written as daphne writes them: a bare status line, then the TCP connection closes.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AppContext } from '../context.ts';
import { SocketHub } from './hub.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { UrlResolver, type UrlPattern } from '../drf/router.ts';
import { originAllowed } from './origins.ts';

export interface UpgradeRequest {
  req: IncomingMessage;
  path: string;
  /** The raw query string (without "?"). */
  query: string;
  params: Record<string, string>;
  /** The process's open sockets (keepalive, limits, stats). */
  hub: SocketHub;
  /** Completes the handshake (101) and hands back the socket. */
  accept(): Promise<WebSocket>;
  /** Refuses the handshake: 403 as when a consumer closes before accepting. */
  reject(status: 403 | 500 | 503): void;
}

export type UpgradeHandler = (ctx: AppContext, up: UpgradeRequest) => Promise<void>;

const STATUS_LINES: Record<number, string> = {
  403: 'HTTP/1.1 403 Access denied\r\n\r\n',
  500: 'HTTP/1.1 500 Internal server error\r\n\r\n',
  503: 'HTTP/1.1 503 Service Unavailable\r\n\r\n',
};

function destroyOnError(this: Duplex): void {
  this.destroy();
}

export class WsRouter {
  private readonly resolver: UrlResolver<UpgradeHandler>;
  readonly wss: WebSocketServer;
  readonly hub: SocketHub;

  constructor(
    private readonly ctx: AppContext,
    patterns: readonly UrlPattern<UpgradeHandler>[],
  ) {
    this.resolver = new UrlResolver(patterns, '/+');
    const c = ctx.config;
    this.hub = new SocketHub(
      {
        ratePerSecond: c.wsRateLimit.perSecond,
        rateBurst: c.wsRateLimit.burst,
        sendBufferBytes: c.wsSendBufferLimit,
        maxPendingFrames: c.wsMaxPendingFrames,
        maxSocketsPerUser: c.wsMaxSocketsPerUser,
        userRatePerSecond: c.wsUserRateLimit.perSecond,
        userRateBurst: c.wsUserRateLimit.burst,
        pingIntervalMs: c.wsPingIntervalMs,
        pingTimeoutMs: c.wsPingTimeoutMs,
      },
      ctx.log,
    );
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: ctx.config.wsMaxFrameBytes,
      perMessageDeflate: false,
      clientTracking: true,
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    try {
      path = decodeURIComponent(path);
    } catch {
      // keep the raw path; it will not match any route
    }
    const query = q < 0 ? '' : url.slice(q + 1);
    // A module-level listener: a closure here would share this function's scope and keep `req` (all
    // the upgrade's headers) alive for the socket's whole life (~1.8 KiB per idle socket).
    socket.on('error', destroyOnError);
    if (this.hub.draining) {
      // Shutting down (src/server/lifecycle.ts): the client reconnects, through the load balancer, to
      // a process that stays.
      socket.end(STATUS_LINES[503]);
      return;
    }
    // Channels' OriginValidator wraps the whole URLRouter: a foreign Origin is denied on every socket
    // route (and before routing), with the 403 of a handshake closed before accept (WS_ALLOWED_ORIGINS).
    if (!originAllowed(req.headers.origin, this.ctx.config.wsAllowedOrigins)) {
      this.hub.stats.originRefused += 1;
      socket.end(STATUS_LINES[403]);
      return;
    }
    let settled = false;
    const reject = (status: 403 | 500 | 503) => {
      if (settled) return;
      settled = true;
      if (socket.writable) socket.end(STATUS_LINES[status]);
      else socket.destroy();
    };
    const found = this.resolver.resolve(path);
    if (!found) {
      // No route: Channels' URLRouter raises and daphne answers 500.
      reject(500);
      return;
    }
    const up: UpgradeRequest = {
      req,
      path,
      query,
      params: found.params,
      hub: this.hub,
      accept: () =>
        new Promise((resolve, rejectPromise) => {
          if (settled || socket.destroyed) return rejectPromise(new Error('socket closed before accept'));
          settled = true;
          this.wss.handleUpgrade(req, socket, head, (ws) => resolve(ws));
        }),
      reject,
    };
    found.view(this.ctx, up).catch((err: unknown) => {
      if (isDatabaseUnavailable(err)) {
        this.ctx.log.warn({ err, path }, 'websocket refused: database unavailable');
        reject(503);
        return;
      }
      this.ctx.log.error({ err, path }, 'websocket connect failed');
      reject(500);
    });
  }
}
