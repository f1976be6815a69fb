// Concurrent handshakes share one lookup statement (a reconnect storm costs one round trip per batch, not
// per socket), and each still gets its own answer: accepted, or refused as it would be alone — a bad
// token, a room the user is not in, an inactive room, an inactive user, a key the batch does not take.
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { LISTEN_BACKLOG } from '../../src/app.ts';
import { userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { HandshakeLookups, lookupSocketUser } from '../../src/realtime/handshake.ts';
import type { Db } from '../../src/db/sql.ts';

const ANAGH = userToken('Anagh'); // rooms 1 2 3 4 (4 inactive)
const RIYA = userToken('Riya'); // rooms 1 2 3
const MEERA = userToken('Meera'); // rooms 1 3
const DEV = userToken('Dev'); // no room

describeServer('socket handshakes in batches', (server) => {
  const opened: WsClient[] = [];
  afterEach(() => {
    for (const c of opened.splice(0)) c.close();
  });

  it('many handshakes at once: one statement for many, each answered as alone', async () => {
    const cases: Array<[string, number | 'notifications']> = [];
    // 90 at once: PGlite on a loaded machine answers them one statement at a time, slowly; each waits up to 30 s.
    for (let i = 0; i < 10; i++) {
      cases.push([`/ws/chat/1/?token=${RIYA}`, 101]);
      cases.push([`/ws/chat/2/?token=${MEERA}`, 403]); // not a member
      cases.push([`/ws/chat/4/?token=${ANAGH}`, 403]); // inactive room
      cases.push([`/ws/chat/3/?token=${DEV}`, 403]);
      cases.push([`/ws/chat/3/?token=${'0'.repeat(40)}`, 403]); // no such token
      cases.push([`/ws/chat/3/?token=${MEERA}`, 101]);
      cases.push([`/ws/notifications/?token=${DEV}`, 101]);
      cases.push([`/ws/chat/999999/?token=${ANAGH}`, 403]); // no such room
      cases.push([`/ws/chat/3/?token=%E2%82%AC${i}`, 403]); // not batchable (non-ASCII): the single statement
    }
    const before = { ...server.ctx.handshakes.stats };
    const results = await Promise.all(
      cases.map(async ([path]) => {
        const r = await WsClient.open(`${server.wsUrl}${path}`, 30000);
        if ('client' in r) {
          opened.push(r.client);
          return 101;
        }
        return r.status;
      }),
    );
    expect(results).to.deep.equal(cases.map(([, status]) => (status === 'notifications' ? 101 : status)));
    const statements = server.ctx.handshakes.stats.statements - before.statements;
    const lookups = server.ctx.handshakes.stats.lookups - before.lookups;
    expect(lookups).to.equal(cases.length);
    expect(statements).to.be.at.most(lookups);
    // Every accepted chat socket is in its room: a message reaches the other members.
    const inRoom1 = opened.filter((c) => c.ws.url.includes('/ws/chat/1/'));
    expect(inRoom1).to.have.length(10);
    inRoom1[0].send({ message: 'batched hello' });
    for (const c of inRoom1) expect(await c.nextJson(10000)).to.include({ message: 'batched hello' });
  });

  it('lookups of one turn: one statement, each row as the single statement gives it', async () => {
    const { knex } = server.ctx.db;
    const keys = [ANAGH, RIYA, MEERA, DEV, '0'.repeat(40), 'x"y\\z', RIYA, '€uro', 'a\u0000b'];
    const rooms = [1, 2, 3, 4, 999999, null, 2_147_483_648];
    const asked = keys.flatMap((k) => rooms.map((r) => [k, r] as const));
    const lookups = new HandshakeLookups(knex);
    const batched = await Promise.allSettled(asked.map(([k, r]) => lookups.lookup(k, r)));
    const alone = await Promise.allSettled(asked.map(([k, r]) => lookupSocketUser(knex, k, r)));
    const view = (o: PromiseSettledResult<unknown>) => (o.status === 'fulfilled' ? o.value : `error: ${(o.reason as Error).message.slice(0, 40)}`);
    expect(batched.map(view)).to.deep.equal(alone.map(view));
    expect(batched.filter((o) => o.status === 'fulfilled' && o.value !== null)).to.have.length(5 * rooms.length);
    // Non-ASCII keys, a NUL and a room id past int4 take the single statement: 2 keys × 7 rooms + 7 × 1 key.
    const single = asked.filter(([k, r]) => /[^\x20-\x7e]/.test(k) || r === 2_147_483_648).length;
    expect(lookups.stats.statements).to.equal(1 + single);
  });

  it('the listening socket takes a reconnect storm: its backlog is 4096 (capped by somaxconn), not 511', async function () {
    if (process.platform !== 'linux') this.skip();
    const port = new URL(server.baseUrl).port;
    const out = execFileSync('ss', ['-ltnH', `sport = :${port}`])
      .toString()
      .trim()
      .split(/\s+/);
    const somaxconn = Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    expect(Number(out[2])).to.equal(Math.min(LISTEN_BACKLOG, somaxconn)); // State Recv-Q Send-Q: Send-Q = backlog
  });

  it('an inactive user is refused inside a batch; a database error refuses every handshake of the batch', async () => {
    await server.ctx.db.knex('User_user').where({ id: 4 }).update({ is_active: false }); // Meera
    const paths = [`/ws/chat/1/?token=${MEERA}`, `/ws/chat/1/?token=${RIYA}`];
    const statuses = await Promise.all(
      paths.map(async (p) => {
        const r = await WsClient.open(`${server.wsUrl}${p}`);
        if ('client' in r) {
          opened.push(r.client);
          return 101;
        }
        return r.status;
      }),
    );
    expect(statuses).to.deep.equal([403, 101]);
    // The batch's statement failing rejects each pending lookup with that error.
    const down = { isTransaction: false, client: { config: { client: 'fake' } }, raw: () => Promise.reject(new Error('database down')) };
    const broken = new HandshakeLookups(down as unknown as Db);
    const outcomes = await Promise.allSettled([broken.lookup('a'.repeat(40), 1), broken.lookup('b'.repeat(40), null)]);
    expect(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error).message : 'fulfilled'))).to.deep.equal([
      'database down',
      'database down',
    ]);
    expect(broken.stats.statements).to.equal(1);
  });
});
