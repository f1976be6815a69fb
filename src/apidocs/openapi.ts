// The OpenAPI 3.1 document of the REST API, built from the URL table (src/urls.ts) and what each view
// declares about itself (`apiView({ docs })`, src/drf/openapi.ts): one path per route in resolution
// order, one operation per method the view serves, DRF's common answers added as DRF gives them.
// Examples come from the golden transcripts recorded on the original (fixtures/golden/) when present.
import { flattenPatterns, type UrlPattern } from '../drf/router.ts';
import type { ApiViewFn, Method } from '../drf/api.ts';
import { detailBody, type JsonSchema, type OperationDoc, type ResponseDoc, type ViewDocs } from '../drf/openapi.ts';
import type { GoldenExamples } from './examples.ts';

const METHODS: Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export const OPENAPI_INFO = {
  title: 'csi-chat REST API',
  version: '1.0.0',
  description:
    "The CSI society app's API as the original Django backend serves it, byte for byte. REST failures of " +
    "authentication are 403 (not 401). Every route also answers OPTIONS with DRF's metadata, HEAD like GET, and " +
    'any other method with 405 {"detail": "Method \\"X\\" not allowed."} (after authentication). A path without its ' +
    "trailing slash is redirected (301) to the slashed one; an unknown path gets Django's HTML 404 page. " +
    'The WebSocket API is described by the AsyncAPI document at /api/schema/asyncapi/.',
} as const;

/** Django path converters → OpenAPI path parameters. */
const CONVERTER_SCHEMA: Record<string, JsonSchema> = {
  int: { type: 'integer', minimum: 0 },
  str: { type: 'string', pattern: '^[^/]+$' },
  slug: { type: 'string', pattern: '^[-a-zA-Z0-9_]+$' },
  path: { type: 'string' },
};

/** "api/chat/groups/<int:room_id>/messages/" → "/api/chat/groups/{room_id}/messages/" and its parameters. */
export function openapiPath(route: string): { path: string; params: Array<{ name: string; schema: JsonSchema }> } {
  const params: Array<{ name: string; schema: JsonSchema }> = [];
  const path =
    '/' +
    route.replace(/<(?:(\w+):)?(\w+)>/g, (_m, conv: string | undefined, name: string) => {
      params.push({ name, schema: CONVERTER_SCHEMA[conv ?? 'str'] });
      return `{${name}}`;
    });
  return { path, params };
}

const AUTH_FAILED = [
  'Authentication credentials were not provided.',
  'Invalid token.',
  'User inactive or deleted.',
  'Invalid token header. No credentials provided.',
  'Invalid token header. Token string should not contain spaces.',
  'Invalid token header. Token string should not contain invalid characters.',
];

/** DRF's answers any view may give, by status (merged with the view's own). */
function commonResponses(method: Method, authenticated: boolean, hasBody: boolean): Record<number, ResponseDoc> {
  const out: Record<number, ResponseDoc> = {
    403: {
      description:
        (authenticated ? 'Not authenticated, or ' : '') +
        'a bad Authorization header (' +
        AUTH_FAILED.slice(1).join(' / ') +
        '), or a session request without a valid CSRF token ("CSRF Failed: …")',
      schema: detailBody(),
    },
    503: {
      description: 'The database is unavailable (Retry-After: 5); nothing was written',
      schema: detailBody('Service temporarily unavailable, try again later.'),
    },
  };
  if (hasBody || method !== 'GET') {
    out[400] = { description: 'A body that does not parse: "JSON parse error - …" / "Multipart form parse error - …"', schema: detailBody() };
    out[413] = { description: 'A body over the upload bound', schema: detailBody() };
    out[415] = { description: 'Another content type: Unsupported media type "…" in request.', schema: detailBody() };
  }
  return out;
}

function mergeSchemas(a: JsonSchema | undefined, b: JsonSchema | undefined): JsonSchema | undefined {
  if (!a || !b) return a ?? b;
  const parts = [...((a.anyOf as JsonSchema[] | undefined) && a.description === undefined ? (a.anyOf as JsonSchema[]) : [a]), b];
  const seen = new Set<string>();
  return { anyOf: parts.filter((p) => (seen.has(JSON.stringify(p)) ? false : (seen.add(JSON.stringify(p)), true))) };
}

function mergeResponses(own: Record<number, ResponseDoc>, common: Record<number, ResponseDoc>): Record<number, ResponseDoc> {
  const out: Record<number, ResponseDoc> = { ...common };
  for (const [k, r] of Object.entries(own)) {
    const status = Number(k);
    const c = common[status];
    if (!c) out[status] = r;
    else if (r.html || c.html) out[status] = r;
    else out[status] = { description: `${r.description}; or: ${c.description}`, schema: mergeSchemas(r.schema, c.schema) };
  }
  return out;
}

function responseObject(r: ResponseDoc, example: { name: string; value: unknown } | undefined) {
  if (r.html) return { description: r.description, content: { 'text/html; charset=utf-8': { schema: { type: 'string' } } } };
  if (!r.schema) return { description: r.description };
  return {
    description: r.description,
    content: {
      'application/json': {
        schema: r.schema,
        ...(example
          ? { examples: { [example.name]: { summary: `recorded on the original (fixtures/golden/${example.name}.json)`, value: example.value } } }
          : {}),
      },
    },
  };
}

function operationId(route: string, method: Method): string {
  return `${route
    .replace(/<(?:\w+:)?(\w+)>/g, '$1')
    .replace(/[^a-zA-Z0-9]+/g, '_')
    .replace(/^_|_$/g, '')}_${method.toLowerCase()}`;
}

/** The operations of one view: its declaration, or a plain view's docs. */
function viewOperations(view: ApiViewFn): { docs: ViewDocs; methods: Method[]; authenticated: boolean; drf: boolean } {
  if (view.spec) {
    const methods = METHODS.filter((m) => view.spec!.methods[m]);
    return { docs: view.spec.docs ?? {}, methods, authenticated: view.spec.permission !== 'any', drf: true };
  }
  const docs = view.docs ?? {};
  return { docs, methods: METHODS.filter((m) => docs[m]), authenticated: false, drf: false };
}

const SECURITY_SCHEMES = {
  tokenAuth: {
    type: 'apiKey',
    in: 'header',
    name: 'Authorization',
    description: 'DRF TokenAuthentication: `Authorization: Token <key>` (the keyword is case-insensitive); the key comes from POST /api/user/login/.',
  },
  cookieAuth: {
    type: 'apiKey',
    in: 'cookie',
    name: 'sessionid',
    description:
      "Django's session (the admin's login at /admin/). Unsafe methods (POST, PUT, PATCH, DELETE) also need the CSRF token: " +
      'the `csrftoken` cookie and its value in the `X-CSRFToken` header (or a `csrfmiddlewaretoken` form field), and for HTTPS a Referer of the same origin.',
  },
} as const;

export function buildOpenApi(urlpatterns: readonly UrlPattern<ApiViewFn>[], examples?: GoldenExamples) {
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  for (const { route, view } of flattenPatterns(urlpatterns)) {
    const { path, params } = openapiPath(route);
    const { docs, methods, authenticated, drf } = viewOperations(view);
    const tag = route.split('/')[1] ?? 'api';
    tags.add(tag);
    const item: Record<string, unknown> = {};
    if (params.length) item.parameters = params.map((p) => ({ name: p.name, in: 'path', required: true, schema: p.schema }));
    for (const method of methods) {
      const op: OperationDoc = docs[method] ?? { summary: '', responses: {} };
      const responses = drf ? mergeResponses(op.responses, commonResponses(method, authenticated, !!op.body)) : op.responses;
      const operation: Record<string, unknown> = {
        operationId: operationId(route, method),
        summary: op.summary || `${view.spec?.name ?? route} (undocumented)`,
        ...(op.description ? { description: op.description } : {}),
        tags: [tag],
        ...(op.summary ? {} : { 'x-undocumented': true }),
      };
      if (op.query?.length) {
        operation.parameters = op.query.map((q) => ({
          name: q.name,
          in: 'query',
          required: q.required ?? false,
          ...(q.description ? { description: q.description } : {}),
          schema: q.schema,
        }));
      }
      if (op.body) {
        const reqExample = examples?.request(route, method);
        const media = (schema: JsonSchema) => ({
          schema,
          ...(reqExample
            ? {
                examples: {
                  [reqExample.name]: { summary: `recorded on the original (fixtures/golden/${reqExample.name}.json)`, value: reqExample.value },
                },
              }
            : {}),
        });
        const content: Record<string, unknown> = {};
        if (!op.body.multipartOnly) content['application/json'] = media(op.body.schema);
        if (op.body.form || op.body.multipartOnly) content['multipart/form-data'] = { schema: op.body.schema };
        if (op.body.form) content['application/x-www-form-urlencoded'] = { schema: op.body.schema };
        operation.requestBody = { required: false, content };
      }
      operation.responses = Object.fromEntries(
        Object.entries(responses)
          .sort(([a], [b]) => Number(a) - Number(b))
          .map(([status, r]) => [status, responseObject(r, examples?.response(route, method, Number(status)))]),
      );
      operation.security = drf ? [{ tokenAuth: [] }, { cookieAuth: [] }, ...(authenticated ? [] : [{}])] : [{}];
      item[method.toLowerCase()] = operation;
    }
    paths[path] = item;
  }
  return {
    openapi: '3.1.0',
    info: OPENAPI_INFO,
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: '/' }],
    tags: [...tags].map((name) => ({ name })),
    paths,
    components: { securitySchemes: SECURITY_SCHEMES },
  };
}
