// The original's Notification/urls.py under /api/notifications/ (issue #7): MarkNotificationsReadAPIView,
// UnreadNotificationCountAPIView, RegisterDeviceTokenView (DeviceTokenSerializer).
import { apiView, asObject, pythonTypeName, type ApiRequest } from '../drf/api.ts';
import { validationError } from '../drf/errors.ts';
import { pythonInt, lookupId } from '../drf/pagination.ts';
import { charField, collect, FieldError, isErrors, MSG, primitive, pyStr, serializerInput, SKIP, type Errors, type SerializerInput } from '../drf/fields.ts';
import * as q from './queries.ts';

export const DEVICE_TYPES = ['android', 'ios'] as const;
const TOKEN_TAKEN = 'device token with this device token already exists.';

/** Python truthiness of a request.data value. */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/**
 * The ids of `id__in=notification_ids` as Django's IntegerField.get_prep_value (int(x)) reads them.
 * Python iterates a string by characters and a dict by keys; None items are dropped. Where the
 * original raised (a scalar, a nested list, "abc") csi-chat answers 400 in DRF's shape.
 */
export function notificationIds(value: unknown): number[] | Errors {
  const fail = (m: string): Errors => ({ notification_ids: [m] });
  let items: unknown[];
  if (Array.isArray(value)) items = value;
  else if (typeof value === 'string') items = [...value];
  else if (value && typeof value === 'object') items = Object.keys(value);
  else return fail(MSG.notAList(pythonTypeName(value)));
  const ids: number[] = [];
  for (const item of items) {
    if (item === null) continue;
    if (typeof item === 'boolean') {
      ids.push(item ? 1 : 0);
      continue;
    }
    if (typeof item === 'number') {
      if (!Number.isFinite(item)) return fail(MSG.pkType('float'));
      const id = lookupId(item);
      if (id !== null) ids.push(id);
      continue;
    }
    if (typeof item === 'string') {
      const n = pythonInt(item);
      if (n === null) return fail(MSG.pkType('str'));
      const id = lookupId(n);
      if (id !== null) ids.push(id);
      continue;
    }
    return fail(MSG.pkType(pythonTypeName(item)));
  }
  return [...new Set(ids)];
}

/** PATCH mark-as-read/ {"notification_ids": [...]} — or everything unread when absent/empty. */
export const markNotificationsRead = apiView({
  name: 'Mark Notifications Read Api',
  methods: {
    async PATCH(req) {
      const data = await req.data();
      const body = data.mediaType === 'json' ? asObject(data.value) : (data.value as Record<string, unknown>);
      const raw = body.notification_ids;
      let ids: number[] | null = null;
      if (truthy(raw)) {
        const parsed = notificationIds(raw);
        if (!Array.isArray(parsed)) throw validationError(parsed);
        ids = parsed;
      }
      const updated = await q.markRead(req.ctx.db.knex, req.user!.id, ids);
      return { body: { updated } };
    },
  },
});

/** GET unread-count/ */
export const unreadNotificationCount = apiView({
  name: 'Unread Notification Count Api',
  methods: {
    async GET(req) {
      return { body: { unread_count: await q.unreadCount(req.ctx.db.knex, req.user!.id) } };
    },
  },
});

/** ChoiceField(choices=DEVICE_TYPE_CHOICES), not required (the model has a default). */
function choiceField(input: SerializerInput, name: string, choices: readonly string[]): string | typeof SKIP {
  const data = primitive(input, name, false, { required: false, allowNull: false });
  if (data === SKIP) return SKIP;
  if (data === null) throw new FieldError([MSG.null]);
  const text = typeof data === 'object' ? null : pyStr(data);
  if (text === null || !choices.includes(text)) {
    const shown = text ?? (Array.isArray(data) ? 'list' : 'dict');
    throw new FieldError([`"${shown}" is not a valid choice.`]);
  }
  return text;
}

async function validateDevice(req: ApiRequest): Promise<{ device_token: string; device_type: string }> {
  const data = await req.data();
  const raw = data.mediaType === 'multipart' ? (req.raw.body as Record<string, unknown> | undefined) : undefined;
  const input = serializerInput(data, raw);
  if (isErrors(input)) throw validationError(input);
  const knex = req.ctx.db.knex;
  const errors: Errors = {};
  const token = await collect(errors, 'device_token', () =>
    charField(input, 'device_token', false, { required: true, allowNull: false, allowBlank: false, maxLength: 255 }, async (value) =>
      (await q.deviceTokenExists(knex, value)) ? TOKEN_TAKEN : null,
    ),
  );
  const type = await collect(errors, 'device_type', () => choiceField(input, 'device_type', DEVICE_TYPES));
  if (Object.keys(errors).length) throw validationError(errors);
  return { device_token: token as string, device_type: type === SKIP ? 'android' : (type as string) };
}

/** POST register-device/ — DeviceTokenSerializer: 201 {"device_token", "device_type"}. */
export const registerDevice = apiView({
  name: 'Register Device Token',
  methods: {
    async POST(req) {
      const fields = await validateDevice(req);
      try {
        return { status: 201, body: await q.upsertDeviceToken(req.ctx.db.knex, req.user!.id, fields.device_token, fields.device_type) };
      } catch (err) {
        // Another request registered the same token between the check and the insert.
        if ((err as { code?: string })?.code === '23505') throw validationError({ device_token: [TOKEN_TAKEN] });
        throw err;
      }
    },
  },
});
