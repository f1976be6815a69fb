// Bad input on every User app route: odd JSON types, NUL and lone-surrogate strings, files where text
// is expected, malformed bodies, unknown content types — always a 4xx JSON answer, never a 500, and
// nothing written.
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { USER_TABLE } from '../../src/auth/tokens.ts';
import { OTP_TABLE, STUDENT_PROFILE_TABLE } from '../../src/user/queries.ts';

const ADMIN = userToken('anagh.jaiswar@akgec.ac.in');
const POST_ROUTES = [
  'register/',
  'forgot-password/',
  'reset-password/',
  'profile/fill/',
  'student/register/',
  'student/verify-email/',
  'student/resend-otp/',
  'student/login/',
  'student/forgot-password/',
  'student/reset-password/',
  'student/google-login/',
];
const FIELDS = [
  'email',
  'first_name',
  'last_name',
  'year',
  'otp',
  'password',
  'full_name',
  'branch',
  'student_number',
  'hosteller',
  'gender',
  'domain',
  'dob',
  'linkedin_url',
  'github_url',
  'bio',
  'achievements',
  'photo',
  'id_token',
];

const ODD_VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 1e300, '', ' ', 'a\u0000b', '\ud800', 'x'.repeat(5000), [], ['a'], {}, { a: 1 }];
const RAW_BODIES: Array<[string, string]> = [
  ['application/json', '[1,2]'],
  ['application/json', '"str"'],
  ['application/json', '12'],
  ['application/json', 'null'],
  ['application/json', '{"a":'],
  ['application/json', '\ufeff{}'],
  ['application/json', '{"email": NaN}'],
  ['application/x-www-form-urlencoded', 'email=%00&otp=%FF&password=a&email=b'],
  ['text/plain', 'hello'],
  ['multipart/form-data; boundary=zzz', '--zzz\r\nbroken'],
];

describeServer(
  'user routes on bad input: 4xx, never 500',
  { timeout: 300000, smtp: true, env: { GOOGLE_CLIENT_IDS: 'x.apps.googleusercontent.com' }, resetEachTest: false },
  (srv, { smtp }) => {
    const counts = async () => {
      const k = srv.ctx.db.knex;
      const n = async (t: string) => Number((await k(t).count('* as n'))[0].n);
      return [await n(USER_TABLE), await n(OTP_TABLE), await n(STUDENT_PROFILE_TABLE)];
    };

    it('answers odd JSON values in every field with a 4xx JSON body', async () => {
      await srv.reset();
      const before = await counts();
      for (const route of POST_ROUTES) {
        for (const value of ODD_VALUES) {
          const body = Object.fromEntries(FIELDS.map((f) => [f, value]));
          const res = await fetch(`${srv.baseUrl}/api/user/${route}`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Token ${ADMIN}` },
            body: JSON.stringify(body),
          });
          const text = await res.text();
          expect(res.status, `${route} ${JSON.stringify(value)?.slice(0, 20)}: ${text.slice(0, 200)}`).to.be.within(400, 499);
          expect(res.headers.get('content-type')).to.equal('application/json');
          JSON.parse(text);
        }
      }
      expect(await counts()).to.deep.equal(before);
      expect(smtp.mails).to.have.length(0);
    });

    it('answers one odd field in an otherwise valid body without a 500', async () => {
      await srv.reset();
      const bases: Array<[string, Record<string, unknown>, string?]> = [
        ['register/', { email: 'new.one@akgec.ac.in', first_name: 'New', last_name: 'One', year: '2nd' }],
        ['forgot-password/', { email: 'kabir.singh@akgec.ac.in' }],
        ['reset-password/', { email: 'kabir.singh@akgec.ac.in', otp: '123456', password: 'Abcdefgh1' }],
        [
          'profile/fill/',
          {
            domain: 'BACKEND',
            dob: '2005-01-01',
            branch: 'CSE',
            bio: 'b',
            linkedin_url: 'https://x.org',
            github_url: 'https://github.com/x',
            achievements: 'a',
            hosteller: true,
          },
        ],
        [
          'student/register/',
          {
            full_name: 'A B',
            email: 'ab@akgec.ac.in',
            password: 'Abcdefgh1',
            branch: 'IT',
            year: '1st',
            student_number: 'N1',
            hosteller: true,
            gender: 'other',
          },
        ],
        ['student/verify-email/', { email: 'kabir.singh@akgec.ac.in', otp: '123456' }],
        ['student/resend-otp/', { email: 'kabir.singh@akgec.ac.in' }],
        ['student/login/', { email: 'tanya.gupta@akgec.ac.in', password: 'TanyaStudent1' }],
        ['student/google-login/', { id_token: 'a.b.c' }],
      ];
      for (const [route, base, method] of bases) {
        for (const field of Object.keys(base)) {
          for (const value of ODD_VALUES) {
            const res = await fetch(`${srv.baseUrl}/api/user/${route}`, {
              method: method ?? 'POST',
              headers: { 'Content-Type': 'application/json', Authorization: `Token ${ADMIN}` },
              body: JSON.stringify({ ...base, [field]: value }),
            });
            const text = await res.text();
            expect(res.status, `${route} ${field}=${JSON.stringify(value)?.slice(0, 20)}: ${text.slice(0, 200)}`).to.be.within(200, 499);
            JSON.parse(text);
          }
        }
      }
    });

    it("answers malformed and mistyped bodies with DRF's 400/415, never a 500", async () => {
      for (const route of POST_ROUTES) {
        for (const [type, raw] of RAW_BODIES) {
          const res = await fetch(`${srv.baseUrl}/api/user/${route}`, {
            method: 'POST',
            headers: { 'Content-Type': type, Authorization: `Token ${ADMIN}` },
            body: raw,
          });
          const text = await res.text();
          expect(res.status, `${route} ${type} ${raw.slice(0, 20)}: ${text.slice(0, 200)}`).to.be.within(400, 499);
        }
      }
    });

    it('answers files where text is expected (multipart) with field errors', async () => {
      for (const route of POST_ROUTES) {
        const form = new FormData();
        for (const f of FIELDS) form.append(f, new Blob([Buffer.from('%PDF-1.4 not really')], { type: 'application/pdf' }), 'x.pdf');
        const res = await fetch(`${srv.baseUrl}/api/user/${route}`, { method: 'POST', headers: { Authorization: `Token ${ADMIN}` }, body: form });
        const text = await res.text();
        expect(res.status, `${route}: ${text.slice(0, 200)}`).to.be.within(400, 499);
      }
    });

    it('answers odd search queries and bad paths without a 500', async () => {
      for (const q of ['%00', '%ED%A0%80', '%FF', 'a'.repeat(3000), '%25%5F%5C']) {
        const res = await fetch(`${srv.baseUrl}/api/user/search/?q=${q}`, { headers: { Authorization: `Token ${ADMIN}` } });
        expect(res.status, q).to.be.within(200, 499);
      }
      const res = await fetch(`${srv.baseUrl}/api/user/student/nothing/`);
      expect(res.status).to.equal(404);
    });
  },
);
