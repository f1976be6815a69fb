// The original's Task/serializers.py output (TaskSerializer, GroupSerializer, MemberSerializer,
// TaskNameSerializer) as pure functions row → wire object, in DRF's key order.
import { pyStrip } from '../python/builtins.ts';
import type { MediaStorage } from '../storage/types.ts';
import type { GroupWithMembers, MemberRow, TaskRow, TaskWithGroups } from './queries.ts';

const KOLKATA_OFFSET_MS = 330 * 60 * 1000;

/** date.today() of the original: Django sets the process TZ to TIME_ZONE (Asia/Kolkata). */
export function kolkataToday(nowMs: number = Date.now()): string {
  return new Date(nowMs + KOLKATA_OFFSET_MS).toISOString().slice(0, 10);
}

/** Task.get_status(): the stored status, overridden by the dates unless completed. ISO dates compare as strings. */
export function taskStatus(t: Pick<TaskRow, 'start_date' | 'end_date' | 'status'>, today: string): string {
  if (t.start_date <= today && today <= t.end_date && t.status !== 'completed') return 'current';
  if (t.end_date < today && t.status !== 'completed') return 'pending';
  return t.status;
}

/**
 * MemberSerializer: id, full_name (f"{first} {last or ''}".strip()), domain (source='domain.name').
 * A user without a domain has no "domain" key at all: the dotted source raises AttributeError on
 * None, and DRF skips a read-only field then (Field.get_attribute → SkipField).
 */
function serializeMember(m: MemberRow): { id: number; full_name: string; domain?: string } {
  const out: { id: number; full_name: string; domain?: string } = { id: m.id, full_name: pyStrip(`${m.first_name} ${m.last_name ?? ''}`) };
  if (m.domain_id !== null && m.domain_name !== null) out.domain = m.domain_name;
  return out;
}

function serializeGroup(g: GroupWithMembers) {
  return { id: g.id, name: g.name, members: g.members.map(serializeMember) };
}

export interface TaskSerializeContext {
  storage: MediaStorage;
  today: string;
}

/** TaskSerializer: id, title, description, start_date, end_date, status, current_progress, attachment, info_url, groups. */
export function serializeTask(t: TaskWithGroups, c: TaskSerializeContext) {
  return {
    id: t.id,
    title: t.title,
    description: t.description,
    start_date: t.start_date,
    end_date: t.end_date,
    status: taskStatus(t, c.today),
    current_progress: t.current_progress,
    // FileField(use_url=True): the Cloudinary URL (already absolute), null when empty.
    attachment: t.attachment ? c.storage.url(t.attachment) : null,
    info_url: t.info_url,
    groups: t.groups.map(serializeGroup),
  };
}

/** UserTasksAPIView: tasks bucketed by their computed status; unknown statuses get their own key. */
export function bucketTasks(tasks: TaskWithGroups[], c: TaskSerializeContext): Record<string, ReturnType<typeof serializeTask>[]> {
  const out = Object.create(null) as Record<string, ReturnType<typeof serializeTask>[]>;
  out.current = [];
  out.pending = [];
  out.completed = [];
  for (const t of tasks) {
    const s = serializeTask(t, c);
    (out[s.status] ??= []).push(s);
  }
  return out;
}
