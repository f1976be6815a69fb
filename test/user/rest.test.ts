// User app reads: list/, search/?q=, meet-our-team/, profile/detail/ — whole bodies, auth rules.
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { call } from '../helpers/http.ts';
import { USER_TABLE } from '../../src/auth/tokens.ts';

const KABIR = userToken('kabir.singh@akgec.ac.in');
const RIYA = userToken('riya.sharma@akgec.ac.in');
const PHOTO = (v: string) => `http://res.cloudinary.com/dcbla9zbl/image/upload/${v}`;

describeServer('user reads: list, search, meet-our-team, profile/detail', { timeout: 120000 }, (srv) => {
  it('list/ gives every user as UserListSerializer (id, full_name, email, role, year), auth required', async () => {
    const res = await call(srv, 'GET', '/api/user/list/', KABIR);
    expect(res.status).to.equal(200);
    expect(res.headers.get('allow')).to.equal('GET, HEAD, OPTIONS');
    expect(res.json).to.deep.equal([
      { id: 1, full_name: 'Anagh Jaiswar', email: 'anagh.jaiswar@akgec.ac.in', role: 'admin', year: '4th' },
      { id: 2, full_name: 'Riya Sharma', email: 'riya.sharma@akgec.ac.in', role: 'admin', year: '3rd' },
      { id: 3, full_name: 'Kabir Singh', email: 'kabir.singh@akgec.ac.in', role: 'member', year: '2nd' },
      { id: 4, full_name: 'Meera Nair', email: 'meera.nair@akgec.ac.in', role: 'member', year: '2nd' },
      { id: 5, full_name: 'Arjun Verma', email: 'arjun.verma@akgec.ac.in', role: 'member', year: '3rd' },
      { id: 6, full_name: 'Tanya Gupta', email: 'tanya.gupta@akgec.ac.in', role: 'student', year: '2nd' },
      { id: 7, full_name: 'Dev None', email: 'dev.outsider@akgec.ac.in', role: 'member', year: '3rd' },
    ]);
    const anon = await call(srv, 'GET', '/api/user/list/');
    expect([anon.status, anon.text]).to.deep.equal([403, '{"detail":"Authentication credentials were not provided."}']);
    const post = await call(srv, 'POST', '/api/user/list/', KABIR, {});
    expect([post.status, post.text]).to.deep.equal([405, '{"detail":"Method \\"POST\\" not allowed."}']);
  });

  it('search/?q= matches first or last name case-insensitively (UserSerializer with nested domain)', async () => {
    const res = await call(srv, 'GET', '/api/user/search/?q=%20SHAR%20', KABIR);
    expect(res.status).to.equal(200);
    expect(res.text).to.equal(
      `[{"id":2,"first_name":"Riya","last_name":"Sharma","domain":{"id":2,"name":"FRONTEND"},"photo":"${PHOTO('v1739200000/q3k9x8m2n1b4v5c6z7a8.png')}","year":"3rd"}]`,
    );
    const tanya = await call(srv, 'GET', '/api/user/search/?q=tanya', KABIR);
    expect(tanya.json).to.deep.equal([{ id: 6, first_name: 'Tanya', last_name: 'Gupta', domain: null, photo: null, year: '2nd' }]);
    const many = await call(srv, 'GET', '/api/user/search/?q=a', KABIR);
    expect(many.json.map((u: { id: number }) => u.id)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    for (const q of ['%25', '_', '%5C', '%00', 'zzz']) {
      const none = await call(srv, 'GET', `/api/user/search/?q=${q}`, KABIR);
      expect([none.status, none.text], q).to.deep.equal([200, '[]']);
    }
    for (const path of ['/api/user/search/', '/api/user/search/?q=', '/api/user/search/?q=%20%20']) {
      const bad = await call(srv, 'GET', path, KABIR);
      expect([bad.status, bad.text], path).to.deep.equal([400, '{"error":"please provide a search query"}']);
    }
    const anon = await call(srv, 'GET', '/api/user/search/?q=a');
    expect(anon.status).to.equal(403);
  });

  it('meet-our-team/ groups active users by year (no auth), skips inactive users and empty years', async () => {
    const res = await call(srv, 'GET', '/api/user/meet-our-team/');
    expect(res.status).to.equal(200);
    expect(Object.keys(res.json)).to.deep.equal(['2nd', '3rd', '4th']);
    expect(res.json['3rd'].map((u: { id: number }) => u.id)).to.deep.equal([2, 7]);
    // Arjun (status inactive) is hidden; a year with nobody active disappears.
    await srv.ctx.db.knex(USER_TABLE).where({ id: 1 }).update({ status: 'banned' });
    const again = await call(srv, 'GET', '/api/user/meet-our-team/');
    expect(Object.keys(again.json)).to.deep.equal(['2nd', '3rd']);
    // A bad token is still refused, as DRF authenticates before the AllowAny permission.
    const bad = await call(srv, 'GET', '/api/user/meet-our-team/', 'nope');
    expect([bad.status, bad.text]).to.deep.equal([403, '{"detail":"Invalid token."}']);
  });

  it("profile/detail/ answers the caller's profile with the domain as its name", async () => {
    const res = await call(srv, 'GET', '/api/user/profile/detail/', RIYA);
    expect(res.text).to.equal(
      `{"photo":"${PHOTO('v1739200000/q3k9x8m2n1b4v5c6z7a8.png')}","branch":"CS-IT","domain":"FRONTEND","dob":"2004-01-02","linkedin_url":"https://www.linkedin.com/in/riya-sharma","bio":"Frontend, React.","github_url":null,"achievements":null,"hosteller":true,"full_name":"Riya Sharma","year":"3rd"}`,
    );
    const tanya = await call(srv, 'GET', '/api/user/profile/detail/', userToken('tanya.gupta@akgec.ac.in'));
    expect(tanya.json).to.deep.equal({
      photo: null,
      branch: 'IT',
      domain: null,
      dob: null,
      linkedin_url: null,
      bio: null,
      github_url: null,
      achievements: null,
      hosteller: true,
      full_name: 'Tanya Gupta',
      year: '2nd',
    });
    const dev = await call(srv, 'GET', '/api/user/profile/detail/', userToken('dev.outsider@akgec.ac.in'));
    expect(dev.json.full_name).to.equal('Dev None');
    const anon = await call(srv, 'GET', '/api/user/profile/detail/');
    expect(anon.status).to.equal(403);
    const slashless = await call(srv, 'GET', '/api/user/profile/detail');
    expect([slashless.status, slashless.headers.get('location')]).to.deep.equal([301, '/api/user/profile/detail/']);
  });
});
