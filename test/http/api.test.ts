// The HTTP API in-process: a real express app on an ephemeral port, a real SQLite file behind
// it, global fetch as the client.
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { createHttpApp } from '../../src/http/app.js';
import { createLogger } from '../../src/log/logger.js';
import { createCallQueries, type CallQueries } from '../../src/store/call-queries.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { createSqliteRecorder } from '../../src/store/sqlite-recorder.js';
import type { AdmissionStatus } from '../../src/overload/admission.js';

const TOKEN = 'test-token-0123456789';
const auth = { Authorization: `Bearer ${TOKEN}` };

let dir: string;
let db: Database;
let server: Server;
let base: string;
let ari = true;
let healthReasons: Array<{ code: string; detail: string }> = [];
let failQueries = false;
/** Issue 12: the admission's figures, when the test gives them. */
let load: AdmissionStatus | undefined;
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-test-'));
  db = openDatabase(path.join(dir, 'calls.db'));
  const logger = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const recorder = createSqliteRecorder(db, { logger, clock: new VirtualClock() });
  for (const [i, id] of ['a', 'b', 'c'].entries()) {
    recorder.callStarted({ id, channelId: `chan-${id}`, caller: '13800138000', called: '4008001234', startedAt: 1_000 * (i + 1) });
  }
  recorder.event('b', 'menu.choice', { step: 'main', digit: '2', target: 'complaints', typeAhead: true }, 2_500);
  recorder.callEnded('b', { endedAt: 3_000, hangupBy: 'caller', hangupCause: 16, outcome: 'completed', maxGapMs: 5_040, maxDeadAirMs: 120 });
  recorder.close();

  const real = createCallQueries(db);
  const queries: CallQueries = {
    ...real,
    listCalls: (options) => {
      if (failQueries) throw new Error('disk on fire');
      return real.listCalls(options);
    },
  };
  const app = createHttpApp({
    queries,
    health: () => ({ ari, ami: true, activeCalls: 2, reasons: healthReasons, ...(load ? { load } : {}) }),
    apiToken: TOKEN,
    logger,
    // More wrong tokens than the default limit allows (limits.test.ts covers it).
    limits: { authFailures: { limit: 1_000 } },
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function get(pathname: string, headers: Record<string, string> = auth) {
  const res = await fetch(base + pathname, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('GET /health', () => {
  it('answers without a token', async () => {
    ari = true;
    const res = await get('/health', {});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', ari: true, ami: true, activeCalls: 2, reasons: [] });
  });

  /** The load figures of a controller that sheds nobody. */
  const calm: AdmissionStatus = {
    liveCalls: 12,
    maxCalls: 200,
    loopDelayMs: { p99: 3.2, max: 9.8 },
    maxLoopDelayMs: 200,
    ariLatencyMs: { p99: 8, max: 31, oldestPending: 2 },
    maxAriLatencyMs: 500,
    shedding: null,
    shed: { capacity: 4, 'event-loop': 0, 'ari-latency': 0 },
    shedCallbacks: 0,
  };

  it('issue 12: degraded (still 200) with the reason while callers are shed, with the load figures', async () => {
    load = calm;
    expect((await get('/health', {})).body).toEqual({ status: 'ok', ari: true, ami: true, activeCalls: 2, reasons: [], shedding: null, load: calm });
    load = { ...calm, liveCalls: 200, shedding: { reason: 'capacity', lastShedAt: 1_773_000_000_000 }, shed: { capacity: 5, 'event-loop': 0, 'ari-latency': 0 } };
    const res = await get('/health', {});
    load = undefined;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'degraded',
      shedding: 'capacity',
      reasons: [{ code: 'shedding-capacity' }],
      load: { liveCalls: 200, shed: { capacity: 5 } },
    });
  });

  it('issue 12: degraded (still 200) with shedding-ari-latency while callers are shed for a late Asterisk, with its p99, max and oldest pending request', async () => {
    load = {
      ...calm,
      liveCalls: 40,
      ariLatencyMs: { p99: 180, max: 240, oldestPending: 1250 },
      shedding: { reason: 'ari-latency', lastShedAt: 1_773_000_000_000 },
      shed: { capacity: 0, 'event-loop': 0, 'ari-latency': 7 },
    };
    const res = await get('/health', {});
    load = undefined;
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'degraded',
      ari: true,
      ami: true,
      activeCalls: 2,
      reasons: [{ code: 'shedding-ari-latency', detail: 'new callers are shed (ari-latency)' }],
      shedding: 'ari-latency',
      load: expect.objectContaining({ ariLatencyMs: { p99: 180, max: 240, oldestPending: 1250 }, maxAriLatencyMs: 500, shed: { capacity: 0, 'event-loop': 0, 'ari-latency': 7 } }) as unknown,
    });
  });

  it('is 503 degraded when ARI is down, with the reason', async () => {
    ari = false;
    healthReasons = [{ code: 'asterisk-shutting-down', detail: 'Asterisk is shutting down or restarting: calls in progress end' }];
    const res = await get('/health', {});
    ari = true;
    healthReasons = [];
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'degraded', ari: false, reasons: [{ code: 'asterisk-shutting-down' }] });
  });

  it('issue 12: is 200 degraded, with the reason, while ARI requests are stuck (ARI up: calls still flow)', async () => {
    healthReasons = [{ code: 'ari-requests-stuck', detail: '3 ARI request(s) got no answer within 5000 ms' }];
    const res = await get('/health', {});
    healthReasons = [];
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'degraded', ari: true, reasons: [{ code: 'ari-requests-stuck' }] });
  });
});

describe('authentication', () => {
  it('401 without a token', async () => {
    const res = await get('/api/calls', {});
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'unauthorized' });
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  it.each([`Bearer ${TOKEN}x`, 'Bearer wrong', `Basic ${TOKEN}`, TOKEN])('401 with %j', async (header) => {
    const res = await get('/api/calls', { Authorization: header });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthorized');
  });

  it('never logs the token', () => {
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });
});

describe('GET /api/calls', () => {
  it('lists calls newest first, numbers unmasked', async () => {
    const res = await get('/api/calls');
    expect(res.status).toBe(200);
    const calls = res.body.calls as { id: string; caller: string }[];
    expect(calls.map((c) => c.id)).toEqual(['c', 'b', 'a']);
    expect(calls[0]?.caller).toBe('13800138000');
  });

  it('pages with limit and before', async () => {
    const res = await get('/api/calls?limit=1&before=3000');
    expect((res.body.calls as { id: string }[]).map((c) => c.id)).toEqual(['b']);
  });

  it.each(['limit=abc', 'limit=0', 'limit=501', 'limit=1e2', 'before=-5', 'limt=5', 'limit=1&limit=2'])(
    '400 invalid-request on %s',
    async (query) => {
      const res = await get(`/api/calls?${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid-request', message: expect.any(String) as string });
      expect(Array.isArray(res.body.details)).toBe(true);
    },
  );

  it('500 internal on an unexpected error, logged', async () => {
    failQueries = true;
    const res = await get('/api/calls');
    failQueries = false;
    expect(res.status).toBe(500);
    expect(res.body.error).toBe('internal');
    expect(JSON.stringify(res.body)).not.toContain('disk on fire');
    expect(lines.some((l) => l.level === 50 && JSON.stringify(l).includes('disk on fire'))).toBe(true);
  });
});

describe('GET /api/calls/:id and /events', () => {
  it('returns the call', async () => {
    const res = await get('/api/calls/b');
    expect(res.status).toBe(200);
    expect(res.body.call).toMatchObject({ id: 'b', outcome: 'completed', hangupBy: 'caller', called: '4008001234' });
  });

  it('returns the events with their rule and parsed data', async () => {
    const res = await get('/api/calls/b/events');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      callId: 'b',
      events: [{ callId: 'b', ts: 2_500, type: 'menu.choice', rule: 'N4', data: { digit: '2', target: 'complaints' } }],
    });
  });

  it.each(['/api/calls/nope', '/api/calls/nope/events'])('404 call-not-found on %s', async (pathname) => {
    const res = await get(pathname);
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'call-not-found', message: expect.stringContaining('nope') as string });
  });

  it('checks the token before revealing whether a call exists', async () => {
    expect((await get('/api/calls/nope', {})).status).toBe(401);
  });
});

it('404 not-found on an unknown route', async () => {
  const res = await get('/nowhere', {});
  expect(res.status).toBe(404);
  expect(res.body.error).toBe('not-found');
});
