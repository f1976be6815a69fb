// Serving the API documents: off by default (the original's 404 page, as for any unknown path), and
// with API_DOCS=true drf-spectacular's conventions at /api/schema/ (YAML; JSON with ?format=json or
// by Accept), the AsyncAPI document, and Swagger UI from the swagger-ui-dist package (no CDN).
import { expect } from 'chai';
import { dump as yamlDump, load as yamlLoad } from 'js-yaml';
import { describeServer } from '../helpers/suites.ts';
import { call } from '../helpers/http.ts';
import { NOT_FOUND_HTML } from '../../src/drf/errors.ts';
import { buildDocuments } from '../../src/apidocs/index.ts';
import { urlpatterns, websocketUrlpatterns } from '../../src/urls.ts';

describeServer('API documents: off by default', { backend: 'pglite', resetEachTest: false }, (srv) => {
  for (const p of ['/api/schema/', '/api/schema/?format=json', '/api/schema/asyncapi/', '/api/docs/', '/api/docs/assets/swagger-ui-bundle.js']) {
    it(`GET ${p} is the original's 404 page`, async () => {
      const r = await call(srv, 'GET', p);
      expect(r.status).to.equal(404);
      expect(r.type).to.equal('text/html; charset=utf-8');
      expect(r.text).to.equal(NOT_FOUND_HTML);
    });
  }
});

describeServer('API documents: API_DOCS=true', { backend: 'pglite', resetEachTest: false, env: { API_DOCS: 'true' } }, (srv) => {
  const expected = buildDocuments(urlpatterns, websocketUrlpatterns);

  it('GET /api/schema/ is the OpenAPI document in YAML (application/vnd.oai.openapi)', async () => {
    const r = await call(srv, 'GET', '/api/schema/');
    expect(r.status).to.equal(200);
    expect(r.type).to.equal('application/vnd.oai.openapi; charset=utf-8');
    expect(yamlLoad(r.text)).to.deep.equal(JSON.parse(JSON.stringify(expected.openapi)));
  });

  it('?format=json, or Accept: application/vnd.oai.openapi+json, gives JSON (application/vnd.oai.openapi+json)', async () => {
    const r = await call(srv, 'GET', '/api/schema/?format=json');
    expect(r.status).to.equal(200);
    expect(r.type).to.equal('application/vnd.oai.openapi+json; charset=utf-8');
    expect(r.json).to.deep.equal(JSON.parse(JSON.stringify(expected.openapi)));
    const res = await fetch(srv.baseUrl + '/api/schema/', { headers: { Accept: 'application/vnd.oai.openapi+json' } });
    expect(res.headers.get('content-type')).to.equal('application/vnd.oai.openapi+json; charset=utf-8');
    expect(((await res.json()) as { openapi: string }).openapi).to.equal('3.1.0');
  });

  it('?format=yaml is YAML; a format no renderer has is 404, rendered by the first renderer (YAML), as DRF negotiates', async () => {
    const y = await call(srv, 'GET', '/api/schema/?format=yaml');
    expect(y.status).to.equal(200);
    expect(y.type).to.equal('application/vnd.oai.openapi; charset=utf-8');
    for (const p of ['/api/schema/?format=xml', '/api/schema/asyncapi/?format=api']) {
      const r = await call(srv, 'GET', p);
      expect(r.status, p).to.equal(404);
      expect(yamlLoad(r.text), p).to.deep.equal({ detail: 'Not found.' });
    }
  });

  it('GET /api/schema/asyncapi/ is the AsyncAPI document (YAML, JSON with ?format=json)', async () => {
    const y = await call(srv, 'GET', '/api/schema/asyncapi/');
    expect(y.status).to.equal(200);
    expect((yamlLoad(y.text) as { asyncapi: string }).asyncapi).to.equal('3.0.0');
    const j = await call(srv, 'GET', '/api/schema/asyncapi/?format=json');
    expect(j.json).to.deep.equal(JSON.parse(JSON.stringify(expected.asyncapi)));
  });

  it('GET /api/docs/ is Swagger UI with its assets served here, pointed at the JSON document', async () => {
    const page = await call(srv, 'GET', '/api/docs/');
    expect(page.status).to.equal(200);
    expect(page.type).to.equal('text/html; charset=utf-8');
    expect(page.text).not.to.match(/https?:\/\//);
    for (const src of page.text.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const asset = await call(srv, 'GET', '/api/docs/' + src[1]);
      expect(asset.status, src[1]).to.equal(200);
      expect(asset.text.length, src[1]).to.be.greaterThan(100);
    }
    const init = await call(srv, 'GET', '/api/docs/assets/init.js');
    expect(init.text).to.include("url: '/api/schema/?format=json'");
  });

  it('a request costs sending the bytes, not writing the document out again (anonymous GETs would stall the event loop)', async () => {
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const timed = async (f: () => Promise<unknown> | unknown) => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    const get = () => fetch(srv.baseUrl + '/api/schema/').then((r) => r.arrayBuffer());
    await get();
    const dumps: number[] = [];
    const requests: number[] = [];
    // Interleaved, so both see the same load on the machine.
    for (let i = 0; i < 7; i++) {
      dumps.push(await timed(() => yamlDump(expected.openapi, { noRefs: true, lineWidth: -1 })));
      requests.push(await timed(get));
    }
    // Each GET writing the YAML out again takes at least one dump; sending ready bytes takes a fraction of one.
    expect(median(requests), `GET ${median(requests).toFixed(1)} ms, one dump ${median(dumps).toFixed(1)} ms`).to.be.lessThan(median(dumps) / 2);
  });

  it('the REST API is unchanged: an unknown path under /api/ is still the 404 page', async () => {
    const r = await call(srv, 'GET', '/api/schema/nothing/');
    expect(r.status).to.equal(404);
    expect(r.text).to.equal(NOT_FOUND_HTML);
  });
});
