// The student flow end to end through a real SMTP server: register → mailed OTP → verify → login;
// resend, expired/wrong/missing OTPs, duplicate profiles and student numbers, no partial writes; and
// google-login with ID tokens signed by a local RSA key (OAuth2Client with local certificates).
import crypto from 'node:crypto';
import { expect } from 'chai';
import { OAuth2Client } from 'google-auth-library';
import { userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { call } from '../helpers/http.ts';
import { TOKEN_TABLE, USER_TABLE } from '../../src/auth/tokens.ts';
import { OTP_TABLE, STUDENT_PROFILE_TABLE } from '../../src/user/queries.ts';
import { splitFullName, studentDomainRefused } from '../../src/user/student.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';

const STUDENT = {
  full_name: 'Aman Kumar Verma',
  email: 'aman.verma@akgec.ac.in',
  password: 'Aman#2025!',
  branch: 'CSE-AIML',
  year: '1st',
  student_number: '2400270100777',
  hosteller: false,
  gender: 'male',
};

function otpFrom(text: string): string {
  const m = /is: (\d{6})\n/.exec(text);
  if (!m) throw new Error('no OTP in mail: ' + text);
  return m[1];
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** An OAuth2Client whose Google certificates are a local key (no network). */
class LocalCertsClient extends OAuth2Client {
  constructor(private readonly certs: Record<string, string>) {
    super();
  }
  override async getFederatedSignonCertsAsync() {
    return { certs: this.certs, format: 'PEM' } as unknown as Awaited<ReturnType<OAuth2Client['getFederatedSignonCertsAsync']>>;
  }
}

const CLIENT_ID = 'csi-android.apps.googleusercontent.com';
describeServer(
  'student flow and google-login',
  { timeout: 180000, smtp: true, env: { GOOGLE_CLIENT_IDS: `other-client,${CLIENT_ID}` } },
  (srv, { smtp }) => {
    const key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const otherKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const KID = 'test-kid-1';

    function googleToken(claims: Record<string, unknown>, signWith = key.privateKey): string {
      const now = Math.floor(Date.now() / 1000);
      const header = b64url(JSON.stringify({ alg: 'RS256', kid: KID, typ: 'JWT' }));
      const payload = b64url(
        JSON.stringify({ iss: 'https://accounts.google.com', aud: CLIENT_ID, iat: now, exp: now + 3600, email_verified: true, ...claims }),
      );
      const sig = crypto.sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), signWith);
      return `${header}.${payload}.${b64url(sig)}`;
    }

    before(() => {
      srv.ctx.google.client = new LocalCertsClient({ [KID]: key.publicKey.export({ type: 'spki', format: 'pem' }) as string });
    });

    // Always JSON: a string body is sent as a JSON string.
    const post = (path: string, body: unknown, token?: string) =>
      call(srv, 'POST', `/api/user/student/${path}`, token, body === undefined ? undefined : JSON.stringify(body));
    const count = async (table: string) => Number((await srv.ctx.db.knex(table).count('* as n'))[0].n);

    it('register → OTP mail → verify → login; unverified login refused; the token works', async () => {
      const res = await post('register/', STUDENT);
      expect([res.status, res.text]).to.deep.equal([201, '{"full_name":"Aman Kumar Verma","email":"aman.verma@akgec.ac.in"}']);
      const mail = smtp.to(STUDENT.email)[0];
      expect(mail.subject).to.equal('Verify your email for CSI App');
      const otp = otpFrom(mail.text);
      const knex = srv.ctx.db.knex;
      const user = await knex(USER_TABLE).where({ email: STUDENT.email }).first();
      expect(user).to.deep.include({
        first_name: 'Aman',
        last_name: 'Kumar Verma',
        role: 'student',
        year: '1st',
        branch: 'CSE-AIML',
        hosteller: false,
        is_verified: false,
      });
      expect(await knex(STUDENT_PROFILE_TABLE).where({ user_id: user.id }).first()).to.deep.include({
        student_number: '2400270100777',
        branch: 'CSE-AIML',
        gender: 'male',
        hosteller: false,
        year: '1st',
      });
      expect(await knex('User_user_groups').where({ user_id: user.id, group_id: 1 }).first()).to.not.equal(undefined);

      const early = await post('login/', { email: STUDENT.email, password: STUDENT.password });
      expect([early.status, early.text]).to.deep.equal([400, '{"non_field_errors":["Please verify your email before logging in."]}']);
      const wrong = await post('verify-email/', { email: STUDENT.email, otp: otp === '111111' ? '222222' : '111111' });
      expect([wrong.status, wrong.text]).to.deep.equal([400, '{"non_field_errors":["Invalid OTP."]}']);
      const ok = await post('verify-email/', { email: STUDENT.email, otp });
      expect([ok.status, ok.text]).to.deep.equal([200, '{"message":"Email verified successfully."}']);
      const reused = await post('verify-email/', { email: STUDENT.email, otp });
      expect([reused.status, reused.text]).to.deep.equal([400, '{"non_field_errors":["OTP not found. Please request a new one."]}']);

      const login = await post('login/', { email: STUDENT.email, password: STUDENT.password });
      expect(login.status).to.equal(200);
      expect(Object.keys(login.json)).to.deep.equal(['token', 'message']);
      expect(login.json.token).to.match(/^[0-9a-f]{40}$/);
      const me = await call(srv, 'GET', '/api/user/profile/detail/', login.json.token);
      expect(me.json).to.deep.include({ full_name: 'Aman Kumar Verma', year: '1st', branch: 'CSE-AIML' });
      const bad = await post('login/', { email: STUDENT.email, password: 'wrong-password' });
      expect([bad.status, bad.text]).to.deep.equal([400, '{"non_field_errors":["Invalid credentials."]}']);

      const out = await post('logout/', undefined, login.json.token);
      expect([out.status, out.text]).to.deep.equal([200, '{"message":"Successfully logged out."}']);
      expect(await knex(TOKEN_TABLE).where({ key: login.json.token }).first()).to.equal(undefined);
      const again = await post('logout/', undefined, login.json.token);
      expect([again.status, again.text]).to.deep.equal([403, '{"detail":"Invalid token."}']);
    });

    it('validates like StudentRegistrationSerializer and writes nothing on errors', async () => {
      const cases: Array<[unknown, string]> = [
        [
          {},
          '{"full_name":["This field is required."],"email":["This field is required."],"password":["This field is required."],"branch":["This field is required."],"year":["This field is required."],"student_number":["This field is required."],"hosteller":["This field is required."],"gender":["This field is required."]}',
        ],
        [
          { ...STUDENT, password: 'abc', branch: 'MECH', year: '5th', gender: 'x', hosteller: 'maybe', email: 'nope' },
          '{"email":["Enter a valid email address."],"password":["Ensure this value has at least 8 characters (it has 3)."],"branch":["\\"MECH\\" is not a valid choice."],"year":["\\"5th\\" is not a valid choice."],"hosteller":["Must be a valid boolean."],"gender":["\\"x\\" is not a valid choice."]}',
        ],
        [
          { ...STUDENT, full_name: 'A'.repeat(151), student_number: 'S'.repeat(51) },
          '{"full_name":["Ensure this field has no more than 150 characters."],"student_number":["Ensure this field has no more than 50 characters."]}',
        ],
        [{ ...STUDENT, full_name: 'A'.repeat(60) }, '{"full_name":["First and last name may have at most 50 characters each."]}'],
        [{ ...STUDENT, student_number: '2300270100123' }, '{"student_number":["student profile with this student number already exists."]}'],
        // An existing address is not told apart: the same checks as for a new one.
        [
          { ...STUDENT, email: 'tanya.gupta@akgec.ac.in', student_number: '2300270100123' },
          '{"student_number":["student profile with this student number already exists."]}',
        ],
        ['x', '{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}'],
      ];
      for (const [body, text] of cases) {
        const res = await post('register/', body);
        expect([res.status, res.text], JSON.stringify(body).slice(0, 80)).to.deep.equal([400, text]);
      }
      expect(await count(USER_TABLE)).to.equal(7);
      expect(await count(STUDENT_PROFILE_TABLE)).to.equal(1);
      expect(await count(OTP_TABLE)).to.equal(0);
      expect(smtp.mails).to.have.length(0);
      expect(splitFullName('A  B')).to.deep.equal({ first: 'A', last: ' B' });
    });

    it('a refused mail leaves no user, profile or OTP behind', async () => {
      smtp.refuse = 'no';
      const res = await post('register/', STUDENT);
      expect(res.status).to.equal(503);
      expect(await count(USER_TABLE)).to.equal(7);
      expect(await count(STUDENT_PROFILE_TABLE)).to.equal(1);
      expect(await count(OTP_TABLE)).to.equal(0);
    });

    it("an existing account's address changes nothing and answers as a new registration would (issue 13 #8)", async () => {
      const knex = srv.ctx.db.knex;
      const snapshot = async () => ({
        users: await knex(USER_TABLE).orderBy('id'),
        profiles: await knex(STUDENT_PROFILE_TABLE).orderBy('id'),
        groups: await knex('User_user_groups').orderBy('id'),
        otps: await count(OTP_TABLE),
      });
      const before = await snapshot();
      // Kabir is a member without a profile; Tanya already has a student profile. The original gave Kabir a
      // profile, the student group and an OTP and answered with his name; Tanya's address got "Student profile
      // already exists for this user.". Both answers told an anonymous caller that the address is taken.
      for (const email of ['kabir.singh@akgec.ac.in', 'tanya.gupta@akgec.ac.in']) {
        const res = await post('register/', { ...STUDENT, email, full_name: 'Someone Else', student_number: '2400270100999' });
        expect([res.status, res.text, res.type]).to.deep.equal([201, `{"full_name":"Someone Else","email":"${email}"}`, 'application/json']);
        const mails = smtp.to(email);
        expect(mails).to.have.length(1);
        expect(mails[0].subject).to.equal('Sign-up attempt with your CSI App email');
        expect(mails[0].text).to.not.match(/\d{6}/); // no code
      }
      expect(await snapshot()).to.deep.equal(before);
      const login = await call(srv, 'POST', '/api/user/login/', null, { email: 'kabir.singh@akgec.ac.in', password: 'Kabir!2ndYear' });
      expect(login.status).to.equal(200);
      // A new address gets the same answer (and the account).
      const fresh = await post('register/', { ...STUDENT, full_name: 'Someone Else' });
      expect([fresh.status, fresh.text]).to.deep.equal([201, `{"full_name":"Someone Else","email":"${STUDENT.email}"}`]);
    });

    it('signs up only addresses of STUDENT_EMAIL_DOMAINS (default: the college domain google-login requires) (issue 13 #9)', async () => {
      const knex = srv.ctx.db.knex;
      for (const email of ['outsider@gmail.com', 'x@akgec.ac.in.evil.com', 'x@sub.akgec.ac.in']) {
        const res = await post('register/', { ...STUDENT, email });
        expect([res.status, res.text], email).to.deep.equal([400, `{"email":["Email must end with '@akgec.ac.in'."]}`]);
      }
      expect(await count(USER_TABLE)).to.equal(7);
      expect(await count(STUDENT_PROFILE_TABLE)).to.equal(1);
      expect(smtp.mails).to.have.length(0);
      const upper = await post('register/', { ...STUDENT, email: 'Aman.Verma@AKGEC.ac.in' });
      expect(upper.status, upper.text).to.equal(201);
      expect(await knex(USER_TABLE).where({ email: 'Aman.Verma@AKGEC.ac.in' }).first()).to.not.equal(undefined);
    });

    it('STUDENT_EMAIL_DOMAINS: parsed and checked at start-up; * is the original (any address)', () => {
      expect(loadConfig({}).studentEmailDomains).to.deep.equal(['akgec.ac.in']);
      expect(loadConfig({ STUDENT_EMAIL_DOMAINS: '*' }).studentEmailDomains).to.equal(null);
      expect(loadConfig({ STUDENT_EMAIL_DOMAINS: ' @AKGEC.ac.in, example.org ' }).studentEmailDomains).to.deep.equal(['akgec.ac.in', 'example.org']);
      expect(() => loadConfig({ STUDENT_EMAIL_DOMAINS: 'akgec ac in' })).to.throw(ConfigError, /not a domain name/);
      expect(studentDomainRefused('a@gmail.com', null)).to.equal(null);
      expect(studentDomainRefused('a@b@example.org', ['akgec.ac.in', 'example.org'])).to.equal(null);
      expect(studentDomainRefused('a@gmail.com', ['akgec.ac.in', 'example.org'])).to.equal("Email must end with '@akgec.ac.in' or '@example.org'.");
    });

    it('resend-otp mails a new code (only the latest counts); expired and missing codes are refused', async () => {
      await post('register/', STUDENT);
      const first = otpFrom(smtp.to(STUDENT.email)[0].text);
      const res = await post('resend-otp/', { email: STUDENT.email });
      expect([res.status, res.text]).to.deep.equal([200, '{"message":"OTP resent to your email."}']);
      const second = otpFrom(smtp.to(STUDENT.email)[1].text);
      if (first !== second) {
        const old = await post('verify-email/', { email: STUDENT.email, otp: first });
        expect(old.text).to.equal('{"non_field_errors":["Invalid OTP."]}');
      }
      const knex = srv.ctx.db.knex;
      await knex(OTP_TABLE).update({ created_at: knex.raw(`now() - interval '11 minutes'`) });
      const expired = await post('verify-email/', { email: STUDENT.email, otp: second });
      expect([expired.status, expired.text]).to.deep.equal([400, '{"non_field_errors":["OTP expired or already used."]}']);
      await post('resend-otp/', { email: STUDENT.email });
      const third = otpFrom(smtp.to(STUDENT.email)[2].text);
      expect((await post('verify-email/', { email: STUDENT.email, otp: third })).status).to.equal(200);

      const cases: Array<[string, unknown, number, string]> = [
        ['resend-otp/', { email: STUDENT.email }, 400, '{"error":"Email is already verified."}'],
        ['resend-otp/', { email: 'nobody@akgec.ac.in' }, 404, '{"error":"User with this email does not exist."}'],
        ['resend-otp/', {}, 400, '{"error":"Email is required."}'],
        ['verify-email/', { email: 'nobody@akgec.ac.in', otp: '123456' }, 400, '{"non_field_errors":["Invalid email address."]}'],
        [
          'verify-email/',
          { email: 'kabir.singh@akgec.ac.in', otp: '123456' },
          400,
          '{"non_field_errors":["OTP not found. Please request a new one."]}',
        ],
        [
          'verify-email/',
          { email: 'x', otp: '1234567' },
          400,
          '{"email":["Enter a valid email address."],"otp":["Ensure this field has no more than 6 characters."]}',
        ],
        ['verify-email/', {}, 400, '{"email":["This field is required."],"otp":["This field is required."]}'],
        ['login/', {}, 400, '{"email":["This field is required."],"password":["This field is required."]}'],
        [
          'login/',
          { email: 'kabir.singh@akgec.ac.in', password: 'Kabir!2ndYear' },
          400,
          '{"non_field_errors":["Please verify your email before logging in."]}',
        ],
      ];
      for (const [path, body, status, text] of cases) {
        const r = await post(path, body);
        expect([r.status, r.text], path + JSON.stringify(body)).to.deep.equal([status, text]);
      }
      // The seeded verified student logs in with her password.
      const tanya = await post('login/', { email: 'tanya.gupta@akgec.ac.in', password: 'TanyaStudent1' });
      expect([tanya.status, tanya.json.token]).to.deep.equal([200, userToken('tanya.gupta@akgec.ac.in')]);
    });

    it("student forgot/reset-password work like the members' ones", async () => {
      const email = 'tanya.gupta@akgec.ac.in';
      expect((await post('forgot-password/', { email })).text).to.equal('{"message":"OTP sent to your email."}');
      const otp = otpFrom(smtp.to(email)[0].text);
      const r = await post('reset-password/', { email, otp, password: 'Tanya-New-1' });
      expect([r.status, r.text]).to.deep.equal([200, '{"message":"Password has been reset successfully."}']);
      expect((await post('login/', { email, password: 'Tanya-New-1' })).status).to.equal(200);
      expect((await post('reset-password/', { email, otp, password: 'again-1234' })).text).to.equal('{"error":"Invalid or expired OTP."}');
    });

    it('google-login: a valid token of a new @akgec.ac.in account creates a verified student and returns a token', async () => {
      const token = googleToken({ email: 'new.student@akgec.ac.in', given_name: 'New', family_name: 'Student', sub: '123' });
      const res = await post('google-login/', { id_token: token });
      expect(res.status).to.equal(200);
      expect(Object.keys(res.json)).to.deep.equal(['token', 'message']);
      expect(res.json.message).to.equal('Student logged in successfully.');
      const row = await srv.ctx.db.knex(USER_TABLE).where({ email: 'new.student@akgec.ac.in' }).first();
      expect(row).to.deep.include({ first_name: 'New', last_name: 'Student', role: 'student', is_verified: true, is_active: true });
      expect(row.password.startsWith('!')).to.equal(true);
      const me = await call(srv, 'GET', '/api/user/profile/detail/', res.json.token);
      expect(me.json.full_name).to.equal('New Student');
      // A second login returns the same token.
      const again = await post('google-login/', { id_token: token });
      expect(again.json.token).to.equal(res.json.token);
    });

    it('google-login: an existing user keeps role and token; bad tokens are refused with 400', async () => {
      const riya = await post('google-login/', {
        id_token: googleToken({ email: 'riya.sharma@akgec.ac.in', given_name: 'Riya', family_name: 'S.' }),
      });
      expect([riya.status, riya.json.token]).to.deep.equal([200, userToken('riya.sharma@akgec.ac.in')]);
      const row = await srv.ctx.db.knex(USER_TABLE).where({ id: 2 }).first();
      expect([row.role, row.first_name, row.last_name]).to.deep.equal(['admin', 'Riya', 'S.']);
      const noNames = await post('google-login/', { id_token: googleToken({ email: 'riya.sharma@akgec.ac.in' }) });
      expect(noNames.status).to.equal(200);
      const kept = await srv.ctx.db.knex(USER_TABLE).where({ id: 2 }).first();
      expect([kept.first_name, kept.last_name, kept.is_verified]).to.deep.equal(['Riya', 'S.', true]);

      const now = Math.floor(Date.now() / 1000);
      const cases: Array<[unknown, string | RegExp]> = [
        [{}, '{"error":"ID token is required."}'],
        [{ id_token: '' }, '{"error":"ID token is required."}'],
        [{ id_token: 'not-a-jwt' }, /^\{"error":"Invalid Google ID token: Wrong number of segments in token: <token>"\}$/],
        [
          { id_token: googleToken({ email: 'a@akgec.ac.in' }, otherKey.privateKey) },
          /^\{"error":"Invalid Google ID token: Invalid token signature: <token>"\}$/,
        ],
        [
          { id_token: googleToken({ email: 'a@akgec.ac.in', aud: 'someone-else' }) },
          '{"error":"Invalid Google ID token: Wrong recipient, payload audience != requiredAudience"}',
        ],
        [{ id_token: googleToken({ email: 'a@akgec.ac.in', iss: 'https://evil.example' }) }, /^\{"error":"Invalid Google ID token: Invalid issuer/],
        [
          { id_token: googleToken({ email: 'a@akgec.ac.in', iat: now - 7200, exp: now - 3600 }) },
          /^\{"error":"Invalid Google ID token: Token used too late/,
        ],
        [{ id_token: googleToken({ email: 'someone@gmail.com' }) }, `{"error":"Email must end with '@akgec.ac.in'."}`],
        [{ id_token: googleToken({ email: 'a@akgec.ac.in', email_verified: false }) }, '{"error":"Google has not verified this email address."}'],
      ];
      for (const [body, expected] of cases) {
        const res = await post('google-login/', body);
        expect(res.status, JSON.stringify(body).slice(0, 60)).to.equal(400);
        if (typeof expected === 'string') expect(res.text).to.equal(expected);
        else expect(res.text).to.match(expected);
      }
      expect(await count(USER_TABLE)).to.equal(7);

      const saved = srv.ctx.config.googleClientIds;
      srv.ctx.config.googleClientIds = [];
      try {
        const off = await post('google-login/', { id_token: googleToken({ email: 'a@akgec.ac.in' }) });
        expect([off.status, off.text]).to.deep.equal([400, '{"error":"Invalid Google ID token: Google sign-in is not configured on this server."}']);
      } finally {
        srv.ctx.config.googleClientIds = saved;
      }
    });
  },
);
