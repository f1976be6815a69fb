// GET /metrics in Prometheus' text format, for operators. Off unless METRICS_TOKEN is set (the original
// has no such path: without the setting it stays Django's 404), and then only with
// `Authorization: Bearer <METRICS_TOKEN>`.
import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { AppContext } from './context.ts';
import type { SocketHub } from './realtime/hub.ts';

function sameSecret(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function renderMetrics(ctx: AppContext, hub: SocketHub): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, value: number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  };
  metric('csichat_sockets_open', 'gauge', 'Open chat and notification sockets on this process.', hub.stats.open);
  metric('csichat_frames_out_total', 'counter', 'Frames written to sockets.', hub.stats.framesOut);
  metric('csichat_slow_readers_closed_total', 'counter', 'Sockets closed (1013) because their send buffer passed the bound.', hub.stats.slowClosed);
  metric(
    'csichat_socket_backlog_closed_total',
    'counter',
    'Sockets closed (1013) because WS_MAX_PENDING_FRAMES frames waited.',
    hub.stats.backlogClosed,
  );
  metric('csichat_handshakes_origin_refused_total', 'counter', 'Handshakes refused (403) by WS_ALLOWED_ORIGINS.', hub.stats.originRefused);
  const writer = ctx.chatMessages.stats;
  metric('csichat_sends_refused_waited_total', 'counter', 'Chat sends refused unsaved after waiting WS_SEND_MAX_WAIT_MS.', writer.refusedWaited);
  metric(
    'csichat_sends_refused_queue_total',
    'counter',
    'Chat sends refused unsaved because WS_SEND_MAX_QUEUED sends were queued.',
    writer.refusedQueue,
  );
  metric('csichat_layer_healthy', 'gauge', `1 when the ${ctx.layer.kind} channel layer reaches the other processes.`, ctx.layer.isHealthy() ? 1 : 0);
  const hosts = ctx.config.redisUrls.length > 1 ? ctx.layer.hostHealth?.() : undefined;
  if (hosts)
    metric(
      'csichat_layer_redis_hosts_down',
      'gauge',
      'Redis hosts of REDIS_URL this process cannot use right now.',
      hosts.filter((h) => !h.ok).length,
    );
  const layerStats = (ctx.layer as { stats?: Record<string, number> }).stats;
  if (layerStats) {
    for (const [key, value] of Object.entries(layerStats)) {
      if (typeof value !== 'number') continue;
      const gauge = key.startsWith('max');
      metric(`csichat_layer_${snake(key)}${gauge ? '' : '_total'}`, gauge ? 'gauge' : 'counter', `Channel layer statistic ${key}.`, value);
    }
  }
  const mem = process.memoryUsage();
  metric('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', mem.rss);
  metric('nodejs_heap_used_bytes', 'gauge', 'V8 heap in use, in bytes.', mem.heapUsed);
  return `${lines.join('\n')}\n`;
}

export function metricsHandler(ctx: AppContext, hub: SocketHub, token: string) {
  return (req: Request, res: Response) => {
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !sameSecret(auth.slice(7), token)) {
      res.status(401).setHeader('WWW-Authenticate', 'Bearer').end();
      return;
    }
    res.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    res.end(renderMetrics(ctx, hub));
  };
}
