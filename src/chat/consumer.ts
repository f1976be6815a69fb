// /ws/chat/<int:room_id>/ — the original's ChatConsumer (Chat/consumers.py): every action, the same
// layer events and frames, with the handshake and room scope closed (README: divergences). A socket is
// one channel in the group `chat_<room_id>`; what each layer event becomes is declared in CHAT_EVENTS
// (events.ts) and rendered once per process by the group fan-out (src/realtime/fanout.ts).
import { performance } from 'node:perf_hooks';
import type { AppContext } from '../context.ts';
import type { UpgradeRequest } from '../realtime/router.ts';
import type { LayerMessage } from '../layers/types.ts';
import { GroupConsumer, type CatchUp } from '../realtime/groupConsumer.ts';
import { CLOSE_ACCESS_REVOKED } from '../realtime/sessions.ts';
import { SHUTTING_DOWN_ERROR } from '../realtime/socket.ts';
import { parseQs } from '../drf/pagination.ts';
import { androidSafe } from '../config.ts';
import { authenticateSocket } from '../realtime/handshake.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { parsePythonJson } from '../python/jsonDecode.ts';
import { isFalsy, loneSurrogate, MAX_INT4, parseId, pyLen } from '../python/builtins.ts';
import { nowTimestamp, utcIsoformat } from '../drf/datetime.ts';
import { insertNotifications, publishNotifications } from '../notification/service.ts';
import { CHAT_EVENTS, chatGroup, type ChatEvent, type ChatMessageEvent } from './events.ts';
import * as q from './socketQueries.ts';
import {
  chatMessageFrames,
  errorFrame,
  messageAckFrame,
  orderReactions,
  parentMessageObject,
  resumeTruncatedFrame,
  socketSender,
  type SocketSender,
} from './frames.ts';
import type { ClientIdClaim } from './clientIds.ts';

const PIN_LIMIT = 3;

/** The original consumer's error texts, verbatim, plus csi-chat's own for what crashed it. */
export const ERR = {
  invalidJson: 'Invalid JSON format',
  unknownAction: 'Unknown action',
  missingMessage: "Missing 'message' field for send_message action.",
  parentMissing: 'Parent message does not exist',
  editRequired: "Both 'message_id' and 'new_content' are required for editing.",
  editFailed: 'Editing failed.',
  deleteRequired: 'Message ID is required for deletion.',
  deleteFailed: 'Deletion failed.',
  reactRequired: "'message_id' and 'reaction' are required for react_message.",
  reactFailed: 'Reaction failed; message not found.',
  pinRequired: 'Message ID is required for pinning.',
  pinFailed: 'Pin/unpin failed (maybe no permission or limit reached).',
  // Not in the original (its consumer raised and the socket died with 1011):
  notObject: 'Expected a JSON object.',
  actionType: "'action' must be a string.",
  messageType: "'message' must be a string.",
  messageTypeType: "'message_type' must be a string of at most 20 characters.",
  attachmentType: "'attachment' must be a string of at most 255 characters or null.",
  mentionsType: "'mentions' must be a list of user ids.",
  parentType: "'parent_message_id' must be an integer.",
  messageIdType: "'message_id' must be an integer.",
  newContentType: "'new_content' must be a string.",
  reactionType: "'reaction' must be a string of at most 64 characters.",
  pinType: "'pin' must be true or false.",
  notMember: 'You are not a member of this room.',
  // Not in the original either (Postgres refused the text and the consumer raised): DRF's CharField text.
  nulChars: 'Null characters are not allowed.',
  // csi-chat only (issue 13 #10): the original stored any text and the app opened it.
  attachmentHost: "'attachment' must be a media path or an http(s) URL of this server's media storage.",
  serverError: 'The action could not be completed. Try again.',
  unavailable: 'Service temporarily unavailable: nothing was saved. Try again shortly.',
  outcomeUnknown: 'Service temporarily unavailable: the message may have been saved. Check the history before sending it again.',
  // send_message's client_id (beyond the original):
  clientIdType: "'client_id' must be a string of 1 to 64 characters.",
  clientIdOtherRoom: "'client_id' was already used for a message in another room.",
  clientIdStale: "'client_id' stands for a message that is not yours in this room (restored data): send it with a new client_id.",
  unavailableRetry: 'Service temporarily unavailable: the message may not have been saved. Send it again with the same client_id.',
  // The handshake's ?after= (beyond the original):
  afterInvalid: "'after' must be a message id: a whole number (0 for the room's newest messages).",
  afterUnknown: "'after' is not the id of a message of this room.",
} as const;

const messageId = { type: ['integer', 'string'], description: 'a message id (an integer, or its digits as a string)' } as const;

/** The frames a client sends on /ws/chat/<room_id>/ (the `dispatch` switch below), for the AsyncAPI
 * document: each action's keys as the handlers read them. A frame without `action` is a send_message. */
export const CHAT_ACTIONS = {
  send_message: {
    summary: 'Send a text message (also the default when `action` is absent)',
    required: ['message'],
    properties: {
      message: { type: 'string', minLength: 1 },
      message_type: { type: 'string', minLength: 1, maxLength: 20, default: 'text' },
      attachment: { type: ['string', 'null'], maxLength: 255 },
      mentions: { type: 'array', maxItems: 1000, items: messageId, description: 'user ids: members get a chat_mention notification' },
      parent_message_id: { ...messageId, type: ['integer', 'string', 'null'], description: 'reply to this message of the room' },
    },
  },
  edit_message: {
    summary: 'Edit one of your messages',
    required: ['message_id', 'new_content'],
    properties: { message_id: messageId, new_content: { type: 'string', minLength: 1 } },
  },
  delete_message: { summary: 'Delete one of your messages', required: ['message_id'], properties: { message_id: messageId } },
  react_message: {
    summary: 'Toggle a reaction on a message',
    required: ['message_id', 'reaction'],
    properties: { message_id: messageId, reaction: { type: 'string', minLength: 1, maxLength: 64 } },
  },
  pin_message: {
    summary: `Pin or unpin a message (at most ${PIN_LIMIT} pinned per room)`,
    required: ['message_id'],
    properties: { message_id: messageId, pin: { type: 'boolean', default: true } },
  },
  typing: { summary: 'Tell the room you are typing', required: [], properties: {} },
  stop_typing: { summary: 'Tell the room you stopped typing', required: [], properties: {} },
} as const;

/** A resume (`?after=`) sends at most this many messages, and stops adding older ones once their text
 * (content + attachment) passes maxBytes; what it leaves out is paged over REST (resume_truncated). */
export const RESUME_LIMITS = { maxMessages: 500, maxBytes: 1024 * 1024 } as const;

/** Close code after the error frame of a refused `?after=` (application range, like 4003). */
export const CLOSE_BAD_RESUME = 4400;

/** The handshake's `?after=`: absent (null), a message id to resume after, or why it is refused. */
export type ResumeRequest = { after: number } | { refused: string };

function resumeRequest(query: string): ResumeRequest | null {
  const values = parseQs(query).get('after');
  if (!values) return null;
  const raw = values[values.length - 1]; // QueryDict.get: the last one
  if (!/^[0-9]+$/.test(raw)) return { refused: ERR.afterInvalid };
  // Beyond the ids an integer column holds: no message has it.
  if (raw.length > 10 || Number(raw) > MAX_MESSAGE_ID) return { refused: ERR.afterUnknown };
  return { after: Number(raw) };
}

const MAX_MESSAGE_ID = Number(MAX_INT4);

/** send_message's client_id: at most this many characters (code points, as Python's len). */
export const CLIENT_ID_MAX_LENGTH = 64;

/** A bad request from the client: answered with an error frame, nothing written. */
class FrameError extends Error {}

/** A client_id: a string of 1 to 64 characters, none a lone surrogate (it would not survive UTF-8 as itself). */
function isClientId(v: unknown): v is string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 2 * CLIENT_ID_MAX_LENGTH) return false;
  return pyLen(v) <= CLIENT_ID_MAX_LENGTH && loneSurrogate(v) === null;
}

/** An id as Django's ORM lookups take it (an integer, or a string int() reads), else the frame's error. */
function idValue(v: unknown, error: string): number {
  const id = parseId(v);
  if (id === null) throw new FrameError(error);
  return id;
}

class ChatConsumer extends GroupConsumer {
  declare readonly roomId: number;
  private readonly sender: SocketSender;

  constructor(
    ctx: AppContext,
    private readonly user: { id: number; first_name: string; photo: string | null; role: string },
    roomId: number,
    /** The handshake's `?after=` (beyond the original), null without one. */
    private readonly resume: ResumeRequest | null = null,
  ) {
    super(ctx, user.id, chatGroup(roomId), roomId, CHAT_EVENTS);
    this.sender = socketSender(user, ctx.storage);
  }

  // -------------------------------------------------------------------------------------------
  // Resume (?after=)

  protected override catchUp(): Promise<CatchUp | null> | null {
    if (!this.resume) return null;
    if ('refused' in this.resume) return Promise.resolve({ frames: [errorFrame(this.resume.refused)], close: CLOSE_BAD_RESUME });
    return this.readCatchUp(this.resume.after);
  }

  /**
   * Every message of the room stored after `after`, oldest first, as the chat_message frames this socket
   * would have received (is_self for this user; the socket sender shape, the attachment as its URL, the
   * text as it is now). Deleted messages are left out: a resumed frame must not bring one back (the REST
   * history shows them, flagged). Past the limits, the newest ones and then {"action": "resume_truncated"}.
   * Read after joining the group, so nothing stored later is missed; live chat_message events of the
   * messages sent here are dropped (held ones, and ones their senders publish after the catch-up).
   */
  private async readCatchUp(after: number): Promise<CatchUp> {
    const { maxMessages, maxBytes } = RESUME_LIMITS;
    const read = await q.resumeMessages(this.ctx.db.knex, { roomId: this.roomId, userId: this.user.id, after, limit: maxMessages + 1, maxBytes });
    if (!read.is_member) return { frames: [], close: CLOSE_ACCESS_REVOKED };
    if (!read.anchor_found) return { frames: [errorFrame(ERR.afterUnknown)], close: CLOSE_BAD_RESUME };
    const rows = read.rows.length > maxMessages ? read.rows.slice(read.rows.length - maxMessages) : read.rows;
    const appSafe = androidSafe(this.ctx.config);
    const storage = this.ctx.storage;
    const frames = rows.map((r) => {
      const event: ChatMessageEvent = {
        type: 'chat_message',
        message: r.content,
        sender: socketSender({ id: r.sender_id, first_name: r.s_first_name, photo: r.s_photo, role: r.s_role }, storage),
        message_type: r.message_type,
        attachment: storage.url(r.attachment),
        id: r.id,
        created_at: utcIsoformat(r.created_at)!,
        room: this.roomId,
      };
      const parent = r.p_id === null || r.p_id === undefined ? null : parentMessageObject(r as q.ParentRow, storage);
      const both = chatMessageFrames(event, parent, appSafe);
      return r.sender_id === this.user.id ? both.self : both.other;
    });
    if (read.fetched > rows.length) frames.push(resumeTruncatedFrame(rows[0].id));
    // A message is published once: its repeat, once dropped, cannot come again (the set only shrinks).
    const sent = new Set(rows.map((r) => r.id));
    return { frames, covers: (m) => m.type === 'chat_message' && sent.delete(Number(m.id)) };
  }

  private reply(text: string): void {
    this.socket?.send(text);
  }

  // -------------------------------------------------------------------------------------------
  // Client frames

  /** Frames are handled one at a time, in arrival order, like Channels' consumer: per-sender order holds. */
  private chain: Promise<void> = Promise.resolve();

  protected onText(text: string): Promise<void> {
    // When the frame arrived: a send that waits too long behind others is refused (WS_SEND_MAX_WAIT_MS).
    const receivedAt = performance.now();
    // A rejection must not end the chain: every later frame would be skipped.
    this.chain = this.chain
      .then(() => this.turn(text, receivedAt))
      .catch((err: unknown) => this.ctx.log.error({ err, roomId: this.roomId, userId: this.user.id }, 'chat frame handling failed'));
    return this.chain;
  }

  /**
   * A frame's turn. Once shutdown has begun, a frame still waiting behind others is refused like one that
   * arrives then (the sender sends it again once reconnected): only the frame being handled is finished.
   * A busy socket can have many waiting (a client sending faster than its frames are stored, e.g. on a
   * loaded machine); handling them all could outlast SHUTDOWN_GRACE_MS, and the process would be cut
   * with messages stored and not yet fanned out (src/server/lifecycle.ts).
   */
  private turn(text: string, receivedAt: number): Promise<void> | void {
    if (this.socket?.shuttingDown) return this.reply(SHUTTING_DOWN_ERROR);
    return this.handle(text, receivedAt);
  }

  /** Frames accepted before a close are still carried out (a send the client made is not lost). */
  private async handle(text: string, receivedAt: number): Promise<void> {
    const parsed = parsePythonJson(text);
    if (!parsed.ok) return this.reply(errorFrame(ERR.invalidJson));
    const data = parsed.value;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return this.reply(errorFrame(ERR.notObject));
    await this.dispatch(data as Record<string, unknown>, receivedAt);
  }

  private async dispatch(data: Record<string, unknown>, receivedAt: number): Promise<void> {
    const action = data.action === undefined ? 'send_message' : data.action;
    // A send's client_id (beyond the original) comes back in its error frames, as sent.
    const clientId = action === 'send_message' && data.client_id !== undefined && data.client_id !== null ? data.client_id : undefined;
    try {
      if (typeof action !== 'string') throw new FrameError(ERR.actionType);
      switch (action) {
        case 'send_message':
          return await this.sendMessage(data, receivedAt);
        case 'edit_message':
          return await this.editMessage(data);
        case 'delete_message':
          return await this.deleteMessage(data);
        case 'react_message':
          return await this.reactMessage(data);
        case 'pin_message':
          return await this.pinMessage(data);
        case 'typing':
        case 'stop_typing':
          return await this.publish({ type: 'chat_typing', sender: this.sender, is_typing: action === 'typing' });
        default:
          throw new FrameError(ERR.unknownAction);
      }
    } catch (err) {
      if (err instanceof FrameError) return this.reply(errorFrame(err.message, clientId));
      if (err instanceof q.WriterBusy) {
        // Refused before any statement (issue 13 #3: shed the excess): nothing was saved, as when the
        // database is unavailable; the socket stays open and the sender tries again.
        return this.reply(errorFrame(ERR.unavailable, clientId));
      }
      if (err instanceof q.SendOutcomeUnknown) {
        // The connection broke during the commit and Postgres stayed away: "nothing was saved" could be false.
        this.ctx.log.warn({ err: err.cause, action, roomId: this.roomId }, 'chat message outcome unknown: database unavailable');
        return this.reply(errorFrame(clientId === undefined ? ERR.outcomeUnknown : ERR.unavailableRetry, clientId));
      }
      if (isDatabaseUnavailable(err)) {
        this.ctx.log.warn({ err, action, roomId: this.roomId }, 'chat action refused: database unavailable');
        // With a client_id the outcome may be a stored row (a reset during the commit); a retry finds it.
        return this.reply(errorFrame(clientId === undefined ? ERR.unavailable : ERR.unavailableRetry, clientId));
      }
      this.ctx.log.error({ err, action, roomId: this.roomId, userId: this.user.id }, 'chat action failed');
      this.reply(errorFrame(ERR.serverError, clientId));
    }
  }

  /**
   * A client-chosen attachment (issue 13 #10): a stored media value (a Cloudinary path such as
   * `image/upload/v1/x.jpg`, as the app sends) or an http(s) URL of the configured media storage (Cloudinary's
   * res.cloudinary.com/<cloud>/, local /media/ under MEDIA_BASE_URL) — never `javascript:`, `data:` or
   * another host that other members' apps would open.
   */
  private mediaAttachment(value: string): boolean {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(value) && !value.startsWith('//') && !value.startsWith('\\')) return true;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (url.hostname === 'res.cloudinary.com' && url.pathname.startsWith(`/${this.ctx.config.cloudinaryCloudName}/`)) return true;
    const local = this.ctx.storage.kind === 'local' ? this.ctx.storage.url('media/') : null;
    if (local === null) return false;
    const base = new URL(local);
    return url.host === base.host && url.pathname.startsWith(base.pathname);
  }

  private async publish(event: ChatEvent): Promise<void> {
    try {
      await this.ctx.layer.groupSend(this.group, event satisfies LayerMessage);
    } catch (err) {
      // Stored already; members see it in the history. Local delivery does not depend on the transport.
      this.ctx.log.warn({ err, roomId: this.roomId, type: event.type }, 'chat fan-out failed');
    }
  }

  private async sendMessage(data: Record<string, unknown>, receivedAt: number): Promise<void> {
    const clientId = data.client_id === undefined || data.client_id === null ? undefined : data.client_id;
    if (clientId !== undefined && !isClientId(clientId)) throw new FrameError(ERR.clientIdType);
    const message = data.message;
    if (typeof message !== 'string' && message !== undefined && message !== null && message !== false) throw new FrameError(ERR.messageType);
    if (isFalsy(message)) throw new FrameError(ERR.missingMessage);
    const messageType = data.message_type ?? 'text';
    if (typeof messageType !== 'string' || messageType.length > 20 || messageType === '') throw new FrameError(ERR.messageTypeType);
    const attachment = data.attachment ?? null;
    if (attachment !== null && (typeof attachment !== 'string' || attachment.length > 255)) throw new FrameError(ERR.attachmentType);
    if ([message, messageType, attachment].some((v) => typeof v === 'string' && v.includes('\0'))) throw new FrameError(ERR.nulChars);
    if (typeof attachment === 'string' && !this.mediaAttachment(attachment)) throw new FrameError(ERR.attachmentHost);
    const rawMentions = data.mentions ?? [];
    if (!Array.isArray(rawMentions) || rawMentions.length > 1000) throw new FrameError(ERR.mentionsType);
    const mentionIds = [...new Set(rawMentions.map((m) => idValue(m, ERR.mentionsType)))];
    const parentId = data.parent_message_id === undefined || data.parent_message_id === null ? null : idValue(data.parent_message_id, ERR.parentType);

    const m: q.NewSocketMessage = {
      roomId: this.roomId,
      senderId: this.user.id,
      messageType,
      content: message as string,
      attachment: attachment as string | null,
      parentId,
      mentionIds,
      createdAt: nowTimestamp(),
    };
    let row: q.InsertedSocketMessage;
    if (clientId === undefined) {
      row = await this.ctx.chatMessages.insert(m, receivedAt);
    } else {
      // Before the claim: a refused send leaves no claim behind (its retry is a first attempt).
      this.ctx.chatMessages.admit(receivedAt);
      const once = await this.storeOnce(clientId, m);
      if ('earlier' in once) {
        // Stored by an earlier attempt: acknowledged again, never stored twice. Broadcast only if that attempt
        // could not (its connection broke after the commit, so it answered "may not have been saved").
        this.reply(messageAckFrame(clientId, once.earlier.id, utcIsoformat(once.earlier.createdAt)!));
        if (!(await this.mayPublish(clientId, false))) return;
        const stored = await q.storedSocketMessage(this.ctx.db.knex, { id: once.earlier.id, roomId: this.roomId });
        if (stored)
          await this.broadcastNewMessage(
            stored,
            stored,
            (stored.mentioned ?? []).filter((id) => id !== this.user.id),
          );
        return;
      }
      row = once.row;
    }
    if (!row.is_member) throw new FrameError(ERR.notMember);
    if (parentId !== null && !row.parent_found) throw new FrameError(ERR.parentMissing);
    if (row.id === null || row.created_at === null) throw new Error('message insert returned no row');
    if (clientId !== undefined) {
      this.reply(messageAckFrame(clientId, row.id, utcIsoformat(row.created_at)!));
      // A retry that found this row while we were committing may have broadcast it already.
      if (!(await this.mayPublish(clientId, true))) return;
    }
    const members = new Set(row.mentioned ?? []);
    const notify = mentionIds.filter((id) => id !== this.user.id && members.has(id));
    await this.broadcastNewMessage(
      row,
      { content: message as string, message_type: messageType, attachment: attachment as string | null, parent_message_id: parentId },
      notify,
    );
  }

  /** takePublication of the client_id store; when the store cannot answer, the attempt that stored the
   * message publishes (as without a client_id) and a retry does not. */
  private async mayPublish(clientId: string, stored: boolean): Promise<boolean> {
    try {
      return await this.ctx.chatClientIds.takePublication(this.user.id, clientId);
    } catch (err) {
      this.ctx.log.warn({ err, roomId: this.roomId }, 'client_id store unavailable: publication decided without it');
      return stored;
    }
  }

  /** The chat_message event of a stored message to the room, then the original's mention notifications. */
  private async broadcastNewMessage(
    row: q.InsertedSocketMessage,
    fields: { content: string | null; message_type: string; attachment: string | null; parent_message_id: number | null },
    notify: number[],
  ): Promise<void> {
    const parent = row.p_id === null ? null : parentMessageObject(row as q.ParentRow, this.ctx.storage);
    const event: ChatMessageEvent = {
      type: 'chat_message',
      message: fields.content as string,
      sender: this.sender,
      message_type: fields.message_type,
      attachment: fields.attachment,
      id: row.id!,
      created_at: utcIsoformat(row.created_at)!,
      room: this.roomId,
      parent_message_id: fields.parent_message_id,
      // Not read by Django consumers (they look the parent up); spares every csi-chat process the query.
      parent_message: parent,
    };
    await this.publish(event);
    if (notify.length) await this.notifyMentioned(notify, row.room_name ?? '');
  }

  /**
   * A send with a client_id, stored at most once (src/chat/clientIds.ts): the claim's reserved id is
   * inserted, or found stored by an earlier attempt of this user and client_id (this or any process).
   */
  private async storeOnce(
    clientId: string,
    m: q.NewSocketMessage,
  ): Promise<{ row: q.InsertedSocketMessage } | { earlier: { id: number; createdAt: string } }> {
    const knex = this.ctx.db.knex;
    let claim: ClientIdClaim;
    try {
      claim = await this.ctx.chatClientIds.claim(this.user.id, clientId, this.roomId, () => q.reserveMessageId(knex));
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw err;
      this.ctx.log.warn({ err, roomId: this.roomId }, 'send refused: client_id store unavailable');
      throw new FrameError(ERR.unavailable);
    }
    if (claim.roomId !== this.roomId) throw new FrameError(ERR.clientIdOtherRoom);
    const row = await q.insertClaimedMessage(knex, { ...m, id: claim.id });
    if (row.inserted) return { row };
    if (!row.claim_issued && row.prior_id === null) throw new FrameError(ERR.clientIdStale);
    // Not stored by this statement: stored before it began, by a concurrent attempt meanwhile, or refused.
    const stored =
      row.prior_id !== null
        ? { id: row.prior_id, created_at: row.prior_created_at!, ours: row.prior_ours === true }
        : await q.storedMessage(knex, { id: claim.id, senderId: this.user.id, roomId: this.roomId });
    if (!stored) return { row };
    if (!stored.ours) throw new FrameError(ERR.clientIdStale);
    return { earlier: { id: stored.id, createdAt: stored.created_at } };
  }

  /** The original's notify_user for each mentioned member: a row, a socket frame, a push when offline. */
  private async notifyMentioned(userIds: number[], roomName: string): Promise<void> {
    const text = `You were mentioned in ${roomName} chat by ${this.user.first_name}`;
    const items = await insertNotifications(
      this.ctx.db.knex,
      userIds.map((userId) => ({ userId, message: text, eventType: 'chat_mention' })),
    );
    await publishNotifications(this.ctx, items);
    try {
      const online = await this.ctx.online.onlineAmong(userIds);
      const offline = userIds.filter((id) => !online.has(id));
      if (offline.length) {
        await this.ctx.push.send(offline, {
          title: 'New mention',
          body: text,
          data: { event_type: 'chat_mention', room_id: String(this.roomId), click_action: `OPEN_CHAT?room_id=${this.roomId}` },
        });
      }
    } catch (err) {
      this.ctx.log.warn({ err }, 'mention push failed (notifications are stored)');
    }
  }

  private async editMessage(data: Record<string, unknown>): Promise<void> {
    if (isFalsy(data.message_id) || isFalsy(data.new_content)) throw new FrameError(ERR.editRequired);
    const id = idValue(data.message_id, ERR.messageIdType);
    if (typeof data.new_content !== 'string') throw new FrameError(ERR.newContentType);
    if (data.new_content.includes('\0')) throw new FrameError(ERR.nulChars);
    const ok = await q.editMessage(this.ctx.db.knex, {
      id,
      roomId: this.roomId,
      userId: this.user.id,
      content: data.new_content,
      now: nowTimestamp(),
    });
    if (!ok) throw new FrameError(ERR.editFailed);
    await this.publish({ type: 'chat_message_edited', id, new_content: data.new_content });
  }

  private async deleteMessage(data: Record<string, unknown>): Promise<void> {
    if (isFalsy(data.message_id)) throw new FrameError(ERR.deleteRequired);
    const id = idValue(data.message_id, ERR.messageIdType);
    const ok = await q.softDeleteMessage(this.ctx.db.knex, { id, roomId: this.roomId, userId: this.user.id, now: nowTimestamp() });
    if (!ok) throw new FrameError(ERR.deleteFailed);
    await this.publish({ type: 'chat_message_deleted', id });
  }

  private async reactMessage(data: Record<string, unknown>): Promise<void> {
    if (isFalsy(data.message_id) || isFalsy(data.reaction)) throw new FrameError(ERR.reactRequired);
    const id = idValue(data.message_id, ERR.messageIdType);
    const reaction = data.reaction;
    if (typeof reaction !== 'string' || reaction.length > 64) throw new FrameError(ERR.reactionType);
    if (reaction.includes('\0')) throw new FrameError(ERR.nulChars);
    const done = await q.reactToMessage(this.ctx.db.knex, { id, roomId: this.roomId, userId: this.user.id, reaction, now: nowTimestamp() });
    if (!done) throw new FrameError(ERR.reactFailed);
    await this.publish({
      type: 'chat_message_reacted',
      id,
      reactions: orderReactions(done.reactions, reaction, done.added) as Record<string, number>,
    });
  }

  private async pinMessage(data: Record<string, unknown>): Promise<void> {
    if (isFalsy(data.message_id)) throw new FrameError(ERR.pinRequired);
    const id = idValue(data.message_id, ERR.messageIdType);
    const pin = data.pin === undefined ? true : data.pin;
    if (typeof pin !== 'boolean') throw new FrameError(ERR.pinType);
    const done = await q.pinMessage(this.ctx.db.knex, { id, roomId: this.roomId, userId: this.user.id, pin, now: nowTimestamp(), limit: PIN_LIMIT });
    if (!done.ok) throw new FrameError(ERR.pinFailed);
    await this.publish({ type: 'chat_message_pinned', id, is_pinned: pin, pinned_at: utcIsoformat(done.pinnedAt) });
  }
}

/** The handshake: a valid token of an active user who is a member of an active room, else 403. */
export async function connectChat(ctx: AppContext, up: UpgradeRequest): Promise<void> {
  const roomId = Number(up.params.room_id);
  if (!Number.isSafeInteger(roomId) || up.params.room_id.length > 18) return up.reject(403);
  const info = await authenticateSocket(ctx.handshakes, up.query, roomId);
  if (!info || !info.room_active || !info.is_member) return up.reject(403);
  await new ChatConsumer(ctx, info, roomId, resumeRequest(up.query)).connect(up);
}
