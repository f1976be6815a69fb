// register/, forgot-password/ and reset-password/ end to end through a real SMTP server (smtp-server):
// the mailed password logs in, the mailed OTP resets once, wrong/expired/reused OTPs are refused, and a
// refused mail leaves nothing written.
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { describeServer } from '../helpers/suites.ts';
import { pino } from 'pino';
import { createMailer, LogMailer } from '../../src/mail.ts';
import { loadConfig } from '../../src/config.ts';
import { call } from '../helpers/http.ts';
import { USER_TABLE } from '../../src/auth/tokens.ts';
import { OTP_TABLE } from '../../src/user/queries.ts';
import { roleForYear } from '../../src/user/views.ts';

const ADMIN = userToken('riya.sharma@akgec.ac.in');
const NEW = { email: 'neha.kapoor@akgec.ac.in', first_name: 'Neha', last_name: 'Kapoor', year: '3rd' };

function passwordFrom(text: string): string {
  const m = /\nPassword: ([A-Za-z0-9]+)\n/.exec(text);
  if (!m) throw new Error('no password in mail: ' + text);
  return m[1];
}

function otpFrom(text: string): string {
  const m = /is: (\d{6})\n/.exec(text);
  if (!m) throw new Error('no OTP in mail: ' + text);
  return m[1];
}

describeServer('user register / forgot-password / reset-password with SMTP', { timeout: 180000, smtp: true }, (srv, { smtp }) => {
  const count = async (table: string) => Number((await srv.ctx.db.knex(table).count('* as n'))[0].n);

  it('register → welcome mail with a generated password → login with it', async () => {
    const res = await call(srv, 'POST', '/api/user/register/', ADMIN, NEW);
    expect([res.status, res.text]).to.deep.equal([
      201,
      '{"message":"User registered successfully. Login details and welcome message have been sent via email."}',
    ]);
    expect(res.headers.get('allow')).to.equal('POST, OPTIONS');
    const mails = smtp.to(NEW.email);
    expect(mails).to.have.length(1);
    expect(mails[0].from).to.equal('csi@akgec.ac.in');
    expect(mails[0].subject).to.equal('Welcome to CSI App! Your Account Details');
    const password = passwordFrom(mails[0].text);
    expect(password).to.match(/^[A-Za-z0-9]{8}$/);
    expect(mails[0].text).to.equal(
      `Dear Neha Kapoor,\n\nOur team warmly welcomes you to an exciting journey of innovation, learning, and collaboration. We're thrilled to have you as part of our community.\n\nHere are your account details:\nEmail: ${NEW.email}\nPassword: ${password}\n\nUse this password to log in to your account.\n\nWarm regards,\n\nTeam CSI\nAKGEC, Ghaziabad`,
    );
    const row = await srv.ctx.db.knex(USER_TABLE).where({ email: NEW.email }).first();
    expect(row).to.deep.include({
      id: 8,
      first_name: 'Neha',
      last_name: 'Kapoor',
      year: '3rd',
      role: 'admin',
      status: 'active',
      is_active: true,
      is_staff: false,
      is_superuser: false,
      is_verified: false,
      is_completed: false,
      hosteller: false,
    });
    expect(row.password).to.match(/^pbkdf2_sha256\$870000\$[A-Za-z0-9]{22}\$/);
    const login = await call(srv, 'POST', '/api/user/login/', null, { email: NEW.email, password });
    expect(login.status).to.equal(200);
    expect(login.json).to.deep.include({ year: '3rd', is_completed: false, message: 'Welcome Neha!' });
    expect(login.json.missing_fields).to.deep.equal(['photo', 'branch', 'dob', 'linkedin_url', 'github_url', 'bio']);
    // The token works.
    const me = await call(srv, 'GET', '/api/user/profile/detail/', login.json.token);
    expect(me.json.full_name).to.equal('Neha Kapoor');
  });

  it('lets only admins register members (403 for members and anonymous callers, nothing sent)', async () => {
    const anon = await call(srv, 'POST', '/api/user/register/', null, NEW);
    expect([anon.status, anon.text]).to.deep.equal([403, '{"detail":"Authentication credentials were not provided."}']);
    for (const who of ['kabir.singh@akgec.ac.in', 'tanya.gupta@akgec.ac.in']) {
      const res = await call(srv, 'POST', '/api/user/register/', userToken(who), NEW);
      expect([res.status, res.text], who).to.deep.equal([403, '{"detail":"You do not have permission to perform this action."}']);
    }
    expect(smtp.mails).to.have.length(0);
    expect(await count(USER_TABLE)).to.equal(7);
    const anagh = await call(srv, 'POST', '/api/user/register/', userToken('anagh.jaiswar@akgec.ac.in'), NEW);
    expect(anagh.status).to.equal(201);
  });

  it('derives the role from the year; a missing last name is NULL and the mail says "None" like the original', async () => {
    expect(['2nd', '3rd', '4th'].map(roleForYear)).to.deep.equal(['member', 'admin', 'admin']);
    const res = await call(srv, 'POST', '/api/user/register/', ADMIN, { email: 'solo@akgec.ac.in', first_name: 'Solo', year: '2nd' });
    expect(res.status).to.equal(201);
    const row = await srv.ctx.db.knex(USER_TABLE).where({ email: 'solo@akgec.ac.in' }).first();
    expect([row.role, row.last_name]).to.deep.equal(['member', null]);
    expect(smtp.to('solo@akgec.ac.in')[0].text.startsWith('Dear Solo None,\n')).to.equal(true);
  });

  it('answers RegisterSerializer errors with DRF bodies and writes nothing, sends nothing', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, '{"email":["This field is required."],"first_name":["This field is required."],"year":["This field is required."]}'],
      [{ email: 'x@gmail.com', first_name: 'X', year: '2nd' }, `{"email":["Email must end with '@akgec.ac.in'."]}`],
      [{ email: 'not an email', first_name: 'X', year: '2nd' }, `{"email":["Email must end with '@akgec.ac.in'.","Enter a valid email address."]}`],
      [{ email: 'kabir.singh@akgec.ac.in', first_name: 'X', year: '2nd' }, '{"email":["user with this email already exists."]}'],
      [
        { email: '  ', first_name: '', year: '1st' },
        '{"email":["This field may not be blank."],"first_name":["This field may not be blank."],"year":["\\"1st\\" is not a valid choice."]}',
      ],
      [
        { email: null, first_name: 'A'.repeat(51), last_name: 'B'.repeat(51), year: 3 },
        '{"email":["This field may not be null."],"first_name":["Ensure this field has no more than 50 characters."],"last_name":["Ensure this field has no more than 50 characters."],"year":["\\"3\\" is not a valid choice."]}',
      ],
      [
        { email: ['a'], first_name: { a: 1 }, year: ['2nd'] },
        '{"email":["Not a valid string."],"first_name":["Not a valid string."],"year":["\\"[\'2nd\']\\" is not a valid choice."]}',
      ],
      [[1, 2], '{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}'],
    ];
    for (const [body, text] of cases) {
      const res = await call(srv, 'POST', '/api/user/register/', ADMIN, body);
      expect([res.status, res.text], JSON.stringify(body)).to.deep.equal([400, text]);
    }
    const bad = await call(srv, 'POST', '/api/user/register/', ADMIN, '{"email": ');
    expect([bad.status, bad.text]).to.deep.equal([400, '{"detail":"JSON parse error - Expecting value: line 1 column 11 (char 10)"}']);
    expect(await count(USER_TABLE)).to.equal(7);
    expect(smtp.mails).to.have.length(0);
  });

  it('accepts the form encoding too (multipart text parts)', async () => {
    const form = new FormData();
    for (const [k, v] of Object.entries(NEW)) form.append(k, v);
    const res = await call(srv, 'POST', '/api/user/register/', ADMIN, form);
    expect(res.status).to.equal(201);
    expect(smtp.to(NEW.email)).to.have.length(1);
  });

  it('creates no user when the welcome mail cannot be sent (one transaction)', async () => {
    smtp.refuse = 'mailbox unavailable';
    const res = await call(srv, 'POST', '/api/user/register/', ADMIN, NEW);
    expect(res.status).to.equal(503);
    expect(res.json).to.have.property('error');
    expect(await srv.ctx.db.knex(USER_TABLE).where({ email: NEW.email }).first()).to.equal(undefined);
    smtp.refuse = null;
    const again = await call(srv, 'POST', '/api/user/register/', ADMIN, NEW);
    expect(again.status).to.equal(201);
  });

  it('forgot → mailed OTP → reset → login with the new password; the OTP works once', async () => {
    const email = 'kabir.singh@akgec.ac.in';
    const res = await call(srv, 'POST', '/api/user/forgot-password/', null, { email });
    expect([res.status, res.text]).to.deep.equal([200, '{"message":"OTP sent to your email."}']);
    const mail = smtp.to(email)[0];
    expect(mail.subject).to.equal('Your Password Reset OTP');
    const otp = otpFrom(mail.text);
    expect(mail.text).to.equal(
      `Hi Kabir,\n\nYour OTP for resetting your password is: ${otp}\n\nThis OTP is valid for 10 minutes.\n\nIf you did not request this, please ignore this email.`,
    );
    const row = await srv.ctx.db.knex(OTP_TABLE).first();
    expect(row).to.deep.include({ otp, is_used: false, user_id: 3 });

    const reset = await call(srv, 'POST', '/api/user/reset-password/', null, { email, otp, password: 'N3w-Pass!' });
    expect([reset.status, reset.text]).to.deep.equal([200, '{"message":"Password has been reset successfully."}']);
    const login = await call(srv, 'POST', '/api/user/login/', null, { email, password: 'N3w-Pass!' });
    expect(login.status).to.equal(200);
    const old = await call(srv, 'POST', '/api/user/login/', null, { email, password: 'Kabir!2ndYear' });
    expect(old.status).to.equal(403);

    const reused = await call(srv, 'POST', '/api/user/reset-password/', null, { email, otp, password: 'Other-Pass1' });
    expect([reused.status, reused.text]).to.deep.equal([400, '{"error":"Invalid or expired OTP."}']);
    expect((await call(srv, 'POST', '/api/user/login/', null, { email, password: 'N3w-Pass!' })).status).to.equal(200);
  });

  it("a reset ends the old token and closes the user's sockets (issue 13 #10)", async () => {
    const email = 'kabir.singh@akgec.ac.in';
    const oldToken = userToken(email);
    const socket = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${oldToken}`);
    const other = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${userToken('meera.nair@akgec.ac.in')}`);
    try {
      await call(srv, 'POST', '/api/user/forgot-password/', null, { email });
      const otp = otpFrom(smtp.to(email)[0].text);
      const reset = await call(srv, 'POST', '/api/user/reset-password/', null, { email, otp, password: 'N3w-Pass!' });
      expect(reset.status).to.equal(200);
      expect((await socket.waitClosed()).code).to.equal(4003);
      expect(other.closed).to.equal(null);
      const withOld = await call(srv, 'GET', '/api/user/profile/detail/', oldToken);
      expect([withOld.status, withOld.text]).to.deep.equal([403, '{"detail":"Invalid token."}']);
      const login = await call(srv, 'POST', '/api/user/login/', null, { email, password: 'N3w-Pass!' });
      expect(login.status).to.equal(200);
      expect(login.json.token)
        .to.match(/^[0-9a-f]{40}$/)
        .and.not.equal(oldToken);
    } finally {
      socket.close();
      other.close();
    }
  });

  it('lets exactly one of two concurrent resets with the same OTP through', async () => {
    const email = 'kabir.singh@akgec.ac.in';
    await call(srv, 'POST', '/api/user/forgot-password/', null, { email });
    const otp = otpFrom(smtp.to(email)[0].text);
    const [a, b] = await Promise.all([
      call(srv, 'POST', '/api/user/reset-password/', null, { email, otp, password: 'First-Pass1' }),
      call(srv, 'POST', '/api/user/reset-password/', null, { email, otp, password: 'Second-Pass2' }),
    ]);
    expect([a.status, b.status].sort()).to.deep.equal([200, 400]);
    const winner = a.status === 200 ? 'First-Pass1' : 'Second-Pass2';
    const loser = a.status === 200 ? 'Second-Pass2' : 'First-Pass1';
    expect((await call(srv, 'POST', '/api/user/login/', null, { email, password: winner })).status).to.equal(200);
    expect((await call(srv, 'POST', '/api/user/login/', null, { email, password: loser })).status).to.equal(403);
  });

  it('refuses expired and wrong OTPs, and burns the codes after five wrong guesses', async () => {
    const email = 'meera.nair@akgec.ac.in';
    await call(srv, 'POST', '/api/user/forgot-password/', null, { email });
    const otp = otpFrom(smtp.to(email)[0].text);
    const knex = srv.ctx.db.knex;
    await knex(OTP_TABLE).update({ created_at: knex.raw(`now() - interval '601 seconds'`) });
    const expired = await call(srv, 'POST', '/api/user/reset-password/', null, { email, otp, password: 'x1' });
    expect([expired.status, expired.text]).to.deep.equal([400, '{"error":"Invalid or expired OTP."}']);
    await knex(OTP_TABLE).update({ created_at: knex.raw(`now() - interval '590 seconds'`) });
    const wrong = otp === '999999' ? '999998' : '999999';
    // The expired try counts as a failure too: 1 + 3 = 4, one short of the limit.
    for (let i = 0; i < 3; i++) {
      const res = await call(srv, 'POST', '/api/user/reset-password/', null, { email, otp: wrong, password: 'x1' });
      expect([res.status, res.text]).to.deep.equal([400, '{"error":"Invalid or expired OTP."}']);
    }
    // Still usable after four failures (a number is read like the original's string lookup).
    const ok = await call(srv, 'POST', '/api/user/reset-password/', null, { email, otp: Number(otp), password: 'Meera-New1' });
    expect(ok.status).to.equal(200);

    await call(srv, 'POST', '/api/user/forgot-password/', null, { email });
    const otp2 = otpFrom(smtp.to(email)[1].text);
    const wrong2 = otp2 === '999999' ? '999998' : '999999';
    for (let i = 0; i < 5; i++) await call(srv, 'POST', '/api/user/reset-password/', null, { email, otp: wrong2, password: 'x1' });
    const burnt = await call(srv, 'POST', '/api/user/reset-password/', null, { email, otp: otp2, password: 'Meera-Other1' });
    expect([burnt.status, burnt.text]).to.deep.equal([400, '{"error":"Invalid or expired OTP."}']);
    expect((await call(srv, 'POST', '/api/user/login/', null, { email, password: 'Meera-New1' })).status).to.equal(200);
  });

  it("answers the original's errors for missing fields and unknown users, never a 500", async () => {
    const f = (body: unknown) => call(srv, 'POST', '/api/user/forgot-password/', null, body);
    const r = (body: unknown) => call(srv, 'POST', '/api/user/reset-password/', null, body);
    const expectations: Array<[Promise<{ status: number; text: string }>, number, string]> = [
      [f({}), 400, '{"error":"Email is required."}'],
      [f({ email: '' }), 400, '{"error":"Email is required."}'],
      [f({ email: 'nobody@akgec.ac.in' }), 404, '{"error":"User with this email does not exist."}'],
      [f({ email: ['kabir.singh@akgec.ac.in'] }), 404, '{"error":"User with this email does not exist."}'],
      [f({ email: 'a\u0000b' }), 404, '{"error":"User with this email does not exist."}'],
      [f([1]), 400, '{"detail":"Invalid data. Expected a dictionary, but got list."}'],
      [r({}), 400, '{"error":"Email, OTP, and password are required."}'],
      [r({ email: 'kabir.singh@akgec.ac.in', otp: '123456' }), 400, '{"error":"Email, OTP, and password are required."}'],
      [r({ email: 'nobody@akgec.ac.in', otp: '123456', password: 'x' }), 400, '{"error":"No User matches the given query."}'],
      [r({ email: 'kabir.singh@akgec.ac.in', otp: '123456', password: 5 }), 400, '{"error":"Password must be a string or bytes, got int."}'],
      [r({ email: 'kabir.singh@akgec.ac.in', otp: { a: 1 }, password: 'x' }), 400, '{"error":"Invalid or expired OTP."}'],
    ];
    for (const [p, status, text] of expectations) {
      const res = await p;
      expect([res.status, res.text]).to.deep.equal([status, text]);
    }
    expect(smtp.mails).to.have.length(0);
    expect(await count(OTP_TABLE)).to.equal(0);
  });

  it('stores no OTP when its mail cannot be sent', async () => {
    smtp.refuse = 'no';
    const res = await call(srv, 'POST', '/api/user/forgot-password/', null, { email: 'kabir.singh@akgec.ac.in' });
    expect(res.status).to.equal(503);
    expect(await count(OTP_TABLE)).to.equal(0);
  });
});

describeServer('user mails in the embedded mode (no EMAIL_HOST / EMAIL_HOST_USER)', { timeout: 60000, resetEachTest: false }, (srv) => {
  it('writes the mail to the log instead of sending it', async () => {
    expect(srv.ctx.mailer).to.be.instanceOf(LogMailer);
    const res = await call(srv, 'POST', '/api/user/forgot-password/', null, { email: 'dev.outsider@akgec.ac.in' });
    expect(res.status).to.equal(200);
    const sent = (srv.ctx.mailer as LogMailer).sent.filter((m) => m.to === 'dev.outsider@akgec.ac.in');
    expect(sent).to.have.length(1);
    expect(sent[0].subject).to.equal('Your Password Reset OTP');
    expect(sent[0].text).to.match(/^Hi Dev,\n\nYour OTP for resetting your password is: \d{6}\n/);
  });
});

describe('mails without SMTP settings (issue 13 #10)', () => {
  const capture = () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    return { log, lines };
  };
  const mail = (i: number) => ({
    to: `u${i}@akgec.ac.in`,
    subject: 'Your Password Reset OTP',
    text: `Hi,\n\nYour OTP for resetting your password is: 4${String(i).padStart(5, '0')}\n`,
  });

  it('logs the text in the embedded mode only: with a database (a deploy without EMAIL_*) never the code', async () => {
    for (const [databaseUrl, shown] of [
      [undefined, true],
      ['postgres://u@127.0.0.1:5432/db', false],
    ] as const) {
      const { log, lines } = capture();
      const config = loadConfig({ ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
      const mailer = createMailer(config.email, log, !config.databaseUrl || config.debug);
      await mailer.send(mail(1));
      expect(lines.join('').includes('400001'), String(databaseUrl)).to.equal(shown);
      expect(lines.join('')).to.include('u1@akgec.ac.in');
    }
  });

  it('keeps only the latest mails in memory', async () => {
    const mailer = new LogMailer(capture().log, false);
    for (let i = 0; i < 500; i++) await mailer.send(mail(i));
    expect(mailer.sent).to.have.length(50);
    expect(mailer.sent[49].to).to.equal('u499@akgec.ac.in');
  });
});
