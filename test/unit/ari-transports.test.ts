// Issue 12: the two ways ARI REST travels, against a fake Asterisk on loopback (an HTTP server
// with a WebSocket server on /ari/events, from the `ws` package):
//  - REST over the events WebSocket (RESTRequest → RESTResponse): matched by request_id in any
//    order, timeouts, a socket that closes with requests pending (they fail at once), responses
//    in their place among the events;
//  - HTTP: one keep-alive agent, never more connections than the bound, a queued request that
//    is aborted never reaches Asterisk;
//  - the adapter choosing between them at connect: an Asterisk that answers on the socket gets
//    REST there, one that ignores it (before 22.4) gets HTTP;
//  - either way each request's round trip is timed on the clock (issue 12: ARI latency).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { AriAdapter } from '../../src/ari/ari-adapter.js';
import { AriLinkError, AriTimeoutError, type AriRequest } from '../../src/ari/ari-request.js';
import { AriRequester } from '../../src/ari/ari-requester.js';
import { EventSocket } from '../../src/ari/event-socket.js';
import { HttpTransport } from '../../src/ari/http-transport.js';
import { RequestLatency } from '../../src/ari/request-latency.js';
import type { AriEvent } from '../../src/ari/types.js';
import { WebSocketTransport } from '../../src/ari/ws-transport.js';
import { VirtualClock } from '../../src/clock/virtual-clock.js';

const silent = pino({ level: 'silent' });

interface RestRequestFrame {
  type: string;
  request_id: string;
  method: string;
  uri: string;
}

/** A fake Asterisk HTTP server: /ari/* answered by `onHttp`, WebSocket clients on /ari/events. */
class FakeAsterisk {
  readonly server = http.createServer((req, res) => this.onHttp(req, res));
  readonly wss = new WebSocketServer({ server: this.server, path: '/ari/events' });
  readonly clients: WebSocket[] = [];
  readonly frames: RestRequestFrame[] = [];
  /** What a RESTRequest frame gets: a response to send now, or nothing (Asterisk before 22.4 ignores it). */
  onRequest: (frame: RestRequestFrame, ws: WebSocket) => void = () => undefined;
  onHttp: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('[]');
  };
  connections = 0;
  openConnections = 0;
  maxOpenConnections = 0;

  constructor() {
    this.wss.on('connection', (ws) => {
      this.clients.push(ws);
      ws.on('message', (raw: Buffer) => {
        const frame = JSON.parse(raw.toString()) as RestRequestFrame;
        this.frames.push(frame);
        this.onRequest(frame, ws);
      });
    });
    this.server.on('connection', (socket) => {
      this.connections++;
      this.openConnections++;
      this.maxOpenConnections = Math.max(this.maxOpenConnections, this.openConnections);
      socket.on('close', () => this.openConnections--);
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  static respond(ws: WebSocket, frame: RestRequestFrame, status: number, body?: unknown): void {
    ws.send(
      JSON.stringify({
        type: 'RESTResponse',
        transaction_id: '',
        request_id: frame.request_id,
        status_code: status,
        reason_phrase: status === 200 ? 'OK' : status === 204 ? 'No Content' : 'Not Found',
        uri: frame.uri,
        ...(body === undefined ? {} : { content_type: 'application/json', message_body: JSON.stringify(body) }),
      }),
    );
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const waitFor = async (check: () => boolean, ms = 2000) => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

function track<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; done: boolean } = { done: false };
  promise.then(
    (value) => Object.assign(state, { value, done: true }),
    (error: unknown) => Object.assign(state, { error, done: true }),
  );
  return state;
}

let cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const clean of cleanups.reverse()) await clean();
  cleanups = [];
});

/** An events socket connected to a fake Asterisk, and a requester over it on a virtual clock. */
async function overWebSocket() {
  const asterisk = new FakeAsterisk();
  const url = await asterisk.listen();
  const clock = new VirtualClock();
  const socket = new EventSocket({ url, user: 'u', password: 'p', app: 'hotline', logger: silent, clock });
  const transport = new WebSocketTransport(socket);
  const requester = new AriRequester({ clock, logger: silent, timeoutMs: 5000 }, () => transport);
  const events: string[] = [];
  socket.on('event', (e: AriEvent) => events.push(e.type));
  const opened = new Promise<void>((resolve) => socket.once('open', resolve));
  socket.start();
  await opened;
  cleanups.push(() => asterisk.close(), () => socket.stop());
  return { asterisk, socket, transport, requester, clock, events, signal: new AbortController().signal };
}

describe('REST over the events WebSocket', () => {
  it('sends a RESTRequest with its own request_id, method and uri (query included), and resolves with the body of its RESTResponse', async () => {
    const { asterisk, requester, signal } = await overWebSocket();
    asterisk.onRequest = (frame, ws) => FakeAsterisk.respond(ws, frame, 200, { id: 'pb-1', state: 'queued' });
    const request: AriRequest = { method: 'POST', path: 'channels/c1/play', query: { media: ['sound:a', 'sound:b'], playbackId: 'pb-1' } };
    expect(await requester.call(request, signal)).toEqual({ id: 'pb-1', state: 'queued' });
    expect(asterisk.frames).toEqual([
      { type: 'RESTRequest', request_id: expect.any(String) as unknown, method: 'POST', uri: 'channels/c1/play?media=sound:a,sound:b&playbackId=pb-1' },
    ]);
  });

  it('matches responses to requests by id when Asterisk answers out of order', async () => {
    const { asterisk, requester, signal } = await overWebSocket();
    const held: Array<[RestRequestFrame, WebSocket]> = [];
    asterisk.onRequest = (frame, ws) => {
      held.push([frame, ws]);
      if (held.length < 3) return;
      // The last first, then the first, then the middle one.
      for (const i of [2, 0, 1]) FakeAsterisk.respond(held[i]![1], held[i]![0], 200, { uri: held[i]![0].uri });
    };
    const answers = await Promise.all(['a', 'b', 'c'].map((id) => requester.call({ method: 'GET', path: `channels/${id}` }, signal)));
    expect(answers).toEqual([{ uri: 'channels/a' }, { uri: 'channels/b' }, { uri: 'channels/c' }]);
    expect(new Set(asterisk.frames.map((f) => f.request_id)).size).toBe(3);
  });

  it("an error status comes back as Asterisk's words (404 Channel not found)", async () => {
    const { asterisk, requester, signal } = await overWebSocket();
    asterisk.onRequest = (frame, ws) => FakeAsterisk.respond(ws, frame, 404, { message: 'Channel not found' });
    await expect(requester.call({ method: 'POST', path: 'channels/gone/answer' }, signal)).rejects.toMatchObject({ status: 404, detail: 'Channel not found' });
  });

  it('a request Asterisk never answers times out on the clock; its late answer is ignored', async () => {
    const { asterisk, requester, transport, clock, signal } = await overWebSocket();
    const held: Array<[RestRequestFrame, WebSocket]> = [];
    asterisk.onRequest = (frame, ws) => held.push([frame, ws]);
    const result = track(requester.call({ method: 'POST', path: 'channels/c1/answer' }, signal));
    await waitFor(() => held.length === 1);
    await clock.advance(5000);
    expect(result.error).toBeInstanceOf(AriTimeoutError);
    expect(transport.waiting).toBe(0);
    FakeAsterisk.respond(held[0]![1], held[0]![0], 204);
    await new Promise((r) => setTimeout(r, 20));
    expect(transport.waiting).toBe(0);
  });

  it('race: the socket closes with requests pending: every one fails at once (AriLinkError), none waits for its timeout', async () => {
    const { asterisk, requester, clock, signal } = await overWebSocket();
    asterisk.onRequest = () => undefined;
    const pending = [1, 2, 3].map((n) => track(requester.call({ method: 'POST', path: `channels/c${n}/answer` }, signal)));
    await waitFor(() => asterisk.frames.length === 3);
    const closedAt = Date.now();
    for (const ws of asterisk.clients) ws.terminate();
    await waitFor(() => pending.every((p) => p.done));
    expect(Date.now() - closedAt).toBeLessThan(1000);
    for (const p of pending) expect(p.error).toBeInstanceOf(AriLinkError);
    expect(clock.now() - new VirtualClock().now()).toBe(0); // no virtual time passed: not a timeout
  });

  it('a request while the socket is down fails at once', async () => {
    const { socket, transport } = await overWebSocket();
    socket.stop();
    await expect(transport.send({ method: 'GET', path: 'channels' }, new AbortController().signal)).rejects.toBeInstanceOf(AriLinkError);
  });

  it('ordering: an event Asterisk sent before the response has been handled when the request resolves', async () => {
    const { asterisk, requester, events, signal } = await overWebSocket();
    asterisk.onRequest = (frame, ws) => {
      ws.send(JSON.stringify({ type: 'PlaybackStarted', playback: { id: 'pb-1' } }));
      FakeAsterisk.respond(ws, frame, 200, { id: 'pb-1' });
      ws.send(JSON.stringify({ type: 'PlaybackFinished', playback: { id: 'pb-1' } }));
    };
    await requester.call({ method: 'POST', path: 'channels/c1/play', query: { media: ['sound:a'], playbackId: 'pb-1' } }, signal);
    expect(events[0]).toBe('PlaybackStarted');
    await waitFor(() => events.length === 2);
    // A RESTResponse is never handed out as an event.
    expect(events).toEqual(['PlaybackStarted', 'PlaybackFinished']);
  });
});

describe('REST over HTTP: one keep-alive agent, bounded', () => {
  it('never opens more connections than the bound; requests past it wait their turn and all answer', async () => {
    const asterisk = new FakeAsterisk();
    const url = await asterisk.listen();
    cleanups.push(() => asterisk.close());
    let busy = 0;
    let maxBusy = 0;
    asterisk.onHttp = (_req, res) => {
      busy++;
      maxBusy = Math.max(maxBusy, busy);
      setTimeout(() => {
        busy--;
        res.writeHead(204);
        res.end();
      }, 20);
    };
    const transport = new HttpTransport({ url, user: 'u', password: 'p', maxConnections: 3 });
    cleanups.push(() => transport.close());
    const signal = new AbortController().signal;
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => transport.send({ method: 'POST', path: `channels/c${i}/answer` }, signal)));
    expect(answers.every((a) => a.status === 204)).toBe(true);
    expect(maxBusy).toBe(3);
    expect(asterisk.maxOpenConnections).toBe(3);
    // Kept alive: twelve requests over three connections.
    expect(asterisk.connections).toBe(3);
  });

  it('a request aborted while it waits for a connection never reaches Asterisk, and frees nothing it did not hold', async () => {
    const asterisk = new FakeAsterisk();
    const url = await asterisk.listen();
    cleanups.push(() => asterisk.close());
    const seen: string[] = [];
    const hold: Array<() => void> = [];
    asterisk.onHttp = (req, res) => {
      seen.push(req.url ?? '');
      hold.push(() => {
        res.writeHead(204);
        res.end();
      });
    };
    const transport = new HttpTransport({ url, user: 'u', password: 'p', maxConnections: 1 });
    cleanups.push(() => transport.close());
    const first = transport.send({ method: 'POST', path: 'channels/first/answer' }, new AbortController().signal);
    const queued = new AbortController();
    const second = track(transport.send({ method: 'POST', path: 'channels/second/answer' }, queued.signal));
    await waitFor(() => seen.length === 1);
    queued.abort(new Error('call ended'));
    await waitFor(() => second.done);
    expect(second.error).toEqual(new Error('call ended'));
    hold.shift()!();
    expect((await first).status).toBe(204);
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual(['/ari/channels/first/answer']);
  });

  it('sends the ARI credentials and the query, and a refused connection is an AriLinkError', async () => {
    const asterisk = new FakeAsterisk();
    const url = await asterisk.listen();
    let auth: string | undefined;
    let path: string | undefined;
    asterisk.onHttp = (req, res) => {
      auth = req.headers.authorization;
      path = req.url;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"ok":true}');
    };
    const transport = new HttpTransport({ url, user: 'hotline', password: 'secret-1', maxConnections: 2 });
    const response = await transport.send({ method: 'DELETE', path: 'channels/c%201', query: { reason: 'normal' } }, new AbortController().signal);
    expect(response).toEqual({ status: 200, reason: 'OK', body: '{"ok":true}' });
    expect(auth).toBe(`Basic ${Buffer.from('hotline:secret-1').toString('base64')}`);
    expect(path).toBe('/ari/channels/c%201?reason=normal');
    transport.close();
    await asterisk.close();
    const refused = new HttpTransport({ url, user: 'u', password: 'p', maxConnections: 1 });
    await expect(refused.send({ method: 'GET', path: 'channels' }, new AbortController().signal)).rejects.toBeInstanceOf(AriLinkError);
    refused.close();
  });
});

describe('the adapter chooses the transport at every connect', () => {
  async function adapterOn(asterisk: FakeAsterisk, transport: 'auto' | 'http' | 'websocket' = 'auto') {
    const url = await asterisk.listen();
    const clock = new VirtualClock();
    const latency = new RequestLatency(clock);
    const adapter = new AriAdapter({ url, user: 'u', password: 'p', app: 'hotline', transport, requestTimeoutMs: 5000 }, silent, { clock, latency });
    cleanups.push(() => asterisk.close(), () => adapter.stop());
    return { adapter, clock, latency };
  }

  it.each(['websocket', 'http'] as const)('issue 12: over %s, a request’s round trip is timed on the clock, pending until Asterisk answers', async (kind) => {
    const asterisk = new FakeAsterisk();
    let answer: (() => void) | undefined;
    // The listing at connect is held back until the test lets Asterisk answer.
    asterisk.onHttp = (req, res) => {
      answer = () => res.end('[]');
    };
    asterisk.onRequest = (frame, ws) => {
      if (frame.uri.startsWith('asterisk/info')) FakeAsterisk.respond(ws, frame, 200, { system: { version: '22.10.1' } });
      else answer = () => FakeAsterisk.respond(ws, frame, 200, []);
    };
    const { adapter, clock, latency } = await adapterOn(asterisk, kind);
    await adapter.start();
    await waitFor(() => answer !== undefined);
    expect(adapter.health().transport).toBe(kind);
    await clock.advance(120);
    expect(latency.oldestPendingMs()).toBe(120);
    answer!();
    await waitFor(() => latency.oldestPendingMs() === 0);
    // The probe of the events socket is not an ARI request of a call: only the listing counts.
    expect(latency.read()).toEqual({ p99Ms: 120, maxMs: 120, samples: 1 });
  });

  it('an Asterisk that answers on the events socket (22.4+) gets every request there but the channel listing, which goes over HTTP (a big message on the socket crashed Asterisk 22.10)', async () => {
    const asterisk = new FakeAsterisk();
    const httpSeen: string[] = [];
    asterisk.onHttp = (req, res) => {
      httpSeen.push(req.url ?? '');
      res.end('[]');
    };
    asterisk.onRequest = (frame, ws) =>
      FakeAsterisk.respond(ws, frame, 200, frame.uri.startsWith('asterisk/info') ? { system: { version: '22.10.1' } } : []);
    const { adapter } = await adapterOn(asterisk);
    await adapter.start();
    await waitFor(() => adapter.connected);
    expect(adapter.health()).toMatchObject({ up: true, transport: 'websocket' });
    await waitFor(() => httpSeen.length > 0);
    expect(httpSeen).toEqual(['/ari/channels']);
    await adapter.answer('ch-1').catch(() => undefined);
    expect(asterisk.frames.map((f) => `${f.method} ${f.uri}`)).toEqual(['GET asterisk/info?only=system', 'POST channels/ch-1/answer']);
    expect(httpSeen).toEqual(['/ari/channels']);
  });

  it('an Asterisk that ignores requests on the socket (before 22.4) gets HTTP once the probe has waited its timeout', async () => {
    const asterisk = new FakeAsterisk();
    const httpSeen: string[] = [];
    asterisk.onHttp = (req, res) => {
      httpSeen.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('[]');
    };
    const { adapter, clock } = await adapterOn(asterisk);
    await adapter.start();
    await waitFor(() => asterisk.frames.length === 1);
    expect(adapter.health()).toMatchObject({ up: false, reason: 'choosing-transport' });
    await clock.advance(5000);
    await waitFor(() => adapter.connected);
    expect(adapter.health()).toMatchObject({ up: true, transport: 'http' });
    await waitFor(() => httpSeen.length === 1);
    expect(httpSeen).toEqual(['GET /ari/channels']);
  });

  it('ARI_TRANSPORT=http skips the probe', async () => {
    const asterisk = new FakeAsterisk();
    const { adapter } = await adapterOn(asterisk, 'http');
    await adapter.start();
    await waitFor(() => adapter.connected);
    expect(adapter.health().transport).toBe('http');
    expect(asterisk.frames).toEqual([]);
  });
});
