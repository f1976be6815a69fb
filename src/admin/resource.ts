// An AdminJS resource adapter on the project's own knex (Postgres and PGlite alike): each model of
// models.ts becomes a BaseResource whose rows are shown as AdminJS params and whose writes go through
// writes.ts (Django's form rules, django_admin_log, socket revocation). Loaded only with the admin.
import { BaseProperty, BaseRecord, BaseResource, Filter, NotFoundError, ValidationError, type ActionContext, type PropertyType } from 'adminjs';
import type { AppContext } from '../context.ts';
import type { MediaStorage } from '../storage/types.ts';
import type { FieldDef, ModelDef } from './models.ts';
import { countRows, getRow, getRows, listRows, m2mIds, MAX_PAGE, type FilterValue, type ListSpec } from './queries.ts';
import { createObject, deleteObject, updateObject, type FormErrors, type WriteEnv, type WriteResult } from './writes.ts';
import { adminActor } from './permissions.ts';

/** Virtual columns of the original's list_display / inline (computed per page). */
export const VIRTUAL = {
  str: '_str',
  search: 'q',
  totalMembers: 'total_members',
  contentPreview: 'content_preview',
  mentionsList: 'mentions_list',
  roomMessages: 'room_messages',
  newPassword: 'new_password',
} as const;

class KnexProperty extends BaseProperty {
  constructor(
    private readonly opts: {
      path: string;
      type: PropertyType;
      isId?: boolean;
      reference?: string;
      isArray?: boolean;
      required?: boolean;
      editable?: boolean;
      sortable?: boolean;
      choices?: ReadonlyArray<readonly [string, string]>;
    },
  ) {
    super({ path: opts.path, type: opts.type, isId: opts.isId ?? false, isSortable: opts.sortable ?? true });
  }
  override reference(): string | null {
    return this.opts.reference ?? null;
  }
  override isArray(): boolean {
    return this.opts.isArray ?? false;
  }
  override isRequired(): boolean {
    return this.opts.required ?? false;
  }
  override isEditable(): boolean {
    return this.opts.editable ?? true;
  }
  override availableValues(): string[] | null {
    return this.opts.choices ? this.opts.choices.map(([v]) => v) : null;
  }
  override isTitle(): boolean {
    return this.opts.path === VIRTUAL.str;
  }
  override isVisible(): boolean {
    return true;
  }
}

function propertyType(f: FieldDef): PropertyType {
  switch (f.kind) {
    case 'boolean':
      return 'boolean';
    case 'integer':
      return 'number';
    case 'float':
    case 'decimal':
      return 'float';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'text':
    case 'json':
      return 'textarea';
    case 'fk':
    case 'm2m':
      return 'reference';
    default:
      return 'string';
  }
}

/** Postgres timestamp text → ISO 8601 with the microseconds kept (round-trips unchanged through forms). */
function isoTimestamp(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/.exec(text);
  return m ? `${m[1]}T${m[2]}${m[3]}:${m[4] ?? '00'}` : text;
}

function rowParams(model: ModelDef, row: Record<string, unknown>, storage: MediaStorage): Record<string, unknown> {
  const params: Record<string, unknown> = { [model.pk]: row[model.pk], [VIRTUAL.str]: model.str(row) };
  for (const f of model.fields) {
    if (f.kind === 'm2m') continue;
    const v = row[f.column];
    if (f.kind === 'datetime') params[f.name] = isoTimestamp(v);
    else if (f.kind === 'json') params[f.name] = v === null || v === undefined ? null : JSON.stringify(v);
    else if (f.kind === 'file') {
      params[f.name] = v ?? null;
      params[`${f.name}__url`] = storage.url(v as string | null);
    } else params[f.name] = v ?? null;
  }
  return params;
}

export interface AdminResourceEnv extends WriteEnv {
  ctx: AppContext;
}

function validationError(errors: FormErrors): ValidationError {
  const props: Record<string, { message: string }> = {};
  for (const [k, message] of Object.entries(errors.fields)) props[k] = { message };
  return new ValidationError(props, errors.base ? { message: errors.base } : undefined);
}

function unwrap(result: WriteResult): Record<string, unknown> {
  if (result.ok) return result.row;
  if ('notFound' in result) throw new NotFoundError('Record not found', 'Action#handler');
  throw validationError(result.errors);
}

export class KnexResource extends BaseResource {
  private readonly props: KnexProperty[];

  constructor(
    readonly model: ModelDef,
    private readonly env: AdminResourceEnv,
  ) {
    super(model);
    const m = model;
    this.props = [
      new KnexProperty({ path: m.pk, type: m.pkKind === 'integer' ? 'number' : 'string', isId: true, editable: false }),
      new KnexProperty({ path: VIRTUAL.str, type: 'string', editable: false, sortable: false }),
      ...m.fields.map(
        (f) =>
          new KnexProperty({
            path: f.name,
            type: propertyType(f),
            reference: f.kind === 'fk' || f.kind === 'm2m' ? f.target : undefined,
            isArray: f.kind === 'm2m',
            required: f.required && !f.readonly,
            editable: !f.readonly,
            sortable: f.kind !== 'm2m' && f.kind !== 'json',
            choices: f.choices,
          }),
      ),
    ];
    if (m.searchFields?.length) this.props.push(new KnexProperty({ path: VIRTUAL.search, type: 'string', sortable: false }));
    if (m.key === 'Chat.room') {
      this.props.push(new KnexProperty({ path: VIRTUAL.totalMembers, type: 'number', editable: false, sortable: false }));
      this.props.push(new KnexProperty({ path: VIRTUAL.roomMessages, type: 'mixed', editable: false, sortable: false }));
    }
    if (m.key === 'Chat.message') {
      this.props.push(new KnexProperty({ path: VIRTUAL.contentPreview, type: 'string', editable: false, sortable: false }));
      this.props.push(new KnexProperty({ path: VIRTUAL.mentionsList, type: 'string', editable: false, sortable: false }));
    }
    if (m.key === 'User.user') this.props.push(new KnexProperty({ path: VIRTUAL.newPassword, type: 'password', sortable: false }));
  }

  static override isAdapterFor(): boolean {
    return false;
  }
  override databaseName(): string {
    return 'csi-chat';
  }
  override databaseType(): string {
    return 'Postgres';
  }
  override id(): string {
    return this.model.key;
  }
  override properties(): KnexProperty[] {
    return this.props;
  }
  override property(path: string): KnexProperty | null {
    return this.props.find((p) => p.path() === path) ?? null;
  }

  private field(name: string): FieldDef | undefined {
    return this.model.fields.find((f) => f.name === name);
  }

  private listSpec(filter: Filter | undefined): Pick<ListSpec, 'search' | 'filters'> {
    const spec: Pick<ListSpec, 'search' | 'filters'> = { filters: [] };
    for (const { path, value } of Object.values(filter?.filters ?? {}) as Array<{ path: string; value: unknown }>) {
      const v = value as FilterValue;
      if (typeof v !== 'string' && (typeof v !== 'object' || v === null)) continue;
      // The list's search box, and the pickers' search on the title (AdminJS's search action).
      if ((path === VIRTUAL.search || path === VIRTUAL.str) && typeof v === 'string') spec.search = v;
      else if (path === this.model.pk) spec.filters.push({ field: 'pk', value: v });
      else {
        const f = this.field(path);
        if (f) spec.filters.push({ field: f, value: v });
      }
    }
    return spec;
  }

  override async count(filter: Filter): Promise<number> {
    return countRows(this.env.ctx.db.knex, this.model, this.listSpec(filter));
  }

  override async find(
    filter: Filter,
    options: { limit?: number; offset?: number; sort?: { sortBy?: string; direction?: 'asc' | 'desc' } } = {},
  ): Promise<BaseRecord[]> {
    const sortField = options.sort?.sortBy === this.model.pk ? 'pk' : options.sort?.sortBy ? this.field(options.sort.sortBy) : undefined;
    const rows = await listRows(this.env.ctx.db.knex, this.model, {
      ...this.listSpec(filter),
      sort:
        sortField && (sortField === 'pk' || (sortField.kind !== 'm2m' && sortField.kind !== 'json'))
          ? { field: sortField, direction: options.sort?.direction === 'asc' ? 'asc' : 'desc' }
          : undefined,
      limit: Math.min(Number(options.limit) || 10, MAX_PAGE),
      offset: Number(options.offset) || 0,
    });
    return this.records(rows, false);
  }

  override async findOne(id: string): Promise<BaseRecord | null> {
    const row = await getRow(this.env.ctx.db.knex, this.model, id);
    if (!row) return null;
    return (await this.records([row], true))[0];
  }

  override async findMany(ids: Array<string | number>): Promise<BaseRecord[]> {
    return this.records(await getRows(this.env.ctx.db.knex, this.model, ids), false);
  }

  /** Rows → records, with the m2m ids (detail) and the virtual list columns. */
  private async records(rows: Array<Record<string, unknown>>, detail: boolean): Promise<BaseRecord[]> {
    const knex = this.env.ctx.db.knex;
    const ids = rows.map((r) => r[this.model.pk] as number | string);
    const params = rows.map((r) => rowParams(this.model, r, this.env.ctx.storage));
    if (detail) {
      for (const f of this.model.fields.filter((x) => x.kind === 'm2m')) {
        const byOwner = await m2mIds(knex, f, ids);
        params.forEach((p, i) => (p[f.name] = byOwner.get(String(ids[i])) ?? []));
      }
    }
    if (this.model.key === 'Chat.room' && ids.length) {
      const counts: Array<{ room_id: number; n: string | number }> = await knex('Chat_room_members')
        .whereIn('room_id', ids)
        .groupBy('room_id')
        .select('room_id')
        .count({ n: '*' });
      const byRoom = new Map(counts.map((c) => [Number(c.room_id), Number(c.n)]));
      params.forEach((p, i) => (p[VIRTUAL.totalMembers] = byRoom.get(Number(ids[i])) ?? 0));
      if (detail) params[0][VIRTUAL.roomMessages] = JSON.stringify(await roomInline(this.env.ctx, Number(ids[0])));
    }
    if (this.model.key === 'Chat.message' && ids.length) {
      const mentions: Array<{ message_id: number; email: string }> = await knex('Chat_message_mentions as m')
        .join('User_user as u', 'u.id', 'm.user_id')
        .whereIn('m.message_id', ids)
        .orderBy('m.id')
        .select('m.message_id', 'u.email');
      params.forEach((p, i) => {
        const content = rows[i].content;
        p[VIRTUAL.contentPreview] = typeof content === 'string' && content ? content.slice(0, 50) : 'No content';
        p[VIRTUAL.mentionsList] = mentions
          .filter((m) => Number(m.message_id) === Number(ids[i]))
          .map((m) => m.email)
          .join(', ');
      });
    }
    return params.map((p) => new BaseRecord(p, this));
  }

  override async create(params: Record<string, unknown>, context?: ActionContext): Promise<Record<string, unknown>> {
    const row = unwrap(await createObject(this.env, this.model, params, adminActor(context?.currentAdmin)));
    return rowParams(this.model, row, this.env.ctx.storage);
  }

  override async update(id: string, params: Record<string, unknown>, context?: ActionContext): Promise<Record<string, unknown>> {
    const row = unwrap(await updateObject(this.env, this.model, id, params, adminActor(context?.currentAdmin)));
    const record = await this.findOne(String(row[this.model.pk]));
    return record ? record.params : rowParams(this.model, row, this.env.ctx.storage);
  }

  override async delete(id: string, context?: ActionContext): Promise<void> {
    const deleted = await deleteObject(this.env, this.model, id, adminActor(context?.currentAdmin));
    if (!deleted) throw new NotFoundError('Record not found', 'Action#handler');
  }
}

/** The original's MessageInline on Room: sender, type, preview (≤ 50 chars or "No content"), time, deleted. */
async function roomInline(ctx: AppContext, roomId: number) {
  const rows: Array<{ id: number; email: string; message_type: string; content: string | null; created_at: string; is_deleted: boolean }> =
    await ctx.db
      .knex('Chat_message as m')
      .join('User_user as u', 'u.id', 'm.sender_id')
      .where('m.room_id', roomId)
      .orderBy([
        { column: 'm.created_at', order: 'desc' },
        { column: 'm.id', order: 'desc' },
      ])
      .limit(50)
      .select('m.id', 'u.email', 'm.message_type', 'm.content', 'm.created_at', 'm.is_deleted');
  return rows.map((r) => ({
    id: r.id,
    sender: r.email,
    message_type: r.message_type,
    content: r.content ? r.content.slice(0, 50) : 'No content',
    created_at: isoTimestamp(r.created_at),
    is_deleted: r.is_deleted,
  }));
}
