// Channel-layer events of the chat groups, exactly the shapes the original's consumers send and
// expect (compat-notes §1.15) — Django consumers on the same Redis crash (1011) on anything else.

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
}

export interface ChatMessageEditedEvent { type: 'chat_message_edited'; id: number; new_content: string }
export interface ChatMessageDeletedEvent { type: 'chat_message_deleted'; id: number }
export interface ChatMessageReactedEvent { type: 'chat_message_reacted'; id: number; reactions: Record<string, number> }
export interface ChatTypingEvent { type: 'chat_typing'; sender: SenderRef; is_typing: boolean }
export interface ChatMessagePinnedEvent { type: 'chat_message_pinned'; id: number; is_pinned: boolean; pinned_at?: string | null }

export type ChatEvent =
  | ChatMessageEvent
  | ChatMessageEditedEvent
  | ChatMessageDeletedEvent
  | ChatMessageReactedEvent
  | ChatTypingEvent
  | ChatMessagePinnedEvent;
