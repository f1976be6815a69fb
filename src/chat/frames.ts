// The chat consumer's frames, as pure functions of layer events, written the way Python's json.dumps
// writes them. Key orders are the original consumer's (Chat/consumers.py handlers).
import { pythonDumps } from '../python/json.ts';
import { utcIsoformat } from '../drf/datetime.ts';
import type { MediaStorage } from '../storage/types.ts';
import type {
  ChatMessageDeletedEvent,
  ChatMessageEditedEvent,
  ChatMessageEvent,
  ChatMessagePinnedEvent,
  ChatMessageReactedEvent,
  ChatTypingEvent,
  SenderRef,
} from './events.ts';
import type { ParentRow } from './socketQueries.ts';

/** The sender dict of socket-sent messages and typing frames: {name, photo, id, role}. */
export interface SocketSender {
  name: string;
  photo: string | null;
  id: number;
  role: string;
  [key: string]: unknown;
}

export function socketSender(u: { id: number; first_name: string; photo: string | null; role: string }, storage: MediaStorage): SocketSender {
  return { name: u.first_name, photo: storage.url(u.photo), id: u.id, role: u.role };
}

/** parent_message of a chat frame: {id, content, sender {id, name, photo}, created_at (UTC isoformat)}. */
export function parentMessageObject(p: ParentRow, storage: MediaStorage) {
  return {
    id: p.p_id,
    content: p.p_content,
    sender: { id: p.p_sender_id, name: p.p_first_name, photo: storage.url(p.p_photo) },
    created_at: utcIsoformat(p.p_created_at),
  };
}

export type ParentObject = ReturnType<typeof parentMessageObject>;

/** The two variants of a chat_message frame: for the sender's own sockets and for everyone else. */
export interface ChatMessageFrames {
  self: string;
  other: string;
}

/**
 * The frames of a chat_message event. `appSafe` (CLIENT_COMPAT=csi-android-2025): what the 2025 Android
 * app needs to not crash (docs/kotlin-client-contract.md §3.3, §5 C3) — `message` and the parent's
 * `content` never null (an attachment-only upload has none: ""), and a sender with a `name` (an upload's
 * sender is the REST user shape, which has none: its first_name, as socket sends give).
 */
export function chatMessageFrames(e: ChatMessageEvent, parent: ParentObject | null, appSafe = false): ChatMessageFrames {
  // The two variants differ only in is_self: the keys before and after it are written once. json.dumps of a
  // dict is "{" + its items joined by ", " + "}", so the pieces join to exactly the whole dict's text
  // (neither piece is empty: `message` and `attachment` are always there).
  const head = pythonDumps({
    message: appSafe ? (e.message ?? '') : e.message,
    sender: appSafe ? senderWithName(e.sender) : e.sender,
    message_type: e.message_type,
    id: e.id,
  }).slice(0, -1);
  const tail = pythonDumps({
    attachment: e.attachment ?? null,
    created_at: e.created_at,
    room: e.room,
    parent_message: appSafe && parent && parent.content === null ? { ...parent, content: '' } : parent,
  }).slice(1);
  return { self: `${head}, "is_self": true, ${tail}`, other: `${head}, "is_self": false, ${tail}` };
}

/** A sender dict with a `name`: socket senders have one; the upload view's REST shape gets its first_name. */
function senderWithName(sender: SenderRef): SenderRef {
  if (typeof sender.name === 'string' || typeof sender.first_name !== 'string') return sender;
  return { name: sender.first_name, ...sender };
}

// ---------------------------------------------------------------------------------------------
// The frames' JSON Schemas (the AsyncAPI document), next to the functions that write them.

const id = { type: 'integer', minimum: 1 } as const;
const utcIso = { type: 'string', description: 'datetime.isoformat() in UTC (+00:00)' } as const;
const strict = (properties: Record<string, unknown>, required = Object.keys(properties)) =>
  ({ type: 'object', properties, required, additionalProperties: false }) as const;

/** socketSender(): {name, photo, id, role}. */
export const socketSenderSchema = strict({ name: { type: 'string' }, photo: { type: ['string', 'null'] }, id, role: { type: 'string' } });

/** chat_message frames: the sender is socketSender() for socket sends, the REST user object for uploads. */
export const chatMessageFrameSchema = strict({
  message: { type: ['string', 'null'], description: 'null for an attachment-only upload ("" with CLIENT_COMPAT=csi-android-2025)' },
  sender: {
    anyOf: [
      socketSenderSchema,
      {
        type: 'object',
        description: "an upload's sender: the REST user object (id, first_name, last_name, role, photo, year, current_status)",
        required: ['id'],
        properties: { id },
      },
    ],
  },
  message_type: { type: 'string' },
  id,
  is_self: { type: 'boolean', description: "true on the sockets of the message's sender" },
  attachment: { type: ['string', 'null'] },
  created_at: utcIso,
  room: id,
  parent_message: {
    anyOf: [
      { type: 'null' },
      strict({
        id,
        content: { type: ['string', 'null'] },
        sender: strict({ id, name: { type: 'string' }, photo: { type: ['string', 'null'] } }),
        created_at: utcIso,
      }),
    ],
  },
});
export const editedFrameSchema = strict({ action: { const: 'edited' }, id, new_content: { type: 'string' } });
export const deletedFrameSchema = strict({ action: { const: 'deleted' }, id });
export const reactedFrameSchema = strict({
  action: { const: 'reacted' },
  id,
  reactions: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 }, description: 'reaction → count' },
});
export const pinnedFrameSchema = strict({
  action: { const: 'message_pinned' },
  id,
  is_pinned: { type: 'boolean' },
  pinned_at: { type: ['string', 'null'] },
});
export const typingFrameSchema = strict({ action: { const: 'typing' }, sender: socketSenderSchema, is_typing: { type: 'boolean' } });
export const errorFrameSchema = strict({ error: { type: 'string' } });

export const editedFrame = (e: ChatMessageEditedEvent) => pythonDumps({ action: 'edited', id: e.id, new_content: e.new_content });
export const deletedFrame = (e: ChatMessageDeletedEvent) => pythonDumps({ action: 'deleted', id: e.id });
export const reactedFrame = (e: ChatMessageReactedEvent) => pythonDumps({ action: 'reacted', id: e.id, reactions: e.reactions });
export const pinnedFrame = (e: ChatMessagePinnedEvent) =>
  pythonDumps({ action: 'message_pinned', id: e.id, is_pinned: e.is_pinned, pinned_at: e.pinned_at ?? null });
export const typingFrame = (e: ChatTypingEvent) => pythonDumps({ action: 'typing', sender: e.sender, is_typing: e.is_typing });
/** {"error": …}; with the send's `client_id` (beyond the original) when the failed send_message carried one. */
export const errorFrame = (message: string, clientId?: unknown) =>
  pythonDumps(clientId === undefined ? { error: message } : ({ error: message, client_id: clientId } satisfies ClientErrorFrame));

// ---------------------------------------------------------------------------------------------
// Frames beyond the original (opt-in: only a socket that asked for them gets them)

/** An error frame of a send_message that carried a `client_id`, which it echoes as sent. */
export interface ClientErrorFrame {
  error: string;
  client_id: unknown;
}

/** To the sending socket only, once a send_message with a `client_id` is stored (or was, by an earlier attempt). */
export interface MessageAckFrame {
  action: 'message_ack';
  client_id: string;
  id: number;
  /** As the chat_message frame's created_at (UTC isoformat). */
  created_at: string;
}

export const messageAckFrame = (clientId: string, id: number, createdAt: string) =>
  pythonDumps({ action: 'message_ack', client_id: clientId, id, created_at: createdAt } satisfies MessageAckFrame);

/** After a resume's catch-up (`?after=`) that did not hold every message: the rest, older than
 * `oldest_id` and newer than `after`, is paged over REST (`messages/?before=<oldest_id>`). */
export interface ResumeTruncatedFrame {
  action: 'resume_truncated';
  oldest_id: number;
}

export const resumeTruncatedFrame = (oldestId: number) =>
  pythonDumps({ action: 'resume_truncated', oldest_id: oldestId } satisfies ResumeTruncatedFrame);

/** Python dict order for the reaction counters: existing keys as stored (jsonb order), a new key last. */
export function orderReactions(reactions: Record<string, unknown>, reacted: string, added: boolean): Record<string, unknown> {
  if (!added) return reactions;
  const ordered: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(reactions)) if (k !== reacted) ordered[k] = v;
  ordered[reacted] = reactions[reacted];
  return ordered;
}
