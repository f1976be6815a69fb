// Each DRF field against cases taken from DRF 3.15 / Django 5.1's behaviour: the input (JSON, or a form
// where marked) → the internal value, or the exact list of messages DRF answers. Then the declarative
// serializer's order and required/null/blank/partial rules, and a cost bound on crafted input.
//
// Which views use each field:
//   CharField               chat (room name/description, upload content), task (title, description, group
//                           name), user (register names, profile texts, student names/number/otp/password),
//                           event (title, description, guidelines, venue), announcement (message),
//                           notification (device token)
//   EmailField              user (register, student register/verify-email/login)
//   URLField                task (info_url), user (profile linkedin_url, github_url)
//   DateField               task (start_date, end_date), user (profile dob)
//   DateTimeField           event (registration dates, event_date)
//   DecimalField            event (amount)
//   IntegerField            task (current_progress)
//   FloatField              attendance (check-in/out coordinates)
//   ChoiceField             user (year, branch, gender), event (status), announcement (related_to)
//   BooleanField            chat (is_active), user (hosteller), event (is_registrations_open, payment_required)
//   PrimaryKeyRelatedField  chat (upload parent_message); many=True: chat (members), task (group members)
//   SlugRelatedField        user (profile domain)
//   FileField / ImageField  chat (attachment, room_avatar), task (attachment), user (photo), event (poster)
//   nested many=True        task (groups)
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { UploadedFile } from '../../src/drf/api.ts';
import {
  boolean,
  char,
  choice,
  date,
  datetime,
  decimal,
  dictInput,
  djangoMinLength,
  email,
  file,
  float,
  image,
  INT4_RANGE,
  integer,
  many,
  nested,
  NestedError,
  FieldError,
  pk,
  pkList,
  runField,
  serializerInput,
  slugRelated,
  SKIP,
  url,
  type Field,
  type SerializerInput,
} from '../../src/drf/fields/index.ts';
import { serializer } from '../../src/drf/serializer.ts';
import { isValidEmail } from '../../src/drf/validators/email.ts';
import { isValidUrl } from '../../src/drf/validators/url.ts';
import { ApiError } from '../../src/drf/errors.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const PNG = fs.readFileSync(path.join(ROOT, 'fixtures/golden/files/tiny.png'));

/** The key is absent from the input. */
const ABSENT = Symbol('absent');

interface Case {
  in: unknown;
  /** The internal value (SKIP: not in validated_data). */
  out?: unknown;
  /** The field's error detail. */
  err?: unknown;
  /** Form (QueryDict) input: `in` is the text of the part, or ABSENT. */
  html?: boolean;
  partial?: boolean;
}

const upload = (buffer: Buffer, name = 'f.png'): UploadedFile => ({
  fieldname: 'f',
  originalname: name,
  mimetype: 'image/png',
  size: buffer.length,
  buffer,
});
const PNG_FILE = upload(PNG);

function inputFor(c: Case): SerializerInput {
  if (c.html) {
    const value: Record<string, string> = {};
    const files = new Map<string, UploadedFile>();
    if (c.in !== ABSENT) {
      if (typeof c.in === 'string') value.f = c.in;
      else files.set('f', c.in as UploadedFile);
    }
    return serializerInput({ mediaType: 'form', value, files }) as SerializerInput;
  }
  return dictInput(c.in === ABSENT ? {} : { f: c.in });
}

async function outcome(field: Field<unknown>, c: Case): Promise<{ out: unknown } | { err: unknown }> {
  try {
    return { out: await runField(field, inputFor(c), 'f', c.partial ?? false) };
  } catch (e) {
    if (e instanceof FieldError) return { err: e.messages };
    if (e instanceof NestedError) return { err: e.detail };
    throw e;
  }
}

const REQUIRED = ['This field is required.'];
const NULL = ['This field may not be null.'];
const BLANK = ['This field may not be blank.'];
const NOT_STRING = ['Not a valid string.'];
const BAD_URL = ['Enter a valid URL.'];
const BAD_EMAIL = ['Enter a valid email address.'];
const BAD_DATE = ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'];
const BAD_DATETIME = ['Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].'];
const BAD_INT = ['A valid integer is required.'];
const BAD_NUMBER = ['A valid number is required.'];
const BAD_BOOL = ['Must be a valid boolean.'];
const TOO_LARGE = ['String value too large.'];

const urlOk = (u: string): Case => ({ in: u, out: u });
const urlBad = (u: string): Case => ({ in: u, err: BAD_URL });
const emailOk = (e: string): Case => ({ in: e, out: e });
const emailBad = (e: string): Case => ({ in: e, err: BAD_EMAIL });
// 64 + 1 + 3 × 64 + 63 = 320 characters: the longest address Django accepts.
const EMAIL_320 = 'a'.repeat(64) + '@' + ('b'.repeat(63) + '.').repeat(3) + 'b'.repeat(63);

const exists = async (id: number) => id === 1 || id === 2;
const existing = async (ids: number[]) => new Set(ids.filter((id) => id === 1 || id === 2));
const domains = async (name: string) => (name === 'Android' ? { id: 4, name } : null);

const TABLE: Array<{ name: string; field: Field<unknown>; cases: Case[] }> = [
  {
    name: 'CharField(max_length=5)',
    field: char({ maxLength: 5 }),
    cases: [
      { in: 'abc', out: 'abc' },
      { in: '  abc \n', out: 'abc' },
      { in: '😀😀😀😀😀', out: '😀😀😀😀😀' },
      { in: 12, out: '12' },
      { in: 1.5, out: '1.5' },
      { in: true, err: NOT_STRING },
      { in: [1], err: NOT_STRING },
      { in: { a: 1 }, err: NOT_STRING },
      { in: '', err: BLANK },
      { in: ' \u3000\x1c', err: BLANK },
      { in: null, err: NULL },
      { in: ABSENT, err: REQUIRED },
      { in: ABSENT, partial: true, out: SKIP },
      { in: 'abcdef', err: ['Ensure this field has no more than 5 characters.'] },
      { in: 'a\0b', err: ['Null characters are not allowed.'] },
      { in: 'a\ud800', err: ['Surrogate characters are not allowed: U+D800.'] },
      { in: 'abcde\0', err: ['Ensure this field has no more than 5 characters.', 'Null characters are not allowed.'] },
      { in: '\ufeffx', out: '\ufeffx' },
      { in: '', html: true, err: BLANK },
      { in: ABSENT, html: true, err: REQUIRED },
      { in: PNG_FILE, html: true, err: NOT_STRING },
    ],
  },
  {
    name: 'CharField(required=False, allow_null=True, allow_blank=True)',
    field: char({ required: false, allowNull: true, allowBlank: true }),
    cases: [
      { in: '', out: '' },
      { in: '   ', out: '' },
      { in: null, out: null },
      { in: ABSENT, out: SKIP },
      { in: '', html: true, out: '' },
    ],
  },
  {
    name: 'CharField(required=False, allow_null=True)',
    field: char({ required: false, allowNull: true }),
    cases: [
      { in: '', err: BLANK },
      { in: '', html: true, out: null },
    ],
  },
  {
    name: 'CharField(min_length=3) and a model MinLengthValidator(8)',
    field: char({ minLength: 3, validators: [djangoMinLength(8)] }),
    cases: [
      { in: 'ab', err: ['Ensure this value has at least 8 characters (it has 2).', 'Ensure this field has at least 3 characters.'] },
      { in: 'abcdefgh', out: 'abcdefgh' },
      // A value Postgres cannot hold skips the field's own validators (they may query the database).
      { in: 'ab\0', err: ['Null characters are not allowed.'] },
    ],
  },
  {
    name: 'EmailField()',
    field: email(),
    cases: [
      emailOk('user@example.com'),
      { in: ' user@example.com ', out: 'user@example.com' },
      emailOk('first.last+tag@sub.example.co.in'),
      emailOk('"a"@example.com'),
      emailOk('"a\\ b"@example.com'),
      emailBad('"a b"@example.com'),
      emailOk('user@[127.0.0.1]'),
      emailOk('user@[::1]'),
      emailBad('user@[IPv6:::1]'),
      emailBad('user@[01.2.3.4]'),
      emailBad('user@[1::2::3]'),
      emailOk('user@localhost'),
      emailOk('user@müller.de'),
      emailOk('user@пример.рф'),
      emailOk('user@例え.テスト'),
      emailOk('user@xn--e1afmkfd.xn--p1ai'),
      emailOk('user@ıexample.com'),
      emailBad('a@b.c'),
      emailBad('a@example'),
      emailBad('a..b@example.com'),
      emailBad('.a@example.com'),
      emailBad('a@-example.com'),
      emailBad('a@example.co-'),
      emailBad('@example.com'),
      emailBad('a@'),
      emailBad('user name@example.com'),
      emailOk(EMAIL_320),
      emailBad('a' + EMAIL_320),
      emailBad('user@x.' + 'a'.repeat(64)),
      { in: 'user@example.com\0', err: ['Null characters are not allowed.', 'Enter a valid email address.'] },
      { in: '', err: BLANK },
    ],
  },
  {
    name: 'URLField(max_length=200, allow_blank=True, allow_null=True, required=False)',
    field: url({ maxLength: 200, allowBlank: true, allowNull: true, required: false }),
    cases: [
      urlOk('http://example.com:99999'),
      urlBad('http://1.2.3'),
      urlBad('http://[1::2::3]/'),
      urlBad('http://0x7f.1'),
      urlBad('http://a_b.com'),
      urlBad('http://-a.com'),
      urlBad('ftp://a.b'),
      urlOk('https://www.linkedin.com/in/someone'),
      urlOk('https://github.com/someone'),
      urlOk('http://localhost:8000/x?y=1#z'),
      urlOk('ftp://10.0.0.1/f'),
      urlOk('https://müller.de/ä'),
      urlOk('http://пример.рф'),
      urlOk('http://[::1]/'),
      urlOk('http://[::ffff:1.2.3.4]:80/'),
      urlBad('http://[::1]:123456'),
      urlBad('http://[12345::]/'),
      urlOk('http://example.com:8'),
      urlOk('HTTPS://EXAMPLE.COM'),
      urlOk('https://a.b.co.'),
      urlOk('http://user:pass@example.com/'),
      urlBad('http://[x]@example.com'),
      urlBad('http://010.0.0.1'),
      urlOk('http://255.255.255.255'),
      urlBad('http://256.0.0.1'),
      urlBad('http://example..com'),
      urlBad('http://a\uff0fb.com'),
      urlBad('example.com'),
      urlBad('mailto:a@b.c'),
      urlBad('javascript://x'),
      urlBad('https://exa mple.com'),
      urlBad('https://a.c'),
      urlOk('http://' + 'a'.repeat(63) + '.com'),
      urlBad('http://' + 'a'.repeat(64) + '.com'),
      { in: 'http://example.com/' + 'x'.repeat(190), err: ['Ensure this field has no more than 200 characters.'] },
      {
        in: 'http://' + 'a'.repeat(64) + '.com/' + 'x'.repeat(200),
        err: ['Ensure this field has no more than 200 characters.', 'Enter a valid URL.'],
      },
      { in: '', out: '' },
      { in: null, out: null },
      { in: ABSENT, out: SKIP },
      { in: 5, err: BAD_URL },
      { in: false, err: NOT_STRING },
    ],
  },
  {
    name: 'DateField()',
    field: date(),
    cases: [
      { in: '2024-02-29', out: '2024-02-29' },
      { in: '2024-02-30', err: BAD_DATE },
      { in: '2023-02-29', err: BAD_DATE },
      { in: '20240105', out: '2024-01-05' },
      { in: '2024010599', out: '2024-01-05' },
      { in: '2024-1-5', out: '2024-01-05' },
      { in: '2024-1-5\n', out: '2024-01-05' },
      { in: '2021-W01-1', out: '2021-01-04' },
      { in: '2020W537', out: '2021-01-03' },
      { in: '٢٠٢٤-01-05', out: '2024-01-05' },
      { in: '0000-01-01', err: BAD_DATE },
      { in: '2024-0105', err: BAD_DATE },
      { in: '2024-01-05T00:00', err: BAD_DATE },
      { in: ' 2024-01-05', err: BAD_DATE },
      { in: '05/01/2024', err: BAD_DATE },
      { in: 20240105, err: BAD_DATE },
      { in: '', err: BAD_DATE },
      { in: null, err: NULL },
      { in: ABSENT, err: REQUIRED },
    ],
  },
  {
    name: 'DateField(required=False, allow_null=True)',
    field: date({ required: false, allowNull: true }),
    cases: [
      { in: '', html: true, out: null },
      { in: ABSENT, html: true, out: SKIP },
      { in: null, out: null },
    ],
  },
  {
    name: 'DateTimeField() with TIME_ZONE Asia/Kolkata',
    field: datetime(),
    cases: [
      { in: '2025-04-20T00:00:00+05:30', out: '2025-04-19 18:30:00.000000+00' },
      { in: '2025-04-20T10:00:00Z', out: '2025-04-20 10:00:00.000000+00' },
      { in: '2025-04-20 10:00', out: '2025-04-20 04:30:00.000000+00' },
      { in: '2025-04-20', out: '2025-04-19 18:30:00.000000+00' },
      { in: '2025-02-30T10:00', err: BAD_DATETIME },
      { in: 'tomorrow', err: BAD_DATETIME },
      { in: 5, err: BAD_DATETIME },
    ],
  },
  {
    name: 'DecimalField(max_digits=5, decimal_places=2)',
    field: decimal({ maxDigits: 5, decimalPlaces: 2 }),
    cases: [
      { in: '1.5', out: '1.50' },
      { in: ' 123.45 ', out: '123.45' },
      { in: 12.25, out: '12.25' },
      { in: '1e2', out: '100.00' },
      { in: '1_0', out: '10.00' },
      { in: '-0.5', out: '-0.50' },
      { in: '1234', err: ['Ensure that there are no more than 3 digits before the decimal point.'] },
      { in: '1.234', err: ['Ensure that there are no more than 2 decimal places.'] },
      { in: '123456', err: ['Ensure that there are no more than 5 digits in total.'] },
      { in: 0.001, err: ['Ensure that there are no more than 2 decimal places.'] },
      { in: 'NaN', err: BAD_NUMBER },
      { in: 'Infinity', err: BAD_NUMBER },
      { in: 'abc', err: BAD_NUMBER },
      { in: true, err: BAD_NUMBER },
      { in: [1], err: BAD_NUMBER },
      { in: '', err: BAD_NUMBER },
      { in: '1'.repeat(1001), err: TOO_LARGE },
      { in: null, err: NULL },
    ],
  },
  {
    name: 'DecimalField(max_digits=10, decimal_places=2, allow_null=True, required=False)',
    field: decimal({ maxDigits: 10, decimalPlaces: 2, allowNull: true, required: false }),
    cases: [
      { in: '', out: null },
      { in: ' ', out: null },
      { in: '', html: true, out: null },
      { in: ABSENT, out: SKIP },
    ],
  },
  {
    name: 'IntegerField(min_value=-2147483648, max_value=2147483647)',
    field: integer(INT4_RANGE),
    cases: [
      { in: 7, out: 7 },
      { in: ' 7 ', out: 7 },
      { in: '1.0', out: 1 },
      { in: '1.', out: 1 },
      { in: '1.00 ', out: 1 },
      { in: '1.0\n', out: 1 },
      { in: '1_000', out: 1000 },
      { in: '١٢', out: 12 },
      { in: '-5', out: -5 },
      { in: '1.5', err: BAD_INT },
      { in: '.0', err: BAD_INT },
      { in: 1.5, err: BAD_INT },
      { in: true, err: BAD_INT },
      { in: [1], err: BAD_INT },
      { in: '1e3', err: BAD_INT },
      { in: '2147483648', err: ['Ensure this value is less than or equal to 2147483647.'] },
      { in: -2147483649, err: ['Ensure this value is greater than or equal to -2147483648.'] },
      { in: '1'.repeat(1001), err: TOO_LARGE },
      { in: null, err: NULL },
    ],
  },
  {
    name: 'FloatField()',
    field: float(),
    cases: [
      { in: '1.5', out: 1.5 },
      { in: ' 2 ', out: 2 },
      { in: '1e3', out: 1000 },
      { in: '1_0.5', out: 10.5 },
      { in: '-inf', out: -Infinity },
      { in: 3, out: 3 },
      { in: true, out: 1 },
      { in: 'abc', err: BAD_NUMBER },
      { in: '1__0', err: BAD_NUMBER },
      { in: [1], err: BAD_NUMBER },
      { in: '1'.repeat(1001), err: TOO_LARGE },
      { in: ABSENT, err: REQUIRED },
    ],
  },
  {
    name: 'BooleanField()',
    field: boolean(),
    cases: [
      ...['t', 'T', 'y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON', '1', 1, true].map((v) => ({ in: v, out: true })),
      ...['f', 'F', 'n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF', '0', 0, false].map((v) => ({ in: v, out: false })),
      { in: 'oN', err: BAD_BOOL },
      { in: 2, err: BAD_BOOL },
      { in: '', err: BAD_BOOL },
      { in: 'null', err: BAD_BOOL },
      { in: [true], err: BAD_BOOL },
      { in: null, err: NULL },
      { in: ABSENT, err: REQUIRED },
      { in: ABSENT, html: true, out: false },
      { in: ABSENT, html: true, partial: true, out: SKIP },
    ],
  },
  {
    name: 'BooleanField(allow_null=True, required=False)',
    field: boolean({ allowNull: true, required: false }),
    cases: [
      { in: 'null', out: null },
      { in: 'NULL', out: null },
      { in: ABSENT, out: SKIP },
    ],
  },
  {
    name: "ChoiceField(choices=['a', 'b'])",
    field: choice({ choices: ['a', 'b'] }),
    cases: [
      { in: 'a', out: 'a' },
      { in: 'x', err: ['"x" is not a valid choice.'] },
      { in: '', err: ['"" is not a valid choice.'] },
      { in: ' a', err: ['" a" is not a valid choice.'] },
      { in: 1, err: ['"1" is not a valid choice.'] },
      { in: 1.5, err: ['"1.5" is not a valid choice.'] },
      { in: true, err: ['"True" is not a valid choice.'] },
      { in: ['a'], err: [`"['a']" is not a valid choice.`] },
      { in: { k: "it's" }, err: [`"{'k': "it's"}" is not a valid choice.`] },
      { in: null, err: NULL },
      { in: ABSENT, err: REQUIRED },
      { in: '', html: true, err: ['"" is not a valid choice.'] },
      { in: PNG_FILE, html: true, err: ['"f.png" is not a valid choice.'] },
    ],
  },
  {
    name: "ChoiceField(choices=['a'], allow_blank=True, required=False)",
    field: choice({ choices: ['a'], allowBlank: true, required: false }),
    cases: [
      { in: '', out: '' },
      { in: '', html: true, out: '' },
      { in: ABSENT, out: SKIP },
    ],
  },
  {
    name: 'PrimaryKeyRelatedField(queryset=rows 1, 2)',
    field: pk({ exists }),
    cases: [
      { in: 1, out: 1 },
      { in: '2', out: 2 },
      { in: ' 2 ', out: 2 },
      { in: 1.7, out: 1 },
      { in: 3, err: ['Invalid pk "3" - object does not exist.'] },
      { in: ' 3', err: ['Invalid pk " 3" - object does not exist.'] },
      { in: '99999999999999999999', err: ['Invalid pk "99999999999999999999" - object does not exist.'] },
      { in: 'x', err: ['Incorrect type. Expected pk value, received str.'] },
      { in: true, err: ['Incorrect type. Expected pk value, received bool.'] },
      { in: [1], err: ['Incorrect type. Expected pk value, received list.'] },
      { in: {}, err: ['Incorrect type. Expected pk value, received dict.'] },
      { in: '', err: NULL },
      { in: null, err: NULL },
      { in: ABSENT, err: REQUIRED },
    ],
  },
  {
    name: 'PrimaryKeyRelatedField(allow_null=True, required=False)',
    field: pk({ exists, allowNull: true, required: false }),
    cases: [
      { in: '', out: null },
      { in: '', html: true, out: null },
      { in: ABSENT, out: SKIP },
    ],
  },
  {
    name: 'PrimaryKeyRelatedField(many=True, queryset=rows 1, 2)',
    field: pkList({ existing }),
    cases: [
      { in: [1, '2'], out: [1, 2] },
      { in: [], out: [] },
      { in: { 1: true }, out: [1] },
      { in: [1, 3, 'x'], err: ['Invalid pk "3" - object does not exist.'] },
      { in: ['x', 3], err: ['Incorrect type. Expected pk value, received str.'] },
      { in: [true], err: ['Incorrect type. Expected pk value, received bool.'] },
      { in: [null], err: ['Invalid pk "None" - object does not exist.'] },
      { in: 'abc', err: ['Expected a list of items but got type "str".'] },
      { in: 5, err: ['Expected a list of items but got type "int".'] },
      { in: null, err: NULL },
      { in: ABSENT, err: REQUIRED },
      { in: ABSENT, html: true, out: [] },
      { in: ABSENT, html: true, partial: true, out: SKIP },
      { in: '1', html: true, out: [1] },
    ],
  },
  {
    name: "SlugRelatedField(slug_field='name')",
    field: slugRelated({ slugField: 'name', lookup: domains }),
    cases: [
      { in: 'Android', out: { id: 4, name: 'Android' } },
      { in: 'iOS', err: ['Object with name=iOS does not exist.'] },
      { in: 5, err: ['Object with name=5 does not exist.'] },
      { in: [1], err: ['Invalid value.'] },
      { in: '', err: NULL },
      { in: ABSENT, err: REQUIRED },
    ],
  },
  {
    name: 'FileField()',
    field: file(),
    cases: [
      { in: PNG_FILE, html: true, out: PNG_FILE },
      { in: upload(Buffer.alloc(0)), html: true, err: ['The submitted file is empty.'] },
      { in: 'text', html: true, err: ['The submitted data was not a file. Check the encoding type on the form.'] },
      { in: '', html: true, err: ['The submitted data was not a file. Check the encoding type on the form.'] },
      { in: ABSENT, html: true, err: ['No file was submitted.'] },
      { in: null, err: NULL },
    ],
  },
  {
    name: 'ImageField(required=False)',
    field: image({ required: false }),
    cases: [
      { in: PNG_FILE, html: true, out: PNG_FILE },
      {
        in: upload(Buffer.from('not an image')),
        html: true,
        err: ['Upload a valid image. The file you uploaded was either not an image or a corrupted image.'],
      },
      { in: '', html: true, out: SKIP },
      { in: ABSENT, html: true, out: SKIP },
    ],
  },
  {
    name: 'GroupSerializer(many=True) as a field',
    field: many(serializer({ name: char({ maxLength: 5 }), members: pkList({ existing }) })),
    cases: [
      { in: [{ name: 'g', members: [1] }], out: [{ name: 'g', members: [1] }] },
      { in: [], out: [] },
      { in: 'x', err: { non_field_errors: ['Expected a list of items but got type "str".'] } },
      { in: { name: 'g' }, err: { non_field_errors: ['Expected a list of items but got type "dict".'] } },
      {
        in: [{ name: 'ok', members: [] }, null, 'x', { name: '', members: [3] }, {}],
        err: [
          {},
          ['This field may not be null.'],
          { non_field_errors: ['Invalid data. Expected a dictionary, but got str.'] },
          { name: ['This field may not be blank.'], members: ['Invalid pk "3" - object does not exist.'] },
          { name: REQUIRED, members: REQUIRED },
        ],
      },
      { in: null, err: NULL },
      { in: ABSENT, err: REQUIRED },
    ],
  },
  {
    name: 'a nested serializer as a field',
    field: nested(serializer({ n: integer() })),
    cases: [
      { in: { n: '1.0' }, out: { n: 1 } },
      { in: { n: 'x' }, err: { n: BAD_INT } },
      { in: 5, err: { non_field_errors: ['Invalid data. Expected a dictionary, but got int.'] } },
    ],
  },
];

describe('DRF fields (src/drf/fields)', () => {
  for (const { name, field, cases } of TABLE) {
    it(name, async () => {
      for (const c of cases) {
        const label = `${c.html ? 'form ' : ''}${c.partial ? 'partial ' : ''}${c.in === ABSENT ? '(absent)' : typeof c.in === 'string' ? JSON.stringify(c.in).slice(0, 80) : String(c.in)}`;
        const got = await outcome(field, c);
        expect(got, label).to.deep.equal('err' in c ? { err: c.err } : { out: c.out });
      }
    });
  }
});

describe('declarative serializer (src/drf/serializer.ts)', () => {
  const s = serializer(
    {
      title: char({ maxLength: 5 }),
      count: integer({ required: false }),
      kind: choice({ choices: ['a', 'b'] }),
      flag: boolean({ required: false }),
    },
    {
      validate(data) {
        if (data.title === 'bad') throw new FieldError(['The title is bad.']);
        if (data.title === 'dict') throw new NestedError({ title: ['Not this one.'] });
      },
    },
  );

  it('reports every field error in declaration order, whatever the input order', async () => {
    const r = await s.run(dictInput({ kind: 'z', count: 'x', title: '' }));
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    expect(JSON.stringify(r.errors)).to.equal(
      '{"title":["This field may not be blank."],"count":["A valid integer is required."],"kind":["\\"z\\" is not a valid choice."]}',
    );
  });

  it('returns typed data; absent optional fields are left out', async () => {
    const data = await s.validate(dictInput({ title: ' t ', kind: 'a' }));
    expect(data).to.deep.equal({ title: 't', kind: 'a' });
    const t: string = data.title;
    expect(t).to.equal('t');
  });

  it('runs validate only once every field is valid; its error is non_field_errors or its own dict', async () => {
    expect(await s.run(dictInput({ title: 'bad' }))).to.deep.equal({ ok: false, errors: { kind: REQUIRED } });
    expect(await s.run(dictInput({ title: 'bad', kind: 'a' }))).to.deep.equal({ ok: false, errors: { non_field_errors: ['The title is bad.'] } });
    expect(await s.run(dictInput({ title: 'dict', kind: 'a' }))).to.deep.equal({ ok: false, errors: { title: ['Not this one.'] } });
  });

  it('partial (PATCH): absent fields are skipped, present ones validated', async () => {
    expect(await s.run(dictInput({}), { partial: true })).to.deep.equal({ ok: true, data: {} });
    expect(await s.run(dictInput({ kind: 'c' }), { partial: true })).to.deep.equal({ ok: false, errors: { kind: ['"c" is not a valid choice.'] } });
    const form = serializerInput({ mediaType: 'form', value: {}, files: new Map() }) as SerializerInput;
    // A form without the key: BooleanField reads False, except in a partial update.
    expect(await s.run(form)).to.deep.equal({ ok: false, errors: { title: REQUIRED, kind: REQUIRED } });
    expect(await s.run(form, { partial: true })).to.deep.equal({ ok: true, data: {} });
  });

  it("validate() throws DRF's 400; a JSON body that is not a dict is non_field_errors", async () => {
    try {
      await s.validate(dictInput({}));
      expect.fail('no error');
    } catch (err) {
      expect(err).to.be.instanceOf(ApiError);
      expect((err as ApiError).status).to.equal(400);
      expect((err as ApiError).body).to.deep.equal({ title: REQUIRED, kind: REQUIRED });
    }
    expect(serializerInput({ mediaType: 'json', value: [1], files: new Map() })).to.deep.equal({
      non_field_errors: ['Invalid data. Expected a dictionary, but got list.'],
    });
  });
});

describe('field cost on crafted input (each must stay linear)', () => {
  const N = 100_000;
  /** CPU time of the fastest of three runs, in ms (the first run also warms the regexes up). CPU time,
   * not wall-clock, so a machine busy with other work does not count: a quadratic validator costs
   * seconds of CPU on these inputs, a linear one a few milliseconds. */
  async function cost(run: () => unknown): Promise<number> {
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t = process.cpuUsage();
      await run();
      const used = process.cpuUsage(t);
      best = Math.min(best, (used.user + used.system) / 1000);
    }
    return best;
  }
  const attacks: Record<string, string[]> = {
    url: [
      'http://' + 'a'.repeat(N),
      'http://' + 'a.'.repeat(N / 2) + '!',
      'http://' + 'a-'.repeat(N / 2),
      'http://' + 'a'.repeat(N) + '@',
      'http://' + ':'.repeat(N),
      'http://[' + ':'.repeat(N) + ']',
      'http://ü' + '.ü'.repeat(N / 2),
      // Under the 2048 bound the regex itself runs: labels of every length, dashes, dots.
      'http://' + ('a'.repeat(61) + '.').repeat(32) + '-',
      'http://' + 'a.'.repeat(1000) + 'a-',
      'http://' + 'a@'.repeat(1000),
      'http://[' + '1:'.repeat(1000) + ']',
      'http://ü' + 'ü.'.repeat(1000) + '!',
    ],
    email: [
      'a'.repeat(N) + '@example.com',
      'a@' + 'a.'.repeat(N / 2),
      '"' + '\\a'.repeat(N / 2),
      'a@' + 'a'.repeat(150) + '.'.repeat(150) + '-',
      'a@' + ('a'.repeat(61) + '.').repeat(4) + '-',
      '"' + '\\"'.repeat(150),
      'a.'.repeat(150) + '@x',
      'ü@' + 'ü.'.repeat(150) + '!',
    ],
    text: [
      'a'.repeat(N),
      ' '.repeat(N),
      '.0'.repeat(N / 2),
      '.' + '0'.repeat(N) + ' '.repeat(N) + 'x',
      '1_'.repeat(N / 2),
      '١'.repeat(N),
      '9'.repeat(N),
    ],
  };
  const fields: Record<string, Array<[string, Field<unknown>]>> = {
    url: [['URLField', url()]],
    email: [['EmailField', email()]],
    text: [
      ['CharField', char({ maxLength: 255 })],
      ['IntegerField', integer()],
      ['FloatField', float()],
      ['DecimalField', decimal({ maxDigits: 10, decimalPlaces: 2 })],
      ['DateField', date()],
      ['DateTimeField', datetime()],
      ['ChoiceField', choice({ choices: ['a'] })],
      ['BooleanField', boolean()],
      ['PrimaryKeyRelatedField', pk({ exists })],
      ['many PrimaryKeyRelatedField', pkList({ existing })],
      ['SlugRelatedField', slugRelated({ slugField: 'name', lookup: domains })],
      ['URLField', url()],
      ['EmailField', email()],
    ],
  };
  for (const [group, list] of Object.entries(fields)) {
    for (const [name, field] of list) {
      it(`${name}: ${group} attacks of up to 100 KB finish in < 50 ms`, async () => {
        for (const s of attacks[group]!) {
          const ms = await cost(() => outcome(field, { in: s }));
          expect(ms, `${name} on ${JSON.stringify(s.slice(0, 40))}… (${s.length} chars)`).to.be.below(50);
        }
      });
    }
  }
  it('the validators alone: 100 KB and at-the-bound inputs in < 50 ms', async () => {
    for (const s of [...attacks.url!, ...attacks.text!]) expect(await cost(() => isValidUrl(s)), s.slice(0, 40)).to.be.below(50);
    for (const s of [...attacks.email!, ...attacks.text!]) expect(await cost(() => isValidEmail(s)), s.slice(0, 40)).to.be.below(50);
  });
});
