// WS_MAX_SOCKETS_PER_USER across processes (WS_MAX_SOCKETS_PER_USER_SHARED=true): two servers on one Redis
// count a user's sockets together, a close on one frees a place on the other, and a crashed process's
// places lapse on their own (src/realtime/socketPlaces.ts). Without the setting the bound stays per process.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { backends, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { describeNeeding, redisMissing, redisUrl } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { SharedSocketPlaces, SOCKET_PLACES_KEY_PREFIX } from '../../src/realtime/socketPlaces.ts';
import { createLogger } from '../../src/log.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';

const KABIR = userToken('Kabir'); // rooms 1 2 3
const RIYA = userToken('Riya');
const LIMIT_ERROR = '{"error": "Too many open connections for this user: close some and try again."}';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const backend = backends().includes('pg') ? 'pg' : 'pglite';

async function clearCounts(): Promise<void> {
  const redis = new Redis(redisUrl());
  const keys = await redis.keys(`${SOCKET_PLACES_KEY_PREFIX}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}

/** Opens a socket and says whether it stays: 'open', or 'refused' (the limit's error frame, then 1008). */
async function outcome(c: WsClient): Promise<'open' | 'refused'> {
  const closed = await c.waitForClose(700);
  if (closed === null) return 'open';
  expect(closed.code).to.equal(1008);
  expect(c.frames.map((f) => f.text)).to.deep.equal([LIMIT_ERROR]);
  return 'refused';
}

describe('WS_MAX_SOCKETS_PER_USER_SHARED setting', () => {
  it('is off by default and needs REDIS_URL', () => {
    expect(loadConfig({}).wsMaxSocketsPerUserShared).to.equal(false);
    expect(() => loadConfig({ WS_MAX_SOCKETS_PER_USER_SHARED: 'true' })).to.throw(ConfigError, /REDIS_URL/);
    expect(loadConfig({ WS_MAX_SOCKETS_PER_USER_SHARED: 'true', REDIS_URL: 'redis://127.0.0.1:6379/5' }).wsMaxSocketsPerUserShared).to.equal(true);
  });
});

for (const shared of [true, false]) {
  describeNeeding(
    `per-user socket bound over two servers, ${shared ? 'shared through Redis' : 'per process (default)'} [${backend}]`,
    [redisMissing],
    function () {
      this.timeout(60000);
      let a: TestServer;
      let b: TestServer;
      const open: WsClient[] = [];
      const connect = async (srv: TestServer, token: string, room: number) => {
        const c = await WsClient.connect(`${srv.wsUrl}/ws/chat/${room}/?token=${token}`, 10000);
        open.push(c);
        return c;
      };

      before(async () => {
        await clearCounts();
        const env = { REDIS_URL: redisUrl(), WS_MAX_SOCKETS_PER_USER: '2', ...(shared ? { WS_MAX_SOCKETS_PER_USER_SHARED: 'true' } : {}) };
        a = await startServer(backend, { env });
        b = await startServer(backend, { env, seed: false });
      });
      afterEach(() => {
        for (const c of open.splice(0)) c.terminate();
      });
      after(async () => {
        await a?.close();
        await b?.close();
        await clearCounts();
      });

      if (shared) {
        it("counts a user's sockets on both servers; a close on one frees a place on the other", async () => {
          const k1 = await connect(a, KABIR, 1);
          const k2 = await connect(b, KABIR, 2);
          expect([await outcome(k1), await outcome(k2)]).to.deep.equal(['open', 'open']);
          // Two open (one on each server): a third is refused on either.
          expect(await outcome(await connect(a, KABIR, 3))).to.equal('refused');
          expect(await outcome(await connect(b, KABIR, 1))).to.equal('refused');
          // Another user is not affected.
          expect(await outcome(await connect(b, RIYA, 1))).to.equal('open');
          // Closing the one on B frees a place, taken on A.
          await k2.closeAndWait();
          await sleep(200);
          expect(await outcome(await connect(a, KABIR, 2))).to.equal('open');
          expect(await outcome(await connect(b, KABIR, 3))).to.equal('refused');
          // Refused handshakes took no place: after all of the above, Redis holds exactly the two open ones.
          const redis = new Redis(redisUrl());
          const fields = await redis.hgetall(`${SOCKET_PLACES_KEY_PREFIX}3`);
          redis.disconnect();
          const counts = Object.entries(fields).filter(([f]) => f.startsWith('c:'));
          expect(counts.reduce((n, [, v]) => n + Number(v), 0)).to.equal(2);
        });
      } else {
        it('each server allows WS_MAX_SOCKETS_PER_USER on its own', async () => {
          const mine = [await connect(a, KABIR, 1), await connect(a, KABIR, 2), await connect(b, KABIR, 1), await connect(b, KABIR, 2)];
          expect(await Promise.all(mine.map(outcome))).to.deep.equal(['open', 'open', 'open', 'open']);
          expect(await outcome(await connect(a, KABIR, 3))).to.equal('refused');
        });
      }
    },
  );
}

describeNeeding('shared socket counts: crash safety', [redisMissing], function () {
  this.timeout(30000);
  const log = createLogger('silent');
  const USER = 424242;
  beforeEach(clearCounts);
  after(clearCounts);

  it("a crashed process's places lapse after the TTL; a live one's are kept by its heartbeat", async () => {
    const live = new SharedSocketPlaces(new Redis(redisUrl()), log, 600, 150);
    const crashed = new SharedSocketPlaces(new Redis(redisUrl()), log, 600, 150);
    const other = new SharedSocketPlaces(new Redis(redisUrl()), log, 600, 150);
    try {
      expect(await live.claim(USER, 3)).to.equal(true);
      expect(await crashed.claim(USER, 3)).to.equal(true);
      expect(await crashed.claim(USER, 3)).to.equal(true);
      expect(await other.claim(USER, 3)).to.equal(false);
      crashed.abandon(); // no release, no heartbeat: as a killed process
      await sleep(1200); // twice the TTL: the live process refreshed its entry meanwhile
      expect(await other.claim(USER, 3)).to.equal(true);
      expect(await other.claim(USER, 3)).to.equal(true);
      expect(await other.claim(USER, 3), 'the live place still counts').to.equal(false);
      live.release(USER);
      await sleep(100);
      expect(await other.claim(USER, 3)).to.equal(true);
    } finally {
      await live.close();
      await other.close();
    }
  });
});
