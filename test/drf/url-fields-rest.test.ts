// The URL fix seen from the endpoints: task's info_url and the profile's linkedin_url/github_url now
// use the same Django 5.1 URLValidator. Before, the task copy accepted http://[1::2::3]/ and the
// profile copy accepted http://1.2.3 and http://0x7f.1 and refused http://example.com:99999.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { backends, ROOT, startServer, userToken, type TestServer } from '../helpers/harness.ts';

const ANAGH = userToken('anagh.jaiswar@akgec.ac.in'); // admin, 4th year
const KABIR = userToken('kabir.singh@akgec.ac.in');
const PNG = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.png'));

/** profile/fill/ takes POST only (every required field: a photo and a domain), multipart as the app sends it. */
function profileForm(fields: Record<string, string>): FormData {
  const form = new FormData();
  form.set('photo', new Blob([PNG], { type: 'image/png' }), 'me.png');
  form.set('domain', 'APP_DEV');
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return form;
}

async function send(srv: TestServer, method: string, path: string, token: string, body: BodyInit, contentType?: string) {
  const headers: Record<string, string> = { Authorization: `Token ${token}` };
  if (contentType) headers['Content-Type'] = contentType; // FormData sets its own boundary
  const res = await fetch(srv.baseUrl + path, { method, headers, body });
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

    it('profile/fill/: the same URLs are refused and accepted as by Django', async () => {
      for (const u of INVALID) {
        const res = await send(srv, 'POST', '/api/user/profile/fill/', KABIR, profileForm({ linkedin_url: u, github_url: u }));
        expect(res.status, u).to.equal(400);
        expect(res.json, u).to.deep.equal({ linkedin_url: ['Enter a valid URL.'], github_url: ['Enter a valid URL.'] });
      }
      const ok = await send(srv, 'POST', '/api/user/profile/fill/', KABIR, profileForm({ github_url: 'http://example.com:99999' }));
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
