// A JSON parse error costs about what JSON.parse costs on every path (issue 13, finding 1): a 2.6 MB
// unauthenticated body to login/ used to hold the event loop ~10 s, a 64 KiB socket frame ~0.44 s.
// The server runs in this process, so the event-loop delay measured here is the server's.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { call } from '../helpers/http.ts';
import { describeServer } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';

const KABIR = userToken('kabir.singh@akgec.ac.in');

async function maxLoopDelayMs(work: () => Promise<void>): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  try {
    await work();
  } finally {
    h.disable();
  }
  return h.max / 1e6;
}

describeServer('JSON parse errors are cheap', { timeout: 120000 }, (srv) => {
  it('a 2.6 MB body that never closes its array answers the parse error without stalling the loop', async () => {
    const body = '[' + '1,'.repeat(1.3e6);
    let reply: Awaited<ReturnType<typeof call>> | undefined;
    const delay = await maxLoopDelayMs(async () => {
      reply = await call(srv, 'POST', '/api/user/login/', null, body);
    });
    expect(reply!.status).to.equal(400);
    expect(reply!.text).to.equal('{"detail":"JSON parse error - Expecting value: line 1 column 2600002 (char 2600001)"}');
    // JSON.parse of the same text takes tens of ms here; the old message builder took ~10 s.
    expect(delay, `longest event-loop stall ${delay.toFixed(0)} ms`).to.be.below(1500);
  });

  it('64 KiB socket frames that never close their array are refused without stalling the loop', async () => {
    const c = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${KABIR}`);
    try {
      const frame = '[' + '1,'.repeat(32000);
      const delay = await maxLoopDelayMs(async () => {
        for (let k = 0; k < 5; k++) c.send(frame);
        const got = await c.take(5, 30000);
        for (const f of got) expect(f.text).to.equal('{"error": "Invalid JSON format"}');
      });
      expect(delay, `longest event-loop stall ${delay.toFixed(0)} ms`).to.be.below(300);
    } finally {
      await c.closeAndWait();
    }
  });
});
