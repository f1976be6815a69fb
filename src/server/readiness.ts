// GET /healthz: the platform's readiness check (render.yaml healthCheckPath). Not a path of the
// original (README: additions): 200 only while the database answers, and Redis too when REDIS_URL is
// set; 503 while the process shuts down (src/server/lifecycle.ts), so the load balancer stops sending
// it traffic. /api/warmup/ stays the original's.
//
// Bounded whatever the request rate: one check runs at a time and its answer serves every request for
// CHECK_REUSE_MS, so a flood of /healthz costs at most a few `SELECT 1` per second.
import type { RequestHandler } from 'express';
import type { AppContext } from '../context.ts';

export const READINESS_PATH = '/healthz';

/** A check slower than this counts as down (Render's health check gives up after a few seconds). */
const DATABASE_TIMEOUT_MS = 3000;
const CHECK_REUSE_MS = 250;

export interface ReadinessReport {
  database: boolean;
  /** null: no Redis configured. */
  redis: boolean | null;
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkReadiness(ctx: AppContext): Promise<ReadinessReport> {
  const database = await withTimeout(ctx.db.knex.raw('SELECT 1'), DATABASE_TIMEOUT_MS);
  // The layer is healthy when its connections are up and its memberships are written to Redis.
  const redis = ctx.config.redisUrl ? ctx.layer.isHealthy() : null;
  return { database, redis };
}

function send(res: Parameters<RequestHandler>[1], status: number, body: Record<string, string>): void {
  res.status(status);
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

/** `isDraining`: true once shutdown has begun. */
export function readinessHandler(ctx: AppContext, isDraining: () => boolean): RequestHandler {
  let running: Promise<ReadinessReport> | null = null;
  let last: { at: number; report: ReadinessReport } | null = null;
  const current = (): Promise<ReadinessReport> => {
    if (last && Date.now() - last.at < CHECK_REUSE_MS) return Promise.resolve(last.report);
    running ??= checkReadiness(ctx).then((report) => {
      last = { at: Date.now(), report };
      running = null;
      return report;
    });
    return running;
  };
  return (_req, res, next) => {
    if (isDraining()) return send(res, 503, { status: 'draining' });
    current().then((report) => {
      if (isDraining()) return send(res, 503, { status: 'draining' });
      const up = (v: boolean | null) => (v ? 'ok' : 'down');
      const body: Record<string, string> = { database: up(report.database) };
      if (report.redis !== null) body.redis = up(report.redis);
      const ready = report.database && report.redis !== false;
      send(res, ready ? 200 : 503, { status: ready ? 'ready' : 'unavailable', ...body });
    }, next);
  };
}
