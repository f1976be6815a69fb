// Timestamps arrive from Postgres as UTC text with microseconds ("2025-02-09 13:22:42.123456+00",
// the session runs in UTC) and leave in the formats Django writes them.

export interface Parts {
  /** Milliseconds since the epoch of the whole second. */
  secondsMs: number;
  micro: number;
}

const PG_TS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?|Z)?$/;

export function parseTimestamp(text: string): Parts {
  const m = PG_TS.exec(text);
  if (!m) throw new Error(`unrecognised timestamp ${JSON.stringify(text)}`);
  let ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  if (m[8]) {
    const offset = (+m[9] * 3600 + +(m[10] ?? 0) * 60 + +(m[11] ?? 0)) * 1000;
    ms -= m[8] === '+' ? offset : -offset;
  }
  return { secondsMs: ms, micro: m[7] ? Number(m[7].padEnd(6, '0')) : 0 };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function isoAt(p: Parts, offsetMinutes: number, suffix: string): string {
  const d = new Date(p.secondsMs + offsetMinutes * 60000);
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  // Python's isoformat() omits the fraction when microsecond == 0.
  return base + (p.micro ? '.' + pad(p.micro, 6) : '') + suffix;
}

/** India has kept +05:30 since 1945; Django (zoneinfo) would print older historical offsets. */
const KOLKATA_OFFSET_MINUTES = 330;

/** DRF DateTimeField output with TIME_ZONE='Asia/Kolkata'. */
export function drfDateTime(text: string | null): string | null {
  return text === null ? null : isoAt(parseTimestamp(text), KOLKATA_OFFSET_MINUTES, '+05:30');
}

/** A raw UTC datetime through DRF's JSONEncoder (SerializerMethodField): isoformat with 'Z'. */
export function drfUtcZ(text: string | null): string | null {
  return text === null ? null : isoAt(parseTimestamp(text), 0, 'Z');
}

/** datetime.isoformat() of an aware UTC datetime, as the Channels consumers write it. */
export function utcIsoformat(text: string | null): string | null {
  return text === null ? null : isoAt(parseTimestamp(text), 0, '+00:00');
}

/** strftime('%Y-%m-%d %H:%M:%S') in Asia/Kolkata. */
export function localDateTimeSeconds(text: string): string {
  return isoAt({ ...parseTimestamp(text), micro: 0 }, KOLKATA_OFFSET_MINUTES, '').replace('T', ' ');
}

/** strftime with a custom pattern (%Y %m %d %H %M %S) in Asia/Kolkata. */

/** Current time as a timestamptz literal with microseconds (JS clocks only give milliseconds). */
export function nowTimestamp(): string {
  const now = Date.now();
  const micro = (now % 1000) * 1000 + Math.floor((performance.now() % 1) * 1000);
  return isoAt({ secondsMs: now - (now % 1000), micro }, 0, '+00:00');
}

/** Milliseconds since the epoch of a Postgres timestamp text. */
export function timestampMs(text: string): number {
  const p = parseTimestamp(text);
  return p.secondsMs + Math.floor(p.micro / 1000);
}
