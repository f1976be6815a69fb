// A hung database (issue 13, finding 3): Postgres behind a TCP proxy that black-holes the link. REST
// answers the documented 503 within the configured bounds instead of hanging, socket actions get the
// documented error frame, a socket's backlog of unhandled frames is bounded (error frame, then 1013),
// and everything works again once the link is back.
import { expect } from 'chai';
import { openDatabase, type Database } from '../../src/db/index.ts';
import { startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { call } from '../helpers/http.ts';
import { describeNeeding, postgresMissing } from '../helpers/suites.ts';
import { TcpProxy } from '../helpers/tcpProxy.ts';
import { WsClient } from '../helpers/wsclient.ts';

const KABIR = userToken('kabir.singh@akgec.ac.in');
const UNAVAILABLE = '{"detail":"Service temporarily unavailable, try again later."}';

describeNeeding('a hung database (Postgres black-holed behind a proxy)', [postgresMissing], function () {
  this.timeout(120000);
  let proxy: TcpProxy;
  let db: Database;
  let srv: TestServer;
  const timeouts = { connectMs: 1000, statementMs: 1500, poolAcquireMs: 1000 };

  before(async () => {
    proxy = await TcpProxy.start({ targetPort: Number(new URL(process.env.DATABASE_URL!).port || 5432) });
    db = await openDatabase({ databaseUrl: proxy.rewrite(process.env.DATABASE_URL!), pgliteDir: null, poolMax: 4, timeouts });
    srv = await startServer('pg', { build: { db }, env: { WS_MAX_PENDING_FRAMES: '5' } });
  });
  after(async () => {
    proxy?.pass();
    await srv?.close();
    await db?.close().catch(() => undefined);
    await proxy?.close();
  });
  afterEach(() => proxy.pass());

  it('REST answers 503 within the bounds while the link is black-holed, and 200 again once it is back', async () => {
    expect((await call(srv, 'GET', '/api/chat/groups/', KABIR)).status).to.equal(200);
    proxy.blackhole();
    for (let k = 0; k < 3; k++) {
      const t = Date.now();
      const res = await fetch(`${srv.baseUrl}/api/chat/groups/`, {
        headers: { Authorization: `Token ${KABIR}` },
        signal: AbortSignal.timeout(15000),
      });
      const elapsed = Date.now() - t;
      expect(res.status).to.equal(503);
      expect(await res.text()).to.equal(UNAVAILABLE);
      expect(res.headers.get('retry-after')).to.equal('5');
      // statement bound + pool wait + connect bound, with room for a loaded machine
      expect(elapsed, `answered after ${elapsed} ms`).to.be.below(timeouts.statementMs + timeouts.poolAcquireMs + timeouts.connectMs + 3000);
    }
    proxy.pass();
    proxy.cut(); // the held connections are gone as after a real outage
    const deadline = Date.now() + 15000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await call(srv, 'GET', '/api/chat/groups/', KABIR)).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).to.equal(200);
  });

  it('a socket send gets the error frame, and a backlog past WS_MAX_PENDING_FRAMES gets one error, then 1013', async () => {
    const c = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${KABIR}`);
    try {
      proxy.blackhole();
      c.send({ action: 'edit_message', message_id: 1, new_content: 'x' });
      const first = await c.next(15000);
      expect(first.text).to.match(/^\{"error": "Service temporarily unavailable/);
      // Frames keep coming while each waits for the database: the sixth waiting one is refused.
      for (let k = 0; k < 8; k++) c.send({ action: 'edit_message', message_id: 1, new_content: `x${k}` });
      expect((await c.waitForClose(15000))?.code).to.equal(1013);
      expect(c.takeAll().map((f) => f.text)).to.include('{"error": "Too many frames waiting to be handled: reconnect and send again later."}');
    } finally {
      c.terminate();
    }
  });
});
