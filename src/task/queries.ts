// SQL of the Task app (Task_task, Task_group, Task_group_members). Each read loads tasks, their groups
// and the groups' members in three statements, whatever the number of tasks.
import type { Db } from '../db/sql.ts';
import { USER_TABLE, type UserRow } from '../auth/tokens.ts';

const TASK_TABLE = 'Task_task';
const GROUP_TABLE = 'Task_group';
const GROUP_MEMBERS_TABLE = 'Task_group_members';

export interface TaskRow {
  id: number;
  title: string;
  description: string | null;
  start_date: string;
  end_date: string;
  status: string;
  created_at: string;
  updated_at: string;
  current_progress: number;
  attachment: string | null;
  info_url: string | null;
  assigned_by_id: number;
}

export interface MemberRow {
  id: number;
  first_name: string;
  last_name: string | null;
  domain_name: string | null;
  domain_id: number | null;
}

export interface GroupWithMembers {
  id: number;
  name: string;
  members: MemberRow[];
}

export interface TaskWithGroups extends TaskRow {
  groups: GroupWithMembers[];
}

/** Groups (by id) and their members (by user id) of these tasks. */
async function attachGroups(knex: Db, tasks: TaskRow[]): Promise<TaskWithGroups[]> {
  if (!tasks.length) return [];
  const ids = tasks.map((t) => t.id);
  const groups: Array<{ id: number; name: string; task_id: number }> = await knex(GROUP_TABLE)
    .select('id', 'name', 'task_id')
    .whereIn('task_id', ids)
    .orderBy('id');
  const members: Array<MemberRow & { group_id: number }> = groups.length
    ? await knex(`${GROUP_MEMBERS_TABLE} as gm`)
        .join(`${USER_TABLE} as u`, 'u.id', 'gm.user_id')
        .leftJoin('Domain_domain as d', 'd.id', 'u.domain_id')
        .select('gm.group_id', 'u.id', 'u.first_name', 'u.last_name', 'u.domain_id', 'd.name as domain_name')
        .whereIn(
          'gm.group_id',
          groups.map((g) => g.id),
        )
        .orderBy([{ column: 'gm.group_id' }, { column: 'u.id' }])
    : [];
  const byGroup = new Map<number, MemberRow[]>();
  for (const m of members) {
    const list = byGroup.get(m.group_id) ?? [];
    list.push({ id: m.id, first_name: m.first_name, last_name: m.last_name, domain_id: m.domain_id, domain_name: m.domain_name });
    byGroup.set(m.group_id, list);
  }
  const byTask = new Map<number, GroupWithMembers[]>();
  for (const g of groups) {
    const list = byTask.get(g.task_id) ?? [];
    list.push({ id: g.id, name: g.name, members: byGroup.get(g.id) ?? [] });
    byTask.set(g.task_id, list);
  }
  return tasks.map((t) => ({ ...t, groups: byTask.get(t.id) ?? [] }));
}

/** Task.objects.all() (no Meta ordering: id order). */
export async function allTasks(knex: Db): Promise<TaskWithGroups[]> {
  return attachGroups(knex, await knex(TASK_TABLE).select('*').orderBy('id'));
}

/** Task.objects.filter(groups__members=user).distinct() */
export async function tasksOfMember(knex: Db, userId: number): Promise<TaskWithGroups[]> {
  const tasks: TaskRow[] = await knex(TASK_TABLE)
    .select('*')
    .whereIn(
      'id',
      knex(GROUP_TABLE)
        .join(GROUP_MEMBERS_TABLE, `${GROUP_MEMBERS_TABLE}.group_id`, `${GROUP_TABLE}.id`)
        .where(`${GROUP_MEMBERS_TABLE}.user_id`, userId)
        .select(`${GROUP_TABLE}.task_id`),
    )
    .orderBy('id');
  return attachGroups(knex, tasks);
}

export async function taskWithGroups(knex: Db, id: number): Promise<TaskWithGroups | null> {
  const task: TaskRow | undefined = await knex(TASK_TABLE).where({ id }).first();
  return task ? (await attachGroups(knex, [task]))[0]! : null;
}

/** The task and the year of the user who assigned it (the edit/delete permission checks). */
export async function taskForChange(
  knex: Db,
  id: number,
  opts: { forUpdate?: boolean } = {},
): Promise<(TaskRow & { assigned_by_year: string }) | null> {
  const q = knex(TASK_TABLE)
    .join(USER_TABLE, `${USER_TABLE}.id`, `${TASK_TABLE}.assigned_by_id`)
    .select(`${TASK_TABLE}.*`, `${USER_TABLE}.year as assigned_by_year`)
    .where(`${TASK_TABLE}.id`, id);
  if (opts.forUpdate) q.forUpdate(TASK_TABLE);
  return ((await q.first()) as (TaskRow & { assigned_by_year: string }) | undefined) ?? null;
}

/** TaskNameSerializer rows. */
export async function taskNames(knex: Db): Promise<Array<{ id: number; title: string }>> {
  return knex(TASK_TABLE).select('id', 'title').orderBy('id');
}

/** id → year of the users that exist among these ids. */
export async function userYears(knex: Db, ids: number[]): Promise<Map<number, string>> {
  if (!ids.length) return new Map();
  const rows: Array<Pick<UserRow, 'id' | 'year'>> = await knex(USER_TABLE).select('id', 'year').whereIn('id', ids);
  return new Map(rows.map((r) => [r.id, r.year]));
}

export type TaskInsert = Omit<TaskRow, 'id'>;

export async function insertTask(trx: Db, row: TaskInsert): Promise<number> {
  const [r] = await trx(TASK_TABLE).insert(row).returning('id');
  return Number((r as { id: number }).id);
}

export async function updateTask(trx: Db, id: number, fields: Partial<TaskInsert>): Promise<void> {
  await trx(TASK_TABLE).where({ id }).update(fields);
}

export async function insertGroup(trx: Db, taskId: number, name: string): Promise<number> {
  const [r] = await trx(GROUP_TABLE).insert({ name, task_id: taskId }).returning('id');
  return Number((r as { id: number }).id);
}

/** group.members.set(ids): removes the others, adds the missing ones (in id order). */
export async function setGroupMembers(trx: Db, groupId: number, userIds: number[]): Promise<void> {
  const wanted = [...new Set(userIds)].sort((a, b) => a - b);
  const current: Array<{ user_id: number }> = await trx(GROUP_MEMBERS_TABLE).select('user_id').where({ group_id: groupId });
  const have = new Set(current.map((r) => r.user_id));
  const remove = [...have].filter((id) => !wanted.includes(id));
  if (remove.length) await trx(GROUP_MEMBERS_TABLE).where({ group_id: groupId }).whereIn('user_id', remove).del();
  const add = wanted.filter((id) => !have.has(id));
  if (add.length) await trx(GROUP_MEMBERS_TABLE).insert(add.map((user_id) => ({ group_id: groupId, user_id })));
}

export async function groupsOfTask(trx: Db, taskId: number): Promise<Array<{ id: number; name: string }>> {
  return trx(GROUP_TABLE).select('id', 'name').where({ task_id: taskId }).orderBy('id');
}

/** Deletes groups (their member rows first, as Django's cascade does). */
export async function deleteGroups(trx: Db, groupIds: number[]): Promise<void> {
  if (!groupIds.length) return;
  await trx(GROUP_MEMBERS_TABLE).whereIn('group_id', groupIds).del();
  await trx(GROUP_TABLE).whereIn('id', groupIds).del();
}

/** task.delete(): Task_group_members, Task_group, then the task. */
export async function deleteTaskCascade(trx: Db, taskId: number): Promise<void> {
  const groups = await groupsOfTask(trx, taskId);
  await deleteGroups(
    trx,
    groups.map((g) => g.id),
  );
  await trx(TASK_TABLE).where({ id: taskId }).del();
}
