// ChoiceField (DRF 3.15): str(data) looked up among the choices; the error shows str(data) in quotes,
// so a list reads as Python prints it (`"['a']" is not a valid choice.`) and a file as its name.
import { pyStr } from '../../python/builtins.ts';
import { makeField, type BaseOptions, type Field, type NullableOf, type RequiredOf } from './field.ts';
import { FieldError, isFile } from './input.ts';

export interface ChoiceOptions<C extends string> extends BaseOptions {
  choices: readonly C[];
  allowBlank?: boolean;
}

const invalidChoice = (shown: string) => `"${shown}" is not a valid choice.`;

/** serializers.ChoiceField(choices, **opts) */
export function choice<C extends string, const O extends ChoiceOptions<C>>(
  opts: O & { choices: readonly C[] },
): Field<NullableOf<O, C>, RequiredOf<O>> {
  const allowBlank = opts.allowBlank ?? false;
  return makeField<NullableOf<O, C>, RequiredOf<O>>({
    kind: 'ChoiceField',
    rules: { required: opts.required ?? true, allowNull: opts.allowNull ?? false, allowBlank },
    toInternal(data) {
      if (data === '' && allowBlank) return '' as NullableOf<O, C>;
      const key = isFile(data) ? data.originalname : pyStr(data);
      if (!(opts.choices as readonly string[]).includes(key)) throw new FieldError([invalidChoice(key)]);
      return key as NullableOf<O, C>;
    },
  });
}
