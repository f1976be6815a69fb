// The admin's ModelForm rules: each posted field cleaned as Django's form field for the model field
// would (required, max_length, choices, e-mail/URL, numbers, dates, JSON), with Django's messages;
// values compared in canonical form for `changed_data` (the change message lists what changed).
import { maxPk, modelByKey, type FieldDef, type ModelDef } from './models.ts';
import { parseTimestamp } from '../drf/datetime.ts';

/** A file part of the admin's multipart form (buffered, bounded by MAX_UPLOAD_BYTES). */
export class AdminUpload {
  constructor(
    readonly originalname: string,
    readonly mimetype: string,
    readonly buffer: Buffer,
  ) {}
}

export const MSG = {
  required: 'This field is required.',
  maxLength: (limit: number, n: number) => `Ensure this value has at most ${limit} characters (it has ${n}).`,
  choice: (v: string) => `Select a valid choice. ${v} is not one of the available choices.`,
  fkChoice: 'Select a valid choice. That choice is not one of the available choices.',
  email: 'Enter a valid email address.',
  url: 'Enter a valid URL.',
  integer: 'Enter a whole number.',
  number: 'Enter a number.',
  min: (n: number) => `Ensure this value is greater than or equal to ${n}.`,
  max: (n: number) => `Ensure this value is less than or equal to ${n}.`,
  date: 'Enter a valid date.',
  datetime: 'Enter a valid date/time.',
  json: 'Enter a valid JSON.',
  digits: (n: number) => `Ensure that there are no more than ${n} digits in total.`,
  places: (n: number) => `Ensure that there are no more than ${n} decimal places.`,
  wholeDigits: (n: number) => `Ensure that there are no more than ${n} digits before the decimal point.`,
  file: 'No file was submitted. Check the encoding type on the form.',
  /** ProhibitNullCharactersValidator (Postgres cannot store U+0000 in text or jsonb). */
  nullChars: 'Null characters are not allowed.',
};

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
/** Text posted for one field: bigger than any column, so a longer value is refused before any work. */
const MAX_TEXT = 100_000;
const MAX_IDS = 5000;
const EMAIL_RE =
  /^[^\s@"(),:;<>[\\\]]{1,64}@(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const URL_RE =
  /^(?:https?|ftps?):\/\/(?:[^\s:@/]+(?::[^\s:@/]*)?@)?(?:localhost|\[[0-9a-f:.]+\]|\d{1,3}(?:\.\d{1,3}){3}|(?:[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]{0,61}[a-z0-9\u00a1-\uffff])?\.)+[a-z\u00a1-\uffff-]{2,63}\.?)(?::\d{1,5})?(?:[/?#][^\s]*)?$/i;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-](\d{2})(?::?(\d{2}))?)?$/;

export interface CleanResult {
  /** column → value for the row (only the fields the form carried). */
  columns: Record<string, unknown>;
  /** m2m field → the complete new id list. */
  m2m: Map<string, number[]>;
  /** file field → the upload to store. */
  uploads: Map<string, AdminUpload>;
  errors: Record<string, string>;
  /** Fields present in the form (cleaned), for changed_data. */
  present: string[];
}

/** The flat AdminJS payload's values for an array field: "members.0", "members.1", … or "members": []. */
function arrayParam(payload: Record<string, unknown>, name: string): unknown[] | undefined {
  if (Array.isArray(payload[name])) return payload[name] as unknown[];
  const prefix = `${name}.`;
  const out: Array<[number, unknown]> = [];
  for (const [k, v] of Object.entries(payload)) {
    if (!k.startsWith(prefix)) continue;
    const idx = k.slice(prefix.length);
    if (!/^\d{1,5}$/.test(idx)) continue;
    out.push([Number(idx), v]);
  }
  if (!out.length) return payload[name] === null ? [] : undefined;
  return out.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function validDate(y: number, m: number, d: number): boolean {
  const dt = new Date(Date.UTC(y, m - 1, d));
  return y >= 1 && dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/** parse_datetime's shape with every part in range (Date.parse rolls 2025-02-30 over to March; Postgres refuses it). */
function validDateTime(text: string): boolean {
  const m = DATETIME_RE.exec(text);
  if (!m || !validDate(+m[1], +m[2], +m[3])) return false;
  if (+m[4] > 23 || +m[5] > 59 || (m[6] !== undefined && +m[6] > 59)) return false;
  // Postgres takes UTC offsets up to 15:59.
  return m[7] === undefined || (+m[7] <= 15 && (m[8] === undefined || +m[8] <= 59));
}

/** A U+0000 in any string or key of a parsed JSON value. */
function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v));
  return false;
}

/** An id of `target` (the related model of an FK or m2m field) its id column can hold, or null. */
function relatedId(f: FieldDef, text: string): number | null {
  if (!/^[+-]?\d{1,19}$/.test(text)) return null;
  const n = Number(text);
  const target = f.target ? modelByKey(f.target) : undefined;
  return Number.isSafeInteger(n) && n > 0 && (!target || n <= maxPk(target)) ? n : null;
}

export function cleanDecimal(text: string, digits: [number, number]): { value: string } | { error: string } {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(text)) return { error: MSG.number };
  const [maxDigits, places] = digits;
  const unsigned = text.replace(/^[+-]/, '');
  const [intPart, frac = ''] = unsigned.split('.');
  const whole = intPart.replace(/^0+/, '');
  const fracDigits = frac.replace(/0+$/, '').length;
  if (whole.length + fracDigits > maxDigits) return { error: MSG.digits(maxDigits) };
  if (fracDigits > places) return { error: MSG.places(places) };
  if (whole.length > maxDigits - places) return { error: MSG.wholeDigits(maxDigits - places) };
  return { value: text };
}

/** One field's posted value → the column value, or an error message. */
function cleanValue(f: FieldDef, raw: unknown): { value: unknown } | { error: string } {
  if (f.kind === 'boolean') return { value: raw === true || raw === 'true' || raw === 'on' || raw === '1' };
  if (f.kind === 'file') {
    if (raw instanceof AdminUpload) return { value: raw };
    const t = asText(raw);
    if (t === null || t === '') return f.required ? { error: MSG.required } : { value: null };
    if (t.length > (f.maxLength ?? 255)) return { error: MSG.maxLength(f.maxLength ?? 255, t.length) };
    if (t.includes('\u0000')) return { error: MSG.nullChars };
    return { value: t };
  }
  let text = asText(raw);
  if (text !== null && text.length > MAX_TEXT) return { error: MSG.maxLength(f.maxLength ?? MAX_TEXT, text.length) };
  if (text !== null && text.includes('\u0000')) return { error: MSG.nullChars };
  // CharField(strip=True); TextField forms strip too.
  if (text !== null && f.kind !== 'json') text = text.trim();
  if (text === null || text === '') {
    if (f.required) return { error: MSG.required };
    return { value: f.nullable ? null : f.kind === 'string' || f.kind === 'text' ? '' : null };
  }
  switch (f.kind) {
    case 'string':
    case 'text': {
      if (f.choices && !f.choices.some(([v]) => v === text)) return { error: MSG.choice(text) };
      if (f.maxLength !== undefined && [...text].length > f.maxLength) return { error: MSG.maxLength(f.maxLength, [...text].length) };
      if (f.format === 'email' && !EMAIL_RE.test(text)) return { error: MSG.email };
      if (f.format === 'url' && !URL_RE.test(text)) return { error: MSG.url };
      return { value: text };
    }
    case 'fk': {
      const id = relatedId(f, text);
      return id === null ? { error: MSG.fkChoice } : { value: id };
    }
    case 'integer': {
      if (!/^[+-]?\d{1,19}$/.test(text)) return { error: MSG.integer };
      const n = Number(text);
      if (f.min !== undefined && n < f.min) return { error: MSG.min(f.min) };
      if (n < INT_MIN) return { error: MSG.min(INT_MIN) };
      if (n > INT_MAX) return { error: MSG.max(INT_MAX) };
      return { value: n };
    }
    case 'float': {
      const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$/.test(text) ? Number(text) : NaN;
      return Number.isFinite(n) ? { value: n } : { error: MSG.number };
    }
    case 'decimal':
      return cleanDecimal(text, f.digits ?? [10, 2]);
    case 'date': {
      const m = DATE_RE.exec(text);
      if (!m || !validDate(+m[1], +m[2], +m[3])) return { error: MSG.date };
      return { value: `${m[1]}-${m[2]}-${m[3]}` };
    }
    case 'datetime': {
      if (!validDateTime(text)) return { error: MSG.datetime };
      return { value: text };
    }
    case 'json': {
      let value: unknown;
      try {
        value = JSON.parse(text) as unknown;
      } catch {
        return { error: MSG.json };
      }
      // "\u0000" in the JSON text: jsonb cannot hold it.
      return hasNul(value) ? { error: MSG.nullChars } : { value };
    }
    default:
      return { error: MSG.required };
  }
}

/**
 * Cleans the fields of a posted AdminJS form. `adding`: fields the form left out take their model
 * default (or fail as required); on change, left-out fields keep their values.
 */
export function cleanForm(model: ModelDef, payload: Record<string, unknown>, adding: boolean): CleanResult {
  const out: CleanResult = { columns: {}, m2m: new Map(), uploads: new Map(), errors: {}, present: [] };
  for (const f of model.fields) {
    if (f.readonly) continue;
    if (f.kind === 'm2m') {
      const list = arrayParam(payload, f.name);
      if (list === undefined) {
        if (adding) out.m2m.set(f.name, []);
        continue;
      }
      out.present.push(f.name);
      if (list.length > MAX_IDS) {
        out.errors[f.name] = MSG.fkChoice;
        continue;
      }
      const ids: number[] = [];
      for (const v of list) {
        const t = asText(v)?.trim() ?? '';
        if (t === '') continue;
        const id = /^\d{1,15}$/.test(t) ? relatedId(f, t) : null;
        if (id === null) {
          out.errors[f.name] = MSG.choice(t.slice(0, 50).replace(/\u0000/g, ''));
          break;
        }
        if (!ids.includes(id)) ids.push(id);
      }
      out.m2m.set(f.name, ids);
      continue;
    }
    const has = Object.prototype.hasOwnProperty.call(payload, f.name);
    if (!has) {
      if (!adding) continue;
      if (f.default !== undefined) {
        out.columns[f.column] = f.kind === 'json' ? JSON.stringify(f.default) : f.default;
        continue;
      }
      if (f.kind === 'boolean') {
        out.columns[f.column] = false;
        continue;
      }
    }
    let raw = has ? payload[f.name] : undefined;
    // A file input carries a file or nothing: on add, a text value is no file (Django reads request.FILES).
    if (adding && f.kind === 'file' && typeof raw === 'string') raw = null;
    const cleaned = cleanValue(f, raw);
    if ('error' in cleaned) {
      out.errors[f.name] = cleaned.error;
      continue;
    }
    out.present.push(f.name);
    if (cleaned.value instanceof AdminUpload) out.uploads.set(f.name, cleaned.value);
    else out.columns[f.column] = f.kind === 'json' && cleaned.value !== null ? JSON.stringify(cleaned.value) : cleaned.value;
  }
  return out;
}

/** A value in one comparable form (DB text or cleaned form value). */
export function canonical(f: FieldDef, value: unknown): string {
  if (value === null || value === undefined || value === '') return f.kind === 'boolean' ? 'false' : '';
  switch (f.kind) {
    case 'boolean':
      return String(value === true || value === 'true');
    case 'datetime': {
      const text = String(value);
      try {
        const p = parseTimestamp(text.replace('T', ' ').replace(/Z$/, '+00'));
        return `${p.secondsMs}.${p.micro}`;
      } catch {
        return text;
      }
    }
    case 'json':
      return JSON.stringify(typeof value === 'string' ? safeParse(value) : value);
    case 'decimal':
    case 'float':
      return String(Number(value));
    case 'm2m':
      return [...(value as number[])].sort((a, b) => a - b).join(',');
    default:
      return String(value);
  }
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * A list filter's value as the field's column holds it, or null when the column could not hold it
 * (the filter then matches nothing or is left out: never a SQL error).
 */
export function filterValue(f: FieldDef, text: string): unknown {
  if (text.includes('\u0000') || text.length > 200) return null;
  if (f.kind === 'm2m') return relatedId(f, text);
  if (f.kind === 'json' || f.kind === 'file' || f.kind === 'boolean') return text;
  if (f.kind === 'float' || f.kind === 'decimal') {
    const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$/.test(text.trim()) ? Number(text) : NaN;
    return Number.isFinite(n) ? n : null;
  }
  const cleaned = cleanValue({ ...f, required: true, choices: undefined }, text);
  return 'error' in cleaned ? null : cleaned.value;
}
