// Per-user socket bounds (issue 13, finding 4): at most WS_MAX_SOCKETS_PER_USER open sockets per user
// (one more is told why and closed with 1008), and one frame budget shared by all of a user's sockets
// (WS_USER_RATE_*), so many sockets do not multiply a user's send rate.
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';

const KABIR = userToken('kabir.singh@akgec.ac.in');
const RIYA = userToken('riya.sharma@akgec.ac.in');

describeServer(
  'per-user socket bounds',
  { timeout: 60000, env: { WS_MAX_SOCKETS_PER_USER: '3', WS_USER_RATE_PER_SECOND: '1', WS_USER_RATE_BURST: '4' } },
  (srv) => {
    const open: WsClient[] = [];
    const connect = async (token: string, room = 1) => {
      const c = await WsClient.connect(`${srv.wsUrl}/ws/chat/${room}/?token=${token}`);
      open.push(c);
      return c;
    };
    afterEach(() => {
      for (const c of open.splice(0)) c.terminate();
    });

    it('refuses a socket past WS_MAX_SOCKETS_PER_USER with an error frame and 1008, counting every room; a closed one frees a place', async () => {
      const mine = [await connect(KABIR, 1), await connect(KABIR, 2), await connect(KABIR, 3)];
      const extra = await connect(KABIR, 1);
      expect((await extra.next(5000)).text).to.equal('{"error": "Too many open connections for this user: close some and try again."}');
      expect((await extra.waitForClose(5000))?.code).to.equal(1008);
      // Another user is not affected.
      const riya = await connect(RIYA, 1);
      riya.send({ action: 'typing' });
      // Closing one of Kabir's frees a place.
      await mine[0].closeAndWait();
      await new Promise((r) => setTimeout(r, 100));
      const again = await connect(KABIR, 1);
      again.send({ action: 'typing' });
      expect(await again.waitForClose(500)).to.equal(null);
    });

    it("shares one frame budget among a user's sockets", async () => {
      const a = await connect(KABIR, 1);
      const b = await connect(KABIR, 2);
      // Burst 4 for the user: 3 frames on each socket (each socket alone is well within its own 40).
      for (let k = 0; k < 3; k++) {
        a.send({ action: 'typing' });
        b.send({ action: 'typing' });
      }
      await new Promise((r) => setTimeout(r, 500));
      const errors = [...a.takeAll(), ...b.takeAll()].filter((f) => f.text === '{"error": "Too many messages: slow down."}');
      expect(errors.length).to.be.at.least(1);
    });
  },
);
