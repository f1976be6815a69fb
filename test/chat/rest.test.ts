// DRF pagination links (replace_query_param semantics, X-Forwarded-* behind TRUST_PROXY), HEAD/OPTIONS,
// and room avatars through multipart.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { pageSizeFor, planPage, quotePlus, removeQueryParam, replaceQueryParam, djangoAbsoluteUri } from '../../src/drf/pagination.ts';
import { pythonInt } from '../../src/python/builtins.ts';
import { currentStatus, simpleName } from '../../src/chat/serializers.ts';

const KABIR = userToken('kabir.singh@akgec.ac.in');
const RIYA = userToken('riya.sharma@akgec.ac.in');

describe('DRF pagination helpers', () => {
  it('rebuilds links like replace_query_param / remove_query_param (sorted keys, quote_plus)', () => {
    const url = 'http://example.org:8000/pag/?page_size=3&page=2&z=a b&a=%C3%A9';
    expect(replaceQueryParam(url, 'page', 3)).to.equal('http://example.org:8000/pag/?a=%C3%A9&page=3&page_size=3&z=a+b');
    expect(removeQueryParam(url, 'page')).to.equal('http://example.org:8000/pag/?a=%C3%A9&page_size=3&z=a+b');
    expect(replaceQueryParam('http://h/p/?flag&x=1&x=2', 'page', 2)).to.equal('http://h/p/?flag=&page=2&x=1&x=2');
    expect(replaceQueryParam('http://h/p/?q=*~%2F&b=%F0%9F%98%80', 'page', 2)).to.equal('http://h/p/?b=%F0%9F%98%80&page=2&q=%2A~%2F');
    expect(removeQueryParam('http://h/p/?page=2', 'page')).to.equal('http://h/p/');
    expect(quotePlus('a b+c/é')).to.equal('a+b%2Bc%2F%C3%A9');
  });

  it("reads page and page_size like Django's Paginator and DRF", () => {
    const spec = { pageSize: 20, maxPageSize: 100 };
    expect(pythonInt(' +2 ')).to.equal(2n);
    expect(pythonInt('2_0')).to.equal(20n);
    expect(pythonInt('2__0')).to.equal(null);
    expect(pythonInt('2.0')).to.equal(null);
    expect(pageSizeFor('0', spec)).to.equal(20);
    expect(pageSizeFor('-3', spec)).to.equal(20);
    expect(pageSizeFor('1000', spec)).to.equal(100);
    expect(pageSizeFor('7', spec)).to.equal(7);
    expect(planPage(0, { page: undefined, pageSize: undefined }, spec)).to.deep.include({ number: 1, numPages: 1, offset: 0 });
    expect(planPage(45, { page: 'last', pageSize: undefined }, spec)).to.deep.include({ number: 3, offset: 40 });
    expect(() => planPage(0, { page: '2', pageSize: undefined }, spec)).to.throw('Invalid page.');
    expect(djangoAbsoluteUri('http://h:1/api/chat/groups/%31/messages/?page=2')).to.equal('http://h:1/api/chat/groups/1/messages/?page=2');
  });

  it('computes current_status and the parent sender name like the original', () => {
    const now = Date.parse('2026-11-24T06:00:00Z');
    expect(currentStatus(null, now)).to.equal('offline');
    expect(currentStatus('2026-11-24 05:58:30.5+00', now)).to.equal('online');
    expect(currentStatus('2026-11-24 05:58:00+00', now)).to.equal('2026-11-24 11:28:00');
    expect(currentStatus('2026-11-24 06:05:00+00', now)).to.equal('online');
    expect(simpleName('Dev', null)).to.equal('Dev None');
    expect(simpleName('Kabir', 'Singh')).to.equal('Kabir Singh');
    expect(simpleName(' ', '')).to.equal(' ');
  });
});

describeServer('chat REST links, proxies, HEAD/OPTIONS and avatars', { timeout: 120000, cloudinary: true }, (srv, { backend, cloudinary: fake }) => {
  let proxied: TestServer;
  before(async () => {
    proxied = await startServer(backend, { env: { ...fake.env(), TRUST_PROXY: 'true' }, seed: false });
  });
  after(async () => proxied?.close());

  const get = (s: TestServer, p: string, headers: Record<string, string> = {}) =>
    fetch(s.baseUrl + p, { headers: { Authorization: `Token ${KABIR}`, ...headers } });

  it('builds next/previous from the Host header and ignores X-Forwarded-* without TRUST_PROXY', async () => {
    // fetch() cannot set Host; a raw request can.
    const body = await new Promise<{ next: string; previous: string }>((resolve, reject) => {
      const u = new URL(srv.baseUrl);
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          path: '/api/chat/groups/1/messages/?page=2&page_size=5&z=a%20b',
          headers: {
            Host: 'chat.example.org:8443',
            Authorization: `Token ${KABIR}`,
            'X-Forwarded-Proto': 'https',
            'X-Forwarded-Host': 'evil.example',
          },
        },
        (res) => {
          let data = '';
          res.on('data', (d) => (data += d));
          res.on('end', () => resolve(JSON.parse(data)));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(body.next).to.equal('http://chat.example.org:8443/api/chat/groups/1/messages/?page=3&page_size=5&z=a+b');
    expect(body.previous).to.equal('http://chat.example.org:8443/api/chat/groups/1/messages/?page_size=5&z=a+b');
  });

  it('honours X-Forwarded-Proto/Host with TRUST_PROXY', async () => {
    const res = await get(proxied, '/api/chat/groups/1/messages/?page=2&page_size=5', {
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'csi.example.org',
    });
    const body = await res.json();
    expect(body.next).to.equal('https://csi.example.org/api/chat/groups/1/messages/?page=3&page_size=5');
    expect(body.previous).to.equal('https://csi.example.org/api/chat/groups/1/messages/?page_size=5');
  });

  it('answers HEAD like GET without a body and OPTIONS with DRF metadata', async () => {
    const head = await fetch(srv.baseUrl + '/api/chat/groups/', { method: 'HEAD', headers: { Authorization: `Token ${KABIR}` } });
    expect(head.status).to.equal(200);
    expect(head.headers.get('allow')).to.equal('GET, HEAD, OPTIONS');
    const opts = await fetch(srv.baseUrl + '/api/chat/groups/1/messages/upload/', {
      method: 'OPTIONS',
      headers: { Authorization: `Token ${KABIR}` },
    });
    expect(opts.status).to.equal(200);
    expect(opts.headers.get('allow')).to.equal('POST, OPTIONS');
  });

  it('uploads a room avatar (multipart, image resource) on create and edit; refuses non-images', async () => {
    const png = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.png'));
    const form = new FormData();
    form.append('name', 'avatar_room');
    form.append('members', '2');
    form.append('is_active', 'true');
    form.append('room_avatar', new File([png], 'a.png', { type: 'image/png' }));
    const res = await fetch(`${srv.baseUrl}/api/chat/create-group/`, { method: 'POST', headers: { Authorization: `Token ${RIYA}` }, body: form });
    const text = await res.text();
    expect(res.status, text).to.equal(201);
    const room = JSON.parse(text).room;
    expect(room.room_avatar).to.match(/^http:\/\/res\.cloudinary\.com\/dcbla9zbl\/image\/upload\/v\d{10}\/[a-z0-9]{20}\.png$/);
    const row = await srv.ctx.db.knex('Chat_room').where({ id: room.id }).first();
    expect(row.room_avatar).to.match(/^image\/upload\/v\d{10}\/[a-z0-9]{20}\.png$/);

    const bad = new FormData();
    bad.append('room_avatar', new File([Buffer.from('%PDF-1.4 not an image')], 'a.pdf', { type: 'application/pdf' }));
    const res2 = await fetch(`${srv.baseUrl}/api/chat/edit-group/${room.id}/`, {
      method: 'PUT',
      headers: { Authorization: `Token ${RIYA}` },
      body: bad,
    });
    expect(res2.status).to.equal(400);
    expect(await res2.text()).to.equal(
      '{"room_avatar":["Upload a valid image. The file you uploaded was either not an image or a corrupted image."]}',
    );
  });
});
