// Online/offline across processes (push decisions): two registries on one Redis see each other's
// users; a process that dies without withdrawing stops counting once its advertisement expires.
import { expect } from 'chai';
import { Redis } from 'ioredis';
import pino from 'pino';
import { MemoryOnlineRegistry, RedisOnlineRegistry, ONLINE_KEY_PREFIX } from '../../src/realtime/online.ts';
import { describeNeeding, redisMissing, redisUrl } from '../helpers/suites.ts';

const log = pino({ level: 'silent' });
const uid = () => 800000 + Math.floor(Math.random() * 99999);

describe('online registry', () => {
  it('memory: counts sockets per user', async () => {
    const r = new MemoryOnlineRegistry();
    r.connected(1);
    r.connected(1);
    r.disconnected(1);
    expect([...(await r.onlineAmong([1, 2]))]).to.deep.equal([1]);
    r.disconnected(1);
    expect([...(await r.onlineAmong([1, 2]))]).to.deep.equal([]);
  });

  describeNeeding('redis', [redisMissing], () => {
    let url: string;
    const made: Redis[] = [];
    const registry = (ttlMs = 90_000, heartbeatMs = 30_000) => {
      const c = new Redis(url);
      made.push(c);
      return new RedisOnlineRegistry(c, log, ttlMs, heartbeatMs);
    };
    before(() => {
      url = redisUrl();
    });

    it("a user online on process A is online for process B, until A's last socket closes", async () => {
      const a = registry();
      const b = registry();
      const u = uid();
      a.connected(u);
      a.connected(u);
      await new Promise((r) => setTimeout(r, 100));
      expect([...(await b.onlineAmong([u, u + 1]))]).to.deep.equal([u]);
      a.disconnected(u);
      await new Promise((r) => setTimeout(r, 100));
      expect([...(await b.onlineAmong([u]))]).to.deep.equal([u]);
      a.disconnected(u);
      await new Promise((r) => setTimeout(r, 100));
      expect([...(await b.onlineAmong([u]))]).to.deep.equal([]);
      await a.close();
      await b.close();
    });

    it('a storm of connects in one turn is one script per 1,000 users, and operations keep their order', async () => {
      const c = new Redis(url);
      made.push(c);
      let scripts = 0;
      const evalScript = c.eval.bind(c);
      c.eval = ((...args: unknown[]) => {
        scripts += 1;
        return (evalScript as (...a: unknown[]) => ReturnType<Redis['eval']>)(...args);
      }) as Redis['eval'];
      const a = new RedisOnlineRegistry(c, log);
      const b = registry();
      const users = Array.from({ length: 50 }, (_, i) => 700000 + Math.floor(Math.random() * 1000) * 100 + i);
      for (const u of users) a.connected(u);
      await new Promise((r) => setTimeout(r, 100));
      expect(scripts).to.equal(1);
      expect((await b.onlineAmong(users)).size).to.equal(50);
      // Down and up again in one turn: the user stays advertised (the withdraw runs before the advertise).
      a.disconnected(users[0]);
      a.connected(users[0]);
      a.disconnected(users[1]);
      await new Promise((r) => setTimeout(r, 100));
      expect(scripts).to.equal(2);
      const online = await b.onlineAmong(users.slice(0, 2));
      expect([...online]).to.deep.equal([users[0]]);
      // 1,500 in one turn: two scripts (at most 1,000 keys each), every user advertised.
      const many = Array.from({ length: 1500 }, (_, i) => 900000 + i);
      for (const u of many) a.connected(u);
      await new Promise((r) => setTimeout(r, 300));
      expect(scripts).to.equal(4);
      expect((await b.onlineAmong(many)).size).to.equal(1500);
      await a.close();
      await b.close();
    });

    it("a dead process's users expire; a live one keeps them with its heartbeat", async () => {
      const dead = registry(300, 100_000);
      const live = registry(300, 100);
      const b = registry();
      const [u1, u2] = [uid(), uid()];
      dead.connected(u1);
      live.connected(u2);
      await new Promise((r) => setTimeout(r, 700));
      expect([...(await b.onlineAmong([u1, u2]))]).to.deep.equal([u2]);
      await live.close();
      await b.close();
      await dead.close();
      const raw = new Redis(url);
      await raw.del(`${ONLINE_KEY_PREFIX}${u1}`, `${ONLINE_KEY_PREFIX}${u2}`);
      raw.disconnect();
    });
  });
});
