// chat_message frames are written from two pieces around is_self (src/chat/frames.ts): the result must be
// exactly json.dumps of the whole dict, in the original consumer's key order, for every shape of event.
import { expect } from 'chai';
import { chatMessageFrames, type ParentObject } from '../../src/chat/frames.ts';
import type { ChatMessageEvent } from '../../src/chat/events.ts';
import { pythonDumps } from '../../src/python/json.ts';

function whole(e: ChatMessageEvent, parent: ParentObject | null, isSelf: boolean, appSafe: boolean): string {
  const sender =
    appSafe && typeof e.sender.name !== 'string' && typeof e.sender.first_name === 'string' ? { name: e.sender.first_name, ...e.sender } : e.sender;
  return pythonDumps({
    message: appSafe ? (e.message ?? '') : e.message,
    sender,
    message_type: e.message_type,
    id: e.id,
    is_self: isSelf,
    attachment: e.attachment ?? null,
    created_at: e.created_at,
    room: e.room,
    parent_message: appSafe && parent && parent.content === null ? { ...parent, content: '' } : parent,
  });
}

describe('chat_message frames (two variants written from shared pieces)', () => {
  const base: ChatMessageEvent = {
    type: 'chat_message',
    message: 'héllo "quoted" \u2028 😀 {"is_self": true}',
    sender: { name: 'Riya', photo: null, id: 7, role: 'member' },
    message_type: 'text',
    id: 412,
    created_at: '2026-05-01T10:00:00.123456+00:00',
    room: 3,
  };
  const parent: ParentObject = {
    id: 400,
    content: null,
    sender: { id: 8, name: 'Tanya', photo: 'https://res.cloudinary.com/x/image/upload/v1/p.jpg' },
    created_at: '2026-05-01T09:59:00+00:00',
  };
  const events: Array<[string, ChatMessageEvent, ParentObject | null]> = [
    ['plain', base, null],
    ['reply with a null parent content', { ...base, parent_message_id: 400 }, parent],
    [
      'attachment only (message null), upload sender shape',
      {
        ...base,
        message: null,
        attachment: 'image/upload/v1/a.png',
        sender: { id: 7, first_name: 'Riya', last_name: 'S', role: 'member', photo: null },
      },
      null,
    ],
    ['no attachment key at all', { ...base, attachment: undefined }, { ...parent, content: 'parent text' }],
  ];
  for (const [name, e, p] of events) {
    for (const appSafe of [false, true]) {
      it(`${name}${appSafe ? ' (CLIENT_COMPAT app-safe)' : ''}: byte for byte json.dumps of the whole dict`, () => {
        const f = chatMessageFrames(e, p, appSafe);
        expect(f.self).to.equal(whole(e, p, true, appSafe));
        expect(f.other).to.equal(whole(e, p, false, appSafe));
      });
    }
  }
});
