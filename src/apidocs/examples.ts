// Examples for the API documents, taken from the golden transcripts recorded on the original
// (fixtures/golden/*.json, format in fixtures/golden/README.md): for each route, method and status the
// first JSON answer recorded, and the first JSON request body. Absent (no examples) where the
// transcripts are not shipped (the Docker image).
import fs from 'node:fs';
import path from 'node:path';
import { UrlResolver, type UrlPattern } from '../drf/router.ts';

export interface Example {
  /** The transcript it comes from. */
  name: string;
  value: unknown;
}

export interface GoldenExamples {
  response(route: string, method: string, status: number): Example | undefined;
  request(route: string, method: string): Example | undefined;
  /** Socket frames by their shape's key: 'action:<action>' or the first key. */
  frames: Map<string, Example>;
}

interface GoldenStep {
  http?: { method: string; path: string; body?: unknown; multipart?: unknown };
  expect?: { status: number; content_type?: string; body?: unknown };
  ws_expect?: { frames: unknown[] };
}

/** The key a frame is indexed by: its action, or the first key of a frame without one. */
export function frameKey(frame: unknown): string {
  if (!frame || typeof frame !== 'object' || Array.isArray(frame)) return 'other';
  const f = frame as Record<string, unknown>;
  return typeof f.action === 'string' ? `action:${f.action}` : `key:${Object.keys(f)[0] ?? ''}`;
}

export function loadGoldenExamples(dir: string, urlpatterns: readonly UrlPattern<unknown>[]): GoldenExamples | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const resolver = new UrlResolver(urlpatterns);
  const responses = new Map<string, Example>();
  const requests = new Map<string, Example>();
  const frames = new Map<string, Example>();
  for (const file of fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const name = file.slice(0, -'.json'.length);
    const t = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as { steps?: GoldenStep[] };
    for (const step of t.steps ?? []) {
      if (step.ws_expect) {
        for (const f of step.ws_expect.frames) if (!frames.has(frameKey(f))) frames.set(frameKey(f), { name, value: f });
      }
      if (!step.http || !step.expect) continue;
      const found = resolver.resolve(decodeURIComponent(step.http.path.split('?')[0]));
      if (!found) continue;
      const method = step.http.method.toUpperCase();
      const rkey = `${found.route} ${method}`;
      if (step.http.body && typeof step.http.body === 'object' && !requests.has(rkey)) requests.set(rkey, { name, value: step.http.body });
      const key = `${rkey} ${step.expect.status}`;
      if (step.expect.content_type === 'application/json' && step.expect.body !== undefined && !responses.has(key)) {
        responses.set(key, { name, value: step.expect.body });
      }
    }
  }
  return {
    response: (route, method, status) => responses.get(`${route} ${method} ${status}`),
    request: (route, method) => requests.get(`${route} ${method}`),
    frames,
  };
}
