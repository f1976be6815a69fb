// Several Redis hosts (REDIS_URL with commas = channels_redis's `hosts` list): the host list's parsing and
// its bad input, channels_redis's consistent_hash, where groups and process queues live (two private
// redis-servers), delivery across hosts, losing one host (only the groups on it go local-only, then
// replay as after a single-host outage), and one host unreachable at start-up (start, say which, serve the rest).
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import pino from 'pino';
import { RedisChannelLayer } from '../../src/layers/redis.ts';
import { consistentHash, RedisRing } from '../../src/layers/ring.ts';
import type { LayerMessage } from '../../src/layers/types.ts';
import { ConfigError, loadConfig, redisHosts } from '../../src/config.ts';
import { createCounterStore } from '../../src/drf/throttling.ts';
import { describeNeeding, redisMissing } from '../helpers/suites.ts';
import { spawnServer } from '../helpers/serverProcess.ts';
import { RedisServerProcess, freePort, testPrefix, until, sleep, prefixOnHost, groupOnHost } from '../helpers/redis.ts';

describe('Several Redis hosts: REDIS_URL list and consistent hash', () => {
  it("consistentHash is channels_redis's _consistent_hash (reference values from channels_redis 4.0.0's utils.py)", () => {
    // Python: [_consistent_hash(v, n) for n in (1, 2, 3, 5)]
    const ref: Record<string, number[]> = {
      chat_1: [0, 0, 0, 0],
      chat_42: [0, 0, 1, 2],
      chat_8: [0, 1, 1, 2],
      notifications_3: [0, 0, 1, 2],
      'specific.0123456789abcdef0123456789abcdef!': [0, 0, 1, 1],
      héllo: [0, 0, 0, 0],
    };
    for (const [v, want] of Object.entries(ref))
      expect(
        [1, 2, 3, 5].map((n) => consistentHash(v, n)),
        v,
      ).to.deep.equal(want);
  });

  it('RedisRing puts a key on the host its name hashes to', () => {
    const fake = [0, 1, 2].map((i) => ({ i }) as unknown as Redis);
    const ring = new RedisRing(fake);
    for (const key of ['csichat:online:1', 'csichat:online:2', 'csichat:clientid:3:abc']) {
      expect(ring.forKey(key)).to.equal(fake[consistentHash(key, 3)]);
    }
    const grouped = ring.byHost([1, 2, 3, 4, 5, 6], (id) => `csichat:online:${id}`);
    expect([...grouped.values()].flat().sort()).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('REDIS_URL takes a comma-separated list in order (spaces allowed); one URL stays one host', () => {
    expect(loadConfig({ REDIS_URL: 'redis://a:6379/0, redis://b:6380/0,rediss://c/1' }).redisUrls).to.deep.equal([
      'redis://a:6379/0',
      'redis://b:6380/0',
      'rediss://c/1',
    ]);
    const one = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/8' });
    expect(one.redisUrls).to.deep.equal(['redis://127.0.0.1:6379/8']);
    expect(one.redisUrl).to.equal('redis://127.0.0.1:6379/8');
    expect(loadConfig({}).redisUrls).to.deep.equal([]);
  });

  const bad: Array<[string, RegExp]> = [
    ['redis://a:6379/0,,redis://b:6379/0', /^REDIS_URL entry 2 of 3 is empty: list the Redis hosts separated by commas/],
    ['redis://a:6379/0,', /^REDIS_URL entry 2 of 2 is empty/],
    ['redis://a:6379/0,b:6379', /^REDIS_URL entry 2 of 2 (must start with redis:\/\/ or rediss:\/\/|is not a valid URL)/],
    ['redis://a:6379/0,http://b:6379', /^REDIS_URL entry 2 of 2 must start with redis:\/\/ or rediss:\/\/, got http:\/\//],
    ['redis://a:6379/0,redis://b:6379/x', /^REDIS_URL entry 2 of 2: the database must be a number/],
    ['redis://a:6379/0,redis://b:6379/0,redis://A:6379', /^REDIS_URL names the Redis host a:6379\/0 twice \(entries 1 and 3\); list each host once/],
    ['redis://a/0,redis://a:6379/0', /^REDIS_URL names the Redis host a:6379\/0 twice \(entries 1 and 2\)/],
    ['http://x', /^REDIS_URL must start with redis:\/\//],
  ];
  for (const [value, message] of bad) {
    it(`refuses REDIS_URL=${JSON.stringify(value)} with a clear error`, () => {
      expect(() => loadConfig({ REDIS_URL: value })).to.throw(ConfigError, message);
    });
  }

  it('keeps a password out of the error about a malformed entry', () => {
    expect(() => redisHosts('redis://a:6379/0,redis://:s3cret@b:xx/0')).to.throw(ConfigError, /entry 2 of 2/);
    try {
      redisHosts('redis://a:6379/0,redis://:s3cret@b:xx/0');
    } catch (err) {
      expect(String(err)).to.not.include('s3cret');
    }
  });
});

// Runs two private redis-servers; it counts among the Redis suites, which run where REDIS_URL is set.
describeNeeding('Several Redis hosts: two redis-servers', [redisMissing], function () {
  this.timeout(60000);
  let hosts: RedisServerProcess[];
  let raws: Redis[];
  let urls: string[];
  let prefix: string;
  const layers: RedisChannelLayer[] = [];

  before(async () => {
    hosts = [await RedisServerProcess.start(), await RedisServerProcess.start()];
    urls = hosts.map((h) => h.url);
    raws = urls.map((u) => {
      const r = new Redis(u, { maxRetriesPerRequest: 1 });
      r.on('error', () => undefined); // the tests kill these servers
      return r;
    });
  });

  after(async () => {
    for (const r of raws ?? []) r.disconnect();
    for (const h of hosts ?? []) await h.kill();
  });

  beforeEach(() => {
    prefix = testPrefix();
  });

  afterEach(async () => {
    for (const l of layers.splice(0)) await l.close();
    for (const h of hosts) await h.start();
    await Promise.all(raws.map((r) => r.flushall().catch(() => undefined)));
  });

  async function layer(home: number, opts: Partial<ConstructorParameters<typeof RedisChannelLayer>[0]> = {}): Promise<RedisChannelLayer> {
    const l = new RedisChannelLayer({ url: urls, prefix, blockTimeout: 1, maxBackoffMs: 500, clientPrefix: prefixOnHost(home, 2), ...opts });
    layers.push(l);
    await l.start();
    return l;
  }

  function inbox(l: RedisChannelLayer): { channel: string; got: LayerMessage[] } {
    const channel = l.newChannel();
    const got: LayerMessage[] = [];
    l.register(channel, (m) => got.push(m));
    return { channel, got };
  }

  it("puts each group on its consistent_hash host and each process's queue on the host of its non-local name", async () => {
    const a = await layer(0);
    const b = await layer(1);
    expect([a.homeHost, b.homeHost]).to.deep.equal([0, 1]);
    const g0 = groupOnHost('chat', 0, 2);
    const g1 = groupOnHost('chat', 1, 2);
    const ia = inbox(a);
    await a.groupAdd(g0, ia.channel);
    await a.groupAdd(g1, ia.channel);
    expect(await raws[0].exists(`${prefix}:group:${g0}`)).to.equal(1);
    expect(await raws[1].exists(`${prefix}:group:${g0}`)).to.equal(0);
    expect(await raws[1].exists(`${prefix}:group:${g1}`)).to.equal(1);
    expect(await raws[0].exists(`${prefix}:group:${g1}`)).to.equal(0);
    // B's send to g1 reads the members on host 1 and writes A's queue on host 0 (A's home): pause A's
    // host-0 reader by sending to a foreign process on host 0 instead and look at the key.
    const foreign = `specific.${prefixOnHost(0, 2)}!${'0'.repeat(32)}`;
    await b.groupAdd(g1, foreign);
    await b.groupSend(g1, { type: 'probe', n: 1 });
    const foreignQueue = `${prefix}specific.${foreign.slice('specific.'.length, foreign.indexOf('!') + 1)}`;
    expect(await raws[0].zcard(foreignQueue)).to.equal(1);
    expect(await raws[1].exists(foreignQueue)).to.equal(0);
    expect(await until(() => ia.got.length === 1, 5000)).to.equal(true);
    expect(ia.got[0]).to.deep.equal({ type: 'probe', n: 1 });
  });

  it('delivers between two processes with queues on different hosts, for groups on both hosts, in order', async () => {
    const a = await layer(0);
    const b = await layer(1);
    const groups = [groupOnHost('chat', 0, 2), groupOnHost('chat', 1, 2)];
    const ia = inbox(a);
    const ib = inbox(b);
    for (const g of groups) {
      await a.groupAdd(g, ia.channel);
      await b.groupAdd(g, ib.channel);
    }
    const of = (box: { got: LayerMessage[] }, g: string, phase: string) => box.got.filter((m) => m.g === g && m.phase === phase).map((m) => m.i);
    // A conversation: each message sent once the previous one reached both processes (a reply to what
    // its sender saw). Every member sees the exact order. (Sends that do not wait are ordered per sender
    // only — a process's own members get its sends at once, another's after the Redis round trip — as
    // between Channels processes.)
    for (let i = 0; i < 20; i++) {
      for (const g of groups) await (i % 2 ? a : b).groupSend(g, { type: 'm', g, i, phase: 'reply' });
      expect(await until(() => groups.every((g) => of(ia, g, 'reply').length === i + 1 && of(ib, g, 'reply').length === i + 1), 5000)).to.equal(true);
    }
    for (const box of [ia, ib]) for (const g of groups) expect(of(box, g, 'reply')).to.deep.equal([...Array(20).keys()]);
    // Both processes sending at once, without waiting: each sender's messages in its order at every member.
    await Promise.all(
      [a, b].map(async (l, who) => {
        for (let i = 0; i < 20; i++) for (const g of groups) await l.groupSend(g, { type: 'm', g, i, phase: `burst${who}` });
      }),
    );
    expect(await until(() => ia.got.length === 120 && ib.got.length === 120, 10000)).to.equal(true);
    for (const box of [ia, ib])
      for (const g of groups) for (const phase of ['burst0', 'burst1']) expect(of(box, g, phase)).to.deep.equal([...Array(20).keys()]);
  });

  it('losing one host: groups on the other host keep working between processes; groups on it go local-only, then replay on its return', async () => {
    // Both processes' queues on host 0, which stays up: only the groups on host 1 are affected.
    const a = await layer(0, { rejoinGraceMs: 300 });
    const b = await layer(0, { rejoinGraceMs: 300 });
    const safe = groupOnHost('chat', 0, 2);
    const lost = groupOnHost('chat', 1, 2);
    const ia = inbox(a);
    const ib = inbox(b);
    for (const g of [safe, lost]) {
      await a.groupAdd(g, ia.channel);
      await b.groupAdd(g, ib.channel);
    }
    expect(a.isHealthy()).to.equal(true);
    await hosts[1].kill();
    expect(await until(() => !a.isHealthy(), 5000)).to.equal(true);
    expect(a.hostHealth().map((h) => h.ok)).to.deep.equal([true, false]);
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) {
      await a.groupSend(safe, { type: 'm', g: 'safe', i });
      await a.groupSend(lost, { type: 'm', g: 'lost', i });
    }
    // the safe room reaches B as before; the lost room only reaches A's own members meanwhile
    expect(await until(() => ib.got.filter((m) => m.g === 'safe').length === 5, 5000)).to.equal(true);
    expect(Date.now() - t0).to.be.below(4000);
    expect(await until(() => ia.got.length === 10, 5000)).to.equal(true);
    expect(ib.got.filter((m) => m.g === 'lost')).to.have.length(0);
    expect(a.bufferedCount()).to.equal(5);
    await hosts[1].start();
    expect(await until(() => a.isHealthy() && b.isHealthy(), 15000)).to.equal(true);
    expect(await until(() => ib.got.filter((m) => m.g === 'lost').length === 5, 10000)).to.equal(true);
    expect(ib.got.filter((m) => m.g === 'lost').map((m) => m.i)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(a.stats.replayed).to.equal(5);
    // and the room on the returned host works both ways again
    await b.groupSend(lost, { type: 'm', g: 'after', i: 0 });
    expect(await until(() => ia.got.some((m) => m.g === 'after'), 5000)).to.equal(true);
  });

  it('a process whose queue is on the lost host still serves its own sockets, and the others skip it without failing', async () => {
    const a = await layer(0);
    const b = await layer(1);
    const g = groupOnHost('chat', 0, 2);
    const ia = inbox(a);
    const ib = inbox(b);
    await a.groupAdd(g, ia.channel);
    await b.groupAdd(g, ib.channel);
    await hosts[1].kill();
    await until(() => !b.isHealthy(), 5000);
    await a.groupSend(g, { type: 'm', i: 1 });
    await b.groupSend(g, { type: 'm', i: 2 });
    expect(await until(() => ia.got.length === 2, 5000)).to.equal(true);
    expect(await until(() => ib.got.some((m) => m.i === 2), 5000)).to.equal(true);
    expect(a.stats.hostUnreachable).to.be.at.least(1);
    expect(a.bufferedCount()).to.equal(0);
  });

  it('throttle and OTP counters live on the host their key hashes to; losing one host fails only its keys', async () => {
    const store = createCounterStore(urls, pino({ level: 'silent' }));
    try {
      // one key on each host
      const keys = [0, 1].map((h) => {
        for (let i = 0; ; i++) if (consistentHash(`csichat:throttle:login:10.0.0.${i}`, 2) === h) return `login:10.0.0.${i}`;
      });
      for (const k of keys) {
        expect((await store.hit(k, 60)).count).to.equal(1);
        expect((await store.hit(k, 60)).count).to.equal(2);
      }
      expect(await raws[0].get(`csichat:throttle:${keys[0]}`)).to.equal('2');
      expect(await raws[0].exists(`csichat:throttle:${keys[1]}`)).to.equal(0);
      expect(await raws[1].get(`csichat:throttle:${keys[1]}`)).to.equal('2');
      await hosts[1].kill();
      expect((await store.hit(keys[0], 60)).count).to.equal(3);
      let failed: unknown = null;
      await store.hit(keys[1], 60).catch((err: unknown) => (failed = err));
      expect(failed, 'a counter on the lost host').to.be.instanceOf(Error);
      await store.clear().catch(() => undefined);
    } finally {
      await store.close();
    }
  });

  it('one host unreachable at start-up: starts, logs which host, serves the groups on the other, joins it once it is up', async () => {
    const lines: string[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(chunk.toString());
          cb();
        },
      }),
    );
    const deadPort = await freePort();
    const late = new RedisServerProcess(deadPort);
    const list = [urls[0], late.url];
    const mk = (home: number) => {
      const l = new RedisChannelLayer({
        url: list,
        prefix,
        blockTimeout: 1,
        maxBackoffMs: 300,
        connectWaitMs: 500,
        clientPrefix: prefixOnHost(home, 2),
        log,
      });
      layers.push(l);
      return l;
    };
    const a = mk(0);
    const b = mk(0);
    const t0 = Date.now();
    await Promise.all([a.start(), b.start()]);
    expect(Date.now() - t0).to.be.below(5000);
    const warn = lines.map((l) => JSON.parse(l) as { level: number; msg: string; unreachable?: string[] }).find((l) => l.level === 40);
    expect(warn?.msg).to.include(`1 of 2 Redis hosts not reachable at start-up (127.0.0.1:${deadPort}/0)`);
    expect(warn?.unreachable).to.deep.equal([`127.0.0.1:${deadPort}/0`]);
    const g0 = groupOnHost('chat', 0, 2);
    const g1 = groupOnHost('chat', 1, 2);
    const ia = inbox(a);
    const ib = inbox(b);
    for (const g of [g0, g1]) {
      await a.groupAdd(g, ia.channel);
      await b.groupAdd(g, ib.channel);
    }
    await a.groupSend(g0, { type: 'm', g: g0 });
    expect(await until(() => ib.got.length === 1, 5000)).to.equal(true);
    await a.groupSend(g1, { type: 'm', g: g1 });
    await sleep(200);
    expect(ib.got).to.have.length(1); // host 1 not there yet: local only, buffered
    await late.start();
    try {
      expect(await until(() => a.isHealthy() && b.isHealthy(), 15000)).to.equal(true);
      expect(await until(() => ib.got.length === 2, 10000)).to.equal(true);
      expect(ib.got[1]).to.deep.equal({ type: 'm', g: g1 });
    } finally {
      for (const l of layers.splice(0)) await l.close();
      await late.kill();
    }
  });

  it('a whole server with one of two hosts down: starts, logs which, /healthz 200 "partial" naming it, 200 "ok" once it is up', async function () {
    this.timeout(180000); // a whole process on PGlite, on a loaded machine
    const deadPort = await freePort();
    const late = new RedisServerProcess(deadPort);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'csi-hosts-'));
    const server = spawnServer({ REDIS_URL: `${urls[0]},${late.url}`, DATABASE_URL: '', DATA_DIR: dataDir, LOAD_DEMO_DATA: 'false' });
    try {
      const port = await server.listening();
      const warn = server.logs(/Redis hosts not reachable at start-up/);
      expect(warn).to.have.length(1);
      expect(warn[0].msg).to.include(`(127.0.0.1:${deadPort}/0)`);
      const health = async () => {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        return { status: r.status, body: (await r.json()) as Record<string, string> };
      };
      expect(await health()).to.deep.equal({
        status: 200,
        body: { status: 'ready', database: 'ok', redis: 'partial', redis_hosts_down: `127.0.0.1:${deadPort}/0` },
      });
      await late.start();
      let last = await health();
      expect(
        await until(async () => {
          last = await health();
          return last.body.redis === 'ok';
        }, 15000),
        JSON.stringify(last),
      ).to.equal(true);
      expect(last).to.deep.equal({ status: 200, body: { status: 'ready', database: 'ok', redis: 'ok' } });
    } finally {
      server.signal('SIGTERM');
      await server.waitForExit(20000).catch(() => server.signal('SIGKILL'));
      await late.kill();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a whole server refuses a host list with a duplicate, naming both entries', async function () {
    this.timeout(120000);
    const server = spawnServer({ REDIS_URL: `${urls[0]},${urls[1]},${urls[0]}`, DATABASE_URL: '' });
    const exit = await server.waitForExit(60000);
    expect(exit.code).to.equal(2);
    const port = new URL(urls[0]).port;
    expect(server.output()).to.include(
      `csi-chat: configuration error: REDIS_URL names the Redis host 127.0.0.1:${port}/0 twice (entries 1 and 3); list each host once`,
    );
  });
});
