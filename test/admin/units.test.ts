// Small parts of the admin: the log-in throttle, the schema's foreign keys behind Django's delete
// cascade, Django-style search terms, and the form rules that have no HTTP test of their own.
import { expect } from 'chai';
import { MemoryLoginThrottle } from '../../src/admin/throttle.ts';
import { schemaForeignKeys, searchTerms } from '../../src/admin/queries.ts';
import { canonical, cleanDecimal, cleanForm, MSG } from '../../src/admin/forms.ts';
import { MODELS, modelByKey } from '../../src/admin/models.ts';
import { expectedTables } from '../../src/db/schema.ts';

describe('admin: log-in throttle (per process)', () => {
  it('blocks a key after five failures in the window, for the block time; success and time clear it', async () => {
    let now = 1_000_000;
    const t = new MemoryLoginThrottle({ maxFailures: 5, windowMs: 60_000, blockMs: 30_000, maxKeys: 3 }, () => now);
    for (let i = 0; i < 4; i++) await t.failure('a');
    expect(await t.retryAfterSeconds('a')).to.equal(0);
    await t.failure('a');
    expect(await t.retryAfterSeconds('a')).to.equal(30);
    now += 29_500;
    expect(await t.retryAfterSeconds('a')).to.equal(1);
    now += 1_000;
    expect(await t.retryAfterSeconds('a')).to.equal(0);
    // Failures spread beyond the window do not add up.
    for (let i = 0; i < 4; i++) await t.failure('b');
    now += 61_000;
    await t.failure('b');
    expect(await t.retryAfterSeconds('b')).to.equal(0);
    for (let i = 0; i < 5; i++) await t.failure('c');
    await t.success('c');
    expect(await t.retryAfterSeconds('c')).to.equal(0);
  });

  it('remembers a bounded number of keys (oldest forgotten first)', async () => {
    const t = new MemoryLoginThrottle({ maxFailures: 1, windowMs: 60_000, blockMs: 60_000, maxKeys: 3 });
    for (const k of ['k1', 'k2', 'k3', 'k4']) await t.failure(k);
    expect(await t.retryAfterSeconds('k1')).to.equal(0);
    expect(await t.retryAfterSeconds('k4')).to.be.above(0);
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
});
