// The one module that talks to ari-client. It owns the REST client and the events socket,
// routes events to per-channel emitters, turns "channel not found" into ChannelGoneError,
// and on every (re)connect reconciles its channels with what Asterisk really has: channels
// that entered the app while nobody listened are adopted, channels that vanished are ended.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import ari, { type AriRestClient } from 'ari-client';
import type { Logger } from 'pino';
import { HeldEmitter } from './held-emitter.js';
import { EventSocket, type EventSocketEvents } from './event-socket.js';
import { ChannelGoneError, type AriEvent, type ChannelEventMap, type ChannelInfo } from './types.js';

export interface AriSettings {
  url: string;
  user: string;
  password: string;
  app: string;
}

export interface AdapterEvents {
  /** A channel is ours to handle; adopted when it was already in the app at (re)connect. */
  call: [channel: ChannelInfo, adopted: boolean];
  connected: [];
  disconnected: [];
}

export type PlaybackOutcome = 'done' | 'failed' | 'stopped' | 'gone';

export type ChannelEvents = EventEmitter<ChannelEventMap & { destroyed: [cause: number | undefined] }>;

const GONE = /not found|not in stasis|channel.*(gone|hung ?up)|unprocessable/i;
// How long a channel's emitter outlives StasisEnd, waiting for ChannelDestroyed's cause.
const DESTROY_GRACE_MS = 3000;

/** A channel this controller dialled: its events are held until `release()`. */
export interface DialledChannel {
  events: ChannelEvents;
  /** Call once every listener is attached: the held events are delivered, in order. */
  release(): void;
}

export type EndpointState = 'online' | 'offline' | 'unknown' | 'missing';

/** The adapter's two links to Asterisk; tests hand in scripted ones. */
export interface AriLinks {
  connectRest: (url: string, user: string, password: string) => Promise<AriRestClient>;
  socket: EventEmitter<EventSocketEvents> & { start(): void; stop(): void; readonly connected: boolean };
}

export class AriAdapter extends EventEmitter<AdapterEvents> {
  private rest: AriRestClient | undefined;
  private readonly socket: AriLinks['socket'];
  private readonly connectRest: AriLinks['connectRest'];
  private readonly channels = new Map<string, ChannelEvents>();
  private readonly ending = new Set<string>();
  /** Channels this controller dialled (agent legs), by id assigned before the dial. */
  private readonly originated = new Set<string>();
  /** Dialled channels whose originate request has not been answered yet: Asterisk may not list them. */
  private readonly dialling = new Set<string>();
  private readonly playbacks = new Map<string, (outcome: PlaybackOutcome) => void>();
  private readonly stopController = new AbortController();
  /** Per reconcile in flight: the channels that left while its listing was on its way. */
  private readonly endedWhileListing = new Set<Set<string>>();

  constructor(
    private readonly settings: AriSettings,
    private readonly logger: Logger,
    links: AriLinks = { connectRest: (...a) => ari.connect(...a), socket: new EventSocket({ ...settings, logger }) },
  ) {
    super();
    this.socket = links.socket;
    this.connectRest = links.connectRest;
    this.socket.on('event', (event) => this.onEvent(event));
    this.socket.on('open', () => {
      this.emit('connected');
      this.reconcile().catch((err: unknown) => this.logger.error({ err }, 'reconcile after connect failed'));
    });
    this.socket.on('close', () => this.emit('disconnected'));
  }

  get connected(): boolean {
    return this.socket.connected && this.rest !== undefined;
  }

  /** Loads the REST client (retrying while Asterisk is down), then opens the events socket. */
  async start(): Promise<void> {
    let delay = 250;
    while (!this.rest && !this.stopController.signal.aborted) {
      try {
        this.rest = await this.connectRest(this.settings.url, this.settings.user, this.settings.password);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, retryInMs: delay }, 'ARI not reachable yet');
        await sleep(delay, undefined, { signal: this.stopController.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, 10_000);
      }
    }
    if (!this.stopController.signal.aborted) this.socket.start();
  }

  stop(): void {
    this.stopController.abort();
    this.socket.stop();
    for (const settle of this.playbacks.values()) settle('gone');
    this.playbacks.clear();
  }

  /** The event stream of a channel this adapter handed out; undefined once it is gone. */
  events(channelId: string): ChannelEvents | undefined {
    return this.channels.get(channelId);
  }

  ring(channelId: string): Promise<void> {
    return this.channelOp('ring', channelId, (r) => r.channels.ring({ channelId }));
  }

  answer(channelId: string): Promise<void> {
    return this.channelOp('answer', channelId, (r) => r.channels.answer({ channelId }));
  }

  hangup(channelId: string, reason = 'normal'): Promise<void> {
    return this.channelOp('hangup', channelId, (r) => r.channels.hangup({ channelId, reason }));
  }

  setVar(channelId: string, variable: string, value: string): Promise<void> {
    return this.channelOp('setVar', channelId, (r) => r.channels.setChannelVar({ channelId, variable, value }));
  }

  /**
   * Starts a playback and returns a promise of its outcome. The waiter is registered before
   * the request goes out, so a PlaybackFinished that beats the REST reply is not missed.
   */
  async play(channelId: string, media: string[], playbackId: string): Promise<{ finished: Promise<PlaybackOutcome> }> {
    const finished = new Promise<PlaybackOutcome>((resolve) => this.playbacks.set(playbackId, resolve));
    try {
      await this.channelOp('play', channelId, (r) => r.channels.play({ channelId, media, playbackId }));
    } catch (err) {
      this.playbacks.delete(playbackId);
      throw err;
    }
    // Wrapped: an async function returning a bare promise would make the caller wait for the end.
    return { finished };
  }

  async stopPlayback(playbackId: string): Promise<void> {
    try {
      await this.restCall((r) => r.playbacks.stop({ playbackId }));
    } catch (err) {
      // Already finished or its channel gone: nothing left to stop.
      if (!GONE.test((err as Error).message)) throw err;
    } finally {
      // The waiter must end whatever the REST call did, or its call would wait forever.
      this.settlePlayback(playbackId, 'stopped');
    }
  }

  /**
   * Dials an endpoint into the app under an id chosen here, with its event stream registered
   * first: ringing, a refusal or a timeout (Asterisk owns the ring timeout) all reach the
   * caller of originate, even before the channel is answered.
   */
  async originate(params: {
    channelId: string;
    endpoint: string;
    callerId: string;
    timeoutS: number;
    appArgs: string;
  }): Promise<DialledChannel> {
    const held = new HeldEmitter();
    const events = held as unknown as ChannelEvents;
    this.channels.set(params.channelId, events);
    this.originated.add(params.channelId);
    this.dialling.add(params.channelId);
    try {
      await this.restCall((r) =>
        r.channels.originate({
          endpoint: params.endpoint,
          channelId: params.channelId,
          app: this.settings.app,
          appArgs: params.appArgs,
          callerId: params.callerId,
          timeout: params.timeoutS,
        }),
      );
    } catch (err) {
      this.channels.delete(params.channelId);
      this.originated.delete(params.channelId);
      throw err;
    } finally {
      this.dialling.delete(params.channelId);
    }
    // Events that came while dialling (answer, busy, the end) wait for the caller's listeners.
    return { events, release: () => held.release() };
  }

  startMoh(channelId: string): Promise<void> {
    return this.channelOp('startMoh', channelId, (r) => r.channels.startMoh({ channelId, mohClass: 'default' }));
  }

  stopMoh(channelId: string): Promise<void> {
    return this.channelOp('stopMoh', channelId, (r) => r.channels.stopMoh({ channelId }));
  }

  async createBridge(bridgeId: string): Promise<void> {
    await this.restCall((r) => r.bridges.create({ type: 'mixing', bridgeId, name: bridgeId }));
  }

  addToBridge(bridgeId: string, channelId: string): Promise<void> {
    return this.channelOp('addToBridge', channelId, (r) => r.bridges.addChannel({ bridgeId, channel: channelId }));
  }

  async destroyBridge(bridgeId: string): Promise<void> {
    try {
      await this.restCall((r) => r.bridges.destroy({ bridgeId }));
    } catch (err) {
      if (!GONE.test((err as Error).message)) throw err;
    }
  }

  /**
   * An endpoint's state as Asterisk sees it: 'online' when a contact is registered or reachable,
   * 'offline' when none is, 'missing' when Asterisk has no such endpoint (a typo in the config).
   */
  async endpointState(technology: string, resource: string): Promise<EndpointState> {
    try {
      const endpoint = (await this.restCall((r) => r.endpoints.get({ tech: technology, resource }))) as { state?: string };
      return endpoint.state === 'online' || endpoint.state === 'offline' ? endpoint.state : 'unknown';
    } catch (err) {
      if (GONE.test((err as Error).message)) return 'missing';
      throw err;
    }
  }

  async listChannels(): Promise<ChannelInfo[]> {
    return (await this.restCall((r) => r.channels.list({}))) as ChannelInfo[];
  }

  private async restCall<T>(fn: (rest: AriRestClient) => Promise<T>): Promise<T> {
    if (!this.rest) throw new Error('ARI is not connected');
    return fn(this.rest);
  }

  private async channelOp(op: string, channelId: string, fn: (rest: AriRestClient) => Promise<unknown>): Promise<void> {
    try {
      await this.restCall(fn);
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      if (GONE.test(message)) throw new ChannelGoneError(channelId, op, message);
      throw err;
    }
  }

  private onEvent(event: AriEvent): void {
    const channel = event.channel;
    this.logger.trace({ type: event.type, channelId: channel?.id, cause: event.cause }, 'ARI event');
    switch (event.type) {
      case 'StasisStart':
        if (!channel) return;
        if (this.originated.has(channel.id)) {
          // An agent leg we dialled: its answer goes to whoever is ringing it, not to a new call.
          this.channels.get(channel.id)?.emit('answered');
        } else if (!this.channels.has(channel.id)) {
          this.adopt(channel, false);
        }
        return;
      case 'StasisEnd':
        if (!channel) return;
        this.noteEnded(channel.id);
        this.endChannel(channel.id, undefined, undefined);
        return;
      case 'ChannelDestroyed':
        if (!channel) return;
        this.noteEnded(channel.id);
        this.destroyed(channel.id, event.cause);
        return;
      case 'ChannelHangupRequest':
        if (channel) this.channels.get(channel.id)?.emit('hangup-request', event.cause);
        return;
      case 'ChannelStateChange':
        if (channel) this.channels.get(channel.id)?.emit('state', channel.state);
        return;
      case 'ChannelDtmfReceived':
        if (channel && event.digit) this.channels.get(channel.id)?.emit('dtmf', event.digit);
        return;
      case 'ChannelTalkingStarted':
        if (channel) this.channels.get(channel.id)?.emit('talk-start');
        return;
      case 'ChannelTalkingFinished':
        if (channel) this.channels.get(channel.id)?.emit('talk-end', event.duration_ms ?? 0);
        return;
      case 'PlaybackFinished':
        if (event.playback) this.settlePlayback(event.playback.id, event.playback.state === 'failed' ? 'failed' : 'done');
        return;
      default:
        return; // other events are not used; unknown types are fine
    }
  }

  private noteEnded(channelId: string): void {
    for (const ended of this.endedWhileListing) ended.add(channelId);
  }

  private adopt(channel: ChannelInfo, adopted: boolean): void {
    this.channels.set(channel.id, new EventEmitter());
    this.emit('call', channel, adopted);
  }

  private endChannel(channelId: string, cause: number | undefined, causeText: string | undefined): void {
    const events = this.channels.get(channelId);
    if (!events || this.ending.has(channelId)) return;
    this.ending.add(channelId);
    events.emit('end', cause, causeText);
    // Keep the emitter a little longer so the hang-up cause from ChannelDestroyed reaches the call.
    const timer = setTimeout(() => this.destroyed(channelId, undefined), DESTROY_GRACE_MS);
    timer.unref();
  }

  private destroyed(channelId: string, cause: number | undefined): void {
    const events = this.channels.get(channelId);
    if (!events) return;
    if (!this.ending.has(channelId)) events.emit('end', cause, undefined);
    this.channels.delete(channelId);
    this.ending.delete(channelId);
    this.originated.delete(channelId);
    events.emit('destroyed', cause);
    events.removeAllListeners();
  }

  private settlePlayback(playbackId: string, outcome: PlaybackOutcome): void {
    const settle = this.playbacks.get(playbackId);
    this.playbacks.delete(playbackId);
    settle?.(outcome);
  }

  /**
   * After (re)connect: adopt channels in the app that we do not know, end the ones that are gone.
   * The listing is a snapshot taken while events already flow, so it is only trusted for what it
   * can know: a channel that entered after the snapshot, or was still being dialled when it was
   * taken, is not "vanished" (ending it would leave a new caller ringing with nobody handling the
   * call, or an agent's phone ringing for a call that gave up on it), and a channel that left
   * before the reply arrived is not adopted.
   */
  private async reconcile(): Promise<void> {
    const knownBefore = new Set([...this.channels.keys()].filter((id) => !this.dialling.has(id)));
    const endedWhileListing = new Set<string>();
    this.endedWhileListing.add(endedWhileListing);
    let live: ChannelInfo[];
    try {
      live = await this.listChannels();
    } finally {
      this.endedWhileListing.delete(endedWhileListing);
    }
    const inApp = live.filter((c) => {
      const [app, role] = (c.dialplan?.app_data ?? '').split(',');
      // Agent legs belong to the caller's call, which was lost with the old connection.
      return c.dialplan?.app_name === 'Stasis' && app === this.settings.app && role !== 'agent';
    });
    const liveIds = new Set(live.map((c) => c.id));
    for (const id of knownBefore) {
      if (this.channels.has(id) && !liveIds.has(id)) {
        this.logger.warn({ channelId: id }, 'channel vanished while events were not flowing');
        this.endChannel(id, undefined, 'vanished');
        this.destroyed(id, undefined);
      }
    }
    for (const channel of inApp) {
      if (!this.channels.has(channel.id) && !endedWhileListing.has(channel.id)) {
        this.logger.info({ channelId: channel.id, state: channel.state }, 'adopting channel already in the app');
        this.adopt(channel, true);
      }
    }
  }
}
