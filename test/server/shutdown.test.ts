// Readiness (GET /healthz) and graceful shutdown (src/server/lifecycle.ts): in process for the pieces,
// and on real child processes for the signals (SIGTERM with a message being stored, a second SIGTERM,
// the grace bound, SIGTERM during start-up).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { ROOT, resetToSeed, sharedDatabase, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { killAll, ServerProcess, spawnServer } from '../helpers/serverProcess.ts';
import { describeNeeding, postgresMissing } from '../helpers/suites.ts';
import { openDatabase } from '../../src/db/index.ts';
import { prepareSchema } from '../../src/db/schema.ts';
import { RedisChannelLayer } from '../../src/layers/redis.ts';
import { MemoryOnlineRegistry } from '../../src/realtime/online.ts';
import { SHUTTING_DOWN_ERROR } from '../../src/realtime/socket.ts';
import { DUPLICATE_SIGNAL_MS } from '../../src/server/lifecycle.ts';

const KABIR = userToken('kabir.singh@akgec.ac.in');
const MEERA = userToken('meera.nair@akgec.ac.in');

async function getJson(url: string): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json(), headers: res.headers };
}

describe('readiness: GET /healthz', function () {
  this.timeout(60000);
  let srv: TestServer | null = null;
  afterEach(async () => {
    await srv?.close();
    srv = null;
  });

  it('answers 200 while the database answers, 503 {"status": "draining"} once shutdown begins; /api/warmup/ stays the original', async () => {
    srv = await startServer('pglite');
    const ready = await getJson(`${srv.baseUrl}/healthz`);
    expect(ready.status).to.equal(200);
    expect(ready.body).to.deep.equal({ status: 'ready', database: 'ok' });
    expect(ready.headers.get('cache-control')).to.equal('no-store');
    const head = await fetch(`${srv.baseUrl}/healthz`, { method: 'HEAD' });
    expect(head.status).to.equal(200);

    srv.ws.hub.beginDrain();
    const draining = await getJson(`${srv.baseUrl}/healthz`);
    expect(draining.status).to.equal(503);
    expect(draining.body).to.deep.equal({ status: 'draining' });
    const warm = await fetch(`${srv.baseUrl}/api/warmup/`);
    expect(warm.status).to.equal(200);
    expect(await warm.text()).to.equal('{"message": "Server is warm!"}');
  });

  it('answers 503 naming the part that is down: the database, or Redis when REDIS_URL is set', async () => {
    const db = await openDatabase({ databaseUrl: null, pgliteDir: null });
    await prepareSchema(db);
    const layer = new RedisChannelLayer({ url: 'redis://127.0.0.1:1/7', connectWaitMs: 50, maxBackoffMs: 5000 });
    await layer.start();
    srv = await startServer('pglite', {
      seed: false,
      env: { REDIS_URL: 'redis://127.0.0.1:1/7' },
      build: { db, layer, online: new MemoryOnlineRegistry() },
    });
    const redisDown = await getJson(`${srv.baseUrl}/healthz`);
    expect(redisDown.status).to.equal(503);
    expect(redisDown.body).to.deep.equal({ status: 'unavailable', database: 'ok', redis: 'down' });
    await db.close();
    await new Promise((r) => setTimeout(r, 300)); // past the reuse window of the last answer
    const dbDown = await getJson(`${srv.baseUrl}/healthz`);
    expect(dbDown.status).to.equal(503);
    expect(dbDown.body).to.deep.equal({ status: 'unavailable', database: 'down', redis: 'down' });
  });

  it('runs one check at a time whatever the request rate', async () => {
    srv = await startServer('pglite');
    let queries = 0;
    const onQuery = (q: { sql: string }) => {
      if (q.sql === 'SELECT 1') queries += 1;
    };
    srv.ctx.db.knex.on('query', onQuery);
    try {
      const started = Date.now();
      const answers = await Promise.all(Array.from({ length: 200 }, () => fetch(`${srv!.baseUrl}/healthz`).then((r) => r.status)));
      const elapsed = Date.now() - started;
      expect(answers.every((s) => s === 200)).to.equal(true);
      // One check in flight at a time, its answer reused for 250 ms: at most one query per 250 ms of the
      // burst (plus the first), however many requests came in (200 here) and however slow the machine is.
      expect(queries).to.be.at.most(Math.ceil(elapsed / 250) + 1);
      expect(queries).to.be.below(20);
    } finally {
      srv.ctx.db.knex.off('query', onQuery);
    }
  });

  it('while draining, a new WebSocket handshake gets 503 and a frame on an open socket is answered "not handled"', async () => {
    srv = await startServer('pglite');
    const a = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${KABIR}`);
    srv.ws.hub.beginDrain();
    expect(await WsClient.handshakeStatus(`${srv.wsUrl}/ws/chat/1/?token=${MEERA}`)).to.equal(503);
    a.send({ message: 'sent while the server drains' });
    const [frame] = await a.take(1);
    expect(frame.text).to.equal(SHUTTING_DOWN_ERROR);
    const stored = await srv.ctx.db.knex('Chat_message').where({ content: 'sent while the server drains' }).count({ n: '*' });
    expect(Number(stored[0].n)).to.equal(0);
    a.ws.terminate();
  });
});

describeNeeding('graceful shutdown of a real process (SIGTERM)', [postgresMissing], function () {
  this.timeout(180000);
  let knex: Knex;
  let databaseUrl: string;

  before(async function () {
    databaseUrl = process.env.DATABASE_URL!;
    const db = await sharedDatabase('pg');
    knex = db.knex;
  });
  beforeEach(async () => {
    await resetToSeed(await sharedDatabase('pg'));
  });
  afterEach(killAll);

  /** Holds an EXCLUSIVE lock on the tables (writes wait, reads go on) until release(). */
  async function lockTables(tables: string[]): Promise<{ release(): Promise<void> }> {
    const trx = await knex.transaction();
    for (const t of tables) await trx.raw(`LOCK TABLE "${t}" IN EXCLUSIVE MODE`);
    return { release: () => trx.commit().then(() => undefined) };
  }

  async function start(env: Record<string, string> = {}): Promise<{ proc: ServerProcess; base: string; ws: string }> {
    const proc = spawnServer({ DATABASE_URL: databaseUrl, ...env });
    const port = await proc.listening();
    return { proc, base: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}` };
  }

  it('finishes the message being stored (stored once, echoed, fanned out) and the request in flight, closes sockets with 1001, exits 0', async () => {
    const { proc, base, ws } = await start({ SHUTDOWN_GRACE_MS: '10000' });
    const a = await WsClient.connect(`${ws}/ws/chat/1/?token=${KABIR}`);
    const b = await WsClient.connect(`${ws}/ws/chat/1/?token=${MEERA}`);
    const lock = await lockTables(['Chat_message', 'Chat_userroomstatus']);
    const text = `in flight at SIGTERM ${process.pid}`;
    a.send({ message: text });
    const request = fetch(`${base}/api/chat/groups/1/mark-as-read/`, { method: 'POST', headers: { Authorization: `Token ${MEERA}` } });
    await new Promise((r) => setTimeout(r, 300)); // both reached the server and wait on the lock

    const signalledAt = Date.now();
    proc.signal('SIGTERM');
    await proc.waitForLine(/shutting down: draining/);
    // Draining: a new frame is refused, the listening socket is closed.
    b.send({ message: 'too late' });
    const [refused] = await b.take(1);
    expect(refused.text).to.equal(SHUTTING_DOWN_ERROR);
    let connectError: unknown = null;
    await WsClient.connect(`${ws}/ws/chat/1/?token=${MEERA}`).then(
      (c) => c.ws.terminate(),
      (err: unknown) => (connectError = err),
    );
    expect((connectError as NodeJS.ErrnoException | null)?.code).to.equal('ECONNREFUSED');
    expect(proc.exit, 'still draining while the lock is held').to.equal(null);

    await lock.release();
    const res = await request;
    expect(res.status).to.equal(200);
    expect(res.headers.get('connection')).to.equal('close');
    expect(await res.json()).to.deep.equal({ message: 'Room marked as read.' });
    const exit = await proc.waitForExit(10000);
    expect(exit.code, proc.output()).to.equal(0);
    expect(exit.at - signalledAt).to.be.below(10000);
    expect(proc.logs(/shut down cleanly/)).to.have.length(1);

    const echo = a.frames.find((f) => (f.json as { message?: string }).message === text);
    expect(echo, 'the sender got its echo before the close').to.not.equal(undefined);
    expect((echo!.json as { is_self: boolean }).is_self).to.equal(true);
    const fanned = b.frames.find((f) => (f.json as { message?: string }).message === text);
    expect((fanned?.json as { is_self: boolean } | undefined)?.is_self).to.equal(false);
    for (const c of [a, b]) {
      await c.take(1000, 2000).catch(() => undefined);
      expect(c.closed?.code).to.equal(1001);
    }
    const rows = await knex('Chat_message').where({ content: text }).select('id');
    expect(rows).to.have.length(1);
    expect((echo!.json as { id: number }).id).to.equal(rows[0].id);
    expect(b.frames.some((f) => (f.json as { message?: string }).message === 'too late')).to.equal(false);
    expect(
      await knex('Chat_message')
        .where({ content: 'too late' })
        .count({ n: '*' })
        .then((r) => Number(r[0].n)),
    ).to.equal(0);
  });

  it('finishes only the frame a socket is handling: the frames waiting behind it are answered "not handled", not stored', async () => {
    // A client that sends faster than its frames are stored (a loaded machine) has many waiting; handling
    // them all during the drain outlasted SHUTDOWN_GRACE_MS (exit 1, messages stored but not fanned out).
    const { proc, ws } = await start({ SHUTDOWN_GRACE_MS: '10000' });
    const a = await WsClient.connect(`${ws}/ws/chat/1/?token=${KABIR}`);
    const lock = await lockTables(['Chat_message']);
    const texts = [1, 2, 3, 4, 5].map((i) => `queued at SIGTERM ${process.pid} #${i}`);
    for (const text of texts) a.send({ message: text });
    await new Promise((r) => setTimeout(r, 300)); // #1 waits on the lock, #2–#5 wait behind it

    proc.signal('SIGTERM');
    await proc.waitForLine(/shutting down: draining/);
    await lock.release();
    const frames = await a.take(5, 10000);
    const exit = await proc.waitForExit(10000);
    expect(exit.code, proc.output()).to.equal(0);

    expect((frames[0].json as { message: string; is_self: boolean }).message).to.equal(texts[0]);
    expect(frames.slice(1).map((f) => f.text)).to.deep.equal(Array(4).fill(SHUTTING_DOWN_ERROR));
    const stored = await knex('Chat_message').whereIn('content', texts).select('content');
    expect(stored.map((r: { content: string }) => r.content)).to.deep.equal([texts[0]]);
  });

  /** `npm start` with a socket open, stopped by `stop` (given npm's pid): the server drains (1001, exit 0)
   * and no node process is left behind. */
  async function npmStartStops(stop: (npmPid: number) => void): Promise<ServerProcess> {
    const npm = new ServerProcess(
      spawn('npm', ['start'], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: '', LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', SHUTDOWN_GRACE_MS: '5000' },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group (npm leads it), as a terminal's foreground job.
        detached: true,
      }),
    );
    let serverPid = 0;
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      const port = await npm.listening();
      serverPid = npm.logs(/csi-chat listening on/)[0].pid as number;
      expect(serverPid, 'the server is not npm itself').to.not.equal(npm.pid);
      const a = await WsClient.connect(`ws://127.0.0.1:${port}/ws/chat/1/?token=${KABIR}`);
      const signalledAt = Date.now();
      stop(npm.pid);
      const exit = await npm.waitForExit(10000);
      expect(exit.code, npm.output()).to.equal(0);
      expect(exit.at - signalledAt).to.be.below(5000);
      expect(npm.logs(/shut down cleanly/), npm.output()).to.have.length(1);
      await a.take(1, 1000).catch(() => undefined);
      expect(a.closed?.code).to.equal(1001);
      expect(alive(serverPid), `node ${serverPid} still running after npm exited`).to.equal(false);
      return npm;
    } finally {
      if (serverPid && alive(serverPid)) process.kill(serverPid, 'SIGKILL');
      npm.signal('SIGKILL');
    }
  }

  it('npm start passes SIGTERM on: `kill -TERM <npm pid>` drains the server (1001, exit 0) and leaves no node process behind', async () => {
    // The platform signals the process it started. `npm start` forwards SIGTERM to its script's shell;
    // sh -c "node …" died of it and left node running, listening, orphaned (issue 15). The script
    // execs node, so the signal reaches the server itself.
    await npmStartStops((pid) => process.kill(pid, 'SIGTERM'));
  });

  it('Ctrl-C on npm start (SIGINT to the process group: node gets it from the terminal and from npm) drains once', async () => {
    // Two SIGINTs a few ms apart are one request: taken for a second one, they ended the process at
    // once without draining (exit 1).
    const npm = await npmStartStops((pid) => process.kill(-pid, 'SIGINT'));
    expect(npm.logs(/second SIGINT/)).to.have.length(0);
  });

  it('a second SIGTERM while draining exits at once (1)', async () => {
    const { proc, ws } = await start({ SHUTDOWN_GRACE_MS: '20000' });
    const a = await WsClient.connect(`${ws}/ws/chat/1/?token=${KABIR}`);
    const lock = await lockTables(['Chat_message']);
    try {
      a.send({ message: `stuck ${process.pid}` });
      await new Promise((r) => setTimeout(r, 300));
      const first = Date.now();
      proc.signal('SIGTERM');
      await proc.waitForLine(/shutting down: draining/);
      // Sooner, it would be taken for the same request delivered twice (a signal to the process group).
      await new Promise((r) => setTimeout(r, Math.max(0, first + DUPLICATE_SIGNAL_MS + 100 - Date.now())));
      const second = Date.now();
      proc.signal('SIGTERM');
      const exit = await proc.waitForExit(3000);
      expect(exit.code).to.equal(1);
      expect(exit.at - second).to.be.below(1000);
      expect(proc.logs(/second SIGTERM: exiting now/)).to.have.length(1);
    } finally {
      await lock.release();
    }
  });

  it('past SHUTDOWN_GRACE_MS whatever is still running is cut and the process exits 1 within the bound', async () => {
    const { proc, ws } = await start({ SHUTDOWN_GRACE_MS: '1500' });
    const a = await WsClient.connect(`${ws}/ws/chat/1/?token=${KABIR}`);
    const lock = await lockTables(['Chat_message']);
    try {
      a.send({ message: `never stored in time ${process.pid}` });
      await new Promise((r) => setTimeout(r, 300));
      const signalledAt = Date.now();
      proc.signal('SIGTERM');
      const exit = await proc.waitForExit(5000);
      expect(exit.code).to.equal(1);
      expect(exit.at - signalledAt).to.be.within(1000, 1500 + 700);
      expect(proc.output()).to.match(/cutting: 1 socket\(s\) still handling a client frame|did not finish within SHUTDOWN_GRACE_MS/);
      expect(a.closed?.code ?? (await a.take(1000, 1000).then(() => a.closed?.code))).to.equal(1001);
    } finally {
      await lock.release();
    }
  });
});

describe('SIGTERM during start-up', function () {
  this.timeout(180000);
  afterEach(killAll);

  it('stops the start cleanly (exit 0, no listening line), and the embedded database it opened starts again', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'csi-startup-'));
    try {
      const proc = spawnServer({ DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' });
      // PGlite's directory appears once start-up is under way (signal handlers are installed by then).
      const deadline = Date.now() + 60000;
      while (!fs.existsSync(path.join(dataDir, 'pgdata')) && !proc.exit && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      proc.signal('SIGTERM');
      const exit = await proc.waitForExit(60000);
      expect(exit.code, proc.output()).to.equal(0);
      expect(proc.logs(/SIGTERM during start-up/)).to.have.length(1);
      expect(proc.logs(/listening/)).to.have.length(0);

      const again = spawnServer({ DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' });
      const port = await again.listening(90000);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
      again.signal('SIGTERM');
      expect((await again.waitForExit(10000)).code).to.equal(0);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
