// ALLOWED_HOSTS as Django enforces it: a malformed or foreign Host gets Django's 400 page before any view
// (so it can never reach absolute URLs such as pagination links); allowed names, `.domain` patterns and
// ports pass; `*` (the default) allows everything.
import http from 'node:http';
import { expect } from 'chai';
import { isAllowedHost, splitDomain, effectiveAllowedHosts } from '../../src/drf/hosts.ts';
import { BAD_REQUEST_HTML } from '../../src/drf/errors.ts';
import { startServer, userToken, type TestServer } from '../helpers/harness.ts';

/** A raw request, so the Host header is exactly what the test says (fetch would set its own). */
function get(
  srv: TestServer,
  path: string,
  host: string | null,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: srv.port, path, method: 'GET', setHost: false, headers: { ...(host === null ? {} : { Host: host }), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8'), type: res.headers['content-type'] }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('ALLOWED_HOSTS', () => {
  it('splits and validates hosts as django.http.request does', () => {
    expect(splitDomain('Example.COM:8000')).to.equal('example.com');
    expect(splitDomain('example.com.')).to.equal('example.com');
    expect(splitDomain('[::1]:8000')).to.equal('[::1]');
    expect(splitDomain('[::1]')).to.equal('[::1]');
    expect(splitDomain('exa mple.com')).to.equal('');
    expect(splitDomain('example.com:80:80')).to.equal('');
    expect(splitDomain('user@example.com')).to.equal('');
    expect(splitDomain('')).to.equal('');
    expect(splitDomain('a'.repeat(100_000) + '!')).to.equal('');
    expect(isAllowedHost('example.com', ['example.com'])).to.equal(true);
    expect(isAllowedHost('api.example.com', ['.example.com'])).to.equal(true);
    expect(isAllowedHost('example.com', ['.example.com'])).to.equal(true);
    expect(isAllowedHost('badexample.com', ['.example.com'])).to.equal(false);
    expect(isAllowedHost('evil.com', ['example.com'])).to.equal(false);
    expect(isAllowedHost('evil.com', ['*'])).to.equal(true);
    expect(isAllowedHost('example.com', ['EXAMPLE.com'])).to.equal(true);
    expect(effectiveAllowedHosts([], true)).to.deep.equal(['.localhost', '127.0.0.1', '[::1]']);
    expect(effectiveAllowedHosts([], false)).to.deep.equal([]);
  });

  describe('on a server with ALLOWED_HOSTS=csi.example.com,.render.example [pglite]', () => {
    let srv: TestServer;
    before(async () => {
      srv = await startServer('pglite', { env: { ALLOWED_HOSTS: 'csi.example.com,.render.example' } });
    });
    after(() => srv?.close());

    it('answers a foreign, malformed or missing Host with Django 400 page before any view', async () => {
      for (const host of ['evil.example', 'csi.example.com.evil', 'bad host', 'csi.example.com:99:1']) {
        const res = await get(srv, '/api/chat/groups/?page=2', host, { Authorization: `Token ${userToken('anagh.jaiswar@akgec.ac.in')}` });
        expect(res.status, String(host)).to.equal(400);
        expect(res.body).to.equal(BAD_REQUEST_HTML);
        expect(res.type).to.equal('text/html; charset=utf-8');
      }
      // An HTTP/1.1 request without a Host (or with an empty one) is refused by Node's parser itself.
      for (const host of ['', null]) expect((await get(srv, '/api/warmup/', host)).status, String(host)).to.equal(400);
    });

    it('serves allowed names, subdomains and ports, and builds links with them', async () => {
      expect((await get(srv, '/api/warmup/', 'csi.example.com')).status).to.equal(200);
      expect((await get(srv, '/api/warmup/', 'CSI.example.com:443')).status).to.equal(200);
      expect((await get(srv, '/api/warmup/', 'app.render.example')).status).to.equal(200);
      const page = await get(srv, '/api/chat/groups/1/messages/?page=1', 'csi.example.com', {
        Authorization: `Token ${userToken('anagh.jaiswar@akgec.ac.in')}`,
      });
      expect(page.status).to.equal(200);
      const next = (JSON.parse(page.body) as { next: string | null }).next;
      if (next !== null) expect(next.startsWith('http://csi.example.com/')).to.equal(true);
    });
  });

  describe('with the default (*) [pglite]', () => {
    let srv: TestServer;
    before(async () => {
      srv = await startServer('pglite');
    });
    after(() => srv?.close());

    it('serves any Host, as the original with ALLOWED_HOSTS=*', async () => {
      expect((await get(srv, '/api/warmup/', 'anything.example')).status).to.equal(200);
    });
  });
});
