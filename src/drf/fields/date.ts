// DateField and DateTimeField (DRF 3.15, input_formats = ISO 8601) on Django 5.1's parse_date /
// parse_datetime: Python 3.11's fromisoformat() first, then Django's regexes (whose \d takes any
// Unicode digit and whose $ also matches before a final newline). Datetimes with TIME_ZONE
// Asia/Kolkata: an aware value is converted, a naive one taken as Kolkata time.
import { decimalDigit } from '../../python/builtins.ts';
import { makeField, type BaseOptions, type Field, type NullableOf, type RequiredOf } from './field.ts';
import { FieldError } from './input.ts';

const DATE_INVALID = 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.';
const DATETIME_INVALID = 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function daysIn(year: number, month: number): number {
  return month === 2
    ? (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
      ? 29
      : 28
    : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** datetime.date(y, m, d) as ISO text, or null where it raises. */
function isoDate(y: number, m: number, d: number): string | null {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m)) return null;
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
}

/** Days from 0001-01-01 (proleptic Gregorian), and back. */
function ordinal(y: number, m: number, d: number): number {
  const t = new Date(Date.UTC(2000, m - 1, d));
  t.setUTCFullYear(y);
  return Math.round(t.getTime() / 86400000);
}
function fromOrdinal(days: number): [number, number, number] {
  const t = new Date(days * 86400000);
  return [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
}

/** _datetime's iso_to_ymd(): an ISO week date, or null. */
function isoWeekDate(year: number, week: number, day: number): string | null {
  const jan1Weekday = (((ordinal(year, 1, 1) + 3) % 7) + 7) % 7; // Monday = 0 (1970-01-01 was a Thursday)
  if (week <= 0 || week >= 53) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    if (!(week === 53 && (jan1Weekday === 3 || (jan1Weekday === 2 && leap)))) return null;
  }
  if (day <= 0 || day >= 8) return null;
  const week1Monday = ordinal(year, 1, 1) - jan1Weekday + (jan1Weekday > 3 ? 7 : 0);
  const [y, m, d] = fromOrdinal(week1Monday + (week - 1) * 7 + day - 1);
  return isoDate(y, m, d);
}

/**
 * date.fromisoformat() (CPython 3.11's C version): on the UTF-8 bytes, of length 7, 8 or 10, ASCII
 * digits read from the front (it does not check that the text ends there), YYYY-MM-DD / YYYYMMDD or an
 * ISO week date YYYY-Www[-D] / YYYYWww[D].
 */
function dateFromIsoformat(text: string): string | null {
  const b = Buffer.from(text, 'utf8');
  if (![7, 8, 10].includes(b.length)) return null;
  let p = 0;
  const digits = (n: number): number | null => {
    let v = 0;
    for (let i = 0; i < n; i++) {
      const c = b[p + i];
      if (c === undefined || c < 0x30 || c > 0x39) return null;
      v = v * 10 + (c - 0x30);
    }
    p += n;
    return v;
  };
  const year = digits(4);
  if (year === null) return null;
  const sep = b[p] === 0x2d;
  if (sep) p++;
  if (b[p] === 0x57 /* W */) {
    p++;
    const week = digits(2);
    if (week === null) return null;
    let day = 1;
    if (p < b.length) {
      if (sep && b[p++] !== 0x2d) return null;
      const d = digits(1);
      if (d === null) return null;
      day = d;
    }
    return isoWeekDate(year, week, day);
  }
  const month = digits(2);
  if (month === null) return null;
  if (sep && b[p++] !== 0x2d) return null;
  const day = digits(2);
  if (day === null) return null;
  return isoDate(year, month, day);
}

/** int() of a run of \d (Unicode) digits. */
function digitsValue(s: string): number {
  let v = 0;
  for (const ch of s) v = v * 10 + decimalDigit(ch);
  return v;
}

const DATE_RE = /^(\p{Nd}{4})-(\p{Nd}{1,2})-(\p{Nd}{1,2})\n?$/u;

/** django.utils.dateparse.parse_date (5.1) of a str: ISO text, or null where DRF says "wrong format". */
export function parseDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const iso = dateFromIsoformat(value);
  if (iso) return iso;
  const m = DATE_RE.exec(value);
  return m ? isoDate(digitsValue(m[1]!), digitsValue(m[2]!), digitsValue(m[3]!)) : null;
}

/** serializers.DateField(**opts): the date as YYYY-MM-DD. */
export function date<const O extends BaseOptions>(opts: O = {} as O): Field<NullableOf<O, string>, RequiredOf<O>> {
  return makeField<NullableOf<O, string>, RequiredOf<O>>({
    kind: 'DateField',
    rules: { required: opts.required ?? true, allowNull: opts.allowNull ?? false },
    toInternal(data) {
      const d = parseDate(data);
      if (d === null) throw new FieldError([DATE_INVALID]);
      return d as NullableOf<O, string>;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// DateTimeField

const KOLKATA_OFFSET_MS = 330 * 60 * 1000;

// datetime.fromisoformat (Python 3.11+) for the common shapes, then Django's datetime_re fallback
// (1-digit fields, ',' as decimal mark, spaces before the offset).
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const DJANGO_RE = /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\n?$/;

/**
 * DateTimeField.to_internal_value with TIME_ZONE Asia/Kolkata. Returns the UTC instant as a timestamptz
 * literal with microseconds, or null when invalid (including instants Python's datetime cannot hold
 * after the conversion).
 */
export function parseDrfDateTime(text: string): string | null {
  const m = ISO_RE.exec(text) ?? DJANGO_RE.exec(text);
  if (!m) return null;
  const [year, month, day] = [+m[1]!, +m[2]!, +m[3]!];
  const hour = m[4] === undefined ? 0 : +m[4];
  const minute = m[5] === undefined ? 0 : +m[5];
  const second = m[6] === undefined ? 0 : +m[6];
  const micro = m[7] === undefined ? 0 : Number(m[7].slice(0, 6).padEnd(6, '0'));
  if (isoDate(year, month, day) === null) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMs = KOLKATA_OFFSET_MS;
  const tz = m[8];
  if (tz !== undefined) {
    if (tz === 'Z') offsetMs = 0;
    else {
      const digitsText = tz.slice(1).replace(':', '');
      const oh = +digitsText.slice(0, 2);
      const om = digitsText.length > 2 ? +digitsText.slice(2, 4) : 0;
      if (oh > 23 || om > 59) return null;
      offsetMs = (tz[0] === '-' ? -1 : 1) * (oh * 3600 + om * 60) * 1000;
    }
  }
  const local = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  local.setUTCFullYear(year);
  const utc = new Date(local.getTime() - offsetMs);
  const y = utc.getUTCFullYear();
  // Both the UTC value and its Kolkata rendering must stay within datetime's years 1-9999.
  if (y < 1 || y > 9999) return null;
  const shown = new Date(utc.getTime() + KOLKATA_OFFSET_MS).getUTCFullYear();
  if (shown < 1 || shown > 9999) return null;
  return (
    `${pad(y, 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())} ` +
    `${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}.${pad(micro, 6)}+00`
  );
}

/** serializers.DateTimeField(**opts): the instant as a UTC timestamptz literal. */
export function datetime<const O extends BaseOptions>(opts: O = {} as O): Field<NullableOf<O, string>, RequiredOf<O>> {
  return makeField<NullableOf<O, string>, RequiredOf<O>>({
    kind: 'DateTimeField',
    rules: { required: opts.required ?? true, allowNull: opts.allowNull ?? false },
    toInternal(data) {
      const parsed = typeof data === 'string' ? parseDrfDateTime(data) : null;
      if (parsed === null) throw new FieldError([DATETIME_INVALID]);
      return parsed as NullableOf<O, string>;
    },
  });
}
