// The admin's SQL: generic list / count / fetch over a model definition (filters, Django-style search,
// ordering, paging), content types, permissions, django_admin_log rows and each object's history, and
// Django's delete collector (cascade / SET_NULL) derived from the schema's foreign keys.
import fs from 'node:fs';
import type { Knex } from 'knex';
import { SCHEMA_SQL_PATH } from '../db/schema.ts';
import type { Db } from '../db/sql.ts';
import { pythonDumps } from '../python/json.ts';
import type { FieldDef, ModelDef } from './models.ts';
import { maxPk, modelByKey } from './models.ts';
import { filterValue } from './forms.ts';

/** Largest page an admin list or picker answers (AdminJS caps lists at 500 too). */
export const MAX_PAGE = 500;
/** Search input bound: Django has none; ILIKE work stays linear and small. */
const MAX_SEARCH = 200;
const MAX_TERMS = 10;

export type FilterValue = string | { from?: string; to?: string };

export interface ListSpec {
  search?: string;
  filters: Array<{ field: FieldDef | 'pk'; value: FilterValue }>;
  sort?: { field: FieldDef | 'pk'; direction: 'asc' | 'desc' };
  limit: number;
  offset: number;
}

function likePattern(s: string): string {
  return `%${s.replace(/[\\%_]/g, (c) => '\\' + c)}%`;
}

/** smart_split-like: whitespace-separated terms, "quoted phrases" kept together. */
export function searchTerms(q: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(q.slice(0, MAX_SEARCH)); m && out.length < MAX_TERMS; m = re.exec(q)) {
    const t = m[1] ?? m[2] ?? m[3];
    if (t) out.push(t);
  }
  return out;
}

/** Pickers of models without search_fields search their text columns (title, name, e-mail, …). */
function defaultSearchFields(model: ModelDef): string[] {
  return model.fields
    .filter((f) => f.kind === 'string' && !f.choices)
    .slice(0, 3)
    .map((f) => f.name);
}

function applyFilters(knex: Knex, model: ModelDef, q: Knex.QueryBuilder, spec: Pick<ListSpec, 'search' | 'filters'>): Knex.QueryBuilder {
  const t = 't';
  const searchFields = model.searchFields ?? defaultSearchFields(model);
  if (spec.search && searchFields.length) {
    for (const term of searchTerms(spec.search)) {
      // No text column holds U+0000 (Postgres refuses it even in a pattern): the term matches nothing.
      if (term.includes('\u0000')) {
        q.whereRaw('false');
        continue;
      }
      const pattern = likePattern(term);
      q.where((w) => {
        for (const sf of searchFields) {
          const [first, rest] = sf.split('.');
          const f = model.fields.find((x) => x.name === first);
          if (rest && f?.kind === 'fk') {
            const target = modelByKey(f.target!)!;
            w.orWhereExists(
              knex
                .select(knex.raw('1'))
                .from(`${target.table} as s`)
                .whereRaw(`s.?? = ${t}.??`, [target.pk, f.column])
                .andWhere(`s.${rest}`, 'ilike', pattern),
            );
          } else if (f) {
            w.orWhere(`${t}.${f.column}`, 'ilike', pattern);
          }
        }
      });
    }
  }
  for (const { field, value } of spec.filters) {
    const column = field === 'pk' ? `${t}.${model.pk}` : `${t}.${field.column}`;
    const kind = field === 'pk' ? (model.pkKind === 'integer' ? 'integer' : 'string') : field.kind;
    // The value as the column holds it, or null when it cannot (out of range, not a date, U+0000, …).
    const typed = (text: string): unknown => (field === 'pk' ? pkValue(model, text) : filterValue(field, text));
    if (typeof value === 'object') {
      if (kind !== 'date' && kind !== 'datetime' && kind !== 'integer' && kind !== 'float' && kind !== 'decimal') continue;
      const from = typeof value.from === 'string' && value.from !== '' ? typed(value.from) : null;
      const to = typeof value.to === 'string' && value.to !== '' ? typed(value.to) : null;
      if (from !== null) q.where(column, '>=', from as string | number);
      if (to !== null) q.where(column, '<=', to as string | number);
      continue;
    }
    const v = value.slice(0, MAX_SEARCH);
    switch (kind) {
      case 'boolean':
        q.where(column, v === 'true');
        break;
      case 'integer':
      case 'fk':
      case 'float':
      case 'decimal': {
        const n = typed(v);
        if (n === null) q.whereRaw('false');
        else q.where(column, n as number | string);
        break;
      }
      case 'm2m': {
        const f = field as FieldDef;
        const id = typed(v);
        if (id === null) q.whereRaw('false');
        else
          q.whereExists(
            knex
              .select(knex.raw('1'))
              .from(`${f.through!.table} as m`)
              .whereRaw(`m.?? = ${t}.??`, [f.through!.own, model.pk])
              .andWhere(`m.${f.through!.other}`, id as number),
          );
        break;
      }
      case 'date':
      case 'datetime': {
        const d = typed(v);
        if (d !== null) q.where(column, '>=', d as string);
        break;
      }
      default:
        if (v.includes('\u0000')) q.whereRaw('false');
        else if (kind === 'json') q.whereRaw('??::text ilike ?', [column, likePattern(v)]);
        else if (field !== 'pk' && field.choices) q.where(column, v);
        else q.where(column, 'ilike', likePattern(v));
    }
  }
  return q;
}

export async function countRows(knex: Knex, model: ModelDef, spec: Pick<ListSpec, 'search' | 'filters'>): Promise<number> {
  const q = applyFilters(knex, model, knex(`${model.table} as t`), spec);
  const row = await q.count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

function orderColumns(model: ModelDef, spec: ListSpec): Array<{ column: string; order: 'asc' | 'desc' }> {
  const out: Array<{ column: string; order: 'asc' | 'desc' }> = [];
  if (spec.sort) {
    const f = spec.sort.field;
    out.push({ column: `t.${f === 'pk' ? model.pk : f.column}`, order: spec.sort.direction });
  } else if (model.ordering) {
    const desc = model.ordering.startsWith('-');
    const name = model.ordering.replace(/^-/, '');
    const f = model.fields.find((x) => x.name === name);
    out.push({ column: `t.${f ? f.column : name}`, order: desc ? 'desc' : 'asc' });
  }
  // Django's changelist adds "-pk" so that pages are stable.
  out.push({ column: `t.${model.pk}`, order: 'desc' });
  return out;
}

export async function listRows(knex: Knex, model: ModelDef, spec: ListSpec): Promise<Array<Record<string, unknown>>> {
  const q = applyFilters(knex, model, knex(`${model.table} as t`).select('t.*'), spec);
  q.orderBy(orderColumns(model, spec));
  return q.limit(Math.min(Math.max(spec.limit, 1), MAX_PAGE)).offset(Math.max(0, Math.min(spec.offset, 1e9)));
}

/** An id the model's pk column can hold, or null (no such row: a 404, never a SQL error). */
function pkValue(model: ModelDef, id: unknown): string | number | null {
  const text = typeof id === 'number' ? String(id) : typeof id === 'string' ? id : null;
  if (text === null) return null;
  if (model.pkKind === 'integer') return /^\d{1,15}$/.test(text) && Number(text) <= maxPk(model) ? Number(text) : null;
  return text.length > 0 && text.length <= 40 && !text.includes('\u0000') ? text : null;
}

export async function getRow(db: Db, model: ModelDef, id: unknown): Promise<Record<string, unknown> | null> {
  const pk = pkValue(model, id);
  if (pk === null) return null;
  return (await db(model.table).where(model.pk, pk).first()) ?? null;
}

export async function getRows(knex: Knex, model: ModelDef, ids: unknown[]): Promise<Array<Record<string, unknown>>> {
  const pks = ids
    .map((id) => pkValue(model, id))
    .filter((v): v is string | number => v !== null)
    .slice(0, MAX_PAGE);
  if (!pks.length) return [];
  return knex(model.table).whereIn(model.pk, pks);
}

/** The related ids of an m2m field, per owner id. */
export async function m2mIds(db: Db, f: FieldDef, ownerIds: Array<string | number>): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  if (!ownerIds.length) return out;
  const rows: Array<{ own: number; other: number }> = await db(f.through!.table)
    .whereIn(f.through!.own, ownerIds)
    .select({ own: f.through!.own, other: f.through!.other })
    .orderBy('id');
  for (const r of rows) {
    const k = String(r.own);
    const list = out.get(k);
    if (list) list.push(r.other);
    else out.set(k, [r.other]);
  }
  return out;
}

/** The ids of `ids` that exist in the target model (FK / m2m choice validation). */
export async function existingIds(db: Db, target: ModelDef, ids: number[]): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const rows: Array<{ id: number }> = await db(target.table).whereIn(target.pk, ids).select({ id: target.pk });
  return new Set(rows.map((r) => Number(r.id)));
}

/** Replaces an m2m field's rows with `ids` (Django's set()); returns the ids removed and added. */
export async function setM2m(db: Db, f: FieldDef, ownerId: number | string, ids: number[]): Promise<{ removed: number[]; added: number[] }> {
  const { table, own, other } = f.through!;
  const current = (await db(table).where(own, ownerId).select({ other })).map((r: { other: number }) => Number(r.other));
  const removed = current.filter((id) => !ids.includes(id));
  const added = ids.filter((id) => !current.includes(id));
  if (removed.length) await db(table).where(own, ownerId).whereIn(other, removed).delete();
  if (added.length) await db(table).insert(added.map((id) => ({ [own]: ownerId, [other]: id })));
  return { removed, added };
}

// ── Content types, permissions, log entries ─────────────────────────────────────────────────────────

/** ContentType.objects.get_for_model(): looked up by natural key, created when missing. */
export async function contentTypeId(db: Db, appLabel: string, model: string): Promise<number> {
  const row = await db('django_content_type').where({ app_label: appLabel, model }).first('id');
  if (row) return Number(row.id);
  await db('django_content_type').insert({ app_label: appLabel, model }).onConflict(['app_label', 'model']).ignore();
  const again = await db('django_content_type').where({ app_label: appLabel, model }).first('id');
  return Number(again.id);
}

/** ModelBackend.get_all_permissions(): "<app_label>.<codename>" granted directly or through groups. */
export async function userPermissions(knex: Knex, userId: number): Promise<Set<string>> {
  const rows: Array<{ app_label: string; codename: string }> = await knex
    .select('ct.app_label', 'p.codename')
    .from('auth_permission as p')
    .join('django_content_type as ct', 'ct.id', 'p.content_type_id')
    .where((w) =>
      w
        .whereIn('p.id', knex('User_user_user_permissions').where('user_id', userId).select('permission_id'))
        .orWhereIn(
          'p.id',
          knex('auth_group_permissions as gp')
            .join('User_user_groups as ug', 'ug.group_id', 'gp.group_id')
            .where('ug.user_id', userId)
            .select('gp.permission_id'),
        ),
    );
  return new Set(rows.map((r) => `${r.app_label}.${r.codename}`));
}

export const ADDITION = 1;
export const CHANGE = 2;
export const DELETION = 3;

export interface LogEntryInput {
  userId: number;
  contentTypeId: number;
  objectId: string;
  objectRepr: string;
  actionFlag: typeof ADDITION | typeof CHANGE | typeof DELETION;
  /** The change_message list (json.dumps'ed), or '' for deletions. */
  changeMessage: unknown[] | '';
}

/** LogEntry.objects.log_action(): object_repr truncated to 200 characters. */
export async function logAction(db: Db, e: LogEntryInput): Promise<void> {
  await db('django_admin_log').insert({
    action_time: db.fn.now(),
    user_id: e.userId,
    content_type_id: e.contentTypeId,
    object_id: e.objectId,
    object_repr: [...e.objectRepr].slice(0, 200).join(''),
    action_flag: e.actionFlag,
    change_message: e.changeMessage === '' ? '' : pythonDumps(e.changeMessage),
  });
}

export interface HistoryRow {
  action_time: string;
  user_email: string;
  action_flag: number;
  change_message: string;
}

/** history_view: the object's entries oldest first (Django pages them by 100). */
export async function objectHistory(knex: Knex, ctId: number, objectId: string, limit = 100, offset = 0): Promise<HistoryRow[]> {
  return knex('django_admin_log as l')
    .join('User_user as u', 'u.id', 'l.user_id')
    .where({ 'l.content_type_id': ctId, 'l.object_id': objectId })
    .orderBy([
      { column: 'l.action_time', order: 'asc' },
      { column: 'l.id', order: 'asc' },
    ])
    .limit(limit)
    .offset(offset)
    .select('l.action_time', 'u.email as user_email', 'l.action_flag', 'l.change_message');
}

/** The admin index's "My actions": the user's latest entries with their content type. */
export async function recentActions(
  knex: Knex,
  userId: number,
  limit: number,
): Promise<Array<{ action_flag: number; object_repr: string; model: string }>> {
  const rows: Array<{ action_flag: number; object_repr: string; app_label: string | null; model: string | null }> = await knex(
    'django_admin_log as l',
  )
    .leftJoin('django_content_type as ct', 'ct.id', 'l.content_type_id')
    .where('l.user_id', userId)
    .orderBy([
      { column: 'l.action_time', order: 'desc' },
      { column: 'l.id', order: 'desc' },
    ])
    .limit(limit)
    .select('l.action_flag', 'l.object_repr', 'ct.app_label', 'ct.model');
  return rows.map((r) => ({ action_flag: r.action_flag, object_repr: r.object_repr, model: r.model ? `${r.model} (${r.app_label})` : '' }));
}

// ── Deletion (Django's Collector) ───────────────────────────────────────────────────────────────────

export interface ForeignKey {
  table: string;
  column: string;
  target: string;
  nullable: boolean;
}

/** The foreign keys of db/schema.sql (the pg_dump of Django's schema) with the column's nullability. */
export function schemaForeignKeys(): ForeignKey[] {
  const sql = fs.readFileSync(SCHEMA_SQL_PATH, 'utf8');
  const notNull = new Set<string>();
  const tableRe = /CREATE TABLE public\.("?)([A-Za-z_]+)\1 \(\n([\s\S]*?)\n\);/g;
  for (let m = tableRe.exec(sql); m; m = tableRe.exec(sql)) {
    for (const line of m[3].split('\n')) {
      const col = /^\s*"?([a-z_]+)"?\s.*NOT NULL/.exec(line);
      if (col) notNull.add(`${m[2]}.${col[1]}`);
    }
  }
  const out: ForeignKey[] = [];
  const fkRe = /ALTER TABLE ONLY public\.("?)([A-Za-z_]+)\1\s+ADD CONSTRAINT \S+ FOREIGN KEY \((\w+)\) REFERENCES public\.("?)([A-Za-z_]+)\4\(/g;
  for (let m = fkRe.exec(sql); m; m = fkRe.exec(sql)) {
    out.push({ table: m[2], column: m[3], target: m[5], nullable: !notNull.has(`${m[2]}.${m[3]}`) });
  }
  return out;
}

/** Rows deleted per table, for the confirmation and the revocations. */
export type DeletionPlan = Map<string, number>;

/**
 * Deletes rows and, as Django's Collector does for on_delete=CASCADE, every row that points at them
 * through a NOT NULL foreign key; nullable ones are set to NULL (SET_NULL). Runs in the caller's
 * transaction; `depth` bounds pathological cycles.
 */
export async function deleteCascade(
  trx: Knex.Transaction,
  fks: ForeignKey[],
  table: string,
  pkColumn: string,
  ids: Array<string | number>,
  plan: DeletionPlan = new Map(),
  depth = 0,
): Promise<DeletionPlan> {
  if (!ids.length) return plan;
  if (depth > 8) throw new Error(`deletion of ${table} nests too deeply`);
  for (const fk of fks.filter((f) => f.target === table)) {
    if (fk.nullable) {
      await trx(fk.table)
        .whereIn(fk.column, ids)
        .update({ [fk.column]: null });
      continue;
    }
    const pk = fk.table === 'authtoken_token' ? 'key' : 'id';
    const childIds = (await trx(fk.table).whereIn(fk.column, ids).select({ pk })).map((r: { pk: string | number }) => r.pk);
    if (fk.table === table) {
      const nested = childIds.filter((c) => !ids.includes(c));
      await deleteCascade(trx, fks, fk.table, pk, nested, plan, depth + 1);
    } else {
      await deleteCascade(trx, fks, fk.table, pk, childIds, plan, depth + 1);
    }
  }
  const n = await trx(table).whereIn(pkColumn, ids).delete();
  plan.set(table, (plan.get(table) ?? 0) + n);
  return plan;
}
