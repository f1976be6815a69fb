// What Django's ModelAdmin does on add / change / delete, on the project's knex: the form cleaned
// (forms.ts) and checked against the database (related objects exist, unique and unique-together
// constraints as form errors, never a 500), the row and its m2m rows written in one transaction with
// the django_admin_log entry Django writes (docs/django-admin-notes.md "Audit rows"), uploads stored
// through MediaStorage under generated names, and, after commit, the sockets whose access the edit
// ended closed with 4003 on every process.
import type { Knex } from 'knex';
import type { AppContext } from '../context.ts';
import { makePassword, makeUnusablePassword } from '../auth/hashers.ts';
import { generateTokenKey } from '../auth/tokens.ts';
import { AdminUpload, canonical, cleanForm, MSG } from './forms.ts';
import { capfirst, modelByKey, type FieldDef, type ModelDef } from './models.ts';
import {
  ADDITION,
  CHANGE,
  contentTypeId,
  deleteCascade,
  DELETION,
  existingIds,
  getRow,
  logAction,
  m2mIds,
  setM2m,
  type ForeignKey,
} from './queries.ts';

export interface FormErrors {
  fields: Record<string, string>;
  base?: string;
}

export type WriteResult = { ok: true; row: Record<string, unknown> } | { ok: false; errors: FormErrors } | { ok: false; notFound: true };

export interface WriteEnv {
  ctx: AppContext;
  fks: ForeignKey[];
}

class FormInvalid extends Error {
  constructor(readonly errors: FormErrors) {
    super('invalid form');
  }
}

const PG_UNIQUE_VIOLATION = '23505';
const PG_FK_VIOLATION = '23503';

function uniqueMessage(model: ModelDef, fields: FieldDef[]): string {
  const labels = fields.map((f) => capfirst(f.verbose));
  const list = labels.length > 1 ? `${labels.slice(0, -1).join(', ')} and ${labels[labels.length - 1]}` : labels[0];
  return `${capfirst(model.verbose)} with this ${list} already exists.`;
}

/** validate_unique() and related-object checks, before writing. */
async function validateAgainstDb(
  trx: Knex.Transaction,
  model: ModelDef,
  columns: Record<string, unknown>,
  m2m: Map<string, number[]>,
  existing: Record<string, unknown> | null,
): Promise<void> {
  const errors: Record<string, string> = {};
  for (const f of model.fields) {
    if (f.kind === 'fk' && columns[f.column] !== undefined && columns[f.column] !== null) {
      const target = modelByKey(f.target!)!;
      const found = await existingIds(trx, target, [columns[f.column] as number]);
      if (!found.size) errors[f.name] = MSG.fkChoice;
    }
    if (f.kind === 'm2m' && m2m.has(f.name)) {
      const ids = m2m.get(f.name)!;
      const found = await existingIds(trx, modelByKey(f.target!)!, ids);
      const missing = ids.find((id) => !found.has(id));
      if (missing !== undefined) errors[f.name] = MSG.choice(String(missing));
    }
  }
  for (const f of model.fields) {
    if (!f.unique || errors[f.name]) continue;
    const value = columns[f.column] ?? existing?.[f.column];
    if (value === undefined || value === null) continue;
    const q = trx(model.table).where(f.column, value as string);
    if (existing) q.whereNot(model.pk, existing[model.pk] as string);
    if (await q.first(model.pk)) errors[f.name] = uniqueMessage(model, [f]);
  }
  let base: string | undefined;
  for (const group of model.uniqueTogether ?? []) {
    const fields = group.map((n) => model.fields.find((f) => f.name === n)!);
    if (fields.some((f) => errors[f.name])) continue;
    const values = fields.map((f) => columns[f.column] ?? existing?.[f.column]);
    if (values.some((v) => v === undefined || v === null)) continue;
    const q = trx(model.table);
    fields.forEach((f, i) => q.where(f.column, values[i] as string));
    if (existing) q.whereNot(model.pk, existing[model.pk] as string);
    if (await q.first(model.pk)) base = uniqueMessage(model, fields);
  }
  if (Object.keys(errors).length || base) throw new FormInvalid({ fields: errors, base });
}

/** A race lost between the check and the write still answers a form error. */
function constraintError(model: ModelDef, err: unknown): FormErrors | null {
  const e = err as { code?: string; constraint?: string };
  if (e.code === PG_UNIQUE_VIOLATION) {
    const f = model.fields.find((x) => x.unique && e.constraint?.includes(`_${x.column}_`)) ?? model.fields.find((x) => x.unique);
    return f ? { fields: { [f.name]: uniqueMessage(model, [f]) } } : { fields: {}, base: `${capfirst(model.verbose)} already exists.` };
  }
  if (e.code === PG_FK_VIOLATION) return { fields: {}, base: MSG.fkChoice };
  return null;
}

async function storeUploads(
  env: WriteEnv,
  model: ModelDef,
  uploads: Map<string, AdminUpload>,
  columns: Record<string, unknown>,
  stored: string[],
): Promise<void> {
  for (const [name, up] of uploads) {
    const f = model.fields.find((x) => x.name === name)!;
    // The client's file name only contributes a sanitised extension (LocalStorage) or nothing
    // (Cloudinary picks the public id): no path from the client reaches the disk.
    const value = await env.ctx.storage.save(
      { buffer: up.buffer, filename: up.originalname, mimetype: up.mimetype },
      { folder: f.folder, resourceType: 'auto' },
    );
    stored.push(value);
    columns[f.column] = value;
  }
}

async function discard(env: WriteEnv, stored: string[]): Promise<void> {
  for (const s of stored) await env.ctx.storage.remove?.(s).catch(() => undefined);
}

function nowIso(): string {
  return new Date().toISOString();
}

/** Sockets to close once the change is committed. */
type Revocation = { users: number[]; room: number | null };

async function roomMembers(db: Knex | Knex.Transaction, roomId: number): Promise<number[]> {
  return (await db('Chat_room_members').where('room_id', roomId).select('user_id')).map((r: { user_id: number }) => Number(r.user_id));
}

async function runRevocations(env: WriteEnv, list: Revocation[]): Promise<void> {
  for (const r of list) if (r.users.length) await env.ctx.sessions.revoke([...new Set(r.users)], r.room);
}

export interface Actor {
  userId: number;
}

/** ModelAdmin add_view POST. */
export async function createObject(env: WriteEnv, model: ModelDef, payload: Record<string, unknown>, actor: Actor): Promise<WriteResult> {
  const cleaned = cleanForm(model, payload, true);
  if (Object.keys(cleaned.errors).length) return { ok: false, errors: { fields: cleaned.errors } };
  const columns = cleaned.columns;
  for (const f of model.fields) {
    if (f.autoNow) columns[f.column] = nowIso();
  }
  if (model.createdByAdmin) columns[`${model.createdByAdmin}_id`] = actor.userId;
  if (model.key === 'User.user') {
    const pw = typeof payload.new_password === 'string' ? payload.new_password : '';
    columns.password = pw ? await makePassword(pw) : makeUnusablePassword();
  }
  if (model.key === 'authtoken.tokenproxy') columns.key = generateTokenKey();
  const stored: string[] = [];
  try {
    await storeUploads(env, model, cleaned.uploads, columns, stored);
    const row = await env.ctx.db.knex.transaction(async (trx) => {
      await validateAgainstDb(trx, model, columns, cleaned.m2m, null);
      const [inserted] = await trx(model.table).insert(columns).returning('*');
      const pk = inserted[model.pk] as number | string;
      for (const [name, ids] of cleaned.m2m)
        await setM2m(
          trx,
          model.fields.find((f) => f.name === name)!,
          pk,
          ids,
        );
      await logAction(trx, {
        userId: actor.userId,
        contentTypeId: await contentTypeId(trx, model.appLabel, model.model),
        objectId: String(pk),
        objectRepr: model.str(inserted),
        actionFlag: ADDITION,
        changeMessage: [{ added: {} }],
      });
      return inserted as Record<string, unknown>;
    });
    return { ok: true, row };
  } catch (err) {
    await discard(env, stored);
    if (err instanceof FormInvalid) return { ok: false, errors: err.errors };
    const known = constraintError(model, err);
    if (known) return { ok: false, errors: known };
    throw err;
  }
}

/** ModelAdmin change_view POST: only the fields the form carried change; the log lists changed_data. */
export async function updateObject(
  env: WriteEnv,
  model: ModelDef,
  id: unknown,
  payload: Record<string, unknown>,
  actor: Actor,
): Promise<WriteResult> {
  const cleaned = cleanForm(model, payload, false);
  if (Object.keys(cleaned.errors).length) return { ok: false, errors: { fields: cleaned.errors } };
  const stored: string[] = [];
  const revocations: Revocation[] = [];
  try {
    await storeUploads(env, model, cleaned.uploads, cleaned.columns, stored);
    const result = await env.ctx.db.knex.transaction(async (trx): Promise<WriteResult> => {
      const before = await getRow(trx, model, id);
      if (!before) return { ok: false, notFound: true };
      const pk = before[model.pk] as number | string;
      // A file field's text is the form echoing the current value back: any other text is ignored, as
      // Django's file inputs are (only an upload or "clear" changes it; no client-chosen path is stored).
      for (const f of model.fields) {
        const v = cleaned.columns[f.column];
        if (f.kind === 'file' && !cleaned.uploads.has(f.name) && typeof v === 'string' && v !== before[f.column]) delete cleaned.columns[f.column];
      }
      await validateAgainstDb(trx, model, cleaned.columns, cleaned.m2m, before);
      const changed: string[] = [];
      const previousM2m = new Map<string, number[]>();
      for (const f of model.fields) {
        if (f.kind === 'm2m') {
          if (!cleaned.m2m.has(f.name)) continue;
          const old = (await m2mIds(trx, f, [pk])).get(String(pk)) ?? [];
          previousM2m.set(f.name, old);
          if (canonical(f, old) !== canonical(f, cleaned.m2m.get(f.name))) changed.push(f.name);
        } else if (cleaned.columns[f.column] !== undefined && canonical(f, before[f.column]) !== canonical(f, cleaned.columns[f.column])) {
          changed.push(f.name);
        }
      }
      const columns: Record<string, unknown> = {};
      for (const f of model.fields) {
        if (changed.includes(f.name) && f.kind !== 'm2m') columns[f.column] = cleaned.columns[f.column];
        // Model.save() writes every column; auto_now ones get the time of the save.
        if (f.autoNow === 'always') columns[f.column] = nowIso();
      }
      let after = before;
      if (Object.keys(columns).length) [after] = await trx(model.table).where(model.pk, pk).update(columns).returning('*');
      for (const name of changed) {
        const f = model.fields.find((x) => x.name === name)!;
        if (f.kind !== 'm2m') continue;
        const { removed } = await setM2m(trx, f, pk, cleaned.m2m.get(name)!);
        if (model.key === 'Chat.room' && name === 'members' && removed.length) revocations.push({ users: removed, room: Number(pk) });
      }
      if (model.key === 'Chat.room' && before.is_active === true && after.is_active === false) {
        revocations.push({ users: [...(previousM2m.get('members') ?? []), ...(await roomMembers(trx, Number(pk)))], room: Number(pk) });
      }
      if (model.key === 'User.user' && before.is_active === true && after.is_active === false) revocations.push({ users: [Number(pk)], room: null });
      await logAction(trx, {
        userId: actor.userId,
        contentTypeId: await contentTypeId(trx, model.appLabel, model.model),
        objectId: String(pk),
        objectRepr: model.str(after),
        actionFlag: CHANGE,
        changeMessage: changed.length ? [{ changed: { fields: changed.map((n) => capfirst(model.fields.find((f) => f.name === n)!.verbose)) } }] : [],
      });
      return { ok: true, row: after };
    });
    if (!result.ok) await discard(env, stored);
    else await runRevocations(env, revocations);
    return result;
  } catch (err) {
    await discard(env, stored);
    if (err instanceof FormInvalid) return { ok: false, errors: err.errors };
    const known = constraintError(model, err);
    if (known) return { ok: false, errors: known };
    throw err;
  }
}

/** delete_view POST: the object, what cascades from it, and the log entry (empty change message). */
export async function deleteObject(env: WriteEnv, model: ModelDef, id: unknown, actor: Actor): Promise<boolean> {
  const revocations: Revocation[] = [];
  const deleted = await env.ctx.db.knex.transaction(async (trx) => {
    const row = await getRow(trx, model, id);
    if (!row) return false;
    const pk = row[model.pk] as number | string;
    if (model.key === 'Chat.room') revocations.push({ users: await roomMembers(trx, Number(pk)), room: Number(pk) });
    if (model.key === 'User.user') revocations.push({ users: [Number(pk)], room: null });
    if (model.key === 'authtoken.tokenproxy') revocations.push({ users: [Number(row.user_id)], room: null });
    // The log entry first: deleting a user cascades to their own log entries (LogEntry.user CASCADE).
    await logAction(trx, {
      userId: actor.userId,
      contentTypeId: await contentTypeId(trx, model.appLabel, model.model),
      objectId: String(pk),
      objectRepr: model.str(row),
      actionFlag: DELETION,
      changeMessage: '',
    });
    await deleteCascade(trx, env.fks, model.table, model.pk, [pk]);
    return true;
  });
  if (deleted) await runRevocations(env, revocations);
  return deleted;
}

const PASSWORD_MISMATCH = 'The two password fields didn’t match.';

/**
 * UserAdmin.user_change_password (AdminPasswordChangeForm): both entries required and equal, the
 * pbkdf2_sha256 hash written, logged as a change of "password". Every session of the user ends with the
 * old hash (_auth_user_hash); the acting admin's own session is kept by the caller.
 */
export async function setUserPassword(env: WriteEnv, id: unknown, password1: unknown, password2: unknown, actor: Actor): Promise<WriteResult> {
  const model = modelByKey('User.user')!;
  const fields: Record<string, string> = {};
  const p1 = typeof password1 === 'string' ? password1 : '';
  const p2 = typeof password2 === 'string' ? password2 : '';
  if (!p1) fields.password1 = MSG.required;
  if (!p2) fields.password2 = MSG.required;
  if (p1 && p2 && p1 !== p2) fields.password2 = PASSWORD_MISMATCH;
  if (p1.length > 4096) fields.password1 = MSG.maxLength(4096, p1.length);
  if (Object.keys(fields).length) return { ok: false, errors: { fields } };
  const hash = await makePassword(p1);
  return env.ctx.db.knex.transaction(async (trx): Promise<WriteResult> => {
    const row = await getRow(trx, model, id);
    if (!row) return { ok: false, notFound: true };
    const [after] = await trx(model.table)
      .where('id', row.id as number)
      .update({ password: hash })
      .returning('*');
    await logAction(trx, {
      userId: actor.userId,
      contentTypeId: await contentTypeId(trx, model.appLabel, model.model),
      objectId: String(row.id),
      objectRepr: model.str(after),
      actionFlag: CHANGE,
      changeMessage: [{ changed: { fields: ['password'] } }],
    });
    return { ok: true, row: after };
  });
}
