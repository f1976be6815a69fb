// DRF fields the User app's serializers use beyond the chat ones (src/chat/validation.ts): EmailField,
// ChoiceField, DateField, URLField, SlugRelatedField, a required BooleanField and MinLengthValidator,
// with DRF 3.15 / Django 5.1 messages.
import { domainToASCII } from 'node:url';
import { pythonTypeName } from '../drf/api.ts';
import {
  charField,
  FieldError,
  isFile,
  loneSurrogate,
  MSG,
  primitive,
  pyLen,
  pyStr,
  pyStrip,
  SKIP,
  type CharOpts,
  type Maybe,
  type SerializerInput,
} from '../drf/fields.ts';

export const USER_MSG = {
  email: 'Enter a valid email address.',
  url: 'Enter a valid URL.',
  date: 'Date has wrong format. Use one of these formats instead: YYYY-MM-DD.',
  choice: (input: string) => `"${input}" is not a valid choice.`,
  slugMissing: (slug: string, value: string) => `Object with ${slug}=${value} does not exist.`,
  slugInvalid: 'Invalid value.',
  minLength: (limit: number, has: number) => `Ensure this value has at least ${limit} characters (it has ${has}).`,
  akgec: "Email must end with '@akgec.ac.in'.",
  emailTaken: 'user with this email already exists.',
  studentNumberTaken: 'student profile with this student number already exists.',
} as const;

// ---------------------------------------------------------------------------------------------
// Django's EmailValidator

const USER_RE = /^(?:[-!#$%&'*+/=?^_`{}|~0-9a-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0d-\x7f])*")$/i;
const DOMAIN_RE = /^(?:(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+)(?:[a-z0-9-]{2,63})$/i;
const IPV4_RE = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isValidEmail(value: string): boolean {
  if (!value || !value.includes('@') || value.length > 320) return false;
  const at = value.lastIndexOf('@');
  const user = value.slice(0, at);
  let domain = value.slice(at + 1);
  if (!USER_RE.test(user)) return false;
  if (domain === 'localhost') return true;
  const literal = /^\[(.+)\]$/.exec(domain);
  if (literal) return IPV4_RE.test(literal[1]) || /^ipv6:/i.test(literal[1]);
  if (DOMAIN_RE.test(domain) && !domain.endsWith('-')) return true;
  // IDN domains are checked in their punycode form.
  const ascii = domainToASCII(domain);
  if (!ascii || ascii === domain) return false;
  domain = ascii;
  return DOMAIN_RE.test(domain) && !domain.endsWith('-');
}

/** Django's URLValidator (schemes http, https, ftp, ftps), closely approximated. */
export function isValidUrl(value: string): boolean {
  if (!value || value.length > 2048 || /\s/.test(value)) return false;
  const scheme = /^([a-z0-9.+-]*):\/\//i.exec(value);
  if (!scheme || !['http', 'https', 'ftp', 'ftps'].includes(scheme[1].toLowerCase())) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  const host = url.hostname;
  if (!host) return false;
  if (host === 'localhost' || IPV4_RE.test(host) || host.startsWith('[')) return true;
  const labels = host.replace(/\.$/, '').split('.');
  if (labels.length < 2) return false;
  const tld = labels[labels.length - 1];
  if (!/^(?:[a-z\u00a1-\uffff-]{2,63}|xn--[a-z0-9]{1,59})$/i.test(tld) || tld.endsWith('-')) return false;
  return labels.every((l) => /^[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]{0,61}[a-z0-9\u00a1-\uffff])?$/i.test(l));
}

// ---------------------------------------------------------------------------------------------
// Fields

/**
 * EmailField: CharField rules (trimmed; required/null/blank/type stop early), then every validator in
 * DRF's order, each adding its message: the model's validators (`modelValidators`, e.g.
 * validate_akgec_email and the UniqueValidator), max_length, null and surrogate characters, EmailValidator.
 */
export async function emailField(
  input: SerializerInput,
  name: string,
  partial: boolean,
  opts: CharOpts & { modelValidators?: Array<(v: string) => Promise<string | null> | string | null> },
): Promise<Maybe<string | null>> {
  let value: string;
  try {
    const v = await charField(input, name, partial, { ...opts, maxLength: undefined });
    if (v === SKIP || v === null || v === '') return v;
    value = v;
  } catch (err) {
    if (!(err instanceof FieldError) || err.messages.some((m) => EARLY.has(m))) throw err;
    const raw = primitive(input, name, partial, opts);
    value = pyStrip(typeof raw === 'string' ? raw : pyStr(raw));
  }
  const messages: string[] = [];
  const unsafe = value.includes('\0') || loneSurrogate(value) !== null;
  if (!unsafe) {
    for (const check of opts.modelValidators ?? []) {
      const e = await check(value);
      if (e) messages.push(e);
    }
  }
  if (opts.maxLength !== undefined && pyLen(value) > opts.maxLength) messages.push(MSG.maxLength(opts.maxLength));
  if (value.includes('\0')) messages.push(MSG.nullChars);
  const sur = loneSurrogate(value);
  if (sur !== null) messages.push(`Surrogate characters are not allowed: U+${sur.toString(16).toUpperCase()}.`);
  if (!isValidEmail(value)) messages.push(USER_MSG.email);
  if (messages.length) throw new FieldError(messages);
  return value;
}

const EARLY = new Set<string>([MSG.required, MSG.null, MSG.blank, MSG.invalidString]);

/** CharField with a MinLengthValidator (runs before the built-in validators). */
export async function minLengthCharField(input: SerializerInput, name: string, partial: boolean, opts: CharOpts, min: number) {
  return charField(input, name, partial, opts, async (v) => {
    const n = [...v].length;
    return n < min ? USER_MSG.minLength(min, n) : null;
  });
}

/**
 * URLField (model URLField: optional, null allowed, blank allowed, max_length 200). DRF runs the
 * CharField validators (max_length, null/surrogate characters) before the URLValidator.
 */
export async function urlField(input: SerializerInput, name: string, partial: boolean, opts: CharOpts): Promise<Maybe<string | null>> {
  let value: Maybe<string | null>;
  try {
    value = await charField(input, name, partial, opts);
  } catch (err) {
    if (!(err instanceof FieldError) || err.messages.some((m) => EARLY.has(m))) throw err;
    const raw = primitive(input, name, partial, opts);
    const text = pyStrip(typeof raw === 'string' ? raw : pyStr(raw));
    throw new FieldError(isValidUrl(text) ? err.messages : [...err.messages, USER_MSG.url]);
  }
  if (value === SKIP || value === null || value === '') return value;
  if (!isValidUrl(value)) throw new FieldError([USER_MSG.url]);
  return value;
}

/** ChoiceField(choices): str(data) must be one of the choice keys. */
export function choiceField(input: SerializerInput, name: string, partial: boolean, choices: readonly string[], opts: { required: boolean; allowNull?: boolean }): Maybe<string | null> {
  const data = primitive(input, name, partial, { required: opts.required, allowNull: !!opts.allowNull });
  if (data === SKIP) {
    if (partial || !opts.required) return SKIP;
    throw new FieldError([MSG.required]);
  }
  if (data === null) {
    if (!opts.allowNull) throw new FieldError([MSG.null]);
    return null;
  }
  const shown = isFile(data) ? String(data.originalname) : typeof data === 'object' ? pyRepr(data) : pyStr(data);
  if (typeof data === 'object' || !choices.includes(shown)) throw new FieldError([USER_MSG.choice(shown)]);
  return shown;
}

function pyRepr(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map((x) => (typeof x === 'string' ? `'${x}'` : typeof x === 'object' && x !== null ? pyRepr(x) : pyStr(x))).join(', ') + ']';
  if (v && typeof v === 'object') return '{' + Object.entries(v).map(([k, x]) => `'${k}': ${typeof x === 'string' ? `'${x}'` : typeof x === 'object' && x !== null ? pyRepr(x) : pyStr(x)}`).join(', ') + '}';
  return pyStr(v);
}

/** BooleanField() of a plain Serializer: required (HTML input: a missing key reads as False). */
const TRUE_VALUES = new Set<unknown>(['t', 'T', 'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON', '1', 1, true]);
const FALSE_VALUES = new Set<unknown>(['f', 'F', 'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF', '0', 0, false]);

export function requiredBooleanField(input: SerializerInput, name: string): boolean {
  const data = primitive(input, name, false, { required: true, allowNull: false, defaultEmptyHtml: false });
  if (data === SKIP) throw new FieldError([MSG.required]);
  if (data === null) throw new FieldError([MSG.null]);
  if (TRUE_VALUES.has(data)) return true;
  if (FALSE_VALUES.has(data)) return false;
  throw new FieldError([MSG.boolean]);
}

/** Django's parse_date (date.fromisoformat, then the YYYY-M-D regex), as DateField reads ISO 8601. */
export function parseIsoDate(value: string): string | null {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(value) ?? /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return null;
  const days = new Date(Date.UTC(2000, mo, 0)).getUTCDate();
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const max = mo === 2 ? (leap ? 29 : 28) : days;
  if (d > max) return null;
  return `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** DateField (model DateField null=True, blank=True: optional, null allowed). */
export function dateField(input: SerializerInput, name: string, partial: boolean): Maybe<string | null> {
  const data = primitive(input, name, partial, { required: false, allowNull: true });
  if (data === SKIP) return SKIP;
  if (data === null) return null;
  if (typeof data !== 'string') throw new FieldError([USER_MSG.date]);
  const parsed = parseIsoDate(data);
  if (!parsed) throw new FieldError([USER_MSG.date]);
  return parsed;
}

/** SlugRelatedField(slug_field=...) required, not nullable: '' and null → "may not be null". */
export async function slugRelatedField<T>(
  input: SerializerInput,
  name: string,
  partial: boolean,
  slugName: string,
  lookup: (value: string) => Promise<T | null>,
): Promise<Maybe<T>> {
  let data = primitive(input, name, partial, { required: true, allowNull: false });
  if (data === '') data = null;
  if (data === SKIP) {
    if (partial) return SKIP;
    throw new FieldError([MSG.required]);
  }
  if (data === null) throw new FieldError([MSG.null]);
  if (typeof data === 'object' || isFile(data)) throw new FieldError([USER_MSG.slugInvalid]);
  const value = pyStr(data);
  const found = value.includes('\0') ? null : await lookup(value);
  if (!found) throw new FieldError([USER_MSG.slugMissing(slugName, value)]);
  return found;
}

export { pythonTypeName };
