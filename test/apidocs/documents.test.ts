// The API documents (src/apidocs/): they cover exactly the routes the router serves, every answer and
// frame recorded on the original (the golden transcripts, or their variant where csi-chat diverges)
// validates against the schema documented for it, and the documents validate against the official
// OpenAPI 3.1 and AsyncAPI 3.0 JSON Schemas (offline: the schemas ship in the packages).
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import SwaggerParser from '@apidevtools/swagger-parser';
import asyncapiSpecs from '@asyncapi/specs';
import { flattenPatterns, UrlResolver } from '../../src/drf/router.ts';
import { urlpatterns, websocketUrlpatterns } from '../../src/urls.ts';
import { buildDocuments, documentFiles, type ApiDocuments } from '../../src/apidocs/index.ts';
import { openapiPath } from '../../src/apidocs/openapi.ts';
import { ROOT } from '../helpers/harness.ts';

type Json = Record<string, unknown>;

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface GoldenStep {
  http?: { method: string; path: string };
  expect?: { status: number; content_type?: string; body?: unknown; accepted?: boolean };
  ws_connect?: { client: string; path: string };
  ws_expect?: { client: string; frames: unknown[] };
}

/** Every transcript as csi-chat answers it: the variant where it diverges, else the golden. */
function transcripts(): Array<{ name: string; steps: GoldenStep[] }> {
  const dir = path.join(ROOT, 'fixtures/golden');
  const variants = path.join(ROOT, 'contract-tests/variants');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => {
      const file = fs.existsSync(path.join(variants, f)) ? path.join(variants, f) : path.join(dir, f);
      const t = JSON.parse(fs.readFileSync(file, 'utf8')) as { steps: GoldenStep[] };
      return { name: f.slice(0, -5), steps: t.steps };
    });
}

function ajv2020() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv;
}

describe('API documents', function () {
  this.timeout(60_000);
  let docs: ApiDocuments;
  before(() => {
    docs = buildDocuments(urlpatterns, websocketUrlpatterns);
  });

  it('every route the router serves is in the OpenAPI document, with the methods its view serves, and nothing else', () => {
    const resolver = new UrlResolver(urlpatterns);
    const served = resolver.patterns().map((r) => openapiPath(r).path);
    expect(Object.keys(docs.openapi.paths)).to.deep.equal(served);
    for (const { route, view } of flattenPatterns(urlpatterns)) {
      const item = docs.openapi.paths[openapiPath(route).path];
      const spec = view.spec;
      const expected = spec ? METHODS.filter((m) => spec.methods[m.toUpperCase() as Uppercase<typeof m>]) : ['get'];
      expect(
        METHODS.filter((m) => m in item),
        route,
      ).to.deep.equal(expected);
    }
  });

  it('every operation is documented (a summary and its own answers, not only the common ones)', () => {
    const undocumented: string[] = [];
    for (const [p, item] of Object.entries(docs.openapi.paths)) {
      for (const m of METHODS) {
        const op = (item as Json)[m] as Json | undefined;
        if (op && op['x-undocumented']) undocumented.push(`${m.toUpperCase()} ${p}`);
      }
    }
    expect(undocumented).to.deep.equal([]);
  });

  it('every socket route is a channel of the AsyncAPI document, and nothing else', () => {
    const addresses = Object.values(docs.asyncapi.channels).map((c) => (c as Json).address);
    expect(addresses).to.deep.equal(new UrlResolver(websocketUrlpatterns).patterns().map((r) => '/' + r.replace(/<(?:\w+:)?(\w+)>/g, '{$1}')));
  });

  it('the OpenAPI document is valid OpenAPI 3.1 (swagger-parser, the official schema)', async () => {
    await SwaggerParser.validate(structuredClone(docs.openapi) as never);
  });

  it('the AsyncAPI document is valid AsyncAPI 3.0 (the official JSON Schema from @asyncapi/specs)', () => {
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const schema = structuredClone(asyncapiSpecs.schemasWithoutId['3.0.0'] as object) as Json;
    const validate = ajv.compile(schema);
    const ok = validate(structuredClone(docs.asyncapi));
    expect(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 1)).to.equal(true);
    // Every payload compiles as a schema.
    for (const [name, m] of Object.entries(docs.asyncapi.components.messages)) {
      expect(() => ajv2020().compile((m as Json).payload as object), name).not.to.throw();
    }
  });

  it('every JSON answer of the transcripts validates against the schema documented for its route, method and status', () => {
    const ajv = ajv2020();
    const resolver = new UrlResolver(urlpatterns);
    const problems: string[] = [];
    let checked = 0;
    for (const t of transcripts()) {
      for (const [i, step] of t.steps.entries()) {
        if (!step.http || !step.expect) continue;
        const found = resolver.resolve(decodeURIComponent(step.http.path.split('?')[0]));
        if (!found) continue; // APPEND_SLASH 301s and Django's 404 page: not routes
        const where = `${t.name} step ${i + 1}: ${step.http.method} ${step.http.path} → ${step.expect.status}`;
        const item = docs.openapi.paths[openapiPath(found.route).path] as Json;
        const op = item[step.http.method.toLowerCase()] as Json | undefined;
        if (!op) {
          // A method the view does not serve: DRF's 405 (documented in info.description).
          if (step.expect.status !== 405) problems.push(`${where}: method not in the document`);
          continue;
        }
        const response = (op.responses as Json)[String(step.expect.status)] as Json | undefined;
        if (!response) {
          problems.push(`${where}: status not documented`);
          continue;
        }
        const content = (response.content ?? {}) as Json;
        if (step.expect.content_type === 'application/json') {
          const media = content['application/json'] as Json | undefined;
          if (!media) {
            problems.push(`${where}: no JSON body documented`);
            continue;
          }
          const validate = ajv.compile(media.schema as object);
          if (!validate(step.expect.body))
            problems.push(`${where}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(step.expect.body).slice(0, 300)}`);
          checked++;
        } else if (step.expect.content_type?.startsWith('text/html')) {
          if (!Object.keys(content).some((k) => k.startsWith('text/html'))) problems.push(`${where}: HTML answer not documented`);
          checked++;
        }
      }
    }
    expect(problems).to.deep.equal([]);
    expect(checked).to.be.greaterThan(100);
  });

  it('every frame of the transcripts validates against a frame documented for its socket', () => {
    const ajv = ajv2020();
    const channelOf = (p: string) => (p.startsWith('/ws/notifications/') ? 'notifications' : 'chat');
    const sent = (channel: string) =>
      Object.entries(docs.asyncapi.operations)
        .filter(([, op]) => (op as Json).action === 'send' && ((op as Json).channel as Json).$ref === `#/channels/${channel}`)
        .map(([name]) => {
          const key = `${channel}_${name.slice(`${channel}_send_`.length)}`;
          return { key, validate: ajv.compile((docs.asyncapi.components.messages[key] as Json).payload as object) };
        });
    const byChannel = { chat: sent('chat'), notifications: sent('notifications') };
    const problems: string[] = [];
    let checked = 0;
    for (const t of transcripts()) {
      const clients = new Map<string, string>();
      for (const [i, step] of t.steps.entries()) {
        if (step.ws_connect) clients.set(step.ws_connect.client, channelOf(step.ws_connect.path));
        if (!step.ws_expect) continue;
        const channel = clients.get(step.ws_expect.client) as 'chat' | 'notifications';
        for (const frame of step.ws_expect.frames) {
          checked++;
          if (!byChannel[channel].some((m) => m.validate(frame)))
            problems.push(`${t.name} step ${i + 1} (${channel}): ${JSON.stringify(frame).slice(0, 300)}`);
        }
      }
    }
    expect(problems).to.deep.equal([]);
    expect(checked).to.be.greaterThan(50);
  });

  it('carries examples recorded on the original, and none without the transcripts', () => {
    const count = (doc: object) => JSON.stringify(doc).split('recorded on the original (fixtures/golden/').length - 1;
    expect(count(docs.openapi)).to.be.greaterThan(40);
    expect(count(docs.asyncapi)).to.be.greaterThan(5);
    const bare = buildDocuments(urlpatterns, websocketUrlpatterns, null);
    expect(count(bare.openapi) + count(bare.asyncapi)).to.equal(0);
  });

  it('docs/api/ (linked from the README) holds exactly what `npm run schema` writes from the code', () => {
    const out = path.join(ROOT, 'data/test/apidocs-schema');
    fs.rmSync(out, { recursive: true, force: true });
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'schema', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60000,
    });
    expect(run.status, run.stderr).to.equal(0);
    const expected = documentFiles(docs);
    expect(fs.readdirSync(out).sort()).to.deep.equal(Object.keys(expected).sort());
    for (const [name, text] of Object.entries(expected)) {
      expect(fs.readFileSync(path.join(out, name), 'utf8') === text, `npm run schema: ${name}`).to.equal(true);
      const committed = path.join(ROOT, 'docs/api', name);
      expect(fs.existsSync(committed) && fs.readFileSync(committed, 'utf8') === text, `docs/api/${name} is stale: run npm run schema`).to.equal(true);
    }
  });

  it('the golden check can fail: a body with a key the schema does not have, or a wrong type, is refused', () => {
    const ajv = ajv2020();
    const op = (docs.openapi.paths['/api/user/login/'] as Json).post as Json;
    const schema = (((op.responses as Json)['200'] as Json).content as Json)['application/json'] as Json;
    const validate = ajv.compile(schema.schema as object);
    const good = { year: '3rd', token: 'a'.repeat(40), is_completed: true, missing_fields: [], message: 'Welcome Riya!' };
    expect(validate(good)).to.equal(true);
    expect(validate({ ...good, extra: 1 })).to.equal(false);
    expect(validate({ ...good, is_completed: 'yes' })).to.equal(false);
    const frames = Object.values(docs.asyncapi.components.messages).map((m) => ajv.compile((m as Json).payload as object));
    expect(frames.some((v) => v({ action: 'edited', id: 3, new_content: 'x' }))).to.equal(true);
    expect(frames.some((v) => v({ action: 'edited', id: 'three', new_content: 'x' }))).to.equal(false);
  });

  it('the document validation can fail: a parameter in no valid place is refused', async () => {
    const broken = structuredClone(docs.openapi) as Json;
    (((broken.paths as Json)['/api/chat/groups/{room_id}/messages/'] as Json).parameters as Json[])[0].in = 'body';
    let failed = false;
    await SwaggerParser.validate(broken as never).catch(() => (failed = true));
    expect(failed).to.equal(true);
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(structuredClone(asyncapiSpecs.schemasWithoutId['3.0.0'] as object));
    expect(validate({ ...structuredClone(docs.asyncapi), asyncapi: '3.0.0', channels: { chat: { address: 5 } } })).to.equal(false);
  });
});
