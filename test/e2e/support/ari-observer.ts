// Sees what Asterisk itself reports about every channel: an ARI application subscribed to all
// event sources (subscribeAll), so a test can check which sound files Asterisk really played to
// the hotline's channel (N18: sound:hotline/en/... after an English choice), and which channels
// it created (N8: how many times a callee was dialled), not only what the controller logged.
import WebSocket from 'ws';
import { readEnvironment } from '../../../src/config/env.js';

// One application per process: two files' observers on one name would take each other's events.
const OBSERVER_APP = `hotline-test-observer-${process.pid}`;

interface PlaybackEvent {
  type: string;
  playback?: { id: string; media_uri: string; target_uri: string; state: string };
  channel?: { id: string; name: string };
  timestamp?: string;
}

export class AriObserver {
  private ws: WebSocket | undefined;
  private readonly events: PlaybackEvent[] = [];
  private readonly created: Array<{ id: string; name: string; at: number }> = [];
  private readonly destroyed = new Map<string, number>();
  private env = readEnvironment();

  async connect(env = readEnvironment()): Promise<void> {
    this.env = env;
    if (!env.ARI_URL) throw new Error('ARI_URL is not set: start the sandbox (npm run asterisk:up) or set it');
    const url = new URL(`${env.ARI_URL.replace(/^http/, 'ws')}/ari/events`);
    url.searchParams.set('app', OBSERVER_APP);
    url.searchParams.set('subscribeAll', 'true');
    const auth = `Basic ${Buffer.from(`${env.ARI_USER}:${env.ARI_PASSWORD}`).toString('base64')}`;
    const ws = new WebSocket(url, { headers: { Authorization: auth } });
    ws.on('message', (raw: WebSocket.RawData) => {
      // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a Buffer
      const event = JSON.parse(raw.toString()) as PlaybackEvent;
      if (event.type === 'PlaybackStarted' || event.type === 'PlaybackContinuing') this.events.push(event);
      if (event.type === 'ChannelCreated' && event.channel) this.created.push({ ...event.channel, at: Date.now() });
      if (event.type === 'ChannelDestroyed' && event.channel) this.destroyed.set(event.channel.id, Date.now());
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    this.ws = ws;
  }

  /** Every sound Asterisk started playing to a channel, in order (each media of a list once). */
  mediaPlayedTo(channelId: string): string[] {
    return this.events
      .filter((e) => e.playback?.target_uri === `channel:${channelId}`)
      .map((e) => e.playback?.media_uri ?? '');
  }

  /** Channels Asterisk created since connect() whose name starts with `prefix` (e.g. a dialled Local/<number>@context). */
  channelsCreated(prefix: string): Array<{ id: string; name: string; at: number }> {
    return this.created.filter((c) => c.name.startsWith(prefix));
  }

  /** When Asterisk destroyed the channel (since connect()); undefined while it is up. */
  destroyedAt(channelId: string): number | undefined {
    return this.destroyed.get(channelId);
  }

  /** The channels in a bridge, asked of Asterisk now; null when there is no such bridge. */
  async bridgeChannels(bridgeId: string): Promise<string[] | null> {
    const res = await this.rest('GET', `bridges/${encodeURIComponent(bridgeId)}`);
    if (res.status === 404) return null;
    if (!res.ok) throw new Error(`GET bridge ${bridgeId}: ${res.status}`);
    return ((await res.json()) as { channels: string[] }).channels;
  }

  /** Hangs a channel up, as the person on it does (an agent putting the phone down). */
  async hangup(channelId: string): Promise<void> {
    const res = await this.rest('DELETE', `channels/${encodeURIComponent(channelId)}`);
    if (!res.ok) throw new Error(`DELETE channel ${channelId}: ${res.status}`);
  }

  private rest(method: 'GET' | 'DELETE', path: string): Promise<Response> {
    const { ARI_URL, ARI_USER, ARI_PASSWORD } = this.env;
    return fetch(`${ARI_URL}/ari/${path}`, {
      method,
      headers: { Authorization: `Basic ${Buffer.from(`${ARI_USER}:${ARI_PASSWORD}`).toString('base64')}` },
    });
  }

  close(): void {
    this.ws?.close();
  }
}
