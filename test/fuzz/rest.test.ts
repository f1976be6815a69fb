// REST fuzz (issue 13, "Build it to last"): every route of the URL table (src/urls.ts, so a new route is
// fuzzed without touching this file) gets generated methods, query strings, bodies (JSON objects with
// the server's own field names, other JSON, malformed JSON, forms, other media types) and, in a second
// surface, raw multipart bodies (files and fields, many parts, malformed ones), each with a seed user's
// token, a wrong one or none. Asserted per input: no 5xx and an answer within 30 s; over the run: no
// event-loop stall over 100 ms that comes back when the input is replayed alone, no unhandled
// rejection, no error-level log line, RSS growth bounded. Seeded: the seed is printed, FUZZ_SEED replays
// it; FUZZ_INPUTS sets the inputs per surface (default 10,000). One backend: the CI Postgres when
// DATABASE_URL is set (PGlite runs its queries on the event loop, which would be measured as stalls of
// the server), else PGlite.
import http from 'node:http';
import { expect } from 'chai';
import { SEED_USERS } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { fillRoute, fuzzInputs, fuzzSeed, randBody, randMultipart, randQuery, REST_ROUTES, Rng, type Body } from './gen.ts';
import { rawRequest, runSurface } from './runner.ts';
import { recordingLogger, show, Watch } from './watch.ts';

const SEED = fuzzSeed();
const COUNT = fuzzInputs();
const TOKENS = SEED_USERS.users.map((u) => u.token).filter((t): t is string => !!t);
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'GET', 'POST', 'OPTIONS', 'HEAD'];

interface Input {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Body;
}

function authHeader(r: Rng): Record<string, string> {
  const k = r.int(0, 9);
  if (k <= 5) return { Authorization: `Token ${r.pick(TOKENS)}` };
  if (k === 6) return {};
  if (k === 7) return { Authorization: `Token ${'0'.repeat(40)}` };
  return { Authorization: r.pick(['Token', 'Token a b', 'Bearer x', `token ${r.pick(TOKENS)}`, 'Token \u00e9', 'Basic Og==']) };
}

function input(surface: 'rest' | 'multipart', index: number): Input {
  const r = Rng.forSurface(SEED, `${surface}:${index}`);
  // Round robin over the routes: each route gets COUNT / routes inputs of each surface.
  const route = REST_ROUTES[index % REST_ROUTES.length];
  let path = fillRoute(r, route);
  if (r.chance(0.03)) path = path.replace(/\/$/, ''); // APPEND_SLASH
  const method = surface === 'multipart' ? r.pick(['POST', 'POST', 'PUT', 'PATCH', 'DELETE']) : r.pick(METHODS);
  const body =
    surface === 'multipart'
      ? randMultipart(r)
      : method === 'GET' || method === 'HEAD'
        ? { bytes: null, contentType: null, kind: 'none' }
        : randBody(r);
  const headers: Record<string, string> = { ...authHeader(r) };
  if (body.contentType !== null) headers['Content-Type'] = body.contentType;
  if (r.chance(0.05)) headers.Accept = r.pick(['text/html', 'application/xml', '*/*', 'application/json; indent=4']);
  return { method, path: path + randQuery(r), headers, body };
}

function describeInput(surface: 'rest' | 'multipart', index: number): string {
  const i = input(surface, index);
  return `${surface} ${i.method} ${show(i.path, 200)} ${JSON.stringify(i.headers)} ${i.body.kind} ${show(i.body.bytes)}`;
}

const recorder = recordingLogger();

describeServer(
  'REST fuzz: every route, generated bodies and query strings',
  {
    backend: process.env.DATABASE_URL ? 'pg' : 'pglite',
    timeout: 600000,
    mediaRoot: true,
    resetEachTest: false,
    build: { log: recorder.log },
  },
  (srv) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    after(() => agent.destroy());

    for (const surface of ['rest', 'multipart'] as const) {
      it(`${surface}: ${COUNT} inputs over ${REST_ROUTES.length} routes — no 5xx, no stall, no unhandled rejection, bounded RSS`, async () => {
        await srv.reset();
        recorder.errors.length = 0;
        const watch = new Watch();
        const statuses = new Map<number, number>();
        const run = async (index: number) => {
          const i = input(surface, index);
          const reply = await rawRequest(agent, srv.baseUrl, { method: i.method, path: i.path, headers: i.headers, body: i.body.bytes });
          statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
          if (reply.status >= 500) watch.fail(index, describeInput(surface, index), `answered ${reply.status} ${show(reply.body, 200)}`);
        };
        const elapsed = await runSurface(watch, {
          count: COUNT,
          concurrency: 6,
          run,
          describe: (i) => describeInput(surface, i),
          resetEvery: 1000,
          reset: () => srv.reset(),
        });
        const byStatus = [...statuses.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([s, n]) => `${s}:${n}`)
          .join(' ');
        console.log(watch.figures(surface, SEED, COUNT, elapsed, `statuses ${byStatus}, error logs ${recorder.errors.length}`));
        const report = watch.report(SEED, recorder.errors);
        if (report) expect.fail(report);
      });
    }
  },
);
