// WEB_CONCURRENCY (src/server/cluster.ts): bad values refused at start, two workers on one port whose
// sockets see each other's messages through Redis, a dead worker replaced, SIGTERM drains them all.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { restartDelayMs } from '../../src/server/cluster.ts';
import { DUPLICATE_SIGNAL_MS } from '../../src/server/lifecycle.ts';
import { ROOT, resetToSeed, sharedDatabase, SEED_USERS } from '../helpers/harness.ts';
import { describeNeeding, postgresMissing, redisMissing, redisUrl as sharedRedisUrl } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { freePort, killAll, spawnServer } from '../helpers/serverProcess.ts';

function startFails(env: Record<string, string>): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', DATABASE_URL: '', REDIS_URL: '', ...env },
    encoding: 'utf8',
    timeout: 60000,
  });
  return { status: run.status, stderr: run.stderr.trim() };
}

describe('WEB_CONCURRENCY: bad values', function () {
  this.timeout(120000);

  it('refuses 0, abc, 65 and N > 1 without Redis or Postgres, naming the variable', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ WEB_CONCURRENCY: '0' }, /^WEB_CONCURRENCY must be between 1 and 64, got 0$/],
      [{ WEB_CONCURRENCY: 'abc' }, /^WEB_CONCURRENCY must be an integer, got "abc"$/],
      [{ WEB_CONCURRENCY: '-2' }, /^WEB_CONCURRENCY must be an integer/],
      [{ WEB_CONCURRENCY: '65' }, /^WEB_CONCURRENCY must be between 1 and 64, got 65$/],
      [{ WEB_CONCURRENCY: '2', DATABASE_URL: 'postgres://x@127.0.0.1/y' }, /^WEB_CONCURRENCY=2 needs REDIS_URL/],
      [{ WEB_CONCURRENCY: '2', REDIS_URL: 'redis://127.0.0.1:6379/7' }, /^WEB_CONCURRENCY=2 needs DATABASE_URL/],
      [{ SHUTDOWN_GRACE_MS: 'soon' }, /^SHUTDOWN_GRACE_MS must be an integer/],
      [{ SHUTDOWN_GRACE_MS: '900000' }, /^SHUTDOWN_GRACE_MS must be between 0 and 300000/],
    ];
    for (const [env, re] of cases) expect(() => loadConfig(env), JSON.stringify(env)).to.throw(ConfigError, re);
    expect(loadConfig({}).webConcurrency).to.equal(1);
    expect(loadConfig({}).shutdownGraceMs).to.equal(25000);
  });

  it('a process started with WEB_CONCURRENCY=2 and no REDIS_URL exits 2 with one clear line', () => {
    const run = startFails({ WEB_CONCURRENCY: '2', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(run.status).to.equal(2);
    expect(run.stderr).to.equal(
      "csi-chat: configuration error: WEB_CONCURRENCY=2 needs REDIS_URL: worker processes reach each other's sockets only through Redis",
    );
    const zero = startFails({ WEB_CONCURRENCY: '0' });
    expect(zero.status).to.equal(2);
    expect(zero.stderr).to.equal('csi-chat: configuration error: WEB_CONCURRENCY must be between 1 and 64, got 0');
  });

  it('the primary exits 1 with one clear line when the database is unreachable (no worker started)', () => {
    const run = startFails({ WEB_CONCURRENCY: '2', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', REDIS_URL: 'redis://127.0.0.1:6379/7' });
    expect(run.status).to.equal(1);
    expect(run.stderr).to.match(/^csi-chat: cannot open the database: .*ECONNREFUSED/);
  });

  it('waits longer before replacing a worker that keeps dying at start (capped)', () => {
    expect([0, 1, 2, 3, 8, 20].map(restartDelayMs)).to.deep.equal([0, 250, 500, 1000, 30000, 30000]);
  });
});

describeNeeding('WEB_CONCURRENCY=2: two workers on one port', [postgresMissing, redisMissing], function () {
  this.timeout(180000);
  let databaseUrl: string;
  let redisUrl: string;

  before(async function () {
    databaseUrl = process.env.DATABASE_URL!;
    // A Redis database of its own, emptied first: killed processes leave keys behind (see redisUrl()).
    redisUrl = sharedRedisUrl(11);
    const fresh = new Redis(redisUrl);
    await fresh.flushdb();
    fresh.disconnect();
    await resetToSeed(await sharedDatabase('pg'));
  });
  after(killAll);

  it('a second SIGTERM to the primary while a worker drains exits at once (1); no worker is left running', async () => {
    // (The primary SIGKILLs the workers; node's cluster module also ends a worker whose primary is gone.)
    const port = await freePort();
    const primary = spawnServer({
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      WEB_CONCURRENCY: '2',
      PORT: String(port),
      SHUTDOWN_GRACE_MS: '20000',
    });
    const deadline = Date.now() + 60000;
    while (primary.logs(/csi-chat listening on/).length < 2 && Date.now() < deadline && !primary.exit) await new Promise((r) => setTimeout(r, 50));
    const pids = primary.logs(/csi-chat listening on/).map((l) => l.pid as number);
    expect(pids, primary.output()).to.have.length(2);
    // A message waiting on a table lock keeps its worker draining (up to the 20 s grace).
    const db = await sharedDatabase('pg');
    const trx = await db.knex.transaction();
    try {
      await trx.raw('LOCK TABLE "Chat_message" IN EXCLUSIVE MODE');
      const token = SEED_USERS.users.find((u) => u.id === 3)!.token!;
      const c = await WsClient.connect(`ws://127.0.0.1:${port}/ws/chat/1/?token=${token}`);
      c.send({ message: `stuck in a worker ${port}` });
      await new Promise((r) => setTimeout(r, 300));
      const first = Date.now();
      primary.signal('SIGTERM');
      await primary.waitForLine(/asking 2 worker\(s\) to drain/);
      await primary.waitForLine(/shut down cleanly/, 10000); // the idle worker is gone; the other one waits on the lock
      await new Promise((r) => setTimeout(r, Math.max(0, first + DUPLICATE_SIGNAL_MS + 100 - Date.now())));
      const second = Date.now();
      primary.signal('SIGTERM');
      const exit = await primary.waitForExit(3000);
      expect(exit.code).to.equal(1);
      expect(exit.at - second).to.be.below(1000);
      expect(primary.logs(/second SIGTERM: killing the workers now/)).to.have.length(1);
      const alive = (pid: number) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      };
      const until = Date.now() + 2000;
      while (pids.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(pids.filter(alive), 'workers left running').to.deep.equal([]);
      c.ws.terminate();
    } finally {
      await trx.rollback();
    }
  });

  it("room members on different workers see each other's messages; a killed worker is replaced; SIGTERM drains both and exits 0", async () => {
    const port = await freePort();
    const primary = spawnServer({ DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, WEB_CONCURRENCY: '2', PORT: String(port) });
    await primary.waitForLine(/cluster primary: starting 2 workers/);
    const workerPids = async (n: number) => {
      const deadline = Date.now() + 60000;
      while (primary.logs(/csi-chat listening on/).length < n && Date.now() < deadline && !primary.exit) await new Promise((r) => setTimeout(r, 50));
      return primary.logs(/csi-chat listening on/).map((l) => l.pid as number);
    };
    const pids = await workerPids(2);
    expect(new Set(pids).size, primary.output()).to.equal(2);

    // Every member of room 1 with a token connects; connections are handed to the workers in turn.
    const members = SEED_USERS.users.filter((u) => u.token && [1, 2, 3, 4, 6].includes(u.id));
    // Which process holds each socket: the channel names in the Redis group carry a per-process prefix
    // (members left by earlier runs' killed processes are still listed until they expire).
    const redis = new Redis(redisUrl);
    const before = new Set(await redis.zrange('asgi:group:chat_1', '0', '-1'));
    const clients = [];
    for (const m of members) clients.push(await WsClient.connect(`ws://127.0.0.1:${port}/ws/chat/1/?token=${m.token}`));
    try {
      const channels = (await redis.zrange('asgi:group:chat_1', '0', '-1')).filter((c) => !before.has(c));
      const processes = new Set(channels.map((c) => c.slice(0, c.indexOf('!'))));
      expect(channels).to.have.length(members.length);
      expect(processes.size, 'sockets on both workers').to.equal(2);
    } finally {
      redis.disconnect();
    }

    const texts = clients.map((_, i) => `from member ${i} ${port}`);
    clients.forEach((c, i) => c.send({ message: texts[i] }));
    for (const c of clients) {
      const got = await c.take(texts.length, 5000);
      expect(got.map((f) => (f.json as { message: string }).message).sort()).to.deep.equal([...texts].sort());
    }

    // A worker dies: the primary starts another one; the service goes on.
    process.kill(pids[0], 'SIGKILL');
    await primary.waitForLine(/worker \d+ died \(SIGKILL\); starting a new one/);
    const after = await workerPids(3);
    expect(after).to.have.length(3);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
    const fresh = await WsClient.connect(`ws://127.0.0.1:${port}/ws/chat/1/?token=${members[0].token}`);
    const survivors = [...clients.filter((c) => !c.closed), fresh];

    const signalledAt = Date.now();
    primary.signal('SIGTERM');
    const exit = await primary.waitForExit(15000);
    expect(exit.code, primary.output()).to.equal(0);
    expect(exit.at - signalledAt).to.be.below(10000);
    expect(primary.logs(/shut down cleanly/)).to.have.length(2);
    for (const c of survivors) {
      if (!c.closed) await c.take(1000, 2000);
      expect(c.closed?.code).to.equal(1001);
    }
  });
});
