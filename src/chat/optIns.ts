// The chat's opt-in inputs and outputs beyond the original — resume (`?after=`), idempotent sends
// (`client_id`, message_ack), cursor paging (`?before=&limit=`) — as JSON Schema fragments for the API
// documents, built from the constants the code itself checks against (one source of truth). The runtime
// shapes are typed in frames.ts (MessageAckFrame, ResumeTruncatedFrame, ClientErrorFrame); the cursor
// paging's query and page schemas sit beside the view in views.ts (historyCursorQuery, cursorPageSchema).
import { MAX_INT4 } from '../python/builtins.ts';
import { CLIENT_ID_MAX_LENGTH, CLOSE_BAD_RESUME, RESUME_LIMITS } from './consumer.ts';
import { CLIENT_ID_TTL_SECONDS } from './clientIds.ts';

const MESSAGE_ID = { type: 'integer', minimum: 1, maximum: Number(MAX_INT4) } as const;

/** `/ws/chat/{room_id}/?after=`: resume after this message (0: the room's newest). */
export const afterQueryParameter = {
  name: 'after',
  in: 'query',
  required: false,
  description:
    `Resume: every message of the room stored after this id, oldest first, as chat_message frames (deleted ones left out), ` +
    `at most ${RESUME_LIMITS.maxMessages} / ${RESUME_LIMITS.maxBytes} bytes of text, then resume_truncated; then live frames. ` +
    `Not a whole number, or not a message of this room: an error frame, then close ${CLOSE_BAD_RESUME}.`,
  schema: { type: 'integer', minimum: 0, maximum: Number(MAX_INT4) },
} as const;

/** send_message's `client_id`. */
export const clientIdField = {
  type: 'string',
  minLength: 1,
  maxLength: CLIENT_ID_MAX_LENGTH,
  description:
    `Idempotent send: acknowledged with message_ack once stored; a retry with the same client_id by the same user ` +
    `within ${CLIENT_ID_TTL_SECONDS / 3600} hours stores and broadcasts nothing and gets the same ack. Absent or null: no ack.`,
} as const;

/** To the sending socket only. */
export const messageAckFrameSchema = {
  type: 'object',
  required: ['action', 'client_id', 'id', 'created_at'],
  additionalProperties: false,
  properties: {
    action: { const: 'message_ack' },
    client_id: { type: 'string', minLength: 1, maxLength: CLIENT_ID_MAX_LENGTH },
    id: MESSAGE_ID,
    created_at: { type: 'string', description: "As the chat_message frame's created_at (UTC isoformat)." },
  },
} as const;

/** After a resume's catch-up that did not hold every message. */
export const resumeTruncatedFrameSchema = {
  type: 'object',
  required: ['action', 'oldest_id'],
  additionalProperties: false,
  properties: {
    action: { const: 'resume_truncated' },
    oldest_id: { ...MESSAGE_ID, description: 'The oldest message sent; page older ones with messages/?before=<oldest_id>.' },
  },
} as const;

/** The error frame of a send_message that carried a client_id. */
export const clientErrorFrameSchema = {
  type: 'object',
  required: ['error', 'client_id'],
  additionalProperties: false,
  properties: {
    error: { type: 'string' },
    client_id: { description: 'As sent (any JSON value when it was not a valid client_id).' },
  },
} as const;
