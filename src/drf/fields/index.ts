// DRF 3.15's fields, one implementation each (see the table in test/drf/fields.test.ts).
export * from './input.ts';
export * from './field.ts';
export * from './char.ts';
export * from './boolean.ts';
export * from './number.ts';
export * from './date.ts';
export * from './choice.ts';
export * from './relations.ts';
export * from './file.ts';
export * from './nested.ts';
