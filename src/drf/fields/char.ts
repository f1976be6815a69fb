// CharField and its validator-carrying subclasses EmailField and URLField (DRF 3.15): blank handling
// before anything else, str() of a number, whitespace trimmed as str.strip(), then every validator in
// DRF's order, each adding its message: the field's own `validators` (a model's validators and
// UniqueValidator come first), max_length, min_length, null characters, surrogates, then the
// subclass's Django validator.
import { loneSurrogate, pyLen, pyStr, pyStrip } from '../../python/builtins.ts';
import { isValidEmail } from '../validators/email.ts';
import { isValidUrl } from '../validators/url.ts';
import { makeField, runValidators, type BaseOptions, type Field, type NullableOf, type RequiredOf, type Validator } from './field.ts';
import { FieldError, isFile, MSG, SKIP } from './input.ts';

export interface CharOptions extends BaseOptions {
  allowBlank?: boolean;
  maxLength?: number;
  minLength?: number;
  trimWhitespace?: boolean;
  /**
   * Field(validators=[...]): run before the built-in ones. Skipped for a value holding a NUL or a lone
   * surrogate, which Postgres cannot take in a query (the original answered 500 there).
   */
  validators?: ReadonlyArray<Validator<string>>;
}

const URL_MESSAGE = 'Enter a valid URL.';
const EMAIL_MESSAGE = 'Enter a valid email address.';

/** str(data) as CharField.run_validation's blank test sees it (a file prints as its name). */
function strOf(data: unknown): string {
  return isFile(data) ? data.originalname : pyStr(data);
}

function charLike<O extends CharOptions>(kind: string, opts: O, extra: Validator<string>[]): Field<NullableOf<O, string>, RequiredOf<O>> {
  const trim = opts.trimWhitespace ?? true;
  const custom = opts.validators ?? [];
  const builtIn: Validator<string>[] = [];
  if (opts.maxLength !== undefined) {
    const max = opts.maxLength;
    builtIn.push((v) => (pyLen(v) > max ? MSG.maxLength(max) : null));
  }
  if (opts.minLength !== undefined) {
    const min = opts.minLength;
    builtIn.push((v) => (pyLen(v) < min ? MSG.minLength(min) : null));
  }
  builtIn.push((v) => (v.includes('\0') ? MSG.nullChars : null));
  builtIn.push((v) => {
    const cp = loneSurrogate(v);
    return cp === null ? null : MSG.surrogate(cp);
  });
  builtIn.push(...extra);
  const allowBlank = opts.allowBlank ?? false;
  return makeField<NullableOf<O, string>, RequiredOf<O>>({
    kind,
    rules: { required: opts.required ?? true, allowNull: opts.allowNull ?? false, allowBlank },
    before(data) {
      if (data !== SKIP && data !== null && (data === '' || (trim && pyStrip(strOf(data)) === ''))) {
        if (!allowBlank) throw new FieldError([MSG.blank]);
        return { done: true, value: '' };
      }
      return { done: false, data };
    },
    toInternal(data) {
      if (typeof data === 'boolean' || !(typeof data === 'string' || typeof data === 'number')) throw new FieldError([MSG.invalidString]);
      const value = pyStr(data);
      return (trim ? pyStrip(value) : value) as NullableOf<O, string>;
    },
    async validators(value) {
      const v = value as string;
      const unsafe = v.includes('\0') || loneSurrogate(v) !== null;
      return [...(unsafe ? [] : await runValidators(v, custom)), ...(await runValidators(v, builtIn))];
    },
  });
}

/** serializers.CharField(**opts) */
export function char<const O extends CharOptions>(opts: O = {} as O): Field<NullableOf<O, string>, RequiredOf<O>> {
  return charLike('CharField', opts, []);
}

/** serializers.EmailField(**opts): CharField + Django's EmailValidator. */
export function email<const O extends CharOptions>(opts: O = {} as O): Field<NullableOf<O, string>, RequiredOf<O>> {
  return charLike('EmailField', opts, [(v) => (isValidEmail(v) ? null : EMAIL_MESSAGE)]);
}

/** serializers.URLField(**opts): CharField + Django's URLValidator. */
export function url<const O extends CharOptions>(opts: O = {} as O): Field<NullableOf<O, string>, RequiredOf<O>> {
  return charLike('URLField', opts, [(v) => (isValidUrl(v) ? null : URL_MESSAGE)]);
}

/** Django's MinLengthValidator(limit) (a model validator: "Ensure this value has at least …"). */
export function djangoMinLength(limit: number): Validator<string> {
  return (v) => {
    const n = pyLen(v);
    if (n >= limit) return null;
    return `Ensure this value has at least ${limit} character${limit === 1 ? '' : 's'} (it has ${n}).`;
  };
}
