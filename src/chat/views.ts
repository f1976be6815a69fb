// The fourteen views of the original's Chat/urls.py (CSI_BACKEND@37029af), same statuses and bodies.
// Where the original crashed with a 500 on bad input, a 4xx JSON answer (listed in the report).
import type { ApiRequest, ApiResult } from '../drf/api.ts';
import { apiView, readDict } from '../drf/api.ts';
import { badRequest, jsonError, noMatch, notFound, permissionDenied, validationError } from '../drf/errors.ts';
import { nowTimestamp } from '../drf/datetime.ts';
import { djangoAbsoluteUri, pageBody, planPage, replaceQueryParam } from '../drf/pagination.ts';
import type { UserRow } from '../auth/tokens.ts';
import { chatGroup } from './events.ts';
import * as q from './queries.ts';
import { ROOM_MESSAGES_PLAN } from '../db/sql.ts';
import {
  serializeJoinedRoom,
  serializeMessage,
  serializeRoom,
  serializeRoomListItem,
  serializeUpload,
  serializeUser,
  uploadBroadcast,
  type SerializeContext,
} from './serializers.ts';
import { boolean, char, dictInput, file, image, integer, parsePk, pk, pkList, readInput, type SerializerInput } from '../drf/fields/index.ts';
import { isTruthy, lookupId, MAX_INT4 } from '../python/builtins.ts';
import { serializer } from '../drf/serializer.ts';
import { androidSafe } from '../config.ts';
import { pageSchema } from '../drf/pagination.ts';
import {
  anyOf,
  arrayOf,
  bodyOf,
  detailBody,
  errorBody,
  fieldErrorsBody,
  inputSchemaOf,
  json,
  messageBody,
  obj,
  partialBody,
  STORAGE_FAILED,
  T,
  type JsonSchema,
  type QueryParamDoc,
} from '../drf/openapi.ts';
import { chatUserSchema, joinedRoomSchema, messageSchema, roomListItemSchema, roomSchema, uploadSchema, userForRoomSchema } from './serializers.ts';

const NO_ROOM = detailBody('No Room matches the given query.');
const SEARCH_QUERY: QueryParamDoc[] = [{ name: 'q', required: true, schema: T.str }];

const MESSAGE_PAGINATION = { pageSize: 20, maxPageSize: 100 };

function sctx(req: ApiRequest): SerializeContext {
  return { storage: req.ctx.storage, nowMs: Date.now(), appSafe: androidSafe(req.ctx.config) };
}

function me(req: ApiRequest): UserRow {
  return req.user!;
}

/** Planner settings of the statements that read a room's messages: index paths with DB_ROOM_INDEX_PATHS. */
function roomPlan(req: ApiRequest): string | undefined {
  return req.ctx.config.dbRoomIndexPaths ? ROOM_MESSAGES_PLAN : undefined;
}

/** The id of an `<int:room_id>` / `<str:room_id>` path segment, null when no row can have it. */
function roomIdParam(req: ApiRequest): number | null {
  return lookupId(req.params.room_id ?? '');
}

/** A string query value cannot reach Postgres with a NUL in it; nothing can match one anyway. */
const hasNul = (s: string) => s.includes('\0');

// ---------------------------------------------------------------------------------------------
// Reads

/** GET groups/ — UserRoomsAPIView */
export const userRooms = apiView({
  name: 'User Rooms Api',
  docs: {
    GET: {
      summary: "The rooms the user is a member of, with unread counts and each room's last message",
      responses: { 200: json('The rooms', arrayOf(roomSchema)), 404: json('No room joined', messageBody('You have not joined any rooms.')) },
    },
  },
  methods: {
    async GET(req) {
      const rooms = await q.joinedRooms(req.ctx.db.knex, me(req).id, roomPlan(req));
      if (rooms.length === 0) return { status: 404, body: { message: 'You have not joined any rooms.' } };
      const c = sctx(req);
      return { body: rooms.map((r) => serializeRoom(r, c, true)) };
    },
  },
});

/** GET groups/<str:room_id>/members/ — RoomMembersAPIView (its catch-all answered 500 for unknown rooms). */
export const roomMembers = apiView({
  name: 'Room Members Api',
  docs: {
    GET: {
      summary: "An active room's members",
      responses: {
        200: json('The members', arrayOf(chatUserSchema)),
        404: json('No such active room', errorBody('An error occurred: No Room matches the given query.')),
      },
    },
  },
  methods: {
    async GET(req) {
      const id = roomIdParam(req);
      const room = id === null ? null : await q.activeRoomAccess(req.ctx.db.knex, id, me(req).id);
      if (!room) throw jsonError(404, { error: 'An error occurred: No Room matches the given query.' });
      const members = await q.roomMembers(req.ctx.db.knex, room.id);
      const c = sctx(req);
      return { body: members.map((m) => serializeUser(m, c)) };
    },
  },
});

/**
 * The history's cursor paging (beyond the original, opt-in): `?before=<message id>&limit=<n>` — the n
 * messages of the room with an id below `before`, newest first; without `before`, the newest n. Query
 * parameters as a serializer (DRF's IntegerField texts for a bad value, 400 {"before": […]}).
 */
export const HISTORY_CURSOR = { defaultLimit: MESSAGE_PAGINATION.pageSize, maxLimit: MESSAGE_PAGINATION.maxPageSize } as const;

export const historyCursorQuery = serializer({
  before: integer({ required: false, minValue: 1, maxValue: MAX_INT4 }),
  limit: integer({ required: false, minValue: 1, maxValue: HISTORY_CURSOR.maxLimit }),
});

/** The cursor page's body: `next` is this URL with `before` set to the last message's id, null on the last page. */
export interface CursorPageBody<T> {
  next: string | null;
  results: T[];
}
export const cursorPageSchema = (messageSchema: JsonSchema) =>
  obj({
    next: { type: ['string', 'null'], description: 'this URL with before=<last id>; null on the last page' },
    results: { ...arrayOf(messageSchema), maxItems: HISTORY_CURSOR.maxLimit },
  });

const CURSOR_PARAMS = ['before', 'limit'] as const;
const PAGE_PARAMS = ['page', 'page_size'] as const;
export const CURSOR_AND_PAGE = 'Use either page/page_size or before/limit, not both.';

async function cursorPage(req: ApiRequest, roomId: number): Promise<CursorPageBody<ReturnType<typeof serializeMessage>>> {
  if (PAGE_PARAMS.some((k) => req.query(k) !== undefined)) throw badRequest(CURSOR_AND_PAGE);
  const given: Record<string, unknown> = {};
  for (const k of CURSOR_PARAMS) if (req.query(k) !== undefined) given[k] = req.query(k);
  const { before = null, limit = HISTORY_CURSOR.defaultLimit } = await historyCursorQuery.validate(dictInput(given));
  // One more than asked: whether there is a next page.
  const rows = await q.messagesBefore(req.ctx.db.knex, roomId, before, limit + 1);
  const page = rows.slice(0, limit);
  const c = sctx(req);
  const viewer = me(req).id;
  const next = rows.length > limit ? replaceQueryParam(djangoAbsoluteUri(req.absoluteUri()), 'before', page[page.length - 1].id) : null;
  return { next, results: page.map((m) => serializeMessage(m, c, viewer)) };
}

/** GET groups/<str:room_id>/messages/ — RoomMessagesAPIView (ListAPIView + MessagePagination); with
 * `before` or `limit`, the cursor paging above. */
export const roomMessages = apiView({
  name: 'Room Messages Api',
  docs: {
    GET: {
      summary: "A room's history, newest first: page numbers (the original), or with before/limit a stable cursor (opt-in)",
      query: [
        { name: 'page', schema: { type: 'integer', minimum: 1 }, description: 'page number (out of range: 404 "Invalid page.")' },
        { name: 'page_size', schema: { type: 'integer', minimum: 1, maximum: MESSAGE_PAGINATION.maxPageSize, default: MESSAGE_PAGINATION.pageSize } },
        ...Object.entries(historyCursorQuery.fields).map(([name, f]) => ({
          name,
          schema: f.schema!,
          description:
            name === 'before'
              ? 'opt-in cursor paging: the messages with a lower id'
              : `opt-in cursor paging: page size (default ${HISTORY_CURSOR.defaultLimit}); with page or page_size: 400 "${CURSOR_AND_PAGE}"`,
        })),
      ],
      responses: {
        200: json(
          'A page of messages (page numbers), or with before/limit a cursor page',
          anyOf(pageSchema(messageSchema), cursorPageSchema(messageSchema)),
        ),
        400: json('Bad before/limit, or mixed with page/page_size', anyOf(fieldErrorsBody(historyCursorQuery.schema), detailBody(CURSOR_AND_PAGE))),
        403: json('Not a member', detailBody('You are not a member of this room.')),
        404: json('No such active room, or a page out of range', detailBody('No Room matches the given query.', 'Invalid page.')),
      },
    },
  },
  methods: {
    async GET(req) {
      const knex = req.ctx.db.knex;
      const id = roomIdParam(req);
      if (CURSOR_PARAMS.some((k) => req.query(k) !== undefined)) {
        // The same checks, without the paginator's count.
        const room = id === null ? null : await q.roomAccess(knex, id, me(req).id);
        if (!room || !room.is_active) throw noMatch('Room');
        if (!room.is_member) throw permissionDenied('You are not a member of this room.');
        return { body: await cursorPage(req, room.id) };
      }
      const access = id === null ? null : await q.historyAccess(knex, id, me(req).id, roomPlan(req));
      if (!access || !access.is_active) throw noMatch('Room');
      if (!access.is_member) throw permissionDenied('You are not a member of this room.');
      const plan = planPage(access.count, { page: req.query('page'), pageSize: req.query('page_size') }, MESSAGE_PAGINATION);
      const rows = await q.messagePage(knex, id!, plan.size, plan.offset, roomPlan(req));
      const c = sctx(req);
      const viewer = me(req).id;
      return {
        body: pageBody(
          req.absoluteUri(),
          plan,
          access.count,
          rows.map((m) => serializeMessage(m, c, viewer)),
        ),
      };
    },
  },
});

/** GET groups/list/ — RoomListAPIView */
export const roomList = apiView({
  name: 'Room List Api',
  docs: { GET: { summary: 'Every active room', responses: { 200: json('The rooms', arrayOf(roomListItemSchema)) } } },
  methods: {
    async GET(req) {
      const rooms = await q.activeRooms(req.ctx.db.knex);
      const c = sctx(req);
      return { body: rooms.map((r) => serializeRoomListItem(r, c)) };
    },
  },
});

/** GET groups/search/?q= — UserGroupSearchAPIView */
export const groupSearch = apiView({
  name: 'User Group Search Api',
  docs: {
    GET: {
      summary: "Search the user's rooms by name",
      query: SEARCH_QUERY,
      responses: {
        200: json('The matching rooms', arrayOf(roomListItemSchema)),
        400: json('No query', errorBody('Please Provide a search query.')),
        404: json('None found', messageBody('No groups Found')),
      },
    },
  },
  methods: {
    async GET(req) {
      const query = req.query('q') ?? '';
      if (!query) return { status: 400, body: { error: 'Please Provide a search query.' } };
      const rooms = hasNul(query) ? [] : await q.searchJoinedRooms(req.ctx.db.knex, me(req).id, query);
      if (rooms.length === 0) return { status: 404, body: { message: 'No groups Found' } };
      const c = sctx(req);
      return { body: rooms.map((r) => serializeRoomListItem(r, c)) };
    },
  },
});

/** GET groups/<int:room_id>/search/members/?q= — UserGroupMembersSearchAPIView */
export const memberSearch = apiView({
  name: 'User Group Members Search Api',
  docs: {
    GET: {
      summary: "Search a room's members by name",
      query: SEARCH_QUERY,
      responses: {
        200: json('The matching members', arrayOf(chatUserSchema)),
        400: json('No query', errorBody('Please Provide a search query.')),
        403: json('Not a member', messageBody('You are not a member of this group')),
        404: json('No such active room, or no member found', anyOf(NO_ROOM, messageBody('no user found'))),
      },
    },
  },
  methods: {
    async GET(req) {
      const knex = req.ctx.db.knex;
      const id = roomIdParam(req);
      const room = id === null ? null : await q.activeRoomAccess(knex, id, me(req).id);
      if (!room) throw noMatch('Room');
      if (!room.is_member) return { status: 403, body: { message: 'You are not a member of this group' } };
      const query = req.query('q') ?? '';
      if (!query) return { status: 400, body: { error: 'Please Provide a search query.' } };
      const members = hasNul(query) ? [] : await q.searchRoomMembers(knex, room.id, query);
      if (members.length === 0) return { status: 404, body: { message: 'no user found' } };
      const c = sctx(req);
      return { body: members.map((m) => serializeUser(m, c)) };
    },
  },
});

// ---------------------------------------------------------------------------------------------
// Room writes

const NAME_TAKEN = 'room with this name already exists.';

interface RoomFields {
  name?: string;
  description?: string | null;
  members?: number[];
  avatar?: import('../drf/api.ts').UploadedFile;
  is_active?: boolean;
}

type Knex = ApiRequest['ctx']['db']['knex'];

/** RoomSerializer (create, with members) / EditRoomSerializer (partial update) fields. */
function roomFields(knex: Knex, roomId: number | null) {
  return {
    name: char({
      maxLength: 50,
      validators: [async (value: string) => ((await q.roomNameTaken(knex, value, roomId)) ? NAME_TAKEN : null)],
    }),
    description: char({ required: false, allowNull: true, allowBlank: true }),
  };
}

/** The fields after name and description (RoomSerializer / EditRoomSerializer). */
const roomTail = () => ({ room_avatar: image({ required: false }), is_active: boolean({ required: false }) });
const membersField = (knex: Knex) => pkList({ existing: (ids: number[]) => q.existingUserIds(knex, ids) });

/** The input schemas of create-group/ and edit-group/ (the serializers validateRoom runs; no database needed to describe them). */
const CREATE_ROOM_INPUT = inputSchemaOf((knex: Knex) => serializer({ ...roomFields(knex, null), members: membersField(knex), ...roomTail() }));
const EDIT_ROOM_INPUT = partialBody(inputSchemaOf((knex: Knex) => serializer({ ...roomFields(knex, null), ...roomTail() })));

/** RoomSerializer (create) / EditRoomSerializer (partial update) validation. */
async function validateRoom(
  req: ApiRequest,
  input: SerializerInput,
  mode: { partial: boolean; withMembers: boolean; roomId: number | null },
): Promise<RoomFields> {
  const knex = req.ctx.db.knex;
  const tail = roomTail();
  const data = mode.withMembers
    ? await serializer({
        ...roomFields(knex, mode.roomId),
        members: membersField(knex),
        ...tail,
      }).validate(input, { partial: mode.partial })
    : await serializer({ ...roomFields(knex, mode.roomId), ...tail }).validate(input, { partial: mode.partial });
  const { room_avatar: avatar, ...rest } = data;
  return { ...rest, ...(avatar ? { avatar } : {}) };
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23505';
}

/** Stores a room avatar like CloudinaryField.pre_save (resource_type image). */
async function storeAvatar(req: ApiRequest, fields: RoomFields): Promise<string | null> {
  if (!fields.avatar) return null;
  try {
    return await req.ctx.storage.save(
      { buffer: fields.avatar.buffer, filename: fields.avatar.originalname, mimetype: fields.avatar.mimetype },
      { resourceType: 'image' },
    );
  } catch (err) {
    req.ctx.log.error({ err }, 'room avatar upload failed');
    throw jsonError(502, { detail: 'The file could not be stored. Try again later.' });
  }
}

async function discard(req: ApiRequest, stored: string | null): Promise<void> {
  if (!stored || !req.ctx.storage.remove) return;
  await req.ctx.storage.remove(stored).catch((err: unknown) => req.ctx.log.warn({ err, stored }, 'could not remove an orphaned upload'));
}

/** POST create-group/ — CreateRoomAPIView */
export const createRoom = apiView({
  takesFiles: true,
  name: 'Create Room Api',
  docs: {
    POST: {
      summary: 'Create a room (the creator owns it); multipart for an avatar',
      body: bodyOf(CREATE_ROOM_INPUT, { form: true }),
      responses: {
        201: json('Created', obj({ message: { const: 'Room created successfully' }, room: roomSchema })),
        400: json('Invalid fields', fieldErrorsBody(CREATE_ROOM_INPUT)),
        502: STORAGE_FAILED,
      },
    },
  },
  methods: {
    async POST(req) {
      const knex = req.ctx.db.knex;
      const fields = await validateRoom(req, await readInput(req), { partial: false, withMembers: true, roomId: null });
      const avatar = await storeAvatar(req, fields);
      let roomId: number;
      try {
        roomId = await knex.transaction(async (trx) => {
          const createdAt = nowTimestamp();
          return q.insertRoom(
            trx,
            {
              name: fields.name!,
              description: fields.description ?? null,
              room_avatar: avatar,
              is_active: fields.is_active ?? true,
              created_by_id: me(req).id,
              created_at: createdAt,
              updated_at: nowTimestamp(),
            },
            [...new Set(fields.members ?? [])].sort((a, b) => a - b),
          );
        });
      } catch (err) {
        await discard(req, avatar);
        if (isUniqueViolation(err)) throw validationError({ name: [NAME_TAKEN] });
        throw err;
      }
      const detail = await q.roomDetail(knex, roomId);
      return { status: 201, body: { message: 'Room created successfully', room: serializeRoom(detail!, sctx(req), false) } };
    },
  },
});

/** PUT edit-group/<int:room_id>/ — EditRoomAPIView (partial update by any member) */
export const editRoom = apiView({
  takesFiles: true,
  name: 'Edit Room Api',
  docs: {
    PUT: {
      summary: "Change a room's name, description, avatar or active flag (any member; only the fields given)",
      body: bodyOf(EDIT_ROOM_INPUT, { form: true }),
      responses: {
        200: json('Updated', obj({ message: { const: 'Room updated successfully' }, room: roomSchema })),
        400: json('Invalid fields', fieldErrorsBody(EDIT_ROOM_INPUT)),
        403: json('Not a member', detailBody('You do not have permission to edit this room.')),
        404: json('No such room', detailBody('Room not found')),
        502: STORAGE_FAILED,
      },
    },
  },
  methods: {
    async PUT(req) {
      const knex = req.ctx.db.knex;
      const id = roomIdParam(req);
      const room = id === null ? null : await q.roomAccess(knex, id, me(req).id);
      if (!room) throw notFound('Room not found');
      if (!room.is_member) return { status: 403, body: { detail: 'You do not have permission to edit this room.' } };
      const fields = await validateRoom(req, await readInput(req), { partial: true, withMembers: false, roomId: room.id });
      const avatar = await storeAvatar(req, fields);
      try {
        await q.updateRoom(knex, room.id, {
          ...(fields.name !== undefined ? { name: fields.name } : {}),
          ...(fields.description !== undefined ? { description: fields.description } : {}),
          ...(avatar !== null ? { room_avatar: avatar } : {}),
          ...(fields.is_active !== undefined ? { is_active: fields.is_active } : {}),
          updated_at: nowTimestamp(),
        });
      } catch (err) {
        await discard(req, avatar);
        if (isUniqueViolation(err)) throw validationError({ name: [NAME_TAKEN] });
        throw err;
      }
      if (fields.is_active === false) await req.ctx.sessions.revoke(await q.roomMemberIds(knex, room.id), room.id);
      const detail = await q.roomDetail(knex, room.id);
      if (!detail) throw notFound('Room not found');
      return { body: { message: 'Room updated successfully', room: serializeRoom(detail, sctx(req), false) } };
    },
  },
});

/** DELETE delete-group/<int:room_id>/ — DeleteRoomAPIView (creator only, hard delete with cascade) */
export const deleteRoom = apiView({
  name: 'Delete Room Api',
  docs: {
    DELETE: {
      summary: 'Delete a room with its messages (its creator only); its sockets are closed with 4003',
      responses: {
        200: json('Deleted', messageBody('Room deleted successfully.')),
        403: json('Not the creator', errorBody('You are not authorized to delete this room.')),
        404: json('No such room', NO_ROOM),
      },
    },
  },
  methods: {
    async DELETE(req) {
      const knex = req.ctx.db.knex;
      const id = roomIdParam(req);
      const deleted = await knex.transaction(async (trx) => {
        const room = id === null ? null : await q.roomAccess(trx, id, me(req).id, { forUpdate: true });
        if (!room) throw noMatch('Room');
        if (room.created_by_id !== me(req).id) return null;
        const members = await q.roomMemberIds(trx, room.id);
        await q.deleteRoomCascade(trx, room.id);
        return { roomId: room.id, members };
      });
      if (!deleted) return { status: 403, body: { error: 'You are not authorized to delete this room.' } };
      await req.ctx.sessions.revoke(deleted.members, deleted.roomId);
      return { body: { message: 'Room deleted successfully.' } };
    },
  },
});

/** POST group/<int:room_id>/remove-yourself/ — RemoveYourselfFromRoomAPIView */
export const removeYourself = apiView({
  name: 'Remove Yourself From Room Api',
  docs: {
    POST: {
      summary: 'Leave a room (not its creator)',
      responses: {
        200: json('Left', messageBody('You have successfully removed yourself from the group.')),
        403: json(
          'Not a member, or the creator',
          detailBody('You are not a member of this room.', 'You are the group creator. Transfer ownership before leaving.'),
        ),
        404: json('No such room', detailBody('Room not found')),
      },
    },
  },
  methods: {
    async POST(req) {
      const knex = req.ctx.db.knex;
      const id = roomIdParam(req);
      const room = id === null ? null : await q.roomAccess(knex, id, me(req).id);
      if (!room) throw notFound('Room not found');
      if (!room.is_member) return { status: 403, body: { detail: 'You are not a member of this room.' } };
      if (room.created_by_id === me(req).id) {
        return { status: 403, body: { detail: 'You are the group creator. Transfer ownership before leaving.' } };
      }
      await q.removeMember(knex, room.id, me(req).id);
      await req.ctx.sessions.revoke([me(req).id], room.id);
      return { body: { message: 'You have successfully removed yourself from the group.' } };
    },
  },
});

/** POST group/<int:room_id>/transfer-ownership/ — TransferOwnershipAPIView */
export const transferOwnership = apiView({
  name: 'Transfer Ownership Api',
  docs: {
    POST: {
      summary: 'Give a room to another member (its owner only)',
      body: { schema: { type: 'object', properties: { new_owner_id: { type: ['integer', 'string'] } }, required: ['new_owner_id'] }, form: true },
      responses: {
        200: json('Transferred', obj({ message: { const: 'Ownership transferred successfully.' }, new_owner: userForRoomSchema })),
        400: json(
          'No or bad new owner',
          detailBody('New owner ID is required.', 'A valid integer is required.', 'The specified user is not a member of this group.'),
        ),
        403: json('Not the owner', detailBody('Only the current owner can transfer ownership.')),
        404: json('No such room', NO_ROOM),
      },
    },
  },
  methods: {
    async POST(req) {
      const knex = req.ctx.db.knex;
      const id = roomIdParam(req);
      const room = id === null ? null : await q.roomAccess(knex, id, me(req).id);
      if (!room) throw noMatch('Room');
      if (room.created_by_id !== me(req).id) {
        return { status: 403, body: { detail: 'Only the current owner can transfer ownership.' } };
      }
      const raw = (await readDict(req)).new_owner_id;
      if (!isTruthy(raw)) return { status: 400, body: { detail: 'New owner ID is required.' } };
      // room.members.get(id=value): Django's int(value); True is 1, floats truncate, "abc"/lists crash there.
      const parsed = parsePk(raw === true ? 1 : raw);
      if (!parsed.ok) throw badRequest('A valid integer is required.');
      const newOwner = parsed.id === null ? null : await q.memberById(knex, room.id, parsed.id);
      if (!newOwner) return { status: 400, body: { detail: 'The specified user is not a member of this group.' } };
      await q.updateRoom(knex, room.id, { created_by_id: newOwner.id, updated_at: nowTimestamp() });
      return {
        body: {
          message: 'Ownership transferred successfully.',
          new_owner: { id: newOwner.id, first_name: newOwner.first_name, last_name: newOwner.last_name },
        },
      };
    },
  },
});

/** POST group/<int:room_id>/add-yourself/ — AddYourselfToRoomAPIView */
export const addYourself = apiView({
  name: 'Add Yourself To Room Api',
  docs: {
    POST: {
      summary: 'Join an active room',
      responses: {
        200: json('Joined', obj({ message: { const: 'You have been added to the group successfully.' }, room: joinedRoomSchema })),
        400: json('Already a member', detailBody('You are already a member of this group.')),
        404: json('No such active room', NO_ROOM),
      },
    },
  },
  methods: {
    async POST(req) {
      const knex = req.ctx.db.knex;
      const id = roomIdParam(req);
      const result = await knex.transaction(async (trx) => {
        const room = id === null ? null : await q.roomAccess(trx, id, me(req).id, { forUpdate: true });
        if (!room || !room.is_active) throw noMatch('Room');
        if (room.is_member) return null;
        await q.addMember(trx, room.id, me(req).id);
        await q.updateRoom(trx, room.id, { updated_at: nowTimestamp() });
        return { room, members: await q.roomMembers(trx, room.id) };
      });
      if (!result) return { status: 400, body: { detail: 'You are already a member of this group.' } };
      return {
        body: { message: 'You have been added to the group successfully.', room: serializeJoinedRoom(result.room, result.members) },
      };
    },
  },
});

/** POST groups/<int:room_id>/mark-as-read/ — MarkRoomAsReadAPIView (members or not; the original 500'd
 * on an unknown room with this body). */
export const markAsRead = apiView({
  name: 'Mark Room As Read Api',
  docs: {
    POST: {
      summary: "Mark a room's messages as read for the user",
      responses: {
        200: json('Marked', messageBody('Room marked as read.')),
        404: json('No such room (the original answered 500 with this body)', errorBody('No Room matches the given query.')),
      },
    },
  },
  methods: {
    async POST(req) {
      const id = roomIdParam(req);
      const ok = id !== null && (await q.markRead(req.ctx.db.knex, id, me(req).id, nowTimestamp()));
      if (!ok) throw jsonError(404, { error: 'No Room matches the given query.' });
      return { body: { message: 'Room marked as read.' } };
    },
  },
});

// ---------------------------------------------------------------------------------------------
// Upload

/** MessageUploadSerializer's fields. */
function uploadFields(knex: Knex, roomId: number | null, userId: number) {
  return {
    content: char({ required: false, allowBlank: true }),
    attachment: file(),
    // A message of this room only (issue 13 #5): another room's answers as a missing pk.
    parent_message: pk({ required: false, allowNull: true, exists: (pid: number) => q.parentAllowed(knex, pid, roomId, userId), max: MAX_INT4 }),
  };
}
const UPLOAD_INPUT = inputSchemaOf((knex: Knex) => serializer(uploadFields(knex, 0, 0)));

/** POST groups/<int:room_id>/messages/upload/ — MessageUploadView (CreateAPIView) */
export const messageUpload = apiView({
  takesFiles: true,
  name: 'Message Upload',
  docs: {
    POST: {
      summary: "Send a file or image to a room (broadcast to the room's sockets as a chat_message frame)",
      body: bodyOf(UPLOAD_INPUT, { multipartOnly: true }),
      responses: {
        201: json('Stored and broadcast', uploadSchema),
        400: json('Invalid fields', fieldErrorsBody(UPLOAD_INPUT)),
        403: json('Not a member', detailBody('Not a member of this room.')),
        404: json('No such active room', NO_ROOM),
        502: STORAGE_FAILED,
      },
    },
  },
  methods: {
    async POST(req): Promise<ApiResult> {
      const { ctx } = req;
      const knex = ctx.db.knex;
      const user = me(req);
      const roomId = roomIdParam(req);
      // serializer.is_valid(raise_exception=True) comes before perform_create's room checks.
      const upload = await serializer(uploadFields(knex, roomId, user.id)).validate(await readInput(req));
      const attachment = upload.attachment;
      const parentId = upload.parent_message ?? null;
      const text = upload.content ?? null;

      const room = roomId === null ? null : await q.activeRoomAccess(knex, roomId, user.id);
      if (!room) throw noMatch('Room');
      if (!room.is_member) throw permissionDenied('Not a member of this room.');

      const messageType = attachment.mimetype.startsWith('image/') ? 'image' : 'file';
      let stored: string;
      try {
        stored = await ctx.storage.save(
          { buffer: attachment.buffer, filename: attachment.originalname, mimetype: attachment.mimetype },
          { resourceType: 'auto' },
        );
      } catch (err) {
        ctx.log.error({ err }, 'attachment upload failed');
        throw jsonError(502, { detail: 'The file could not be stored. Try again later.' });
      }
      let row: { id: number; created_at: string } | null;
      try {
        const createdAt = nowTimestamp();
        row = await q.insertMessage(knex, {
          roomId: room.id,
          senderId: user.id,
          messageType,
          content: text,
          attachment: stored,
          parentId,
          createdAt,
          updatedAt: nowTimestamp(),
        });
      } catch (err) {
        await discard(req, stored);
        throw err;
      }
      if (!row) {
        // Left the room between the check and the insert: Message.save() refuses, nothing is kept.
        await discard(req, stored);
        throw permissionDenied('Not a member of this room.');
      }
      const url = ctx.storage.url(stored);
      const c = sctx(req);
      const event = uploadBroadcast({
        content: text,
        attachmentUrl: url,
        sender: serializeUser(user, c),
        messageType,
        id: row.id,
        createdAt: row.created_at,
        roomId: room.id,
        parentId,
      });
      try {
        await ctx.layer.groupSend(chatGroup(room.id), event);
      } catch (err) {
        // The message is stored; sockets pick it up from the history.
        ctx.log.error({ err, roomId: room.id, messageId: row.id }, 'upload broadcast failed');
      }
      return { status: 201, body: serializeUpload(text, url, parentId) };
    },
  },
});
