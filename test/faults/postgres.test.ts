// Postgres faults under a live conversation (issue 13, "Build it to last"): the server reaches the CI
// Postgres through a TCP proxy in the test (test/helpers/tcpProxy.ts) that resets every connection again
// and again, refuses connections (down), black-holes the link, or slows it. Each scenario prints the
// conversation's figures (test/faults/conversation.ts) and asserts 0 messages stored twice, 0 frames
// delivered twice, 0 acknowledged messages lost, no sender told "nothing was saved" for a stored
// message, REST answering while Postgres is unreachable (503 within the database bounds), and the server serving again
// without a restart once the link is back (a message round trip, REST 200, a new socket).
import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { resetToSeed, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { describeNeeding, postgresMissing } from '../helpers/suites.ts';
import { TcpProxy } from '../helpers/tcpProxy.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { Conversation, expectNoLossNoDuplicates, printFigures, type Endpoint } from './conversation.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The database bounds (DB_CONNECT_TIMEOUT_MS, DB_STATEMENT_TIMEOUT_MS, DB_POOL_TIMEOUT_MS), shorter than
 * the defaults so the scenarios stay short; the outages last longer than they do. */
const TIMEOUTS = { connectMs: 1000, statementMs: 2000, poolAcquireMs: 1000 };
/** A REST answer while Postgres is unreachable: within a statement's bound, the driver's read bound
 * (+1 s), a pool wait, and a margin for a loaded machine. */
const ANSWER_MS = TIMEOUTS.statementMs + 1000 + TIMEOUTS.poolAcquireMs + 4000;

/** A REST call with its status and how long it took; status 0 when it got no answer within `ms`. */
async function timedGet(srv: TestServer, path: string, token: string, ms: number): Promise<{ status: number; ms: number }> {
  const t0 = Date.now();
  try {
    const res = await fetch(`${srv.baseUrl}${path}`, { headers: { Authorization: `Token ${token}` }, signal: AbortSignal.timeout(ms) });
    await res.arrayBuffer();
    return { status: res.status, ms: Date.now() - t0 };
  } catch {
    return { status: 0, ms: Date.now() - t0 };
  }
}

describeNeeding('faults: Postgres reset, down, black-holed and slow under a conversation [pg]', [postgresMissing], function () {
  this.timeout(180000);
  let proxy: TcpProxy;
  let db: Database;
  let srv: TestServer;
  let conv: Conversation | null = null;
  const KABIR = userToken('kabir.singh@akgec.ac.in');

  before(async () => {
    const target = new URL(process.env.DATABASE_URL!);
    proxy = await TcpProxy.start({ targetHost: target.hostname, targetPort: Number(target.port || 5432) });
    db = await openDatabase({ databaseUrl: proxy.rewrite(process.env.DATABASE_URL!), pgliteDir: null, timeouts: TIMEOUTS });
    await resetToSeed(db);
    srv = await startServer('pg', { build: { db }, seed: false });
  });

  afterEach(() => {
    conv?.close();
    conv = null;
    proxy.pass();
    proxy.delayMs = 0;
  });

  after(async () => {
    await srv?.close();
    await db?.close();
    await proxy?.close();
  });

  function conversation(tag: string): Conversation {
    const ep = (email: string, label: string): Endpoint => ({ wsUrl: srv.wsUrl, token: userToken(email), room: 1, label });
    conv = new Conversation(
      tag,
      [ep('kabir.singh@akgec.ac.in', 'kabir'), ep('meera.nair@akgec.ac.in', 'meera')],
      [ep('tanya.gupta@akgec.ac.in', 'tanya'), ep('riya.sharma@akgec.ac.in', 'riya')],
    );
    return conv;
  }

  /** Sends for `before` ms, runs the fault, sends for `afterMs` ms more, settles, checks recovery. */
  async function scenario(tag: string, fault: () => Promise<string>, beforeMs = 1500, afterMs = 1500) {
    const c = conversation(tag);
    await c.open();
    c.start();
    await sleep(beforeMs);
    const extra = await fault();
    await sleep(afterMs);
    c.stopSending();
    await c.settle(30000);
    const rest = await timedGet(srv, '/api/chat/groups/', KABIR, 15000);
    const rtt = await c.roundTrip(20000).catch((err: Error) => err);
    const fresh = await WsClient.open(`${srv.wsUrl}/ws/chat/1/?token=${KABIR}`, 15000).catch((err: Error) => err);
    if ('client' in fresh) fresh.client.terminate();
    const f = await c.figures(srv.ctx.db.knex);
    const socket = 'client' in fresh ? 'accepted' : `refused (${fresh instanceof Error ? fresh.message : fresh.status})`;
    const trip = typeof rtt === 'number' ? `${rtt} ms` : rtt.message;
    printFigures(`Postgres ${tag}`, f, `${extra}; after: round trip ${trip}, REST ${rest.status} in ${rest.ms} ms, new socket ${socket}`);
    expectNoLossNoDuplicates(f);
    expect(rest.status, 'REST after the outage').to.equal(200);
    if (typeof rtt !== 'number') throw rtt;
    expect(socket, 'a new socket after the outage').to.equal('accepted');
    return f;
  }

  it('25 connection resets in 5 s (each connection cut, reconnects allowed)', async () => {
    await scenario('pg-resets', async () => {
      for (let i = 0; i < 25; i++) {
        proxy.cut();
        await sleep(200);
      }
      return `25 resets, ${proxy.accepted} connections accepted by the proxy`;
    });
  });

  it('down for 3 s (connections cut and refused): REST answers 503, then recovers', async () => {
    let during = { status: -1, ms: 0 };
    await scenario('pg-down', async () => {
      proxy.refuse();
      proxy.cut();
      during = await timedGet(srv, '/api/chat/groups/', KABIR, ANSWER_MS);
      await sleep(Math.max(0, 3000 - during.ms));
      proxy.pass();
      return `REST during the outage: ${during.status} in ${during.ms} ms`;
    });
    expect(during.status, 'REST while Postgres is down').to.equal(503);
  });

  it(`black-holed for 12 s (nothing forwarded, connections held): REST answers 503 within ${ANSWER_MS / 1000} s, then recovers`, async () => {
    let during = { status: -1, ms: 0 };
    await scenario('pg-blackhole', async () => {
      const t0 = Date.now();
      proxy.blackhole();
      during = await timedGet(srv, '/api/chat/groups/', KABIR, ANSWER_MS);
      await sleep(Math.max(0, 12000 - (Date.now() - t0)));
      proxy.pass();
      return `REST during the black hole: ${during.status || 'no answer'} in ${during.ms} ms`;
    });
    expect(during.status, `REST while Postgres is black-holed: the documented 503 within ${ANSWER_MS} ms`).to.equal(503);
  });

  it('slow link (every chunk delayed 100 ms) for 4 s: everything acknowledged, nothing refused', async () => {
    const f = await scenario('pg-slow', async () => {
      proxy.delayMs = 100;
      await sleep(4000);
      proxy.delayMs = 0;
      return 'link delayed 100 ms per chunk for 4 s';
    });
    expect(f.refused, 'sends refused on a slow (not broken) link').to.equal(0);
  });
});
