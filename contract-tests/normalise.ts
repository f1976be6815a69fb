// Structural comparison of an expected (golden) value with an actual one, key order included, that
// tolerates only the volatile fields fixtures/golden/README.md names — and only where the EXPECTED value
// is itself volatile. The walk returns the differences and the actual value "normalised" (each accepted
// volatile value replaced by the golden one), so callers can re-serialise it and compare bytes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONTRACT_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(CONTRACT_DIR, '..');
export const GOLDEN_DIR = path.join(ROOT, 'fixtures/golden');
export const SEED_SQL = path.join(ROOT, 'fixtures/django-seed.sql');

/** The host the golden was recorded on (pagination links are built from the request's Host). */
export const GOLDEN_ORIGIN = 'http://127.0.0.1:8000';

export const CLOUDINARY_URL = /^http:\/\/res\.cloudinary\.com\/dcbla9zbl\/image\/upload\/v\d{10}\/[a-z0-9]{20}\.(png|pdf)$/;
/** REST DateTimeField: Asia/Kolkata local time, 6-digit µs (omitted when 0). */
export const TS_REST_LOCAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+05:30$/;
/** REST SerializerMethodField datetimes (last_read_timestamp): UTC with Z. */
export const TS_REST_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/;
/** WebSocket frames: datetime.isoformat() in UTC. */
export const TS_WS_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/;
const TS_FORMATS = [TS_REST_LOCAL, TS_REST_Z, TS_WS_UTC];
/** current_status when not online: last_seen as local time. */
export const LOCAL_SECONDS = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;
export const TOKEN = /^[0-9a-f]{40}$/;
const ID_KEY = /^(id|room|parent_message|sender_id|.+_id)$/;

const ANY_TS = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d(?::?\d\d)?)$/;

/** A canonical key for the instant a timestamp string denotes (µs precision), or null. */
export function instantKey(s: string): string | null {
  const m = ANY_TS.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi, se, frac, tz] = m;
  let offsetMin = 0;
  if (tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
  }
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +se) - offsetMin * 60000;
  return `${ms / 1000}.${(frac ?? '').padEnd(6, '0')}`;
}

export interface SeedFacts {
  /** instantKey of every timestamp in the seed: these must match exactly. */
  timestamps: Set<string>;
  /** every 40-hex string of the seed (DRF tokens): these must match exactly. */
  tokens: Set<string>;
}

let seedFacts: SeedFacts | null = null;

export function loadSeedFacts(sqlPath = SEED_SQL): SeedFacts {
  if (seedFacts && sqlPath === SEED_SQL) return seedFacts;
  const sql = fs.readFileSync(sqlPath, 'utf8');
  const timestamps = new Set<string>();
  for (const m of sql.matchAll(/'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?[+-]\d\d(?::?\d\d)?)'/g)) {
    const k = instantKey(m[1]);
    if (k) timestamps.add(k);
  }
  const tokens = new Set<string>([...sql.matchAll(/'([0-9a-f]{40})'/g)].map((m) => m[1]));
  const facts = { timestamps, tokens };
  if (sqlPath === SEED_SQL) seedFacts = facts;
  return facts;
}

export interface NormaliserOptions {
  /** Base URL of the server under test (replaces http://127.0.0.1:8000 in expected links). */
  baseUrl: string;
  /** Accept different ids for rows created in the transcript, mapped consistently (first seen). */
  mapIds?: boolean;
  /** current_status exactly as recorded (no online <-> local time tolerance). */
  strictStatus?: boolean;
  /** current_status compared by shape only ("online", "offline" or a local time): for a replay without
   * resets (--read-only), where earlier requests moved the users' last_seen. */
  anyStatus?: boolean;
  seed?: SeedFacts;
}

interface Compared {
  problems: string[];
  /** The actual value with accepted volatile values replaced by the expected ones. */
  value: unknown;
}

const show = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > 300 ? s.slice(0, 300) + '…' : s;
};

/** One per transcript run: remembers which actual value stood for which golden volatile value. */
export class Normaliser {
  readonly baseUrl: string;
  readonly mapIds: boolean;
  readonly strictStatus: boolean;
  readonly anyStatus: boolean;
  readonly seed: SeedFacts;
  /** golden token / upload URL → actual (bijective). Used to rewrite later requests too. */
  readonly strings = new Map<string, string>();
  private readonly stringsBack = new Map<string, string>();
  /** golden instant → actual instant of a timestamp created in the transcript. */
  readonly instants = new Map<string, string>();
  /** golden id → actual id (only with mapIds). */
  readonly ids = new Map<number, number>();
  private readonly idsBack = new Map<number, number>();
  /** Tolerances used, for the report. */
  readonly notes: string[] = [];

  constructor(opts: NormaliserOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.mapIds = opts.mapIds ?? false;
    this.strictStatus = opts.strictStatus ?? false;
    this.anyStatus = opts.anyStatus ?? false;
    this.seed = opts.seed ?? loadSeedFacts();
  }

  /** Compares expected with actual (key order included); see the file header. */
  compare(expected: unknown, actual: unknown, at = '$', key = ''): Compared {
    if (typeof expected === 'string') {
      if (typeof actual !== 'string') return { problems: [`${at}: expected ${show(expected)}, got ${show(actual)}`], value: actual };
      const p = this.compareString(expected, actual, at, key);
      return { problems: p, value: p.length ? actual : expected };
    }
    if (typeof expected === 'number' && typeof actual === 'number') {
      if (Object.is(expected, actual)) return { problems: [], value: actual };
      if (this.mapIds && ID_KEY.test(key) && Number.isInteger(expected) && Number.isInteger(actual)) {
        const p = this.mapConsistently(this.ids, this.idsBack, expected, actual, at);
        return { problems: p, value: p.length ? actual : expected };
      }
      return { problems: [`${at}: expected ${show(expected)}, got ${show(actual)}`], value: actual };
    }
    if (expected === null || typeof expected !== 'object') {
      return Object.is(expected, actual)
        ? { problems: [], value: actual }
        : { problems: [`${at}: expected ${show(expected)}, got ${show(actual)}`], value: actual };
    }
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual)) return { problems: [`${at}: expected a list, got ${show(actual)}`], value: actual };
      const problems: string[] = [];
      if (expected.length !== actual.length) problems.push(`${at}: expected ${expected.length} item(s), got ${actual.length}`);
      const value = actual.map((a, i) => {
        if (i >= expected.length) return a;
        const c = this.compare(expected[i], a, `${at}[${i}]`, key);
        problems.push(...c.problems);
        return c.value;
      });
      return { problems, value };
    }
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      return { problems: [`${at}: expected an object, got ${show(actual)}`], value: actual };
    }
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const ek = Object.keys(e);
    const ak = Object.keys(a);
    const problems: string[] = [];
    const missing = ek.filter((k) => !(k in a));
    const extra = ak.filter((k) => !(k in e));
    if (missing.length) problems.push(`${at}: missing key(s) ${missing.map((k) => JSON.stringify(k)).join(', ')}`);
    if (extra.length) problems.push(`${at}: unexpected key(s) ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
    if (!missing.length && !extra.length && ek.join('\u0000') !== ak.join('\u0000')) {
      problems.push(`${at}: key order ${show(ak)}, expected ${show(ek)}`);
    }
    const value: Record<string, unknown> = {};
    for (const k of ak) {
      if (k in e) {
        const c = this.compare(e[k], a[k], `${at}.${k}`, k);
        problems.push(...c.problems);
        value[k] = c.value;
      } else {
        value[k] = a[k];
      }
    }
    return { problems, value };
  }

  private mapConsistently<T>(fwd: Map<T, T>, back: Map<T, T>, expected: T, actual: T, at: string): string[] {
    const prev = fwd.get(expected);
    if (prev !== undefined) {
      return prev === actual
        ? []
        : [`${at}: ${show(actual)} differs from ${show(prev)}, the value that stood for the same golden ${show(expected)} earlier`];
    }
    const other = back.get(actual);
    if (other !== undefined)
      return [`${at}: ${show(actual)} already stood for another golden value ${show(other)} (expected a fresh one for ${show(expected)})`];
    fwd.set(expected, actual);
    back.set(actual, expected);
    return [];
  }

  private compareString(expected: string, actual: string, at: string, key: string): string[] {
    if (expected === actual) return [];
    // Links carry the Host the request was made to.
    if (expected.startsWith(GOLDEN_ORIGIN + '/') && expected.replace(GOLDEN_ORIGIN, this.baseUrl) === actual) return [];

    if (CLOUDINARY_URL.test(expected)) {
      if (!CLOUDINARY_URL.test(actual)) return [`${at}: ${show(actual)} is not a Cloudinary upload URL (expected one like ${show(expected)})`];
      if (CLOUDINARY_URL.exec(actual)![1] !== CLOUDINARY_URL.exec(expected)![1])
        return [`${at}: ${show(actual)} has not the format (extension) of ${show(expected)}`];
      return this.mapConsistently(this.strings, this.stringsBack, expected, actual, at);
    }

    const format = TS_FORMATS.find((re) => re.test(expected));
    if (format) {
      const ek = instantKey(expected)!;
      if (this.seed.timestamps.has(ek)) return [`${at}: expected the seeded timestamp ${show(expected)}, got ${show(actual)}`];
      if (!format.test(actual)) return [`${at}: ${show(actual)} has not the format of ${show(expected)} (${format.source})`];
      const ak = instantKey(actual)!;
      const prev = this.instants.get(ek);
      if (prev === undefined) {
        this.instants.set(ek, ak);
        return [];
      }
      return prev === ak ? [] : [`${at}: ${show(actual)} is not the instant the same golden timestamp ${show(expected)} stood for earlier`];
    }

    if (TOKEN.test(expected) && !this.seed.tokens.has(expected)) {
      // A token the server generated during the transcript.
      if (!TOKEN.test(actual)) return [`${at}: ${show(actual)} is not a 40-char lower-case hex token`];
      if (this.seed.tokens.has(actual)) return [`${at}: ${show(actual)} is a seeded token, expected a newly generated one`];
      return this.mapConsistently(this.strings, this.stringsBack, expected, actual, at);
    }

    const statusShape = (v: string) => v === 'online' || v === 'offline' || LOCAL_SECONDS.test(v);
    if (key === 'current_status' && this.anyStatus && statusShape(expected) && statusShape(actual)) {
      this.notes.push(`${at}: current_status ${show(actual)} accepted for ${show(expected)} (no reset: presence moved)`);
      return [];
    }
    if (key === 'current_status' && !this.strictStatus) {
      // README: "online" iff last_seen is within 2 minutes of now; deterministic when replayed promptly.
      if (expected === 'online' && LOCAL_SECONDS.test(actual)) {
        this.notes.push(`${at}: current_status ${actual} accepted for "online" (replay slower than 2 minutes?)`);
        return [];
      }
      if (LOCAL_SECONDS.test(expected) && actual === 'online') {
        this.notes.push(`${at}: current_status "online" accepted for ${expected}`);
        return [];
      }
    }
    return [`${at}: expected ${show(expected)}, got ${show(actual)}`];
  }

  /** Rewrites golden volatile values the server generated (tokens, upload URLs, mapped ids) in an outgoing text. */
  rewrite(text: string): string {
    let out = text;
    for (const [golden, actual] of this.strings) if (golden !== actual) out = out.split(golden).join(actual);
    return out;
  }

  /** rewrite() plus mapped ids in path segments (`/5/`) — for request paths. */
  rewritePath(p: string): string {
    let out = this.rewrite(p);
    if (this.ids.size) out = out.replace(/\/(\d+)(?=\/|$|\?)/g, (m, n: string) => (this.ids.has(+n) ? `/${this.ids.get(+n)}` : m));
    return out;
  }

  /** rewrite() plus mapped ids at id-like keys of a JSON value (request bodies, frames to send). */
  rewriteValue(v: unknown, key = ''): unknown {
    if (typeof v === 'string') return this.rewrite(v);
    if (typeof v === 'number') return ID_KEY.test(key) && this.ids.has(v) ? this.ids.get(v) : v;
    if (Array.isArray(v)) return v.map((x) => this.rewriteValue(x, key));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.rewriteValue(x, k)]));
    return v;
  }

  /** A frame text to send: ids are rewritten only when some were mapped (the text is otherwise sent as is). */
  rewriteFrame(text: string): string {
    const out = this.rewrite(text);
    if (!this.ids.size) return out;
    try {
      const parsed = JSON.parse(out);
      const mapped = this.rewriteValue(parsed);
      return JSON.stringify(mapped) === JSON.stringify(parsed) ? out : JSON.stringify(mapped);
    } catch {
      return out;
    }
  }
}
