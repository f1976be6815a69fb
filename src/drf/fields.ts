// DRF field validation as the original's serializers run it (first written for RoomSerializer,
// EditRoomSerializer and MessageUploadSerializer, now shared by every app): JSON vs HTML-form
// (multipart/urlencoded) input rules, DRF 3.15 messages, errors collected per field in declaration order.
import type { ApiRequest, RequestData, UploadedFile } from './api.ts';
import { validationError } from './errors.ts';
import { pythonTypeName } from './api.ts';
import { pythonNumber } from './json.ts';
import { lookupId, MAX_BIGINT, pythonInt } from './pagination.ts';

export const MSG = {
  required: 'This field is required.',
  null: 'This field may not be null.',
  blank: 'This field may not be blank.',
  invalidString: 'Not a valid string.',
  nullChars: 'Null characters are not allowed.',
  maxLength: (n: number) => `Ensure this field has no more than ${n} characters.`,
  notAList: (type: string) => `Expected a list of items but got type "${type}".`,
  pkMissing: (pk: string) => `Invalid pk "${pk}" - object does not exist.`,
  pkType: (type: string) => `Incorrect type. Expected pk value, received ${type}.`,
  boolean: 'Must be a valid boolean.',
  noFile: 'No file was submitted.',
  notAFile: 'The submitted data was not a file. Check the encoding type on the form.',
  emptyFile: 'The submitted file is empty.',
  invalidImage: 'Upload a valid image. The file you uploaded was either not an image or a corrupted image.',
  notADict: (type: string) => `Invalid data. Expected a dictionary, but got ${type}.`,
} as const;

/** Raised by a field: its list of messages. */
export class FieldError extends Error {
  constructor(readonly messages: string[]) {
    super(messages.join(' '));
  }
}

/** The field is absent (DRF's SkipField / `empty`). */
export const SKIP = Symbol('skip');
export type Maybe<T> = T | typeof SKIP;

export type Errors = Record<string, string[]>;

// ---------------------------------------------------------------------------------------------
// The input view of request.data

/** request.data as the serializer sees it: JSON dict, or a QueryDict (HTML input) with files. */
export interface SerializerInput {
  html: boolean;
  has(name: string): boolean;
  /** dictionary[name] (last value; a file wins over a text field of the same name). */
  get(name: string): unknown;
  /** QueryDict.getlist(name) (HTML input only). */
  getlist(name: string): unknown[];
}

/** Builds the serializer input; throws the non_field_errors body when a JSON body is not a dict. */
export function serializerInput(data: RequestData, raw?: Record<string, unknown>): SerializerInput | Errors {
  if (data.mediaType === 'json') {
    const v = data.value;
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      return { non_field_errors: [MSG.notADict(pythonTypeName(v))] };
    }
    const obj = v as Record<string, unknown>;
    return {
      html: false,
      has: (n) => Object.prototype.hasOwnProperty.call(obj, n),
      get: (n) => obj[n],
      getlist: (n) => (Object.prototype.hasOwnProperty.call(obj, n) ? [obj[n]] : []),
    };
  }
  // Form, multipart, or no body at all (an empty QueryDict).
  const fields = (data.value && typeof data.value === 'object' ? data.value : {}) as Record<string, string>;
  const files = data.files;
  return {
    html: true,
    has: (n) => files.has(n) || Object.prototype.hasOwnProperty.call(fields, n),
    get: (n) => (files.has(n) ? files.get(n) : fields[n]),
    getlist: (n) => {
      const out: unknown[] = [];
      const rawValue = raw?.[n];
      if (Array.isArray(rawValue)) out.push(...rawValue);
      else if (Object.prototype.hasOwnProperty.call(fields, n)) out.push(fields[n]);
      if (files.has(n)) out.push(files.get(n));
      return out;
    },
  };
}

/** Reads request.data for a serializer; a non-dict JSON body gives the serializer's non_field_errors (400). */
export async function readInput(req: ApiRequest): Promise<SerializerInput> {
  const data = await req.data();
  const raw = data.mediaType === 'multipart' ? (req.raw.body as Record<string, unknown> | undefined) : undefined;
  const input = serializerInput(data, raw);
  if (isErrors(input)) throw validationError(input);
  return input;
}

export function isErrors(x: SerializerInput | Errors): x is Errors {
  return !('html' in x && typeof (x as SerializerInput).get === 'function');
}

export function isFile(v: unknown): v is UploadedFile {
  return !!v && typeof v === 'object' && Buffer.isBuffer((v as UploadedFile).buffer) && typeof (v as UploadedFile).originalname === 'string';
}

interface FieldOpts {
  required: boolean;
  allowNull: boolean;
  allowBlank?: boolean;
  /** ManyRelatedField / BooleanField HTML defaults when the key is absent from a form. */
  defaultEmptyHtml?: unknown;
}

/** Field.get_value(): the primitive value, SKIP for `empty`. */
export function primitive(input: SerializerInput, name: string, partial: boolean, opts: FieldOpts): unknown {
  if (!input.html) return input.has(name) ? input.get(name) : SKIP;
  if (!input.has(name)) return partial ? SKIP : 'defaultEmptyHtml' in opts ? opts.defaultEmptyHtml : SKIP;
  const ret = input.get(name);
  if (ret === '' && opts.allowNull) return opts.allowBlank ? '' : null;
  if (ret === '' && !opts.required) return opts.allowBlank ? '' : SKIP;
  return ret;
}

/** validate_empty_values(): returns [done, value]; throws for required/null. */
function emptyValues(data: unknown, partial: boolean, opts: FieldOpts): [boolean, unknown] {
  if (data === SKIP) {
    if (partial || !opts.required) return [true, SKIP];
    throw new FieldError([MSG.required]);
  }
  if (data === null) {
    if (!opts.allowNull) throw new FieldError([MSG.null]);
    return [true, null];
  }
  return [false, data];
}

// ---------------------------------------------------------------------------------------------
// Python string helpers

const PY_WHITESPACE = '\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

/** str.strip() */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && PY_WHITESPACE.includes(s[a])) a++;
  while (b > a && PY_WHITESPACE.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

/** len() in code points. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function loneSurrogate(s: string): number | null {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
      return c;
    }
    if (c >= 0xdc00 && c <= 0xdfff) return c;
  }
  return null;
}

/** str(value) for a JSON scalar. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pythonNumber(v);
  return String(v);
}

// ---------------------------------------------------------------------------------------------
// Fields

export interface CharOpts {
  required: boolean;
  allowNull: boolean;
  allowBlank: boolean;
  maxLength?: number;
}

/**
 * CharField.run_validation + to_internal_value + validators (max_length, null characters, surrogates).
 * `extra` runs before the built-in validators (UniqueValidator comes first in the original's list).
 */
export async function charField(
  input: SerializerInput,
  name: string,
  partial: boolean,
  opts: CharOpts,
  extra?: (value: string) => Promise<string | null>,
): Promise<Maybe<string | null>> {
  const data = primitive(input, name, partial, opts);
  if (data !== SKIP && data !== null && (data === '' || pyStrip(pyStrStrict(data)) === '')) {
    if (!opts.allowBlank) throw new FieldError([MSG.blank]);
    return '';
  }
  const [done, v] = emptyValues(data, partial, opts);
  if (done) return v as Maybe<string | null>;
  if (typeof v === 'boolean' || !(typeof v === 'string' || typeof v === 'number')) throw new FieldError([MSG.invalidString]);
  const value = pyStrip(typeof v === 'string' ? v : pyStr(v));
  const errors: string[] = [];
  const unsafe = value.includes('\0') || loneSurrogate(value) !== null;
  if (extra && !unsafe) {
    const e = await extra(value);
    if (e) errors.push(e);
  }
  if (opts.maxLength !== undefined && pyLen(value) > opts.maxLength) errors.push(MSG.maxLength(opts.maxLength));
  if (value.includes('\0')) errors.push(MSG.nullChars);
  const sur = loneSurrogate(value);
  if (sur !== null) errors.push(`Surrogate characters are not allowed: U+${sur.toString(16).toUpperCase()}.`);
  if (errors.length) throw new FieldError(errors);
  return value;
}

/** str(data) where it can be computed without surprises (dict/list are never blank). */
function pyStrStrict(v: unknown): string {
  if (v && typeof v === 'object') return Array.isArray(v) ? '[list]' : '{dict}';
  return pyStr(v);
}

const TRUE_VALUES = new Set<unknown>(['t', 'T', 'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON', '1', 1, true]);
const FALSE_VALUES = new Set<unknown>(['f', 'F', 'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF', '0', 0, false]);

/** BooleanField (model default → not required; HTML default_empty_html = False). */
export function booleanField(input: SerializerInput, name: string, partial: boolean): Maybe<boolean> {
  const opts: FieldOpts = { required: false, allowNull: false, defaultEmptyHtml: false };
  const data = primitive(input, name, partial, opts);
  const [done, v] = emptyValues(data, partial, opts);
  if (done) return v as Maybe<boolean>;
  if (TRUE_VALUES.has(v)) return true;
  if (FALSE_VALUES.has(v)) return false;
  throw new FieldError([MSG.boolean]);
}

/** A primary key as PrimaryKeyRelatedField.to_internal_value reads it: the id to look up, or the error. */
export type PkParse = { ok: true; id: number | null; shown: string } | { ok: false; message: string };

export function parsePk(data: unknown, max: bigint = MAX_BIGINT): PkParse {
  if (typeof data === 'boolean' || data === undefined) return { ok: false, message: MSG.pkType(pythonTypeName(data)) };
  if (data === null) return { ok: true, id: null, shown: 'None' };
  if (typeof data === 'number') return { ok: true, id: lookupId(data, max), shown: pyStr(data) };
  if (typeof data === 'string') {
    const n = pythonInt(data);
    if (n === null) return { ok: false, message: MSG.pkType('str') };
    return { ok: true, id: lookupId(n, max), shown: data };
  }
  return { ok: false, message: MSG.pkType(pythonTypeName(data)) };
}

/**
 * ManyRelatedField(PrimaryKeyRelatedField(queryset=User.objects.all())): the list check, then each item
 * in order; the first failing item is the field's only error. `exists` answers for all ids at once.
 */
export async function pkListField(
  input: SerializerInput,
  name: string,
  partial: boolean,
  exists: (ids: number[]) => Promise<Set<number>>,
): Promise<Maybe<number[]>> {
  const opts: FieldOpts = { required: true, allowNull: false, defaultEmptyHtml: [] };
  let data: unknown;
  if (input.html) {
    data = !input.has(name) ? (partial ? SKIP : []) : input.getlist(name);
  } else {
    data = input.has(name) ? input.get(name) : SKIP;
  }
  const [done, v] = emptyValues(data, partial, opts);
  if (done) return v as Maybe<number[]>;
  let items: unknown[];
  if (Array.isArray(v)) items = v;
  else if (v && typeof v === 'object' && !isFile(v)) items = Object.keys(v);
  else throw new FieldError([MSG.notAList(isFile(v) ? 'InMemoryUploadedFile' : pythonTypeName(v))]);
  const parsed = items.map((item) => parsePk(item));
  const ids = parsed.flatMap((p) => (p.ok && p.id !== null ? [p.id] : []));
  const found = await exists([...new Set(ids)]);
  const out: number[] = [];
  for (const p of parsed) {
    if (!p.ok) throw new FieldError([p.message]);
    if (p.id === null || !found.has(p.id)) throw new FieldError([MSG.pkMissing(p.shown)]);
    out.push(p.id);
  }
  return out;
}

/** PrimaryKeyRelatedField(allow_null=True, required=False) on an existing-row check. */
export async function pkField(
  input: SerializerInput,
  name: string,
  partial: boolean,
  exists: (id: number) => Promise<boolean>,
  max: bigint,
): Promise<Maybe<number | null>> {
  const opts: FieldOpts = { required: false, allowNull: true };
  let data = primitive(input, name, partial, opts);
  if (data === '') data = null; // RelatedField.run_validation: '' → None
  const [done, v] = emptyValues(data, partial, opts);
  if (done) return v as Maybe<number | null>;
  if (isFile(v)) throw new FieldError([MSG.pkType('InMemoryUploadedFile')]);
  const p = parsePk(v, max);
  if (!p.ok) throw new FieldError([p.message]);
  if (p.id === null || !(await exists(p.id))) throw new FieldError([MSG.pkMissing(p.shown)]);
  return p.id;
}

/** FileField / ImageField(required=...) */
export function fileField(input: SerializerInput, name: string, partial: boolean, opts: { required: boolean; image: boolean }): Maybe<UploadedFile> {
  const fo: FieldOpts = { required: opts.required, allowNull: false };
  const data = primitive(input, name, partial, fo);
  if (data === SKIP) {
    if (partial || !opts.required) return SKIP;
    throw new FieldError([MSG.noFile]);
  }
  if (data === null) throw new FieldError([MSG.null]);
  if (!isFile(data)) throw new FieldError([MSG.notAFile]);
  if (data.size === 0 || data.buffer.length === 0) throw new FieldError([MSG.emptyFile]);
  if (opts.image && !looksLikeImage(data.buffer)) throw new FieldError([MSG.invalidImage]);
  return data;
}

/** What Pillow would open: PNG, JPEG, GIF, WebP, BMP, TIFF, ICO (signature check). */
export function looksLikeImage(b: Buffer): boolean {
  const starts = (sig: number[] | string, at = 0) => {
    const bytes = typeof sig === 'string' ? [...Buffer.from(sig, 'latin1')] : sig;
    return b.length >= at + bytes.length && bytes.every((x, i) => b[at + i] === x);
  };
  return (
    starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) ||
    starts([0xff, 0xd8, 0xff]) ||
    starts('GIF87a') ||
    starts('GIF89a') ||
    (starts('RIFF') && starts('WEBP', 8)) ||
    (starts('BM') && b.length > 26) ||
    starts([0x49, 0x49, 0x2a, 0x00]) ||
    starts([0x4d, 0x4d, 0x00, 0x2a]) ||
    starts([0x00, 0x00, 0x01, 0x00])
  );
}

/** Runs one field, recording its error under its name. */
export async function collect<T>(errors: Errors, name: string, run: () => T | Promise<T>): Promise<T | typeof SKIP> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof FieldError) {
      errors[name] = err.messages;
      return SKIP;
    }
    throw err;
  }
}
