// Seeded input generators of the fuzz suites: one PRNG (mulberry32) per surface, derived from one seed
// (FUZZ_SEED replays a run; a fresh one is drawn and printed otherwise), so a failing input is
// reproduced by its seed and index. Inputs are built from the server's own vocabulary: the field names
// are the string literals of src/ (so a new field is fuzzed without touching this file), the routes come
// from the URL table (src/urls.ts), the values mix edge cases (huge and negative numbers, lone
// surrogates, NUL, deep nesting, malformed JSON) with valid ones (seed ids, e-mails, dates).
import fs from 'node:fs';
import path from 'node:path';
import { flattenPatterns } from '../../src/drf/router.ts';
import { urlpatterns, websocketUrlpatterns } from '../../src/urls.ts';
import { ROOT } from '../helpers/harness.ts';

/** The run's seed: FUZZ_SEED when given (a replay), else a fresh one. */
export function fuzzSeed(): number {
  const given = process.env.FUZZ_SEED;
  if (given !== undefined && given !== '') {
    const n = Number(given);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new Error(`FUZZ_SEED must be an integer 0..4294967295, got ${given}`);
    return n;
  }
  return Math.floor(Math.random() * 0x100000000);
}

/** Inputs per surface (FUZZ_INPUTS, default 10,000). */
export function fuzzInputs(): number {
  const n = Number(process.env.FUZZ_INPUTS ?? 10000);
  if (!Number.isInteger(n) || n < 1) throw new Error(`FUZZ_INPUTS must be a positive integer, got ${process.env.FUZZ_INPUTS}`);
  return n;
}

/** A small, fast, seeded PRNG with the draws the generators need. */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** A derived generator for one surface: the same seed gives each surface the same stream. */
  static forSurface(seed: number, surface: string): Rng {
    let h = seed >>> 0;
    for (let i = 0; i < surface.length; i++) h = Math.imul(h ^ surface.charCodeAt(i), 0x9e3779b1) >>> 0;
    return new Rng(h);
  }

  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
}

// ------------------------------------------------------------------------------------------------
// Vocabulary

/** Identifier-like string literals of src/ (field names, query keys, actions): the keys bodies use. */
function sourceVocabulary(): string[] {
  const words = new Set<string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'admin') walk(p);
      } else if (e.name.endsWith('.ts')) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/['"]([a-z][a-z0-9_]{1,39})['"]/g)) words.add(m[1]);
      }
    }
  };
  walk(path.join(ROOT, 'src'));
  return [...words].sort();
}

export const VOCABULARY: readonly string[] = sourceVocabulary();

/** Every REST route of the URL table, e.g. "api/chat/groups/<int:room_id>/messages/". */
export const REST_ROUTES: readonly string[] = flattenPatterns(urlpatterns).map((p) => p.route);
export const WS_ROUTES: readonly string[] = flattenPatterns(websocketUrlpatterns).map((p) => p.route);

const EDGE_INTS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -1, 2147483647, 2147483648, -2147483649, 9007199254740993, 1e20, 99999999999];
const EDGE_STRINGS = [
  '',
  ' ',
  '0',
  '-1',
  'null',
  'true',
  'None',
  'NaN',
  'Infinity',
  '1e400',
  '١٢',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '😀',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '%00',
  '../../etc/passwd',
  'javascript:alert(1)',
  'https://evil.example/x.png',
  'kabir.singh@akgec.ac.in',
  'someone@example.com',
  '2025-03-01',
  '2025-03-01T10:00:00Z',
  '9999-12-31T23:59:59+14:00',
  '\r\n',
  '\u202e',
  'Ａ',
];

/** A random string: edge cases, vocabulary words, short random text (any code unit), or a long run. */
export function randString(r: Rng): string {
  const k = r.int(0, 9);
  if (k <= 2) return r.pick(EDGE_STRINGS);
  if (k <= 4) return r.pick(VOCABULARY);
  if (k <= 7) {
    const n = r.int(0, 24);
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(r.chance(0.8) ? r.int(32, 126) : r.int(0, 0xffff));
    return s;
  }
  if (k === 8) return String(r.pick(EDGE_INTS));
  return r.pick(['a', '😀', 'x ', '\u0000']).repeat(r.int(100, r.chance(0.1) ? 70000 : 3000));
}

/** A random JSON-able value, nested up to `depth`. */
export function randValue(r: Rng, depth = 3): unknown {
  const k = r.int(0, depth > 0 ? 11 : 8);
  switch (k) {
    case 0:
    case 1:
      return r.pick(EDGE_INTS);
    case 2:
      return r.int(-5, 12);
    case 3:
      return r.next() * 1e6 - 5e5;
    case 4:
    case 5:
    case 6:
      return randString(r);
    case 7:
      return r.pick([true, false, null]);
    case 8:
      return r.pick([[], {}, '', 0]);
    case 9:
    case 10: {
      const n = r.int(0, 6);
      return Array.from({ length: n }, () => randValue(r, depth - 1));
    }
    default:
      return randObject(r, depth - 1);
  }
}

export function randObject(r: Rng, depth = 2): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = r.int(0, 8);
  for (let i = 0; i < n; i++) o[r.chance(0.85) ? r.pick(VOCABULARY) : randString(r)] = randValue(r, depth);
  return o;
}

/** JSON text that is not valid JSON: truncated, trailing garbage, Python literals, deep nesting,
 * and now and then a large unclosed array (the shape of a costly parse error). */
export function malformedJson(r: Rng): string {
  const valid = JSON.stringify(randObject(r));
  switch (r.int(0, 9)) {
    case 0:
      return valid.slice(0, r.int(0, Math.max(0, valid.length - 1)));
    case 1:
      return valid + r.pick(['x', ',', '}', ']', ' 1', '\u0000']);
    case 2:
      return r.pick(['{"a": NaN}', '{"a": Infinity}', "{'a': 1}", '{"a": 1,}', '[1,2', '{"a"}', 'nul', '\ufeff{}', '{"\\ud800": 1}', '{"a": "\\x"}']);
    case 3:
      return '['.repeat(r.int(100, 5000));
    case 4:
      return '{"a":'.repeat(r.int(50, 2000));
    case 5:
      // The cost of a parse error must not grow with the text before it (issue 13, finding 1).
      return '[' + '1,'.repeat(r.int(1000, r.chance(0.05) ? 30000 : 4000));
    case 6:
      return '{"message": "' + 'x'.repeat(r.int(10, 5000));
    default: {
      const bytes = r.int(1, 200);
      let s = '';
      for (let i = 0; i < bytes; i++) s += String.fromCharCode(r.int(0, 255));
      return s;
    }
  }
}

/** encodeURIComponent, with lone surrogates (which it refuses) replaced by U+FFFD as a UTF-8 encoder would. */
export function encodeText(s: string): string {
  return encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));
}

/** A path parameter's value for a converter: mostly small ids (existing rows), sometimes anything. */
function paramValue(r: Rng, conv: string): string {
  if (conv === 'int') return String(r.chance(0.8) ? r.int(0, 12) : r.pick(EDGE_INTS.filter((n) => n >= 0).map((n) => BigInt(Math.floor(n)))));
  if (r.chance(0.6)) return String(r.int(0, 12));
  const s = randString(r).replace(/\//g, '_');
  return encodeText(s.length ? s : 'x');
}

/** A concrete path for a route pattern. */
export function fillRoute(r: Rng, route: string): string {
  return '/' + route.replace(/<(?:(\w+):)?(\w+)>/g, (_, conv: string | undefined) => paramValue(r, conv ?? 'str'));
}

function encodeQsPart(r: Rng, s: string): string {
  // raw: stray % and unescaped punctuation as sloppy clients send them (bytes outside printable ASCII
  // are escaped still: they cannot be written in a request line)
  if (r.chance(0.1)) return s.replace(/[&#= ]/g, '_').replace(/[^\x21-\x7e]/gu, (c) => encodeText(c));
  return encodeText(s);
}

const QUERY_KEYS = ['page', 'page_size', 'limit', 'before', 'after', 'search', 'q', 'query', 'token', 'format', 'ordering', 'room', 'user_id'];

/** A query string (with its "?"), or "" — repeated keys, malformed escapes, vocabulary keys. */
export function randQuery(r: Rng): string {
  if (r.chance(0.3)) return '';
  if (r.chance(0.05)) return '?' + r.pick(['%', '%zz', '&&&', '=', 'a=%E0%A4%A', 'a=1&a=2&a=', '%00=%00', 'page=1'.repeat(500)]);
  const n = r.int(1, 5);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const key = r.chance(0.6) ? r.pick(QUERY_KEYS) : r.pick(VOCABULARY);
    const v = r.chance(0.5) ? String(r.pick([...EDGE_INTS, r.int(-2, 30)])) : randString(r).slice(0, r.chance(0.05) ? 100000 : 200);
    parts.push(`${encodeQsPart(r, key)}=${encodeQsPart(r, v)}`);
  }
  return '?' + parts.join('&');
}

/** A body, its Content-Type (null = no header) and a label for the report. */
export interface Body {
  bytes: Buffer | null;
  contentType: string | null;
  kind: string;
}

/** A REST body: valid JSON objects (vocabulary keys), JSON of other types, malformed JSON, forms,
 * other media types, or none. */
export function randBody(r: Rng): Body {
  const k = r.int(0, 19);
  if (k <= 2) return { bytes: null, contentType: null, kind: 'none' };
  if (k <= 9) return { bytes: Buffer.from(JSON.stringify(randObject(r))), contentType: 'application/json', kind: 'json-object' };
  if (k <= 10) return { bytes: Buffer.from(JSON.stringify(randValue(r))), contentType: 'application/json', kind: 'json-value' };
  if (k <= 13)
    return {
      bytes: Buffer.from(malformedJson(r), 'latin1'),
      contentType: r.pick(['application/json', 'application/vnd.api+json']),
      kind: 'json-malformed',
    };
  if (k <= 16) {
    const o = randObject(r, 0);
    const form = Object.entries(o)
      .map(([key, v]) => `${encodeQsPart(r, key)}=${encodeQsPart(r, typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))}`)
      .join('&');
    return { bytes: Buffer.from(form), contentType: 'application/x-www-form-urlencoded', kind: 'form' };
  }
  if (k === 17)
    return {
      bytes: Buffer.from(randString(r)),
      contentType: r.pick(['text/plain', 'application/xml', 'foo', '', 'application/json; charset=latin-1']),
      kind: 'other-type',
    };
  if (k === 18) return { bytes: Buffer.from(JSON.stringify(randObject(r))), contentType: null, kind: 'json-untyped' };
  return { bytes: Buffer.alloc(0), contentType: 'application/json', kind: 'empty' };
}

const PNG = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.png'));
const FILE_CONTENTS: Array<(r: Rng) => Buffer> = [
  () => PNG,
  (r) => Buffer.concat([PNG.subarray(0, r.int(1, PNG.length)), Buffer.from('garbage')]),
  () => Buffer.from('GIF89a<html><script>alert(1)</script></html>'),
  () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
  () => Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n'),
  () => Buffer.alloc(0),
  (r) => Buffer.alloc(r.int(1, 4096), r.int(0, 255)),
  (r) => Buffer.from(randString(r)),
];
const FILENAMES = [
  'tiny.png',
  'a.gif',
  'x.html',
  'x.svg',
  '',
  '../../etc/passwd',
  'a"b.png',
  'ü😀.jpg',
  'noext',
  'a'.repeat(300) + '.png',
  'a\u0000.png',
];
const MIME = ['image/png', 'image/gif', 'text/html', 'image/svg+xml', 'application/octet-stream', 'application/pdf', '', 'image/jpeg'];

function multipartHeaderValue(s: string): string {
  return s.replace(/[\r\n"]/g, '_');
}

/** A raw multipart/form-data body: text fields and file parts named from the vocabulary, sometimes
 * many parts, sometimes malformed (no closing boundary, bad headers, wrong boundary). */
export function randMultipart(r: Rng): Body {
  const boundary = `----fuzz${r.int(0, 1e9)}`;
  const chunks: Buffer[] = [];
  const many = r.chance(0.03);
  const parts = many ? r.int(50, 1200) : r.int(0, 8);
  for (let i = 0; i < parts; i++) {
    const name = multipartHeaderValue(r.chance(0.9) ? r.pick(VOCABULARY) : randString(r).slice(0, 50));
    if (r.chance(many ? 0.1 : 0.35)) {
      const filename = multipartHeaderValue(r.pick(FILENAMES));
      const content = r.pick(FILE_CONTENTS)(r);
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${r.pick(MIME)}\r\n\r\n`,
          'utf8',
        ),
        content,
        Buffer.from('\r\n'),
      );
    } else {
      const v = randValue(r, 0);
      const text = typeof v === 'string' ? v : (JSON.stringify(v) ?? '');
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${text}\r\n`, 'utf8'));
    }
  }
  const malformed = r.int(0, 15);
  if (malformed === 0) {
    // no closing boundary
  } else if (malformed === 1) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${boundary}--\r\n`));
  } else if (malformed === 2) {
    chunks.push(Buffer.from(`--${boundary}\r\nX: y\r\n\r\n`));
  } else {
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
  }
  const header =
    malformed === 3
      ? 'multipart/form-data'
      : malformed === 4
        ? `multipart/form-data; boundary=other`
        : malformed === 5
          ? `multipart/form-data; boundary="${'b'.repeat(200)}"`
          : `multipart/form-data; boundary=${boundary}`;
  return { bytes: Buffer.concat(chunks), contentType: header, kind: many ? 'multipart-many' : malformed <= 5 ? 'multipart-malformed' : 'multipart' };
}

// ------------------------------------------------------------------------------------------------
// Socket frames

export const CHAT_ACTIONS = ['send_message', 'edit_message', 'delete_message', 'react_message', 'pin_message', 'typing', 'stop_typing'] as const;

/** A chat frame for `action` (undefined = the action key left out): the action's own keys with random
 * values, extra keys, or a frame that is not an object / not JSON at all. */
export function chatFrame(r: Rng, action: string | undefined): string {
  const k = r.int(0, 19);
  if (k === 0) return malformedJson(r).slice(0, 60000);
  if (k === 1) return JSON.stringify(randValue(r));
  const o: Record<string, unknown> = {};
  if (action !== undefined) o.action = r.chance(0.95) ? action : randValue(r, 0);
  const id = () => (r.chance(0.7) ? r.int(1, 40) : randValue(r, 1));
  switch (action) {
    case 'send_message':
    case undefined:
      o.message = r.chance(0.7) ? randString(r).slice(0, 2000) || 'hi' : randValue(r, 1);
      if (r.chance(0.3)) o.mentions = r.chance(0.8) ? Array.from({ length: r.int(0, 5) }, () => r.int(0, 9)) : randValue(r, 1);
      if (r.chance(0.2)) o.parent_message_id = id();
      if (r.chance(0.2)) o.message_type = r.chance(0.5) ? r.pick(['text', 'image', 'file']) : randValue(r, 0);
      if (r.chance(0.2))
        o.attachment = r.chance(0.5) ? r.pick(['https://res.cloudinary.com/x/image/upload/a.png', 'javascript:alert(1)', null]) : randValue(r, 0);
      if (r.chance(0.3)) o.client_id = r.chance(0.8) ? `c${r.int(0, 1e9)}` : randValue(r, 0);
      break;
    case 'edit_message':
      o.message_id = id();
      o.new_content = r.chance(0.8) ? randString(r).slice(0, 2000) : randValue(r, 1);
      break;
    case 'delete_message':
      o.message_id = id();
      break;
    case 'react_message':
      o.message_id = id();
      o.reaction = r.chance(0.7) ? r.pick(['👍', '❤️', '😂', 'x', '\u0000', 'a'.repeat(65)]) : randValue(r, 0);
      break;
    case 'pin_message':
      o.message_id = id();
      if (r.chance(0.7)) o.pin = r.chance(0.8) ? r.chance(0.5) : randValue(r, 0);
      break;
    default:
      break;
  }
  for (let i = r.int(0, 2); i > 0; i--) o[r.pick(VOCABULARY)] = randValue(r, 1);
  if (r.chance(0.2)) {
    // drop a required key
    const keys = Object.keys(o).filter((key) => key !== 'action');
    if (keys.length) delete o[r.pick(keys)];
  }
  return JSON.stringify(o);
}

/** A handshake target: a socket route with a random parameter, or a path near one, and a query with a
 * valid, invalid or missing token and other keys (after=, repeated keys, malformed escapes). */
export function handshakeUrl(r: Rng, tokens: readonly string[]): string {
  let p: string;
  const k = r.int(0, 9);
  if (k <= 6) p = fillRoute(r, r.pick(WS_ROUTES));
  else if (k === 7) p = '/' + r.pick(WS_ROUTES).replace(/<[^>]+>/g, () => encodeQsPart(r, randString(r).slice(0, 30)) || 'x');
  else if (k === 8)
    p = r.pick([
      '//ws/chat/1/',
      '/ws/chat/1',
      '/ws/chat/01/',
      '/ws/chat/-1/',
      '/ws/notifications',
      '/ws/',
      '/',
      '/api/chat/groups/',
      '/ws/chat/%31/',
    ]);
  else p = '/' + encodeQsPart(r, randString(r).slice(0, 80));
  const q: string[] = [];
  const t = r.int(0, 9);
  if (t <= 5) q.push(`token=${r.pick(tokens)}`);
  else if (t === 6) q.push(`token=${encodeQsPart(r, randString(r).slice(0, 100))}`);
  else if (t === 7) q.push(`token=${r.pick(tokens)}`, `token=${encodeQsPart(r, randString(r).slice(0, 40))}`);
  if (r.chance(0.3)) q.push(`after=${encodeQsPart(r, r.chance(0.5) ? String(r.int(-1, 60)) : randString(r).slice(0, 30))}`);
  if (r.chance(0.1)) q.push(r.pick(['%', '%zz', 'a', '&', 'token']));
  if (r.chance(0.1)) q.push(`${encodeQsPart(r, r.pick(VOCABULARY))}=${encodeQsPart(r, randString(r).slice(0, 50))}`);
  return q.length ? `${p}?${q.join('&')}` : p;
}
