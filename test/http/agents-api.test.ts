// Agents, callbacks and tickets over HTTP, in-process: a real express app on an ephemeral port,
// in-memory SQLite, global fetch as the client (and as the agent screen's event stream).
import type { Server } from 'node:http';
import { callbackDeps } from './support/callback-deps.js';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AgentsConfig } from '../../src/agents/agent-config.js';
import { AgentNotifier } from '../../src/agents/agent-notifier.js';
import type { CallOffer } from '../../src/agents/call-offer.js';
import { AgentPool, type AgentClaim } from '../../src/agents/agent-pool.js';
import { createAgentStateStore } from '../../src/agents/agent-state-store.js';
import { createCallbackStore } from '../../src/callbacks/callback-store.js';
import { systemClock } from '../../src/clock/clock.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { createHttpApp } from '../../src/http/app.js';
import { createLogger } from '../../src/log/logger.js';
import { createCallQueries } from '../../src/store/call-queries.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { createTicketStore } from '../../src/tickets/ticket-store.js';

const TOKEN = 'test-token-0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };
const CONFIG = AgentsConfig.parse({
  agents: {
    a1: { endpoint: 'PJSIP/1001', workNumber: '1001', name: 'Li' },
    a2: { endpoint: 'PJSIP/1002', workNumber: '1002', name: 'Wang' },
  },
  groups: { repair: { name: '维修', members: ['a1', 'a2'] } },
});
const INFO: CallOffer = {
  callId: 'c1',
  caller: '13800138000',
  menuPath: ['2', '1'],
  calledEarlierToday: true,
  ticket: '2605010001',
  group: 'repair',
};

let db: Database;
let pool: AgentPool;
// Real time: the heartbeat test waits for real stream bytes.
const service = new AbortController();
/** Calls the tests put agents on; released before each test. */
const claims: AgentClaim[] = [];
let notifier: AgentNotifier;
const servers: Server[] = [];
const lines: Record<string, unknown>[] = [];
let base: string;
let bare: string;
/** The same agents API on a VirtualClock, for the heartbeat's timer. */
let virtualBase: string;
const virtualClock = new VirtualClock();
let ticketNumber: string;

async function listen(app: ReturnType<typeof createHttpApp>): Promise<string> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  db = openDatabase(':memory:');
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  pool = new AgentPool(CONFIG, createAgentStateStore(db), systemClock, service.signal);
  notifier = new AgentNotifier();
  const callbacks = createCallbackStore(db);
  callbacks.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: 0 });
  callbacks.add({ callId: 'c2', number: '13900139000', reason: 'dropped', now: 0 });
  const tickets = createTicketStore(db, () => Date.UTC(2026, 4, 1, 3, 0));
  ticketNumber = tickets.create({ callId: 'c1', caller: '13800138000', group: 'repair' }).number;

  // These tests send more wrong tokens than the default limit allows (limits.test.ts covers it).
  const limits = { authFailures: { limit: 1_000 } };
  const common = { queries: createCallQueries(db), health: () => ({ ari: true, ami: true, activeCalls: 0 }), apiToken: TOKEN, logger, limits };
  base = await listen(createHttpApp({ ...common, agents: { pool, notifier, clock: systemClock, heartbeatMs: 100 }, callbacks: callbackDeps(callbacks), tickets }));
  bare = await listen(createHttpApp(common));
  virtualBase = await listen(
    createHttpApp({ ...common, agents: { pool, notifier, clock: virtualClock, heartbeatMs: 15_000 } }),
  );
});

afterAll(async () => {
  service.abort();
  for (const server of servers) {
    // Event streams a failed test left open would keep close() waiting.
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  }
  db.close();
});

beforeEach(() => {
  for (const claim of claims.splice(0)) claim.release({ answered: false });
  for (const id of ['a1', 'a2']) pool.logout(id);
});

async function call(method: string, pathname: string, headers: Record<string, string> = auth, at = base) {
  const res = await fetch(at + pathname, { method, headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** Opens an event stream; `until` reads until the text so far matches. */
async function stream(pathname: string, headers: Record<string, string> = auth, at = base) {
  const controller = new AbortController();
  const res = await fetch(at + pathname, { headers, signal: controller.signal });
  let text = '';
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  return {
    res,
    async until(pattern: RegExp, timeoutMs = 2_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (!reader || Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; got ${JSON.stringify(text)}`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${String(pattern)}; got ${JSON.stringify(text)}`);
        text += decoder.decode(value, { stream: true });
      }
      return text;
    },
    close: () => controller.abort(),
  };
}

async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('GET /api/agents', () => {
  it('401 without a token', async () => {
    const res = await call('GET', '/api/agents', {});
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthorized');
  });

  it('lists agents with their groups and state', async () => {
    pool.login('a2');
    const res = await call('GET', '/api/agents');
    expect(res.status).toBe(200);
    expect(res.body.agents).toEqual([
      expect.objectContaining({ id: 'a1', workNumber: '1001', name: 'Li', endpoint: 'PJSIP/1001', groups: ['repair'], state: 'logged-out' }),
      expect.objectContaining({ id: 'a2', state: 'available', since: expect.any(Number) as number }),
    ]);
  });

  it('404 not-found when the app has no agent pool', async () => {
    const res = await call('GET', '/api/agents', auth, bare);
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not-found');
  });
});

describe('POST /api/agents/:id/{login,logout,pause,resume}', () => {
  it('walks an agent through its states', async () => {
    expect((await call('POST', '/api/agents/a1/login')).body.agent).toMatchObject({ id: 'a1', state: 'available' });
    expect((await call('POST', '/api/agents/a1/pause')).body.agent).toMatchObject({ state: 'paused' });
    expect((await call('POST', '/api/agents/a1/resume')).body.agent).toMatchObject({ state: 'available' });
    const res = await call('POST', '/api/agents/a1/logout');
    expect(res.status).toBe(200);
    expect(res.body.agent).toMatchObject({ state: 'logged-out' });
    expect(pool.status('a1').state).toBe('logged-out');
  });

  it('404 agent-not-found for an unknown agent', async () => {
    const res = await call('POST', '/api/agents/ghost/login');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'agent-not-found', message: expect.stringContaining('ghost') as string });
  });

  it('409 agent-busy on logout during a call', async () => {
    pool.login('a1');
    const claim = pool.claim('a1', 'c1');
    expect(claim).not.toBeNull();
    claims.push(claim!);
    const res = await call('POST', '/api/agents/a1/logout');
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('agent-busy');
    expect(pool.status('a1').state).toBe('busy');
  });

  it('409 agent-logged-out on pause before login', async () => {
    const res = await call('POST', '/api/agents/a1/pause');
    expect(res.status).toBe(409);
    expect(res.body.error).toBe('agent-logged-out');
  });

  it('401 before revealing whether an agent exists', async () => {
    expect((await call('POST', '/api/agents/ghost/login', {})).status).toBe(401);
  });

  it('404 not-found for an unknown action', async () => {
    expect((await call('POST', '/api/agents/a1/dance')).body.error).toBe('not-found');
  });
});

describe('GET /api/agents/:id/events', () => {
  it('streams offer, connected and ended as server-sent events', async () => {
    const s = await stream('/api/agents/a1/events');
    try {
      expect(s.res.status).toBe(200);
      expect(s.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(s.res.headers.get('cache-control')).toContain('no-cache');
      await s.until(/: connected\n\n/);
      notifier.offer('a2', { ...INFO, callId: 'not-for-a1' });
      notifier.offer('a1', INFO);
      notifier.connected('a1', 'c1');
      notifier.ended('a1', 'c1');
      const text = await s.until(/event: ended\n/);
      expect(text).not.toContain('not-for-a1');
      expect(text).toContain(`event: offer\ndata: ${JSON.stringify(INFO)}\n\n`);
      expect(text).toContain('event: connected\ndata: {"callId":"c1"}\n\n');
      expect(text).toContain('event: ended\ndata: {"callId":"c1"}\n\n');
    } finally {
      s.close();
    }
  });

  it('replays the current call to a screen that connects mid-call', async () => {
    notifier.offer('a2', { ...INFO, callId: 'c9' });
    notifier.connected('a2', 'c9');
    const s = await stream('/api/agents/a2/events');
    try {
      const text = await s.until(/event: connected\n/);
      expect(text).toMatch(/event: offer\ndata: \{"callId":"c9"[^\n]*\n\nevent: connected\ndata: \{"callId":"c9"\}/);
    } finally {
      s.close();
      notifier.ended('a2', 'c9');
    }
  });

  it('N8: streams a callback as `callback` with the same facts, and replays it to a screen that reconnects', async () => {
    const callback = { ...INFO, callId: 'c7', menuPath: [], callback: { id: 4, reason: 'revisit' as const, attempt: 1 } };
    const s = await stream('/api/agents/a1/events');
    try {
      await s.until(/: connected\n\n/);
      notifier.offer('a1', callback);
      const text = await s.until(/event: callback\n/);
      expect(text).toContain(`event: callback\ndata: ${JSON.stringify(callback)}\n\n`);
    } finally {
      s.close();
    }
    const again = await stream('/api/agents/a1/events');
    try {
      expect(await again.until(/event: callback\n[^\n]*\n\n/)).toContain('"reason":"revisit"');
    } finally {
      again.close();
      notifier.ended('a1', 'c7');
    }
  });

  it('sends heartbeat comments', async () => {
    const s = await stream('/api/agents/a1/events');
    try {
      await s.until(/: heartbeat\n\n/);
    } finally {
      s.close();
    }
  });

  it('beats on the injected clock, one timer per stream, cancelled when the screen goes away', async () => {
    const s = await stream('/api/agents/a2/events', auth, virtualBase);
    try {
      await s.until(/: connected\n\n/);
      expect(virtualClock.pending).toBe(1);
      await virtualClock.advance(15_000);
      await s.until(/: heartbeat\n\n/);
      expect(virtualClock.pending).toBe(1);
    } finally {
      s.close();
    }
    await eventually(() => virtualClock.pending === 0);
  });

  it('unsubscribes when the screen goes away', async () => {
    // streams of earlier tests close asynchronously
    await eventually(() => notifier.listenerCount('a1') === 0);
    const s = await stream('/api/agents/a1/events');
    await s.until(/: connected/);
    expect(notifier.listenerCount('a1')).toBe(1);
    s.close();
    await eventually(() => notifier.listenerCount('a1') === 0);
    // publishing after the close must not write to a closed response
    expect(() => notifier.offer('a1', INFO)).not.toThrow();
    notifier.ended('a1', 'c1');
  });

  it('accepts ?token= (EventSource cannot send headers)', async () => {
    const s = await stream(`/api/agents/a1/events?token=${TOKEN}`, {});
    try {
      expect(s.res.status).toBe(200);
      await s.until(/: connected/);
    } finally {
      s.close();
    }
  });

  it.each([`?token=${TOKEN}x`, '?token=', `?token=${TOKEN}&token=${TOKEN}`, ''])('401 with %j and no header', async (query) => {
    const res = await call('GET', `/api/agents/a1/events${query}`, {});
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthorized');
  });

  it('401 with a wrong header even when the query token is right', async () => {
    const res = await call('GET', `/api/agents/a1/events?token=${TOKEN}`, { Authorization: 'Bearer wrong' });
    expect(res.status).toBe(401);
  });

  it('?token= works on the stream only', async () => {
    expect((await call('GET', `/api/agents?token=${TOKEN}`, {})).status).toBe(401);
    expect((await call('POST', `/api/agents/a1/login?token=${TOKEN}`, {})).status).toBe(401);
  });

  it('404 agent-not-found for an unknown agent, after the token check', async () => {
    expect((await call('GET', '/api/agents/ghost/events')).body.error).toBe('agent-not-found');
    expect((await call('GET', '/api/agents/ghost/events', {})).status).toBe(401);
  });

  it('never logs the token', () => {
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });
});

describe('GET /api/callbacks', () => {
  it('lists callbacks, most urgent first', async () => {
    const res = await call('GET', '/api/callbacks');
    expect(res.status).toBe(200);
    expect(res.body.callbacks).toEqual([
      expect.objectContaining({ callId: 'c2', number: '13900139000', reason: 'dropped', status: 'pending', promisedBy: 180_000 }),
      expect.objectContaining({ callId: 'c1', reason: 'complaint', promisedBy: 86_400_000 }),
    ]);
  });

  it('filters by status and limits', async () => {
    expect((await call('GET', '/api/callbacks?status=done')).body.callbacks).toEqual([]);
    expect((await call('GET', '/api/callbacks?status=pending&limit=1')).body.callbacks).toHaveLength(1);
  });

  it.each(['limit=0', 'limit=501', 'limit=x', 'status=DROP%20TABLE', 'statis=pending'])('400 invalid-request on %s', async (query) => {
    const res = await call('GET', `/api/callbacks?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid-request');
  });

  it('401 without a token; 404 when the app has no callback store', async () => {
    expect((await call('GET', '/api/callbacks', {})).status).toBe(401);
    expect((await call('GET', '/api/callbacks', auth, bare)).status).toBe(404);
  });
});

describe('GET /api/tickets/:number', () => {
  it('returns the ticket', async () => {
    const res = await call('GET', `/api/tickets/${ticketNumber}`);
    expect(res.status).toBe(200);
    expect(res.body.ticket).toEqual(
      expect.objectContaining({ number: '2605010001', callId: 'c1', caller: '13800138000', group: 'repair', status: 'open' }),
    );
  });

  it('404 ticket-not-found; 400 invalid-request for a malformed number', async () => {
    expect((await call('GET', '/api/tickets/2605019999')).body.error).toBe('ticket-not-found');
    const bad = await call('GET', '/api/tickets/12ab');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid-request');
  });

  it('401 without a token', async () => {
    expect((await call('GET', `/api/tickets/${ticketNumber}`, {})).status).toBe(401);
  });
});

describe('PUT /api/tickets/:number/status', () => {
  const put = async (number: string, body: string, headers: Record<string, string> = auth) => {
    const res = await fetch(`${base}/api/tickets/${number}/status`, {
      method: 'PUT',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('N13: moves the ticket on; a caller keying the number hears the new status', async () => {
    const res = await put(ticketNumber, JSON.stringify({ status: 'in-progress' }));
    expect(res.status).toBe(200);
    expect(res.body.ticket).toEqual(expect.objectContaining({ number: ticketNumber, status: 'in-progress' }));
    const after = (await call('GET', `/api/tickets/${ticketNumber}`)).body;
    expect((after.ticket as { status: string }).status).toBe('in-progress');
    // N14: the change is kept beside the original status, with its time.
    expect((after.history as { status: string }[]).map((h) => h.status)).toEqual(['open', 'in-progress']);
  });

  it('400 invalid-request for an unknown status, an extra field or broken JSON; the ticket is unchanged', async () => {
    const before = (await call('GET', `/api/tickets/${ticketNumber}`)).body.ticket;
    for (const body of [JSON.stringify({ status: 'done' }), JSON.stringify({ status: 'open', by: 'x' }), '{"status":']) {
      const res = await put(ticketNumber, body);
      expect(res.status, body).toBe(400);
      expect(res.body.error, body).toBe('invalid-request');
    }
    expect((await call('GET', `/api/tickets/${ticketNumber}`)).body.ticket).toEqual(before);
  });

  it('404 ticket-not-found; 401 without a token', async () => {
    expect((await put('2605019999', JSON.stringify({ status: 'closed' }))).body.error).toBe('ticket-not-found');
    expect((await put(ticketNumber, JSON.stringify({ status: 'closed' }), {})).status).toBe(401);
  });
});
