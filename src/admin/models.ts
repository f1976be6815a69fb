// The models the original registers in its admin (docs/django-admin-notes.md "Models registered"), as
// data: table, Django app label and model name (content types and permission codenames are looked up
// by them), fields with the form rules Django derives from the model (required, max_length, choices,
// unique), relations, and the ModelAdmin options the original declares (Room and Message in full).
// `str` is the model's __str__ (object_repr of django_admin_log rows); only Room's (name) and Domain's
// (choice label) are recorded; the others follow the model's obvious title field.
import { BRANCH_CHOICES, GENDER_CHOICES, STUDENT_YEAR_CHOICES } from '../user/validation.ts';
import { RELATED_TO_DISPLAY } from '../homepage/serializers.ts';

export type FieldKind =
  | 'string' // CharField (max_length) / EmailField / URLField / SlugField
  | 'text' // TextField
  | 'boolean'
  | 'integer'
  | 'float'
  | 'decimal'
  | 'date'
  | 'datetime'
  | 'json'
  | 'file' // CloudinaryField / FileField: a stored name, uploads through MediaStorage
  | 'fk'
  | 'm2m';

export interface FieldDef {
  name: string;
  /** DB column (FKs: <name>_id). */
  column: string;
  kind: FieldKind;
  /** verbose_name (Django's default: the name with spaces). */
  verbose: string;
  /** blank=False: the form requires a value. */
  required: boolean;
  /** null=True: an empty value is stored as NULL (else ''). */
  nullable: boolean;
  maxLength?: number;
  choices?: ReadonlyArray<readonly [string, string]>;
  unique?: boolean;
  /** auto_now / auto_now_add / editable=False / ModelAdmin.readonly_fields: never written by the form. */
  readonly?: boolean;
  autoNow?: 'add' | 'always';
  /** Value for a new row when the form leaves the field out. */
  default?: unknown;
  /** fk / m2m target model key (app_label.model). */
  target?: string;
  /** m2m: the through table and its two columns. */
  through?: { table: string; own: string; other: string };
  /** decimal(max_digits, decimal_places) */
  digits?: [number, number];
  /** EmailField / URLField validation. */
  format?: 'email' | 'url';
  /** Positive integers only (PositiveIntegerField). */
  min?: number;
  /** Upload folder for file fields. */
  folder?: string;
}

export interface ModelDef {
  /** "<app_label>.<model>", the AdminJS resource id and the content type's natural key. */
  key: string;
  appLabel: string;
  model: string;
  table: string;
  /** Primary key column ("id", or "key" for tokens). */
  pk: string;
  pkKind: 'integer' | 'string';
  /** The integer primary key is a 32-bit `integer` column (AutoField), not a `bigint` (BigAutoField). */
  int4Pk?: boolean;
  verbose: string;
  verbosePlural: string;
  fields: FieldDef[];
  /** ModelAdmin.list_display (field names or virtual column names). */
  listDisplay?: string[];
  searchFields?: string[];
  listFilter?: string[];
  /** ModelAdmin.ordering (a leading "-" is descending). */
  ordering?: string;
  /** __str__ of a row (all columns selected). */
  str: (row: Record<string, unknown>) => string;
  /** Extra unique-together constraints (each list of field names). */
  uniqueTogether?: string[][];
  /** The add form sets this FK to the admin user (Room.created_by = request.user). */
  createdByAdmin?: string;
}

type FieldOpts = Partial<Omit<FieldDef, 'name' | 'kind'>>;

function field(name: string, kind: FieldKind, opts: FieldOpts = {}): FieldDef {
  const isFk = kind === 'fk';
  const nullable = opts.nullable ?? false;
  return {
    name,
    kind,
    column: opts.column ?? (isFk ? `${name}_id` : name),
    verbose: opts.verbose ?? name.replace(/_/g, ' '),
    required: opts.required ?? (kind === 'boolean' || kind === 'm2m' ? false : !nullable && opts.default === undefined),
    nullable,
    ...opts,
  };
}

const str = (name: string, maxLength: number, opts: FieldOpts = {}) => field(name, 'string', { maxLength, ...opts });
const text = (name: string, opts: FieldOpts = {}) => field(name, 'text', opts);
const bool = (name: string, dflt: boolean) => field(name, 'boolean', { default: dflt });
const dt = (name: string, opts: FieldOpts = {}) => field(name, 'datetime', opts);
const created = (name = 'created_at') => dt(name, { readonly: true, autoNow: 'add' });
const updated = (name = 'updated_at') => dt(name, { readonly: true, autoNow: 'always' });
const fk = (name: string, target: string, opts: FieldOpts = {}) => field(name, 'fk', { target, ...opts });
const m2m = (name: string, target: string, table: string, own: string, other: string, opts: FieldOpts = {}) =>
  field(name, 'm2m', { target, through: { table, own, other }, column: '', ...opts });
const file = (name: string, folder: string, opts: FieldOpts = {}) => field(name, 'file', { maxLength: 255, folder, ...opts });
const url = (name: string) => str(name, 200, { nullable: true, format: 'url' });
const pairs = (values: readonly string[]) => values.map((v) => [v, v] as const);
const byId = (label: string) => (row: Record<string, unknown>) => `${label} object (${String(row.id)})`;
const text50 = (v: unknown) => (typeof v === 'string' ? (v.length > 50 ? v.slice(0, 50) + '...' : v) : '');

/** Domain.name choices; only FULL_STACK's label is recorded ("Full Stack Development"). */
const DOMAIN_CHOICES = [
  ['BACKEND', 'Backend Development'],
  ['FRONTEND', 'Frontend Development'],
  ['APP_DEV', 'App Development'],
  ['ML', 'Machine Learning'],
  ['FULL_STACK', 'Full Stack Development'],
] as const;

const USER = 'User.user';

export const MODELS: ModelDef[] = [
  {
    key: USER,
    appLabel: 'User',
    model: 'user',
    table: 'User_user',
    pk: 'id',
    pkKind: 'integer',
    verbose: 'user',
    verbosePlural: 'users',
    fields: [
      dt('last_login', { nullable: true }),
      bool('is_superuser', false),
      str('email', 254, { unique: true, format: 'email', verbose: 'email' }),
      str('first_name', 50),
      str('last_name', 50, { nullable: true }),
      file('photo', 'profile_photos', { nullable: true }),
      url('linkedin_url'),
      url('insta_url'),
      url('github_url'),
      str('role', 10, { default: 'member' }),
      text('bio', { nullable: true }),
      str('year', 10),
      str('status', 10, { default: 'active' }),
      bool('is_staff', false),
      bool('is_active', true),
      created(),
      updated(),
      fk('domain', 'Domain.domain', { nullable: true }),
      bool('is_verified', false),
      dt('last_seen', { nullable: true }),
      text('achievements', { nullable: true }),
      str('branch', 10, { nullable: true }),
      field('dob', 'date', { nullable: true }),
      bool('is_completed', false),
      bool('hosteller', false),
      m2m('groups', 'auth.group', 'User_user_groups', 'user_id', 'group_id'),
      m2m('user_permissions', 'auth.permission', 'User_user_user_permissions', 'user_id', 'permission_id', { verbose: 'user permissions' }),
    ],
    listDisplay: ['email'],
    searchFields: ['email', 'first_name', 'last_name'],
    str: (r) => String(r.email),
  },
  {
    key: 'User.studentprofile',
    appLabel: 'User',
    model: 'studentprofile',
    table: 'User_studentprofile',
    pk: 'id',
    pkKind: 'integer',
    verbose: 'student profile',
    verbosePlural: 'student profiles',
    fields: [
      str('student_number', 50, { unique: true }),
      str('branch', 20, { nullable: true, choices: pairs(BRANCH_CHOICES) }),
      str('gender', 10, { nullable: true, choices: pairs(GENDER_CHOICES) }),
      bool('hosteller', false),
      str('year', 10, { choices: pairs(STUDENT_YEAR_CHOICES) }),
      fk('user', USER, { unique: true }),
    ],
    str: (r) => String(r.student_number),
  },
  {
    key: 'Chat.room',
    appLabel: 'Chat',
    model: 'room',
    table: 'Chat_room',
    pk: 'id',
    pkKind: 'integer',
    verbose: 'room',
    verbosePlural: 'rooms',
    fields: [
      str('name', 50, { unique: true }),
      text('description', { nullable: true }),
      file('room_avatar', 'room_avatars', { nullable: true }),
      created(),
      updated(),
      bool('is_active', true),
      fk('created_by', USER, { readonly: true }),
      m2m('members', USER, 'Chat_room_members', 'room_id', 'user_id'),
    ],
    listDisplay: ['name', 'description', 'total_members', 'is_active', 'created_at', 'updated_at', 'created_by'],
    searchFields: ['name', 'description'],
    listFilter: ['is_active', 'created_at'],
    ordering: '-created_at',
    createdByAdmin: 'created_by',
    str: (r) => String(r.name),
  },
  {
    key: 'Chat.message',
    appLabel: 'Chat',
    model: 'message',
    table: 'Chat_message',
    pk: 'id',
    pkKind: 'integer',
    int4Pk: true,
    verbose: 'message',
    verbosePlural: 'messages',
    fields: [
      str('message_type', 20, { default: 'text' }),
      text('content', { nullable: true }),
      file('attachment', 'chat_attachments', { nullable: true }),
      field('reactions', 'json', { nullable: true }),
      bool('is_deleted', false),
      bool('is_edited', false),
      field('status', 'json', { default: {} }),
      created(),
      updated(),
      fk('parent_message', 'Chat.message', { nullable: true }),
      fk('sender', USER),
      fk('room', 'Chat.room'),
      bool('is_pinned', false),
      dt('pinned_at', { nullable: true }),
      m2m('mentions', USER, 'Chat_message_mentions', 'message_id', 'user_id'),
    ],
    listDisplay: [
      'room',
      'sender',
      'message_type',
      'content_preview',
      'mentions_list',
      'parent_message',
      'is_deleted',
      'is_edited',
      'attachment',
      'created_at',
      'reactions',
    ],
    searchFields: ['content', 'room.name'],
    listFilter: ['room', 'message_type', 'is_deleted', 'created_at'],
    ordering: '-created_at',
    str: (r) => `${String(r.message_type)}: ${text50(r.content) || 'No content'}`,
  },
  {
    key: 'Chat.userroomstatus',
    appLabel: 'Chat',
    model: 'userroomstatus',
    table: 'Chat_userroomstatus',
    pk: 'id',
    pkKind: 'integer',
    verbose: 'user room status',
    verbosePlural: 'user room statuss',
    fields: [dt('last_read', { nullable: true }), fk('room', 'Chat.room'), fk('user', USER)],
    uniqueTogether: [['user', 'room']],
    str: byId('UserRoomStatus'),
  },
  {
    key: 'Event.event',
    appLabel: 'Event',
    model: 'event',
    table: 'Event_event',
    pk: 'id',
    pkKind: 'integer',
    verbose: 'event',
    verbosePlural: 'events',
    fields: [
      str('title', 255),
      text('description'),
      text('guidelines', { nullable: true }),
      str('venue', 255, { nullable: true }),
      dt('registration_start_date', { nullable: true }),
      dt('registration_end_date', { nullable: true }),
      dt('event_date', { nullable: true }),
      file('poster', 'event_posters', { nullable: true }),
      str('status', 20, {
        choices: [
          ['upcoming', 'Upcoming'],
          ['ongoing', 'Ongoing'],
          ['previous', 'Previous'],
        ],
        default: 'upcoming',
      }),
      created(),
      updated(),
      bool('is_registrations_open', false),
      bool('payment_required', false),
      field('amount', 'decimal', { nullable: true, digits: [10, 2] }),
      m2m('gallery', 'Media.mediafile', 'Event_event_gallery', 'event_id', 'mediafile_id'),
    ],
    str: (r) => String(r.title),
  },
  {
    key: 'Task.task',
    appLabel: 'Task',
    model: 'task',
    table: 'Task_task',
    pk: 'id',
    pkKind: 'integer',
    verbose: 'task',
    verbosePlural: 'tasks',
    fields: [
      str('title', 255),
      text('description', { nullable: true }),
      field('start_date', 'date'),
      field('end_date', 'date'),
      str('status', 50, { default: 'pending' }),
      created(),
      updated(),
      field('current_progress', 'integer', { default: 0 }),
      file('attachment', 'task_attachments', { nullable: true }),
      url('info_url'),
      fk('assigned_by', USER),
    ],
    str: (r) => String(r.title),
  },
  {
    key: 'Task.group',
    appLabel: 'Task',
    model: 'group',
    table: 'Task_group',
    pk: 'id',
    pkKind: 'integer',
    verbose: 'group',
    verbosePlural: 'groups',
    fields: [str('name', 255), fk('task', 'Task.task'), m2m('members', USER, 'Task_group_members', 'group_id', 'user_id')],
    str: (r) => String(r.name),
  },
  {
    key: 'Announcement.announcement',
    appLabel: 'Announcement',
    model: 'announcement',
    table: 'Announcement_announcement',
    pk: 'id',
    pkKind: 'integer',
    verbose: 'announcement',
    verbosePlural: 'announcements',
    fields: [
      text('message'),
      str('related_to', 1, { choices: Object.entries(RELATED_TO_DISPLAY) }),
      created(),
      updated(),
      fk('sender', USER),
      m2m('receivers', USER, 'Announcement_announcement_receivers', 'announcement_id', 'user_id'),
    ],
    str: (r) => text50(r.message),
  },
  {
    key: 'Attendance.attendance',
    appLabel: 'Attendance',
    model: 'attendance',
    table: 'Attendance_attendance',
    pk: 'id',
    pkKind: 'integer',
    verbose: 'attendance',
    verbosePlural: 'attendances',
    fields: [
      field('date', 'date'),
      dt('check_in_time', { nullable: true }),
      field('check_in_latitude', 'float'),
      field('check_in_longitude', 'float'),
      bool('check_in_within_range', false),
      dt('check_out_time', { nullable: true }),
      field('check_out_latitude', 'float', { nullable: true }),
      field('check_out_longitude', 'float', { nullable: true }),
      bool('check_out_within_range', false),
      fk('user', USER),
    ],
    uniqueTogether: [['user', 'date']],
    str: byId('Attendance'),
  },
  {
    key: 'Domain.domain',
    appLabel: 'Domain',
    model: 'domain',
    table: 'Domain_domain',
    pk: 'id',
    pkKind: 'integer',
    verbose: 'domain',
    verbosePlural: 'domains',
    fields: [
      str('name', 20, { unique: true, choices: DOMAIN_CHOICES }),
      text('description'),
      file('image', 'domain_images', { nullable: true }),
      text('goals', { nullable: true }),
    ],
    // get_name_display()
    str: (r) => DOMAIN_CHOICES.find(([v]) => v === r.name)?.[1] ?? String(r.name),
  },
  {
    key: 'Notification.notification',
    appLabel: 'Notification',
    model: 'notification',
    table: 'Notification_notification',
    pk: 'id',
    pkKind: 'integer',
    verbose: 'notification',
    verbosePlural: 'notifications',
    fields: [text('message'), created(), str('event_type', 50), fk('user', USER), bool('is_read', false), updated(), url('url')],
    str: (r) => text50(r.message),
  },
  {
    key: 'Notification.devicetoken',
    appLabel: 'Notification',
    model: 'devicetoken',
    table: 'Notification_devicetoken',
    pk: 'id',
    pkKind: 'integer',
    verbose: 'device token',
    verbosePlural: 'device tokens',
    fields: [
      str('device_token', 255, { unique: true }),
      str('device_type', 10, {
        choices: [
          ['android', 'Android'],
          ['ios', 'iOS'],
        ],
        default: 'android',
      }),
      created(),
      updated(),
      fk('user', USER),
    ],
    str: (r) => String(r.device_token),
  },
  {
    key: 'Media.mediafile',
    appLabel: 'Media',
    model: 'mediafile',
    table: 'Media_mediafile',
    pk: 'id',
    pkKind: 'integer',
    verbose: 'media file',
    verbosePlural: 'media files',
    fields: [
      file('file', 'media_files'),
      created('uploaded_at'),
      str('file_type', 50, { nullable: true }),
      str('title', 255, { nullable: true }),
      field('file_size', 'integer', { nullable: true, min: 0 }),
    ],
    str: (r) => String(r.title ?? r.file),
  },
  {
    key: 'auth.group',
    appLabel: 'auth',
    model: 'group',
    table: 'auth_group',
    pk: 'id',
    pkKind: 'integer',
    int4Pk: true,
    verbose: 'group',
    verbosePlural: 'groups',
    fields: [str('name', 150, { unique: true }), m2m('permissions', 'auth.permission', 'auth_group_permissions', 'group_id', 'permission_id')],
    searchFields: ['name'],
    ordering: 'name',
    str: (r) => String(r.name),
  },
  {
    // DRF registers TokenAdmin for TokenProxy: list key, user, created; the form has only the user.
    key: 'authtoken.tokenproxy',
    appLabel: 'authtoken',
    model: 'tokenproxy',
    table: 'authtoken_token',
    pk: 'key',
    pkKind: 'string',
    verbose: 'Token',
    verbosePlural: 'Tokens',
    fields: [fk('user', USER, { unique: true }), created('created')],
    listDisplay: ['key', 'user', 'created'],
    ordering: '-created',
    str: (r) => String(r.key),
  },
];

/** Read-only lookup targets of pickers that the original does not register (permissions). */
export const PERMISSION_MODEL: ModelDef = {
  key: 'auth.permission',
  appLabel: 'auth',
  model: 'permission',
  table: 'auth_permission',
  pk: 'id',
  pkKind: 'integer',
  int4Pk: true,
  verbose: 'permission',
  verbosePlural: 'permissions',
  fields: [str('name', 255), str('codename', 100)],
  searchFields: ['name', 'codename'],
  ordering: 'id',
  str: (r) => String(r.name),
};

/** The largest value an `integer` column holds (IntegerField, AutoField). */
export const INT4_MAX = 2147483647;

/** The largest primary key the model's id column holds (ids beyond it exist nowhere: a 404, never a SQL error). */
export function maxPk(model: Pick<ModelDef, 'int4Pk'>): number {
  return model.int4Pk ? INT4_MAX : Number.MAX_SAFE_INTEGER;
}

export function modelByKey(key: string): ModelDef | undefined {
  return key === PERMISSION_MODEL.key ? PERMISSION_MODEL : MODELS.find((m) => m.key === key);
}

/** capfirst(verbose_name), as Django's admin labels fields and writes change messages. */
export function capfirst(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}
