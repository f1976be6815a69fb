// EventSerializer's input rules (DRF 3.15 ModelSerializer fields of the Event model) and Event.clean(),
// on top of the chat module's DRF field helpers. Values come out ready for the columns: datetimes as
// UTC timestamptz literals with microseconds, amount as decimal text with two places.
import type { RequestData, UploadedFile } from '../drf/api.ts';
import {
  booleanField,
  charField,
  collect,
  fileField,
  FieldError,
  isFile,
  looksLikeImage,
  MSG,
  primitive,
  pyStr,
  SKIP,
  type Errors,
  type Maybe,
  type SerializerInput,
} from '../drf/fields.ts';
import { parseTimestamp } from '../drf/datetime.ts';
import type { EventValues } from './queries.ts';

export const STATUS_CHOICES = ['upcoming', 'ongoing', 'previous'];

const DATETIME_INVALID =
  'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].';

const KOLKATA_OFFSET_MS = 330 * 60 * 1000;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

// datetime.fromisoformat (Python 3.11+) for the common shapes, then Django's datetime_re fallback
// (1-digit fields, ',' as decimal mark, spaces before the offset).
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;
const DJANGO_RE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\n?$/;

/**
 * DateTimeField.to_internal_value with TIME_ZONE Asia/Kolkata: an aware value is converted, a naive one
 * is taken as Kolkata time. Returns the UTC instant as a timestamptz literal, or null when invalid
 * (including instants Python's datetime cannot hold after the conversion).
 */
export function parseDrfDateTime(text: string): string | null {
  const m = ISO_RE.exec(text) ?? DJANGO_RE.exec(text);
  if (!m) return null;
  const [year, month, day] = [+m[1], +m[2], +m[3]];
  const hour = m[4] === undefined ? 0 : +m[4];
  const minute = m[5] === undefined ? 0 : +m[5];
  const second = m[6] === undefined ? 0 : +m[6];
  const micro = m[7] === undefined ? 0 : Number(m[7].slice(0, 6).padEnd(6, '0'));
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let offsetMs = KOLKATA_OFFSET_MS;
  const tz = m[8];
  if (tz !== undefined) {
    if (tz === 'Z') offsetMs = 0;
    else {
      const digits = tz.slice(1).replace(':', '');
      const oh = +digits.slice(0, 2);
      const om = digits.length > 2 ? +digits.slice(2, 4) : 0;
      if (oh > 23 || om > 59) return null;
      offsetMs = (tz[0] === '-' ? -1 : 1) * (oh * 3600 + om * 60) * 1000;
    }
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC maps years 0-99 to 1900+; fix the year explicitly.
  const d = new Date(local);
  d.setUTCFullYear(year);
  const utc = new Date(d.getTime() - offsetMs);
  const y = utc.getUTCFullYear();
  // Both the naive local value and its Kolkata rendering must stay within datetime's years 1-9999.
  if (y < 1 || y > 9999) return null;
  const shown = new Date(utc.getTime() + KOLKATA_OFFSET_MS).getUTCFullYear();
  if (shown < 1 || shown > 9999) return null;
  return (
    `${pad(y, 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())} ` +
    `${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}.${pad(micro, 6)}+00`
  );
}

/** DateTimeField(required=False, allow_null=True) */
export function dateTimeField(input: SerializerInput, name: string, partial: boolean): Maybe<string | null> {
  const data = primitive(input, name, partial, { required: false, allowNull: true });
  if (data === SKIP) return SKIP;
  if (data === null) return null;
  if (typeof data !== 'string') throw new FieldError([DATETIME_INVALID]);
  const parsed = parseDrfDateTime(data);
  if (parsed === null) throw new FieldError([DATETIME_INVALID]);
  return parsed;
}

/** ChoiceField(choices=STATUS_CHOICES, required=False) */
export function choiceField(input: SerializerInput, name: string, partial: boolean, choices: string[], required: boolean): Maybe<string> {
  const data = primitive(input, name, partial, { required, allowNull: false });
  if (data === SKIP) {
    if (partial || !required) return SKIP;
    throw new FieldError([MSG.required]);
  }
  if (data === null) throw new FieldError([MSG.null]);
  // ChoiceField.to_internal_value: '' with allow_blank False, then str(data) lookup.
  if (data === '') throw new FieldError([`"" is not a valid choice.`]);
  const key = typeof data === 'string' || typeof data === 'number' || typeof data === 'boolean' ? pyStr(data) : null;
  if (key === null || !choices.includes(key)) {
    throw new FieldError([`"${key ?? (isFile(data) ? (data as UploadedFile).originalname : pyStr(JSON.stringify(data)))}" is not a valid choice.`]);
  }
  return key;
}

const DECIMAL_RE = /^([+-]?)(\d(?:_?\d)*)?(?:\.(\d(?:_?\d)*)?)?(?:[eE]([+-]?\d(?:_?\d)*))?$/;

/** A decimal literal as Python's Decimal() reads it: sign, digit tuple and exponent; null when invalid. */
export function parseDecimal(text: string): { negative: boolean; digits: string; exponent: number } | null {
  const m = DECIMAL_RE.exec(text);
  if (!m || (m[2] === undefined && m[3] === undefined)) return null;
  const intPart = (m[2] ?? '').replace(/_/g, '');
  const fracPart = (m[3] ?? '').replace(/_/g, '');
  const exp = m[4] ? Number(m[4].replace(/_/g, '')) : 0;
  if (!Number.isSafeInteger(exp)) return null;
  let digits = (intPart + fracPart).replace(/^0+/, '');
  if (digits === '') digits = '0';
  return { negative: m[1] === '-', digits, exponent: exp - fracPart.length };
}

/**
 * DecimalField(max_digits=10, decimal_places=2, allow_null=True, required=False): DRF's messages and
 * validate_precision(); the value quantized to two places as text.
 */
export function decimalField(input: SerializerInput, name: string, partial: boolean, maxDigits = 10, places = 2): Maybe<string | null> {
  const data = primitive(input, name, partial, { required: false, allowNull: true });
  if (data === SKIP) return SKIP;
  if (data === null) return null;
  if (typeof data === 'boolean' || !(typeof data === 'string' || typeof data === 'number')) throw new FieldError(['A valid number is required.']);
  const text = (typeof data === 'number' ? pyStr(data) : data).trim();
  if (text.length > 1000) throw new FieldError(['String value too large.']);
  const d = parseDecimal(text);
  if (!d) throw new FieldError(['A valid number is required.']);
  let total: number;
  let whole: number;
  let decimals: number;
  if (d.exponent >= 0) {
    total = d.digits.length + d.exponent;
    whole = total;
    decimals = 0;
  } else if (d.digits.length > -d.exponent) {
    total = d.digits.length;
    whole = total + d.exponent;
    decimals = -d.exponent;
  } else {
    total = -d.exponent;
    whole = 0;
    decimals = total;
  }
  if (total > maxDigits) throw new FieldError([`Ensure that there are no more than ${maxDigits} digits in total.`]);
  if (decimals > places) throw new FieldError([`Ensure that there are no more than ${places} decimal places.`]);
  if (whole > maxDigits - places) throw new FieldError([`Ensure that there are no more than ${maxDigits - places} digits before the decimal point.`]);
  // Quantize to `places`: shift the digits so that the exponent becomes -places (never rounds here).
  const shifted = d.digits === '0' ? '0'.repeat(places + 1) : d.digits + '0'.repeat(d.exponent + places);
  const padded = shifted.padStart(places + 1, '0');
  const intDigits = padded.slice(0, padded.length - places).replace(/^0+(?=\d)/, '');
  const value = `${intDigits}.${padded.slice(padded.length - places)}`;
  return d.negative && /[1-9]/.test(value) ? `-${value}` : value;
}

export interface EventInput {
  values: EventValues;
  poster: UploadedFile | null;
}

/**
 * EventSerializer(data=...) (partial for edit/): fields in declaration order, each stopping at its first
 * error. Throws nothing: returns the errors body or the validated values.
 */
export async function validateEvent(input: SerializerInput, partial: boolean): Promise<Errors | EventInput> {
  const errors: Errors = {};
  const values: EventValues = {};
  const set = <K extends keyof EventValues>(k: K, v: Maybe<EventValues[K]>) => {
    if (v !== SKIP) values[k] = v as EventValues[K];
  };
  set('title', (await collect(errors, 'title', () => charField(input, 'title', partial, { required: true, allowNull: false, allowBlank: false, maxLength: 255 }))) as Maybe<string>);
  set('description', (await collect(errors, 'description', () => charField(input, 'description', partial, { required: true, allowNull: false, allowBlank: false }))) as Maybe<string>);
  set('guidelines', (await collect(errors, 'guidelines', () => charField(input, 'guidelines', partial, { required: false, allowNull: true, allowBlank: true }))) as Maybe<string | null>);
  set('venue', (await collect(errors, 'venue', () => charField(input, 'venue', partial, { required: false, allowNull: true, allowBlank: true, maxLength: 255 }))) as Maybe<string | null>);
  for (const f of ['registration_start_date', 'registration_end_date', 'event_date'] as const) {
    set(f, (await collect(errors, f, () => dateTimeField(input, f, partial))) as Maybe<string | null>);
  }
  const poster = await collect(errors, 'poster', () => fileField(input, 'poster', partial, { required: true, image: true }));
  set('status', (await collect(errors, 'status', () => choiceField(input, 'status', partial, STATUS_CHOICES, false))) as Maybe<string>);
  set('is_registrations_open', (await collect(errors, 'is_registrations_open', () => booleanField(input, 'is_registrations_open', partial))) as Maybe<boolean>);
  set('payment_required', (await collect(errors, 'payment_required', () => booleanField(input, 'payment_required', partial))) as Maybe<boolean>);
  set('amount', (await collect(errors, 'amount', () => decimalField(input, 'amount', partial))) as Maybe<string | null>);
  if (Object.keys(errors).length) return errors;
  return { values, poster: poster === SKIP ? null : (poster as UploadedFile) };
}

export function isEventInput(x: Errors | EventInput): x is EventInput {
  return 'values' in x && 'poster' in x && typeof x.values === 'object';
}

/** Compares two timestamptz literals (whole seconds, then microseconds). */
function after(a: string, b: string): boolean {
  const x = parseTimestamp(a);
  const y = parseTimestamp(b);
  return x.secondsMs > y.secondsMs || (x.secondsMs === y.secondsMs && x.micro > y.micro);
}

/** Event.clean() on the row as it would be saved (its first failing rule), null when clean. */
export function eventCleanError(v: {
  registration_start_date: string | null;
  registration_end_date: string | null;
  event_date: string | null;
  payment_required: boolean;
  amount: string | null;
}): string | null {
  const start = v.registration_start_date;
  const end = v.registration_end_date;
  const event = v.event_date;
  if (start && end && after(start, end)) return 'registration_start_date should be less than registration_end_date';
  if (end && event && after(end, event)) return 'registration_end_date should be less than event_date';
  if (start && event && after(start, event)) return 'registration_start_date should be less than event_date';
  const amount = v.amount === null ? null : Number(v.amount);
  const truthy = amount !== null && amount !== 0;
  if (v.payment_required && !truthy) return 'Amount is required if payment is required';
  if (truthy && !v.payment_required) return 'Payment is required if amount is provided';
  if (truthy && amount! < 0) return 'Amount should be greater than 0';
  return null;
}

/** The gallery parts (request.FILES.getlist('gallery')): each must be a non-empty image. */
export function galleryFiles(data: RequestData): { files: UploadedFile[] } | { error: string } {
  const files = data.fileLists?.get('gallery') ?? (data.files.has('gallery') ? [data.files.get('gallery')!] : []);
  for (const f of files) {
    if (f.size === 0 || f.buffer.length === 0) return { error: MSG.emptyFile };
    if (!looksLikeImage(f.buffer)) return { error: MSG.invalidImage };
  }
  return { files };
}
