// Redis outage with two csi-chat servers on a private redis-server that the test kills (SIGKILL)
// mid-conversation and restarts: no crash, every message stored, local members keep receiving,
// fan-out to the other server resumes (buffered sends replayed) within seconds. Figures printed.
// The conversation runs through the REST upload endpoint (which publishes chat_message through the
// layer) and layer listeners standing in for sockets; a second test does it with real chat sockets.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { RedisChannelLayer } from '../../src/layers/redis.ts';
import type { LayerMessage } from '../../src/layers/types.ts';
import { backends, ROOT, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { describeNeeding, redisMissing } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { RedisServerProcess, testPrefix, until, sleep } from '../helpers/redis.ts';

const PNG = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.png'));
const KABIR = userToken('kabir.singh@akgec.ac.in');
const MEERA = userToken('meera.nair@akgec.ac.in');
const RIYA = userToken('riya.sharma@akgec.ac.in');

async function upload(srv: TestServer, token: string, content: string): Promise<number> {
  const form = new FormData();
  form.append('content', content);
  form.append('attachment', new File([new Uint8Array(PNG)], 'tiny.png', { type: 'image/png' }));
  const res = await fetch(`${srv.baseUrl}/api/chat/groups/1/messages/upload/`, {
    method: 'POST',
    headers: { Authorization: `Token ${token}` },
    body: form,
  });
  await res.text();
  return res.status;
}

async function listen(srv: TestServer) {
  const events: LayerMessage[] = [];
  const channel = srv.ctx.layer.newChannel();
  srv.ctx.layer.register(channel, (m) => events.push(m));
  await srv.ctx.layer.groupAdd('chat_1', channel);
  return events;
}

const texts = (evs: LayerMessage[], tag: string) => evs.map((e) => String(e.message)).filter((t) => t.startsWith(tag));

for (const backend of backends()) {
  // Runs a private redis-server; it counts among the Redis suites, which run where REDIS_URL is set.
  describeNeeding(`Redis outage under two csi-chat servers [${backend}]`, [redisMissing], function () {
    this.timeout(120000);
    let redis: RedisServerProcess;
    let a: TestServer;
    let b: TestServer;
    let la: RedisChannelLayer;
    let lb: RedisChannelLayer;

    before(async () => {
      redis = await RedisServerProcess.start();
      const prefix = testPrefix();
      la = new RedisChannelLayer({ url: redis.url, prefix, blockTimeout: 1, maxBackoffMs: 1000 });
      lb = new RedisChannelLayer({ url: redis.url, prefix, blockTimeout: 1, maxBackoffMs: 1000 });
      await la.start();
      await lb.start();
      a = await startServer(backend, { build: { layer: la } });
      b = await startServer(backend, { build: { layer: lb }, seed: false });
    });

    after(async () => {
      await a?.close();
      await b?.close();
      await redis?.kill();
    });

    it('kill redis-server mid-conversation, keep sending on both servers, restart: all stored, local delivery throughout, fan-out resumes', async () => {
      const onA = await listen(a);
      const onB = await listen(b);
      const health: Array<[string, boolean, number]> = [];
      const t0 = Date.now();
      la.on('health', (h: boolean) => health.push(['A', h, Date.now() - t0]));
      lb.on('health', (h: boolean) => health.push(['B', h, Date.now() - t0]));
      const statuses: number[] = [];
      let seq = 0;
      const round = async (phase: string, n: number, pauseMs = 0) => {
        for (let i = 0; i < n; i++) {
          if (pauseMs) await sleep(pauseMs);
          statuses.push(await upload(a, KABIR, `kabir@A:${phase}:${seq}`));
          statuses.push(await upload(b, RIYA, `riya@B:${phase}:${seq}`));
          seq++;
        }
      };

      await round('before', 5);
      expect(await until(() => onA.length === 10 && onB.length === 10, 5000)).to.equal(true);

      await redis.kill();
      const killedAt = Date.now();
      expect(await until(() => !la.isHealthy() && !lb.isHealthy(), 5000)).to.equal(true);
      await round('during', 10, 300); // an outage of ~3 s: reconnect attempts back off meanwhile
      // both processes are alive and answered 201 for every send
      expect(
        statuses.every((s) => s === 201),
        statuses.join(','),
      ).to.equal(true);
      await sleep(100);
      const duringLocalA = texts(onA, 'kabir@A:during').length;
      const duringLocalB = texts(onB, 'riya@B:during').length;
      const duringRemoteA = texts(onA, 'riya@B:during').length;
      const duringRemoteB = texts(onB, 'kabir@A:during').length;
      expect(duringLocalA).to.equal(10);
      expect(duringLocalB).to.equal(10);
      expect(duringRemoteA + duringRemoteB).to.equal(0);
      expect(la.bufferedCount()).to.equal(10);

      await redis.start();
      const restartedAt = Date.now();
      expect(await until(() => la.isHealthy() && lb.isHealthy(), 15000)).to.equal(true);
      const healthyAfterMs = Date.now() - restartedAt;
      // buffered sends reached the other server after the restart
      expect(
        await until(() => onA.length === 30 && onB.length === 30, 10000),
        `A ${onA.length} B ${onB.length} ${JSON.stringify({ a: la.stats, b: lb.stats })}`,
      ).to.equal(true);
      const replayedAfterMs = Date.now() - restartedAt;
      await round('after', 5);
      expect(
        await until(() => onA.length === 40 && onB.length === 40, 10000),
        `A ${onA.length} B ${onB.length} ${JSON.stringify({ a: la.stats, b: lb.stats })} ${onB.map((e) => e.message).join(',')}`,
      ).to.equal(true);

      // per-sender order on both sides, no duplicates
      for (const evs of [onA, onB]) {
        for (const tag of ['kabir@A', 'riya@B']) {
          const got = texts(evs, tag).map((t) => Number(t.split(':')[2]));
          expect(got).to.deep.equal([...Array(20).keys()]);
        }
      }
      const stored = await a.ctx.db.knex('Chat_message').where('id', '>', 31).count<{ count: number }[]>('* as count');
      expect(Number(stored[0].count)).to.equal(40);
      console.log(
        `      sent 40 (20 per server; 20 while Redis was down ${restartedAt - killedAt} ms), stored ${stored[0].count}, ` +
          `delivered during outage: local ${duringLocalA + duringLocalB}/20, cross-server ${duringRemoteA + duringRemoteB}/20; ` +
          `after restart: healthy in ${healthyAfterMs} ms, buffered ones delivered cross-server within ${replayedAfterMs} ms ` +
          `(replayed A ${la.stats.replayed}, B ${lb.stats.replayed}); delivered in total A ${onA.length}/40, B ${onB.length}/40; ` +
          `health events ${JSON.stringify(health.map(([w, h]) => `${w}:${h ? 'up' : 'down'}`))}`,
      );
    });

    it('sockets stay open through the outage and get local messages', async function () {
      await a.reset();
      const kabirA = await WsClient.connect(`${a.wsUrl}/ws/chat/1/?token=${KABIR}`);
      const meeraA = await WsClient.connect(`${a.wsUrl}/ws/chat/1/?token=${MEERA}`);
      const riyaB = await WsClient.connect(`${b.wsUrl}/ws/chat/1/?token=${RIYA}`);
      try {
        await redis.kill();
        expect(await until(() => !la.isHealthy(), 5000)).to.equal(true);
        kabirA.send({ message: 'while redis is down' });
        const f = await meeraA.nextJson<{ message: string }>(5000);
        expect(f.message).to.equal('while redis is down');
        await redis.start();
        expect(await until(() => la.isHealthy() && lb.isHealthy(), 15000)).to.equal(true);
        const r = await riyaB.nextJson<{ message: string }>(10000);
        expect(r.message).to.equal('while redis is down');
        expect(kabirA.closed).to.equal(null);
        expect(riyaB.closed).to.equal(null);
      } finally {
        kabirA.close();
        meeraA.close();
        riyaB.close();
      }
    });
  });
}
