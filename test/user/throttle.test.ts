// Attempt limits on the unauthenticated paths (issue 13, finding 4): DRF-style throttles on login, OTP
// and password-reset paths answered with DRF's 429 body and Retry-After, and an OTP attempt counter
// that counts before it checks, so concurrent wrong guesses cannot carry the right code past the bound.
import { expect } from 'chai';
import { call } from '../helpers/http.ts';
import { describeServer, redisUrl } from '../helpers/suites.ts';
import { startServer, type TestServer } from '../helpers/harness.ts';

const THROTTLED = /^\{"detail":"Request was throttled\. Expected available in (\d+) seconds?\."\}$/;

function otpFrom(text: string): string {
  const m = /is: (\d{6})\n/.exec(text);
  if (!m) throw new Error('no OTP in mail: ' + text);
  return m[1];
}

describeServer(
  'login, OTP and password-reset throttles',
  { timeout: 120000, env: { THROTTLE_RATE_LOGIN: '3/min', THROTTLE_RATE_OTP: '2/min', THROTTLE_RATE_PASSWORD_RESET: '4/min' } },
  (srv) => {
    it('answers the request past the rate with 429, DRF text and Retry-After, per scope', async () => {
      const login = () => call(srv, 'POST', '/api/user/login/', null, { email: 'kabir.singh@akgec.ac.in', password: 'wrong' });
      for (let k = 0; k < 3; k++) expect((await login()).status).to.equal(403);
      const refused = await login();
      expect(refused.status).to.equal(429);
      const m = THROTTLED.exec(refused.text);
      expect(m, refused.text).to.not.equal(null);
      const wait = Number(m![1]);
      expect(wait).to.be.within(1, 60);
      expect(refused.headers.get('retry-after')).to.equal(String(wait));
      // student/login/ shares the login scope; the password-reset scope is counted apart.
      expect((await call(srv, 'POST', '/api/user/student/login/', null, { email: 'x@akgec.ac.in', password: 'y' })).status).to.equal(429);
      expect((await call(srv, 'POST', '/api/user/forgot-password/', null, {})).status).to.equal(400);
      for (let k = 0; k < 2; k++) await call(srv, 'POST', '/api/user/student/verify-email/', null, {});
      expect((await call(srv, 'POST', '/api/user/student/verify-email/', null, {})).status).to.equal(429);
    });
  },
);

describeServer(
  'OTP attempts are counted before the check',
  { timeout: 120000, smtp: true, env: { THROTTLE_RATE_PASSWORD_RESET: 'none' } },
  (srv, { smtp }) => {
    it('29 concurrent wrong guesses leave the right code no chance', async () => {
      const email = 'meera.nair@akgec.ac.in';
      expect((await call(srv, 'POST', '/api/user/forgot-password/', null, { email })).status).to.equal(200);
      const otp = otpFrom(smtp.to(email)[0].text);
      const wrong = (k: number) => String((Number(otp) + 1 + k) % 1_000_000).padStart(6, '0');
      const guesses = Array.from({ length: 29 }, (_, k) =>
        call(srv, 'POST', '/api/user/reset-password/', null, { email, otp: wrong(k), password: 'Guessed-1' }),
      );
      guesses.push(call(srv, 'POST', '/api/user/reset-password/', null, { email, otp, password: 'Guessed-1' }));
      const answers = await Promise.all(guesses);
      for (const a of answers) expect([a.status, a.text]).to.deep.equal([400, '{"error":"Invalid or expired OTP."}']);
      expect((await call(srv, 'POST', '/api/user/login/', null, { email, password: 'Guessed-1' })).status).to.equal(403);
      // The codes are burnt: even alone, the right code no longer works.
      expect((await call(srv, 'POST', '/api/user/reset-password/', null, { email, otp, password: 'Guessed-1' })).status).to.equal(400);
    });
  },
);

describeServer(
  'OTP attempts are counted across processes (Redis)',
  { timeout: 120000, smtp: true, redis: true, env: { THROTTLE_RATE_PASSWORD_RESET: 'none' } },
  (srv, { smtp }) => {
    let other: TestServer;
    before(async () => {
      other = await startServer(srv.backend, {
        env: { REDIS_URL: redisUrl(), THROTTLE_RATE_PASSWORD_RESET: 'none', ...smtp.env() },
        seed: false,
        build: { db: srv.ctx.db },
      });
    });
    after(async () => {
      await other?.close();
    });

    it('four wrong guesses on each of two processes burn the codes: the right one then fails on either', async () => {
      const email = 'meera.nair@akgec.ac.in';
      expect((await call(srv, 'POST', '/api/user/forgot-password/', null, { email })).status).to.equal(200);
      const otp = otpFrom(smtp.to(email)[0].text);
      const wrong = (k: number) => String((Number(otp) + 1 + k) % 1_000_000).padStart(6, '0');
      for (let k = 0; k < 8; k++) {
        const res = await call(k % 2 ? other : srv, 'POST', '/api/user/reset-password/', null, { email, otp: wrong(k), password: 'Guessed-1' });
        expect([res.status, res.text]).to.deep.equal([400, '{"error":"Invalid or expired OTP."}']);
      }
      const right = await call(srv, 'POST', '/api/user/reset-password/', null, { email, otp, password: 'Guessed-1' });
      expect([right.status, right.text]).to.deep.equal([400, '{"error":"Invalid or expired OTP."}']);
      expect((await call(other, 'POST', '/api/user/login/', null, { email, password: 'Guessed-1' })).status).to.equal(403);
    });
  },
);
