// A declarative DRF Serializer: fields in declaration order (Serializer.to_internal_value collects every
// field's error under its name, in that order), then `validate` (Serializer.validate: its error goes
// under non_field_errors, or is a dict of its own) only when every field passed. PATCH-style partial
// validation skips absent fields instead of requiring them.
//
//   const taskSerializer = serializer({ title: char({ maxLength: 255 }), … }, { validate(data) { … } });
//   const data = await taskSerializer.validate(input);            // typed; throws DRF's 400 body
import { validationError } from './errors.ts';
import type { Field, JsonSchema } from './fields/field.ts';
import { dictInput, FieldError, MSG, NestedError, SKIP, type ErrorBody, type SerializerInput } from './fields/input.ts';
import { pythonTypeName } from '../python/builtins.ts';

export type Fields = Record<string, Field<unknown, boolean>>;
type Out<F> = F extends Field<infer T, boolean> ? T : never;
type RequiredKeys<F extends Fields> = { [K in keyof F]: F[K] extends Field<unknown, true> ? K : never }[keyof F];
type OptionalKeys<F extends Fields> = Exclude<keyof F, RequiredKeys<F>>;

/** The validated data: required fields present, the others present when given. */
export type Data<F extends Fields> = { [K in RequiredKeys<F>]: Out<F[K]> } & { [K in OptionalKeys<F>]?: Out<F[K]> };

export type RunResult<D> = { ok: true; data: D } | { ok: false; errors: ErrorBody };

export interface SerializerOptions<F extends Fields> {
  /**
   * Serializer.validate(attrs): throw FieldError(messages) for {"non_field_errors": messages}, or
   * NestedError(dict) for a body of its own. Not called when a field failed.
   */
  validate?: (data: Data<F>, context: { partial: boolean }) => void | Promise<void>;
}

export interface Serializer<F extends Fields> {
  readonly fields: F;
  /** The JSON Schema of the input it accepts (the API documents): its fields, the required ones listed. */
  readonly schema: JsonSchema;
  /** serializer.is_valid() on request.data: the data, or DRF's error body. */
  run(input: SerializerInput, opts?: { partial?: false }): Promise<RunResult<Data<F>>>;
  run(input: SerializerInput, opts: { partial: true }): Promise<RunResult<Partial<Data<F>>>>;
  run(input: SerializerInput, opts?: { partial?: boolean }): Promise<RunResult<Partial<Data<F>>>>;
  /** serializer.is_valid(raise_exception=True); serializer.validated_data */
  validate(input: SerializerInput, opts?: { partial?: false }): Promise<Data<F>>;
  validate(input: SerializerInput, opts: { partial: true }): Promise<Partial<Data<F>>>;
  validate(input: SerializerInput, opts?: { partial?: boolean }): Promise<Partial<Data<F>>>;
  /** Serializer.run_validation(data) as a nested serializer runs it on one value (a dict or not). */
  runValue(data: unknown, partial: boolean): Promise<Data<F>>;
}

/** A field's error detail from what it raised, or the error itself when it is not a validation error. */
export function errorDetail(err: unknown): unknown {
  if (err instanceof FieldError) return err.messages;
  if (err instanceof NestedError) return err.detail;
  throw err;
}

async function toInternalValue<F extends Fields>(fields: F, input: SerializerInput, partial: boolean): Promise<RunResult<Record<string, unknown>>> {
  const data: Record<string, unknown> = {};
  const errors: ErrorBody = {};
  for (const [name, field] of Object.entries(fields)) {
    try {
      const value = await field.run(field.getValue(input, name, partial), partial);
      if (value !== SKIP) data[name] = value;
    } catch (err) {
      errors[name] = errorDetail(err);
    }
  }
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, data };
}

/** An object schema of serializer fields (unknown keys are ignored, as DRF does). */
export function fieldsSchema(fields: Fields): JsonSchema {
  const required = Object.entries(fields)
    .filter(([, f]) => f.required)
    .map(([n]) => n);
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(fields).map(([n, f]) => [n, f.schema ?? {}])),
    ...(required.length ? { required } : {}),
  };
}

export function serializer<const F extends Fields>(fields: F, options: SerializerOptions<F> = {}): Serializer<F> {
  async function run(input: SerializerInput, opts: { partial?: boolean } = {}): Promise<RunResult<Partial<Data<F>>>> {
    const partial = opts.partial ?? false;
    const result = await toInternalValue(fields, input, partial);
    if (!result.ok) return result;
    const data = result.data as Data<F>;
    if (options.validate) {
      try {
        await options.validate(data, { partial });
      } catch (err) {
        if (err instanceof FieldError) return { ok: false, errors: { non_field_errors: err.messages } };
        if (err instanceof NestedError) {
          const d = err.detail;
          return { ok: false, errors: d && typeof d === 'object' && !Array.isArray(d) ? (d as ErrorBody) : { non_field_errors: d } };
        }
        throw err;
      }
    }
    return { ok: true, data };
  }
  const self = {
    fields,
    schema: fieldsSchema(fields),
    run,
    async validate(input: SerializerInput, opts: { partial?: boolean } = {}) {
      const result = await run(input, opts);
      if (!result.ok) throw validationError(result.errors);
      return result.data;
    },
    async runValue(value: unknown, partial: boolean): Promise<Data<F>> {
      if (value === null) throw new FieldError([MSG.null]);
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        throw new NestedError({ non_field_errors: [MSG.notADict(pythonTypeName(value))] });
      }
      const result = await run(dictInput(value as Record<string, unknown>), { partial });
      if (!result.ok) throw new NestedError(result.errors);
      return result.data as Data<F>;
    },
  };
  return self as Serializer<F>;
}
