// The history's cursor paging (beyond the original): GET groups/<id>/messages/?before=<id>&limit=<n> —
// newest first, a `next` link, the page-number serializer; no repeat and no skip while messages arrive
// (where page numbers repeat); bad parameters answered with DRF's field errors; page-number requests as
// before.
import { expect } from 'chai';
import { userToken } from '../helpers/harness.ts';
import { describeServer } from '../helpers/suites.ts';
import { call } from '../helpers/http.ts';
import { WsClient } from '../helpers/wsclient.ts';
import { CURSOR_AND_PAGE } from '../../src/chat/views.ts';

const KABIR = userToken('Kabir'); // 3; rooms 1 2 3
const RIYA = userToken('Riya'); // 2; rooms 1 2 3
const DEV = userToken('Dev'); // 7; no room

const ROOM1_IDS = Array.from({ length: 22 }, (_, i) => 22 - i); // the seed's room 1: ids 22 … 1

describeServer('history cursor paging', (srv) => {
  const history = (query: string, token = RIYA, room = 1) => call(srv, 'GET', `/api/chat/groups/${room}/messages/${query}`, token);
  const path = (url: string) => url.replace(srv.baseUrl, '');

  it('pages the whole room newest first through `next`, each message once, as the page-number serializer writes it', async () => {
    const first = await history('?limit=5');
    expect(first.status, first.text).to.equal(200);
    expect(Object.keys(first.json)).to.deep.equal(['next', 'results']);
    expect(first.json.next).to.equal(`${srv.baseUrl}/api/chat/groups/1/messages/?before=18&limit=5`);
    const seen: number[] = [];
    let res = first;
    for (let pages = 1; ; pages++) {
      seen.push(...res.json.results.map((m: { id: number }) => m.id));
      if (res.json.next === null) {
        expect(pages).to.equal(5);
        break;
      }
      res = await history(path(res.json.next).replace('/api/chat/groups/1/messages/', ''));
      expect(res.status, res.text).to.equal(200);
    }
    expect(seen).to.deep.equal(ROOM1_IDS);
    // The last page holds what is left; `next` null.
    expect((await history('?before=3&limit=5')).json).to.deep.include({ next: null });
    expect((await history('?before=3&limit=5')).json.results.map((m: { id: number }) => m.id)).to.deep.equal([2, 1]);
    // Same objects as the page-number history (is_self per viewer, deleted ones with their flag).
    const pageNumbers = await history('?page=1&page_size=100');
    const all = await history('?limit=100');
    expect(all.json.results).to.deep.equal(pageNumbers.json.results);
    expect(all.json.next).to.equal(null);
  });

  it('defaults: limit 20 without `limit`; the newest `limit` without `before`; other query parameters kept in `next`', async () => {
    const r = await history('?before=22');
    expect(r.json.results).to.have.length(20);
    expect(r.json.results[0].id).to.equal(21);
    expect(r.json.next).to.equal(`${srv.baseUrl}/api/chat/groups/1/messages/?before=2`);
    const kept = await history('?limit=2&q=x&before=10');
    expect(kept.json.results.map((m: { id: number }) => m.id)).to.deep.equal([9, 8]);
    expect(kept.json.next).to.equal(`${srv.baseUrl}/api/chat/groups/1/messages/?before=8&limit=2&q=x`);
    // `before` is a position, not a lookup: an id of another room or of no message pages from there.
    expect((await history('?before=25&limit=2')).json.results.map((m: { id: number }) => m.id)).to.deep.equal([22, 21]);
    expect((await history('?before=2147483647&limit=1')).json.results.map((m: { id: number }) => m.id)).to.deep.equal([22]);
    expect((await history('?before=1')).json).to.deep.equal({ next: null, results: [] });
  });

  it('never repeats or skips while messages arrive (page numbers repeat)', async () => {
    const kabir = await WsClient.connect(`${srv.wsUrl}/ws/chat/1/?token=${KABIR}`);
    try {
      const send = async (n: number) => {
        for (let i = 0; i < n; i++) kabir.send({ message: `new ${i}` });
        await kabir.take(n, 5000);
      };
      const byCursor: number[] = [];
      const byPage: number[] = [];
      let cursor = await history('?limit=6');
      let page = await history('?page=1&page_size=6');
      for (let p = 2; ; p++) {
        byCursor.push(...cursor.json.results.map((m: { id: number }) => m.id));
        byPage.push(...page.json.results.map((m: { id: number }) => m.id));
        if (cursor.json.next === null) break;
        await send(3); // three new messages between every two pages
        cursor = await history(path(cursor.json.next).replace('/api/chat/groups/1/messages/', ''));
        page = await history(`?page=${p}&page_size=6`);
      }
      expect(byCursor).to.deep.equal(ROOM1_IDS);
      expect(new Set(byPage).size).to.be.lessThan(byPage.length); // what the cursor is for
    } finally {
      kabir.close();
    }
  });

  it('answers bad parameters with DRF field errors, and the room checks as the page-number history', async () => {
    const cases: Array<[string, unknown]> = [
      ['?before=abc', { before: ['A valid integer is required.'] }],
      ['?before=', { before: ['A valid integer is required.'] }],
      ['?before=1.5', { before: ['A valid integer is required.'] }],
      ['?before=-3', { before: ['Ensure this value is greater than or equal to 1.'] }],
      ['?before=0', { before: ['Ensure this value is greater than or equal to 1.'] }],
      ['?before=2147483648', { before: ['Ensure this value is less than or equal to 2147483647.'] }],
      ['?before=99999999999999999999999999', { before: ['Ensure this value is less than or equal to 2147483647.'] }],
      ['?limit=0', { limit: ['Ensure this value is greater than or equal to 1.'] }],
      ['?limit=101', { limit: ['Ensure this value is less than or equal to 100.'] }],
      ['?limit=-1', { limit: ['Ensure this value is greater than or equal to 1.'] }],
      ['?limit=ten', { limit: ['A valid integer is required.'] }],
      ['?limit=', { limit: ['A valid integer is required.'] }],
      [`?limit=${'9'.repeat(2000)}`, { limit: ['String value too large.'] }],
      ['?before=x&limit=x', { before: ['A valid integer is required.'], limit: ['A valid integer is required.'] }],
      ['?page=2&before=10', { detail: CURSOR_AND_PAGE }],
      ['?page_size=5&limit=5', { detail: CURSOR_AND_PAGE }],
    ];
    for (const [query, body] of cases) {
      const r = await history(query);
      expect([r.status, r.json], query).to.deep.equal([400, body]);
    }
    expect([(await history('?limit=5', DEV)).status, (await history('?limit=5', DEV)).json]).to.deep.equal([
      403,
      { detail: 'You are not a member of this room.' },
    ]);
    expect((await history('?limit=5', KABIR, 999)).json).to.deep.equal({ detail: 'No Room matches the given query.' });
    expect((await history('?limit=5', KABIR, 4)).status).to.equal(404); // inactive
    expect((await history('?limit=abc', DEV)).status).to.equal(403); // access first, as the page number's 404
  });

  it('page-number requests are unchanged (count/next/previous/results)', async () => {
    const r = await history('?page=2&page_size=5');
    expect(Object.keys(r.json)).to.deep.equal(['count', 'next', 'previous', 'results']);
    expect(r.json.count).to.equal(22);
    expect(r.json.results.map((m: { id: number }) => m.id)).to.deep.equal([17, 16, 15, 14, 13]);
  });
});
