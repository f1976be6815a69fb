// A DRF APIView in TypeScript: authentication first (403s, before the method check), then the
// 405/Allow rules, permission, lazy body parsing with DRF's parser choice and error texts, rendering
// as DRF's JSONRenderer, the Vary/Allow headers, and last_seen like the original's middleware.
import { isDatabaseUnavailable } from '../db/errors.ts';
import type { Request, Response } from 'express';
import type { AppContext } from '../context.ts';
import type { UserRow } from '../auth/tokens.ts';
import { authenticateRequest } from './authentication.ts';
import { sessionAuthentication } from './sessionAuthentication.ts';
import {
  ApiError,
  BAD_REQUEST_HTML,
  HtmlNotFound,
  HtmlServerError,
  methodNotAllowed,
  multipartParseError,
  notAuthenticated,
  NOT_FOUND_HTML,
  parseError,
  SERVER_ERROR_HTML,
  unsupportedMediaType,
  detail,
} from './errors.ts';
import { drfJson, pythonDumps } from '../python/json.ts';
import { parsePythonJson } from '../python/jsonDecode.ts';
import { pythonTypeName } from '../python/builtins.ts';
import { checkThrottle, type ThrottleScope } from './throttling.ts';
import { HtmlBadRequest, parseMultipartBody } from './uploads.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const METHOD_ORDER: Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export interface UploadedFile {
  fieldname: string;
  originalname: string;
  mimetype: string;
  size: number;
  readonly buffer: Buffer;
}

/** What a view sees of request.data: JSON value, or form/multipart fields (last value wins). */
export interface RequestData {
  /** The parsed body: any JSON value, or an object of text fields for form/multipart. */
  value: unknown;
  files: Map<string, UploadedFile>;
  /** request.FILES.getlist(name): every file part of a name, in order (multipart only). */
  fileLists?: Map<string, UploadedFile[]>;
  /** The media type the parser matched, '' when there was no body. */
  mediaType: 'json' | 'form' | 'multipart' | '';
}

export interface ApiRequest {
  ctx: AppContext;
  method: Method;
  params: Record<string, string>;
  /** query_params.get(k): the last value of a repeated key, as Django's QueryDict. */
  query(name: string): string | undefined;
  user: UserRow | null;
  tokenKey: string | null;
  data(): Promise<RequestData>;
  /** request.build_absolute_uri() */
  absoluteUri(): string;
  raw: Request;
}

export interface ApiResult {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: ApiRequest) => Promise<ApiResult>;

export interface ViewSpec {
  /** Name for DRF's OPTIONS metadata. */
  name: string;
  methods: Partial<Record<Method, Handler>>;
  /** IsAuthenticated (default) or AllowAny. */
  permission?: 'authenticated' | 'any';
  /** ObtainAuthToken subclasses render JSON only, so their Vary header lacks "Accept". */
  jsonOnly?: boolean;
  /** The view reads uploaded files (request.FILES); on other views file parts are read and dropped. */
  takesFiles?: boolean;
  /** Upload bound for multipart bodies; defaults to the configured MAX_UPLOAD_BYTES. */
  maxUploadBytes?: number;
  /** OPTIONS "description": the original view's docstring after DRF's dedent (default ''). */
  description?: string;
  /** A DRF-style scoped throttle (src/drf/throttling.ts), counted per client address once the
   * permission check passed; beyond the original (README: Security). */
  throttle?: ThrottleScope;
  /** OPTIONS "parses" when the view sets parser_classes (default: DRF's three parsers). */
  parses?: string[];
}

/** Django's DATA_UPLOAD_MAX_MEMORY_SIZE for non-file bodies. */
const MAX_BODY_BYTES = 2.5 * 1024 * 1024;

function allowHeader(methods: Method[]): string {
  const out: string[] = [];
  for (const m of METHOD_ORDER) {
    if (!methods.includes(m)) continue;
    out.push(m);
    if (m === 'GET') out.push('HEAD');
  }
  out.push('OPTIONS');
  return out.join(', ');
}

function lastQueryValue(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const all = new URLSearchParams(url.slice(q + 1)).getAll(name);
  return all.length ? all[all.length - 1] : undefined;
}

function readBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new ApiError(413, { detail: `Request body exceeded ${limit} bytes.` }));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Whether the request carries a body (Content-Length > 0 or a chunked one), as Django's parsers decide. */
export function hasBody(req: Request): boolean {
  const len = req.headers['content-length'];
  if (len !== undefined) return Number(len) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

function mediaTypeOf(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

async function parseMultipart(req: Request, res: Response, ctx: AppContext, maxFileBytes: number, takesFiles: boolean): Promise<RequestData> {
  let parsed: Awaited<ReturnType<typeof parseMultipartBody>>;
  try {
    parsed = await parseMultipartBody(req, res, { upload: ctx.config.upload, maxFileBytes, takesFiles, budget: ctx.uploads });
  } catch (err) {
    if (err instanceof Error && (err as { multipart?: boolean }).multipart) throw multipartParseError(err.message);
    throw err;
  }
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.fields)) fields[k] = Array.isArray(v) ? v[v.length - 1] : v;
  const files = new Map<string, UploadedFile>();
  const fileLists = new Map<string, UploadedFile[]>();
  for (const f of parsed.files) {
    // Django skips parts with an empty filename.
    if (!f.originalname) continue;
    files.set(f.fieldname, f);
    const list = fileLists.get(f.fieldname);
    if (list) list.push(f);
    else fileLists.set(f.fieldname, [f]);
  }
  return { value: fields, files, fileLists, mediaType: 'multipart' };
}

async function parseRequestData(req: Request, res: Response, ctx: AppContext, maxUploadBytes: number, takesFiles: boolean): Promise<RequestData> {
  const empty: RequestData = { value: {}, files: new Map(), mediaType: '' };
  if (!hasBody(req)) return empty;
  const mediaType = mediaTypeOf(req);
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    const buf = await readBody(req, MAX_BODY_BYTES);
    if (buf.length === 0) return empty;
    const parsed = parsePythonJson(buf);
    if (!parsed.ok) throw parseError(parsed.message);
    return { value: parsed.value, files: new Map(), mediaType: 'json' };
  }
  if (mediaType === 'application/x-www-form-urlencoded') {
    const buf = await readBody(req, MAX_BODY_BYTES);
    const fields: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(buf.toString('utf8'))) fields[k] = v;
    return { value: fields, files: new Map(), mediaType: 'form' };
  }
  if (mediaType === 'multipart/form-data') return parseMultipart(req, res, ctx, maxUploadBytes, takesFiles);
  throw unsupportedMediaType(mediaType);
}

function buildAbsoluteUri(ctx: AppContext, req: Request): string {
  let proto = 'http';
  let host = req.headers.host ?? 'localhost';
  if (ctx.config.trustProxy) {
    const fp = req.headers['x-forwarded-proto'];
    const fh = req.headers['x-forwarded-host'];
    if (typeof fp === 'string' && fp) proto = fp.split(',')[0].trim();
    if (typeof fh === 'string' && fh) host = fh.split(',')[0].trim();
  }
  return `${proto}://${host}${req.originalUrl}`;
}

function sendDrf(res: Response, status: number, body: unknown, headers: Record<string, string>): void {
  res.status(status);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body === undefined || body === null) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', 'application/json');
  res.end(drfJson(body));
}

/** Django's JsonResponse (separators ", " / ": "). */
export function sendDjangoJson(res: Response, status: number, body: unknown): void {
  res.status(status);
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Vary', 'Cookie');
  res.end(pythonDumps(body));
}

export function sendHtml(res: Response, status: number, html: string): void {
  res.status(status);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Vary', 'Cookie');
  res.end(html);
}

export function apiView(spec: ViewSpec) {
  const methods = Object.keys(spec.methods) as Method[];
  const allow = allowHeader(methods);
  const vary = spec.jsonOnly ? 'Cookie' : 'Accept, Cookie';
  const view = async (ctx: AppContext, req: Request, res: Response, params: Record<string, string>): Promise<void> => {
    const headers: Record<string, string> = { Allow: allow, Vary: vary };
    let user: UserRow | null = null;
    let dataPromise: Promise<RequestData> | null = null;
    const requestData = () =>
      (dataPromise ??= parseRequestData(req, res, ctx, spec.maxUploadBytes ?? ctx.config.maxUploadBytes, spec.takesFiles === true));
    try {
      // Admin sessions (issue #14): SessionAuthentication before TokenAuthentication, as REST_FRAMEWORK lists them.
      const session = await sessionAuthentication(ctx, req, async (name) => {
        const data = await requestData();
        const value = data.mediaType === 'form' || data.mediaType === 'multipart' ? (data.value as Record<string, unknown>)[name] : undefined;
        return typeof value === 'string' ? value : undefined;
      });
      if (session.setCookie) headers['Set-Cookie'] = session.setCookie;
      const auth = session.user ? null : await authenticateRequest(ctx.db.knex, req.headers.authorization);
      user = session.user ?? auth?.user ?? null;
      // APIView.dispatch: initial() (authentication above, then check_permissions) runs before the handler
      // lookup, so an anonymous request to an IsAuthenticated view gets 403 whatever its method, OPTIONS
      // included; 405 comes only once permission passed (issue 13 #11).
      if (spec.permission !== 'any' && !user) throw notAuthenticated();
      // check_throttles, the last step of initial(): also before the handler lookup.
      if (spec.throttle) await checkThrottle(ctx.throttles, ctx.config, req, spec.throttle, ctx.log);
      const method = (req.method === 'HEAD' ? 'GET' : req.method) as Method;
      if (req.method === 'OPTIONS') {
        sendDrf(res, 200, optionsMetadata(spec), headers);
        return;
      }
      const handler = spec.methods[method];
      if (!handler) throw methodNotAllowed(req.method);
      const apiReq: ApiRequest = {
        ctx,
        method,
        params,
        query: (name) => lastQueryValue(req.originalUrl, name),
        user,
        tokenKey: auth?.key ?? null,
        data: requestData,
        absoluteUri: () => buildAbsoluteUri(ctx, req),
        raw: req,
      };
      const result = await handler(apiReq);
      sendDrf(res, result.status ?? 200, result.body, { ...headers, ...(result.headers ?? {}) });
    } catch (err) {
      if (err instanceof ApiError) {
        sendDrf(res, err.status, err.body, { ...headers, ...err.headers });
      } else if (err instanceof HtmlNotFound) {
        sendHtml(res, 404, NOT_FOUND_HTML);
      } else if (err instanceof HtmlBadRequest) {
        // Django's SuspiciousOperation (TooManyFieldsSent, RequestDataTooBig, TooManyFilesSent): its 400 page.
        sendHtml(res, 400, BAD_REQUEST_HTML);
      } else if (err instanceof HtmlServerError) {
        sendHtml(res, 500, SERVER_ERROR_HTML);
      } else if (isDatabaseUnavailable(err)) {
        // DRF's ServiceUnavailable: nothing was written; the pool reconnects when Postgres is back.
        ctx.log.warn({ err, path: req.originalUrl }, 'database unavailable');
        sendDrf(res, 503, { detail: 'Service temporarily unavailable, try again later.' }, { ...headers, 'Retry-After': '5' });
      } else {
        ctx.log.error({ err, path: req.originalUrl }, 'unhandled error in view');
        sendDrf(res, 500, { detail: 'A server error occurred.' }, headers);
      }
    } finally {
      if (user) ctx.lastSeen.touch(user.id);
    }
  };
  // What the view allows, for the route table's checks (test/drf/dispatch-order.test.ts).
  return Object.assign(view, { allowed: { methods, permission: spec.permission ?? 'authenticated' } as const });
}

function optionsMetadata(spec: ViewSpec) {
  return {
    name: spec.name,
    description: spec.description ?? '',
    renders: spec.jsonOnly ? ['application/json'] : ['application/json', 'text/html'],
    parses: spec.parses ?? ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'],
  };
}

/** A view the URL table serves: an apiView (with what it allows) or a plain Django view. */
export type ApiViewFn = ((ctx: AppContext, req: Request, res: Response, params: Record<string, string>) => Promise<void>) & {
  allowed?: { readonly methods: readonly Method[]; readonly permission: 'authenticated' | 'any' };
};

/** Reads an object body; DRF views calling request.data.get() on a list crash, csi-chat answers 400. */
export function asObject(value: unknown): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw detail(400, `Invalid data. Expected a dictionary, but got ${pythonTypeName(value)}.`);
}

/** request.data as a dict (the original's `request.data.get(...)` views); a JSON list/scalar body is a 400. */
export async function readDict(req: ApiRequest): Promise<Record<string, unknown>> {
  return asObject((await req.data()).value);
}
