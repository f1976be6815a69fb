// WEB_CONCURRENCY=N (N > 1): every core of one instance. This process becomes the primary: it prepares
// the database once (schema verified, or created on an empty one), then runs N worker processes
// (node:cluster) that share the port — the primary accepts connections and hands them out in turn.
// Workers reach each other's sockets through Redis, exactly as separate instances do, which is why
// loadConfig() requires REDIS_URL and DATABASE_URL for N > 1.
//
// A worker that dies is replaced (with a growing delay while they keep dying at start). SIGTERM or
// SIGINT to the primary asks every worker to drain (src/server/lifecycle.ts) and exits once they are
// gone — 0 when all of them exited 0; a second signal kills them at once. Render and `docker stop`
// signal only the primary; a signal sent to the whole process group reaches the workers as well, which
// is the same request.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { openConfiguredDatabase } from '../bootstrap.ts';
import { prepareSchema, DEMO_SQL_PATH } from '../db/schema.ts';
import { loadSqlFile } from '../db/load.ts';
import { StopRequests, startupFailureLine, type ShutdownController } from './lifecycle.ts';

/** The primary's message asking a worker to drain and exit. */
const SHUTDOWN_MESSAGE = { type: 'csi-chat:shutdown' } as const;

/** A worker that lived less than this is counted as dying at start. */
const QUICK_DEATH_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;

/** Delay before replacing a worker, after `quickDeaths` deaths at start in a row. */
export function restartDelayMs(quickDeaths: number): number {
  return quickDeaths === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 250 * 2 ** (quickDeaths - 1));
}

/** Schema checked (or created) by one process, so N workers do not race to create it. */
async function prepareDatabaseOnce(config: Config, log: Logger): Promise<void> {
  const db = await openConfiguredDatabase(config);
  try {
    const outcome = await prepareSchema(db, { create: config.createSchema });
    if (outcome === 'created' && config.loadDemoData) {
      await loadSqlFile(db, DEMO_SQL_PATH, { reset: false });
      log.info('demo data loaded (db/demo-users.json has the logins)');
    }
  } finally {
    await db.close().catch(() => undefined);
  }
}

export async function runPrimary(config: Config, log: Logger): Promise<void> {
  const bornAt = new Map<Worker, number>();
  const exitCodes: number[] = [];
  let quickDeaths = 0;
  let stopping = false;
  const requests = new StopRequests();
  let preparing = true;
  const restartTimers = new Set<NodeJS.Timeout>();

  const fork = () => {
    const worker = cluster.fork();
    bornAt.set(worker, Date.now());
  };
  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (bornAt.get(worker) ?? Date.now());
    bornAt.delete(worker);
    if (stopping) {
      exitCodes.push(code ?? 1);
      if (live().length === 0) {
        const ok = exitCodes.every((c) => c === 0);
        log.info({ exitCodes }, `all workers stopped${ok ? '' : ' (some not cleanly)'}; primary exiting`);
        process.exit(ok ? 0 : 1);
      }
      return;
    }
    quickDeaths = lived < QUICK_DEATH_MS ? quickDeaths + 1 : 0;
    const delay = restartDelayMs(quickDeaths);
    log.error(
      { pid: worker.process.pid, code, signal, livedMs: lived, restartInMs: delay },
      `worker ${worker.process.pid} died (${signal ?? `exit ${code}`}); starting a new one`,
    );
    const timer = setTimeout(() => {
      restartTimers.delete(timer);
      if (!stopping) fork();
    }, delay);
    restartTimers.add(timer);
  });

  const onSignal = (signal: NodeJS.Signals) => {
    // 0: a repeat within DUPLICATE_SIGNAL_MS, the same request delivered twice (src/server/lifecycle.ts).
    const request = requests.receive();
    if (request === 0) return;
    if (preparing) {
      // Start-up: no worker yet; stop once the database check returns (or at once on a second signal).
      if (request > 1) process.exit(1);
      stopping = true;
      log.info({ signal }, `${signal} during start-up: stopping once the database check returns`);
      return;
    }
    if (request > 1) {
      log.warn({ signal }, `second ${signal}: killing the workers now`);
      for (const w of live()) w.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    for (const t of restartTimers) clearTimeout(t);
    restartTimers.clear();
    const workers = live();
    log.info({ signal, workers: workers.length }, `${signal}: asking ${workers.length} worker(s) to drain`);
    if (workers.length === 0) process.exit(0);
    for (const w of workers) {
      try {
        w.send(SHUTDOWN_MESSAGE);
      } catch {
        w.process.kill('SIGTERM');
      }
    }
    // The workers bound themselves by the grace period; this only covers a worker that hangs.
    setTimeout(() => {
      log.error('workers still running after SHUTDOWN_GRACE_MS: killing them');
      for (const w of live()) w.process.kill('SIGKILL');
      process.exit(1);
    }, config.shutdownGraceMs + 2000).unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    await prepareDatabaseOnce(config, log);
  } catch (err) {
    console.error(startupFailureLine(err));
    process.exit(1);
  }
  preparing = false;
  if (stopping) {
    log.info('start-up stopped; exiting');
    process.exit(0);
  }

  log.info({ workers: config.webConcurrency, pid: process.pid }, `cluster primary: starting ${config.webConcurrency} workers on port ${config.port}`);
  for (let i = 0; i < config.webConcurrency; i++) fork();
}

/** In a worker: drain on the primary's request, on SIGTERM, or when the primary is gone. SIGINT is
 * left to the primary (a terminal's Ctrl-C reaches every process of the group). */
export function followPrimary(shutdown: ShutdownController): void {
  shutdown.install(['SIGTERM']);
  process.on('SIGINT', () => undefined);
  process.on('message', (m: unknown) => {
    if ((m as { type?: unknown } | null)?.type === SHUTDOWN_MESSAGE.type) shutdown.requestStop('shutdown asked by the cluster primary');
  });
  process.on('disconnect', () => shutdown.requestStop('the cluster primary is gone'));
}
