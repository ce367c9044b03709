// N5/N8 for operators: the callback queue (request, cancel, reschedule) and who waits in the
// hold queues, in-process over real SQLite, with stable 4xx codes for bad input.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentsConfig } from '../../src/agents/agent-config.js';
import { AgentPool } from '../../src/agents/agent-pool.js';
import { createAgentStateStore } from '../../src/agents/agent-state-store.js';
import { Dispatcher } from '../../src/agents/dispatcher.js';
import { createCallbackStore, type CallbackStore } from '../../src/callbacks/callback-store.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { createHttpApp } from '../../src/http/app.js';
import { createCallQueries } from '../../src/store/call-queries.js';
import { openDatabase } from '../../src/store/database.js';
import { callbackDeps } from './support/callback-deps.js';

const TOKEN = 'test-token-0123456789';
const T0 = Date.UTC(2026, 2, 10, 2, 0, 0);
let server: Server;
let base: string;
let store: CallbackStore;
let dispatcher: Dispatcher;

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  const db = openDatabase(':memory:');
  store = createCallbackStore(db);
  const clock = new VirtualClock(T0);
  const pool = new AgentPool(
    AgentsConfig.parse({ agents: { a1: { endpoint: 'Local/a1@x', workNumber: '1', name: 'A' } }, groups: { billing: { name: 'B', members: ['a1'] } } }),
    createAgentStateStore(db),
    clock,
    new AbortController().signal,
  );
  dispatcher = new Dispatcher(pool, pino({ level: 'silent' }));
  const app = createHttpApp({
    queries: createCallQueries(db),
    health: () => ({ ari: true, ami: true, activeCalls: 0 }),
    apiToken: TOKEN,
    logger: pino({ level: 'silent' }),
    callbacks: callbackDeps(store, () => clock.now()),
    queues: { snapshot: () => dispatcher.snapshot(), now: () => clock.now() + 30_000 },
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('callbacks API (N8)', () => {
  it('POST requests a callback (201), and a second request for the number merges into it', async () => {
    const first = await call('POST', '/callbacks', { number: '13800138000', reason: 'complaint', group: 'billing' });
    expect(first.status).toBe(201);
    expect(first.body.callback).toMatchObject({ number: '13800138000', reason: 'complaint', group: 'billing', status: 'pending', promisedBy: T0 + 24 * 3_600_000 });
    const again = await call('POST', '/callbacks', { number: '13800138000', reason: 'complaint-urgent', group: 'billing' });
    expect((again.body.callback as { id: number }).id).toBe((first.body.callback as { id: number }).id);
    expect(again.body.callback).toMatchObject({ reason: 'complaint-urgent', promisedBy: T0 + 2 * 3_600_000 });
  });

  it.each([
    [{ number: '4008008000' }, 422, 'callback-number-not-allowed'],
    [{ number: '008613800138000' }, 422, 'callback-number-not-allowed'],
    [{ number: '13800138000', group: 'nope' }, 404, 'group-not-found'],
    [{ number: '13800138000', reason: 'whenever' }, 400, 'invalid-request'],
    [{ number: '13800138000', extra: 1 }, 400, 'invalid-request'],
    ['{not json', 400, 'invalid-request'],
  ])('POST %j is refused with %i %s', async (body, status, code) => {
    const res = await call('POST', '/callbacks', body);
    expect(res.status).toBe(status);
    expect(res.body.error).toBe(code);
  });

  it('PATCH reschedules within the promise; past the deadline is 422 due-after-deadline', async () => {
    const { body } = await call('POST', '/callbacks', { number: '13900139000', reason: 'unanswered-query' });
    const id = (body.callback as { id: number }).id;
    const ok = await call('PATCH', `/callbacks/${id}`, { dueAt: T0 + 10 * 60_000 });
    expect(ok.status).toBe(200);
    expect(ok.body.callback).toMatchObject({ nextAttemptAt: T0 + 10 * 60_000 });
    const late = await call('PATCH', `/callbacks/${id}`, { dueAt: T0 + 31 * 60_000 });
    expect(late).toMatchObject({ status: 422, body: { error: 'due-after-deadline', details: { promisedBy: T0 + 30 * 60_000 } } });
  });

  it('DELETE cancels an open callback once; then 404 callback-not-found', async () => {
    const { body } = await call('POST', '/callbacks', { number: '13700137000' });
    const id = (body.callback as { id: number }).id;
    const cancelled = await call('DELETE', `/callbacks/${id}`);
    expect(cancelled.body.callback).toMatchObject({ status: 'cancelled', outcome: 'operator' });
    expect((await call('DELETE', `/callbacks/${id}`)).body.error).toBe('callback-not-found');
    expect((await call('PATCH', `/callbacks/${id}`, { dueAt: T0 })).body.error).toBe('callback-not-found');
    expect((await call('DELETE', '/callbacks/abc')).body.error).toBe('invalid-request');
  });
});

describe('queues API (N5)', () => {
  it('GET /queues lists who waits in each group, in order, with the wait so far', async () => {
    const first = dispatcher.join('billing', 'call-1', T0);
    const second = dispatcher.join('billing', 'call-2', T0 + 10_000);
    const res = await call('GET', '/queues');
    expect(res.body).toEqual({
      queues: [
        {
          group: 'billing',
          waiting: [
            { callId: 'call-1', position: 1, since: T0, waitedMs: 30_000 },
            { callId: 'call-2', position: 2, since: T0 + 10_000, waitedMs: 20_000 },
          ],
        },
      ],
    });
    first.leave();
    second.leave();
  });

  it('N8: a caller in the place of its pending callback waits since the request, and names it', async () => {
    const held = dispatcher.join('billing', 'call-3', T0 - 60_000, 12);
    const res = await call('GET', '/queues');
    expect((res.body as { queues: Array<{ waiting: unknown }> }).queues[0]!.waiting).toEqual([{ callId: 'call-3', position: 1, since: T0 - 60_000, waitedMs: 90_000, callback: 12 }]);
    held.leave();
  });
});
