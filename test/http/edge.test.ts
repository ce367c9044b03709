// The HTTP edge: rate limits, security headers, OPTIONS behind the token, the cap on an agent's
// event streams, and JSON answers to requests Node's parser refuses.
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { clientErrorResponse } from '../../src/http/client-error.js';
import { DEFAULT_HTTP_LIMITS, resolveLimits } from '../../src/http/limits.js';
import { bearer, send, startEdgeApp, TOKEN, type EdgeApp } from './support/edge-app.js';

const apps: EdgeApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function start(limits?: Parameters<typeof startEdgeApp>[0]): Promise<EdgeApp> {
  const app = await startEdgeApp(limits);
  apps.push(app);
  return app;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('limits', () => {
  it('has its defaults in one place and refuses nonsense', () => {
    expect(resolveLimits()).toEqual(DEFAULT_HTTP_LIMITS);
    expect(resolveLimits({ authFailures: { limit: 3 } }).authFailures).toEqual({ limit: 3, windowMs: DEFAULT_HTTP_LIMITS.authFailures.windowMs });
    expect(() => resolveLimits({ streamsPerAgent: 0 })).toThrow(/streamsPerAgent/);
    expect(() => resolveLimits({ requests: { limit: 1.5 } })).toThrow(/requests\.limit/);
    expect(() => resolveLimits({ health: { windowMs: -1 } })).toThrow(/health\.windowMs/);
  });
});

describe('failed authentication', () => {
  it('a burst of 300 wrong tokens: 401 up to the limit, then 429 rate-limited with Retry-After', async () => {
    const app = await start();
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => send(app, { path: '/api/calls', headers: bearer(`wrong-${i}`) })),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(DEFAULT_HTTP_LIMITS.authFailures.limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(300 - DEFAULT_HTTP_LIMITS.authFailures.limit);
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(a.json).toMatchObject({ error: 'rate-limited', message: expect.any(String) as string });
      const retryAfter = Number(a.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(a.json?.details).toEqual({ retryAfterSeconds: retryAfter });
    }
  });

  it('locks the address out, right token included, and only that address', async () => {
    const app = await start({ authFailures: { limit: 3 } });
    for (let i = 0; i < 3; i++) expect((await send(app, { path: '/api/calls', headers: bearer('wrong') })).status).toBe(401);
    // A right token from the same address would tell a guess was right: refused too.
    const locked = await send(app, { path: '/api/calls', headers: bearer() });
    expect(locked.status).toBe(429);
    expect(locked.json?.error).toBe('rate-limited');
    // The event stream's ?token= and OPTIONS are behind the same gate.
    expect((await send(app, { path: `/api/agents/a1/events?token=${TOKEN}` })).status).toBe(429);
    expect((await send(app, { method: 'OPTIONS', path: '/api/calls', headers: bearer() })).status).toBe(429);
    // Another client is not affected, and /health stays open.
    expect((await send(app, { path: '/api/calls', headers: bearer(), from: '127.0.0.2' })).status).toBe(200);
    expect((await send(app, { path: '/health' })).status).toBe(200);
  });

  it('counts only failures: a screen with the right token never uses the budget up', async () => {
    const app = await start({ authFailures: { limit: 2 } });
    for (let i = 0; i < 30; i++) expect((await send(app, { path: '/api/calls', headers: bearer() })).status).toBe(200);
    // Not-found and invalid requests are not authentication failures.
    for (let i = 0; i < 5; i++) expect((await send(app, { path: '/api/calls/nope', headers: bearer() })).status).toBe(404);
    expect((await send(app, { path: '/api/calls', headers: bearer('wrong') })).status).toBe(401);
    expect((await send(app, { path: '/api/calls', headers: bearer() })).status).toBe(200);
  });

  it('lets the address back in when the window ends', async () => {
    const app = await start({ authFailures: { limit: 1, windowMs: 1_000 } });
    expect((await send(app, { path: '/api/calls' })).status).toBe(401);
    expect((await send(app, { path: '/api/calls', headers: bearer() })).status).toBe(429);
    await sleep(1_100);
    expect((await send(app, { path: '/api/calls', headers: bearer() })).status).toBe(200);
  });
});

describe('request limits', () => {
  it('429 rate-limited past the general limit, with RateLimit headers before it', async () => {
    const app = await start({ requests: { limit: 5 } });
    for (let i = 0; i < 5; i++) {
      const ok = await send(app, { path: '/api/calls', headers: bearer() });
      expect(ok.status).toBe(200);
      expect(ok.headers['ratelimit']).toMatch(/r=\d+/);
    }
    const limited = await send(app, { path: '/api/calls', headers: bearer() });
    expect(limited.status).toBe(429);
    expect(limited.json?.error).toBe('rate-limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // /health has its own budget.
    expect((await send(app, { path: '/health' })).status).toBe(200);
  });

  it('/health needs no token and is limited too', async () => {
    const app = await start({ health: { limit: 3 } });
    for (let i = 0; i < 3; i++) expect((await send(app, { path: '/health' })).status).toBe(200);
    const limited = await send(app, { path: '/health' });
    expect(limited.status).toBe(429);
    expect(limited.json?.error).toBe('rate-limited');
    expect(limited.headers['retry-after']).toBeDefined();
    // …without touching the API's budget.
    expect((await send(app, { path: '/api/calls', headers: bearer() })).status).toBe(200);
  });
});

describe('security headers', () => {
  it.each([
    ['/health', {}, 200],
    ['/api/calls', bearer(), 200],
    ['/api/calls', {}, 401],
    ['/api/calls/nope', bearer(), 404],
    ['/nowhere', {}, 404],
  ] as const)('%s (%j) → %i with nosniff, no-store, CSP, no framing, no referrer', async (path, headers, status) => {
    const app = await start();
    const a = await send(app, { path, headers });
    expect(a.status).toBe(status);
    expect(a.headers['content-type']).toMatch(/^application\/json/);
    expect(a.headers['x-content-type-options']).toBe('nosniff');
    expect(a.headers['cache-control']).toBe('no-store');
    const csp = a.headers['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(a.headers['x-frame-options']).toBe('DENY');
    expect(a.headers['referrer-policy']).toBe('no-referrer');
    expect(a.headers['x-powered-by']).toBeUndefined();
  });
});

describe('OPTIONS under /api', () => {
  const paths = ['/api/agents/a1/events', '/api/agents/a1/login', '/api/agents', '/api/calls', '/api/calls/x/events', '/api/tickets/2605010001/status', '/api/nowhere'];

  it.each(paths)('%s: 401 unauthorized without the token, like every other method', async (path) => {
    const app = await start();
    const a = await send(app, { method: 'OPTIONS', path });
    expect(a.status).toBe(401);
    expect(a.json).toMatchObject({ error: 'unauthorized' });
    expect(a.headers['www-authenticate']).toBe('Bearer');
  });

  it('with the token: the allowed methods', async () => {
    const app = await start();
    const a = await send(app, { method: 'OPTIONS', path: '/api/agents/a1/events', headers: bearer() });
    expect(a.status).toBe(200);
    expect(a.headers.allow).toContain('GET');
  });

  it('?token= does not open OPTIONS (it is for the stream only)', async () => {
    const app = await start();
    expect((await send(app, { method: 'OPTIONS', path: `/api/agents/a1/events?token=${TOKEN}` })).status).toBe(401);
  });
});

describe('agent event streams', () => {
  interface Stream {
    res: IncomingMessage;
    req: ClientRequest;
    text: () => string;
  }

  function open(app: EdgeApp, agent: string): Promise<Stream> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: app.port, path: `/api/agents/${agent}/events`, headers: bearer(), agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', () => undefined);
        resolve({ res, req, text: () => text });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ECONNRESET') reject(err);
      });
    });
  }

  async function until(check: () => boolean, timeoutMs = 2_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await sleep(10);
    }
  }

  async function withWarnings<T>(body: () => Promise<T>): Promise<{ result: T; warnings: Error[] }> {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const result = await body();
      // Warnings are emitted on the next tick.
      await sleep(50);
      return { result, warnings };
    } finally {
      process.off('warning', onWarning);
    }
  }

  it('20 streams for one agent: 5 open, the rest 429 too-many-streams, no MaxListeners warning', async () => {
    const app = await start();
    const { result: streams, warnings } = await withWarnings(() => Promise.all(Array.from({ length: 20 }, () => open(app, 'a1'))));
    try {
      const ok = streams.filter((s) => s.res.statusCode === 200);
      const refused = streams.filter((s) => s.res.statusCode === 429);
      expect(ok).toHaveLength(DEFAULT_HTTP_LIMITS.streamsPerAgent);
      expect(refused).toHaveLength(20 - DEFAULT_HTTP_LIMITS.streamsPerAgent);
      await until(() => refused.every((s) => s.res.complete));
      for (const s of refused) expect(JSON.parse(s.text())).toMatchObject({ error: 'too-many-streams', details: { max: 5 } });
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      // The cap is per agent.
      const other = await open(app, 'a2');
      expect(other.res.statusCode).toBe(200);
      other.req.destroy();
      // One subscription to the notifier, however many streams.
      expect(app.notifier.listenerCount('a1')).toBe(1);
      // A closed stream gives its slot back (once the server has seen it close).
      ok[0]!.req.destroy();
      let next: Stream | undefined;
      for (let i = 0; i < 50 && next?.res.statusCode !== 200; i++) {
        next?.req.destroy();
        next = await open(app, 'a1');
        if (next.res.statusCode !== 200) await sleep(20);
      }
      expect(next?.res.statusCode).toBe(200);
      next?.req.destroy();
    } finally {
      for (const s of streams) s.req.destroy();
    }
  });

  it('a raised cap: 20 streams share one subscription, all get the events, no warning', async () => {
    const app = await start({ streamsPerAgent: 25 });
    const { result: streams, warnings } = await withWarnings(async () => {
      const opened = await Promise.all(Array.from({ length: 20 }, () => open(app, 'a1')));
      await until(() => opened.every((s) => s.text().includes(': connected')));
      app.notifier.ended('a1', 'c7');
      await until(() => opened.every((s) => s.text().includes('event: ended\ndata: {"callId":"c7"}')));
      return opened;
    });
    try {
      expect(streams.every((s) => s.res.statusCode === 200)).toBe(true);
      expect(app.notifier.listenerCount('a1')).toBe(1);
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      for (const s of streams) s.req.destroy();
    }
    await until(() => app.notifier.listenerCount('a1') === 0);
  });
});

describe("requests Node's parser refuses", () => {
  /** Raw bytes in, raw answer out (the server closes the connection after its answer). */
  function raw(app: EdgeApp, bytes: string): Promise<{ status: number; headers: string; body: string }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(app.port, '127.0.0.1');
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (text += chunk));
      socket.on('error', reject);
      socket.on('end', () => {
        const [head = '', body = ''] = text.split('\r\n\r\n');
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head, body });
      });
      socket.write(bytes);
    });
  }

  it('431 request-header-too-large as JSON', async () => {
    const app = await start();
    const a = await raw(app, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(a.status).toBe(431);
    expect(a.headers).toMatch(/Content-Type: application\/json/i);
    expect(a.headers).toMatch(/Cache-Control: no-store/i);
    expect(JSON.parse(a.body)).toEqual({ error: 'request-header-too-large', message: expect.any(String) as string });
  });

  it.each([
    ['garbage', 'HELLO\r\n\r\n'],
    ['a bad Content-Length', 'POST /api/calls HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
    ['Content-Length and Transfer-Encoding', 'POST /api/calls HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc'],
    ['a bad chunk', 'POST /api/calls HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a space in the header name', 'GET /health HTTP/1.1\r\nHo st: x\r\n\r\n'],
  ])('400 bad-request as JSON for %s', async (_name, bytes) => {
    const app = await start();
    const a = await raw(app, bytes);
    expect(a.status).toBe(400);
    expect(JSON.parse(a.body)).toEqual({ error: 'bad-request', message: 'malformed HTTP request' });
  });

  it('408 request-timeout for a request that takes too long', () => {
    const text = clientErrorResponse(Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }));
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(JSON.parse(text.split('\r\n\r\n')[1]!)).toMatchObject({ error: 'request-timeout' });
  });
});
