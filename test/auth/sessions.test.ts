// Django sessions and DRF SessionAuthentication: the recorded session row of docs/django-admin-notes.md
// verifies with its SECRET_KEY, sessions csi-chat writes decode by the same rules, and the REST API
// takes the session cookie before the token with Django's CSRF texts.
import { expect } from 'chai';
import { backends, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { b62Decode, b62Encode, BadSignature, loads, TimestampSigner } from '../../src/auth/signing.ts';
import {
  authenticateSession,
  createSession,
  decodeSession,
  encodeSession,
  loginPayload,
  parseCookies,
  sessionAuthHash,
  SESSION_SALT,
} from '../../src/auth/sessions.ts';
import { csrfRejection, maskSecret, newCsrfSecret, tokenMatches, unmaskToken, type CsrfRequest } from '../../src/auth/csrf.ts';
import { VECTOR } from '../helpers/sessionVector.ts';

describe('Django signing and session format', () => {
  it('decodes the recorded session_data with its SECRET_KEY, key order kept', () => {
    const data = decodeSession(VECTOR.sessionData, VECTOR.secret);
    expect(JSON.stringify(data)).to.equal(JSON.stringify(VECTOR.payload));
    expect(sessionAuthHash(VECTOR.passwordHash, VECTOR.secret)).to.equal(VECTOR.payload._auth_user_hash);
  });

  it('refuses the recorded row under another key, a changed payload or signature, without throwing', () => {
    expect(decodeSession(VECTOR.sessionData, 'another-secret')).to.deep.equal({});
    const [body, ts, sig] = VECTOR.sessionData.split(':');
    expect(decodeSession(`${body}x:${ts}:${sig}`, VECTOR.secret)).to.deep.equal({});
    expect(decodeSession(`${body}:${ts}:${sig.slice(0, -1)}A`, VECTOR.secret)).to.deep.equal({});
    expect(decodeSession(`${body}:${b62Encode(b62Decode(ts) + 1)}:${sig}`, VECTOR.secret)).to.deep.equal({});
    expect(decodeSession('', VECTOR.secret)).to.deep.equal({});
    expect(decodeSession('x'.repeat(100000), VECTOR.secret)).to.deep.equal({});
    expect(() => loads(VECTOR.sessionData, 'wrong', SESSION_SALT)).to.throw(BadSignature);
  });

  it('writes what Django writes: "." + zlib base64url, base62 time, HMAC-SHA256, decodable by the same rules', () => {
    const now = 1796193072;
    const signed = new TimestampSigner(VECTOR.secret, SESSION_SALT).signObject(VECTOR.payload, true, now);
    const [body, ts, sig] = signed.split(':');
    expect(body.startsWith('.')).to.equal(true);
    expect(ts).to.equal('1xYds0');
    expect(sig).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(decodeSession(signed, VECTOR.secret))).to.equal(JSON.stringify(VECTOR.payload));
    // Uncompressed when zlib does not save more than a byte (SessionBase.encode compresses only then).
    const small = new TimestampSigner(VECTOR.secret, SESSION_SALT).signObject({}, true, now);
    expect(small.startsWith('e30:')).to.equal(true);
    expect(decodeSession(encodeSession({ a: 'é' }, VECTOR.secret), VECTOR.secret)).to.deep.equal({ a: 'é' });
    expect(loginPayload({ id: 1, password: VECTOR.passwordHash }, VECTOR.secret)).to.deep.equal(VECTOR.payload);
  });

  it('masks and unmasks CSRF secrets like Django', () => {
    const secret = newCsrfSecret();
    const token = maskSecret(secret);
    expect(token).to.have.length(64);
    expect(unmaskToken(token)).to.equal(secret);
    expect(maskSecret(secret)).to.not.equal(token);
    expect(tokenMatches(token, secret)).to.equal(true);
    expect(tokenMatches(secret, secret)).to.equal(true);
    expect(tokenMatches(maskSecret(newCsrfSecret()), secret)).to.equal(false);
  });

  it("gives Django 5.1's rejection reasons in its order", async () => {
    const secret = newCsrfSecret();
    const base: CsrfRequest = {
      method: 'POST',
      cookie: secret,
      header: undefined,
      postToken: async () => undefined,
      origin: undefined,
      referer: undefined,
      secure: false,
      host: 'testserver',
      trustedOrigins: [],
    };
    const reason = (over: Partial<CsrfRequest>) => csrfRejection({ ...base, ...over });
    expect(await reason({ method: 'GET' })).to.equal(null);
    expect(await reason({})).to.equal('CSRF token missing.');
    expect(await reason({ cookie: undefined })).to.equal('CSRF cookie not set.');
    expect(await reason({ cookie: 'short' })).to.equal('CSRF cookie has incorrect length.');
    expect(await reason({ cookie: '!'.repeat(32) })).to.equal('CSRF cookie has invalid characters.');
    expect(await reason({ header: 'x' })).to.equal("CSRF token from the 'X-Csrftoken' HTTP header has incorrect length.");
    expect(await reason({ header: '-'.repeat(64) })).to.equal("CSRF token from the 'X-Csrftoken' HTTP header has invalid characters.");
    expect(await reason({ header: newCsrfSecret() })).to.equal("CSRF token from the 'X-Csrftoken' HTTP header incorrect.");
    expect(await reason({ header: secret })).to.equal(null);
    expect(await reason({ header: maskSecret(secret) })).to.equal(null);
    expect(await reason({ postToken: async () => maskSecret(newCsrfSecret()), header: secret })).to.equal('CSRF token from POST incorrect.');
    expect(await reason({ postToken: async () => 'abc' })).to.equal('CSRF token from POST has incorrect length.');
    expect(await reason({ postToken: async () => maskSecret(secret) })).to.equal(null);
    expect(await reason({ method: 'PUT', postToken: async () => maskSecret(secret) })).to.equal('CSRF token missing.');
    expect(await reason({ origin: 'http://evil.example', header: secret })).to.equal(
      'Origin checking failed - http://evil.example does not match any trusted origins.',
    );
    expect(await reason({ origin: 'http://testserver', header: secret })).to.equal(null);
    expect(await reason({ origin: 'https://a.example.org', header: secret, trustedOrigins: ['https://*.example.org'] })).to.equal(null);
    expect(await reason({ secure: true, header: secret })).to.equal('Referer checking failed - no Referer.');
    expect(await reason({ secure: true, referer: 'nonsense', header: secret })).to.equal('Referer checking failed - Referer is malformed.');
    expect(await reason({ secure: true, referer: 'http://testserver/x', header: secret })).to.equal(
      'Referer checking failed - Referer is insecure while host is secure.',
    );
    expect(await reason({ secure: true, referer: 'https://evil.example/x', header: secret })).to.equal(
      'Referer checking failed - https://evil.example/x does not match any trusted origins.',
    );
    expect(await reason({ secure: true, referer: 'https://testserver/admin/', header: secret })).to.equal(null);
    // The origin is checked before the token: a wrong origin is reported even with no token.
    expect(await reason({ origin: 'null' })).to.equal('Origin checking failed - null does not match any trusted origins.');
  });

  it('parses Cookie headers like django.http.cookie.parse_cookie', () => {
    const c = parseCookies('a=1; sessionid=abc ; b="q\\"x"; sessionid=def; =; flag');
    expect(c.get('sessionid')).to.equal('def');
    expect(c.get('b')).to.equal('q"x');
    expect(c.get('')).to.equal('flag');
    expect(parseCookies('x='.repeat(20000)).size).to.equal(0);
  });
});

interface Resp {
  status: number;
  body: string;
  headers: Headers;
}

for (const backend of backends()) {
  describe(`REST API SessionAuthentication [${backend}]`, function () {
    this.timeout(120000);
    let srv: TestServer;
    let secure: TestServer;
    const csrf = newCsrfSecret();

    async function call(s: TestServer, path: string, init: RequestInit = {}): Promise<Resp> {
      const r = await fetch(s.baseUrl + path, { redirect: 'manual', ...init });
      return { status: r.status, body: await r.text(), headers: r.headers };
    }

    async function recordedSession(s: TestServer): Promise<void> {
      await s.ctx.db.knex('django_session').insert({
        session_key: VECTOR.sessionKey,
        session_data: VECTOR.sessionData,
        expire_date: new Date(Date.now() + 86400000).toISOString(),
      });
    }

    before(async () => {
      srv = await startServer(backend, { env: { SECRET_KEY: VECTOR.secret } });
      secure = await startServer(backend, { env: { SECRET_KEY: VECTOR.secret, TRUST_PROXY: 'true' }, seed: false });
    });
    after(async () => {
      await srv?.close();
      await secure?.close();
    });
    beforeEach(async () => {
      await srv.reset();
      await recordedSession(srv);
    });

    it('authenticates the recorded Django session row: GET /api/chat/groups/ with only the cookie', async () => {
      const bySession = await call(srv, '/api/chat/groups/', { headers: { Cookie: `sessionid=${VECTOR.sessionKey}` } });
      const byToken = await call(srv, '/api/chat/groups/', { headers: { Authorization: `Token ${userToken('anagh.jaiswar@akgec.ac.in')}` } });
      expect(bySession.status).to.equal(200);
      expect(bySession.body).to.equal(byToken.body);
      expect(bySession.headers.get('set-cookie')).to.equal(null);
      const auth = await authenticateSession(srv.ctx.db.knex, VECTOR.secret, VECTOR.sessionKey);
      expect(auth.kind).to.equal('user');
    });

    it("answers DRF's CSRF texts for unsafe methods and accepts the X-CSRFToken header or a form token", async () => {
      const cookie = `sessionid=${VECTOR.sessionKey}`;
      const statusBefore = await srv.ctx.db.knex('Chat_userroomstatus').where({ user_id: 1, room_id: 1 }).first('last_read');
      const post = (headers: Record<string, string>, body?: string) =>
        call(srv, '/api/chat/groups/1/mark-as-read/', { method: 'POST', headers: { Cookie: cookie, ...headers }, body });
      let r = await post({});
      expect([r.status, r.body]).to.deep.equal([403, '{"detail":"CSRF Failed: CSRF cookie not set."}']);
      r = await post({ Cookie: `${cookie}; csrftoken=${csrf}` });
      expect([r.status, r.body]).to.deep.equal([403, '{"detail":"CSRF Failed: CSRF token missing."}']);
      r = await post({ Cookie: `${cookie}; csrftoken=${csrf}`, 'X-CSRFToken': newCsrfSecret() });
      expect([r.status, r.body]).to.deep.equal([403, `{"detail":"CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."}`]);
      r = await post({ Cookie: `${cookie}; csrftoken=${csrf}`, 'X-CSRFToken': 'abc' });
      expect([r.status, r.body]).to.deep.equal([
        403,
        `{"detail":"CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header has incorrect length."}`,
      ]);
      r = await post({ Cookie: `${cookie}; csrftoken=${csrf}`, 'X-CSRFToken': csrf, Origin: 'http://evil.example' });
      expect([r.status, r.body]).to.deep.equal([
        403,
        '{"detail":"CSRF Failed: Origin checking failed - http://evil.example does not match any trusted origins."}',
      ]);
      // Nothing was written by the refused requests.
      expect(await srv.ctx.db.knex('Chat_userroomstatus').where({ user_id: 1, room_id: 1 }).first('last_read')).to.deep.equal(statusBefore);
      r = await post({ Cookie: `${cookie}; csrftoken=${csrf}`, 'X-CSRFToken': csrf });
      expect([r.status, r.body]).to.deep.equal([200, '{"message":"Room marked as read."}']);
      r = await post({ Cookie: `${cookie}; csrftoken=${csrf}`, 'X-CSRFToken': maskSecret(csrf), Origin: srv.baseUrl });
      expect(r.status).to.equal(200);
      r = await post(
        { Cookie: `${cookie}; csrftoken=${csrf}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        `csrfmiddlewaretoken=${maskSecret(csrf)}`,
      );
      expect(r.status).to.equal(200);
    });

    it('checks the Referer on HTTPS (TRUST_PROXY + X-Forwarded-Proto)', async () => {
      await recordedSession(secure).catch(() => undefined);
      const headers = { Cookie: `sessionid=${VECTOR.sessionKey}; csrftoken=${csrf}`, 'X-CSRFToken': csrf, 'X-Forwarded-Proto': 'https' };
      const host = new URL(secure.baseUrl).host;
      let r = await call(secure, '/api/chat/groups/1/mark-as-read/', { method: 'POST', headers });
      expect(r.body).to.equal('{"detail":"CSRF Failed: Referer checking failed - no Referer."}');
      r = await call(secure, '/api/chat/groups/1/mark-as-read/', { method: 'POST', headers: { ...headers, Referer: `http://${host}/admin/` } });
      expect(r.body).to.equal('{"detail":"CSRF Failed: Referer checking failed - Referer is insecure while host is secure."}');
      r = await call(secure, '/api/chat/groups/1/mark-as-read/', { method: 'POST', headers: { ...headers, Referer: 'https://evil.example/' } });
      expect(r.body).to.equal('{"detail":"CSRF Failed: Referer checking failed - https://evil.example/ does not match any trusted origins."}');
      r = await call(secure, '/api/chat/groups/1/mark-as-read/', { method: 'POST', headers: { ...headers, Referer: `https://${host}/admin/` } });
      expect([r.status, r.body]).to.deep.equal([200, '{"message":"Room marked as read."}']);
    });

    it('treats forged, expired, foreign-key and stale-hash sessions as anonymous (and deletes the cookie)', async () => {
      const deleted = 'sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax';
      const get = (key: string) => call(srv, '/api/chat/groups/', { headers: { Cookie: `sessionid=${key}` } });
      const anonymous = '{"detail":"Authentication credentials were not provided."}';
      // forged: no such row
      let r = await get('abcdefghijklmnopqrstuvwxyz012345');
      expect([r.status, r.body, r.headers.get('set-cookie')]).to.deep.equal([403, anonymous, deleted]);
      r = await get('../../etc/passwd');
      expect([r.status, r.body]).to.deep.equal([403, anonymous]);
      // expired
      const knex = srv.ctx.db.knex;
      await knex('django_session').where({ session_key: VECTOR.sessionKey }).update({ expire_date: '2020-01-01T00:00:00Z' });
      r = await get(VECTOR.sessionKey);
      expect([r.status, r.body, r.headers.get('set-cookie')]).to.deep.equal([403, anonymous, deleted]);
      // signed with another SECRET_KEY: an empty session, anonymous, the row kept
      const foreign = await createSession(knex, 'some-other-secret', loginPayload({ id: 1, password: VECTOR.passwordHash }, 'some-other-secret'));
      r = await get(foreign);
      expect([r.status, r.body, r.headers.get('set-cookie')]).to.deep.equal([403, anonymous, null]);
      // the user's password changed since: the session is flushed
      const stale = await createSession(knex, VECTOR.secret, loginPayload({ id: 1, password: 'pbkdf2_sha256$1$x$old' }, VECTOR.secret));
      r = await get(stale);
      expect([r.status, r.body, r.headers.get('set-cookie')]).to.deep.equal([403, anonymous, deleted]);
      expect(await knex('django_session').where({ session_key: stale }).first()).to.equal(undefined);
      // inactive user
      const ok = await createSession(knex, VECTOR.secret, loginPayload({ id: 1, password: VECTOR.passwordHash }, VECTOR.secret));
      await knex('User_user').where({ id: 1 }).update({ is_active: false });
      r = await get(ok);
      expect([r.status, r.body]).to.deep.equal([403, anonymous]);
    });

    it('leaves token requests as they were (session tried first, then the token)', async () => {
      const token = userToken('kabir.singh@akgec.ac.in');
      const plain = await call(srv, '/api/chat/groups/', { headers: { Authorization: `Token ${token}` } });
      const withOtherCookies = await call(srv, '/api/chat/groups/', {
        headers: { Authorization: `Token ${token}`, Cookie: 'csrftoken=x; theme=dark' },
      });
      expect(withOtherCookies.body).to.equal(plain.body);
      expect(withOtherCookies.headers.get('set-cookie')).to.equal(null);
      const post = await call(srv, '/api/chat/groups/1/mark-as-read/', { method: 'POST', headers: { Authorization: `Token ${token}` } });
      expect(post.status).to.not.equal(403);
      // A valid session wins over the token, as in DRF: Anagh's groups, and CSRF applies.
      const both = await call(srv, '/api/chat/groups/1/mark-as-read/', {
        method: 'POST',
        headers: { Authorization: `Token ${token}`, Cookie: `sessionid=${VECTOR.sessionKey}` },
      });
      expect(both.body).to.equal('{"detail":"CSRF Failed: CSRF cookie not set."}');
    });
  });
}
