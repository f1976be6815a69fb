import { expect } from 'chai';
import { SEED_USERS } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { verifyPassword, makePassword } from '../../src/auth/hashers.ts';
import { USER_TABLE } from '../../src/auth/tokens.ts';

async function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    redirect: 'manual',
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describeServer('login, logout and REST token auth', { timeout: 120000 }, (srv) => {
  it('logs in every seed user with their password and returns exactly their seeded token', async () => {
    for (const u of SEED_USERS.users) {
      const res = await post(srv.baseUrl, '/api/user/login/', { email: u.email, password: u.password });
      expect(res.status, u.email).to.equal(200);
      const body = JSON.parse(res.text);
      expect(Object.keys(body)).to.deep.equal(['year', 'token', 'is_completed', 'missing_fields', 'message']);
      expect(body.year).to.equal(u.year);
      expect(body.message).to.equal(`Welcome ${u.first_name}!`);
      if (u.token) expect(body.token).to.equal(u.token);
      else expect(body.token).to.match(/^[0-9a-f]{40}$/);
      expect(res.headers.get('content-type')).to.equal('application/json');
      expect(res.headers.get('vary')).to.equal('Cookie');
      expect(res.headers.get('allow')).to.equal('POST, OPTIONS');
    }
  });

  it("answers bad logins with the original's 403/400 bodies, never a 500", async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ email: 'kabir.singh@akgec.ac.in', password: 'wrong' }, 403, '{"detail":"Invalid email or password."}'],
      [{ email: 'KABIR.SINGH@akgec.ac.in', password: 'Kabir!2ndYear' }, 403, '{"detail":"Invalid email or password."}'],
      [{ email: 'nobody@akgec.ac.in', password: 'x' }, 403, '{"detail":"Invalid email or password."}'],
      [{ email: 'kabir.singh@akgec.ac.in' }, 403, '{"detail":"Invalid email or password."}'],
      [{}, 403, '{"detail":"Invalid email or password."}'],
      [{ email: 5, password: ['x'] }, 403, '{"detail":"Invalid email or password."}'],
      [
        '{"email": "kabir.singh@akgec.ac.in", ',
        400,
        '{"detail":"JSON parse error - Expecting property name enclosed in double quotes: line 1 column 38 (char 37)"}',
      ],
      ['[1,2]', 400, '{"detail":"Invalid data. Expected a dictionary, but got list."}'],
    ];
    for (const [body, status, text] of cases) {
      const res = await post(srv.baseUrl, '/api/user/login/', body);
      expect([res.status, res.text], JSON.stringify(body)).to.deep.equal([status, text]);
    }
    const noType = await fetch(srv.baseUrl + '/api/user/login/', { method: 'POST', body: 'email=x', headers: { 'Content-Type': 'text/plain' } });
    expect(noType.status).to.equal(415);
    expect(await noType.text()).to.equal('{"detail":"Unsupported media type \\"text/plain\\" in request."}');
  });

  it('refuses an inactive user but still upgrades an outdated hash on a correct password, as Django does', async () => {
    const knex = srv.ctx.db.knex;
    const old = await makePassword('Kabir!2ndYear', 'shortsalt', 20000);
    await knex(USER_TABLE).where({ id: 3 }).update({ password: old, is_active: false });
    const refused = await post(srv.baseUrl, '/api/user/login/', { email: 'kabir.singh@akgec.ac.in', password: 'Kabir!2ndYear' });
    expect(refused.status).to.equal(403);
    const row = await knex(USER_TABLE).where({ id: 3 }).first('password');
    expect(row.password).to.match(/^pbkdf2_sha256\$870000\$[A-Za-z0-9]{22}\$/);
    expect((await verifyPassword('Kabir!2ndYear', row.password)).ok).to.equal(true);
  });

  it('upgrades a hash with fewer iterations to 870000 on login and the new hash still verifies', async () => {
    const knex = srv.ctx.db.knex;
    await knex(USER_TABLE)
      .where({ id: 4 })
      .update({ password: await makePassword('MeeraApp2025', 'abcdefghijklmnopqrstuv', 260000) });
    const res = await post(srv.baseUrl, '/api/user/login/', { email: 'meera.nair@akgec.ac.in', password: 'MeeraApp2025' });
    expect(res.status).to.equal(200);
    const row = await knex(USER_TABLE).where({ id: 4 }).first('password');
    expect(row.password).to.match(/^pbkdf2_sha256\$870000\$/);
    expect((await verifyPassword('MeeraApp2025', row.password)).ok).to.equal(true);
    const again = await post(srv.baseUrl, '/api/user/login/', { email: 'meera.nair@akgec.ac.in', password: 'MeeraApp2025' });
    expect(again.status).to.equal(200);
  });

  it('logout deletes the token; the old token is refused; a new login issues a new random token', async () => {
    const meera = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
    const out = await post(srv.baseUrl, '/api/user/logout/', {}, { Authorization: `Token ${meera}` });
    expect([out.status, out.text]).to.deep.equal([200, '{"message":"Successfully logged out."}']);
    expect(out.headers.get('vary')).to.equal('Accept, Cookie');
    const again = await post(srv.baseUrl, '/api/user/logout/', {}, { Authorization: `Token ${meera}` });
    expect([again.status, again.text]).to.deep.equal([403, '{"detail":"Invalid token."}']);
    const login = await post(srv.baseUrl, '/api/user/login/', { email: 'meera.nair@akgec.ac.in', password: 'MeeraApp2025' });
    const token = JSON.parse(login.text).token;
    expect(token)
      .to.match(/^[0-9a-f]{40}$/)
      .and.not.equal(meera);
  });

  it('parses the Authorization header like DRF and answers 403, not 401', async () => {
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'Authentication credentials were not provided.'],
      ['Bearer 0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c', 'Authentication credentials were not provided.'],
      ['Token 0000000000000000000000000000000000000000', 'Invalid token.'],
      ['Token', 'Invalid token header. No credentials provided.'],
      ['Token a b', 'Invalid token header. Token string should not contain spaces.'],
    ];
    for (const [header, detail] of cases) {
      const res = await post(srv.baseUrl, '/api/user/logout/', {}, header ? { Authorization: header } : {});
      expect([res.status, res.text], header).to.deep.equal([403, JSON.stringify({ detail })]);
      expect(res.headers.get('www-authenticate')).to.equal(null);
    }
    // A bad Token header fails even on AllowAny views (login), before the body is read.
    const res = await post(srv.baseUrl, '/api/user/login/', { email: 'x', password: 'y' }, { Authorization: 'Token nope' });
    expect([res.status, res.text]).to.deep.equal([403, '{"detail":"Invalid token."}']);
    // Auth beats 405.
    const wrongMethod = await fetch(srv.baseUrl + '/api/user/logout/', { headers: { Authorization: 'Token nope' } });
    expect(wrongMethod.status).to.equal(403);
    const get = await fetch(srv.baseUrl + '/api/user/logout/', { headers: { Authorization: 'token 0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c' } });
    expect([get.status, await get.text(), get.headers.get('allow')]).to.deep.equal([
      405,
      '{"detail":"Method \\"GET\\" not allowed."}',
      'POST, OPTIONS',
    ]);
  });

  it("refuses tokens of inactive users with DRF's text", async () => {
    await srv.ctx.db.knex(USER_TABLE).where({ id: 3 }).update({ is_active: false });
    const res = await post(srv.baseUrl, '/api/user/logout/', {}, { Authorization: 'Token 0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c' });
    expect([res.status, res.text]).to.deep.equal([403, '{"detail":"User inactive or deleted."}']);
  });

  it('updates last_seen after an authenticated request', async () => {
    const before = await srv.ctx.db.knex(USER_TABLE).where({ id: 4 }).first('last_seen');
    expect(before.last_seen).to.equal(null);
    await post(srv.baseUrl, '/api/user/logout/', {}, { Authorization: 'Token c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00' });
    await new Promise((r) => setTimeout(r, 100));
    const after = await srv.ctx.db.knex(USER_TABLE).where({ id: 4 }).first('last_seen');
    expect(after.last_seen).to.be.a('string');
  });

  it("redirects a missing trailing slash (301, relative Location) and serves Django's HTML 404", async () => {
    const res = await post(srv.baseUrl, '/api/user/login?x=1', { email: 'a', password: 'b' });
    expect(res.status).to.equal(301);
    expect(res.headers.get('location')).to.equal('/api/user/login/?x=1');
    expect(res.text).to.equal('');
    const nf = await fetch(srv.baseUrl + '/api/does-not-exist/');
    expect(nf.status).to.equal(404);
    expect(await nf.text()).to.contain('<h1>Not Found</h1><p>The requested resource was not found on this server.</p>');
    const warm = await fetch(srv.baseUrl + '/api/warmup/');
    expect(await warm.text()).to.equal('{"message": "Server is warm!"}');
  });
});
