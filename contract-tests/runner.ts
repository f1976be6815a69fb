// Replays one golden transcript (recorded from the Django original) against a running server and judges
// every step whole: status, content type, the headers the golden lists, the body structurally with key
// order, and the exact bytes — after normalising only the volatile fields of fixtures/golden/README.md.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { drfJson, pythonDumps } from '../src/python/json.ts';
import { lineDiff } from './diff.ts';
import { GOLDEN_DIR, GOLDEN_ORIGIN, Normaliser, type SeedFacts } from './normalise.ts';
import {
  stepKind,
  type HttpExpect,
  type HttpRequest,
  type Step,
  type StepFailure,
  type Target,
  type Transcript,
  type TranscriptResult,
  type WsExpect,
} from './types.ts';
import { WsClient } from '../test/helpers/wsclient.ts';

export type { Target, Transcript, TranscriptResult } from './types.ts';

export interface RunOptions {
  /** Folder the multipart `files/...` paths are relative to (default fixtures/golden). */
  filesDir?: string;
  /** Accept different ids for rows created in the transcript (first-seen mapping); default exact. */
  mapIds?: boolean;
  /** current_status exactly as recorded (by default online <-> a local time is tolerated, as the golden README allows). */
  strictStatus?: boolean;
  /** current_status compared by shape only (replays without resets: --read-only). */
  anyStatus?: boolean;
  /** Quiet window after the expected frames arrived, to catch extra ones (first client of a group). */
  silenceMs?: number;
  /** Quiet window for the 2nd and later clients of a ws_expect group. */
  groupSilenceMs?: number;
  /** Minimum wait for expected frames. */
  frameTimeoutMs?: number;
  /** Pause after each HTTP step (the original writes last_seen after the response). */
  httpSettleMs?: number;
  /** Go on after a failing step (later steps may fail as a consequence). */
  keepGoing?: boolean;
  /** Do not call target.reset() (the caller did). */
  skipReset?: boolean;
  seed?: SeedFacts;
  /** Marks the result as a variant replay (report only). */
  variant?: boolean;
}

const TRACKED_HEADERS = ['location', 'allow', 'www-authenticate', 'vary'];

interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function header(h: http.IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

async function buildBody(req: HttpRequest, norm: Normaliser, filesDir: string): Promise<{ body?: Buffer; contentType?: string }> {
  if (req.multipart) {
    const form = new FormData();
    for (const [field, v] of Object.entries(req.multipart)) {
      if (typeof v === 'string') form.append(field, norm.rewrite(v));
      else form.append(field, new Blob([fs.readFileSync(path.join(filesDir, v.file))], { type: v.content_type }), v.filename);
    }
    const encoded = new Response(form);
    return { body: Buffer.from(await encoded.arrayBuffer()), contentType: encoded.headers.get('content-type')! };
  }
  if (typeof req.body === 'string') return { body: Buffer.from(norm.rewrite(req.body), 'utf8') };
  if (req.body !== undefined) return { body: Buffer.from(JSON.stringify(norm.rewriteValue(req.body)), 'utf8'), contentType: 'application/json' };
  return {};
}

/** One request with node:http: exact control of the headers, no redirect following, raw bytes. */
async function sendHttp(baseUrl: string, req: HttpRequest, norm: Normaliser, filesDir: string): Promise<HttpResponse> {
  const url = new URL(norm.rewritePath(req.path), baseUrl + '/');
  const { body, contentType } = await buildBody(req, norm, filesDir);
  const headers: Record<string, string> = { Accept: '*/*', 'User-Agent': 'csi-contract-runner' };
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k] = norm.rewrite(v);
  const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  if (contentType && (!has('content-type') || req.multipart)) {
    for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-type') delete headers[k];
    headers['Content-Type'] = contentType;
  }
  if (body) headers['Content-Length'] = String(body.length);
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method: req.method, headers, timeout: 30000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error('HTTP request timed out after 30 s')));
    r.on('error', reject);
    r.end(body);
  });
}

const pretty = (v: unknown) => JSON.stringify(v, null, 2) ?? 'undefined';
const clip = (s: string, n = 2000) => (s.length > n ? s.slice(0, n) + `… (${s.length} chars)` : s);

type Dialect = { name: string; serialise: (v: unknown) => string };
const DIALECTS: Dialect[] = [
  { name: 'DRF compact JSON', serialise: drfJson },
  { name: 'Python json.dumps', serialise: pythonDumps },
];

/**
 * Byte check of one JSON document whose parsed form already compared equal (modulo volatile fields):
 * the golden's bytes are reproduced by a serialiser (DRF's or Python's); the actual bytes must be exactly
 * what that serialiser makes of the actual value, and the normalised actual must serialise to the golden bytes.
 */
function byteProblems(
  what: string,
  expectedText: string,
  expectedValue: unknown,
  actualText: string,
  actualValue: unknown,
  normalised: unknown,
  baseUrl: string,
): string[] {
  const dialect = DIALECTS.find((d) => d.serialise(expectedValue) === expectedText);
  if (dialect) {
    const problems: string[] = [];
    const canonical = dialect.serialise(actualValue);
    if (canonical !== actualText) {
      problems.push(
        `${what}: the bytes are not ${dialect.name} (spacing, escaping or number format):\n    expected like: ${clip(canonical, 400)}\n    actual:        ${clip(actualText, 400)}`,
      );
    }
    const mine = dialect.serialise(normalised);
    if (!problems.length && mine !== expectedText)
      problems.push(`${what}: bytes differ after normalising:\n    expected: ${clip(expectedText, 400)}\n    actual:   ${clip(mine, 400)}`);
    return problems;
  }
  // No serialiser reproduces the golden bytes: compare them directly (links carry the target's host).
  const actual = actualText.split(baseUrl + '/').join(GOLDEN_ORIGIN + '/');
  return actual === expectedText ? [] : [`${what}: bytes differ:\n    expected: ${clip(expectedText, 400)}\n    actual:   ${clip(actualText, 400)}`];
}

function checkHttp(e: HttpExpect, res: HttpResponse, norm: Normaliser, baseUrl: string): { problems: string[]; expected?: string; actual?: string } {
  const problems: string[] = [];
  if (res.status !== e.status) problems.push(`status ${res.status}, expected ${e.status}`);
  const ct = header(res.headers, 'content-type');
  if (e.content_type !== undefined && ct !== e.content_type)
    problems.push(`content-type ${JSON.stringify(ct)}, expected ${JSON.stringify(e.content_type)}`);
  for (const name of TRACKED_HEADERS) {
    const want = Object.entries(e.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];
    const got = header(res.headers, name);
    if (got !== want)
      problems.push(
        `header ${name}: ${got === undefined ? '(absent)' : JSON.stringify(got)}, expected ${want === undefined ? '(absent)' : JSON.stringify(want)}`,
      );
  }
  const expectedIsJson = /^application\/json\b/.test(e.content_type ?? '') && e.body !== undefined && typeof e.body !== 'string';
  if (expectedIsJson) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.text);
    } catch {
      problems.push(`body is not JSON`);
      return { problems, expected: pretty(e.body), actual: res.text };
    }
    const c = norm.compare(e.body, parsed, 'body');
    problems.push(...c.problems);
    if (!c.problems.length && e.body_text !== undefined)
      problems.push(...byteProblems('body', e.body_text, e.body, res.text, parsed, c.value, baseUrl));
    return problems.length ? { problems, expected: pretty(e.body), actual: pretty(c.value) } : { problems };
  }
  const expectedText = e.body_text ?? (typeof e.body === 'string' ? e.body : undefined);
  if (expectedText !== undefined && res.text !== expectedText) {
    problems.push(`body text differs (${res.text.length} chars, expected ${expectedText.length})`);
    return { problems, expected: expectedText, actual: res.text };
  }
  return problems.length ? { problems, expected: expectedText, actual: res.text } : { problems };
}

/** Replays `transcript` against `target`: reset, then every step in order. Never throws for a mismatch. */
export async function runTranscript(transcript: Transcript, target: Target, opts: RunOptions = {}): Promise<TranscriptResult> {
  const started = Date.now();
  const baseUrl = target.baseUrl.replace(/\/+$/, '');
  const wsUrl = target.wsUrl.replace(/\/+$/, '');
  const filesDir = opts.filesDir ?? GOLDEN_DIR;
  const silenceMs = opts.silenceMs ?? 100;
  const groupSilenceMs = opts.groupSilenceMs ?? 20;
  const frameTimeoutMs = opts.frameTimeoutMs ?? 2000;
  const httpSettleMs = opts.httpSettleMs ?? 25;
  const norm = new Normaliser({ baseUrl, mapIds: opts.mapIds, strictStatus: opts.strictStatus, anyStatus: opts.anyStatus, seed: opts.seed });
  const clients = new Map<string, WsClient>();
  const result: TranscriptResult = {
    name: transcript.name,
    variant: !!opts.variant,
    ok: true,
    steps: transcript.steps.length,
    executed: 0,
    ms: 0,
    notes: norm.notes,
  };
  const failures: StepFailure[] = [];

  const fail = (f: StepFailure) => {
    failures.push(f);
    result.ok = false;
  };

  try {
    if (!opts.skipReset) {
      try {
        await target.reset();
      } catch (err) {
        fail({ index: 0, kind: 'http', request: 'target.reset()', problems: [`reset failed: ${(err as Error).message}`] });
        return result;
      }
    }
    for (const [i, step] of transcript.steps.entries()) {
      if (!result.ok && !opts.keepGoing) break;
      const index = i + 1;
      if (!hasKind(step)) {
        // A divergence marker standing for removed golden steps.
        result.executed++;
        continue;
      }
      const kind = stepKind(step);
      const prevKind = i > 0 && hasKind(transcript.steps[i - 1]) ? stepKind(transcript.steps[i - 1]) : null;
      try {
        switch (kind) {
          case 'http': {
            const req = step.http!;
            const request = `${req.method} ${norm.rewritePath(req.path)}${req.headers && Object.keys(req.headers).length ? ' ' + JSON.stringify(req.headers) : ''}${req.body !== undefined ? ' body ' + clip(typeof req.body === 'string' ? req.body : JSON.stringify(req.body), 300) : ''}${req.multipart ? ' multipart ' + JSON.stringify(req.multipart) : ''}`;
            const res = await sendHttp(baseUrl, req, norm, filesDir);
            const c = checkHttp(step.expect!, res, norm, baseUrl);
            if (c.problems.length) fail({ index, kind, request, problems: c.problems, expected: c.expected, actual: c.actual });
            if (httpSettleMs > 0) await sleep(httpSettleMs);
            break;
          }
          case 'ws_connect': {
            const { client, path: p } = step.ws_connect!;
            const request = `connect ${client} → ${norm.rewritePath(p)}`;
            const old = clients.get(client);
            if (old) old.terminate();
            const res = await WsClient.open(wsUrl + norm.rewritePath(p)).catch((err: Error) => ({ error: err.message }));
            const want = step.expect ?? { accepted: true };
            if ('client' in res) {
              clients.set(client, res.client);
              if (want.accepted === false) {
                fail({ index, kind, request, problems: [`handshake accepted, expected refused with ${want.status}`] });
                res.client.terminate();
                clients.delete(client);
              }
            } else if ('status' in res) {
              if (want.accepted !== false)
                fail({
                  index,
                  kind,
                  request,
                  problems: [`handshake refused with ${res.status}${res.body ? ' ' + clip(res.body.trim(), 200) : ''}, expected accepted`],
                });
              else if (want.status !== undefined && want.status !== res.status)
                fail({ index, kind, request, problems: [`handshake refused with ${res.status}, expected ${want.status}`] });
            } else {
              fail({ index, kind, request, problems: [`connection failed: ${res.error}`] });
            }
            break;
          }
          case 'ws_send': {
            const { client, text, settle_ms } = step.ws_send!;
            const sock = clients.get(client);
            const frame = norm.rewriteFrame(text);
            if (!sock || sock.closed) {
              fail({
                index,
                kind,
                request: `${client} ← ${clip(frame, 300)}`,
                problems: [`client ${client} is not connected${sock?.closed ? ` (closed with ${sock.closed.code})` : ''}`],
              });
              break;
            }
            sock.send(frame);
            if (settle_ms) await sleep(settle_ms);
            break;
          }
          case 'ws_expect': {
            const f = await expectFrames(step.ws_expect!, clients, norm, {
              firstOfGroup: prevKind !== 'ws_expect',
              silenceMs,
              groupSilenceMs,
              frameTimeoutMs,
            });
            if (f) fail({ index, kind, ...f });
            break;
          }
          case 'ws_close': {
            const { client } = step.ws_close!;
            const sock = clients.get(client);
            if (!sock) {
              fail({ index, kind, request: `close ${client}`, problems: [`client ${client} is not connected`] });
              break;
            }
            await sock.closeAndWait();
            clients.delete(client);
            break;
          }
        }
      } catch (err) {
        fail({ index, kind, request: describeStep(step), problems: [`error: ${(err as Error).message ?? err}`] });
      }
      result.executed++;
    }
  } finally {
    await Promise.all([...clients.values()].map((c) => c.closeAndWait(300)));
    result.ms = Date.now() - started;
    result.failure = failures[0];
    if (failures.length > 1) (result as TranscriptResult & { more?: StepFailure[] }).more = failures.slice(1);
  }
  return result;
}

function hasKind(step: Step): boolean {
  return !!(step.http || step.ws_connect || step.ws_send || step.ws_expect || step.ws_close);
}

function describeStep(step: Step): string {
  if (step.http) return `${step.http.method} ${step.http.path}`;
  if (step.ws_connect) return `connect ${step.ws_connect.client} → ${step.ws_connect.path}`;
  if (step.ws_send) return `${step.ws_send.client} ← ${step.ws_send.text}`;
  if (step.ws_expect) return `expect frames on ${step.ws_expect.client}`;
  if (step.ws_close) return `close ${step.ws_close.client}`;
  return '?';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function expectFrames(
  e: WsExpect,
  clients: Map<string, WsClient>,
  norm: Normaliser,
  o: { firstOfGroup: boolean; silenceMs: number; groupSilenceMs: number; frameTimeoutMs: number },
): Promise<Omit<StepFailure, 'index' | 'kind'> | null> {
  const request = `frames on ${e.client} (wait_ms ${e.wait_ms})`;
  const sock = clients.get(e.client);
  if (!sock) return { request, problems: [`client ${e.client} is not connected (refused or closed earlier)`] };
  const want = e.frames.length;
  if (want > 0) await sock.waitFrames(want, Math.max(e.wait_ms, o.frameTimeoutMs));
  // Then a quiet window to catch extra frames (the recorder waited wait_ms after each action).
  if (o.firstOfGroup) await sleep(want > 0 ? o.silenceMs : Math.max(e.wait_ms, o.silenceMs));
  else await sleep(o.groupSilenceMs);
  if (e.closed_by_server) await sock.waitForClose(Math.max(e.wait_ms, o.frameTimeoutMs) + 1000);
  const got = sock.takeAll();

  const problems: string[] = [];
  if (got.length !== want) problems.push(`received ${got.length} frame(s), expected ${want}`);
  const normalised: unknown[] = [];
  got.forEach((f, k) => {
    let parsed: unknown;
    let isJson = !f.binary;
    try {
      parsed = JSON.parse(f.text);
    } catch {
      isJson = false;
    }
    if (k >= want) {
      normalised.push(isJson ? parsed : f.text);
      return;
    }
    const rawExpected = e.frames_raw[k];
    if (!isJson) {
      normalised.push(f.text);
      if (f.text !== rawExpected) problems.push(`frame ${k}: ${f.binary ? 'binary frame' : 'not JSON'}: ${clip(f.text, 300)}`);
      return;
    }
    const c = norm.compare(e.frames[k], parsed, `frame[${k}]`);
    normalised.push(c.value);
    problems.push(...c.problems);
    if (!c.problems.length && rawExpected !== undefined)
      problems.push(...byteProblems(`frame[${k}]`, rawExpected, e.frames[k], f.text, parsed, c.value, norm.baseUrl));
  });

  if (e.closed_by_server) {
    if (!sock.closed) problems.push(`socket still open, expected the server to close it with ${e.closed_by_server.code}`);
    else if (sock.closed.code !== e.closed_by_server.code)
      problems.push(`server closed the socket with ${sock.closed.code}, expected ${e.closed_by_server.code}`);
    clients.delete(e.client);
  } else if (sock.closed && !sock.closed.byClient) {
    problems.push(
      `server closed the socket with ${sock.closed.code}${sock.closed.reason ? ` (${sock.closed.reason})` : ''}, expected it to stay open`,
    );
    clients.delete(e.client);
  }
  if (!problems.length) return null;
  return {
    request,
    problems,
    expected: pretty(e.frames) + (e.closed_by_server ? `\n(closed by server: ${e.closed_by_server.code})` : ''),
    actual: pretty(normalised) + (sock.closed && !sock.closed.byClient ? `\n(closed by server: ${sock.closed.code})` : ''),
  };
}

// ---------------------------------------------------------------------------------------------------
// Report

export function formatResult(r: TranscriptResult, opts: { verbose?: boolean; pending?: { issue: number; reason: string } } = {}): string {
  const tag = r.variant ? ' (variant)' : '';
  const pend = opts.pending ? ` (pending on issue #${opts.pending.issue})` : '';
  const head = r.ok
    ? `✔ ${r.name}${tag}${pend}  ${r.steps} steps, ${r.ms} ms`
    : `✘ ${r.name}${tag}${pend}  ${r.failure?.index === 0 ? 'reset failed' : `failed at step ${r.failure?.index ?? '?'} of ${r.steps}`}, ${r.ms} ms`;
  const lines = [head];
  const all = [r.failure, ...((r as TranscriptResult & { more?: StepFailure[] }).more ?? [])].filter(Boolean) as StepFailure[];
  for (const f of all) {
    lines.push(f.index === 0 ? `    before step 1: ${f.request}` : `    step ${f.index} (${f.kind}): ${f.request}`);
    for (const p of f.problems) lines.push(...p.split('\n').map((l, k) => (k ? '      ' : '    - ') + l));
    if (f.expected !== undefined && f.actual !== undefined) {
      lines.push('    diff (- expected, + actual, volatile fields normalised):');
      lines.push(
        ...lineDiff(f.expected, f.actual)
          .split('\n')
          .map((l) => '      ' + l),
      );
    }
  }
  if (opts.verbose && r.notes.length) lines.push(...r.notes.map((n) => `    note: ${n}`));
  return lines.join('\n');
}
