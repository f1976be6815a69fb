// The AsyncAPI 3.0 document of the sockets, built from the socket URL table (src/urls.ts
// websocketUrlpatterns) and, per route, its consumer's declarations: the frames it sends (the event
// tables, CHAT_EVENTS / NOTIFICATION_EVENTS, with each entry's frame schema), the actions it reads
// (CHAT_ACTIONS), the error frame and the opt-ins (src/chat/optIns.ts). It describes the server: a
// `receive` operation is a frame a client sends, a `send` operation a frame the server writes.
import { flattenPatterns, type UrlPattern } from '../drf/router.ts';
import type { EventTable } from '../realtime/fanout.ts';
import type { UpgradeHandler } from '../realtime/router.ts';
import { CLOSE_POLICY_VIOLATION, CLOSE_TRY_AGAIN_LATER } from '../realtime/socket.ts';
import { CLOSE_ACCESS_REVOKED } from '../realtime/sessions.ts';
import { CHAT_EVENTS } from '../chat/events.ts';
import { CHAT_ACTIONS, CLOSE_BAD_RESUME, ERR } from '../chat/consumer.ts';
import { connectChat } from '../chat/consumer.ts';
import { errorFrameSchema } from '../chat/frames.ts';
import { afterQueryParameter, clientErrorFrameSchema, clientIdField, messageAckFrameSchema, resumeTruncatedFrameSchema } from '../chat/optIns.ts';
import { NOTIFICATION_EVENTS, connectNotifications } from '../notification/sockets.ts';
import type { JsonSchema } from '../drf/openapi.ts';

type Schema = JsonSchema;

interface SocketDoc {
  /** the channel's key in the document */
  key: string;
  description: string;
  query: Record<string, Schema>;
  events: EventTable;
  /** actions a client sends: name → payload */
  actions: Record<string, { summary: string; payload: Schema }>;
  /** other frames the server writes: name → (summary, payload) */
  frames: Record<string, { summary: string; payload: Schema }>;
}

const TOKEN = { type: 'string', description: "the user's DRF token (from POST /api/user/login/)" };

/** send_message and the other actions as payload schemas; send_message takes the opt-in client_id. */
function chatActions(): SocketDoc['actions'] {
  const out: SocketDoc['actions'] = {};
  for (const [name, a] of Object.entries(CHAT_ACTIONS)) {
    const properties: Record<string, Schema> = {
      action: name === 'send_message' ? { const: name, description: 'absent: send_message' } : { const: name },
      ...(a.properties as Record<string, Schema>),
      ...(name === 'send_message' ? { client_id: { ...clientIdField, type: ['string', 'null'] } } : {}),
    };
    const required = [...(name === 'send_message' ? [] : ['action']), ...a.required];
    out[name] = { summary: a.summary, payload: { type: 'object', properties, required } };
  }
  return out;
}

const CLOSE_CODES =
  `Close codes: ${CLOSE_POLICY_VIOLATION} (too many frames: WS_RATE_PER_SECOND / WS_RATE_BURST or WS_USER_RATE_*, after an error ` +
  `frame; or one socket more than WS_MAX_SOCKETS_PER_USER), ` +
  `1009 (a frame over WS_MAX_FRAME_BYTES), ${CLOSE_TRY_AGAIN_LATER} (a reader too slow for WS_SEND_BUFFER_BYTES, more than ` +
  `WS_MAX_PENDING_FRAMES frames waiting, or more live events than a resume's catch-up may hold), ` +
  `${CLOSE_ACCESS_REVOKED} (access revoked: removed from the room, room deleted or deactivated, on every process), ` +
  `1001 (server shutting down), 1011 (the server failed). A refused handshake is an HTTP 403 (no token, a bad token, an ` +
  `inactive user, an unknown or inactive room, not a member) or 404 (no such socket path).`;

function socketDocs(): Map<UpgradeHandler, SocketDoc> {
  return new Map<UpgradeHandler, SocketDoc>([
    [
      connectChat,
      {
        key: 'chat',
        description:
          "A room's chat: every member's sockets get the room's frames. " +
          `Errors of a frame are answered to its sender only, as {"error": "…"} (e.g. "${ERR.invalidJson}", "${ERR.unknownAction}"); the socket stays open. ` +
          `Opt-in resume: ?after=<message id> (a bad one: an error frame, then close ${CLOSE_BAD_RESUME}). ` +
          CLOSE_CODES,
        query: { token: TOKEN, after: { ...afterQueryParameter.schema, description: afterQueryParameter.description } },
        events: CHAT_EVENTS,
        actions: chatActions(),
        frames: {
          error: { summary: 'An error of a frame, to its sender only', payload: errorFrameSchema },
          client_error: {
            summary: 'An error of a send_message that carried a client_id (opt-in), to its sender only',
            payload: clientErrorFrameSchema,
          },
          message_ack: { summary: 'A send_message with a client_id was stored (opt-in), to the sending socket only', payload: messageAckFrameSchema },
          resume_truncated: {
            summary: 'After a resume (?after=) that did not send every message: page the rest over REST (opt-in)',
            payload: resumeTruncatedFrameSchema,
          },
        },
      },
    ],
    [
      connectNotifications,
      {
        key: 'notifications',
        description: "The user's notifications (one group per user); frames a client sends are ignored. " + CLOSE_CODES,
        query: { token: TOKEN },
        events: NOTIFICATION_EVENTS,
        actions: {},
        frames: {},
      },
    ],
  ]);
}

/** "ws/chat/<int:room_id>/" → "/ws/chat/{room_id}/" and its parameter names. */
function address(route: string): { address: string; params: string[] } {
  const params: string[] = [];
  const a = '/' + route.replace(/<(?:\w+:)?(\w+)>/g, (_m, name: string) => (params.push(name), `{${name}}`));
  return { address: a, params };
}

export function buildAsyncApi(websocketUrlpatterns: readonly UrlPattern<UpgradeHandler>[], examples?: Map<string, { name: string; value: unknown }>) {
  const docs = socketDocs();
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const { route, view } of flattenPatterns(websocketUrlpatterns)) {
    const doc = docs.get(view);
    if (!doc) throw new Error(`no AsyncAPI description for the socket route ${route}`);
    const { address: addr, params } = address(route);
    const channelMessages: Record<string, unknown> = {};
    const add = (name: string, summary: string, payload: Schema, action: 'send' | 'receive', exampleKey?: string) => {
      const key = `${doc.key}_${name}`;
      const example = exampleKey ? examples?.get(exampleKey) : undefined;
      messages[key] = {
        name,
        title: name,
        summary,
        contentType: 'application/json',
        payload,
        ...(example
          ? { examples: [{ name: example.name, summary: `recorded on the original (fixtures/golden/${example.name}.json)`, payload: example.value }] }
          : {}),
      };
      channelMessages[name] = { $ref: `#/components/messages/${key}` };
      operations[`${doc.key}_${action}_${name}`] = {
        action,
        channel: { $ref: `#/channels/${doc.key}` },
        summary,
        messages: [{ $ref: `#/channels/${doc.key}/messages/${name}` }],
      };
    };
    for (const [name, a] of Object.entries(doc.actions)) add(name, a.summary, a.payload, 'receive');
    for (const [type, entry] of Object.entries(doc.events)) {
      if (!entry.doc) throw new Error(`event type ${type} has no frame schema`);
      const frame = entry.doc.frame as Schema;
      const props = (frame.properties ?? {}) as Record<string, { const?: string }>;
      const exampleKey = props.action?.const ? `action:${props.action.const}` : `key:${Object.keys(props)[0]}`;
      add(type, entry.doc.summary, frame, 'send', exampleKey);
    }
    for (const [name, f] of Object.entries(doc.frames)) {
      const props = (f.payload.properties ?? {}) as Record<string, { const?: string }>;
      add(name, f.summary, f.payload, 'send', props.action?.const ? `action:${props.action.const}` : name === 'error' ? 'key:error' : undefined);
    }
    channels[doc.key] = {
      address: addr,
      description: doc.description,
      ...(params.length ? { parameters: Object.fromEntries(params.map((p) => [p, { description: 'the room id' }])) } : {}),
      messages: channelMessages,
      bindings: {
        ws: {
          method: 'GET',
          query: { type: 'object', properties: doc.query, required: ['token'] },
          bindingVersion: '0.1.0',
        },
      },
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'csi-chat WebSocket API',
      version: '1.0.0',
      description:
        "The sockets of the CSI society app, as the original Django Channels backend serves them. Frames are JSON text frames written as Python's json.dumps writes them. " +
        'This document describes the server: `receive` operations are frames a client sends, `send` operations frames the server writes.',
    },
    defaultContentType: 'application/json',
    servers: { local: { host: 'localhost:8000', protocol: 'ws', description: 'npm start (use wss:// behind TLS)' } },
    channels,
    operations,
    components: { messages },
  };
}
