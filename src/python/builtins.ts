// Python semantics the original's views and DRF's fields rely on, for JSON values as request.data
// holds them: int(str), str(), repr() of a str, truthiness, type(x).__name__, str.strip() and len().
// One copy for every app (REST fields, the chat consumer's frame checks, query parameters).
//
// A JSON number arrives as a JS number, so 1.0 and 1 cannot be told apart: an integral number reads
// as a Python int (what the Kotlin client sends), any other as a float.
import { pythonFloatRepr } from './json.ts';

/** The characters str.isspace() accepts (str.strip(), str.split(), int() and re's \s use them). */
const PY_WHITESPACE =
  '\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

/** The same set as a regex character-class body (for patterns ported from Python's `\s`). */
export const PY_WHITESPACE_CLASS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const WHITESPACE_SET = new Set(PY_WHITESPACE);

/** str.strip() */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && WHITESPACE_SET.has(s[a]!)) a++;
  while (b > a && WHITESPACE_SET.has(s[b - 1]!)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** len(s): code points (a lone surrogate counts as one, as in a Python str). */
export function pyLen(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** The first lone surrogate of s (a Python str can hold one; JSON "\ud800" makes one), or null. */
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

// ---------------------------------------------------------------------------------------------
// int()

/** sys.int_info.default_max_str_digits (Python 3.11): int() of a longer decimal string raises. */
const INT_MAX_STR_DIGITS = 4300;

const ND = /^\p{Nd}$/u;

/** The value of a Unicode decimal digit (category Nd), or -1. Nd digits come in runs of ten from 0. */
export function decimalDigit(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  if (cp < 0x80 || !ND.test(ch)) return -1;
  let start = cp;
  while (start > 0 && ND.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

// int() and float() strip ASCII whitespace and non-ASCII Unicode whitespace, but not \x1c-\x1f
// (CPython maps only non-ASCII spaces to ' ' before its ASCII-only Py_ISSPACE strip).
const NUMBER_WHITESPACE = new Set([...PY_WHITESPACE].filter((c) => c < '\x1c' || c > '\x1f'));

/** The text int() / float() parse after their whitespace strip. */
export function numberStrip(text: string): string {
  let a = 0;
  let b = text.length;
  while (a < b && NUMBER_WHITESPACE.has(text[a]!)) a++;
  while (b > a && NUMBER_WHITESPACE.has(text[b - 1]!)) b--;
  return text.slice(a, b);
}

/**
 * int(text) for a str: surrounding whitespace, an optional sign, decimal digits (any Unicode Nd digit,
 * as Python accepts) with single underscores between them, at most 4300 digits. null where int() raises.
 */
export function pythonInt(text: string): bigint | null {
  const s = numberStrip(text);
  let i = 0;
  let negative = false;
  if (s[0] === '+' || s[0] === '-') {
    negative = s[0] === '-';
    i = 1;
  }
  if (i >= s.length) return null;
  let digits = '';
  let lastWasDigit = false;
  for (const ch of s.slice(i)) {
    if (ch === '_') {
      if (!lastWasDigit) return null;
      lastWasDigit = false;
      continue;
    }
    const d = decimalDigit(ch);
    if (d < 0) return null;
    digits += String(d);
    if (digits.length > INT_MAX_STR_DIGITS) return null;
    lastWasDigit = true;
  }
  if (!lastWasDigit) return null;
  const value = BigInt(digits);
  return negative ? -value : value;
}

export const MAX_BIGINT = 9223372036854775807n;
export const MAX_INT4 = 2147483647n;

/** An id as Django looks it up (int(value)): null when it is not an integer or cannot exist in the column. */
export function lookupId(text: string | number | bigint, max: bigint = MAX_BIGINT): number | null {
  let v: bigint | null;
  if (typeof text === 'bigint') v = text;
  else if (typeof text === 'number') v = Number.isFinite(text) ? BigInt(Math.trunc(text)) : null;
  else v = pythonInt(text);
  if (v === null || v < -max - 1n || v > max) return null;
  // Ids beyond 2^53 cannot be rows csi-chat created (sequences start at 1); treat them as missing.
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) return null;
  return Number(v);
}

/**
 * A row id in a socket frame or a request field: a JSON integer, or a str that int() reads, in 1..max.
 * null for anything else (booleans, fractions, lists, out of range).
 */
export function parseId(value: unknown, max: bigint = MAX_INT4): number | null {
  let v: bigint | null = null;
  if (typeof value === 'number') v = Number.isInteger(value) ? BigInt(value) : null;
  else if (typeof value === 'string') v = pythonInt(value);
  if (v === null || v < 1n || v > max) return null;
  return Number(v);
}

// ---------------------------------------------------------------------------------------------
// str(), repr(), type names, truthiness

/** A JSON number as Python prints it: an integral value as an int, any other with float repr. */
function numberText(n: number): string {
  if (Number.isInteger(n)) return Object.is(n, -0) ? '0' : BigInt(n).toString();
  return Number.isFinite(n) ? pythonFloatRepr(n) : n > 0 ? 'inf' : n < 0 ? '-inf' : 'nan';
}

/** repr(s) of a str: single quotes unless the text holds ' and no ", escapes as CPython writes them. */
export function reprStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x7f) out += ch;
    else if (!isPrintable(ch)) {
      if (cp <= 0xff) out += '\\x' + cp.toString(16).padStart(2, '0');
      else if (cp <= 0xffff) out += '\\u' + cp.toString(16).padStart(4, '0');
      else out += '\\U' + cp.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + quote;
}

// str.isprintable(): not in categories Cc, Cf, Cs, Co, Cn, Zl, Zp, Zs (the space itself is printable).
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;
function isPrintable(ch: string): boolean {
  return ch === ' ' || !NOT_PRINTABLE.test(ch);
}

/** repr(x) of a JSON value: None, True, 1, 1.5, 'text', [..], {'k': ..}. */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return reprStr(v);
  if (Array.isArray(v)) return '[' + v.map(pyRepr).join(', ') + ']';
  if (v !== null && typeof v === 'object') {
    return (
      '{' +
      Object.entries(v as Record<string, unknown>)
        .map(([k, x]) => `${reprStr(k)}: ${pyRepr(x)}`)
        .join(', ') +
      '}'
    );
  }
  return pyStr(v);
}

/** str(x) of a JSON value: the text itself for a str, repr() for everything else. */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'bigint') return v.toString();
  return pyRepr(v);
}

/** type(x).__name__ of a JSON value. */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    default:
      return 'dict';
  }
}

/** bool(x): None, False, 0, '', [] and {} are false (`if not x:` in the original's views). */
export function isTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '' || v === 0n) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  if (typeof v === 'number') return !Number.isNaN(v);
  return true;
}

export function isFalsy(v: unknown): boolean {
  return !isTruthy(v);
}
