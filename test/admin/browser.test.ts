// The admin in a real browser (Debian's chromium driven by playwright-core): an organiser logs in,
// lists and searches rooms, filters messages, adds a domain, edits a room's members, deactivates a
// room while a member's socket is open (4003), reads the room's history, sets a user's password and
// uses it on the REST API, logs out; a view-only staff user and a non-staff user get what Django would
// give them. Screenshots of the list and change pages go to test-artifacts/admin/.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeNeeding } from '../helpers/suites.ts';
import { ROOT, startServer, userToken, type TestServer } from '../helpers/harness.ts';
import { WsClient } from '../helpers/wsclient.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts/admin');
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ANAGH = { email: 'anagh.jaiswar@akgec.ac.in', password: 'Anagh@4thYear' };

/** Why the browser test cannot run here, or null. */
const chromiumMissing = () =>
  fs.existsSync(CHROMIUM) ? null : `chromium not found at ${CHROMIUM} (apt-get install -y chromium, or .ci/install-browser.sh)`;

describeNeeding('admin site in a browser (chromium + playwright-core)', [chromiumMissing], function () {
  this.timeout(180000);
  let srv: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];

  before(async function () {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    srv = await startServer('pglite');
    context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  async function logIn(p: Page, email: string, password: string): Promise<void> {
    await p.goto(`${srv.baseUrl}/admin/`);
    await p.fill('#id_username', email);
    await p.fill('#id_password', password);
    await Promise.all([p.waitForLoadState('load'), p.click('#login-form button[type=submit]')]);
  }

  async function rowsOf(p: Page): Promise<string[]> {
    await p.waitForSelector('table tbody tr');
    return p.$$eval('table tbody tr', (trs) => trs.map((tr) => (tr.querySelector('td:nth-child(2)')?.textContent ?? '').trim()));
  }

  it("logs in as the seed's superuser", async () => {
    await logIn(page, ANAGH.email, ANAGH.password);
    expect(new URL(page.url()).pathname).to.equal('/admin/');
    await page.getByText(ANAGH.email).first().waitFor();
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'sessionid')?.httpOnly).to.equal(true);
  });

  it('lists and searches rooms (screenshot of the list)', async () => {
    await page.goto(`${srv.baseUrl}/admin/Chat/room/`);
    expect(await rowsOf(page)).to.deep.equal(['ml_archive', 'CSI_2_3', 'backend_2_3', '2nd_year']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'room-list.png') });
    await page.getByText('Filter', { exact: true }).first().click();
    await page.fill('input[name="filter-q"]', 'backend');
    await page.getByRole('button', { name: 'Apply changes' }).click();
    await page.waitForURL(/filters\.q=backend/);
    await page.waitForFunction(() => document.querySelectorAll('table tbody tr').length === 1);
    expect(await rowsOf(page)).to.deep.equal(['backend_2_3']);
  });

  it('filters messages', async () => {
    await page.goto(`${srv.baseUrl}/admin/resources/Chat.message?filters.message_type=image`);
    await page.waitForSelector('table tbody tr');
    const shown = await page.$$eval('table tbody tr', (trs) => trs.length);
    const images = await srv.ctx.db.knex('Chat_message').where({ message_type: 'image' }).count({ n: '*' }).first();
    expect(shown).to.equal(Number(images!.n));
    const types = await page.$$eval('section[data-testid="property-list-message_type"]', (els) => els.map((e) => e.textContent?.trim()));
    expect(new Set(types)).to.deep.equal(new Set(['image']));
  });

  it('adds a domain', async () => {
    await page.goto(`${srv.baseUrl}/admin/Domain/domain/add/`);
    await page.waitForSelector('textarea#description');
    await page.locator('#react-select-2-input, input[id^="react-select"]').first().click();
    await page.getByText('Full Stack Development', { exact: true }).click();
    await page.fill('textarea#description', 'Full stack web development.');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/admin\/resources\/Domain\.domain$/);
    const row = await srv.ctx.db.knex('Domain_domain').where({ name: 'FULL_STACK' }).first();
    expect(row.description).to.equal('Full stack web development.');
    const log = await srv.ctx.db.knex('django_admin_log').orderBy('id', 'desc').first();
    expect([log.object_repr, log.action_flag, log.change_message]).to.deep.equal(['Full Stack Development', 1, '[{"added": {}}]']);
  });

  it("edits a room's members (screenshot of the change page)", async () => {
    await page.goto(`${srv.baseUrl}/admin/Chat/room/1/change/`);
    await page.waitForSelector('input#name');
    await page.getByText('tanya.gupta@akgec.ac.in').waitFor();
    // AdminJS scrolls inside its own container (fullPage would still cut at the viewport): a tall
    // viewport for the shot, so the members picker is in it.
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'room-change.png') });
    await page.setViewportSize({ width: 1280, height: 720 });
    // The members picker: each member is a select with a delete button beside it.
    const item = page
      .locator('section[data-testid="property-edit-members"] > div > div > div, [data-testid="property-edit-members"] div')
      .filter({ hasText: 'tanya.gupta@akgec.ac.in' })
      .last();
    await item.locator('xpath=ancestor::*[.//button][1]').locator('button').last().click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/admin\/resources\/Chat\.room$/);
    const members = await srv.ctx.db.knex('Chat_room_members').where({ room_id: 1 }).orderBy('user_id').pluck('user_id');
    expect(members.map(Number)).to.deep.equal([1, 2, 3, 4]);
  });

  it("deactivates a room while a member's socket is open: the socket is closed with 4003", async () => {
    const kabir = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${userToken('kabir.singh@akgec.ac.in')}`);
    await page.goto(`${srv.baseUrl}/admin/Chat/room/1/change/`);
    await page.waitForSelector('input#name');
    await page.locator('label', { hasText: 'Is active' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/admin\/resources\/Chat\.room$/);
    expect((await kabir.waitClosed()).code).to.equal(4003);
    expect((await srv.ctx.db.knex('Chat_room').where({ id: 1 }).first()).is_active).to.equal(false);
  });

  it("shows the room's history: the member removal and the deactivation, in Django's words", async () => {
    await page.goto(`${srv.baseUrl}/admin/Chat/room/1/history/`);
    await page.waitForSelector('[data-testid="history"] tbody tr');
    const rows = await page.$$eval('[data-testid="history"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => (td.textContent ?? '').trim())),
    );
    expect(rows).to.deep.equal([
      [ANAGH.email, 'Changed Members.'],
      [ANAGH.email, 'Changed Is active.'],
    ]);
  });

  it("sets a user's password, which then logs in through POST /api/user/login/", async () => {
    await page.goto(`${srv.baseUrl}/admin/resources/User.user/records/3/setPassword`);
    await page.fill('#password1', 'Browser!Set2026');
    await page.fill('#password2', 'Browser!Set2026');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.waitForURL(/\/records\/3\/show$/);
    const r = await fetch(`${srv.baseUrl}/api/user/login/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'kabir.singh@akgec.ac.in', password: 'Browser!Set2026' }),
    });
    expect(r.status).to.equal(200);
    expect(((await r.json()) as { token: string }).token).to.match(/^[0-9a-f]{40}$/);
  });

  it('logs out', async () => {
    const key = (await context.cookies()).find((c) => c.name === 'sessionid')!.value;
    await page.goto(`${srv.baseUrl}/admin/logout/`);
    await Promise.all([page.waitForLoadState('load'), page.click('#logout-form button[type=submit]')]);
    await page.getByText('Logged out').first().waitFor();
    expect(await srv.ctx.db.knex('django_session').where({ session_key: key }).first()).to.equal(undefined);
    await page.goto(`${srv.baseUrl}/admin/`);
    expect(new URL(page.url()).pathname).to.equal('/admin/login/');
  });

  it('a staff user with only view_room lists rooms but cannot change them; a non-staff user cannot log in', async () => {
    const knex = srv.ctx.db.knex;
    await knex('User_user').where({ id: 2 }).update({ is_staff: true });
    const perm = await knex('auth_permission').where({ codename: 'view_room' }).first('id');
    await knex('User_user_user_permissions').insert({ user_id: 2, permission_id: perm.id });
    const ctx2 = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const p = await ctx2.newPage();
    await logIn(p, 'riya.sharma@akgec.ac.in', 'Riya#3rdYear');
    await p.goto(`${srv.baseUrl}/admin/Chat/room/`);
    expect(await rowsOf(p)).to.have.length(4);
    expect(await p.locator('a[data-testid="action-new"]').count()).to.equal(0);
    expect(await p.locator('a[data-testid="action-edit"]').count()).to.equal(0);
    const forbidden = await p.goto(`${srv.baseUrl}/admin/resources/Chat.room/records/2/edit`);
    expect(forbidden!.status()).to.equal(403);
    await ctx2.close();

    const ctx3 = await browser.newContext();
    const q = await ctx3.newPage();
    await logIn(q, 'meera.nair@akgec.ac.in', 'MeeraApp2025');
    expect(new URL(q.url()).pathname).to.equal('/admin/login/');
    await q.getByText('Please enter the correct email and password for a staff account.', { exact: false }).waitFor();
    await ctx3.close();
  });

  it('ran without page errors', () => {
    expect(errors).to.deep.equal([]);
  });
});
