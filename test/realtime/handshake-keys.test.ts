// The handshake's token lookup (src/realtime/handshake.ts) with keys that cannot be tokens: a NUL in
// `?token=` made the lookup statement fail (Postgres refuses NUL in text) and the handshake answered 500
// (found by the socket fuzz suite, test/fuzz/); a key longer than a token's 40 characters matches
// nothing. Both are refused with 403, as any unknown token, on every socket route.
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { WsClient } from '../helpers/wsclient.ts';

describeServer('socket handshake with keys that cannot be tokens', (srv) => {
  for (const route of ['/ws/chat/1/', '/ws/notifications/']) {
    it(`${route}: a NUL in ?token= is refused with 403, not 500`, async () => {
      const kabir = userToken('kabir.singh@akgec.ac.in');
      for (const token of ['%00', `${kabir.slice(0, 20)}%00${kabir.slice(21)}`, '%00'.repeat(50)]) {
        expect(await WsClient.handshakeStatus(`${srv.wsUrl}${route}?token=${token}`), token).to.equal(403);
      }
    });

    it(`${route}: a key longer than 40 characters is refused with 403; the real token is still accepted`, async () => {
      const kabir = userToken('kabir.singh@akgec.ac.in');
      expect(await WsClient.handshakeStatus(`${srv.wsUrl}${route}?token=${kabir}x`)).to.equal(403);
      expect(await WsClient.handshakeStatus(`${srv.wsUrl}${route}?token=${'a'.repeat(5000)}`)).to.equal(403);
      expect(await WsClient.handshakeStatus(`${srv.wsUrl}${route}?token=${kabir}`)).to.equal(101);
    });
  }
});
