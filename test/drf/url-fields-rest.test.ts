// The URL fix seen from the endpoints: task's info_url and the profile's linkedin_url/github_url now
// use the same Django 5.1 URLValidator. Before, the task copy accepted http://[1::2::3]/ and the
// profile copy accepted http://1.2.3 and http://0x7f.1 and refused http://example.com:99999.
import { expect } from 'chai';
import { backends, startServer, userToken, type TestServer } from '../helpers/harness.ts';

const ANAGH = userToken('anagh.jaiswar@akgec.ac.in'); // admin, 4th year
const KABIR = userToken('kabir.singh@akgec.ac.in');

async function send(srv: TestServer, method: string, path: string, token: string, body: BodyInit, contentType: string) {
  const res = await fetch(srv.baseUrl + path, { method, headers: { Authorization: `Token ${token}`, 'Content-Type': contentType }, body });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

for (const backend of backends()) {
  describe(`URLField answers alike on every endpoint [${backend}]`, function () {
    this.timeout(120000);
    let srv: TestServer;
    before(async () => {
      srv = await startServer(backend);
    });
    after(async () => {
      await srv?.close();
    });

    const INVALID = ['http://1.2.3', 'http://[1::2::3]/', 'http://0x7f.1', 'http://a_b.com', 'http://-a.com', 'ftp://a.b'];

    it('profile/fill/ (PUT, partial): the same URLs are refused and accepted as by Django', async () => {
      for (const u of INVALID) {
        const res = await send(srv, 'PUT', '/api/user/profile/fill/', KABIR, JSON.stringify({ linkedin_url: u, github_url: u }), 'application/json');
        expect(res.status, u).to.equal(400);
        expect(res.json, u).to.deep.equal({ linkedin_url: ['Enter a valid URL.'], github_url: ['Enter a valid URL.'] });
      }
      const ok = await send(
        srv,
        'PUT',
        '/api/user/profile/fill/',
        KABIR,
        JSON.stringify({ github_url: 'http://example.com:99999' }),
        'application/json',
      );
      expect(ok.status).to.equal(200);
      expect(ok.json.github_url).to.equal('http://example.com:99999');
    });

    it('task create/: info_url is checked by the same validator', async () => {
      const today = new Date().toISOString().slice(0, 10);
      for (const u of INVALID) {
        const form = new URLSearchParams({ title: 'T', start_date: today, end_date: today, info_url: u, groups: '[]' });
        const res = await send(srv, 'POST', '/api/task/create/', ANAGH, form.toString(), 'application/x-www-form-urlencoded');
        expect(res.status, u).to.equal(400);
        expect(res.json, u).to.deep.equal({ info_url: ['Enter a valid URL.'] });
      }
    });
  });
}
