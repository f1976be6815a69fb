// The admin site at /admin/: AdminJS over the models of models.ts (resource.ts, on the project's knex),
// behind Django's own authentication: the `sessionid` session of an active staff user, Django's CSRF
// rules on every unsafe method, permissions per model and action (permissions.ts), Django's admin URLs
// (/admin/login/, /admin/<App>/<model>/<id>/change/, …) mapped onto AdminJS's pages. AdminJS's
// routes are mounted on an express 5 router here (its @adminjs/express plugin needs express-session
// and express-formidable); its front-end bundles are prebuilt by `npm run build:admin`.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { HtmlBadRequest, parseMultipartBody } from '../drf/uploads.ts';
import { ApiError } from '../drf/errors.ts';
import { clientIdent } from '../drf/throttling.ts';
import AdminJS, {
  NotFoundError,
  populator,
  Router as AdminRouter,
  type ActionContext,
  type ActionRequest,
  type ResourceOptions,
  type CurrentAdmin,
} from 'adminjs';
import type { AppContext } from '../context.ts';
import { authenticate } from '../user/auth.ts';
import { csrfCookie, csrfRejection, maskSecret, newCsrfSecret, secretFromCookie, CSRF_COOKIE_NAME } from '../auth/csrf.ts';
import { csrfRequest, isSecureRequest, requestCookies } from '../auth/requestInfo.ts';
import {
  authenticateSession,
  deleteSession,
  deletedSessionCookie,
  loginSession,
  sessionCookie,
  SESSION_COOKIE_NAME,
  updateSessionAuthHash,
} from '../auth/sessions.ts';
import { adminComponentLoader, COMPONENTS } from './components.ts';
import { AdminUpload } from './forms.ts';
import { capfirst, MODELS, PERMISSION_MODEL, type FieldDef, type ModelDef } from './models.ts';
import { csrfFailurePage, forbiddenPage, loggedOutPage, loginPage, logoutConfirmPage, notFoundPage, throttledPage } from './pages.ts';
import { currentAdminFor, hasPermission, identityOf, isAdminUser, type AdminAction, type AdminIdentity } from './permissions.ts';
import { contentTypeId, getRow, objectHistory, recentActions, schemaForeignKeys, userPermissions } from './queries.ts';
import { KnexResource, VIRTUAL, type AdminResourceEnv } from './resource.ts';
import { setUserPassword } from './writes.ts';

const ROOT = '/admin';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ADMIN_BUNDLE_DIR = path.resolve(HERE, '../../dist/admin-assets');
const COMPONENTS_BUNDLE = path.join(ADMIN_BUNDLE_DIR, 'components.bundle.js');
/** Form bodies (log-in, log-out, AdminJS's multipart posts without files): Django's DATA_UPLOAD_MAX_MEMORY_SIZE. */
const MAX_FORM_BYTES = 2.5 * 1024 * 1024;
const INVALID_LOGIN = 'Please enter the correct email and password for a staff account. Note that both fields may be case-sensitive.';

class AdminBundleMissing extends Error {}

/** AdminJS's own prebuilt production bundles and fonts, plus the components bundle built at install. */
function assetFiles(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const adminjsDir = path.dirname(require.resolve('adminjs'));
  const assets = path.join(adminjsDir, 'lib/frontend/assets');
  const designSystem = path.join(path.dirname(require.resolve('@adminjs/design-system')), '../bundle.production.js');
  const files = new Map<string, string>([
    ['app.bundle.js', path.join(assets, 'scripts/app-bundle.production.js')],
    ['global.bundle.js', path.join(assets, 'scripts/global-bundle.production.js')],
    ['design-system.bundle.js', designSystem],
    ['components.bundle.js', COMPONENTS_BUNDLE],
    ['icomoon.css', path.join(assets, 'styles/icomoon.css')],
    ['icomoon.eot', path.join(assets, 'fonts/icomoon.eot')],
    ['icomoon.svg', path.join(assets, 'fonts/icomoon.svg')],
    ['icomoon.ttf', path.join(assets, 'fonts/icomoon.ttf')],
    ['icomoon.woff', path.join(assets, 'fonts/icomoon.woff')],
    ['logo.svg', path.join(assets, 'images/logo.svg')],
    ['logo-mini.svg', path.join(assets, 'images/logo-mini.svg')],
  ]);
  for (const [name, file] of files) {
    if (!fs.existsSync(file)) throw new AdminBundleMissing(`admin asset ${name} is missing (${file}); run \`npm run build:admin\``);
  }
  return files;
}

/**
 * Sends X-CSRFToken (the csrftoken cookie, as Django's docs tell AJAX clients to) on AdminJS's
 * same-origin unsafe XHRs; served as a static asset, so the pages need no inline script of ours.
 */
const CSRF_SCRIPT = `(function(){var open=XMLHttpRequest.prototype.open,send=XMLHttpRequest.prototype.send;
XMLHttpRequest.prototype.open=function(m,u){this.__csrf=!/^(GET|HEAD|OPTIONS|TRACE)$/i.test(m)&&new URL(u,location.href).origin===location.origin;return open.apply(this,arguments)};
XMLHttpRequest.prototype.send=function(){if(this.__csrf){var c=document.cookie.split(';').map(function(s){return s.trim()}).filter(function(s){return s.indexOf('${CSRF_COOKIE_NAME}=')===0})[0];if(c)this.setRequestHeader('X-CSRFToken',decodeURIComponent(c.slice(${CSRF_COOKIE_NAME.length + 1})))}return send.apply(this,arguments)};})();`;

type Ctx = ActionContext & { currentAdmin?: CurrentAdmin };

function can(model: ModelDef, action: AdminAction) {
  return ({ currentAdmin }: Ctx) => hasPermission(identityOf(currentAdmin), model, action);
}

function label(f: FieldDef): string {
  return capfirst(f.verbose);
}

function resourceOptions(model: ModelDef, ctx: AppContext): ResourceOptions {
  const scalar = model.fields.filter((f) => f.kind !== 'm2m' && f.kind !== 'json');
  const editable = model.fields.filter((f) => !f.readonly).map((f) => f.name);
  const show = [model.pk, ...model.fields.map((f) => f.name)];
  const properties: NonNullable<ResourceOptions['properties']> = {
    [model.pk]: { isVisible: { list: false, show: true, edit: false, filter: true } },
    [VIRTUAL.str]: { isVisible: { list: !model.listDisplay, show: false, edit: false, filter: false } },
  };
  for (const f of model.fields) {
    properties[f.name] = {
      isDisabled: f.readonly,
      ...(f.choices ? { availableValues: f.choices.map(([value, text]) => ({ value, label: text })) } : {}),
      ...(f.kind === 'file'
        ? { components: { edit: COMPONENTS.FileEdit, show: COMPONENTS.FileShow, list: COMPONENTS.FileShow }, props: { label: label(f) } }
        : {}),
      ...(f.kind === 'm2m' ? { isArray: true } : {}),
      ...(f.kind === 'text' || f.kind === 'json' ? { type: 'textarea' as const } : {}),
    };
  }
  if (model.searchFields?.length) properties[VIRTUAL.search] = { isVisible: { list: false, show: false, edit: false, filter: true }, type: 'string' };
  const filter = [...(model.searchFields?.length ? [VIRTUAL.search] : []), ...(model.listFilter ?? [model.pk, ...scalar.map((f) => f.name)])];
  if (model.key === 'Chat.room') {
    show.push(VIRTUAL.totalMembers, VIRTUAL.roomMessages);
    properties[VIRTUAL.roomMessages] = {
      components: { show: COMPONENTS.RoomMessages },
      isVisible: { list: false, show: true, edit: false, filter: false },
    };
  }
  if (model.key === 'User.user') {
    editable.push(VIRTUAL.newPassword);
    properties[VIRTUAL.newPassword] = {
      type: 'password',
      isVisible: { list: false, show: false, edit: true, filter: false },
      description: 'Only read when adding a user (empty: an unusable password). Use “Set password” to change it later.',
    };
  }
  const orderField = model.ordering?.replace(/^-/, '');
  return {
    id: model.key,
    navigation: { name: model.appLabel, icon: 'Folder' },
    titleProperty: VIRTUAL.str,
    sort: {
      sortBy: orderField && model.fields.some((f) => f.name === orderField) ? orderField : model.pk,
      direction: model.ordering?.startsWith('-') || !model.ordering ? 'desc' : 'asc',
    },
    listProperties: model.listDisplay ?? [VIRTUAL.str],
    showProperties: show,
    editProperties: editable,
    filterProperties: filter,
    properties,
    actions: {
      list: { isAccessible: can(model, 'view') },
      search: { isAccessible: ({ currentAdmin }: Ctx) => !!identityOf(currentAdmin) && pickerAllowed(identityOf(currentAdmin)!, model) },
      show: { isAccessible: can(model, 'view') },
      new: { isAccessible: can(model, 'add'), handler: newActionHandler },
      edit: { isAccessible: can(model, 'change'), handler: editActionHandler },
      delete: { isAccessible: can(model, 'delete') },
      bulkDelete: { isAccessible: can(model, 'delete') },
      history: {
        actionType: 'record',
        icon: 'Clock',
        component: COMPONENTS.History,
        isAccessible: can(model, 'view'),
        handler: async (_request: ActionRequest, _response: unknown, context: ActionContext) => {
          const record = context.record!;
          const ctId = await contentTypeId(ctx.db.knex, model.appLabel, model.model);
          const rows = await objectHistory(ctx.db.knex, ctId, String(record.id()));
          return {
            record: record.toJSON(context.currentAdmin),
            history: rows.map((r) => ({
              action_time: r.action_time,
              user: r.user_email,
              action_flag: r.action_flag,
              change_message: r.change_message,
            })),
          };
        },
      },
      ...(model.key === 'User.user' ? { setPassword: setPasswordAction(model, ctx) } : {}),
    },
  } as ResourceOptions;
}

/**
 * AdminJS's NewAction without its paramConverter, which turns posted dates into JS Dates (rolling
 * 2025-02-30 over to March) and numbers into NaN before any validation: the raw form goes to
 * forms.ts, which answers Django's errors instead.
 */
async function newActionHandler(request: ActionRequest, _response: unknown, context: ActionContext) {
  const { resource, h, currentAdmin } = context;
  if (request.method !== 'post') throw new Error('new action can be invoked only via `post` http method');
  let record = await resource.build(request.payload ?? {});
  record = await record.create(context);
  const [populated] = await populator([record], context);
  context.record = populated;
  // A form-wide error (unique_together, a lost race) is a baseError with no field errors: not a success.
  if (record.isValid() && !record.baseError) {
    return {
      redirectUrl: h.resourceUrl({ resourceId: resource._decorated?.id() || resource.id() }),
      notice: { message: 'successfullyCreated', type: 'success' },
      record: record.toJSON(currentAdmin),
    };
  }
  return { record: record.toJSON(currentAdmin), notice: { message: populated.baseError?.message || 'thereWereValidationErrors', type: 'error' } };
}

/** AdminJS's EditAction without its paramConverter (see newActionHandler). */
async function editActionHandler(request: ActionRequest, _response: unknown, context: ActionContext) {
  const { record, resource, currentAdmin, h } = context;
  if (!record) throw new NotFoundError(`Record of given id ("${request.params.recordId}") could not be found`, 'Action#handler');
  if (request.method === 'get') return { record: record.toJSON(currentAdmin) };
  const updated = await record.update(request.payload ?? {}, context);
  const [populated] = await populator([updated], context);
  context.record = populated;
  if (record.isValid() && !record.baseError) {
    return {
      redirectUrl: h.resourceUrl({ resourceId: resource._decorated?.id() || resource.id() }),
      notice: { message: 'successfullyUpdated', type: 'success' },
      record: populated.toJSON(currentAdmin),
    };
  }
  return { record: populated.toJSON(currentAdmin), notice: { message: populated.baseError?.message || 'thereWereValidationErrors', type: 'error' } };
}

function setPasswordAction(model: ModelDef, ctx: AppContext) {
  return {
    actionType: 'record',
    icon: 'Key',
    component: COMPONENTS.SetPassword,
    isAccessible: can(model, 'change'),
    handler: async (request: ActionRequest, _response: unknown, context: ActionContext) => {
      const record = context.record!;
      const json = record.toJSON(context.currentAdmin);
      if (request.method !== 'post') return { record: json };
      const identity = identityOf(context.currentAdmin)!;
      const result = await setUserPassword({ ctx, fks: [] }, record.id(), request.payload?.password1, request.payload?.password2, {
        userId: identity.user.id,
      });
      if (!result.ok) {
        const errors = 'errors' in result ? Object.fromEntries(Object.entries(result.errors.fields).map(([k, message]) => [k, { message }])) : {};
        return { record: { ...json, errors }, notice: { message: 'Please correct the errors below.', type: 'error' } };
      }
      // update_session_auth_hash(): changing one's own password keeps one's own session.
      if (Number(result.row.id) === identity.user.id) {
        await updateSessionAuthHash(ctx.db.knex, ctx.config.secretKey, identity.sessionKey, {
          id: identity.user.id,
          password: String(result.row.password),
        });
      }
      return {
        record: json,
        notice: { message: 'Password changed successfully.', type: 'success' },
        redirectUrl: context.h.recordActionUrl({ resourceId: model.key, recordId: String(record.id()), actionName: 'show' }),
      };
    },
  };
}

/** Property labels and resource names in Django's words (capfirst(verbose_name), verbose_name_plural). */
function translations() {
  const labels: Record<string, string> = {};
  const resources: Record<string, { properties: Record<string, string> }> = {};
  for (const m of MODELS) {
    labels[m.key] = capfirst(m.verbosePlural);
    const properties: Record<string, string> = {
      [m.pk]: m.pk === 'id' ? 'ID' : capfirst(m.pk),
      [VIRTUAL.str]: capfirst(m.verbose),
      [VIRTUAL.search]: 'Search',
    };
    for (const f of m.fields) properties[f.name] = label(f);
    Object.assign(properties, {
      [VIRTUAL.totalMembers]: 'Total members',
      [VIRTUAL.contentPreview]: 'Content preview',
      [VIRTUAL.mentionsList]: 'Mentions list',
      [VIRTUAL.roomMessages]: 'Messages',
      [VIRTUAL.newPassword]: 'Password',
    });
    resources[m.key] = { properties };
  }
  return {
    labels: { ...labels, navigation: 'Applications' },
    resources,
    actions: { history: 'History', setPassword: 'Set password' },
    buttons: { history: 'History', setPassword: 'Set password' },
  };
}

function setNoCache(res: Response): void {
  // never_cache + Django's security middleware defaults on admin pages.
  res.setHeader('Cache-Control', 'max-age=0, no-cache, no-store, must-revalidate, private');
  res.setHeader('Vary', 'Cookie');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

function sendPage(res: Response, status: number, html: string): void {
  setNoCache(res);
  res.status(status).type('text/html; charset=utf-8').send(html);
}

/** AdminJS's layout, made safe to embed: no external font request, "<" escaped in the inline JSON. */
function sanitiseLayout(html: string): string {
  return html
    .replace(/<link rel="stylesheet" href="https:\/\/fonts\.googleapis\.com[^>]*>/, '')
    .replace(/^(\s*window\.(?:REDUX_STATE|THEME) = )(.*);$/gm, (_m, head: string, json: string) => `${head}${json.replace(/</g, '\\u003c')};`);
}

/** url_has_allowed_host_and_scheme for `next`: a local absolute path only. */
function safeNext(next: unknown): string {
  if (
    typeof next !== 'string' ||
    !next.startsWith('/') ||
    next.startsWith('//') ||
    next.startsWith('/\\') ||
    /[\r\n\t]/.test(next) ||
    next.length > 2000
  )
    return `${ROOT}/`;
  return next;
}

interface AdminRequest extends Request {
  admin?: AdminIdentity;
  adminPayload?: Record<string, unknown>;
  csrfSecret?: string;
  csrfNeedsCookie?: boolean;
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

/**
 * The query without filters named like Object.prototype members (`filters.constructor=1`): AdminJS
 * looks filter names up on a plain object and would call the inherited function (a 500).
 */
function withoutPrototypeKeys(query: Request['query']): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(query as Record<string, unknown>)) {
    const name = k.startsWith('filters.') ? k.slice('filters.'.length).split('~~')[0] : null;
    if (name !== null && (name in Object.prototype || name === '__proto__')) continue;
    out[k] = v;
  }
  return out;
}

/** Which permission an AdminJS URL needs, or null for pages without a model (dashboard, assets). */
function requiredPermission(p: string): { model: ModelDef; action: AdminAction; recordId?: string } | 'unknown' | null {
  const m = /^\/(?:api\/)?resources\/([^/]+)(?:\/(actions|records|bulk|search)(?:\/([^/]+))?(?:\/([^/]+))?)?\/?$/.exec(p);
  if (!m) return null;
  const resourceId = safeDecode(m[1]);
  const model = MODELS.find((x) => x.key === resourceId) ?? (resourceId === PERMISSION_MODEL.key ? PERMISSION_MODEL : undefined);
  if (!model) return 'unknown';
  const kind = m[2];
  const actionName = kind === 'records' ? m[4] : kind === 'search' ? 'search' : m[3];
  if (!kind) return { model, action: 'view' };
  const recordId = kind === 'records' && m[3] !== undefined ? safeDecode(m[3]) : undefined;
  if (recordId === null) return 'unknown';
  if (model === PERMISSION_MODEL) return actionName === 'search' || actionName === 'list' ? { model, action: 'view' } : 'unknown';
  switch (actionName) {
    case 'list':
    case 'show':
    case 'search':
    case 'history':
      return { model, action: 'view', recordId };
    case 'new':
      return { model, action: 'add' };
    case 'edit':
      return { model, action: 'change', recordId };
    case 'setPassword':
      return model.key === 'User.user' ? { model, action: 'change', recordId } : 'unknown';
    case 'delete':
    case 'bulkDelete':
      return { model, action: 'delete', recordId };
    default:
      return 'unknown';
  }
}

/** The user's permissions for a picker over auth_permission: whoever may view users or groups. */
function permissionPickerAllowed(identity: AdminIdentity): boolean {
  return ['User.user', 'auth.group'].some((k) =>
    hasPermission(
      identity,
      MODELS.find((m) => m.key === k)!,
      'view',
    ),
  );
}

/**
 * A relation picker searches the related model: allowed to whoever may view it, or may add or change a
 * model with a relation to it (Django's form widgets list the choices to such a user too).
 */
function pickerAllowed(identity: AdminIdentity, target: ModelDef): boolean {
  if (hasPermission(identity, target, 'view')) return true;
  return MODELS.some(
    (m) =>
      m.fields.some((f) => (f.kind === 'fk' || f.kind === 'm2m') && f.target === target.key && !f.readonly) &&
      (hasPermission(identity, m, 'add') || hasPermission(identity, m, 'change')),
  );
}

export async function buildAdminSite(ctx: AppContext): Promise<(req: Request, res: Response, next: NextFunction) => void> {
  const assets = assetFiles();
  const env: AdminResourceEnv = { ctx, fks: schemaForeignKeys() };
  const permissionResource = new KnexResource(PERMISSION_MODEL, env);
  const admin = new AdminJS({
    rootPath: ROOT,
    loginPath: `${ROOT}/login/`,
    logoutPath: `${ROOT}/logout/`,
    componentLoader: adminComponentLoader(),
    branding: { companyName: 'csi-chat administration', withMadeWithLove: false, logo: false },
    dashboard: {
      component: COMPONENTS.Dashboard,
      // Django's index "My actions": the admin's last ten log entries.
      handler: async (_request: ActionRequest, _response: unknown, context: { currentAdmin?: CurrentAdmin }) => {
        const identity = identityOf(context.currentAdmin);
        if (!identity) return { recent: [] };
        return { recent: await recentActions(ctx.db.knex, identity.user.id, 10) };
      },
    },
    assets: { scripts: [`${ROOT}/frontend/assets/csrf.js`] },
    settings: { defaultPerPage: 100 },
    locale: { language: 'en', availableLanguages: ['en'], translations: { en: translations() } },
    resources: [
      ...MODELS.map((m) => ({ resource: new KnexResource(m, env), options: resourceOptions(m, ctx) })),
      {
        resource: permissionResource,
        options: {
          id: PERMISSION_MODEL.key,
          navigation: false,
          titleProperty: VIRTUAL.str,
          actions: {
            list: { isAccessible: ({ currentAdmin }: Ctx) => !!identityOf(currentAdmin) && permissionPickerAllowed(identityOf(currentAdmin)!) },
            search: { isAccessible: ({ currentAdmin }: Ctx) => !!identityOf(currentAdmin) && permissionPickerAllowed(identityOf(currentAdmin)!) },
            show: { isAccessible: false },
            new: { isAccessible: false },
            edit: { isAccessible: false },
            delete: { isAccessible: false },
            bulkDelete: { isAccessible: false },
          },
        } as ResourceOptions,
      },
    ],
  });

  // Django's URLs are case-sensitive; so are these (a case variant would skip the permission check below).
  const router = express.Router({ strict: true, caseSensitive: true });
  // Multipart bodies bounded as the REST API's (src/drf/uploads.ts); files only from a logged-in admin.
  const upload: UploadParser = (req, res) =>
    parseMultipartBody(req, res, {
      upload: ctx.config.upload,
      maxFileBytes: ctx.config.maxUploadBytes,
      takesFiles: !!(req as AdminRequest).admin,
      budget: ctx.uploads,
    });

  router.get('/frontend/assets/csrf.js', (_req, res) => {
    res.type('text/javascript; charset=utf-8').setHeader('Cache-Control', 'max-age=3600');
    res.send(CSRF_SCRIPT);
  });
  for (const [name, file] of assets) {
    router.get(`/frontend/assets/${name}`, (_req, res) => {
      res.setHeader('Cache-Control', 'max-age=3600');
      res.sendFile(file);
    });
  }

  // Session → the request's admin; the CSRF cookie read (Django's CsrfViewMiddleware.process_request).
  router.use(async (req: AdminRequest, res, next) => {
    try {
      const cookies = requestCookies(req);
      const csrf = secretFromCookie(cookies.get(CSRF_COOKIE_NAME));
      req.csrfSecret = csrf.secret ?? newCsrfSecret();
      req.csrfNeedsCookie = csrf.secret === null || cookies.get(CSRF_COOKIE_NAME)!.length !== 32;
      const key = cookies.get(SESSION_COOKIE_NAME);
      if (key !== undefined) {
        const auth = await authenticateSession(ctx.db.knex, ctx.config.secretKey, key);
        if (auth.kind === 'missing' || auth.kind === 'flushed') res.append('Set-Cookie', deletedSessionCookie());
        if (auth.kind === 'user' && isAdminUser(auth.user)) {
          const perms = auth.user.is_superuser ? new Set<string>() : await userPermissions(ctx.db.knex, auth.user.id);
          req.admin = { user: auth.user, perms, sessionKey: auth.key };
        }
      }
      next();
    } catch (err) {
      next(err);
    }
  });

  // Bodies of unsafe requests (multipart from AdminJS, urlencoded from the log-in form), then CSRF.
  router.use(async (req: AdminRequest, res, next) => {
    if (['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(req.method)) return next();
    try {
      req.adminPayload = await readPayload(req, res, upload);
    } catch (err) {
      const status = (err as { status?: number }).status ?? 400;
      setNoCache(res);
      res.status(status).json({ error: (err as Error).message });
      return;
    }
    const reason = await csrfRejection(
      csrfRequest(req, ctx.config, requestCookies(req), async () => {
        const v = req.adminPayload?.csrfmiddlewaretoken;
        return typeof v === 'string' ? v : undefined;
      }),
    );
    if (reason) {
      ctx.log.warn({ reason, path: req.originalUrl }, 'admin: CSRF verification failed');
      if (req.path.startsWith('/api/')) {
        setNoCache(res);
        res.status(403).json({ error: `CSRF verification failed: ${reason}` });
      } else sendPage(res, 403, csrfFailurePage());
      return;
    }
    next();
  });

  const withCsrfCookie = (req: AdminRequest, res: Response) => {
    // get_token(): the page carries a token, so the cookie is (re)sent.
    res.append('Set-Cookie', csrfCookie(req.csrfSecret!, isSecureRequest(req, ctx.config)));
    return maskSecret(req.csrfSecret!);
  };

  router.get('/login/', (req: AdminRequest, res) => {
    const next = safeNext(req.query.next);
    if (req.admin) return res.redirect(302, next);
    sendPage(res, 200, loginPage({ csrfToken: withCsrfCookie(req, res), next, username: '', error: null }));
  });

  router.post('/login/', async (req: AdminRequest, res, nextFn) => {
    try {
      const body = req.adminPayload ?? {};
      // AuthenticationForm's UsernameField: stripped and NFKC-normalised before the lookup (and the throttle key).
      const username = typeof body.username === 'string' ? body.username.trim().normalize('NFKC') : '';
      const password = typeof body.password === 'string' ? body.password : '';
      const next = safeNext(body.next ?? req.query.next);
      // The client address as the REST throttles see it (behind TRUST_PROXY the X-Forwarded-For entry the
      // proxy appended; express' req.ip would be the first one, which the client writes itself).
      const address = clientIdent(req, ctx.config);
      const wait = await ctx.admin.loginThrottle.attempt(address, username).catch((err: unknown) => {
        // As the REST throttles: counting fails open (a Redis outage does not lock the organisers out).
        ctx.log.warn({ err }, 'admin: log-in throttle unavailable; attempt not counted');
        return 0;
      });
      if (wait > 0) {
        res.setHeader('Retry-After', String(wait));
        return sendPage(res, 429, throttledPage({ csrfToken: withCsrfCookie(req, res), next, username, seconds: wait }));
      }
      const user = username && password ? await authenticate(ctx.db.knex, username, password) : null;
      if (!user || !isAdminUser(user)) {
        return sendPage(res, 200, loginPage({ csrfToken: withCsrfCookie(req, res), next, username, error: INVALID_LOGIN }));
      }
      await ctx.admin.loginThrottle.success(address, username).catch((err: unknown) => ctx.log.warn({ err }, 'admin: log-in throttle unavailable'));
      const cookies = requestCookies(req);
      const sessionKey = await loginSession(ctx.db.knex, ctx.config.secretKey, user, cookies.get(SESSION_COOKIE_NAME) ?? null);
      const secure = isSecureRequest(req, ctx.config);
      // rotate_token(): a new CSRF secret after log-in.
      res.append('Set-Cookie', csrfCookie(newCsrfSecret(), secure));
      res.append('Set-Cookie', sessionCookie(sessionKey, secure));
      setNoCache(res);
      res.redirect(302, next);
    } catch (err) {
      nextFn(err);
    }
  });

  router.get('/logout/', (req: AdminRequest, res) => {
    if (!req.admin) return res.redirect(302, `${ROOT}/login/?next=${ROOT}/`);
    sendPage(res, 200, logoutConfirmPage(withCsrfCookie(req, res)));
  });

  router.post('/logout/', async (req: AdminRequest, res, nextFn) => {
    try {
      const key = requestCookies(req).get(SESSION_COOKIE_NAME);
      if (key !== undefined) {
        await deleteSession(ctx.db.knex, key);
        res.append('Set-Cookie', deletedSessionCookie());
      }
      sendPage(res, 200, loggedOutPage());
    } catch (err) {
      nextFn(err);
    }
  });

  // Everything below needs an active staff user; others go to the log-in page (API calls get 403).
  router.use((req: AdminRequest, res, next) => {
    if (req.admin) return next();
    if (req.path.startsWith('/api/')) {
      setNoCache(res);
      res.status(403).json({ error: 'Authentication required.' });
      return;
    }
    res.redirect(302, `${ROOT}/login/?next=${encodeURIComponent(req.originalUrl).replace(/%2F/g, '/')}`);
  });

  // Django's admin URLs → AdminJS pages, with Django's 403 / 404 answers.
  router.get(/^\/([A-Za-z]+)\/([a-z]+)\/(?:(add)\/|([^/]+)\/(change|delete|history)\/|([^/]+)\/)?$/, async (req: AdminRequest, res, nextFn) => {
    try {
      const m = /^\/([A-Za-z]+)\/([a-z]+)\/(?:(add)\/|([^/]+)\/(change|delete|history)\/|([^/]+)\/)?$/.exec(req.path)!;
      const model = MODELS.find((x) => x.appLabel === m[1] && x.model === m[2]);
      if (!model) return sendPage(res, 404, notFoundPage());
      const base = `${ROOT}/resources/${encodeURIComponent(model.key)}`;
      if (m[3]) {
        if (!hasPermission(req.admin!, model, 'add')) return sendPage(res, 403, forbiddenPage());
        return res.redirect(302, `${base}/actions/new`);
      }
      const objectId = m[4] ?? m[6];
      if (objectId === undefined) {
        if (!hasPermission(req.admin!, model, 'view')) return sendPage(res, 403, forbiddenPage());
        return res.redirect(302, base);
      }
      if (m[6] !== undefined) return res.redirect(301, `${ROOT}/${model.appLabel}/${model.model}/${objectId}/change/`);
      const action: AdminAction = m[5] === 'change' ? 'view' : m[5] === 'delete' ? 'delete' : 'view';
      if (!hasPermission(req.admin!, model, action)) return sendPage(res, 403, forbiddenPage());
      const row = await getRow(ctx.db.knex, model, safeDecode(objectId));
      if (!row) return sendPage(res, 404, notFoundPage());
      const id = encodeURIComponent(String(row[model.pk]));
      const target = m[5] === 'history' ? 'history' : m[5] === 'delete' ? 'show' : hasPermission(req.admin!, model, 'change') ? 'edit' : 'show';
      return res.redirect(302, `${base}/records/${id}/${target}`);
    } catch (err) {
      nextFn(err);
    }
  });

  // Permission per model and action before AdminJS runs (AdminJS would answer 200 with a notice).
  router.use(async (req: AdminRequest, res, next) => {
    const needed = requiredPermission(req.path);
    if (needed === null) return next();
    const api = req.path.startsWith('/api/');
    if (needed === 'unknown') {
      if (api) return void res.status(404).json({ error: 'Not found.' });
      return sendPage(res, 404, notFoundPage());
    }
    const search = /\/search(\/|$)/.test(req.path) || /\/actions\/search\/?$/.test(req.path);
    const allowed =
      needed.model === PERMISSION_MODEL
        ? permissionPickerAllowed(req.admin!)
        : search
          ? pickerAllowed(req.admin!, needed.model)
          : hasPermission(req.admin!, needed.model, needed.action);
    if (allowed) {
      // A record that does not exist is a 404 (AdminJS would answer 200 with an error notice).
      if (needed.recordId !== undefined && !(await getRow(ctx.db.knex, needed.model, needed.recordId).catch(() => null))) {
        if (api) return void res.status(404).json({ error: 'Not found.' });
        return sendPage(res, 404, notFoundPage());
      }
      return next();
    }
    if (api) {
      setNoCache(res);
      return void res.status(403).json({ error: 'You do not have permission to perform this action.' });
    }
    sendPage(res, 403, forbiddenPage());
  });

  for (const route of AdminRouter.routes) {
    if (route.action === 'bundleComponents') continue;
    const expressPath = route.path === '' ? '/' : route.path.replace(/{/g, ':').replace(/}/g, '');
    const handler = async (req: AdminRequest, res: Response, nextFn: NextFunction) => {
      try {
        const currentAdmin = currentAdminFor(req.admin!);
        const Controller = route.Controller as unknown as new (
          opts: { admin: AdminJS },
          currentAdmin: CurrentAdmin,
        ) => Record<string, (r: unknown, res: Response) => Promise<unknown>>;
        const controller = new Controller({ admin }, currentAdmin);
        const result = await controller[route.action](
          { ...req, params: req.params, query: withoutPrototypeKeys(req.query), payload: req.adminPayload ?? {}, method: req.method.toLowerCase() },
          res,
        );
        setNoCache(res);
        if (typeof result === 'string') {
          withCsrfCookie(req, res);
          res.type('text/html; charset=utf-8').send(sanitiseLayout(result));
        } else {
          res.json(result ?? {});
        }
      } catch (err) {
        nextFn(err);
      }
    };
    if (route.method === 'GET') router.get(expressPath, handler);
    if (route.method === 'POST') router.post(expressPath, handler);
  }

  router.use((req, res) => sendPage(res, 404, notFoundPage()));
  // AdminJS's errors (unknown resource, NotFoundError, ConfigurationError) and the database's.
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const name = (err as { name?: string }).name;
    // express's own 4xx (e.g. an undecodable %-escape in a path parameter: 400) keep their status.
    const given = (err as { status?: unknown }).status;
    const status =
      name === 'NotFoundError' ? 404 : name === 'ForbiddenError' ? 403 : typeof given === 'number' && given >= 400 && given < 500 ? given : 500;
    if (status === 500) ctx.log.error({ err, path: req.originalUrl }, 'admin request failed');
    if (res.headersSent) return;
    if (req.path.startsWith('/api/')) {
      setNoCache(res);
      res.status(status).json({ error: status === 404 ? 'Not found.' : status === 403 ? 'Forbidden.' : 'Server error.' });
    } else
      sendPage(
        res,
        status,
        status === 404
          ? notFoundPage()
          : status === 403
            ? forbiddenPage()
            : status < 500
              ? '<h1>Bad Request (400)</h1>'
              : '<h1>Server Error (500)</h1>',
      );
  });

  return (req, res, next) => router(req, res, next);
}

/** The posted fields (last value of a repeated name) and files, bounded as the REST API's bodies. */
type UploadParser = (req: Request, res: Response) => ReturnType<typeof parseMultipartBody>;

async function readPayload(req: Request, res: Response, upload: UploadParser): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'multipart/form-data') {
    let parsed: Awaited<ReturnType<UploadParser>>;
    try {
      parsed = await upload(req, res);
    } catch (err) {
      if (err instanceof ApiError) throw Object.assign(new Error(err.message), { status: err.status });
      if (err instanceof HtmlBadRequest) throw Object.assign(new Error('Bad Request (400)'), { status: 400 });
      throw Object.assign(new Error(`Invalid multipart body: ${(err as Error).message ?? ''}`), { status: 400 });
    }
    const payload: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(parsed.fields)) payload[k] = Array.isArray(v) ? v[v.length - 1] : v;
    for (const f of parsed.files) {
      if (f.originalname) payload[f.fieldname] = new AdminUpload(f.originalname, f.mimetype, f.buffer);
    }
    return payload;
  }
  const body = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        reject(Object.assign(new Error('Request body too large.'), { status: 413 }));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
  if (type === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
  if (type === 'application/json' && body.length) {
    try {
      const v = JSON.parse(body.toString('utf8')) as unknown;
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    } catch {
      throw Object.assign(new Error('Invalid JSON body.'), { status: 400 });
    }
  }
  return {};
}
