// A member whose app stops reading (issue 13, "Build it to last"): its TCP socket is paused while the
// room is flooded with 8 KiB messages. The server must drop that reader (1013 once its send buffer
// passes WS_SEND_BUFFER_BYTES) instead of holding the room's frames in memory, the other members must
// get every message, and the process's memory must stay bounded. Figures printed: the conversation's
// (test/faults/conversation.ts) and the flood's, the stuck socket's fate, RSS.
import { expect } from 'chai';
import { backends, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { Conversation, expectNoLossNoDuplicates, printFigures, type Endpoint } from './conversation.ts';

const backend = backends().includes('pg') ? 'pg' : 'pglite';
const FLOOD = 1500;
const FLOOD_BYTES = 8 * 1024;

describe(`faults: a consumer that stops reading [${backend}]`, function () {
  this.timeout(180000);
  let srv: TestServer;
  const open: WsClient[] = [];
  let conv: Conversation | null = null;

  before(async () => {
    // The flood goes faster than the default frame rate bound and than the writer stores (WS_SEND_MAX_WAIT_MS
    // would refuse some); the bound under test is the send buffer.
    srv = await startServer(backend, {
      env: {
        WS_RATE_PER_SECOND: '2000',
        WS_RATE_BURST: '2000',
        WS_USER_RATE_PER_SECOND: '4000',
        WS_USER_RATE_BURST: '4000',
        WS_SEND_MAX_WAIT_MS: '0',
      },
    });
  });

  after(async () => {
    conv?.close();
    for (const c of open) c.terminate();
    await srv?.close();
  });

  it('the stuck reader is closed (1013), the others get every message, RSS stays bounded', async () => {
    const ep = (email: string, label: string): Endpoint => ({ wsUrl: srv.wsUrl, token: userToken(email), room: 1, label });
    const c = (conv = new Conversation('slow-reader', [ep('kabir.singh@akgec.ac.in', 'kabir')], [ep('riya.sharma@akgec.ac.in', 'riya')]));
    await c.open();
    const stuck = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${userToken('tanya.gupta@akgec.ac.in')}`);
    open.push(stuck);
    (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const flooder = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${userToken('anagh.jaiswar@akgec.ac.in')}`);
    open.push(flooder);

    const rssBase = process.memoryUsage().rss;
    let rssMax = rssBase;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 50);
    const slowBefore = srv.ws.hub.stats.slowClosed;
    c.start();
    const pad = 'x'.repeat(FLOOD_BYTES);
    let floodAcked = 0;
    // The flood: 8 KiB sends with client_ids, in bursts of 50 whose acks are awaited (the socket's backlog bound).
    for (let i = 0; i < FLOOD; i += 50) {
      for (let k = i; k < i + 50 && k < FLOOD; k++)
        flooder.send({ message: `slow-flood-${k} ${pad}`, client_id: `slow-flood-${k}-${Date.now().toString(36)}` });
      const want = Math.min(FLOOD, i + 50);
      const deadline = Date.now() + 30000;
      while (floodAcked < want && Date.now() < deadline) {
        await flooder.waitFrames(1, deadline - Date.now());
        for (const f of flooder.takeAll()) if ((f.json as { action?: string } | undefined)?.action === 'message_ack') floodAcked++;
      }
    }
    c.stopSending();
    await c.settle(30000);
    clearInterval(sampler);
    const slowClosed = srv.ws.hub.stats.slowClosed - slowBefore;
    const rtt = await c.roundTrip(15000);
    const f = await c.figures(srv.ctx.db.knex);
    const floodStored = Number(
      (await srv.ctx.db.knex('Chat_message').where('content', 'like', 'slow-flood-%').count<{ c: string }[]>('* as c'))[0].c,
    );
    const growth = (rssMax - rssBase) / 1048576;
    printFigures(
      'slow consumer',
      f,
      `flood ${FLOOD} × ${FLOOD_BYTES / 1024} KiB: acknowledged ${floodAcked}, stored ${floodStored}; stuck readers closed by the server ${slowClosed}; ` +
        `RSS ${(rssBase / 1048576).toFixed(0)} → max ${(rssMax / 1048576).toFixed(0)} MiB (+${growth.toFixed(0)}); round trip after ${rtt} ms`,
    );
    expectNoLossNoDuplicates(f);
    expect(floodAcked, 'flood acknowledged').to.equal(FLOOD);
    expect(floodStored, 'flood stored once each').to.equal(FLOOD);
    expect(slowClosed, 'the stuck reader was closed by the server').to.equal(1);
    // The stuck socket held at most the send-buffer bound (4 MiB) plus what one turn writes; the flood
    // itself is 12 MiB: growth well under it means the room's frames were not held for the stuck reader.
    expect(growth, 'RSS growth (MiB) while one reader is stuck').to.be.below(200);
  });
});
