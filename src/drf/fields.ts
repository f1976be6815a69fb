// The former field helpers' entry points, kept only for src/notification/routes.ts until that file is
// moved (it is being restructured separately); everything else uses src/drf/fields/ and
// src/drf/serializer.ts. Delete this file once nothing imports it.
import { char, type CharOptions } from './fields/char.ts';
import { runField } from './fields/field.ts';
import { FieldError, getValue, NestedError, SKIP, type EmptyRules, type Errors, type Maybe, type SerializerInput } from './fields/input.ts';

export { FieldError, isErrors, MSG, serializerInput, SKIP, type Errors, type SerializerInput } from './fields/input.ts';
export { pyStr } from './python.ts';

/** Field.get_value() under its former name. */
export function primitive(input: SerializerInput, name: string, partial: boolean, rules: EmptyRules): unknown {
  return getValue(input, name, partial, rules);
}

/** CharField with the former call shape; `extra` is one more validator run first. */
export function charField(
  input: SerializerInput,
  name: string,
  partial: boolean,
  opts: CharOptions & { required: boolean; allowNull: boolean; allowBlank: boolean },
  extra?: (value: string) => Promise<string | null>,
): Promise<Maybe<string | null>> {
  return runField(char({ ...opts, validators: extra ? [extra] : [] }), input, name, partial);
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
    if (err instanceof NestedError) {
      (errors as Record<string, unknown>)[name] = err.detail;
      return SKIP;
    }
    throw err;
  }
}
