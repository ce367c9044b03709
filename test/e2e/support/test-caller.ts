// Scripted callers for end-to-end tests. A caller is the ;1 half of a Local channel whose ;2
// half dials the hotline number in the generated entry dialplan; the ;1 half sits in a test
// ARI application, so a test can press keys, play audio and hang up at chosen moments. The
// hotline side sees real channels, real DTMF and real hang-ups.
// REST goes through fetch and events through ws, independent of the controller's ARI client.
import WebSocket from 'ws';
import { readEnvironment } from '../../../src/config/env.js';
import { currentLane, type Lane } from './lane.js';

interface AriEventLike {
  type: string;
  channel?: { id: string; name: string; state: string };
  [key: string]: unknown;
}

/** Per caller application: when this process's last socket for it has closed at Asterisk (see connect). */
const closing = new Map<string, Promise<void>>();
/** After the close handshake, how long Asterisk is given to unregister the application. */
const CLOSE_SETTLE_MS = 250;
/** A close that never completes holds the next connect this long at most. */
const CLOSE_WAIT_MS = 3000;

export class TestCallers {
  private ws: WebSocket | undefined;
  readonly events: AriEventLike[] = [];
  private readonly base: string;
  private readonly auth: string;

  /** `lane`: the entry the callers dial and their application (support/lane.ts). */
  constructor(
    env = readEnvironment(),
    private readonly lane: Lane = currentLane(),
  ) {
    this.base = `${env.ARI_URL}/ari`;
    this.auth = `Basic ${Buffer.from(`${env.ARI_USER}:${env.ARI_PASSWORD}`).toString('base64')}`;
  }

  async connect(): Promise<void> {
    // A socket of this process for the same application may still be closing (the test or file
    // before, in the same lane). A socket opened while the previous one closes can find the
    // application unregistered by that close (ari_websockets.c, session_unregister_app_cb) and
    // get no StasisStart at all: 1 of 12 and 1 of 24 in a probe that closed and opened at once,
    // 0 of 24 when it waited for the close and 250 ms (the resilience test's lost caller).
    await closing.get(this.lane.callerApp);
    const url = new URL(this.base.replace(/^http/, 'ws') + '/events');
    url.searchParams.set('app', this.lane.callerApp);
    const ws = new WebSocket(url, { headers: { Authorization: this.auth } });
    ws.on('message', (raw: WebSocket.RawData) => {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a Buffer
      this.events.push(JSON.parse(raw.toString()) as AriEventLike);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    this.ws = ws;
  }

  close(): void {
    const ws = this.ws;
    if (!ws) return;
    this.ws = undefined;
    closing.set(
      this.lane.callerApp,
      new Promise<void>((resolve) => {
        // Asterisk unregisters the application just after it answers the close.
        ws.once('close', () => setTimeout(resolve, CLOSE_SETTLE_MS));
        setTimeout(resolve, CLOSE_WAIT_MS);
      }),
    );
    ws.close();
  }

  async rest(method: string, path: string, query: Record<string, string> = {}): Promise<unknown> {
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const res = await fetch(url, { method, headers: { Authorization: this.auth } });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  /** Dials the hotline; resolves with the caller's channel id once the hotline has answered. */
  async dial(callerId: string, number = '4008008000', context = this.lane.context): Promise<Caller> {
    const channel = (await this.rest('POST', '/channels', {
      endpoint: `Local/${number}@${context}`,
      app: this.lane.callerApp,
      callerId,
      timeout: '30',
    })) as { id: string };
    return new Caller(this, channel.id);
  }

  async waitForEvent(pred: (e: AriEventLike) => boolean, timeoutMs = 20_000): Promise<AriEventLike> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.events.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error('timed out waiting for a caller-side ARI event');
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

export class Caller {
  constructor(private readonly callers: TestCallers, readonly id: string) {}

  /** Resolves when the hotline answered (the caller's half enters the test app on answer). */
  async answered(timeoutMs = 20_000): Promise<number> {
    await this.callers.waitForEvent((e) => e.type === 'StasisStart' && e.channel?.id === this.id, timeoutMs);
    return Date.now();
  }

  async press(digits: string): Promise<void> {
    await this.callers.rest('POST', `/channels/${this.id}/dtmf`, { dtmf: digits, duration: '120', between: '150' });
  }

  async play(media: string): Promise<void> {
    await this.callers.rest('POST', `/channels/${this.id}/play`, { media });
  }

  async hangup(): Promise<void> {
    await this.callers.rest('DELETE', `/channels/${this.id}`).catch(() => undefined);
  }

  /** Resolves when the caller's channel is gone (hung up by either side). */
  async ended(timeoutMs = 60_000): Promise<number> {
    await this.callers.waitForEvent((e) => e.type === 'StasisEnd' && e.channel?.id === this.id, timeoutMs);
    return Date.now();
  }
}
