// BooleanField (DRF 3.15): TRUE_VALUES / FALSE_VALUES (a form without the key reads as False), and
// NULL_VALUES when allow_null.
import { makeField, type BaseOptions, type Field, type NullableOf, type RequiredOf } from './field.ts';
import { FieldError, MSG } from './input.ts';

const TRUE_VALUES = new Set<unknown>(['t', 'T', 'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON', '1', 1, true]);
const FALSE_VALUES = new Set<unknown>(['f', 'F', 'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF', '0', 0, false]);
const NULL_VALUES = new Set<unknown>(['null', 'Null', 'NULL', '']);

/** serializers.BooleanField(**opts); a model BooleanField with a default is `required: false`. */
export function boolean<const O extends BaseOptions>(opts: O = {} as O): Field<NullableOf<O, boolean>, RequiredOf<O>> {
  const allowNull = opts.allowNull ?? false;
  return makeField<NullableOf<O, boolean>, RequiredOf<O>>({
    kind: 'BooleanField',
    rules: { required: opts.required ?? true, allowNull, defaultEmptyHtml: false },
    schema: { type: 'boolean', description: "JSON true/false; in forms 'true'/'false', '1'/'0', 'yes'/'no', 'on'/'off'" },
    toInternal(data) {
      if (TRUE_VALUES.has(data)) return true;
      if (FALSE_VALUES.has(data)) return false;
      if (allowNull && NULL_VALUES.has(data)) return null as NullableOf<O, boolean>;
      throw new FieldError([MSG.boolean]);
    },
  });
}
