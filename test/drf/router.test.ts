// The URL table machinery of src/drf/router.ts without a database: Django's path()/include() and path
// converters, first match wins, and UrlRouter.handler's APPEND_SLASH 301 and HTML 404 over real HTTP.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import type { AppContext } from '../../src/context.ts';
import type { ApiViewFn } from '../../src/drf/api.ts';
import { NOT_FOUND_HTML } from '../../src/drf/errors.ts';
import { flattenPatterns, include, path, UrlResolver, UrlRouter, type UrlPattern } from '../../src/drf/router.ts';
import { urlpatterns, websocketUrlpatterns } from '../../src/urls.ts';

describe('URL resolver: path(), include() and converters', () => {
  const resolver = (patterns: UrlPattern<string>[], leadingSlash?: string) => new UrlResolver(patterns, leadingSlash);

  it('flattens include() under its prefix, in order', () => {
    const table = [path('api/', include([path('a/', 'A'), path('b/<int:id>/', 'B')])), path('c/', 'C')];
    expect(flattenPatterns(table)).to.deep.equal([
      { route: 'api/a/', view: 'A' },
      { route: 'api/b/<int:id>/', view: 'B' },
      { route: 'c/', view: 'C' },
    ]);
    expect(resolver(table).patterns()).to.deep.equal(['api/a/', 'api/b/<int:id>/', 'c/']);
  });

  it('matches the converters as Django does: int, str (the default), slug, path', () => {
    const r = resolver([path('i/<int:n>/', 'int'), path('s/<name>/', 'str'), path('g/<slug:s>/', 'slug'), path('p/<path:rest>', 'path')]);
    expect(r.resolve('/i/0042/')).to.deep.equal({ view: 'int', params: { n: '0042' }, route: 'i/<int:n>/' });
    for (const bad of ['/i/-1/', '/i/1.5/', '/i/x/', '/i//', '/i/١/']) expect(r.resolve(bad), bad).to.equal(null);
    expect(r.resolve('/s/a b é/')?.params).to.deep.equal({ name: 'a b é' });
    expect(r.resolve('/s/a/b/')).to.equal(null);
    expect(r.resolve('/g/a-b_C9/')?.params).to.deep.equal({ s: 'a-b_C9' });
    expect(r.resolve('/g/a.b/')).to.equal(null);
    expect(r.resolve('/p/x/y/z.txt')?.params).to.deep.equal({ rest: 'x/y/z.txt' });
    expect(r.resolve('/p/')).to.equal(null);
  });

  it('takes the first pattern that matches the whole path', () => {
    const r = resolver([path('groups/search/', 'search'), path('groups/<str:id>/', 'room'), path('groups/<str:id>/members/', 'members')]);
    expect(r.resolve('/groups/search/')?.view).to.equal('search');
    expect(r.resolve('/groups/7/')?.view).to.equal('room');
    expect(r.resolve('/groups/7/members/')?.view).to.equal('members');
    expect(r.resolve('/groups/7/members')).to.equal(null);
    expect(r.resolve('/groups/7/members/x/')).to.equal(null);
    expect(r.resolve('groups/7/')).to.equal(null);
  });

  it('reads regex characters in a route literally', () => {
    const r = resolver([path('a.b/(x)+/', 'literal')]);
    expect(r.resolve('/a.b/(x)+/')?.view).to.equal('literal');
    expect(r.resolve('/aXb/(x)+/')).to.equal(null);
    expect(r.resolve('/a.b/xx/')).to.equal(null);
  });

  it('accepts extra leading slashes only with Channels\' leadingSlash "/+"', () => {
    const table = [path('ws/chat/<int:room_id>/', 'chat')];
    expect(resolver(table, '/+').resolve('//ws/chat/1/')?.params).to.deep.equal({ room_id: '1' });
    expect(resolver(table).resolve('//ws/chat/1/')).to.equal(null);
  });

  it('refuses an unknown converter when the table is built', () => {
    expect(() => resolver([path('x/<uuid:id>/', 'x')])).to.throw('unknown path converter uuid in x/<uuid:id>/');
  });

  it('reaches every route of src/urls.ts: no pattern is shadowed by an earlier one', () => {
    for (const [table, leadingSlash] of [
      [urlpatterns, '/'],
      [websocketUrlpatterns, '/+'],
    ] as const) {
      const r = new UrlResolver<unknown>(table as readonly UrlPattern<unknown>[], leadingSlash);
      expect(r.patterns().length).to.be.greaterThan(1);
      for (const route of r.patterns()) {
        const sample = '/' + route.replace(/<(?:(\w+):)?(\w+)>/g, (_, conv: string | undefined) => (conv === 'int' ? '1' : 'x'));
        expect(r.resolve(sample)?.route, sample).to.equal(route);
      }
    }
  });
});

describe("URL router over HTTP: views, APPEND_SLASH and Django's 404", () => {
  const servers: http.Server[] = [];
  const logged: unknown[] = [];

  const echo: ApiViewFn = async (_ctx, req, res, params) => {
    res.json({ method: req.method, params });
  };
  const failing: ApiViewFn = async () => {
    throw new Error('view failed on purpose');
  };

  /** An express app with the router's handler, then a handler standing for what comes next (/media/). */
  async function serve(patterns: UrlPattern<ApiViewFn>[], mediaRoot: string | null = null): Promise<string> {
    const ctx = { config: { mediaRoot }, log: { error: (...args: unknown[]) => logged.push(args) } } as unknown as AppContext;
    const app = express();
    app.use(new UrlRouter(patterns).handler(ctx));
    app.use((_req, res) => void res.status(299).send('next handler'));
    const server = http.createServer(app);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** A raw request: the path goes out exactly as given (fetch would normalise it). */
  function get(base: string, rawPath: string, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(base + '/', { method, path: rawPath }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  const table = [path('api/', include([path('things/<int:id>/', echo), path('fail/', failing)]))];

  after(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  it('serves the view of the matching route with its parameters, percent-decoded', async () => {
    const base = await serve(table);
    const res = await get(base, '/api/things/7/');
    expect([res.status, res.body]).to.deep.equal([200, '{"method":"GET","params":{"id":"7"}}']);
    expect((await get(base, '/api/things/%37/')).body).to.equal('{"method":"GET","params":{"id":"7"}}');
  });

  it('redirects a path that resolves only with a trailing slash: 301, relative Location with the query, no body', async () => {
    const base = await serve(table);
    for (const method of ['GET', 'POST']) {
      const res = await get(base, '/api/things/7?x=1&y=%20', method);
      expect(res.status, method).to.equal(301);
      expect(res.headers.location).to.equal('/api/things/7/?x=1&y=%20');
      expect(res.headers['content-type']).to.equal('text/html; charset=utf-8');
      expect(res.headers.vary).to.equal('Cookie');
      expect(res.body).to.equal('');
    }
  });

  it("answers Django's HTML 404 when neither the path nor the path with a slash resolves", async () => {
    const base = await serve(table);
    for (const p of ['/api/things/x/', '/api/things/7/extra', '/api/', '/nothing', '/api/%E0%A4%A/']) {
      const res = await get(base, p);
      expect(res.status, p).to.equal(404);
      expect(res.headers['content-type'], p).to.equal('text/html; charset=utf-8');
      expect(res.body, p).to.equal(NOT_FOUND_HTML);
    }
  });

  it('never redirects to another host: a Location starting with // gets /%2F, as CommonMiddleware does', async () => {
    const base = await serve([path('<path:rest>/', echo)]);
    const res = await get(base, '//evil.example');
    expect(res.status).to.equal(301);
    expect(res.headers.location).to.equal('/%2Fevil.example/');
  });

  it('answers 500 with no body when a view fails, and logs it', async () => {
    const base = await serve(table);
    logged.length = 0;
    const res = await get(base, '/api/fail/');
    expect([res.status, res.body]).to.deep.equal([500, '']);
    expect(logged).to.have.length(1);
  });

  it('hands /media/ to the next handler only when MEDIA_ROOT is set', async () => {
    expect((await get(await serve(table, '/srv/media'), '/media/uploads/a.png')).status).to.equal(299);
    const without = await get(await serve(table), '/media/uploads/a.png');
    expect([without.status, without.body]).to.deep.equal([404, NOT_FOUND_HTML]);
  });
});
