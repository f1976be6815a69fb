// The original's Chat/serializers.py output as pure functions row → object, with DRF's key order.
// Rows come from src/chat/queries.ts (timestamps as Postgres UTC text, ids as numbers).
import type { MediaStorage } from '../storage/types.ts';
import { drfDateTime, drfUtcZ, localDateTimeSeconds, timestampMs, utcIsoformat } from '../drf/datetime.ts';

export interface SerializeContext {
  storage: MediaStorage;
  /** timezone.now() of the request, in ms. */
  nowMs: number;
  /** CLIENT_COMPAT=csi-android-2025: no null message text (docs/kotlin-client-contract.md §5 C4). */
  appSafe?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Users

export interface MemberRow {
  id: number;
  first_name: string;
  last_name: string | null;
  role: string;
  photo: string | null;
  year: string;
  last_seen: string | null;
}

const TWO_MINUTES_MS = 2 * 60 * 1000;

/** UserSerializer.get_current_status: "online" within 2 minutes, else local time, or "offline". */
export function currentStatus(lastSeen: string | null, nowMs: number): string {
  if (!lastSeen) return 'offline';
  if (nowMs - timestampMs(lastSeen) < TWO_MINUTES_MS) return 'online';
  return localDateTimeSeconds(lastSeen);
}

/** Chat UserSerializer: id, first_name, last_name, role, photo (Cloudinary URL), year, current_status. */
export function serializeUser(u: MemberRow, c: SerializeContext) {
  return {
    id: u.id,
    first_name: u.first_name,
    last_name: u.last_name,
    role: u.role,
    photo: c.storage.url(u.photo),
    year: u.year,
    current_status: currentStatus(u.last_seen, c.nowMs),
  };
}

/** UserForRoomSerializer / the inline {id, first_name, last_name} dicts of the views. */
function userForRoom(id: number, firstName: string, lastName: string | null) {
  return { id, first_name: firstName, last_name: lastName };
}

/** SimpleUserSerializer.get_name: f"{first} {last}".strip() (None prints as "None") or first_name. */
export function simpleName(firstName: string, lastName: string | null): string {
  const full = `${firstName} ${lastName === null ? 'None' : lastName}`.trim();
  return full || firstName;
}

// ---------------------------------------------------------------------------------------------
// Rooms

export interface RoomRow {
  id: number;
  name: string;
  description: string | null;
  room_avatar: string | null;
  is_active: boolean;
  created_at: string;
  updated_at: string;
  created_by_id: number;
  cb_first_name: string;
  cb_last_name: string | null;
}

export interface LastMessageFields {
  lm_id: number | null;
  lm_content: string | null;
  lm_created_at: string | null;
  lm_sender_id: number | null;
  lm_sender_first_name: string | null;
  lm_sender_last_name: string | null;
}

/** RoomSerializer row: the room, its last message and the requesting user's read state. */
export interface RoomDetailRow extends RoomRow, LastMessageFields {
  /** null when the serializer has no request in its context (create/edit responses). */
  last_read: string | null;
  unread_count: number;
  last_read_message_id: number | null;
}

export interface RoomListRow extends RoomRow {
  members_count: number;
}

function lastMessage(r: LastMessageFields) {
  if (r.lm_id === null) return null;
  return {
    id: r.lm_id,
    content: r.lm_content,
    created_at: drfDateTime(r.lm_created_at),
    sender: userForRoom(r.lm_sender_id!, r.lm_sender_first_name!, r.lm_sender_last_name),
  };
}

/**
 * RoomSerializer (members is write-only). `withRequest` = the serializer had the request in its
 * context (groups/); without it unread_count is 0 and the last_read_* fields are null.
 */
export function serializeRoom(r: RoomDetailRow, c: SerializeContext, withRequest: boolean) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    room_avatar: c.storage.url(r.room_avatar),
    is_active: r.is_active,
    unread_count: withRequest ? r.unread_count : 0,
    last_read_timestamp: withRequest ? drfUtcZ(r.last_read) : null,
    last_read_message_id: withRequest ? r.last_read_message_id : null,
    created_by: userForRoom(r.created_by_id, r.cb_first_name, r.cb_last_name),
    created_at: drfDateTime(r.created_at),
    updated_at: drfDateTime(r.updated_at),
    last_message: lastMessage(r),
  };
}

/** RoomListSerializer */
export function serializeRoomListItem(r: RoomListRow, c: SerializeContext) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    room_avatar: c.storage.url(r.room_avatar),
    created_by: userForRoom(r.created_by_id, r.cb_first_name, r.cb_last_name),
    created_at: drfDateTime(r.created_at),
    updated_at: drfDateTime(r.updated_at),
    members_count: r.members_count,
  };
}

/** AddYourselfToRoomAPIView's hand-written room dict. */
export function serializeJoinedRoom(r: RoomRow, members: Array<{ id: number; first_name: string; last_name: string | null }>) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    members: members.map((m) => userForRoom(m.id, m.first_name, m.last_name)),
    created_by: userForRoom(r.created_by_id, r.cb_first_name, r.cb_last_name),
    is_active: r.is_active,
  };
}

// ---------------------------------------------------------------------------------------------
// Messages

export interface MessageRow {
  id: number;
  message_type: string;
  content: string | null;
  attachment: string | null;
  reactions: unknown;
  is_deleted: boolean;
  is_edited: boolean;
  status: unknown;
  created_at: string;
  updated_at: string;
  room_id: number;
  is_pinned: boolean;
  pinned_at: string | null;
  mentions: number[] | null;
  s_id: number;
  s_first_name: string;
  s_last_name: string | null;
  s_role: string;
  s_photo: string | null;
  s_year: string;
  s_last_seen: string | null;
  p_id: number | null;
  p_content: string | null;
  p_sender_id: number | null;
  p_first_name: string | null;
  p_last_name: string | null;
  p_photo: string | null;
}

/** MessageSerializer (fields='__all__' + sender, attachment, is_self, parent_message) in DRF's order. */
export function serializeMessage(m: MessageRow, c: SerializeContext, viewerId: number) {
  return {
    id: m.id,
    sender: serializeUser(
      {
        id: m.s_id,
        first_name: m.s_first_name,
        last_name: m.s_last_name,
        role: m.s_role,
        photo: m.s_photo,
        year: m.s_year,
        last_seen: m.s_last_seen,
      },
      c,
    ),
    attachment: c.storage.url(m.attachment),
    is_self: m.s_id === viewerId,
    parent_message:
      m.p_id === null
        ? null
        : {
            id: m.p_id,
            content: c.appSafe ? (m.p_content ?? '') : m.p_content,
            sender: { id: m.p_sender_id!, name: simpleName(m.p_first_name!, m.p_last_name), photo: c.storage.url(m.p_photo) },
          },
    message_type: m.message_type,
    content: c.appSafe ? (m.content ?? '') : m.content,
    reactions: m.reactions ?? null,
    is_deleted: m.is_deleted,
    is_edited: m.is_edited,
    status: m.status,
    is_pinned: m.is_pinned,
    pinned_at: drfDateTime(m.pinned_at),
    created_at: drfDateTime(m.created_at),
    updated_at: drfDateTime(m.updated_at),
    room: m.room_id,
    mentions: m.mentions ?? [],
  };
}

/** MessageUploadSerializer output (201 body). */
export function serializeUpload(content: string | null, attachmentUrl: string | null, parentId: number | null) {
  return { content, attachment: attachmentUrl, parent_message: parentId };
}

/** The layer event of MessageUploadView.perform_create, keys in the original's order. */
export function uploadBroadcast(args: {
  content: string | null;
  attachmentUrl: string | null;
  sender: ReturnType<typeof serializeUser>;
  messageType: string;
  id: number;
  createdAt: string;
  roomId: number;
  parentId: number | null;
}) {
  return {
    type: 'chat_message' as const,
    message: args.content,
    attachment: args.attachmentUrl,
    sender: args.sender,
    message_type: args.messageType,
    id: args.id,
    created_at: utcIsoformat(args.createdAt)!,
    room: args.roomId,
    parent_message_id: args.parentId,
  };
}
