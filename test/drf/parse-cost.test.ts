// A JSON parse error costs about what JSON.parse costs on every path (issue 13, finding 1): a 2.6 MB
// unauthenticated body to login/ used to hold the event loop ~10 s, a 64 KiB socket frame ~0.44 s.
// The server runs in this process, so the CPU time measured here is the server's (plus the client's
// small share): CPU time rather than the event-loop delay, which a machine shared by many processes
// inflates by scheduling alone. Bounds are relative to JSON.parse of the same text, measured here.
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { call } from '../helpers/http.ts';
import { describeServer } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';

const KABIR = userToken('kabir.singh@akgec.ac.in');

async function cpuMs(work: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** CPU ms of JSON.parse failing on `text` (best of three). */
function parseCpuMs(text: string): number {
  let best = Infinity;
  for (let k = 0; k < 3; k++) {
    const before = process.cpuUsage();
    try {
      JSON.parse(text);
    } catch {
      // expected
    }
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

describeServer('JSON parse errors are cheap', { timeout: 120000 }, (srv) => {
  it('a 2.6 MB body that never closes its array answers the parse error without stalling the loop', async () => {
    const body = '[' + '1,'.repeat(1.3e6);
    let reply: Awaited<ReturnType<typeof call>> | undefined;
    const parse = parseCpuMs(body);
    const delay = await cpuMs(async () => {
      reply = await call(srv, 'POST', '/api/user/login/', null, body);
    });
    expect(reply!.status).to.equal(400);
    expect(reply!.text).to.equal('{"detail":"JSON parse error - Expecting value: line 1 column 2600002 (char 2600001)"}');
    // Sending, reading and parsing 2.6 MB cost a few JSON.parse's worth; the old message builder took ~10 s.
    expect(delay, `CPU ${delay.toFixed(0)} ms, JSON.parse ${parse.toFixed(0)} ms`).to.be.below(1000 + 20 * parse);
  });

  it('64 KiB socket frames that never close their array are refused without stalling the loop', async () => {
    const c = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${KABIR}`);
    try {
      const frame = '[' + '1,'.repeat(32000);
      const parse = parseCpuMs(frame);
      const delay = await cpuMs(async () => {
        for (let k = 0; k < 5; k++) c.send(frame);
        const got = await c.take(5, 30000);
        for (const f of got) expect(f.text).to.equal('{"error": "Invalid JSON format"}');
      });
      // The old builder: ~0.44 s of CPU per frame, 2.2 s for the five.
      expect(delay, `CPU ${delay.toFixed(0)} ms, JSON.parse ${parse.toFixed(1)} ms`).to.be.below(300 + 100 * parse);
    } finally {
      await c.closeAndWait();
    }
  });
});
