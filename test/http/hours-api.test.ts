// N15 for operators, in-process over real SQLite: the hours now (state, next change, weekly
// table, override), the override (force open or closed with a reason and an expiry, kept and
// logged), the holiday calendar merged from the flow file and imported iCalendar files, and its
// export; stable 4xx codes for bad input; everything behind the API token.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHoursService } from '../../src/calendar/hours-service.js';
import { createHoursStore, type HoursStore } from '../../src/calendar/hours-store.js';
import { createHttpApp } from '../../src/http/app.js';
import { createCallQueries } from '../../src/store/call-queries.js';
import { openDatabase } from '../../src/store/database.js';
import { flowFromYaml } from '../unit/support/fake-call.js';

const TOKEN = 'test-token-0123456789';
const at = (local: string) => new Date(`${local}:00+08:00`).getTime();
const HOUR = 3_600_000;

const FLOW = flowFromYaml(`
hotline: { name: 客服热线, number: "4008008000", holidays: ["2026-10-01"], workdays: ["2026-10-10"] }
hours:
  weekly: { mon: ["08:00-20:00"], tue: ["08:00-20:00"], wed: ["08:00-20:00"], thu: ["08:00-20:00"], fri: ["08:00-20:00"], sat: ["09:00-17:00"] }
steps:
  bye: { verb: hangup }
`);

let server: Server;
let base: string;
let store: HoursStore;
let now = at('2026-03-10T10:00');
const logged: Array<{ msg: string; data: Record<string, unknown> }> = [];

const request = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(base + path, {
    method,
    headers: {
      Authorization: `Bearer ${TOKEN}`,
      ...(body === undefined || typeof body === 'string' ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, text, body: (type.includes('json') ? JSON.parse(text) : {}) as Record<string, unknown> };
};

const ics = (...events: string[][]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...events.flatMap((e) => ['BEGIN:VEVENT', ...e, 'END:VEVENT']), 'END:VCALENDAR', ''].join('\r\n');
const importCalendar = (text: string, query = '', type = 'text/calendar; charset=utf-8') =>
  request('POST', `/holidays/import${query}`, text, { 'Content-Type': type });

beforeAll(async () => {
  const db = openDatabase(':memory:');
  store = createHoursStore(db);
  const app = createHttpApp({
    queries: createCallQueries(db),
    health: () => ({ ari: true, ami: true, activeCalls: 0 }),
    apiToken: TOKEN,
    logger: pino({ level: 'silent' }),
    hours: {
      service: createHoursService(store),
      store,
      flow: () => FLOW,
      now: () => now,
      logger: { info: (data: object, msg: string) => logged.push({ msg, data: data as Record<string, unknown> }) } as never,
    },
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  now = at('2026-03-10T10:00');
  store.clearOverride(now, 'test');
  for (const day of store.days()) store.removeDay(day.date, now);
});

describe('GET /api/hours (N15)', () => {
  it('N15: the state now, the next change, the weekly table and no override', async () => {
    const res = await request('GET', '/hours');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      now,
      timezone: 'Asia/Shanghai',
      configured: true,
      state: 'open',
      reason: 'weekly',
      date: '2026-03-10',
      opensAt: null,
      closesAt: at('2026-03-10T20:00'),
      nextChange: at('2026-03-10T20:00'),
      override: null,
      weekly: { mon: ['08:00-20:00'], sat: ['09:00-17:00'], sun: [] },
      holidays: [],
      workdays: 'mon',
      callbacks: { state: 'open', schedule: 'service-hours' },
    });
  });

  it('N15: after hours the next change is the next opening', async () => {
    now = at('2026-03-10T21:00');
    expect((await request('GET', '/hours')).body).toMatchObject({ state: 'closed', nextChange: at('2026-03-11T08:00') });
  });

  it('N14: needs the token', async () => {
    const res = await fetch(`${base}/hours`);
    expect(res.status).toBe(401);
  });
});

describe('the override (N15)', () => {
  it('N15: PUT forces closed with a reason and an expiry; it is logged and GET /hours shows it', async () => {
    const res = await request('PUT', '/hours/override', { state: 'closed', reason: 'fire drill', expiresAt: now + HOUR, by: 'wang' });
    expect(res.status).toBe(200);
    expect(res.body.override).toMatchObject({ state: 'closed', reason: 'fire drill', by: 'wang', createdAt: now, expiresAt: now + HOUR, clearedAt: null });
    expect(res.body.replaced).toBeNull();
    expect(res.body.hours).toMatchObject({ state: 'closed', reason: 'override', opensAt: now + HOUR });
    expect(logged.at(-1)).toMatchObject({ msg: 'hours: override set', data: { state: 'closed', reason: 'fire drill', by: 'wang' } });
    expect((await request('GET', '/hours')).body).toMatchObject({ state: 'closed', override: { reason: 'fire drill' } });
  });

  it('N15: a second PUT replaces the first (both kept); DELETE clears it; the history lists every one', async () => {
    const first = await request('PUT', '/hours/override', { state: 'closed', reason: 'drill', expiresAt: now + HOUR });
    const second = await request('PUT', '/hours/override', { state: 'open', reason: 'extra staff', expiresAt: now + 2 * HOUR, by: 'li' });
    expect(second.body.replaced).toMatchObject({ id: (first.body.override as { id: number }).id, clearedBy: 'li' });
    expect((first.body.override as { by: string }).by).toBe('api');
    const cleared = await request('DELETE', '/hours/override?by=zhao');
    expect(cleared.status).toBe(200);
    expect(cleared.body.override).toMatchObject({ state: 'open', clearedBy: 'zhao', clearedAt: now });
    expect(cleared.body.hours).toMatchObject({ state: 'open', reason: 'weekly', override: null });
    expect(logged.at(-1)).toMatchObject({ msg: 'hours: override cleared', data: { by: 'zhao' } });
    const history = await request('GET', '/hours/overrides?limit=2');
    expect((history.body.overrides as Array<{ reason: string }>).map((o) => o.reason)).toEqual(['extra staff', 'drill']);
  });

  it.each([
    [{ state: 'closed', reason: 'x', expiresAt: at('2026-03-10T09:00') }, 422, 'override-expiry-invalid'],
    [{ state: 'closed', reason: 'x', expiresAt: at('2026-03-10T10:00') }, 422, 'override-expiry-invalid'],
    [{ state: 'closed', reason: 'x', expiresAt: at('2026-04-12T10:00') }, 422, 'override-expiry-invalid'],
    [{ state: 'shut', reason: 'x', expiresAt: at('2026-03-10T11:00') }, 400, 'invalid-request'],
    [{ state: 'closed', reason: '  ', expiresAt: at('2026-03-10T11:00') }, 400, 'invalid-request'],
    [{ state: 'closed', expiresAt: at('2026-03-10T11:00') }, 400, 'invalid-request'],
    [{ state: 'closed', reason: 'x' }, 400, 'invalid-request'],
    [{ state: 'closed', reason: 'x', expiresAt: '2026-03-10T11:00' }, 400, 'invalid-request'],
    [{ state: 'closed', reason: 'x', expiresAt: at('2026-03-10T11:00'), extra: 1 }, 400, 'invalid-request'],
    ['{not json', 400, 'invalid-request'],
  ])('PUT %j is refused with %i %s', async (body, status, code) => {
    const res = await request('PUT', '/hours/override', body, typeof body === 'string' ? { 'Content-Type': 'application/json' } : {});
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(code);
  });

  it('DELETE with nothing in force is 404 override-not-found', async () => {
    const res = await request('DELETE', '/hours/override');
    expect(res).toMatchObject({ status: 404, body: { error: 'override-not-found' } });
  });
});

describe('the holiday calendar (N15)', () => {
  it('N15: GET /holidays lists the flow file\'s days', async () => {
    const res = await request('GET', '/holidays');
    expect(res.body).toEqual({
      timezone: 'Asia/Shanghai',
      days: [
        { date: '2026-10-01', kind: 'holiday', name: '', source: 'flow', importedAt: null },
        { date: '2026-10-10', kind: 'workday', name: '', source: 'flow', importedAt: null },
      ],
      overruled: [],
    });
  });

  it('N15: an import adds holidays and make-up workdays; they count at once; the flow file wins a date both name', async () => {
    const res = await importCalendar(ics(
      ['UID:a', 'DTSTART;VALUE=DATE:20261001', 'DTEND;VALUE=DATE:20261004', 'SUMMARY:国庆节'],
      ['UID:b', 'DTSTART;VALUE=DATE:20261011', 'SUMMARY:国庆节 补班'],
      ['UID:c', 'DTSTART:20261012T090000Z', 'SUMMARY:timed'],
      ['UID:d', 'DTSTART;VALUE=DATE:20200101', 'RRULE:FREQ=YEARLY', 'SUMMARY:元旦'],
    ), '?source=gov.cn');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      source: 'gov.cn',
      window: { from: '2026-01-01', to: '2028-12-31' },
      events: 4,
      holidays: 6,
      workdays: 1,
      added: 7,
      changed: 0,
      unchanged: 0,
      skipped: [{ uid: 'c', summary: 'timed', reason: 'not an all-day event (DTSTART;VALUE=DATE)' }],
    });
    expect(logged.at(-1)).toMatchObject({ msg: 'hours: holidays imported', data: { source: 'gov.cn', added: 7 } });
    const list = await request('GET', '/holidays');
    const days = list.body.days as Array<{ date: string; kind: string; source: string }>;
    expect(days.map((d) => `${d.date} ${d.kind} ${d.source}`)).toEqual([
      '2026-01-01 holiday gov.cn',
      '2026-10-01 holiday flow',
      '2026-10-02 holiday gov.cn',
      '2026-10-03 holiday gov.cn',
      '2026-10-10 workday flow',
      '2026-10-11 workday gov.cn',
      '2027-01-01 holiday gov.cn',
      '2028-01-01 holiday gov.cn',
    ]);
    expect(list.body.overruled).toMatchObject([{ date: '2026-10-01', source: 'gov.cn' }]);
    // 2026-10-02 (a Friday) is now a holiday; 2026-10-11 (a Sunday) a working day.
    now = at('2026-10-02T10:00');
    expect((await request('GET', '/hours')).body).toMatchObject({ state: 'holiday' });
    now = at('2026-10-11T10:00');
    expect((await request('GET', '/hours')).body).toMatchObject({ state: 'open', reason: 'workday' });
  });

  it('N15: DELETE /holidays/:date takes an imported day out; a flow-file day is 409; an unknown one 404', async () => {
    await importCalendar(ics(['UID:a', 'DTSTART;VALUE=DATE:20261002', 'SUMMARY:国庆节']));
    const removed = await request('DELETE', '/holidays/2026-10-02');
    expect(removed).toMatchObject({ status: 200, body: { removed: { date: '2026-10-02', kind: 'holiday' }, stillInFlowFile: false } });
    expect(await request('DELETE', '/holidays/2026-10-02')).toMatchObject({ status: 404, body: { error: 'holiday-not-found' } });
    expect(await request('DELETE', '/holidays/2026-10-01')).toMatchObject({ status: 409, body: { error: 'holiday-in-flow-file' } });
    expect(await request('DELETE', '/holidays/2026-02-30')).toMatchObject({ status: 400, body: { error: 'invalid-request' } });
  });

  it.each([
    { label: 'plain text', text: 'hello', status: 400, code: 'calendar-invalid' },
    { label: 'a malformed date', text: ics(['UID:x', 'DTSTART;VALUE=DATE:2026130x']), status: 400, code: 'calendar-invalid' },
    { label: 'an unterminated calendar', text: 'BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n', status: 400, code: 'calendar-invalid' },
    { label: 'no all-day event', text: ics(['UID:c', 'DTSTART:20261012T090000Z']), status: 422, code: 'calendar-empty' },
    { label: 'an empty calendar', text: ics(), status: 422, code: 'calendar-empty' },
  ])('N15: an import of $label is refused with $status $code, and nothing is imported', async ({ text, status, code }) => {
    const res = await importCalendar(text);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(code);
    expect(store.days()).toEqual([]);
  });

  it('N15: an import must be text/calendar (415), at most 1 MiB (413), with a sane source label', async () => {
    const body = ics(['UID:a', 'DTSTART;VALUE=DATE:20261002']);
    expect(await importCalendar(body, '', 'application/json')).toMatchObject({ status: 415, body: { error: 'unsupported-media-type' } });
    expect(await importCalendar(body, '', 'text/plain')).toMatchObject({ status: 415, body: { error: 'unsupported-media-type' } });
    const huge = `BEGIN:VCALENDAR\r\n${'X-PAD:'.padEnd(70, 'x')}\r\n`.repeat(16_000);
    expect(await importCalendar(huge)).toMatchObject({ status: 413, body: { error: 'calendar-too-large' } });
    expect(await importCalendar(body, '?source=%3Cscript%3E')).toMatchObject({ status: 400, body: { error: 'invalid-request' } });
    expect(store.days()).toEqual([]);
  });

  it('N15: GET /holidays.ics exports the merged calendar as text/calendar, and it imports back unchanged', async () => {
    await importCalendar(ics(['UID:a', 'DTSTART;VALUE=DATE:20261002', 'SUMMARY:国庆节'], ['UID:b', 'DTSTART;VALUE=DATE:20261011', 'CATEGORIES:WORKDAY']));
    const res = await request('GET', '/holidays.ics');
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/calendar; charset=utf-8');
    expect(res.text).toContain('X-WR-CALNAME:客服热线 holidays');
    expect(res.text.match(/BEGIN:VEVENT/g)).toHaveLength(4);
    const again = await importCalendar(res.text, '?source=roundtrip');
    // The named day comes back as it is; the unnamed one with the name the export gave it; the
    // flow file's two are added as imports (the flow file still wins them).
    expect(again.body).toMatchObject({ holidays: 2, workdays: 2, added: 2, changed: 1, unchanged: 1 });
    expect(store.days().find((d) => d.date === '2026-10-11')).toMatchObject({ kind: 'workday', name: 'Make-up workday' });
  });
});
