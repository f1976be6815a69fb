// Redis faults under a live conversation spread over two servers (issue 13, "Build it to last"): both
// reach the shared Redis (channel layer, client_id claims, presence) through a TCP proxy in the test
// (test/helpers/tcpProxy.ts) that resets every connection again and again, refuses them (down),
// black-holes the link, or slows it. Senders and one receiver are on server A, another receiver on B
// (so B's frames cross Redis). Each scenario prints the figures (test/faults/conversation.ts) and asserts
// 0 messages stored twice, 0 frames delivered twice, 0 acknowledged messages lost, no sender told
// "nothing was saved" for a stored message, and, once the link is back, a round trip through both
// servers without a restart. Delivery on B of what was sent during the outage is printed (the layer
// replays what it buffered) and asserted complete and exactly once.
import { backends, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { describeNeeding, redisMissing, redisUrl } from '../helpers/suites.ts';
import { TcpProxy } from '../helpers/tcpProxy.ts';
import type { RedisChannelLayer } from '../../src/layers/redis.ts';
import { Conversation, expectNoLossNoDuplicates, printFigures, type Endpoint } from './conversation.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Postgres when there is one (as in CI); the two servers share the database either way.
const backend = backends().includes('pg') ? 'pg' : 'pglite';

describeNeeding(`faults: Redis reset, down, black-holed and slow under two servers [${backend}]`, [redisMissing], function () {
  this.timeout(180000);
  let proxy: TcpProxy;
  let a: TestServer;
  let b: TestServer;
  let conv: Conversation | null = null;

  before(async () => {
    const target = new URL(redisUrl());
    proxy = await TcpProxy.start({ targetHost: target.hostname, targetPort: Number(target.port || 6379) });
    const env = { REDIS_URL: proxy.rewrite(redisUrl()) };
    a = await startServer(backend, { env });
    b = await startServer(backend, { env, seed: false });
  });

  afterEach(() => {
    conv?.close();
    conv = null;
    proxy.pass();
    proxy.delayMs = 0;
  });

  after(async () => {
    proxy?.pass();
    await a?.close();
    await b?.close();
    await proxy?.close();
  });

  async function scenario(tag: string, fault: () => Promise<string>) {
    const ep = (srv: TestServer, email: string, label: string): Endpoint => ({ wsUrl: srv.wsUrl, token: userToken(email), room: 1, label });
    const c = (conv = new Conversation(
      tag,
      [ep(a, 'kabir.singh@akgec.ac.in', 'kabir@A'), ep(a, 'meera.nair@akgec.ac.in', 'meera@A')],
      [ep(a, 'tanya.gupta@akgec.ac.in', 'tanya@A'), ep(b, 'riya.sharma@akgec.ac.in', 'riya@B')],
    ));
    await c.open();
    // Both servers joined the room's group before the first message.
    await sleep(300);
    c.start();
    await sleep(1500);
    const extra = await fault();
    await sleep(1500);
    c.stopSending();
    await c.settle(30000);
    const rtt = await c.roundTrip(30000);
    const f = await c.figures(a.ctx.db.knex);
    const layerB = b.ctx.layer as RedisChannelLayer;
    printFigures(
      `Redis ${tag}`,
      f,
      `${extra}; after: round trip through A and B ${rtt} ms; B's layer since start: replays dropped as already received ` +
        `${layerB.stats.duplicatesDropped}, batches re-read from $inflight ${layerB.stats.inflightRedelivered}, A replayed ${(a.ctx.layer as RedisChannelLayer).stats.replayed}`,
    );
    return f;
  }

  // A reset can cut the receive connection between a pop and its reply (the batch stays in `$inflight`
  // and is popped again), and a group_send whose outcome it hid is replayed with the same member prefix
  // (dropped by the receiver): delivery is asserted exactly once too (src/layers/redis.ts header).
  it('25 connection resets in 5 s', async () => {
    expectNoLossNoDuplicates(
      await scenario('redis-resets', async () => {
        for (let i = 0; i < 25; i++) {
          proxy.cut();
          await sleep(200);
        }
        return `25 resets, ${proxy.accepted} connections accepted by the proxy`;
      }),
    );
  });

  it('down for 3 s (connections cut and refused)', async () => {
    expectNoLossNoDuplicates(
      await scenario('redis-down', async () => {
        proxy.refuse();
        proxy.cut();
        await sleep(3000);
        proxy.pass();
        return 'down 3 s';
      }),
    );
  });

  it('black-holed for 5 s', async () => {
    expectNoLossNoDuplicates(
      await scenario('redis-blackhole', async () => {
        proxy.blackhole();
        await sleep(5000);
        proxy.pass();
        return 'black-holed 5 s';
      }),
    );
  });

  it('slow link (every chunk delayed 100 ms) for 4 s', async () => {
    expectNoLossNoDuplicates(
      await scenario('redis-slow', async () => {
        proxy.delayMs = 100;
        await sleep(4000);
        proxy.delayMs = 0;
        return 'link delayed 100 ms per chunk for 4 s';
      }),
    );
  });
});
