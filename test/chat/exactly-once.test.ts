// Exactly-once sends when the Postgres connection breaks (issue 13 #7): the batched message writer
// (ctx.chatMessages) behind a TCP proxy that delays every chunk and is cut while a statement is in flight —
// before the server got it, between its commit and its answer, or after. Every message must be stored
// once, and each sender told the truth: the stored row, or (Postgres staying away) "outcome unknown",
// never "nothing was saved" for a saved message and never a second copy.
import { expect } from 'chai';
import { resetToSeed } from '../helpers/harness.ts';
import { describeNeeding, postgresMissing } from '../helpers/suites.ts';
import { TcpProxy } from '../helpers/tcpProxy.ts';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { nowTimestamp } from '../../src/drf/datetime.ts';
import { SendOutcomeUnknown, SocketMessageWriter, type NewSocketMessage } from '../../src/chat/socketQueries.ts';

const SENDERS = [1, 2, 3, 4, 6]; // members of room 1

describeNeeding('exactly-once batched sends across connection resets [pg]', [postgresMissing], function () {
  this.timeout(180000);
  let proxy: TcpProxy;
  let viaProxy: Database;
  let direct: Database;

  before(async () => {
    const url = new URL(process.env.DATABASE_URL!);
    proxy = await TcpProxy.start({ targetHost: url.hostname, targetPort: Number(url.port || 5432) });
    viaProxy = await openDatabase({ databaseUrl: proxy.rewrite(process.env.DATABASE_URL!), pgliteDir: null });
    direct = await openDatabase({ databaseUrl: process.env.DATABASE_URL!, pgliteDir: null });
  });

  after(async () => {
    await viaProxy?.close();
    await direct?.close();
    await proxy?.close();
  });

  beforeEach(async () => {
    proxy.pass();
    proxy.delayMs = 0;
    await resetToSeed(direct);
  });

  const message = (tag: string, i: number): NewSocketMessage => ({
    roomId: 1,
    senderId: SENDERS[i % SENDERS.length],
    messageType: 'text',
    content: `${tag} ${i}`,
    attachment: null,
    parentId: null,
    mentionIds: [],
    createdAt: nowTimestamp(),
  });

  const stored = async (tag: string) =>
    (await direct.knex('Chat_message').where('content', 'like', `${tag} %`).select('id', 'content')) as Array<{ id: number; content: string }>;

  async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Sends `n` messages through a fresh writer on a slow link and cuts the link once `cutAt` rows are stored. */
  async function sendAndCut(tag: string, n: number, cutAt: number, writer: SocketMessageWriter) {
    // Warm connections first, then slow the link so a statement's answer waits in the proxy.
    await Promise.all(Array.from({ length: 4 }, () => viaProxy.knex.raw('SELECT pg_sleep(0.05)')));
    proxy.delayMs = 300;
    const sends = Array.from({ length: n }, (_, i) => writer.insert(message(tag, i)));
    const settled = Promise.allSettled(sends);
    await until(async () => (await stored(tag)).length >= cutAt, 30000);
    proxy.cut();
    return settled;
  }

  for (const [label, cutAt] of [
    ['after the single sends committed (the batch still in flight or not yet sent)', 3],
    ['between the batch’s commit and its answer', 10],
  ] as const) {
    it(`stores every message once and acknowledges it with its row when the link is cut ${label}`, async () => {
      const writer = new SocketMessageWriter(viaProxy.knex, 10000);
      const outcomes = await sendAndCut(`eo${cutAt}`, 10, cutAt, writer);
      proxy.delayMs = 0;
      const rows = await stored(`eo${cutAt}`);
      const counts = new Map<string, number>();
      for (const r of rows) counts.set(r.content, (counts.get(r.content) ?? 0) + 1);
      console.log(`      cut ${label}: sent 10, stored ${rows.length}, duplicated ${rows.length - counts.size}`);
      expect(
        [...counts.values()].filter((c) => c > 1),
        'duplicates',
      ).to.deep.equal([]);
      expect(rows).to.have.length(10);
      // Each sender was told its own stored row.
      const ids = new Map(rows.map((r) => [r.content, Number(r.id)]));
      outcomes.forEach((o, i) => {
        expect(o.status, `message ${i}: ${o.status === 'rejected' ? String(o.reason) : ''}`).to.equal('fulfilled');
        const row = (o as PromiseFulfilledResult<{ id: number | null; is_member: boolean }>).value;
        expect([row.is_member, row.id]).to.deep.equal([true, ids.get(`eo${cutAt} ${i}`)]);
      });
    });
  }

  it('says the outcome is unknown (not "nothing was saved") while Postgres stays away, and never stores twice', async () => {
    const writer = new SocketMessageWriter(viaProxy.knex, 1500);
    await Promise.all(Array.from({ length: 4 }, () => viaProxy.knex.raw('SELECT 1')));
    proxy.delayMs = 300;
    const sends = Array.from({ length: 10 }, (_, i) => writer.insert(message('eox', i)));
    const settled = Promise.allSettled(sends);
    await until(async () => (await stored('eox')).length >= 10, 30000);
    proxy.refuse();
    proxy.cut();
    const outcomes = await settled;
    proxy.pass();
    proxy.delayMs = 0;
    const unknown = outcomes.filter((o) => o.status === 'rejected');
    expect(unknown.length, 'some answers were lost with the link').to.be.greaterThan(0);
    for (const o of unknown) expect((o as PromiseRejectedResult).reason).to.be.instanceOf(SendOutcomeUnknown);
    const rows = await stored('eox');
    expect(rows).to.have.length(10);
    expect(new Set(rows.map((r) => r.content)).size).to.equal(10);
  });
});
