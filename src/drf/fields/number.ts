// IntegerField, FloatField and DecimalField (DRF 3.15) on JSON numbers and strings: the 1000-character
// guard, Python's int()/float()/Decimal() reading, the range and precision validators with DRF's texts.
import { decimalDigit, numberStrip, pyStr, pyStrip, pythonInt, PY_WHITESPACE_CLASS } from '../../python/builtins.ts';
import { makeField, type BaseOptions, type Field, type NullableOf, type RequiredOf } from './field.ts';
import { FieldError, MSG, SKIP } from './input.ts';

const MAX_STRING_LENGTH = 1000;
const INVALID_INTEGER = 'A valid integer is required.';
const INVALID_NUMBER = 'A valid number is required.';

export interface IntegerOptions extends BaseOptions {
  maxValue?: number | bigint;
  minValue?: number | bigint;
}

/** A model IntegerField's range (DRF takes Django's backend range validators as max/min_value). */
export const INT4_RANGE = { minValue: -2147483648, maxValue: 2147483647 } as const;

// IntegerField.re_decimal = r'\.0*\s*$' (Python's $ also matches before a final newline): '1.0' is an int.
const RE_DECIMAL = new RegExp(`\\.0*[${PY_WHITESPACE_CLASS}]*(?=\\n?$)`, 'g');

/** int(re_decimal.sub('', str(data))) of a JSON value; null where DRF answers "A valid integer is required." */
function integerValue(data: unknown): bigint | null {
  // str() of a bool, None, a list or a dict never reads as an int; a number's str() is its repr.
  if (typeof data === 'number') return Number.isInteger(data) ? BigInt(data) : null;
  if (typeof data !== 'string') return null;
  return pythonInt(data.replace(RE_DECIMAL, ''));
}

/** serializers.IntegerField(**opts); the internal value is a JS number (ids and counters fit). */
export function integer<const O extends IntegerOptions>(opts: O = {} as O): Field<NullableOf<O, number>, RequiredOf<O>> {
  return makeField<NullableOf<O, number>, RequiredOf<O>>({
    kind: 'IntegerField',
    rules: { required: opts.required ?? true, allowNull: opts.allowNull ?? false },
    toInternal(data) {
      if (typeof data === 'string' && data.length > MAX_STRING_LENGTH) throw new FieldError([MSG.stringTooLarge]);
      const n = integerValue(data);
      if (n === null) throw new FieldError([INVALID_INTEGER]);
      if (opts.maxValue !== undefined && n > BigInt(opts.maxValue)) throw new FieldError([MSG.maxValue(opts.maxValue)]);
      if (opts.minValue !== undefined && n < BigInt(opts.minValue)) throw new FieldError([MSG.minValue(opts.minValue)]);
      if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
        // Only reachable without a range: such a value cannot be held exactly, so it is refused.
        throw new FieldError([INVALID_INTEGER]);
      }
      return Number(n) as NullableOf<O, number>;
    },
  });
}

/** Python's float(str): decimal/exponent forms with single underscores between digits, inf, nan; null where it raises. */
export function pythonFloat(text: string): number | null {
  let s = '';
  for (const ch of numberStrip(text)) {
    const d = decimalDigit(ch);
    s += d >= 0 ? String(d) : ch;
  }
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (!FLOAT_RE.test(s)) return null;
  return Number(s.replace(/_/g, ''));
}
const DIGITS = '[0-9](?:_?[0-9])*';
const FLOAT_RE = new RegExp(`^[+-]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`);

/** serializers.FloatField(**opts) */
export function float<const O extends BaseOptions>(opts: O = {} as O): Field<NullableOf<O, number>, RequiredOf<O>> {
  return makeField<NullableOf<O, number>, RequiredOf<O>>({
    kind: 'FloatField',
    rules: { required: opts.required ?? true, allowNull: opts.allowNull ?? false },
    toInternal(data) {
      if (typeof data === 'string') {
        if (data.length > MAX_STRING_LENGTH) throw new FieldError([MSG.stringTooLarge]);
        const n = pythonFloat(data);
        if (n === null) throw new FieldError([INVALID_NUMBER]);
        return n as NullableOf<O, number>;
      }
      if (typeof data === 'boolean') return (data ? 1 : 0) as NullableOf<O, number>;
      if (typeof data === 'number') return data as NullableOf<O, number>;
      throw new FieldError([INVALID_NUMBER]);
    },
  });
}

// Python's Decimal(str) grammar (after DRF's strip()): sign, digits with single underscores, a
// fraction, an exponent; Infinity/NaN forms are refused by DecimalField anyway.
const DECIMAL_RE = /^([+-]?)([0-9](?:_?[0-9])*)?(?:\.([0-9](?:_?[0-9])*)?)?(?:[eE]([+-]?[0-9](?:_?[0-9])*))?$/;

/** A decimal literal as Python's Decimal() reads it: sign, digit string and exponent; null when invalid. */
function parseDecimal(text: string): { negative: boolean; digits: string; exponent: number } | null {
  let ascii = '';
  for (const ch of text) {
    const d = decimalDigit(ch);
    ascii += d >= 0 ? String(d) : ch;
  }
  const m = DECIMAL_RE.exec(ascii);
  if (!m || (m[2] === undefined && m[3] === undefined)) return null;
  const intPart = (m[2] ?? '').replace(/_/g, '');
  const fracPart = (m[3] ?? '').replace(/_/g, '');
  const exp = m[4] ? Number(m[4].replace(/_/g, '')) : 0;
  if (!Number.isSafeInteger(exp)) return null;
  let digits = (intPart + fracPart).replace(/^0+/, '');
  if (digits === '') digits = '0';
  return { negative: m[1] === '-', digits, exponent: exp - fracPart.length };
}

export interface DecimalOptions extends BaseOptions {
  maxDigits: number;
  decimalPlaces: number;
}

/**
 * serializers.DecimalField(max_digits, decimal_places, **opts): validate_precision() with DRF's messages,
 * the value quantized to `decimalPlaces` as text (what the numeric column takes).
 */
export function decimal<const O extends DecimalOptions>(opts: O): Field<NullableOf<O, string>, RequiredOf<O>> {
  const { maxDigits, decimalPlaces: places } = opts;
  const allowNull = opts.allowNull ?? false;
  return makeField<NullableOf<O, string>, RequiredOf<O>>({
    kind: 'DecimalField',
    rules: { required: opts.required ?? true, allowNull },
    before(data) {
      // DecimalField.validate_empty_values: smart_str(data).strip() == '' with allow_null is None.
      if (allowNull && data !== SKIP && typeof data === 'string' && pyStrip(data) === '') return { done: true, value: null };
      return { done: false, data };
    },
    toInternal(data) {
      const text = pyStrip(typeof data === 'string' ? data : pyStr(data));
      if (text.length > MAX_STRING_LENGTH) throw new FieldError([MSG.stringTooLarge]);
      const d = typeof data === 'boolean' ? null : parseDecimal(text);
      if (!d) throw new FieldError([INVALID_NUMBER]);
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
      if (whole > maxDigits - places)
        throw new FieldError([`Ensure that there are no more than ${maxDigits - places} digits before the decimal point.`]);
      // Quantize to `places`: the checks above make this exact (padding with zeros, never rounding).
      const shifted = d.digits === '0' ? '0'.repeat(places + 1) : d.digits + '0'.repeat(d.exponent + places);
      const padded = shifted.padStart(places + 1, '0');
      const intDigits = padded.slice(0, padded.length - places).replace(/^0+(?=\d)/, '');
      const value = places ? `${intDigits}.${padded.slice(padded.length - places)}` : intDigits;
      return (d.negative && /[1-9]/.test(value) ? `-${value}` : value) as NullableOf<O, string>;
    },
  });
}
