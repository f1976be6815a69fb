// The groups list, a history page and the member list take a constant number of SQL queries whatever
// the number of rooms, messages or members (no N+1): counted from knex's `query` events.
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';

const DEV = userToken('dev.outsider@akgec.ac.in');

const FIXTURE = `
INSERT INTO "User_user" (id, password, is_superuser, email, first_name, last_name, photo, role, year, status, is_staff,
  is_active, created_at, updated_at, is_verified, last_seen, is_completed, hosteller)
SELECT 1000 + g, '!', false, 'bulk' || g || '@example.test', 'Bulk' || g, 'User', 'image/upload/v1/p' || g || '.png', 'member', '2nd',
  'active', false, true, now(), now(), false, now() - (g || ' minutes')::interval, false, false
FROM generate_series(1, 50) g;

INSERT INTO "Chat_room" (id, name, description, room_avatar, created_at, updated_at, is_active, created_by_id)
SELECT 100 + g, 'bulk_room_' || g, 'bulk', 'image/upload/v1/r' || g || '.png', now(), now(), true, 1000 + (g % 50) + 1
FROM generate_series(1, 51) g;

-- Room 101: 500 messages from 50 senders, each replying to the previous one and mentioning two users.
INSERT INTO "Chat_message" (id, message_type, content, attachment, reactions, is_deleted, is_edited, status, created_at,
  updated_at, parent_message_id, sender_id, room_id, is_pinned, pinned_at)
SELECT 1000 + g, 'text', 'message ' || g, NULL, '{"👍": 1}'::jsonb, false, false, '{}'::jsonb,
  now() - ((600 - g) || ' seconds')::interval, now(), CASE WHEN g > 1 THEN 999 + g END, 1000 + (g % 50) + 1, 101, false, NULL
FROM generate_series(1, 500) g;
INSERT INTO "Chat_message_mentions" (message_id, user_id) SELECT 1000 + g, 1001 FROM generate_series(1, 500) g;
INSERT INTO "Chat_message_mentions" (message_id, user_id) SELECT 1000 + g, 1002 FROM generate_series(1, 500) g;

-- Rooms 102..150: one message each; room 151: one message.
INSERT INTO "Chat_message" (id, message_type, content, attachment, reactions, is_deleted, is_edited, status, created_at,
  updated_at, parent_message_id, sender_id, room_id, is_pinned, pinned_at)
SELECT 2000 + g, 'image', NULL, 'image/upload/v1/a' || g || '.jpg', NULL, false, false, '{}'::jsonb, now(), now(), NULL, 1001, 101 + g, false, NULL
FROM generate_series(1, 50) g;

-- Room 101 has the 50 bulk users; Dev (7) is in room 151 only (one room, one member, one message).
INSERT INTO "Chat_room_members" (room_id, user_id) SELECT 101, 1000 + g FROM generate_series(1, 50) g;
INSERT INTO "Chat_room_members" (room_id, user_id) VALUES (151, 7);
INSERT INTO "Chat_userroomstatus" (last_read, room_id, user_id) SELECT now() - interval '5 minutes', 100 + g, 7 FROM generate_series(1, 51, 2) g;
`;

/** Dev joins the 50 other bulk rooms (101..150): 51 rooms, 549 messages. */
const JOIN_ALL = `INSERT INTO "Chat_room_members" (room_id, user_id) SELECT 100 + g, 7 FROM generate_series(1, 50) g;`;

describeServer('chat REST query counts (no N+1)', { timeout: 120000 }, (srv) => {
  beforeEach(async () => {
    await srv.ctx.db.exec(FIXTURE);
  });

  /** Runs one GET and returns [status, body, SQL statements issued for it] (last_seen writes excluded). */
  async function counted(path: string): Promise<[number, unknown, string[]]> {
    await new Promise((r) => setTimeout(r, 50)); // let the previous request's last_seen write land
    const seen: string[] = [];
    const onQuery = (q: { sql: string }) => seen.push(q.sql);
    srv.ctx.db.knex.on('query', onQuery);
    try {
      const res = await fetch(srv.baseUrl + path, { headers: { Authorization: `Token ${DEV}` } });
      const body = await res.json();
      return [res.status, body, seen.filter((s) => !/^update "User_user" set "last_seen"/i.test(s.trim()))];
    } finally {
      srv.ctx.db.knex.off('query', onQuery);
    }
  }

  it('groups/ costs the same for 1 room and for 51 rooms with 549 messages', async () => {
    const [s1, b1, q1] = await counted('/api/chat/groups/');
    expect(s1).to.equal(200);
    expect(b1).to.have.length(1);
    await srv.ctx.db.exec(JOIN_ALL);
    const [s2, b2, q2] = await counted('/api/chat/groups/');
    expect(s2).to.equal(200);
    const rooms = b2 as Array<{ id: number; unread_count: number; last_message: { id: number } | null; last_read_message_id: number | null }>;
    expect(rooms).to.have.length(51);
    expect(rooms[0].id).to.equal(101);
    expect(rooms[0].last_message!.id).to.equal(1500);
    expect(rooms[0].unread_count).to.equal(200); // read 5 minutes ago: the 200 newer messages
    expect(rooms[0].last_read_message_id).to.equal(1300);
    expect(rooms[1].unread_count).to.equal(1); // never read: every message
    expect(q2.length, q2.join('\n')).to.equal(q1.length);
    expect(q2.length, q2.join('\n')).to.be.at.most(2); // token lookup + the rooms statement
  });

  it('a history page costs the same for a 1-message room and a full page of a 500-message room', async () => {
    const [s1, b1, q1] = await counted('/api/chat/groups/151/messages/?page_size=100');
    expect(s1).to.equal(200);
    expect((b1 as { count: number }).count).to.equal(1);
    await srv.ctx.db.exec(JOIN_ALL);
    const [s2, b2, q2] = await counted('/api/chat/groups/101/messages/?page_size=100&page=2');
    expect(s2).to.equal(200);
    const page = b2 as {
      count: number;
      results: Array<{ id: number; mentions: number[]; parent_message: { id: number } | null; sender: { id: number } }>;
    };
    expect(page.count).to.equal(500);
    expect(page.results).to.have.length(100);
    expect(page.results[0].id).to.equal(1400);
    expect(page.results[0].mentions).to.deep.equal([1001, 1002]);
    expect(page.results[0].parent_message!.id).to.equal(1399);
    expect(q2.length, q2.join('\n')).to.equal(q1.length);
    expect(q2.length, q2.join('\n')).to.be.at.most(3); // token lookup + access/count + page
  });

  it('the member list costs the same for 1 member and for 51 members', async () => {
    const [s1, b1, q1] = await counted('/api/chat/groups/151/members/');
    expect(s1).to.equal(200);
    expect(b1).to.have.length(1);
    const [s2, b2, q2] = await counted('/api/chat/groups/101/members/');
    expect(s2).to.equal(200);
    expect(b2).to.have.length(50);
    expect(q2.length, q2.join('\n')).to.equal(q1.length);
    expect(q2.length, q2.join('\n')).to.be.at.most(3);
  });

  it('groups/list/ and groups/search/ do not grow with the number of rooms', async () => {
    const [, b1, q1] = await counted('/api/chat/groups/list/');
    expect(b1).to.have.length(3 + 51);
    expect((b1 as Array<{ id: number; members_count: number }>).find((r) => r.id === 101)!.members_count).to.equal(50);
    await srv.ctx.db.exec(JOIN_ALL);
    const [, b2, q2] = await counted('/api/chat/groups/search/?q=BULK');
    expect(b2).to.have.length(51);
    expect(q1.length).to.be.at.most(2);
    expect(q2.length).to.be.at.most(2);
  });
});
