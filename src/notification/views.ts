// The original's Notification/urls.py under /api/notifications/ (issue #7): MarkNotificationsReadAPIView,
// UnreadNotificationCountAPIView, RegisterDeviceTokenView (DeviceTokenSerializer).
import type { Knex } from 'knex';
import { apiView, asObject } from '../drf/api.ts';
import { validationError } from '../drf/errors.ts';
import { char, choice, MSG, readInput, type Errors } from '../drf/fields/index.ts';
import { serializer } from '../drf/serializer.ts';
import { isTruthy, pythonInt, pythonTypeName, lookupId } from '../python/builtins.ts';
import * as q from './queries.ts';

export const DEVICE_TYPES = ['android', 'ios'] as const;
const TOKEN_TAKEN = 'device token with this device token already exists.';

/**
 * The ids of `id__in=notification_ids` as Django's IntegerField.get_prep_value (int(x)) reads them.
 * Python iterates a string by characters and a dict by keys; None items are dropped. Where the
 * original raised (a scalar, a nested list, "abc") csi-chat answers 400 in DRF's shape.
 */
function notificationIds(value: unknown): number[] | Errors {
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
      if (isTruthy(raw)) {
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

/** DeviceTokenSerializer: device_token unique (the model's unique=True → UniqueValidator), device_type a
 * ChoiceField that is not required (the model has a default). */
function deviceSerializer(knex: Knex) {
  return serializer({
    device_token: char({ maxLength: 255, validators: [async (value: string) => ((await q.deviceTokenExists(knex, value)) ? TOKEN_TAKEN : null)] }),
    device_type: choice({ choices: DEVICE_TYPES, required: false }),
  });
}

/** POST register-device/ — DeviceTokenSerializer: 201 {"device_token", "device_type"}. */
export const registerDevice = apiView({
  name: 'Register Device Token',
  methods: {
    async POST(req) {
      const fields = await deviceSerializer(req.ctx.db.knex).validate(await readInput(req));
      try {
        return { status: 201, body: await q.upsertDeviceToken(req.ctx.db.knex, req.user!.id, fields.device_token, fields.device_type ?? 'android') };
      } catch (err) {
        // Another request registered the same token between the check and the insert.
        if ((err as { code?: string })?.code === '23505') throw validationError({ device_token: [TOKEN_TAKEN] });
        throw err;
      }
    },
  },
});
