// Property tests of the whole HTTP app in-process (listenHttp on an ephemeral port, a raw
// node:http client): random routes under /api and /health, random methods, bodies (broken
// JSON included), headers up to past Node's 16 KB limit, right, wrong and odd tokens. Never a
// 5xx, never a 2xx under /api without the right token, every error a JSON body with a code.
// fast-check prints the seed and the shrunk request when a run fails.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, startEdgeApp, TOKEN, type Answer, type EdgeApp, type Sent } from './support/edge-app.js';

/** A token variant and whether the app must take it as the right one. */
interface Credential {
  header?: string;
  right: boolean;
}

const credential: fc.Arbitrary<Credential> = fc.oneof(
  fc.constant<Credential>({ right: false }),
  fc.constant<Credential>({ header: `Bearer ${TOKEN}`, right: true }),
  fc.constant<Credential>({ header: `bearer   ${TOKEN}  `, right: true }),
  fc.constantFrom<Credential>(
    { header: `Bearer ${TOKEN}x`, right: false },
    { header: `Bearer ${TOKEN.slice(1)}`, right: false },
    { header: `Basic ${TOKEN}`, right: false },
    { header: TOKEN, right: false },
    { header: `Bearer ${TOKEN} ${TOKEN}`, right: false },
    { header: 'Bearer', right: false },
    { header: '', right: false },
  ),
  fc.string({ maxLength: 60, unit: 'binary-ascii' })
    .map((s) => s.replace(/[^\x20-\x7e]/g, ''))
    .filter((s) => !s.includes(TOKEN))
    .map((s) => ({ header: s, right: false })),
);

const segment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('calls', 'agents', 'a1', 'a2', 'ghost', 'events', 'login', 'logout', 'pause', 'resume', 'tickets', 'callbacks', 'status') },
  { weight: 1, arbitrary: fc.constantFrom('2605010001', '2605019999', '%zz', '%2F', '%00', '..', '.', '', 'x'.repeat(300), 'health', 'api') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map(encodeURIComponent) },
);

const query = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc.array(
      fc.oneof(
        fc.constantFrom(`token=${TOKEN}`, 'token=wrong', 'token=', 'limit=5', 'limit=abc', 'limit=0', 'before=1', 'status=pending', 'limt=2'),
        fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  },
);

// The app's own routes half the time, so that requests with the right token get somewhere.
const ROUTES = [
  '/health',
  '/api/calls',
  '/api/calls/c1',
  '/api/calls/c1/events',
  '/api/agents',
  '/api/agents/a1/login',
  '/api/agents/a2/pause',
  '/api/agents/a1/resume',
  '/api/agents/a2/logout',
  '/api/agents/a1/events',
  '/api/callbacks',
  '/api/tickets/2605010001',
  '/api/tickets/2605010001/status',
];

const randomPath = fc
  .tuple(fc.constantFrom('/api', '/api', '/api', '/health', ''), fc.array(segment, { maxLength: 4 }))
  .map(([root, segments]) => `${root}${segments.length > 0 ? '/' : ''}${segments.join('/')}` || '/');

const path = fc
  .tuple(fc.oneof(fc.constantFrom(...ROUTES), randomPath), query)
  .map(([pathname, q]) => `${pathname}${q ? `?${q.join('&')}` : ''}`);

const body = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  fc.oneof(
    fc.json(),
    fc.string({ maxLength: 200 }),
    fc.constantFrom('{"status":', '{"status":"closed"}', '{"status":"done"}', '{"status":"open","by":"x"}', '[]', 'null', '{'.repeat(500)),
    fc.integer({ min: 5_000, max: 20_000 }).map((n) => JSON.stringify({ status: 'x'.repeat(n) })),
  ),
);

const request = fc.record({
  method: fc.constantFrom('GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'PUT', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND'),
  path,
  credential,
  body,
  contentType: fc.option(
    fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded', 'application/json; charset=nope'),
    { nil: undefined },
  ),
  // Mostly small; now and then past Node's 16 KB header limit (431).
  padding: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 8_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 17_000, max: 24_000 }) }),
});

type Request = typeof request extends fc.Arbitrary<infer T> ? T : never;

function toSent(r: Request): Sent {
  const headers: Record<string, string> = {};
  if (r.credential.header !== undefined) headers.Authorization = r.credential.header;
  if (r.contentType !== undefined) headers['Content-Type'] = r.contentType;
  if (r.padding > 0) headers['X-Padding'] = 'p'.repeat(r.padding);
  return { method: r.method, path: r.path, headers, ...(r.body === undefined ? {} : { body: r.body }) };
}

/** The one exception to the header: the agent's event stream takes ?token= when no header is sent. */
function rightToken(r: Request): boolean {
  if (r.credential.header !== undefined) return r.credential.right;
  const [pathname = '', q = ''] = r.path.split('?');
  const tokens = new URLSearchParams(q).getAll('token');
  return /^\/api\/agents\/[^/]+\/events\/?$/i.test(pathname) && tokens.length === 1 && tokens[0] === TOKEN;
}

function check(r: Request, a: Answer): void {
  const where = `${r.method} ${r.path.slice(0, 120)} → ${a.status} ${a.text.slice(0, 200)}`;
  expect(a.status, where).toBeGreaterThanOrEqual(200);
  expect(a.status, where).toBeLessThan(500);
  // Express routes ignore case and a trailing slash.
  const health = /^\/health\/?$/i.test(r.path.split('?')[0] ?? '');
  if (a.status < 300 && !health) expect(rightToken(r), `2xx without the right token: ${where}`).toBe(true);
  if (a.status >= 400 && r.method !== 'HEAD') {
    expect(a.headers['content-type'], where).toMatch(/^application\/json/);
    expect(typeof a.json?.error, where).toBe('string');
  }
}

describe('HTTP fuzz', () => {
  let roomy: EdgeApp;
  let strict: EdgeApp;

  beforeAll(async () => {
    // Limits out of the way, so that requests with the right token reach every route…
    roomy = await startEdgeApp({ authFailures: { limit: 1_000_000 }, requests: { limit: 1_000_000 }, health: { limit: 1_000_000 }, streamsPerAgent: 1_000 });
    // …and the defaults, where wrong tokens soon lock the client out.
    strict = await startEdgeApp();
  });

  afterAll(async () => {
    await roomy.close();
    await strict.close();
  });

  it('never a 5xx, never a 2xx without the right token, errors in JSON (limits out of the way)', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => check(r, await send(roomy, toSent(r)))),
      { numRuns: 1_500 },
    );
  }, 20_000);

  it('the same with the default limits (rate-limited answers included)', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => check(r, await send(strict, toSent(r)))),
      { numRuns: 500 },
    );
  }, 20_000);
});
