// Issue 12: ARI latency, the third reason to shed. Every ARI request's round trip is timed in
// the requester (the one place both transports go through) on the injected clock: answers and
// Asterisk's error statuses count, a timeout counts at its limit, a request its caller gave up
// or whose link broke does not; requests still waiting are aged. On the virtual clock, with a
// scripted transport that answers after a set time.
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AriAdapter } from '../../src/ari/ari-adapter.js';
import { AriLinkError, type AriRequest } from '../../src/ari/ari-request.js';
import { AriRequester } from '../../src/ari/ari-requester.js';
import { RequestLatency } from '../../src/ari/request-latency.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { never, notFound, ScriptedSocket, ScriptedTransport } from './support/scripted-ari.js';

const silent = pino({ level: 'silent' });
const TIMEOUT = 5000;
const forever = new AbortController().signal;

const GET: AriRequest = { method: 'GET', path: 'channels' };
const ANSWER: AriRequest = { method: 'POST', path: 'channels/c1/answer' };

function setUp() {
  const clock = new VirtualClock();
  const latency = new RequestLatency(clock);
  const transport = new ScriptedTransport();
  const requester = new AriRequester({ clock, logger: silent, timeoutMs: TIMEOUT, latency }, () => transport);
  /** A route that answers after `ms` on the clock. */
  const after =
    (ms: number, value: unknown = undefined) =>
    (_r: AriRequest, signal: AbortSignal) =>
      clock.sleep(ms, signal).then(() => value);
  return { clock, latency, transport, requester, after };
}

describe('RequestLatency', () => {
  it('a window’s p99 and exact max, then the next window starts empty', async () => {
    const clock = new VirtualClock();
    const latency = new RequestLatency(clock);
    expect(latency.read()).toEqual({ p99Ms: 0, maxMs: 0, samples: 0 });
    const requests = Array.from({ length: 10 }, () => latency.sent());
    await clock.advance(20);
    requests.slice(0, 9).forEach((r) => r.end(true));
    await clock.advance(2480);
    requests[9]!.end(true);
    expect(latency.read()).toEqual({ p99Ms: 2500, maxMs: 2500, samples: 10 });
    expect(latency.read()).toEqual({ p99Ms: 0, maxMs: 0, samples: 0 });
  });

  it('a round trip of 0 ms counts, and the p99 is never above the max', () => {
    const latency = new RequestLatency(new VirtualClock());
    latency.sent().end(true);
    expect(latency.read()).toEqual({ p99Ms: 0, maxMs: 0, samples: 1 });
  });

  it('end() is idempotent: the first call decides, and a request ended uncounted leaves no sample', async () => {
    const clock = new VirtualClock();
    const latency = new RequestLatency(clock);
    const a = latency.sent();
    const b = latency.sent();
    await clock.advance(300);
    expect(latency.oldestPendingMs()).toBe(300);
    a.end(false);
    a.end(true);
    b.end(true);
    b.end(true);
    expect(latency.oldestPendingMs()).toBe(0);
    expect(latency.read()).toEqual({ p99Ms: 300, maxMs: 300, samples: 1 });
  });

  it('the oldest pending request’s age, whichever ended first', async () => {
    const clock = new VirtualClock();
    const latency = new RequestLatency(clock);
    const first = latency.sent();
    await clock.advance(100);
    const second = latency.sent();
    await clock.advance(50);
    expect(latency.oldestPendingMs()).toBe(150);
    first.end(true);
    expect(latency.oldestPendingMs()).toBe(50);
    second.end(true);
    expect(latency.oldestPendingMs()).toBe(0);
  });

  it('property: max is exact, the p99 lies within one rank of the nearest-rank p99, and samples are counted', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 60_000 }), { minLength: 1, maxLength: 300 }), async (durations) => {
        const clock = new VirtualClock();
        const latency = new RequestLatency(clock);
        // All sent at once, each answered after its own duration.
        const requests = durations.map((ms) => ({ ms, r: latency.sent() }));
        const start = clock.now();
        for (const { ms, r } of [...requests].sort((x, y) => x.ms - y.ms)) {
          await clock.advance(start + ms - clock.now());
          r.end(true);
        }
        const sorted = [...durations].sort((x, y) => x - y);
        const window = latency.read();
        expect(window.samples).toBe(durations.length);
        expect(window.maxMs).toBe(sorted.at(-1));
        const rank = Math.ceil(0.99 * sorted.length) - 1;
        // Exact to the ms up to 2,047 ms; within 0.1 % above (the histogram's 3 significant figures).
        expect(window.p99Ms).toBeGreaterThanOrEqual(sorted[Math.max(0, rank - 1)]!);
        expect(window.p99Ms).toBeLessThanOrEqual(Math.max(1, sorted[rank]! * 1.001));
        expect(window.p99Ms).toBeLessThanOrEqual(window.maxMs);
      }),
      { numRuns: 60 },
    );
  });
});

describe('AriRequester times every attempt (issue 12)', () => {
  it('an answer counts its round trip on the clock; pending meanwhile', async () => {
    const { clock, latency, transport, requester, after } = setUp();
    transport.on('GET channels', after(40, []));
    const done = requester.call(GET, forever);
    await clock.advance(30);
    expect(latency.oldestPendingMs()).toBe(30);
    await clock.advance(10);
    await done;
    expect(latency.oldestPendingMs()).toBe(0);
    expect(latency.read()).toEqual({ p99Ms: 40, maxMs: 40, samples: 1 });
  });

  it('Asterisk’s error status is an answer: it counts', async () => {
    const { clock, latency, transport, requester, after } = setUp();
    transport.on('POST channels/:id/answer', (r, s) => after(25)(r, s).then(() => Promise.reject(notFound())));
    const done = requester.call(ANSWER, forever).catch((e: unknown) => e);
    await clock.advance(25);
    expect(await done).toMatchObject({ status: 404 });
    expect(latency.read()).toEqual({ p99Ms: 25, maxMs: 25, samples: 1 });
  });

  it('a timeout counts at its limit; each attempt of a repeated read is its own round trip (the pause between is not)', async () => {
    const { clock, latency, transport, requester } = setUp();
    let attempts = 0;
    transport.on('GET channels', () => (++attempts === 1 ? never() : []));
    const done = requester.call(GET, forever);
    await clock.advance(TIMEOUT);
    expect(latency.oldestPendingMs()).toBe(0); // pausing before the second attempt: nothing sent
    await clock.advance(250);
    await done;
    expect(latency.read()).toEqual({ p99Ms: TIMEOUT, maxMs: TIMEOUT, samples: 2 });
  });

  it('a request its caller gave up (the channel left) is not counted, and stops being pending', async () => {
    const { clock, latency, transport, requester } = setUp();
    transport.on('POST channels/:id/answer', () => never());
    const call = new AbortController();
    const done = requester.call(ANSWER, call.signal).catch((e: unknown) => e);
    await clock.advance(800);
    expect(latency.oldestPendingMs()).toBe(800);
    call.abort(new Error('channel left'));
    await done;
    expect(latency.oldestPendingMs()).toBe(0);
    expect(latency.read().samples).toBe(0);
  });

  it('a broken link (fails at once) is not counted', async () => {
    const { clock, latency, transport, requester } = setUp();
    transport.on('POST channels/:id/answer', (r) => Promise.reject(new AriLinkError(r, 'the events socket closed')));
    const done = requester.call(ANSWER, forever).catch((e: unknown) => e);
    await clock.advance(0);
    expect(await done).toBeInstanceOf(AriLinkError);
    expect(latency.read().samples).toBe(0);
    expect(latency.oldestPendingMs()).toBe(0);
  });

  it('a transfer marked unmeasured (a recording’s audio) is neither timed nor pending', async () => {
    const { clock, latency, requester } = setUp();
    const done = requester.run(GET, forever, { measured: false }, (signal) => clock.sleep(3000, signal).then(() => 'audio'));
    await clock.advance(2000);
    expect(latency.oldestPendingMs()).toBe(0);
    await clock.advance(1000);
    expect(await done).toBe('audio');
    expect(latency.read().samples).toBe(0);
  });

  it('through the adapter: its requests are timed (both real transports: ari-transports.test.ts)', async () => {
    const clock = new VirtualClock();
    const latency = new RequestLatency(clock);
    const socket = new ScriptedSocket();
    const transport = new ScriptedTransport().on('GET channels', () => clock.sleep(15, forever).then(() => []));
    const adapter = new AriAdapter({ url: 'http://127.0.0.1:1', user: 'u', password: 'p', app: 'hotline', requestTimeoutMs: TIMEOUT }, silent, {
      clock,
      links: { socket, transport },
      latency,
    });
    const listing = adapter.listChannels();
    await clock.advance(15);
    await listing;
    expect(latency.read()).toEqual({ p99Ms: 15, maxMs: 15, samples: 1 });
    adapter.stop();
  });
});
