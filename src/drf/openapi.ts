// What a view says about itself for the API documents (src/apidocs/): its query parameters, request
// bodies and every status it answers with the body's JSON Schema. It sits on the view's own declaration
// (`apiView({ …, docs })`), next to the handlers it describes; the shapes come from the serializers'
// fields and from the schemas kept beside the row → JSON functions. The answers every DRF view can give
// (authentication, parse errors, 415, 503) are added by the document builder, as DRF adds them.
import type { JsonSchema } from './fields/field.ts';
import type { Method } from './api.ts';

export type { JsonSchema };

/** One answer of an operation: a JSON body (DRF's renderer), Django's HTML page, or no body. */
export interface ResponseDoc {
  description: string;
  /** application/json body */
  schema?: JsonSchema;
  /** text/html: one of Django's error pages */
  html?: boolean;
}

export interface QueryParamDoc {
  name: string;
  description?: string;
  required?: boolean;
  schema: JsonSchema;
}

/** A request body: JSON (DRF's JSONParser) and, where the view reads form data, multipart / urlencoded. */
export interface BodyDoc {
  schema: JsonSchema;
  /** also accepted as multipart/form-data (files) and application/x-www-form-urlencoded */
  form?: boolean;
  /** only multipart/form-data (an upload) */
  multipartOnly?: boolean;
}

export interface OperationDoc {
  summary: string;
  description?: string;
  query?: readonly QueryParamDoc[];
  body?: BodyDoc;
  /** status → answer */
  responses: Record<number, ResponseDoc>;
}

/** A view's documentation: one entry per method it serves. */
export type ViewDocs = Partial<Record<Method, OperationDoc>>;

// ---------------------------------------------------------------------------------------------
// Body shapes of the original's answers

const str = { type: 'string' } as const;

/** An object with exactly these keys, all required (the wire objects always carry every key). */
export function obj(properties: Record<string, JsonSchema>, opts: { optional?: string[]; description?: string } = {}): JsonSchema {
  const optional = new Set(opts.optional ?? []);
  return {
    type: 'object',
    ...(opts.description ? { description: opts.description } : {}),
    properties,
    required: Object.keys(properties).filter((k) => !optional.has(k)),
    additionalProperties: false,
  };
}

export const arrayOf = (items: JsonSchema, description?: string): JsonSchema => ({ type: 'array', items, ...(description ? { description } : {}) });
export const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });
export const oneOfTexts = (texts: readonly string[]): JsonSchema => (texts.length === 1 ? { const: texts[0] } : { enum: [...texts] });

/** `{"<key>": "<text>"}` — the texts a view answers with under that key (any string when none given). */
function keyed(key: string, texts: readonly string[]): JsonSchema {
  return obj({ [key]: texts.length ? oneOfTexts(texts) : str });
}

/** `{"detail": …}` (DRF's exceptions and the views' own). */
export const detailBody = (...texts: string[]) => keyed('detail', texts);
/** `{"error": …}` */
export const errorBody = (...texts: string[]) => keyed('error', texts);
/** `{"message": …}` */
export const messageBody = (...texts: string[]) => keyed('message', texts);

/** One answer. */
export const json = (description: string, schema: JsonSchema): ResponseDoc => ({ description, schema });
export const djangoHtml = (description: string): ResponseDoc => ({ description, html: true });

const messages = arrayOf(str);

/** A field's error value: a list of texts, or for a nested serializer its own error dict. */
function fieldError(schema: JsonSchema | undefined): JsonSchema {
  if (schema?.type === 'object' && schema.properties) {
    return { anyOf: [messages, validationErrors(schema.properties as Record<string, JsonSchema>)] };
  }
  if (schema?.type === 'array' && (schema.items as JsonSchema | undefined)?.type === 'object') {
    return { anyOf: [messages, { type: 'array', items: { type: 'object' } }] };
  }
  return messages;
}

function validationErrors(properties: Record<string, JsonSchema>, extra: readonly string[] = []): JsonSchema {
  const keys = [...Object.keys(properties), ...extra, 'non_field_errors'];
  return {
    type: 'object',
    description: "DRF's validation errors: each failing field's messages under its name (non_field_errors: the serializer's own)",
    properties: Object.fromEntries(keys.map((k) => [k, fieldError(properties[k])])),
    additionalProperties: false,
    minProperties: 1,
  };
}

/** DRF's 400 body for a serializer's input schema (`serializer.schema`): `{"<field>": ["…"], "non_field_errors": ["…"]}`. */
export function fieldErrorsBody(input: JsonSchema, extraKeys: readonly string[] = []): JsonSchema {
  return validationErrors((input.properties ?? {}) as Record<string, JsonSchema>, extraKeys);
}

/** A request body: a serializer's input schema. */
export function bodyOf(schema: JsonSchema, opts: { form?: boolean; multipartOnly?: boolean } = {}): BodyDoc {
  return { schema, ...opts };
}

/** Scalar shapes the wire objects are made of. */
export const T = {
  str: { type: 'string' },
  strOrNull: { type: ['string', 'null'] },
  int: { type: 'integer' },
  id: { type: 'integer', minimum: 1 },
  bool: { type: 'boolean' },
  /** a DRF DateTimeField: local time (Asia/Kolkata, +05:30) isoformat */
  dateTime: { type: 'string', description: 'isoformat, local time (+05:30)' },
  /** a media URL (Cloudinary or local), null when none */
  urlOrNull: { type: ['string', 'null'], description: 'the media URL' },
} as const satisfies Record<string, JsonSchema>;

/** The schema of a serializer a view builds per request. Its validators close over the request's database
 * handle (and user), but describing the fields runs none of them, so the factory is called without any. */
export function inputSchemaOf<Args extends unknown[]>(factory: (...args: Args) => { schema: JsonSchema }): JsonSchema {
  return factory(...([] as unknown[] as Args)).schema;
}

/** The 503 of a view that sends mail and could not. */
export const MAIL_FAILED = json(
  'The email could not be sent; nothing was changed',
  errorBody('The email could not be sent. Nothing was changed; please try again later.'),
);
/** The 502 of a view that stores a file and could not. */
export const STORAGE_FAILED = json('The file could not be stored', detailBody('The file could not be stored. Try again later.'));

/** A partial update's body: the same fields, none required. */
export function partialBody(schema: JsonSchema): JsonSchema {
  const { required: _required, ...rest } = schema;
  return rest;
}

/** One of several bodies under one status. */
export const anyOf = (...schemas: JsonSchema[]): JsonSchema => ({ anyOf: schemas });
