// Small parts of the admin: the log-in throttle (over the counter store), the schema's foreign keys behind Django's delete
// cascade, Django-style search terms, and the form rules that have no HTTP test of their own.
import { expect } from 'chai';
import { StoreLoginThrottle } from '../../src/admin/throttle.ts';
import { MemoryCounterStore } from '../../src/drf/throttling.ts';
import { schemaForeignKeys, searchTerms } from '../../src/admin/queries.ts';
import { canonical, cleanDecimal, cleanForm, filterValue, MSG } from '../../src/admin/forms.ts';
import fs from 'node:fs';
import { maxPk, MODELS, modelByKey, PERMISSION_MODEL } from '../../src/admin/models.ts';
import { expectedTables, SCHEMA_SQL_PATH } from '../../src/db/schema.ts';

describe('admin: log-in throttle', () => {
  const policy = { maxFailures: 5, windowSeconds: 60 };
  const addressPolicy = { maxFailures: 12, windowSeconds: 120 };

  it('refuses an address and account past five attempts in the window until the window ends; success forgets it', async () => {
    let now = 1_000_000;
    const t = new StoreLoginThrottle(new MemoryCounterStore(100, () => now), policy, addressPolicy);
    for (let i = 0; i < 5; i++) expect(await t.attempt('1.2.3.4', 'a')).to.equal(0);
    expect(await t.attempt('1.2.3.4', 'a')).to.equal(60);
    now += 59_500;
    expect(await t.attempt('1.2.3.4', 'a')).to.equal(1);
    now += 1_000;
    expect(await t.attempt('1.2.3.4', 'a')).to.equal(0);
    // The same account from another address, and another account from the same address, are not affected.
    expect(await t.attempt('5.6.7.8', 'a')).to.equal(0);
    expect(await t.attempt('1.2.3.4', 'b')).to.equal(0);
    for (let i = 0; i < 5; i++) await t.attempt('9.9.9.9', 'c');
    await t.success('9.9.9.9', 'c');
    expect(await t.attempt('9.9.9.9', 'c')).to.equal(0);
  });

  it('caps one address across accounts (password spraying), and a success does not reset that cap', async () => {
    let now = 1_000_000;
    const t = new StoreLoginThrottle(new MemoryCounterStore(100, () => now), policy, addressPolicy);
    // Two guesses on each of six accounts: every account stays under its own limit.
    for (let i = 0; i < 12; i++) expect(await t.attempt('1.2.3.4', `user${i % 6}`)).to.equal(0);
    await t.success('1.2.3.4', 'user0');
    expect(await t.attempt('1.2.3.4', 'user7')).to.equal(120);
    expect(await t.attempt('1.2.3.4', 'user0')).to.equal(120);
    // Other addresses are not affected; the window ends.
    expect(await t.attempt('5.6.7.8', 'user7')).to.equal(0);
    now += 120_500;
    expect(await t.attempt('1.2.3.4', 'user7')).to.equal(0);
  });

  it('counts concurrent attempts each (no check-then-count race)', async () => {
    const t = new StoreLoginThrottle(new MemoryCounterStore(), policy);
    const waits = await Promise.all(Array.from({ length: 20 }, () => t.attempt('1.2.3.4', 'k')));
    expect(waits.filter((w) => w === 0)).to.have.length(5);
  });
});

describe('admin: models and the schema', () => {
  it('reads every foreign key of db/schema.sql with its nullability (the delete cascade follows them)', () => {
    const fks = schemaForeignKeys();
    expect(fks.length).to.equal(35);
    expect(fks).to.deep.include({ table: 'Chat_message', column: 'room_id', target: 'Chat_room', nullable: false });
    expect(fks).to.deep.include({ table: 'Chat_message', column: 'parent_message_id', target: 'Chat_message', nullable: true });
    expect(fks).to.deep.include({ table: 'User_user', column: 'domain_id', target: 'Domain_domain', nullable: true });
    expect(fks).to.deep.include({ table: 'django_admin_log', column: 'user_id', target: 'User_user', nullable: false });
  });

  it('describes only columns that exist, and every registered model of the notes', () => {
    const tables = expectedTables();
    for (const m of MODELS) {
      const cols = tables.get(m.table);
      expect(cols, m.table).to.not.equal(undefined);
      for (const f of m.fields) {
        if (f.kind === 'm2m') expect(tables.get(f.through!.table), f.through!.table).to.include.members([f.through!.own, f.through!.other]);
        else expect(cols, `${m.table}.${f.column}`).to.include(f.column);
      }
      // No model shows or edits the password hash.
      expect(m.fields.map((f) => f.column)).to.not.include('password');
    }
    expect(MODELS.map((m) => m.key).sort()).to.deep.equal([
      'Announcement.announcement',
      'Attendance.attendance',
      'Chat.message',
      'Chat.room',
      'Chat.userroomstatus',
      'Domain.domain',
      'Event.event',
      'Media.mediafile',
      'Notification.devicetoken',
      'Notification.notification',
      'Task.group',
      'Task.task',
      'User.studentprofile',
      'User.user',
      'auth.group',
      'authtoken.tokenproxy',
    ]);
  });
  it('knows which primary keys are 32-bit (an id beyond one is a 404, not a SQL error)', () => {
    const sql = fs.readFileSync(SCHEMA_SQL_PATH, 'utf8');
    for (const m of [...MODELS, PERMISSION_MODEL]) {
      if (m.pkKind !== 'integer') continue;
      const type = new RegExp(`CREATE TABLE public\\.("?)${m.table}\\1 \\(\\n\\s+${m.pk} (\\w+) NOT NULL`).exec(sql)?.[2];
      expect([m.key, type]).to.deep.equal([m.key, m.int4Pk ? 'integer' : 'bigint']);
      expect(maxPk(m)).to.equal(m.int4Pk ? 2147483647 : Number.MAX_SAFE_INTEGER);
    }
  });
});

describe('admin: forms', () => {
  it('splits search input like Django (quoted phrases, bounded)', () => {
    expect(searchTerms('a  "b c" \'d\' e')).to.deep.equal(['a', 'b c', 'd', 'e']);
    expect(searchTerms('x '.repeat(100))).to.have.length(10);
  });

  it('checks decimals as DecimalField(max_digits=10, decimal_places=2)', () => {
    expect(cleanDecimal('12345678.91', [10, 2])).to.deep.equal({ value: '12345678.91' });
    expect(cleanDecimal('1.234', [10, 2])).to.deep.equal({ error: MSG.places(2) });
    expect(cleanDecimal('123456789', [10, 2])).to.deep.equal({ error: MSG.wholeDigits(8) });
    expect(cleanDecimal('1e5', [10, 2])).to.deep.equal({ error: MSG.number });
    expect(cleanDecimal('0001.50', [10, 2])).to.deep.equal({ value: '0001.50' });
  });

  it('fills defaults on add, keeps left-out fields on change, and compares values canonically', () => {
    const room = modelByKey('Chat.room')!;
    const add = cleanForm(room, { name: ' new ' }, true);
    expect(add.errors).to.deep.equal({});
    expect(add.columns).to.deep.include({ name: 'new', is_active: true, description: null });
    const change = cleanForm(room, { description: 'x' }, false);
    expect(Object.keys(change.columns)).to.deep.equal(['description']);
    const created = room.fields.find((f) => f.name === 'created_at')!;
    expect(canonical(created, '2025-03-01 03:30:00.123456+00')).to.equal(canonical(created, '2025-03-01T03:30:00.123456+00:00'));
    expect(canonical(created, '2025-03-01 03:30:00.123456+00')).to.not.equal(canonical(created, '2025-03-01T03:30:00.123Z'));
    const members = room.fields.find((f) => f.name === 'members')!;
    expect(canonical(members, [3, 1])).to.equal(canonical(members, [1, 3]));
    expect(cleanForm(room, { 'members.0': '2', 'members.1': 'x' }, false).errors).to.deep.equal({ members: MSG.choice('x') });
  });

  it('refuses impossible dates and times, U+0000, and related ids their column cannot hold, with the form errors', () => {
    const message = modelByKey('Chat.message')!;
    const errors = (payload: Record<string, unknown>) => cleanForm(message, payload, false).errors;
    expect(errors({ pinned_at: '2025-02-30T00:00:00Z' })).to.deep.equal({ pinned_at: MSG.datetime });
    expect(errors({ pinned_at: '2025-01-01T24:00:00Z' })).to.deep.equal({ pinned_at: MSG.datetime });
    expect(errors({ pinned_at: '2025-01-01T10:00:00+16:00' })).to.deep.equal({ pinned_at: MSG.datetime });
    expect(errors({ pinned_at: '2025-01-01T10:00:00.123Z', content: 'ok' })).to.deep.equal({});
    expect(errors({ content: 'a\u0000b' })).to.deep.equal({ content: MSG.nullChars });
    expect(errors({ reactions: '{"\\u0000": 1}' })).to.deep.equal({ reactions: MSG.nullChars });
    expect(errors({ reactions: '{"a": "\\\\u0000"}' })).to.deep.equal({});
    // Chat_message.id is an integer column; User_user.id a bigint.
    expect(errors({ parent_message: '2147483648' })).to.deep.equal({ parent_message: MSG.fkChoice });
    expect(errors({ parent_message: '2147483647', sender: '2147483648' })).to.deep.equal({});
    expect(errors({ 'mentions.0': '1', 'mentions.1': '9007199254740993' })).to.deep.equal({ mentions: MSG.choice('9007199254740993') });
    const group = modelByKey('auth.group')!;
    expect(cleanForm(group, { 'permissions.0': '2147483648' }, false).errors).to.deep.equal({ permissions: MSG.choice('2147483648') });
  });

  it('types list filter values as their columns hold them, or null', () => {
    const field = (model: string, name: string) => modelByKey(model)!.fields.find((f) => f.name === name)!;
    expect(filterValue(field('Chat.room', 'created_at'), '2025-04-12T00:00:00.000Z')).to.equal('2025-04-12T00:00:00.000Z');
    for (const bad of ['1', '2025-02-30', 'x', '2025-04-12T00:00:00\u0000'])
      expect(filterValue(field('Chat.room', 'created_at'), bad), bad).to.equal(null);
    expect(filterValue(field('Task.task', 'start_date'), '2025-02-28')).to.equal('2025-02-28');
    expect(filterValue(field('Task.task', 'start_date'), '2025-02-30')).to.equal(null);
    expect(filterValue(field('Task.task', 'current_progress'), '99999999999')).to.equal(null);
    expect(filterValue(field('Task.task', 'current_progress'), '-5')).to.equal(-5);
    expect(filterValue(field('Chat.message', 'parent_message'), '2147483648')).to.equal(null);
    expect(filterValue(field('Chat.message', 'room'), '2147483648')).to.equal(2147483648);
    expect(filterValue(field('Attendance.attendance', 'check_in_latitude'), '1e400')).to.equal(null);
    expect(filterValue(field('Attendance.attendance', 'check_in_latitude'), '-12.5')).to.equal(-12.5);
    expect(filterValue(field('Chat.room', 'members'), '0')).to.equal(null);
  });
});
