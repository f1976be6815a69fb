// Graceful shutdown, for zero-downtime deploys (Render stops the old instance with SIGTERM once the new
// one is healthy, and kills it 30 s later; `docker stop` does the same with 10 s). Within
// SHUTDOWN_GRACE_MS of the first SIGTERM (or SIGINT):
//   1. GET /healthz answers 503 and the listening socket closes: no new connection. On connections
//      already open, a WebSocket handshake is refused with 503 and every HTTP response carries
//      `Connection: close`.
//   2. Sockets stop taking client frames (each is answered with SHUTTING_DOWN_ERROR, src/realtime/socket.ts,
//      and so is a frame still waiting behind the one its socket is handling, src/chat/consumer.ts);
//      the frames being handled finish: a message being stored is stored, fanned out through the
//      channel layer, and its echo written. HTTP requests in flight finish.
//   3. Sockets close with 1001 (going away, as daphne does on shutdown) and leave their groups.
//   4. The channel layer removes this process's remaining group memberships and quits; the database
//      pool closes; exit 0.
// Whatever is still running at the bound is cut, and the process exits 1. A second signal exits at
// once (1) — unless it comes within DUPLICATE_SIGNAL_MS of the first: a signal sent to the whole process
// group (Ctrl-C in a terminal, `kill -TERM -<pgid>`, a supervisor that signals every process) also
// reaches `npm start`, which forwards it, so the server gets the same request twice in a few
// milliseconds. A signal during start-up stops the start: what was opened is closed, exit 0.
import type http from 'node:http';
import type { Logger } from 'pino';
import type { AppContext } from '../context.ts';
import type { RunningServer } from '../app.ts';
import { closeContext } from '../bootstrap.ts';
import { SchemaError } from '../db/schema.ts';

/** Time kept at the end of the grace period to close the channel layer and the database. */
function closeReserveMs(graceMs: number): number {
  return Math.min(3000, Math.floor(graceMs / 5));
}

/** How long sockets get to answer our close frame before they are cut. */
const CLOSE_HANDSHAKE_MS = 1000;

const POLL_MS = 20;

/** A repeat of the first stop signal sooner than this is the same request, delivered twice (above). */
export const DUPLICATE_SIGNAL_MS = 1000;

/** Stop requests of a process (a worker's ShutdownController, the cluster primary): each signal is the
 * first request (1), a later one (2, 3, …), or 0 — a repeat of the first within DUPLICATE_SIGNAL_MS. */
export class StopRequests {
  private count = 0;
  private firstAt = 0;

  receive(now = Date.now()): number {
    if (this.count > 0 && now - this.firstAt < DUPLICATE_SIGNAL_MS) return 0;
    if (this.count === 0) this.firstAt = now;
    return ++this.count;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Polls `done` until it is true (→ true) or `deadline` passes (→ false). */
async function waitUntil(done: () => boolean, deadline: number): Promise<boolean> {
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(POLL_MS, deadline - Date.now()));
  }
  return true;
}

/** The responses being written, so that shutdown can mark them `Connection: close`. */
export type OpenResponses = Set<http.ServerResponse>;

/** Starts tracking `server`'s responses (one Set add and delete per request). */
function trackResponses(server: http.Server): OpenResponses {
  const open: OpenResponses = new Set();
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    open.add(res);
    res.once('close', () => open.delete(res));
  });
  return open;
}

export interface DrainOutcome {
  /** Everything finished within the bound. */
  clean: boolean;
  /** What had to be cut, for the log. */
  cut: string[];
}

/**
 * Steps 1–4 above, for one server. Resolves by `deadline` (epoch ms) at the latest: steps 1–3 end
 * closeReserveMs() before it, so that step 4 always has time to leave the groups and close.
 */
async function drainServer(
  ctx: AppContext,
  running: RunningServer,
  graceMs: number,
  deadline: number,
  responses: OpenResponses = new Set(),
): Promise<DrainOutcome> {
  const { server, ws } = running;
  const cut: string[] = [];
  const workDeadline = deadline - closeReserveMs(graceMs);

  // 1. No new connections, no new WebSocket handshakes or client frames.
  ws.hub.beginDrain();
  // Responses in flight and to come end their connection: the client opens its next one elsewhere.
  for (const res of responses) if (!res.headersSent) res.setHeader('Connection', 'close');
  server.prependListener('request', (_req, res) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  });
  const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections between requests are closed now; busy ones once their response is out.
  server.closeIdleConnections();
  const idleSweep = setInterval(() => server.closeIdleConnections(), 50);

  try {
    // 2. Frames being handled finish (stored, fanned out), then what they queued (their echo) is
    // written. Later events may keep arriving; they are not waited for.
    if (!(await waitUntil(() => ws.hub.handlingCount() === 0, workDeadline))) {
      cut.push(`${ws.hub.handlingCount()} socket(s) still handling a client frame`);
    }
    const marks = ws.hub.queueMarks();
    if (!(await waitUntil(() => ws.hub.allFlushed(marks), workDeadline))) cut.push('frames not yet written');

    // 3. Close every socket with 1001; give clients a moment to answer the close frame.
    ws.hub.closeAll(1001);
    await waitUntil(() => ws.wss.clients.size === 0, Math.min(Date.now() + CLOSE_HANDSHAKE_MS, workDeadline));
    for (const client of ws.wss.clients) client.terminate();

    // HTTP requests in flight finish; their connections close after the response.
    const httpDone = await Promise.race([httpClosed.then(() => true), sleep(workDeadline - Date.now()).then(() => false)]);
    if (!httpDone) {
      cut.push('HTTP requests still running');
      server.closeAllConnections();
    }
  } finally {
    clearInterval(idleSweep);
  }

  // 4. Leave the remaining groups, quit Redis, close the database pool.
  const closed = await Promise.race([closeContext(ctx).then(() => true), sleep(deadline - Date.now()).then(() => false)]);
  if (!closed) cut.push('closing the channel layer and the database');
  return { clean: cut.length === 0, cut };
}

/** The one line start-up prints before exiting 1 when the database cannot be used. */
export function startupFailureLine(err: unknown): string {
  const message = err instanceof SchemaError ? `refusing to start: ${err.message}` : `cannot open the database: ${(err as Error).message}`;
  return `csi-chat: ${message}`;
}

export type ExitFn = (code: number) => void;

/**
 * The process's answer to SIGTERM/SIGINT (installed first thing in src/main.ts): during start-up it
 * stops the start, once serving it drains (drainServer), on a second signal it exits at once; past the
 * grace period it exits 1 whatever is still running.
 */
export class ShutdownController {
  private phase: 'starting' | 'serving' | 'stopping' = 'starting';
  private readonly requests = new StopRequests();
  private deadline = 0;
  private target: { ctx: AppContext; running: RunningServer; responses: OpenResponses } | null = null;
  private drainStarted = false;
  private readonly handler = (signal: NodeJS.Signals) => this.onSignal(signal);

  constructor(
    private readonly graceMs: number,
    private readonly log: Logger,
    private readonly exit: ExitFn = (code) => process.exit(code),
  ) {}

  /** Listens to SIGTERM and SIGINT (`signals`: other sets, e.g. SIGTERM only in a cluster worker). */
  install(signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): this {
    for (const s of signals) process.on(s, this.handler);
    return this;
  }

  /** True once a signal asked the process to stop (start-up checks it between steps). */
  get stopRequested(): boolean {
    return this.phase === 'stopping';
  }

  /** Start-up is over: `ctx` and `running` are what a signal drains. */
  serving(ctx: AppContext, running: RunningServer): void {
    this.target = { ctx, running, responses: trackResponses(running.server) };
    if (this.phase === 'stopping') void this.drain();
    else this.phase = 'serving';
  }

  /** A stop asked by the cluster primary (src/server/cluster.ts): like a first signal, but a later
   * signal is not taken for a second one. */
  requestStop(reason: string): void {
    if (this.phase === 'stopping') return;
    this.begin(reason);
  }

  private onSignal(signal: NodeJS.Signals): void {
    const request = this.requests.receive();
    if (request === 0) {
      this.log.info(
        { signal },
        `${signal} again within ${DUPLICATE_SIGNAL_MS} ms of the first: the same request (a signal to the process group, forwarded by npm)`,
      );
      return;
    }
    if (request > 1 && this.phase === 'stopping') {
      this.log.warn({ signal }, `second ${signal}: exiting now, without finishing what is in flight`);
      this.exit(1);
      return;
    }
    if (this.phase === 'stopping') return;
    this.begin(signal);
  }

  private begin(reason: string): void {
    const wasStarting = this.phase === 'starting';
    this.phase = 'stopping';
    this.deadline = Date.now() + this.graceMs;
    // The bound holds whatever happens below (a hung close, a start-up step that never returns).
    setTimeout(() => {
      this.log.error({ graceMs: this.graceMs }, `shutdown did not finish within SHUTDOWN_GRACE_MS=${this.graceMs}: exiting`);
      this.exit(1);
    }, this.graceMs).unref();
    if (wasStarting) {
      this.log.info({ reason }, `${reason} during start-up: stopping once the current start-up step returns`);
      return;
    }
    void this.drain();
  }

  /** Start-up saw stopRequested after opening `ctx`: close it and exit 0. */
  async abortStart(ctx: AppContext | null): Promise<void> {
    if (ctx) await closeContext(ctx);
    this.log.info('start-up stopped; exiting');
    this.exit(0);
  }

  private async drain(): Promise<void> {
    if (this.drainStarted || !this.target) return;
    this.drainStarted = true;
    const { ctx, running, responses } = this.target;
    const started = Date.now();
    this.log.info({ graceMs: this.graceMs, sockets: running.ws.hub.stats.open }, 'shutting down: draining');
    let outcome: DrainOutcome;
    try {
      outcome = await drainServer(ctx, running, this.graceMs, this.deadline, responses);
    } catch (err) {
      this.log.error({ err }, 'shutdown failed');
      this.exit(1);
      return;
    }
    const ms = Date.now() - started;
    if (outcome.clean) {
      this.log.info({ ms }, `shut down cleanly in ${ms} ms`);
      this.exit(0);
    } else {
      this.log.warn({ ms, cut: outcome.cut }, `shut down in ${ms} ms, cutting: ${outcome.cut.join('; ')}`);
      this.exit(1);
    }
  }
}
