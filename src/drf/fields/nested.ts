// A serializer used as a field (DRF's nested serializers): one dict, or many=True (ListSerializer) — a
// list whose errors come back as a list with {} for the good items.
import type { Data, Fields, Serializer } from '../serializer.ts';
import { errorDetail } from '../serializer.ts';
import { pythonTypeName } from '../../python/builtins.ts';
import { getValue, isFile, MSG, NestedError, validateEmptyValues, type Maybe } from './input.ts';
import type { Field, RequiredOf } from './field.ts';

export interface NestedOptions {
  required?: boolean;
  allowEmpty?: boolean;
}

/** Serializer(...) as a field: one dict. (Form input gives the key's single value.) */
export function nested<F extends Fields, const O extends NestedOptions>(child: Serializer<F>, opts: O = {} as O): Field<Data<F>, RequiredOf<O>> {
  const rules = { required: opts.required ?? true, allowNull: false };
  return {
    kind: 'Serializer',
    required: rules.required as RequiredOf<O>,
    schema: child.schema,
    getValue: (input, name, partial) => getValue(input, name, partial, rules),
    async run(data, partial): Promise<Maybe<Data<F>>> {
      const [done, v] = validateEmptyValues(data, partial, rules);
      if (done) return v as Maybe<Data<F>>;
      return child.runValue(v, partial);
    },
  };
}

/** Serializer(many=True) as a field: ListSerializer.run_validation on a JSON list of dicts. */
export function many<F extends Fields, const O extends NestedOptions>(child: Serializer<F>, opts: O = {} as O): Field<Data<F>[], RequiredOf<O>> {
  const rules = { required: opts.required ?? true, allowNull: false };
  return {
    kind: 'ListSerializer',
    required: rules.required as RequiredOf<O>,
    schema: { type: 'array', items: child.schema, ...(opts.allowEmpty === false ? { minItems: 1 } : {}) },
    getValue: (input, name, partial) => getValue(input, name, partial, rules),
    async run(data, partial): Promise<Maybe<Data<F>[]>> {
      const [done, v] = validateEmptyValues(data, partial, rules);
      if (done) return v as Maybe<Data<F>[]>;
      if (!Array.isArray(v)) {
        throw new NestedError({ non_field_errors: [MSG.notAList(isFile(v) ? 'InMemoryUploadedFile' : pythonTypeName(v))] });
      }
      if (opts.allowEmpty === false && v.length === 0) throw new NestedError({ non_field_errors: [MSG.emptyList] });
      const out: Data<F>[] = [];
      const errors: unknown[] = [];
      for (const item of v as unknown[]) {
        try {
          out.push(await child.runValue(item, partial));
          errors.push({});
        } catch (err) {
          errors.push(errorDetail(err));
        }
      }
      if (errors.some((e) => (Array.isArray(e) ? e.length > 0 : Object.keys(e as object).length > 0))) throw new NestedError(errors);
      return out;
    },
  };
}
