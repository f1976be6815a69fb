// /api/docs/ in a real browser (Debian's chromium driven by playwright-core), offline: the page is opened under
// a host name that is not localhost (as a deployment serves it; Swagger UI treats localhost specially), every
// request the page makes is recorded and any to another origin is refused. Swagger UI must render the
// operations of the OpenAPI document from this server's files alone, with no request leaving it (no CDN, no
// validator badge from validator.swagger.io carrying the document's URL), and no script error.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { describeNeeding } from '../helpers/suites.ts';
import { ROOT, startServer, type TestServer } from '../helpers/harness.ts';
import { buildDocuments } from '../../src/apidocs/index.ts';
import { urlpatterns, websocketUrlpatterns } from '../../src/urls.ts';

// As test/admin/browser.test.ts (not imported from there: that would register its suite here).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOST = 'docs.csi-chat.test';
const ARTIFACTS = path.join(ROOT, 'test-artifacts/apidocs');

const chromiumMissing = () =>
  fs.existsSync(CHROMIUM) ? null : `chromium not found at ${CHROMIUM} (apt-get install -y chromium, or .ci/install-browser.sh)`;

describeNeeding('/api/docs/ in a browser, offline (chromium + playwright-core)', [chromiumMissing], function () {
  this.timeout(120000);
  let srv: TestServer;
  let browser: Browser;

  before(async () => {
    const { chromium } = await import('playwright-core');
    srv = await startServer('pglite', { env: { API_DOCS: 'true' } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        // The one name the page may reach; every other name fails to resolve (and is refused below anyway).
        `--host-resolver-rules=MAP ${HOST} 127.0.0.1, MAP * ~NOTFOUND`,
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await srv?.close();
  });

  it('renders every operation from this server alone: no request to another origin, no script error', async () => {
    const origin = `http://${HOST}:${srv.port}`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    context.on('request', (r) => requests.push(r.url()));
    await context.route('**/*', (route) => (new URL(route.request().url()).origin === origin ? route.continue() : route.abort('blockedbyclient')));
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${origin}/api/docs/`);
    await page.waitForSelector('.opblock-summary-path', { timeout: 30000 });
    // Give late requests (images, a badge) their chance.
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(500);
    const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.getAttribute('data-path')));
    const title = await page.textContent('.info .title');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'docs.png') });
    await context.close();

    expect(title).to.include('csi-chat REST API');
    // Every path of the document is on the page (one block per operation).
    const documented = Object.keys(buildDocuments(urlpatterns, websocketUrlpatterns).openapi.paths);
    expect([...new Set(paths)].sort()).to.deep.equal([...documented].sort());
    expect(paths).to.include('/api/chat/groups/{room_id}/messages/');
    expect(
      requests.filter((u) => new URL(u).origin !== origin),
      'requests to another origin',
    ).to.deep.equal([]);
    expect(requests).to.include(`${origin}/api/schema/?format=json`);
    expect(errors).to.deep.equal([]);
  });
});
