// What DRF's fields read and raise: request.data as the serializer sees it (a JSON dict, or a QueryDict
// of form/multipart input with its files), Field.get_value() and validate_empty_values(), and the
// ValidationError shapes (a field's list of messages, or a nested serializer's detail).
import type { ApiRequest, RequestData, UploadedFile } from '../api.ts';
import { validationError } from '../errors.ts';
import { pythonTypeName } from '../../python/builtins.ts';

/** DRF 3.15's messages shared by several fields. */
export const MSG = {
  required: 'This field is required.',
  null: 'This field may not be null.',
  blank: 'This field may not be blank.',
  invalidString: 'Not a valid string.',
  nullChars: 'Null characters are not allowed.',
  surrogate: (cp: number) => `Surrogate characters are not allowed: U+${cp.toString(16).toUpperCase()}.`,
  maxLength: (n: number) => `Ensure this field has no more than ${n} characters.`,
  minLength: (n: number) => `Ensure this field has at least ${n} characters.`,
  stringTooLarge: 'String value too large.',
  maxValue: (n: number | bigint | string) => `Ensure this value is less than or equal to ${n}.`,
  minValue: (n: number | bigint | string) => `Ensure this value is greater than or equal to ${n}.`,
  notAList: (type: string) => `Expected a list of items but got type "${type}".`,
  emptyList: 'This list may not be empty.',
  pkMissing: (pk: string) => `Invalid pk "${pk}" - object does not exist.`,
  pkType: (type: string) => `Incorrect type. Expected pk value, received ${type}.`,
  boolean: 'Must be a valid boolean.',
  noFile: 'No file was submitted.',
  notAFile: 'The submitted data was not a file. Check the encoding type on the form.',
  emptyFile: 'The submitted file is empty.',
  invalidImage: 'Upload a valid image. The file you uploaded was either not an image or a corrupted image.',
  notADict: (type: string) => `Invalid data. Expected a dictionary, but got ${type}.`,
} as const;

/** Raised by a field: its list of messages (DRF's ValidationError with a list detail). */
export class FieldError extends Error {
  constructor(readonly messages: string[]) {
    super(messages.join(' '));
  }
}

/** A field whose error detail is not a flat list of messages (nested serializers, list serializers). */
export class NestedError extends Error {
  constructor(readonly detail: unknown) {
    super('nested validation error');
  }
}

/** The field is absent (DRF's `empty` / SkipField). */
export const SKIP = Symbol('skip');
export type Maybe<T> = T | typeof SKIP;

/** A serializer's error body: field name → messages (or a nested detail). */
export type Errors = Record<string, string[]>;
export type ErrorBody = Record<string, unknown>;

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

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** A JSON-style input over a plain dict (a JSON body, or a view's own `{k: request.data.get(k)}`). */
export function dictInput(obj: Record<string, unknown>): SerializerInput {
  return {
    html: false,
    has: (n) => hasOwn(obj, n),
    get: (n) => (hasOwn(obj, n) ? obj[n] : undefined),
    getlist: (n) => (hasOwn(obj, n) ? [obj[n]] : []),
  };
}

/** Builds the serializer input, or the non_field_errors body when a JSON body is not a dict. */
export function serializerInput(data: RequestData, raw?: Record<string, unknown>): SerializerInput | Errors {
  if (data.mediaType === 'json') {
    const v = data.value;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return { non_field_errors: [MSG.notADict(pythonTypeName(v))] };
    return dictInput(v as Record<string, unknown>);
  }
  // Form, multipart, or no body at all (an empty QueryDict).
  const fields = (data.value && typeof data.value === 'object' ? data.value : {}) as Record<string, string>;
  const files = data.files;
  return {
    html: true,
    has: (n) => files.has(n) || hasOwn(fields, n),
    get: (n) => (files.has(n) ? files.get(n) : hasOwn(fields, n) ? fields[n] : undefined),
    getlist: (n) => {
      const out: unknown[] = [];
      const rawValue = raw && hasOwn(raw, n) ? raw[n] : undefined;
      if (Array.isArray(rawValue)) out.push(...rawValue);
      else if (hasOwn(fields, n)) out.push(fields[n]);
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

// ---------------------------------------------------------------------------------------------
// Field.get_value() and Field.validate_empty_values()

export interface EmptyRules {
  required: boolean;
  allowNull: boolean;
  allowBlank?: boolean;
  /** Field.default_empty_html: what a form without the key gives (BooleanField: False, many: []). */
  defaultEmptyHtml?: unknown;
}

/** Field.get_value(dictionary): the primitive value, SKIP for `empty`. */
export function getValue(input: SerializerInput, name: string, partial: boolean, rules: EmptyRules): unknown {
  if (!input.html) return input.has(name) ? input.get(name) : SKIP;
  if (!input.has(name)) return partial ? SKIP : 'defaultEmptyHtml' in rules ? rules.defaultEmptyHtml : SKIP;
  const ret = input.get(name);
  if (ret === '' && rules.allowNull) return rules.allowBlank ? '' : null;
  if (ret === '' && !rules.required) return rules.allowBlank ? '' : SKIP;
  return ret;
}

/** validate_empty_values(): [true, value] when nothing more is to be done; throws for required/null. */
export function validateEmptyValues(data: unknown, partial: boolean, rules: EmptyRules): [boolean, unknown] {
  if (data === SKIP) {
    if (partial || !rules.required) return [true, SKIP];
    throw new FieldError([MSG.required]);
  }
  if (data === null) {
    if (!rules.allowNull) throw new FieldError([MSG.null]);
    return [true, null];
  }
  return [false, data];
}
