// /api/attendance/: checkin (haversine to the configured lab, one per UTC day), checkout, weekly
// (49 days in 7-day pages). Bodies compared whole; bad input answers DRF-shaped 400s, never 500.
import { expect } from 'chai';
import { haversineMeters, pyFixed2 } from '../../src/attendance/geo.ts';
import { pythonFloat, utcToday, weeklyLink } from '../../src/attendance/views.ts';
import { loadConfig } from '../../src/config.ts';
import { drfJson, PyFloat, pythonFloatRepr } from '../../src/python/json.ts';
import { startServer, userToken } from '../helpers/harness.ts';
import { call } from '../helpers/http.ts';
import { describeServer } from '../helpers/suites.ts';

const KABIR = userToken('kabir.singh@akgec.ac.in'); // user 3
const MEERA = userToken('meera.nair@akgec.ac.in'); // user 4

const LAB = { lat: 28.6754077, lon: 77.503143 };

function addDays(iso: string, days: number): string {
  return new Date(Date.parse(iso + 'T00:00:00Z') + days * 86400000).toISOString().slice(0, 10);
}

describe('attendance helpers', () => {
  it('haversine like the original (metres), Python float repr and :.2f', () => {
    expect(haversineMeters(LAB.lat, LAB.lon, LAB.lat, LAB.lon)).to.equal(0);
    // Values printed by CPython 3 with the original's calculate_distance.
    expect(pythonFloatRepr(haversineMeters(LAB.lat, LAB.lon, 28.6755, 77.5032))).to.equal('11.672923005338388');
    expect(pythonFloatRepr(haversineMeters(LAB.lat, LAB.lon, 28.68, 77.51))).to.equal('841.5622385454766');
    expect(pythonFloatRepr(haversineMeters(LAB.lat, LAB.lon, 0, 0))).to.equal('8790643.59238246');
    expect(pyFixed2(841.5622385454766)).to.equal('841.56');
    expect([0.125, 0.375, 2.675, 12.625].map(pyFixed2)).to.deep.equal(['0.12', '0.38', '2.67', '12.62']);
    expect(drfJson({ a: new PyFloat(0), b: [new PyFloat(1e-5), new PyFloat(1.5e16), new PyFloat(5)] })).to.equal('{"a":0.0,"b":[1e-05,1.5e+16,5.0]}');
    // A client string cannot pass for a float marker.
    expect(drfJson({ s: '\u0000pyfloat-x:1\u0000' })).to.equal('{"s":"\\u0000pyfloat-x:1\\u0000"}');
  });

  it('float() parsing and the weekly links (QueryDict order, quote_plus, page replaced in place)', () => {
    expect([' 1.5 ', '1_000', '1e3', '.5', '5.', '-inf', 'NaN', 'Infinity'].map(pythonFloat)).to.deep.equal([
      1.5,
      1000,
      1000,
      0.5,
      5,
      -Infinity,
      NaN,
      Infinity,
    ]);
    expect(['', 'abc', '1__0', '1,5', '0x10', '_1'].map(pythonFloat)).to.deep.equal([null, null, null, null, null, null]);
    expect(weeklyLink('', 2)).to.equal('https://csi-backend-wvn0.onrender.com/api/attendance/weekly/?page=2');
    expect(weeklyLink('z=a b&page=1&a=%C3%A9&z=2&flag', 3)).to.equal(
      'https://csi-backend-wvn0.onrender.com/api/attendance/weekly/?z=a+b&z=2&page=3&a=%C3%A9&flag=',
    );
  });

  it("lab coordinates and radius come from config with the original's defaults", () => {
    expect(loadConfig({}).attendance).to.deep.equal({ labLatitude: 28.6754077, labLongitude: 77.503143, radiusMeters: 25 });
    expect(loadConfig({ ATTENDANCE_LAB_LATITUDE: '12.5', ATTENDANCE_LAB_LONGITUDE: '-3', ATTENDANCE_RADIUS_METERS: '100' }).attendance).to.deep.equal(
      { labLatitude: 12.5, labLongitude: -3, radiusMeters: 100 },
    );
    expect(() => loadConfig({ ATTENDANCE_LAB_LATITUDE: '91' })).to.throw('ATTENDANCE_LAB_LATITUDE');
    expect(() => loadConfig({ ATTENDANCE_RADIUS_METERS: 'far' })).to.throw('ATTENDANCE_RADIUS_METERS');
  });
});

describeServer('attendance REST', { timeout: 60000 }, (srv, { backend }) => {
  const rows = () => srv.ctx.db.knex('Attendance_attendance').orderBy('id').select('*');

  it('checkin at the lab: 200 with the distance as a float; second check-in refused', async () => {
    const res = await call(srv, 'POST', '/api/attendance/checkin/', KABIR, { check_in_latitude: LAB.lat, check_in_longitude: LAB.lon });
    expect(res).to.deep.include({ status: 200, text: '{"message":"Check-in successful. Attendance marked!","distance":0.0}' });
    const [row] = await rows();
    expect(row).to.deep.include({
      date: utcToday(),
      check_in_latitude: LAB.lat,
      check_in_longitude: LAB.lon,
      check_in_within_range: true,
      check_out_time: null,
      check_out_latitude: null,
      check_out_longitude: null,
      check_out_within_range: false,
      user_id: 3,
    });
    expect(row.check_in_time).to.be.a('string');
    expect(await call(srv, 'POST', '/api/attendance/checkin/', KABIR, { check_in_latitude: LAB.lat, check_in_longitude: LAB.lon })).to.deep.include({
      status: 400,
      text: '{"error":"You have already checked in today."}',
    });
    expect(await rows()).to.have.length(1);
  });

  it('checkin within the radius from a form body; outside it a 400 with the rounded distance, nothing stored', async () => {
    const near = await call(
      srv,
      'POST',
      '/api/attendance/checkin/',
      MEERA,
      new URLSearchParams({ check_in_latitude: '28.6755', check_in_longitude: '77.5032' }),
    );
    expect(near).to.deep.include({ status: 200, text: '{"message":"Check-in successful. Attendance marked!","distance":11.672923005338388}' });
    const far = await call(srv, 'POST', '/api/attendance/checkin/', KABIR, { check_in_latitude: '28.68', check_in_longitude: 77.51 });
    expect(far).to.deep.include({
      status: 400,
      text: '{"error":"Check-in failed. You are 841.56 meters away from the lab.","distance":841.5622385454766}',
    });
    expect((await rows()).map((r) => r.user_id)).to.deep.equal([4]);
  });

  it('the radius and lab are configurable', async () => {
    const wide = await startServer(backend, { seed: false, env: { ATTENDANCE_RADIUS_METERS: '1000' } });
    try {
      const res = await call(wide, 'POST', '/api/attendance/checkin/', KABIR, { check_in_latitude: 28.68, check_in_longitude: 77.51 });
      expect(res).to.deep.include({ status: 200, text: '{"message":"Check-in successful. Attendance marked!","distance":841.5622385454766}' });
    } finally {
      await wide.close();
    }
  });

  it('checkin validation: field errors, then the range checks of validate()', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, '{"check_in_latitude":["This field is required."],"check_in_longitude":["This field is required."]}'],
      [
        { check_in_latitude: null, check_in_longitude: 'x' },
        '{"check_in_latitude":["This field may not be null."],"check_in_longitude":["A valid number is required."]}',
      ],
      [
        { check_in_latitude: [1], check_in_longitude: {} },
        '{"check_in_latitude":["A valid number is required."],"check_in_longitude":["A valid number is required."]}',
      ],
      [{ check_in_latitude: '1'.repeat(1001), check_in_longitude: 1 }, '{"check_in_latitude":["String value too large."]}'],
      [{ check_in_latitude: 91, check_in_longitude: 181 }, '{"non_field_errors":["Invalid latitude value. Must be between -90 and 90."]}'],
      [{ check_in_latitude: 'nan', check_in_longitude: 0 }, '{"non_field_errors":["Invalid latitude value. Must be between -90 and 90."]}'],
      [{ check_in_latitude: 0, check_in_longitude: '-inf' }, '{"non_field_errors":["Invalid longitude value. Must be between -180 and 180."]}'],
      [[1, 2], '{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}'],
    ];
    for (const [body, text] of cases) {
      expect(await call(srv, 'POST', '/api/attendance/checkin/', KABIR, body), JSON.stringify(body)).to.deep.include({ status: 400, text });
    }
    expect((await call(srv, 'POST', '/api/attendance/checkin/', KABIR, '{"check_in_latitude": 1', 'application/json')).status).to.equal(400);
    expect(
      await call(srv, 'POST', '/api/attendance/checkin/', KABIR, new URLSearchParams({ check_in_latitude: '', check_in_longitude: '1' })),
    ).to.deep.include({
      status: 400,
      text: '{"check_in_latitude":["A valid number is required."]}',
    });
    expect(await rows()).to.deep.equal([]);
  });

  it("checkout: needs today's check-in, records once, any coordinates", async () => {
    expect(await call(srv, 'POST', '/api/attendance/checkout/', KABIR, { check_out_latitude: 1, check_out_longitude: 2 })).to.deep.include({
      status: 400,
      text: '{"error":"No check-in record found for today."}',
    });
    expect(await call(srv, 'POST', '/api/attendance/checkout/', KABIR, {})).to.deep.include({
      status: 400,
      text: '{"check_out_latitude":["This field is required."],"check_out_longitude":["This field is required."]}',
    });
    await call(srv, 'POST', '/api/attendance/checkin/', KABIR, { check_in_latitude: LAB.lat, check_in_longitude: LAB.lon });
    expect(await call(srv, 'POST', '/api/attendance/checkout/', KABIR, { check_out_latitude: -45.5, check_out_longitude: '170.25' })).to.deep.include(
      { status: 200, text: '{"message":"Check-out successful. See you tomorrow!"}' },
    );
    const [row] = await rows();
    expect(row).to.deep.include({ check_out_latitude: -45.5, check_out_longitude: 170.25, check_out_within_range: true });
    expect(row.check_out_time).to.be.a('string');
    expect(await call(srv, 'POST', '/api/attendance/checkout/', KABIR, { check_out_latitude: 1, check_out_longitude: 2 })).to.deep.include({
      status: 400,
      text: '{"error":"You have already checked out today."}',
    });
  });

  it('checkout stores out-of-range floats like the original (no range check), never a 500', async () => {
    await call(srv, 'POST', '/api/attendance/checkin/', MEERA, { check_in_latitude: LAB.lat, check_in_longitude: LAB.lon });
    const res = await call(srv, 'POST', '/api/attendance/checkout/', MEERA, { check_out_latitude: 'inf', check_out_longitude: 1000 });
    expect(res).to.deep.include({ status: 200 });
    const [row] = await rows();
    expect(row.check_out_latitude).to.equal(Infinity);
    expect(row.check_out_longitude).to.equal(1000);
  });

  it('weekly: 7 pages of 7 days, page 1 ending today, attended from check-ins', async () => {
    const today = utcToday();
    const knex = srv.ctx.db.knex;
    const row = (date: string, checkedIn: boolean) => ({
      date,
      check_in_time: checkedIn ? '2025-01-01 00:00:00+00' : null,
      check_in_latitude: 0,
      check_in_longitude: 0,
      check_in_within_range: true,
      check_out_within_range: false,
      user_id: 3,
    });
    await knex('Attendance_attendance').insert([
      row(today, true),
      row(addDays(today, -1), false),
      row(addDays(today, -48), true),
      row(addDays(today, -49), true),
    ]);
    const day = (date: string, attended: boolean) => {
      const d = new Date(date + 'T00:00:00Z');
      return {
        date,
        attended,
        day_name: d.toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' }),
        month_name: d.toLocaleDateString('en-US', { month: 'long', timeZone: 'UTC' }),
      };
    };
    const expectPage = async (page: number, query: string) => {
      const res = await call(srv, 'GET', `/api/attendance/weekly/${query}`, KABIR);
      expect(res.status, res.text).to.equal(200);
      const first = addDays(today, -48 + (7 - page) * 7);
      const results = Array.from({ length: 7 }, (_, i) => addDays(first, i)).map((d) => day(d, d === today || d === addDays(today, -48)));
      const months = [...new Set(results.map((r) => r.month_name))];
      const base = 'https://csi-backend-wvn0.onrender.com/api/attendance/weekly/?';
      const expected: Record<string, unknown> = {
        page,
        total_pages: 7,
        next: page < 7 ? `${base}page=${page + 1}` : null,
        previous: page > 1 ? `${base}page=${page - 1}` : null,
        results,
        ...(months.length === 1 ? { month: months[0] } : { months }),
      };
      expect(res.text).to.equal(JSON.stringify(expected));
    };
    await expectPage(1, '');
    await expectPage(1, '?page=1');
    await expectPage(4, '?page=4');
    await expectPage(7, '?page=%207');
  });

  it('concurrent check-ins and check-outs of one user: exactly one of each succeeds', async () => {
    const body = { check_in_latitude: LAB.lat, check_in_longitude: LAB.lon };
    const ins = await Promise.all(Array.from({ length: 6 }, () => call(srv, 'POST', '/api/attendance/checkin/', KABIR, body)));
    expect(ins.filter((r) => r.status === 200)).to.have.length(1);
    expect(ins.filter((r) => r.status === 400).map((r) => r.text)).to.deep.equal(Array(5).fill('{"error":"You have already checked in today."}'));
    const outs = await Promise.all(
      Array.from({ length: 6 }, () => call(srv, 'POST', '/api/attendance/checkout/', KABIR, { check_out_latitude: 1, check_out_longitude: 2 })),
    );
    expect(outs.filter((r) => r.status === 200)).to.have.length(1);
    expect(outs.filter((r) => r.status === 400).map((r) => r.text)).to.deep.equal(Array(5).fill('{"error":"You have already checked out today."}'));
    expect(await rows()).to.have.length(1);
  });

  it('weekly page errors and auth', async () => {
    for (const p of ['abc', '', '1.5', '99999999999999999999999x']) {
      expect(await call(srv, 'GET', `/api/attendance/weekly/?page=${p}`, KABIR), p).to.deep.include({
        status: 400,
        text: '{"detail":"Invalid page number."}',
      });
    }
    for (const p of ['0', '8', '-1', '99999999999999999999999']) {
      expect(await call(srv, 'GET', `/api/attendance/weekly/?page=${p}`, KABIR), p).to.deep.include({
        status: 400,
        text: '{"detail":"Page out of range."}',
      });
    }
    expect(await call(srv, 'GET', '/api/attendance/weekly/', null)).to.deep.include({
      status: 403,
      text: '{"detail":"Authentication credentials were not provided."}',
    });
    expect(await call(srv, 'GET', '/api/attendance/checkin/', KABIR)).to.deep.include({ status: 405 });
    expect(await call(srv, 'POST', '/api/attendance/checkin/', null, {})).to.deep.include({ status: 403 });
    // The app's GET /api/attendance (no slash, no auth): no view there.
    expect((await call(srv, 'GET', '/api/attendance', null)).status).to.equal(404);
  });
});
