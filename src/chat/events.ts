// Channel-layer events of the chat groups, exactly the shapes the original's consumers send and expect
// (docs/compat-notes.md §1.15) — Django consumers on the same Redis crash (1011) on anything else — and
// the one table that says, per event type, what it must carry, how a process renders it once, and what
// each member's socket gets (src/realtime/fanout.ts). A new event type is one interface and one entry.
import type { AppContext } from '../context.ts';
import { eventType, type EventTable } from '../realtime/fanout.ts';
import { WireText } from '../realtime/wire.ts';
import { androidSafe } from '../config.ts';
import {
  chatMessageFrames,
  deletedFrame,
  editedFrame,
  parentMessageObject,
  pinnedFrame,
  reactedFrame,
  typingFrame,
  type ChatMessageFrames,
  type ParentObject,
  chatMessageFrameSchema,
  editedFrameSchema,
  deletedFrameSchema,
  reactedFrameSchema,
  pinnedFrameSchema,
  typingFrameSchema,
} from './frames.ts';
import { parentForFrame } from './socketQueries.ts';

export const chatGroup = (roomId: number) => `chat_${roomId}`;

export interface SenderRef {
  id: number;
  [key: string]: unknown;
}

/** Sent by the socket's send_message and by the upload view. */
export interface ChatMessageEvent {
  type: 'chat_message';
  message: string | null;
  /** Socket sends: {name, photo, id, role}; upload view: the REST UserSerializer shape. */
  sender: SenderRef;
  message_type: string;
  attachment?: string | null;
  id: number;
  created_at: string;
  room: number;
  parent_message_id?: number | null;
  /** csi-chat's own addition: the parent already looked up (Django consumers ignore it and look it up). */
  parent_message?: ParentObject | null;
  [key: string]: unknown;
}

export interface ChatMessageEditedEvent {
  type: 'chat_message_edited';
  id: number;
  new_content: string;
  [key: string]: unknown;
}
export interface ChatMessageDeletedEvent {
  type: 'chat_message_deleted';
  id: number;
  [key: string]: unknown;
}
export interface ChatMessageReactedEvent {
  type: 'chat_message_reacted';
  id: number;
  reactions: Record<string, number>;
  [key: string]: unknown;
}
export interface ChatTypingEvent {
  type: 'chat_typing';
  sender: SenderRef;
  is_typing: boolean;
  [key: string]: unknown;
}
export interface ChatMessagePinnedEvent {
  type: 'chat_message_pinned';
  id: number;
  is_pinned: boolean;
  pinned_at?: string | null;
  [key: string]: unknown;
}

export type ChatEvent =
  ChatMessageEvent | ChatMessageEditedEvent | ChatMessageDeletedEvent | ChatMessageReactedEvent | ChatTypingEvent | ChatMessagePinnedEvent;

/** A chat_message's two frames as wire bytes, encoded and framed once for every local socket. */
interface PreparedChat {
  self: WireText;
  other: WireText;
}

const encodeChat = (f: ChatMessageFrames): PreparedChat => ({ self: new WireText(f.self), other: new WireText(f.other) });

const fromSelf = (e: { sender: SenderRef }, userId: number) => e.sender.id === userId;

/** Frames of a chat_message; a reply whose parent did not come with the event is looked up once. */
function renderChatMessage(e: ChatMessageEvent, ctx: AppContext): PreparedChat | Promise<PreparedChat> {
  const appSafe = androidSafe(ctx.config);
  if (e.parent_message !== undefined || e.parent_message_id === undefined || e.parent_message_id === null) {
    return encodeChat(chatMessageFrames(e, e.parent_message ?? null, appSafe));
  }
  const parentId = Number(e.parent_message_id);
  const roomId = Number(e.room);
  if (!Number.isSafeInteger(parentId) || !Number.isSafeInteger(roomId)) return encodeChat(chatMessageFrames(e, null, appSafe));
  return parentForFrame(ctx.db.knex, parentId, roomId)
    .then((p) => encodeChat(chatMessageFrames(e, p ? parentMessageObject(p, ctx.storage) : null, appSafe)))
    .catch((err: unknown) => {
      ctx.log.warn({ err, parentId }, 'parent lookup failed; frame sent without it');
      return encodeChat(chatMessageFrames(e, null, appSafe));
    });
}

/** Events whose frame is the same for every member. */
const sameForAll = <E extends ChatEvent>(required: readonly (keyof E & string)[], frame: (e: E) => string, doc: { summary: string; frame: object }) =>
  eventType<E, WireText>({
    required,
    render: (e) => new WireText(frame(e)),
    pick: (bytes) => bytes,
    doc: doc as { summary: string; frame: Record<string, unknown> },
  });

/** The chat consumer's handlers (Chat/consumers.py): keys each one indexes, its frame, who gets what. */
export const CHAT_EVENTS: EventTable = {
  chat_message: eventType<ChatMessageEvent, PreparedChat>({
    required: ['message', 'sender', 'message_type', 'id', 'created_at', 'room'],
    objects: ['sender'],
    render: renderChatMessage,
    pick: (frames, e, to) => (fromSelf(e, to.userId) ? frames.self : frames.other),
    doc: { summary: 'A message stored in the room (socket send_message or REST upload), to every socket of the room', frame: chatMessageFrameSchema },
  }),
  chat_message_edited: sameForAll<ChatMessageEditedEvent>(['id', 'new_content'], editedFrame, {
    summary: 'A message was edited (edit_message)',
    frame: editedFrameSchema,
  }),
  chat_message_deleted: sameForAll<ChatMessageDeletedEvent>(['id'], deletedFrame, {
    summary: 'A message was deleted (delete_message)',
    frame: deletedFrameSchema,
  }),
  chat_message_reacted: sameForAll<ChatMessageReactedEvent>(['id', 'reactions'], reactedFrame, {
    summary: "A message's reaction counts changed (react_message)",
    frame: reactedFrameSchema,
  }),
  chat_message_pinned: sameForAll<ChatMessagePinnedEvent>(['id', 'is_pinned'], pinnedFrame, {
    summary: 'A message was pinned or unpinned (pin_message)',
    frame: pinnedFrameSchema,
  }),
  chat_typing: eventType<ChatTypingEvent, WireText>({
    required: ['sender', 'is_typing'],
    objects: ['sender'],
    render: (e) => new WireText(typingFrame(e)),
    // The typist's own sockets get nothing, as in the original.
    pick: (bytes, e, to) => (fromSelf(e, to.userId) ? null : bytes),
    doc: { summary: "Someone started or stopped typing (typing / stop_typing), to every socket but the typist's", frame: typingFrameSchema },
  }),
};
