// The shape every DRF field here has: get_value() then run_validation(), as Serializer.to_internal_value
// calls them. A field is a plain object built by a factory (char(), integer(), …) from DRF's keyword
// arguments; `required` is also carried in the type so a serializer's data type knows what is present.
import { FieldError, getValue, validateEmptyValues, SKIP, type EmptyRules, type Maybe, type SerializerInput } from './input.ts';

export interface Field<T, R extends boolean = boolean> {
  /** DRF's class name, for documentation and the field table test. */
  readonly kind: string;
  readonly required: R;
  /** The JSON Schema of the values it accepts (for the API documents, src/apidocs/). */
  readonly schema?: JsonSchema;
  /** Field.get_value(dictionary) */
  getValue(input: SerializerInput, name: string, partial: boolean): unknown;
  /** Field.run_validation(data): the internal value or SKIP; throws FieldError / NestedError. */
  run(data: unknown, partial: boolean): Promise<Maybe<T>>;
}

/** The keyword arguments every field takes. */
export interface BaseOptions {
  /** Field(required=...): true unless the model field has a default / blank=True. */
  required?: boolean;
  allowNull?: boolean;
}

/** A JSON Schema (2020-12, as OpenAPI 3.1 and AsyncAPI 3 take it) fragment. */
export type JsonSchema = { [key: string]: unknown };

/** `schema` or null, when the field allows null (OpenAPI 3.1: JSON Schema's own null type). */
export function orNull(schema: JsonSchema, allowNull: boolean | undefined): JsonSchema {
  return allowNull ? { anyOf: [schema, { type: 'null' }] } : schema;
}

export type RequiredOf<O> = O extends { required: false } ? false : true;
export type NullableOf<O, T> = O extends { allowNull: true } ? T | null : T;

/** A validator run on the internal value: a message, or null when valid (DRF collects them all). */
export type Validator<T> = (value: T) => string | null | Promise<string | null>;

/** Runs a field on one input: get_value then run_validation. */
export async function runField<T>(field: Field<T>, input: SerializerInput, name: string, partial = false): Promise<Maybe<T>> {
  return field.run(field.getValue(input, name, partial), partial);
}

/**
 * Builds a field from its DRF parts: the empty-value rules, an optional run_validation override for
 * values that skip to_internal_value (CharField's blank check), to_internal_value, and the validators.
 */
export function makeField<T, R extends boolean>(spec: {
  kind: string;
  rules: EmptyRules;
  /** What it accepts, for the API documents (null is added from `rules.allowNull`). */
  schema?: JsonSchema;
  /** Checked before validate_empty_values (CharField.run_validation, RelatedField's '' → None). */
  before?: (data: unknown) => { done: true; value: unknown } | { done: false; data: unknown };
  toInternal: (data: unknown) => T | Promise<T>;
  validators?: (value: T) => Promise<string[]>;
}): Field<T, R> {
  const { rules } = spec;
  return {
    kind: spec.kind,
    required: rules.required as R,
    ...(spec.schema ? { schema: orNull(spec.schema, rules.allowNull) } : {}),
    getValue: (input, name, partial) => getValue(input, name, partial, rules),
    async run(data, partial) {
      if (spec.before) {
        const b = spec.before(data);
        if (b.done) return b.value as Maybe<T>;
        data = b.data;
      }
      const [done, v] = validateEmptyValues(data, partial, rules);
      if (done) return v as Maybe<T>;
      const value = await spec.toInternal(v);
      if (spec.validators) {
        const messages = await spec.validators(value);
        if (messages.length) throw new FieldError(messages);
      }
      return value;
    },
  };
}

/** Runs validators in order, collecting every message (Field.run_validators). */
export async function runValidators<T>(value: T, validators: ReadonlyArray<Validator<T>>): Promise<string[]> {
  const out: string[] = [];
  for (const v of validators) {
    const m = await v(value);
    if (m) out.push(m);
  }
  return out;
}

/**
 * Serializer.validate_<field>(value): a check on the field's internal value after its own validation
 * (not called when the field is absent or null); its message becomes the field's error.
 */
export function refine<T, R extends boolean>(field: Field<T, R>, check: (value: T) => string | null | Promise<string | null>): Field<T, R> {
  return {
    ...field,
    async run(data, partial) {
      const value = await field.run(data, partial);
      if (value === SKIP || value === null) return value;
      const message = await check(value);
      if (message) throw new FieldError([message]);
      return value;
    },
  };
}
