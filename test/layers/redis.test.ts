// The channels_redis-compatible layer against a real Redis: key names, TTLs, scores and bytes
// (docs/compat-notes.md §1.2–§1.7), capacity, batch draining and order, local mirror, close, reconnection.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { encode, decode } from '@msgpack/msgpack';
import { RedisChannelLayer, ChannelFull, serialize, deserialize, nonLocalName } from '../../src/layers/redis.ts';
import type { LayerMessage } from '../../src/layers/types.ts';
import { describeNeeding, redisMissing, redisUrl } from '../helpers/suites.ts';
import { RedisServerProcess, deleteByPrefix, freePort, testPrefix, until, sleep } from '../helpers/redis.ts';
import { TcpProxy } from '../helpers/tcpProxy.ts';

const FOREIGN_CP = 'f'.repeat(32);
const foreignChannel = (i = 0) => `specific.${FOREIGN_CP}!${String(i).padStart(32, '0')}`;

describeNeeding('Redis channel layer (channels_redis 4.x RedisChannelLayer protocol)', [redisMissing], function () {
  this.timeout(30000);
  let url: string;
  let raw: Redis;
  let prefix: string;
  const layers: RedisChannelLayer[] = [];

  async function layer(opts: Partial<ConstructorParameters<typeof RedisChannelLayer>[0]> = {}): Promise<RedisChannelLayer> {
    const l = new RedisChannelLayer({ url, prefix, blockTimeout: 1, ...opts });
    layers.push(l);
    await l.start();
    return l;
  }

  before(() => {
    url = redisUrl();
    raw = new Redis(url);
  });

  beforeEach(() => {
    prefix = testPrefix();
  });

  afterEach(async () => {
    for (const l of layers.splice(0)) await l.close();
    await deleteByPrefix(raw, prefix);
  });

  after(async () => {
    raw?.disconnect();
  });

  it('serializes as 12 random bytes + msgpack, __asgi_channel__ string last for a direct send (§1.5 bytes)', async () => {
    const a = await layer();
    const ch = foreignChannel(1);
    expect(ch).to.have.length(74);
    await a.send(ch, { type: 'direct', x: 1 });
    const key = prefix + nonLocalName(ch);
    const members = await raw.zrangeBuffer(key, '0', '-1');
    expect(members).to.have.length(1);
    const m = members[0];
    const body = m.subarray(12);
    const expected = Buffer.concat([
      Buffer.from([0x83, 0xa4]),
      Buffer.from('type'),
      Buffer.from([0xa6]),
      Buffer.from('direct'),
      Buffer.from([0xa1]),
      Buffer.from('x'),
      Buffer.from([0x01]),
      Buffer.from([0xb0]),
      Buffer.from('__asgi_channel__'),
      Buffer.from([0xd9, 0x4a]),
      Buffer.from(ch),
    ]);
    expect(body.toString('hex')).to.equal(expected.toString('hex'));
    expect(await raw.ttl(key)).to.be.within(58, 60);
    const score = Number(await raw.zscore(key, m));
    expect(Math.abs(score - Date.now() / 1000)).to.be.below(5);
    // two identical messages stay distinct members (random prefix)
    await a.send(ch, { type: 'direct', x: 1 });
    expect(await raw.zcard(key)).to.equal(2);
  });

  it('group_add / group_send write the Django keys: group zset (TTL 86400), one queue member per process with the member list', async () => {
    const a = await layer();
    const group = 'chat_5';
    const gkey = `${prefix}:group:${group}`;
    await a.groupAdd(group, foreignChannel(1));
    await a.groupAdd(group, foreignChannel(2));
    await a.groupAdd(group, 'plainchan');
    expect(await raw.type(gkey)).to.equal('zset');
    expect(await raw.ttl(gkey)).to.be.within(86398, 86400);
    expect((await raw.zrange(gkey, '0', '-1')).sort()).to.deep.equal([foreignChannel(1), foreignChannel(2), 'plainchan'].sort());
    const s = Number(await raw.zscore(gkey, 'plainchan'));
    expect(Math.abs(s - Date.now() / 1000)).to.be.below(5);

    await a.groupSend(group, { type: 'chat_message', message: 'hi', id: 7, f: 1.5 });
    const qkey = `${prefix}specific.${FOREIGN_CP}!`;
    const [m] = await raw.zrangeBuffer(qkey, '0', '-1');
    expect(await raw.ttl(qkey)).to.be.within(58, 60);
    const decoded = deserialize(m);
    expect(Object.keys(decoded)).to.deep.equal(['type', 'message', 'id', 'f', '__asgi_channel__']);
    expect((decoded.__asgi_channel__ as string[]).sort()).to.deep.equal([foreignChannel(1), foreignChannel(2)].sort());
    // float stays float64 (0xcb) as Python packs it
    expect(m.subarray(12).includes(Buffer.from([0xcb, 0x3f, 0xf8]))).to.equal(true);
    const [p] = await raw.zrangeBuffer(`${prefix}plainchan`, '0', '-1');
    expect(deserialize(p).__asgi_channel__).to.deep.equal(['plainchan']);
    expect(await raw.ttl(`${prefix}plainchan`)).to.be.within(58, 60);

    await a.groupDiscard(group, 'plainchan');
    await a.groupDiscard(group, 'plainchan'); // no-op
    expect(await raw.zcard(gkey)).to.equal(2);
  });

  it('uses prefix "asgi" and asgi:group:<g> by default', async () => {
    const a = new RedisChannelLayer({ url, blockTimeout: 1 });
    layers.push(a);
    await a.start();
    const group = `${prefix}_default`;
    const ch = a.newChannel();
    expect(ch).to.match(/^specific\.[0-9a-f]{32}![0-9a-f]{32}$/);
    expect(a.queueKey).to.equal(`asgi${nonLocalName(ch)}`);
    await a.groupAdd(group, ch);
    expect(await raw.zscore(`asgi:group:${group}`, ch)).to.not.equal(null);
    await a.close();
    // graceful close removes this process's memberships
    expect(await raw.exists(`asgi:group:${group}`)).to.equal(0);
  });

  it('delivers between two processes (two layer instances) in order, and to local members in-process', async () => {
    const a = await layer();
    const b = await layer();
    expect(a.clientPrefix).to.not.equal(b.clientPrefix);
    const got: Record<string, LayerMessage[]> = { a1: [], b1: [], b2: [] };
    const a1 = a.newChannel();
    const b1 = b.newChannel();
    const b2 = b.newChannel();
    a.register(a1, (m) => got.a1.push(m));
    b.register(b1, (m) => got.b1.push(m));
    b.register(b2, (m) => got.b2.push(m));
    for (const [l, c] of [
      [a, a1],
      [b, b1],
      [b, b2],
    ] as const)
      await l.groupAdd('chat_1', c);
    const N = 50;
    await Promise.all(Array.from({ length: N }, (_, i) => a.groupSend('chat_1', { type: 'chat_message', n: i })));
    expect(await until(() => got.b1.length === N && got.b2.length === N && got.a1.length === N)).to.equal(true);
    for (const k of ['a1', 'b1', 'b2']) expect(got[k].map((m) => m.n)).to.deep.equal([...Array(N).keys()]);
    expect(got.b1[0]).to.deep.equal({ type: 'chat_message', n: 0 });
    // one queue member per process for both of b's channels: b received N messages, delivered 2N
    expect(b.stats.received).to.equal(N);
    // a's own members never went through a's queue
    expect(a.stats.received).to.equal(0);

    // direct send across processes and discard
    await a.send(b1, { type: 'direct', v: 'x' });
    expect(await until(() => got.b1.length === N + 1)).to.equal(true);
    expect(got.b1[N]).to.deep.equal({ type: 'direct', v: 'x' });
    await b.groupDiscard('chat_1', b2);
    await a.groupSend('chat_1', { type: 'chat_message', n: 'last' });
    expect(await until(() => got.b1.length === N + 2)).to.equal(true);
    await sleep(100);
    expect(got.b2).to.have.length(N);
  });

  it('capacity 100 per queue: group_send skips a full queue (like Django), direct send raises ChannelFull', async () => {
    const a = await layer();
    await a.groupAdd('chat_2', foreignChannel(1));
    for (let i = 0; i < 105; i++) await a.groupSend('chat_2', { type: 'chat_message', n: i });
    const qkey = `${prefix}specific.${FOREIGN_CP}!`;
    expect(await raw.zcard(qkey)).to.equal(100);
    expect(a.stats.overCapacity).to.equal(5);
    let err: unknown;
    try {
      await a.send(foreignChannel(3), { type: 'direct' });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ChannelFull);
  });

  it('prunes messages older than expiry and members older than group_expiry before sending', async () => {
    const a = await layer();
    const now = Date.now() / 1000;
    const qkey = `${prefix}specific.${FOREIGN_CP}!`;
    await raw.zadd(qkey, String(now - 120), serialize({ type: 'old', __asgi_channel__: [foreignChannel(1)] }));
    await raw.zadd(`${prefix}:group:chat_3`, String(now - 90000), foreignChannel(9), String(now), foreignChannel(1));
    await a.groupSend('chat_3', { type: 'chat_message' });
    const members = (await raw.zrangeBuffer(qkey, '0', '-1')).map((m) => deserialize(m));
    expect(members.map((m) => m.type)).to.deep.equal(['chat_message']);
    expect(members[0].__asgi_channel__).to.deep.equal([foreignChannel(1)]);
    expect(await raw.zrange(`${prefix}:group:chat_3`, '0', '-1')).to.deep.equal([foreignChannel(1)]);
  });

  it('drains its queue in batches (one pop of up to batchSize per round trip) and keeps score order; accepts list and string targets', async () => {
    const b = await layer({ batchSize: 100 });
    const ch = b.newChannel();
    const got: unknown[] = [];
    b.register(ch, (m) => got.push(m.n));
    // 100 messages land at once (one MULTI), scores increasing, written as a Django sender would
    const t = Date.now() / 1000;
    const multi = raw.multi();
    for (let i = 0; i < 100; i++) {
      const target = i % 2 ? ch : [ch, foreignChannel(1)];
      multi.zadd(
        b.queueKey,
        String(t + i * 1e-3),
        Buffer.concat([Buffer.alloc(12, i), Buffer.from(encode({ type: 'm', n: i, __asgi_channel__: target }))]),
      );
    }
    await multi.exec();
    expect(await until(() => got.length === 100)).to.equal(true);
    expect(got).to.deep.equal([...Array(100).keys()]);
    expect(b.stats.maxBatch).to.be.at.least(99);
    expect(b.stats.undeliverable).to.equal(50); // the foreign channel in the lists is not ours
    expect(await raw.exists(b.queueKey)).to.equal(0);
  });

  it('a busy sender: 2000 group sends from one process to another arrive in order; only a full queue skips (as in Django)', async () => {
    const a = await layer();
    const b = await layer();
    const got: number[] = [];
    const ch = b.newChannel();
    b.register(ch, (m) => got.push(m.n as number));
    await b.groupAdd('chat_4', ch);
    const N = 2000;
    const t0 = Date.now();
    for (let i = 0; i < N; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, j) => a.groupSend('chat_4', { type: 'chat_message', n: i + j })));
    }
    const sentMs = Date.now() - t0;
    expect(await until(() => got.length + a.stats.overCapacity >= N, 10000)).to.equal(true);
    const ms = Date.now() - t0;
    console.log(
      `      ${N} group_sends: sent in ${sentMs} ms, received ${got.length} in ${ms} ms, over capacity ${a.stats.overCapacity}, receive batches ${b.stats.batches} (max ${b.stats.maxBatch})`,
    );
    expect(got).to.deep.equal([...got].sort((x, y) => x - y));
    expect(got.length + a.stats.overCapacity).to.equal(N);
    // batch draining keeps up with 100 sends in flight on an idle machine; on a loaded one Django's
    // skip-when-full applies, but most must arrive
    expect(got.length).to.be.at.least(N * 0.9);
  });

  it('an empty queue wakes on a write (client-side tracking), not on the poll interval; also after the wake-up connection is killed', async () => {
    const b = await layer({ blockTimeout: 30 });
    const ch = b.newChannel();
    const got: number[] = [];
    b.register(ch, (m) => got.push(m.n as number));
    await sleep(200); // the loop is waiting on an empty queue
    const write = (n: number) =>
      raw.zadd(
        b.queueKey,
        String(Date.now() / 1000),
        Buffer.concat([Buffer.alloc(12, n), Buffer.from(encode({ type: 'm', n, __asgi_channel__: ch }))]),
      );
    let t0 = Date.now();
    await write(1);
    expect(await until(() => got.length === 1, 3000)).to.equal(true);
    const firstMs = Date.now() - t0;
    // A reconnect of the wake-up connection gets a new CLIENT ID: tracking is re-armed with it.
    await raw.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    await until(async () => String(await raw.call('CLIENT', 'LIST', 'TYPE', 'pubsub')).includes(':wake'), 5000);
    await sleep(300);
    t0 = Date.now();
    await write(2);
    expect(await until(() => got.length === 2, 3000)).to.equal(true);
    const secondMs = Date.now() - t0;
    console.log(`      woken ${firstMs} ms after a write; ${secondMs} ms after the wake-up connection was killed and came back (poll interval 30 s)`);
    expect(firstMs).to.be.below(1000);
    expect(secondMs).to.be.below(1000);
  });

  it('a batch whose pop reply was lost stays in $inflight and is dispatched on the next pop, once', async () => {
    // What a reset between the pop and its reply leaves: the members in the backup under a batch id the
    // receiver never saw. (channels_redis's BZPOPMIN loses them.)
    const b = new RedisChannelLayer({ url, prefix, blockTimeout: 1 });
    layers.push(b);
    const ch = b.newChannel();
    const got: number[] = [];
    b.register(ch, (m) => got.push(m.n as number));
    const member = (n: number) => Buffer.concat([Buffer.alloc(12, n), Buffer.from(encode({ type: 'm', n, __asgi_channel__: ch }))]);
    await raw.rpush(`${b.queueKey}$inflight`, 'lost-batch', member(1), member(2));
    await raw.zadd(b.queueKey, String(Date.now() / 1000), member(3));
    await b.start();
    expect(await until(() => got.length === 3, 3000)).to.equal(true);
    await sleep(300);
    expect(got).to.deep.equal([1, 2, 3]);
    expect(b.stats.inflightRedelivered).to.equal(1);
    expect(await raw.exists(b.queueKey)).to.equal(0);
  });

  it('a replayed group_send (same member prefix) is dispatched once; other members are not mistaken for it', async () => {
    const b = await layer();
    const ch = b.newChannel();
    const got: number[] = [];
    b.register(ch, (m) => got.push(m.n as number));
    const id = Buffer.alloc(12, 7);
    // The first try and its replay after an outage: same prefix, possibly another member list.
    await raw.zadd(b.queueKey, String(Date.now() / 1000), serialize({ type: 'm', n: 1, __asgi_channel__: [ch] }, id));
    await raw.zadd(b.queueKey, String(Date.now() / 1000 + 0.001), serialize({ type: 'm', n: 1, __asgi_channel__: [ch, foreignChannel(2)] }, id));
    await raw.zadd(b.queueKey, String(Date.now() / 1000 + 0.002), serialize({ type: 'm', n: 2, __asgi_channel__: [ch] }));
    expect(await until(() => got.length === 2, 3000)).to.equal(true);
    await sleep(300);
    expect(got).to.deep.equal([1, 2]);
    expect(b.stats.duplicatesDropped).to.equal(1);
  });

  it('receive connection reset 30 times while 1,500 messages arrive: every one dispatched exactly once, in order', async () => {
    const target = new URL(url);
    const proxy = await TcpProxy.start({ targetHost: target.hostname, targetPort: Number(target.port || 6379) });
    try {
      const a = await layer();
      const b = await layer({ url: proxy.rewrite(url), maxBackoffMs: 100 });
      const ch = b.newChannel();
      const counts = new Map<number, number>();
      const order: number[] = [];
      b.register(ch, (m) => {
        const n = m.n as number;
        counts.set(n, (counts.get(n) ?? 0) + 1);
        order.push(n);
      });
      const N = 1500;
      let cuts = 0;
      const cutter = setInterval(() => {
        proxy.cut();
        if (++cuts === 30) clearInterval(cutter);
      }, 60);
      for (let i = 0; i < N; i++) {
        // a direct send never takes the local short cut: every message crosses b's receive connection
        for (;;) {
          try {
            await a.send(ch, { type: 'm', n: i });
            break;
          } catch (err) {
            if (!(err instanceof ChannelFull)) throw err;
            await sleep(20);
          }
        }
        if (i % 50 === 49) await sleep(10);
      }
      clearInterval(cutter);
      await until(() => counts.size === N, 15000);
      await sleep(500);
      const missing = N - counts.size;
      const twice = [...counts.values()].filter((c) => c > 1).length;
      console.log(
        `      ${cuts} resets, ${proxy.accepted} connections: received ${counts.size}/${N}, missing ${missing}, twice ${twice}, ` +
          `batches re-read from $inflight ${b.stats.inflightRedelivered}`,
      );
      expect(cuts).to.equal(30);
      expect(missing, 'messages lost').to.equal(0);
      expect(twice, 'messages dispatched twice').to.equal(0);
      expect(order).to.deep.equal([...Array(N).keys()]);
    } finally {
      await proxy.close();
    }
  });

  it('rejects invalid names and messages like Channels', async () => {
    const a = await layer();
    const bad: Array<() => Promise<unknown>> = [
      () => a.groupAdd('bad group', a.newChannel()),
      () => a.groupAdd('x'.repeat(100), a.newChannel()),
      () => a.groupSend('chat_1', { type: 'x', __asgi_channel__: 'y' }),
      () => a.groupSend('chat_1', { n: 1 } as unknown as LayerMessage),
      () => a.send('bad name!', { type: 'x' }),
    ];
    for (const f of bad) {
      let threw = false;
      try {
        await f();
      } catch (e) {
        threw = e instanceof TypeError;
      }
      expect(threw).to.equal(true);
    }
  });

  it('unregister drops the channel from the local mirror and from Redis', async () => {
    const a = await layer();
    const ch = a.newChannel();
    a.register(ch, () => undefined);
    await a.groupAdd('chat_6', ch);
    a.unregister(ch);
    expect(await until(async () => (await raw.exists(`${prefix}:group:chat_6`)) === 0, 2000)).to.equal(true);
  });

  it('group_adds of one turn go out as one command per group, each channel with its own score', async () => {
    const a = await layer();
    // Counted on the command connection's writes (a wrapper around the script method would upset ioredis's
    // auto-pipelining, which calls it through its own name).
    const cmd = (a as unknown as { shards: Array<{ cmd: Redis }> }).shards[0].cmd; // one host: one shard
    let commands = 0;
    const send = cmd.sendCommand.bind(cmd);
    cmd.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
      if (command.name === 'evalsha') commands += 1; // (an eval after NOSCRIPT repeats one of them)
      return (send as (...a: unknown[]) => unknown)(command, ...rest);
    }) as Redis['sendCommand'];
    const channels = Array.from({ length: 300 }, () => a.newChannel());
    await Promise.all(channels.map((ch, i) => a.groupAdd(i % 3 === 0 ? 'chat_7' : 'chat_8', ch)));
    expect(commands).to.equal(2);
    const in7 = await raw.zrange(`${prefix}:group:chat_7`, '0', '-1', 'WITHSCORES');
    const in8 = await raw.zrange(`${prefix}:group:chat_8`, '0', '-1');
    expect(in7.length / 2 + in8.length).to.equal(300);
    expect(new Set([...in7.filter((_, i) => i % 2 === 0), ...in8])).to.deep.equal(new Set(channels));
    // scores in call order (channels_redis: time.time() at each group_add), strictly increasing here
    const scores = in7.filter((_, i) => i % 2 === 1).map(Number);
    expect(scores).to.deep.equal([...scores].sort((x, y) => x - y));
    expect(new Set(scores).size).to.equal(scores.length);
    expect(await raw.ttl(`${prefix}:group:chat_7`)).to.be.within(86000, 86400);
  });

  it("group_send reads only other processes' members from Redis: its own are delivered in-process, not sent back per message", async () => {
    const a = await layer();
    const cmd = (a as unknown as { shards: Array<{ cmd: Redis }> }).shards[0].cmd; // one host: one shard
    const replies: unknown[] = [];
    const send = cmd.sendCommand.bind(cmd);
    cmd.sendCommand = ((command: { name: string; promise: Promise<unknown> }, ...rest: unknown[]) => {
      const out = (send as (...a: unknown[]) => unknown)(command, ...rest);
      if (command.name === 'evalsha' || command.name === 'eval')
        command.promise.then(
          (r) => replies.push(r),
          () => undefined,
        );
      return out;
    }) as Redis['sendCommand'];
    const local = Array.from({ length: 200 }, () => a.newChannel());
    let delivered = 0;
    for (const ch of local) a.register(ch, () => (delivered += 1));
    await Promise.all(local.map((ch) => a.groupAdd('chat_9', ch)));
    await a.groupAdd('chat_9', foreignChannel(1));
    replies.length = 0;
    await a.groupSend('chat_9', { type: 'chat_message', n: 1 });
    expect(await until(() => delivered === 200)).to.equal(true);
    // The members read answered with the foreign channel only (before: all 201 names, every message).
    const lists = replies.filter((r): r is string[] => Array.isArray(r));
    expect(lists).to.deep.equal([[foreignChannel(1)]]);
    const queued = (await raw.zrangeBuffer(`${prefix}specific.${FOREIGN_CP}!`, '0', '-1')).map((m) => deserialize(m));
    expect(queued.map((m) => m.__asgi_channel__)).to.deep.equal([[foreignChannel(1)]]);
    // Without the local short cut every member is read (and this process's own queue written).
    const b = await layer({ localShortcut: false });
    const bLocal = b.newChannel();
    b.register(bLocal, () => undefined);
    await b.groupAdd('chat_9', bLocal);
    const bCmd = (b as unknown as { shards: Array<{ cmd: Redis }> }).shards[0].cmd;
    const bReplies: unknown[] = [];
    const bSend = bCmd.sendCommand.bind(bCmd);
    bCmd.sendCommand = ((command: { name: string; promise: Promise<unknown> }, ...rest: unknown[]) => {
      const out = (bSend as (...a: unknown[]) => unknown)(command, ...rest);
      if (command.name === 'evalsha' || command.name === 'eval')
        command.promise.then(
          (r) => bReplies.push(r),
          () => undefined,
        );
      return out;
    }) as Redis['sendCommand'];
    await b.groupSend('chat_9', { type: 'chat_message', n: 2 });
    const bLists = bReplies.filter((r): r is string[] => Array.isArray(r));
    expect(bLists).to.have.length(1);
    expect(new Set(bLists[0])).to.deep.equal(new Set([...local, foreignChannel(1), bLocal]));
  });

  it('createChannelLayer picks the Redis layer when REDIS_URL is set (started, healthy); CHANNEL_LAYER=pubsub is refused', async () => {
    const { createChannelLayer } = await import('../../src/layers/index.ts');
    const { testConfig } = await import('../helpers/harness.ts');
    const { createLogger } = await import('../../src/log.ts');
    const l = (await createChannelLayer(testConfig({ REDIS_URL: url }), createLogger('silent'))) as RedisChannelLayer;
    layers.push(l);
    expect(l.kind).to.equal('redis');
    expect(l.isHealthy()).to.equal(true);
    expect(l.queueKey.startsWith('asgispecific.')).to.equal(true);
    let err: unknown;
    try {
      await createChannelLayer(testConfig({ REDIS_URL: url, CHANNEL_LAYER: 'pubsub' }), createLogger('silent'));
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/pubsub is not implemented/);
  });

  it('decodes Python-style members (bin, nil, float, nested) and Date-free JS values round trip', () => {
    const m = serialize({ type: 't', a: null, b: [1, 'x', { c: true }], d: 0.25, u: undefined });
    const d = deserialize(m);
    expect(d).to.deep.equal({ type: 't', a: null, b: [1, 'x', { c: true }], d: 0.25 });
    expect(decode(m.subarray(12))).to.deep.equal(d);
  });

  describe('Redis outage (private redis-server)', () => {
    let server: RedisServerProcess | null = null;

    afterEach(async () => {
      for (const l of layers.splice(0)) await l.close();
      await server?.kill();
      server = null;
    });

    it('keeps local delivery, buffers for the other process, reconnects, re-adds memberships and replays', async () => {
      server = await RedisServerProcess.start();
      const a = new RedisChannelLayer({ url: server.url, prefix, blockTimeout: 1, maxBackoffMs: 500 });
      const b = new RedisChannelLayer({ url: server.url, prefix, blockTimeout: 1, maxBackoffMs: 500 });
      layers.push(a, b);
      await a.start();
      await b.start();
      const health: boolean[] = [];
      a.on('health', (h: boolean) => health.push(h));
      const gotA: unknown[] = [];
      const gotB: unknown[] = [];
      const a1 = a.newChannel();
      const b1 = b.newChannel();
      a.register(a1, (m) => gotA.push(m.n));
      b.register(b1, (m) => gotB.push(m.n));
      await a.groupAdd('chat_1', a1);
      await b.groupAdd('chat_1', b1);
      await a.groupSend('chat_1', { type: 'chat_message', n: 0 });
      expect(await until(() => gotB.length === 1)).to.equal(true);

      await server.kill();
      expect(await until(() => !a.isHealthy(), 3000)).to.equal(true);
      for (let i = 1; i <= 5; i++) await a.groupSend('chat_1', { type: 'chat_message', n: i });
      // a socket joins and one leaves during the outage
      const a2 = a.newChannel();
      const gotA2: unknown[] = [];
      a.register(a2, (m) => gotA2.push(m.n));
      await a.groupAdd('chat_1', a2);
      await a.groupSend('chat_1', { type: 'chat_message', n: 6 });
      expect(await until(() => gotA.length === 7)).to.equal(true);
      expect(gotA2).to.deep.equal([6]);
      expect(gotB).to.deep.equal([0]);
      expect(a.bufferedCount()).to.equal(6);

      const t0 = Date.now();
      await server.start();
      expect(await until(() => a.isHealthy() && b.isHealthy(), 10000)).to.equal(true);
      const recoveredMs = Date.now() - t0;
      // Redis restarted empty: both processes re-added their memberships
      const check = new Redis(server.url);
      expect((await check.zrange(`${prefix}:group:chat_1`, '0', '-1')).sort()).to.deep.equal([a1, a2, b1].sort());
      check.disconnect();
      // replay reached the other process, in order, without duplicating local deliveries
      expect(await until(() => gotB.length === 7)).to.equal(true);
      expect(gotB).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
      await a.groupSend('chat_1', { type: 'chat_message', n: 7 });
      await b.groupSend('chat_1', { type: 'chat_message', n: 8 });
      expect(await until(() => gotB.length === 9 && gotA.length === 9)).to.equal(true);
      expect(gotA).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect(health).to.deep.equal([false, true]);
      console.log(
        `      outage: healthy again ${recoveredMs} ms after redis-server restart; replayed ${a.stats.replayed}, reconnects ${a.stats.reconnects}`,
      );
    });

    it('starts degraded when Redis is down at start-up and connects later; outage buffer is bounded', async () => {
      server = new RedisServerProcess(await freePort()); // not running yet
      const a = new RedisChannelLayer({ url: server.url, prefix, blockTimeout: 1, connectWaitMs: 300, outageBufferSize: 10, maxBackoffMs: 300 });
      layers.push(a);
      await a.start();
      expect(a.isHealthy()).to.equal(false);
      const ch = a.newChannel();
      const got: unknown[] = [];
      a.register(ch, (m) => got.push(m.n));
      await a.groupAdd('chat_1', ch);
      for (let i = 0; i < 50; i++) await a.groupSend('chat_1', { type: 'chat_message', n: i });
      expect(await until(() => got.length === 50)).to.equal(true);
      expect(a.bufferedCount()).to.equal(10);
      expect(a.stats.droppedBuffered).to.equal(40);
      await server.start();
      expect(await until(() => a.isHealthy(), 10000)).to.equal(true);
      const check = new Redis(server.url);
      expect(await check.zrange(`${prefix}:group:chat_1`, '0', '-1')).to.deep.equal([ch]);
      check.disconnect();
      expect(a.bufferedCount()).to.equal(0);
    });
  });
});
