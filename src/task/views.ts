// The six views of the original's Task/urls.py (TaskCreateAPIView, EditTaskAPIView, DeleteTaskAPIView,
// TaskListAPIView, UserTasksAPIView, TaskNamesListAPIView): same statuses and bodies. Create and edit
// take form or multipart bodies only (parser_classes), with `groups` as a JSON string.
import type { ApiRequest, UploadedFile } from '../drf/api.ts';
import { apiView, hasBody } from '../drf/api.ts';
import { ApiError, jsonError } from '../drf/errors.ts';
import { nowTimestamp } from '../drf/datetime.ts';
import { parsePythonJson } from '../python/jsonDecode.ts';
import { lookupId } from '../python/builtins.ts';
import type { UserRow } from '../auth/tokens.ts';
import { insertNotifications, publishNotifications } from '../notification/service.ts';
import { dictInput } from '../drf/fields/index.ts';
import * as q from './queries.ts';
import { bucketTasks, kolkataToday, serializeTask, taskSchema, type TaskSerializeContext } from './serializers.ts';
import {
  anyOf,
  arrayOf,
  bodyOf,
  errorBody,
  fieldErrorsBody,
  inputSchemaOf,
  json,
  messageBody,
  obj,
  partialBody,
  STORAGE_FAILED,
  T,
} from '../drf/openapi.ts';

/** TaskSerializer's input (groups as a JSON text in a form); no database needed to describe it. */
const TASK_INPUT = inputSchemaOf(taskSerializer);
const TASK_400 = json(
  'Invalid fields, or groups that are not JSON',
  anyOf(fieldErrorsBody(TASK_INPUT), obj({ groups: { const: 'Invalid JSON format for groups.' } })),
);
const TASK_404 = json('No such task', errorBody('Task not found.'));
import { taskSerializer, type TaskInput } from './validation.ts';

function me(req: ApiRequest): UserRow {
  return req.user!;
}

function sctx(req: ApiRequest): TaskSerializeContext {
  return { storage: req.ctx.storage, today: kolkataToday() };
}

/**
 * parser_classes = [MultiPartParser, FormParser]: any other body is a 415 naming the Content-Type
 * header as sent. Then the original's `{key: request.data.get(key) for key in request.data}`.
 */
async function formDict(req: ApiRequest): Promise<Record<string, unknown>> {
  if (hasBody(req.raw)) {
    const header = req.raw.headers['content-type'] ?? '';
    const mediaType = header.split(';')[0]!.trim().toLowerCase();
    if (mediaType !== 'multipart/form-data' && mediaType !== 'application/x-www-form-urlencoded') {
      throw new ApiError(415, { detail: `Unsupported media type "${header}" in request.` });
    }
  }
  const data = await req.data();
  // No prototype: a client field named "__proto__" is just a key.
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const fields = (data.value && typeof data.value === 'object' ? data.value : {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(fields)) out[k] = v;
  for (const [k, f] of data.files) out[k] = f;
  // 'groups' given as a string is JSON (a file part named groups is left to the serializer).
  if (typeof out.groups === 'string') {
    let parsed: ReturnType<typeof parsePythonJson>;
    try {
      parsed = parsePythonJson(out.groups);
    } catch {
      parsed = { ok: false, message: '' };
    }
    if (!parsed.ok) throw jsonError(400, { groups: 'Invalid JSON format for groups.' });
    out.groups = parsed.value;
  }
  return out;
}

/** TaskSerializer.is_valid(): the fields (declaration order), then validate(). */
function validateTask(req: ApiRequest, dict: Record<string, unknown>): Promise<TaskInput> {
  return taskSerializer(req.ctx.db.knex, me(req)).validate(dictInput(dict));
}

/** CloudinaryField pre_save: the upload happens before the row is written. */
async function storeAttachment(req: ApiRequest, file: UploadedFile | undefined): Promise<string | null> {
  if (!file) return null;
  try {
    return await req.ctx.storage.save({ buffer: file.buffer, filename: file.originalname, mimetype: file.mimetype }, { resourceType: 'image' });
  } catch (err) {
    req.ctx.log.error({ err }, 'task attachment upload failed');
    throw jsonError(502, { detail: 'The file could not be stored. Try again later.' });
  }
}

async function discard(req: ApiRequest, stored: string | null): Promise<void> {
  if (!stored || !req.ctx.storage.remove) return;
  await req.ctx.storage.remove(stored).catch((err: unknown) => req.ctx.log.warn({ err, stored }, 'could not remove an orphaned upload'));
}

const TASK_NOT_FOUND = { error: 'Task not found.' };

/** parser_classes = [MultiPartParser, FormParser] */
const FORM_PARSERS = ['multipart/form-data', 'application/x-www-form-urlencoded'];

// The original views' docstrings as DRF's OPTIONS shows them (formatting.dedent).
const DOCS = {
  edit: [
    'API View to edit an existing Task.',
    '- Only users with role "admin" (3rd or 4th year) can edit tasks.',
    '- 3rd-year admins cannot edit tasks that were created by 4th-year admins.',
    '- Uses PUT for full updates.',
    '- Groups provided in the payload will merge/update existing groups.',
  ].join('\n'),
  delete: [
    'API View to delete an existing Task.',
    '',
    'Permissions:',
    '  - Only admin users (3rd or 4th year) can delete tasks.',
    '  - 2nd-year users are not permitted to delete tasks.',
    '  - 3rd-year admins cannot delete tasks assigned by 4th-year admins.',
  ].join('\n'),
  list: 'API View to list all tasks.',
  mine: [
    'API endpoint to fetch tasks for the logged-in user, grouped by status.',
    '',
    'A task is considered associated with the user if the user is a member',
    'of any group attached to that task.',
    '',
    'The response groups tasks into three categories:',
    '  - "current": Tasks that are currently ongoing.',
    '  - "pending": Tasks whose end date has passed and are not completed.',
    '  - "completed": Tasks with 100% progress (or as computed).',
  ].join('\n'),
};

function pkParam(req: ApiRequest): number | null {
  return lookupId(req.params.pk ?? '');
}

/** POST create/ — TaskCreateAPIView: the task, its groups, and a "task" notification per group member. */
export const createTask = apiView({
  takesFiles: true,
  name: 'Task Create Api',
  docs: {
    POST: {
      summary: 'Create a task with its groups (admins only); each member gets a notification',
      description: 'A form (multipart for the attachment): `groups` is a JSON text of [{"name": …, "members": [user ids]}].',
      body: bodyOf(TASK_INPUT, { multipartOnly: true }),
      responses: {
        201: json('Created', obj({ message: { const: 'Task and groups created successfully!' }, task: taskSchema })),
        400: TASK_400,
        403: json('Not an admin', errorBody()),
        502: STORAGE_FAILED,
      },
    },
  },
  parses: FORM_PARSERS,
  methods: {
    async POST(req) {
      const knex = req.ctx.db.knex;
      const fields = await validateTask(req, await formDict(req));
      const attachment = await storeAttachment(req, fields.attachment);
      let created: { taskId: number; task: q.TaskWithGroups; notifications: Awaited<ReturnType<typeof insertNotifications>> };
      try {
        created = await knex.transaction(async (trx) => {
          const now = nowTimestamp();
          const taskId = await q.insertTask(trx, {
            title: fields.title,
            description: fields.description ?? null,
            start_date: fields.start_date,
            end_date: fields.end_date,
            status: 'current',
            created_at: now,
            updated_at: now,
            current_progress: fields.current_progress ?? 0,
            attachment,
            info_url: fields.info_url ?? null,
            assigned_by_id: me(req).id,
          });
          for (const g of fields.groups) {
            const groupId = await q.insertGroup(trx, taskId, g.name);
            await q.setGroupMembers(trx, groupId, g.members);
          }
          // One notification per (group, member), groups and members in the order the serializer lists them.
          const task = (await q.taskWithGroups(trx, taskId))!;
          const message = `You have been assigned a new task: ${task.title}`;
          const inputs = task.groups.flatMap((g) => g.members.map((m) => ({ userId: m.id, message, eventType: 'task' })));
          return { taskId, task, notifications: await insertNotifications(trx, inputs) };
        });
      } catch (err) {
        await discard(req, attachment);
        throw err;
      }
      await publishNotifications(req.ctx, created.notifications);
      const userIds = [...new Set(created.notifications.map((n) => n.userId))];
      if (userIds.length) {
        await req.ctx.push.send(userIds, {
          title: 'New Task Assigned',
          body: `You have been assigned a new task: ${fields.title}`,
          data: { click_action: `open_task_overview?task_id=${created.taskId}` },
        });
      }
      // The task as committed (task.refresh_from_db() in the original), read inside the transaction.
      return { status: 201, body: { message: 'Task and groups created successfully!', task: serializeTask(created.task, sctx(req)) } };
    },
  },
});

/** PUT edit/<int:pk>/ — EditTaskAPIView: admins only; 3rd-year admins not on 4th-year admins' tasks. */
export const editTask = apiView({
  takesFiles: true,
  name: 'Edit Task Api',
  docs: {
    PUT: {
      summary: 'Change a task (admins; 3rd years not the tasks of 4th years); groups given are merged',
      body: bodyOf(partialBody(TASK_INPUT), { multipartOnly: true }),
      responses: {
        200: json('Updated', obj({ message: { const: 'Task updated successfully!' }, task: taskSchema })),
        400: TASK_400,
        403: json('Not allowed', errorBody('Only admin users can edit tasks.', '3rd-year admins cannot edit tasks assigned by 4th-year admins.')),
        404: TASK_404,
        502: STORAGE_FAILED,
      },
    },
  },
  description: DOCS.edit,
  parses: FORM_PARSERS,
  methods: {
    async PUT(req) {
      const knex = req.ctx.db.knex;
      const id = pkParam(req);
      const task = id === null ? null : await q.taskForChange(knex, id);
      if (!task) return { status: 404, body: TASK_NOT_FOUND };
      const user = me(req);
      if (user.role !== 'admin') return { status: 403, body: { error: 'Only admin users can edit tasks.' } };
      if (user.year === '3rd' && task.assigned_by_year === '4th') {
        return { status: 403, body: { error: '3rd-year admins cannot edit tasks assigned by 4th-year admins.' } };
      }
      const fields = await validateTask(req, await formDict(req));
      const attachment = await storeAttachment(req, fields.attachment);
      let updated: q.TaskWithGroups | null;
      try {
        updated = await knex.transaction(async (trx) => {
          if (!(await q.taskForChange(trx, task.id, { forUpdate: true }))) return null;
          await q.updateTask(trx, task.id, {
            title: fields.title,
            ...(fields.description !== undefined ? { description: fields.description } : {}),
            start_date: fields.start_date,
            end_date: fields.end_date,
            ...(fields.current_progress !== undefined ? { current_progress: fields.current_progress } : {}),
            ...(fields.info_url !== undefined ? { info_url: fields.info_url } : {}),
            ...(attachment ? { attachment } : {}),
            updated_at: nowTimestamp(),
          });
          // Groups named in the payload are updated (members replaced) or created; the others are deleted.
          const existing = await q.groupsOfTask(trx, task.id);
          const names: string[] = [];
          for (const g of fields.groups) {
            names.push(g.name);
            const match = existing.find((e) => e.name === g.name);
            if (match) {
              await q.setGroupMembers(trx, match.id, g.members);
            } else {
              const groupId = await q.insertGroup(trx, task.id, g.name);
              existing.push({ id: groupId, name: g.name });
              await q.setGroupMembers(trx, groupId, g.members);
            }
          }
          await q.deleteGroups(
            trx,
            existing.filter((e) => !names.includes(e.name)).map((e) => e.id),
          );
          return q.taskWithGroups(trx, task.id);
        });
      } catch (err) {
        await discard(req, attachment);
        throw err;
      }
      if (!updated) {
        // Deleted by another request after the permission checks.
        await discard(req, attachment);
        return { status: 404, body: TASK_NOT_FOUND };
      }
      return { body: { message: 'Task updated successfully!', task: serializeTask(updated, sctx(req)) } };
    },
  },
});

/** DELETE delete/<int:pk>/ — DeleteTaskAPIView (same permission rules as edit). */
export const deleteTask = apiView({
  name: 'Delete Task Api',
  docs: {
    DELETE: {
      summary: 'Delete a task (same rules as editing)',
      responses: {
        200: json('Deleted', messageBody('Task deleted successfully!')),
        403: json('Not allowed', errorBody('Only admin users can delete tasks.', '3rd-year admins cannot delete tasks assigned by 4th-year admins.')),
        404: TASK_404,
      },
    },
  },
  description: DOCS.delete,
  methods: {
    async DELETE(req) {
      const id = pkParam(req);
      const user = me(req);
      return req.ctx.db.knex.transaction(async (trx) => {
        const task = id === null ? null : await q.taskForChange(trx, id, { forUpdate: true });
        if (!task) return { status: 404, body: TASK_NOT_FOUND };
        if (user.role !== 'admin') return { status: 403, body: { error: 'Only admin users can delete tasks.' } };
        if (user.year === '3rd' && task.assigned_by_year === '4th') {
          return { status: 403, body: { error: '3rd-year admins cannot delete tasks assigned by 4th-year admins.' } };
        }
        await q.deleteTaskCascade(trx, task.id);
        return { body: { message: 'Task deleted successfully!' } };
      });
    },
  },
});

/** GET list/ — TaskListAPIView: every task. */
export const taskList = apiView({
  name: 'Task List Api',
  docs: { GET: { summary: 'Every task', responses: { 200: json('The tasks', arrayOf(taskSchema)) } } },
  description: DOCS.list,
  methods: {
    async GET(req) {
      const c = sctx(req);
      return { body: (await q.allTasks(req.ctx.db.knex)).map((t) => serializeTask(t, c)) };
    },
  },
});

/** GET my-tasks/ — UserTasksAPIView: {"current": [...], "pending": [...], "completed": [...]}. */
export const myTasks = apiView({
  name: 'User Tasks Api',
  docs: {
    GET: {
      summary: "The user's tasks by status",
      responses: {
        200: json('Tasks under current, pending and completed', {
          type: 'object',
          required: ['current', 'pending', 'completed'],
          additionalProperties: arrayOf(taskSchema),
        }),
      },
    },
  },
  description: DOCS.mine,
  methods: {
    async GET(req) {
      return { body: bucketTasks(await q.tasksOfMember(req.ctx.db.knex, me(req).id), sctx(req)) };
    },
  },
});

/** GET display-name-list/ — TaskNamesListAPIView (no permission_classes: open to anyone). */
export const taskNames = apiView({
  name: 'Task Names List Api',
  docs: {
    GET: {
      summary: 'Every task id and title (no authentication)',
      responses: { 200: json('The tasks', arrayOf(obj({ id: T.id, title: T.str }))), 404: json('No task', messageBody('no tasks availaible')) },
    },
  },
  permission: 'any',
  methods: {
    async GET(req) {
      const rows = await q.taskNames(req.ctx.db.knex);
      if (!rows.length) return { status: 404, body: { message: 'no tasks availaible' } };
      return { body: rows.map((r) => ({ id: r.id, title: r.title })) };
    },
  },
});
