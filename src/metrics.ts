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
  metric('csichat_layer_healthy', 'gauge', `1 when the ${ctx.layer.kind} channel layer reaches the other processes.`, ctx.layer.isHealthy() ? 1 : 0);
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
