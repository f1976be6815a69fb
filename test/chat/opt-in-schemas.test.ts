// The opt-ins' schema fragments (src/chat/optIns.ts, and the cursor schemas beside the history view in
// src/chat/views.ts) against what the server does: real ack, resume_truncated, client error frames and
// cursor pages validate; and a value passes the `after` / `client_id` / `before` / `limit` schemas
// exactly when the server accepts it.
import { expect } from 'chai';
import { Ajv } from 'ajv';
import { userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { call } from '../helpers/http.ts';
import { WsClient } from '../helpers/wsclient.ts';
import {
  afterQueryParameter,
  clientErrorFrameSchema,
  clientIdField,
  messageAckFrameSchema,
  resumeTruncatedFrameSchema,
} from '../../src/chat/optIns.ts';
import { CLOSE_BAD_RESUME } from '../../src/chat/consumer.ts';
import { cursorPageSchema, historyCursorQuery } from '../../src/chat/views.ts';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { buildDocuments } from '../../src/apidocs/index.ts';
import { urlpatterns, websocketUrlpatterns } from '../../src/urls.ts';

const KABIR = userToken('Kabir');
const RIYA = userToken('Riya');

const ajv = new Ajv({ strict: true, validateFormats: false });
const valid = (schema: object, value: unknown) => ajv.validate(schema, value);

describeServer('opt-in schema fragments', { backend: 'pglite', env: { WS_RATE_PER_SECOND: '1000', WS_RATE_BURST: '200' } }, (srv) => {
  const open: WsClient[] = [];
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  const socket = async (token: string, query = '') => {
    const c = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${token}${query}`);
    open.push(c);
    return c;
  };

  it('the frames the server sends validate: message_ack, resume_truncated, an error with client_id', async () => {
    const kabir = await socket(KABIR);
    kabir.send({ message: 'x', client_id: 'k-1' });
    const ack = (await kabir.take(2, 5000)).map((f) => f.json as { action?: string }).find((f) => f.action === 'message_ack');
    expect(valid(messageAckFrameSchema, ack), ajv.errorsText()).to.equal(true);
    kabir.send({ message: 'x', client_id: { not: 'a string' } });
    const error = await kabir.nextJson(5000);
    expect(valid(clientErrorFrameSchema, error), ajv.errorsText()).to.equal(true);
    await srv.ctx.db.knex.raw(
      `INSERT INTO "Chat_message" (message_type, content, reactions, is_deleted, is_edited, status, created_at, updated_at, sender_id, room_id, is_pinned)
       SELECT 'text', 'bulk', NULL, false, false, '{}', now(), now(), 3, 1, false FROM generate_series(1, 501)`,
    );
    const riya = await socket(RIYA, '&after=0');
    const frames = await riya.take(501, 10000);
    expect(valid(resumeTruncatedFrameSchema, frames[500].json), ajv.errorsText()).to.equal(true);
    expect(valid(messageAckFrameSchema, frames[0].json)).to.equal(false);
  });

  it('a cursor page validates', async () => {
    const res = await call(srv, 'GET', '/api/chat/groups/1/messages/?limit=3', RIYA);
    expect(valid(cursorPageSchema({ type: 'object' }), res.json), ajv.errorsText()).to.equal(true);
    const last = await call(srv, 'GET', '/api/chat/groups/1/messages/?before=2', RIYA);
    expect(valid(cursorPageSchema({ type: 'object' }), last.json), ajv.errorsText()).to.equal(true);
  });

  it('the opt-in answers validate against the served documents too (the OpenAPI history operation, the AsyncAPI chat frames)', async () => {
    const docs = buildDocuments(urlpatterns, websocketUrlpatterns);
    const ajv2020 = new Ajv2020({ strict: false });
    type Json = Record<string, any>;
    const history = (docs.openapi.paths as Json)['/api/chat/groups/{room_id}/messages/'].get.responses as Json;
    const documented = (status: number) => ajv2020.compile(history[String(status)].content['application/json'].schema);
    for (const [query, status] of [
      ['?limit=3', 200],
      ['?before=2', 200],
      ['?before=4&limit=2', 200],
      ['?limit=0', 400],
      ['?before=x&limit=x', 400],
      ['?page=1&limit=5', 400],
    ] as const) {
      const res = await call(srv, 'GET', `/api/chat/groups/1/messages/${query}`, RIYA);
      expect(res.status, query).to.equal(status);
      const validate = documented(status);
      expect(validate(res.json), `${query}: ${ajv2020.errorsText(validate.errors)}`).to.equal(true);
    }
    const frames = Object.entries(docs.asyncapi.components.messages as Json)
      .filter(([key]) => key.startsWith('chat_'))
      .map(([key, m]) => ({ key, validate: ajv2020.compile((m as Json).payload) }));
    const documentedAs = (frame: unknown) => frames.filter((f) => f.validate(frame)).map((f) => f.key);
    const kabir = await socket(KABIR);
    kabir.send({ message: 'documented', client_id: 'doc-1' });
    const sent = (await kabir.take(2, 5000)).map((f) => f.json as Json);
    expect(documentedAs(sent.find((f) => f.action === 'message_ack'))).to.include('chat_message_ack');
    expect(documentedAs(sent.find((f) => f.action !== 'message_ack'))).to.include('chat_chat_message');
    kabir.send({ message: 'x', client_id: ['not', 'a', 'string'] });
    expect(documentedAs(await kabir.nextJson(5000))).to.include('chat_client_error');
    await srv.ctx.db.knex.raw(
      `INSERT INTO "Chat_message" (message_type, content, reactions, is_deleted, is_edited, status, created_at, updated_at, sender_id, room_id, is_pinned)
       SELECT 'text', 'bulk', NULL, false, false, '{}', now(), now(), 3, 1, false FROM generate_series(1, 501)`,
    );
    const riya = await socket(RIYA, '&after=0');
    const resumed = await riya.take(501, 10000);
    expect(documentedAs(resumed[0].json)).to.include('chat_chat_message');
    expect(documentedAs(resumed[500].json)).to.deep.equal(['chat_resume_truncated']);
  });

  it('`after`: schema-valid exactly when the server takes it (a message of the room or 0)', async () => {
    for (const [after, accepted] of [
      [0, true],
      [22, true],
      [-1, false],
      [2147483648, false],
    ] as const) {
      expect(valid(afterQueryParameter.schema, after), String(after)).to.equal(accepted);
      const c = await socket(RIYA, `&after=${after}`);
      const closed = await c.waitForClose(500);
      expect(closed?.code === CLOSE_BAD_RESUME, String(after)).to.equal(!accepted);
    }
  });

  it('`client_id`: schema-valid exactly when the server takes it', async () => {
    const kabir = await socket(KABIR);
    const cases: unknown[] = ['a', 'x'.repeat(64), 'x'.repeat(65), '', 7, null];
    for (const [i, cid] of cases.entries()) {
      if (cid === null) continue; // null is "no client_id": not sent as the field at all
      kabir.send({ message: `m${i}`, client_id: cid });
      const frames = await kabir.take(1, 5000);
      const refused = 'error' in (frames[0].json as object);
      if (!refused) await kabir.take(1, 5000); // the ack and the echo
      expect(valid(clientIdField, cid), JSON.stringify(cid)).to.equal(!refused);
    }
  });

  it('`before` and `limit`: schema-valid exactly when the server takes them', async () => {
    const { before, limit } = historyCursorQuery.fields;
    for (const [name, schema, values] of [
      ['before', before.schema!, [0, 1, 22, 2147483647, 2147483648]],
      ['limit', limit.schema!, [0, 1, 100, 101]],
    ] as const) {
      for (const v of values) {
        const res = await call(srv, 'GET', `/api/chat/groups/1/messages/?${name}=${v}`, RIYA);
        expect(valid(schema, v), `${name}=${v}`).to.equal(res.status === 200);
      }
    }
  });
});
