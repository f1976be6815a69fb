// TaskSerializer / GroupSerializer input validation as DRF 3.15 runs it on the plain dict the original's
// views build from request.data (so JSON rules apply to the form values: no HTML-input defaults).
import type { UploadedFile } from '../drf/api.ts';
import { pythonTypeName } from '../drf/api.ts';
import { pythonInt } from '../drf/pagination.ts';
import {
  charField,
  collect,
  fileField,
  FieldError,
  isFile,
  loneSurrogate,
  MSG,
  pkListField,
  pyLen,
  pyStr,
  pyStrip,
  SKIP,
  type Errors,
  type Maybe,
  type SerializerInput,
} from '../drf/fields.ts';

export const TASK_MSG = {
  date: 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.',
  integer: 'A valid integer is required.',
  stringTooLarge: 'String value too large.',
  maxValue: (n: number) => `Ensure this value is less than or equal to ${n}.`,
  minValue: (n: number) => `Ensure this value is greater than or equal to ${n}.`,
  url: 'Enter a valid URL.',
  listNotDict: (type: string) => `Invalid data. Expected a dictionary, but got ${type}.`,
} as const;

const INT4_MIN = -2147483648;
const INT4_MAX = 2147483647;

/** A JSON-style serializer input over a plain dict (the original's `{k: request.data.get(k) ...}`). */
export function dictInput(obj: Record<string, unknown>): SerializerInput {
  return {
    html: false,
    has: (n) => Object.prototype.hasOwnProperty.call(obj, n),
    get: (n) => obj[n],
    getlist: (n) => (Object.prototype.hasOwnProperty.call(obj, n) ? [obj[n]] : []),
  };
}

function daysInMonth(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function isoDate(y: number, m: number, d: number): string | null {
  if (y < 1 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return null;
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * django.utils.dateparse.parse_date (5.1): date.fromisoformat (YYYY-MM-DD, YYYYMMDD), then the
 * regex \d{4}-\d{1,2}-\d{1,2}$ (Python's $ also before a final newline). null where DRF says "wrong format".
 */
export function parseDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (m) {
    const r = isoDate(+m[1], +m[2], +m[3]);
    if (r) return r;
  }
  m = /^(\d{4})-(\d{1,2})-(\d{1,2})\n?$/.exec(value);
  return m ? isoDate(+m[1], +m[2], +m[3]) : null;
}

/** DateField (required, no null). Returns YYYY-MM-DD. */
export function dateField(input: SerializerInput, name: string, partial: boolean): Maybe<string> {
  if (!input.has(name)) {
    if (partial) return SKIP;
    throw new FieldError([MSG.required]);
  }
  const v = input.get(name);
  if (v === null) throw new FieldError([MSG.null]);
  const d = parseDate(v);
  if (d === null) throw new FieldError([TASK_MSG.date]);
  return d;
}

/** IntegerField for a model IntegerField with a default (not required), int4 range validators. */
export function integerField(input: SerializerInput, name: string, partial: boolean): Maybe<number> {
  if (!input.has(name)) return SKIP;
  void partial;
  const v = input.get(name);
  if (v === null) throw new FieldError([MSG.null]);
  if (typeof v === 'string' && v.length > 1000) throw new FieldError([TASK_MSG.stringTooLarge]);
  let n: bigint | null = null;
  if (typeof v === 'number' && Number.isFinite(v) && Number.isInteger(v)) n = BigInt(v);
  else if (typeof v === 'string') n = pythonInt(v.replace(/\.0*\s*$/, ''));
  if (n === null) throw new FieldError([TASK_MSG.integer]);
  if (n > BigInt(INT4_MAX)) throw new FieldError([TASK_MSG.maxValue(INT4_MAX)]);
  if (n < BigInt(INT4_MIN)) throw new FieldError([TASK_MSG.minValue(INT4_MIN)]);
  return Number(n);
}

// Django 5.1 URLValidator.
const UL = '\u00a1-\uffff';
const IPV4 = '(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)(?:\\.(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)){3}';
const IPV6 = '\\[[0-9a-f:.]+\\]';
const HOSTNAME = `[a-z${UL}0-9](?:[a-z${UL}0-9-]{0,61}[a-z${UL}0-9])?`;
const DOMAIN = `(?:\\.(?!-)[a-z${UL}0-9-]{1,63}(?<!-))*`;
const TLD = `\\.(?!-)(?:[a-z${UL}-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)\\.?`;
const HOST = `(${HOSTNAME}${DOMAIN}${TLD}|localhost)`;
const URL_RE = new RegExp(`^(?:[a-z0-9.+-]*)://(?:[^\\s:@/]+(?::[^\\s:@/]*)?@)?(?:${IPV4}|${IPV6}|${HOST})(?::[0-9]{1,5})?(?:[/?#][^\\s]*)?$`, 'i');

export function validUrl(value: string): boolean {
  if (value.length > 2048 || /[\t\r\n]/.test(value)) return false;
  const scheme = value.split('://')[0]!.toLowerCase();
  if (!['http', 'https', 'ftp', 'ftps'].includes(scheme)) return false;
  if (!URL_RE.test(value)) return false;
  // urlsplit(value).hostname must exist and be at most 253 characters.
  const netloc = value.slice(value.indexOf('://') + 3).split(/[/?#]/)[0]!;
  const hostPort = netloc.slice(netloc.lastIndexOf('@') + 1);
  const host = hostPort.startsWith('[') ? hostPort.slice(1, hostPort.indexOf(']')) : hostPort.replace(/:\d*$/, '');
  return host.length > 0 && host.length <= 253;
}

/** URLField(max_length=200, allow_blank, allow_null, required=False): all validators run, in order. */
export function urlField(input: SerializerInput, name: string): Maybe<string | null> {
  if (!input.has(name)) return SKIP;
  const v = input.get(name);
  if (v === null) return null;
  if (typeof v === 'boolean' || !(typeof v === 'string' || typeof v === 'number')) throw new FieldError([MSG.invalidString]);
  const value = pyStrip(pyStr(v));
  if (value === '') return '';
  const errors: string[] = [];
  if (pyLen(value) > 200) errors.push(MSG.maxLength(200));
  if (value.includes('\0')) errors.push(MSG.nullChars);
  const sur = loneSurrogate(value);
  if (sur !== null) errors.push(`Surrogate characters are not allowed: U+${sur.toString(16).toUpperCase()}.`);
  if (!validUrl(value)) errors.push(TASK_MSG.url);
  if (errors.length) throw new FieldError(errors);
  return value;
}

export interface GroupInput {
  name: string;
  members: number[];
}

type GroupItemError = Errors | string[];

/**
 * groups = GroupSerializer(many=True): a list (ListSerializer), each item a dict with name
 * (CharField max 255) and members (PrimaryKeyRelatedField many=True over all users). Item errors are
 * reported as a list with {} for the good items.
 */
export async function groupsField(
  input: SerializerInput,
  name: string,
  partial: boolean,
  existingUsers: (ids: number[]) => Promise<Set<number>>,
): Promise<Maybe<GroupInput[]>> {
  if (!input.has(name)) {
    if (partial) return SKIP;
    throw new FieldError([MSG.required]);
  }
  const v = input.get(name);
  if (v === null) throw new FieldError([MSG.null]);
  if (!Array.isArray(v)) {
    throw new NestedError({ non_field_errors: [MSG.notAList(isFile(v) ? 'InMemoryUploadedFile' : pythonTypeName(v))] });
  }
  const out: GroupInput[] = [];
  const errors: GroupItemError[] = [];
  for (const item of v as unknown[]) {
    if (item === null) {
      errors.push([MSG.null]);
      continue;
    }
    if (typeof item !== 'object' || Array.isArray(item)) {
      errors.push({ non_field_errors: [TASK_MSG.listNotDict(pythonTypeName(item))] });
      continue;
    }
    const child = dictInput(item as Record<string, unknown>);
    const e: Errors = {};
    const groupName = await collect(e, 'name', () => charField(child, 'name', false, { required: true, allowNull: false, allowBlank: false, maxLength: 255 }));
    const members = await collect(e, 'members', () => pkListField(child, 'members', false, existingUsers));
    errors.push(e);
    if (!Object.keys(e).length) out.push({ name: groupName as string, members: members as number[] });
  }
  if (errors.some((e) => (Array.isArray(e) ? e.length : Object.keys(e).length) > 0)) throw new NestedError(errors);
  return out;
}

/** A field whose error detail is not a flat list of messages (nested serializers). */
export class NestedError extends Error {
  constructor(readonly detail: unknown) {
    super('nested validation error');
  }
}

/** Like collect(), also recording nested serializer errors. */
export async function collectNested<T>(errors: Record<string, unknown>, name: string, run: () => T | Promise<T>): Promise<T | typeof SKIP> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof NestedError) {
      errors[name] = err.detail;
      return SKIP;
    }
    if (err instanceof FieldError) {
      errors[name] = err.messages;
      return SKIP;
    }
    throw err;
  }
}

export { fileField, pyStr };
export type { UploadedFile };
