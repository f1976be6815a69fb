// PrimaryKeyRelatedField, its many=True form (ManyRelatedField) and SlugRelatedField (DRF 3.15), with
// the row lookups given by the caller. Django reads a pk with int(value): a str that int() refuses, a
// bool, a list or a dict is "Incorrect type"; a float is truncated; an id no row can have is missing.
import { lookupId, MAX_BIGINT, pyStr, pythonInt, pythonTypeName } from '../../python/builtins.ts';
import { makeField, orNull, type BaseOptions, type Field, type NullableOf, type RequiredOf } from './field.ts';
import { FieldError, getValue, isFile, MSG, SKIP, validateEmptyValues } from './input.ts';

/** A primary key as PrimaryKeyRelatedField.to_internal_value reads it: the id to look up, or the error. */
export type PkParse = { ok: true; id: number | null; shown: string } | { ok: false; message: string };

export function parsePk(data: unknown, max: bigint = MAX_BIGINT): PkParse {
  if (isFile(data)) return { ok: false, message: MSG.pkType('InMemoryUploadedFile') };
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

export interface PkOptions extends BaseOptions {
  /** Whether a row with this id exists in the queryset. */
  exists: (id: number) => Promise<boolean>;
  /** The id column's largest value (int4 columns: 2147483647). */
  max?: bigint;
}

/** serializers.PrimaryKeyRelatedField(queryset=..., **opts): the id. */
export function pk<const O extends PkOptions>(opts: O): Field<NullableOf<O, number>, RequiredOf<O>> {
  return makeField<NullableOf<O, number>, RequiredOf<O>>({
    kind: 'PrimaryKeyRelatedField',
    rules: { required: opts.required ?? true, allowNull: opts.allowNull ?? false },
    schema: {
      type: 'integer',
      minimum: 1,
      ...(opts.max !== undefined ? { maximum: Number(opts.max) } : {}),
      description: 'the id of an existing row',
    },
    // RelatedField.run_validation: '' is None.
    before: (data) => ({ done: false, data: data === '' ? null : data }),
    async toInternal(data) {
      const p = parsePk(data, opts.max);
      if (!p.ok) throw new FieldError([p.message]);
      if (p.id === null || !(await opts.exists(p.id))) throw new FieldError([MSG.pkMissing(p.shown)]);
      return p.id as NullableOf<O, number>;
    },
  });
}

export interface PkListOptions extends BaseOptions {
  /** The ids among `ids` that exist (one query for the whole list). */
  existing: (ids: number[]) => Promise<Set<number>>;
  allowEmpty?: boolean;
}

/**
 * PrimaryKeyRelatedField(many=True) = ManyRelatedField: a list (a dict gives its keys, as Python
 * iterates it), then each item in order; the first failing item is the field's only error.
 */
export function pkList<const O extends PkListOptions>(opts: O): Field<number[], RequiredOf<O>> {
  const rules = { required: opts.required ?? true, allowNull: opts.allowNull ?? false, defaultEmptyHtml: [] };
  return {
    kind: 'ManyRelatedField',
    required: rules.required as RequiredOf<O>,
    schema: orNull(
      {
        type: 'array',
        items: { type: 'integer', minimum: 1, description: 'the id of an existing row' },
        ...(opts.allowEmpty === false ? { minItems: 1 } : {}),
        description: 'in a form: the key repeated',
      },
      opts.allowNull,
    ),
    getValue(input, name, partial) {
      // ManyRelatedField.get_value: a form's list of values for the key (none: [] unless partial).
      if (!input.html) return getValue(input, name, partial, rules);
      if (!input.has(name)) return partial ? SKIP : [];
      return input.getlist(name);
    },
    async run(data, partial) {
      const [done, v] = validateEmptyValues(data, partial, rules);
      if (done) return v as number[] | typeof SKIP;
      let items: unknown[];
      if (Array.isArray(v)) items = v;
      else if (v && typeof v === 'object' && !isFile(v)) items = Object.keys(v);
      else throw new FieldError([MSG.notAList(isFile(v) ? 'InMemoryUploadedFile' : pythonTypeName(v))]);
      if (opts.allowEmpty === false && items.length === 0) throw new FieldError([MSG.emptyList]);
      const parsed = items.map((item) => parsePk(item));
      const ids = parsed.flatMap((p) => (p.ok && p.id !== null ? [p.id] : []));
      const found = await opts.existing([...new Set(ids)]);
      const out: number[] = [];
      for (const p of parsed) {
        if (!p.ok) throw new FieldError([p.message]);
        if (p.id === null || !found.has(p.id)) throw new FieldError([MSG.pkMissing(p.shown)]);
        out.push(p.id);
      }
      return out;
    },
  };
}

export interface SlugOptions<T> extends BaseOptions {
  slugField: string;
  lookup: (value: string) => Promise<T | null>;
}

/** serializers.SlugRelatedField(slug_field=..., queryset=...): the row found by its slug. */
export function slugRelated<T, const O extends SlugOptions<T>>(opts: O & SlugOptions<T>): Field<NullableOf<O, T>, RequiredOf<O>> {
  return makeField<NullableOf<O, T>, RequiredOf<O>>({
    kind: 'SlugRelatedField',
    rules: { required: opts.required ?? true, allowNull: opts.allowNull ?? false },
    schema: { type: 'string', description: `the ${opts.slugField} of an existing row` },
    before: (data) => ({ done: false, data: data === '' ? null : data }),
    async toInternal(data) {
      if (typeof data === 'object' || isFile(data)) throw new FieldError(['Invalid value.']);
      const value = pyStr(data);
      // A NUL cannot reach Postgres; no row can hold one anyway.
      const found = value.includes('\0') ? null : await opts.lookup(value);
      if (!found) throw new FieldError([`Object with ${opts.slugField}=${value} does not exist.`]);
      return found as NullableOf<O, T>;
    },
  });
}
