// N11 for operators: the blacklist API (list, add, remove, audit) in-process over real SQLite,
// behind the token, with stable 4xx codes; removals are kept and audited.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlacklistStore, type BlacklistStore } from '../../src/blacklist/blacklist-store.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { createHttpApp } from '../../src/http/app.js';
import { createCallQueries } from '../../src/store/call-queries.js';
import { openDatabase } from '../../src/store/database.js';

const TOKEN = 'test-token-0123456789';
const T0 = Date.UTC(2026, 2, 10, 2, 0, 0);
const MIN = 60_000;
let server: Server;
let base: string;
let store: BlacklistStore;
let clock: VirtualClock;

const call = async (method: string, path: string, body?: unknown, token = TOKEN) => {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  const db = openDatabase(':memory:');
  store = createBlacklistStore(db);
  clock = new VirtualClock(T0);
  const app = createHttpApp({
    queries: createCallQueries(db),
    health: () => ({ ari: true, ami: true, activeCalls: 0 }),
    apiToken: TOKEN,
    logger: pino({ level: 'silent' }),
    blacklist: { store, now: () => clock.now() },
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('blacklist API (N11)', () => {
  it('needs the token', async () => {
    expect((await call('GET', '/blacklist', undefined, 'wrong-token-0123456789')).status).toBe(401);
    expect((await call('POST', '/blacklist', { number: '13800138000', reason: 'r', by: 'x' }, 'wrong-token-0123456789')).status).toBe(401);
  });

  it('POST lists a number, a pattern and withheld caller IDs (201, unmasked), with expiry by ttlMinutes or expiresAt', async () => {
    const exact = await call('POST', '/blacklist', { number: '13800138000', reason: 'abusive calls', by: 'wang', ttlMinutes: 60 });
    expect(exact.status).toBe(201);
    expect(exact.body.entry).toMatchObject({
      kind: 'exact', value: '13800138000', reason: 'abusive calls', addedBy: 'wang', createdAt: T0, expiresAt: T0 + 60 * MIN, removedAt: null, active: true,
    });
    const pattern = await call('POST', '/blacklist', { pattern: '_1700XXXXXXX', reason: 'virtual operator range', by: 'wang', expiresAt: T0 + 5 * MIN });
    expect(pattern.status).toBe(201);
    expect(pattern.body.entry).toMatchObject({ kind: 'pattern', value: '_1700XXXXXXX', expiresAt: T0 + 5 * MIN });
    const anonymous = await call('POST', '/blacklist', { anonymous: true, reason: 'night harassment', by: 'li' });
    expect(anonymous.body.entry).toMatchObject({ kind: 'anonymous', value: '', expiresAt: null });
    expect(store.match('13800138000', T0)?.reason).toBe('abusive calls');
    expect(store.match('17001234567', T0)?.kind).toBe('pattern');
  });

  it('GET lists the entries in force, newest first; ?all=1 adds expired and removed ones', async () => {
    clock.setTime(T0 + 10 * MIN); // the pattern entry has expired
    const active = await call('GET', '/blacklist');
    expect((active.body.entries as Array<{ kind: string }>).map((e) => e.kind)).toEqual(['anonymous', 'exact']);
    const all = await call('GET', '/blacklist?all=1');
    expect((all.body.entries as Array<{ kind: string; active: boolean }>).map((e) => [e.kind, e.active])).toEqual([
      ['anonymous', true],
      ['pattern', false],
      ['exact', true],
    ]);
  });

  it('DELETE marks the entry removed (kept, with who and why) and audits it; GET /blacklist/audit and /blacklist/:id show the history', async () => {
    const removed = await call('DELETE', '/blacklist/1', { by: 'zhao', reason: 'customer apologised' });
    expect(removed.status).toBe(200);
    expect(removed.body.entry).toMatchObject({ id: 1, removedAt: T0 + 10 * MIN, removedBy: 'zhao', removedReason: 'customer apologised', active: false });
    expect(store.match('13800138000', clock.now())).toBeUndefined();
    const audit = await call('GET', '/blacklist/audit');
    expect((audit.body.audit as Array<{ entryId: number; action: string; by: string }>).map((a) => [a.entryId, a.action, a.by])).toEqual([
      [1, 'remove', 'zhao'],
      [3, 'add', 'li'],
      [2, 'add', 'wang'],
      [1, 'add', 'wang'],
    ]);
    const one = await call('GET', '/blacklist/1');
    expect(one.body.entry).toMatchObject({ id: 1, removedBy: 'zhao' });
    expect((one.body.audit as unknown[]).length).toBe(2);
    expect(((await call('GET', '/blacklist/audit?entry=2')).body.audit as unknown[]).length).toBe(1);
  });

  it.each([
    [{ number: '13900139000', reason: 'r', by: 'x', pattern: '_139.' }, 400, 'invalid-request'],
    [{ reason: 'r', by: 'x' }, 400, 'invalid-request'],
    [{ number: '13900139000', by: 'x' }, 400, 'invalid-request'],
    [{ number: '13900139000', reason: 'r' }, 400, 'invalid-request'],
    [{ number: '13900139000', reason: '  ', by: 'x' }, 400, 'invalid-request'],
    [{ number: '13900139000', reason: 'r', by: 'x', ttlMinutes: 5, expiresAt: T0 + 99 * MIN }, 400, 'invalid-request'],
    [{ number: '13900139000', reason: 'r', by: 'x', ttlMinutes: 0 }, 400, 'invalid-request'],
    [{ anonymous: false, reason: 'r', by: 'x' }, 400, 'invalid-request'],
    [{ number: '13900139000', reason: 'r', by: 'x', extra: 1 }, 400, 'invalid-request'],
    ['{not json', 400, 'invalid-request'],
    [{ number: '139-0013-9000', reason: 'r', by: 'x' }, 422, 'blacklist-number-invalid'],
    [{ number: 'anonymous', reason: 'r', by: 'x' }, 422, 'blacklist-number-invalid'],
    [{ pattern: '^139\\d{8}$', reason: 'r', by: 'x' }, 422, 'blacklist-pattern-invalid'],
    [{ number: '13900139000', reason: 'r', by: 'x', expiresAt: T0 }, 422, 'blacklist-expiry-past'],
    [{ anonymous: true, reason: 'again', by: 'x' }, 409, 'blacklist-duplicate'],
  ])('POST %j is refused with %i %s', async (body, status, code) => {
    const res = await call('POST', '/blacklist', body);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(code);
  });

  it('an invalid pattern is refused with the parser\'s own message; a duplicate names the entry in force', async () => {
    const bad = await call('POST', '/blacklist', { pattern: '_139X[', reason: 'r', by: 'x' });
    expect(bad.body.message).toBe(`'_139X[' is not a number pattern: "[" at character 6 opens a set that is never closed with "]"`);
    const dup = await call('POST', '/blacklist', { anonymous: true, reason: 'again', by: 'x' });
    expect(dup.body.details).toMatchObject({ existing: { id: 3, kind: 'anonymous' } });
  });

  it.each([
    ['/blacklist/999', { by: 'x', reason: 'y' }, 404, 'blacklist-entry-not-found'],
    ['/blacklist/1', { by: 'x', reason: 'y' }, 409, 'blacklist-entry-removed'],
    ['/blacklist/3', { by: 'x' }, 400, 'invalid-request'],
    ['/blacklist/3', undefined, 400, 'invalid-request'],
    ['/blacklist/abc', { by: 'x', reason: 'y' }, 400, 'invalid-request'],
  ])('DELETE %s %j is refused with %i %s', async (path, body, status, code) => {
    const res = await call('DELETE', path, body);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(code);
  });

  it('GET with a bad query or an unknown id: 400 / 404', async () => {
    expect((await call('GET', '/blacklist?all=yes')).body.error).toBe('invalid-request');
    expect((await call('GET', '/blacklist?limit=0')).body.error).toBe('invalid-request');
    expect((await call('GET', '/blacklist/audit?entry=x')).body.error).toBe('invalid-request');
    expect((await call('GET', '/blacklist/42')).status).toBe(404);
  });
});
