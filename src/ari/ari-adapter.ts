// The one module that talks to ari-client. It owns the REST client and the events socket,
// routes events to per-channel emitters, turns "channel not found" into ChannelGoneError,
// and on every (re)connect reconciles its channels with what Asterisk really has: channels
// that entered the app while nobody listened are adopted, channels that vanished are ended.
import { EventEmitter } from 'node:events';
import ari, { type AriRestClient } from 'ari-client';
import type { Logger } from 'pino';
import { settleAfter, systemClock, type Clock } from '../clock/clock.js';
import { legArgs, roleOf, stasisArgs, type ChannelRole, type DialledRole } from './channel-role.js';
import { HeldEmitter } from './held-emitter.js';
import { EventSocket, type EventSocketEvents } from './event-socket.js';
import { ChannelGoneError, type AriEvent, type ChannelEventMap, type ChannelInfo, type LiveRecordingInfo } from './types.js';

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

/**
 * N14: how a recording ended, as Asterisk reported it: done (the file is complete), failed, or
 * gone (no report came: its channel left first, or the adapter stopped; the file decides).
 */
export interface RecordingOutcome {
  state: 'done' | 'failed' | 'gone';
  /** Whole seconds (RecordingFinished). */
  durationS?: number;
  cause?: string;
}

/** N14: what Asterisk records, and where it writes it (its recording directory, `<name>.<format>`). */
export interface RecordParams {
  name: string;
  format: string;
  /** Asterisk stops the recording after this long; 0: no limit. */
  maxDurationS: number;
}

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

export interface AriAdapterOptions {
  clock?: Clock;
  /** Scripted links for tests; by default ari-client for REST and our own events socket. */
  links?: AriLinks;
}

export class AriAdapter extends EventEmitter<AdapterEvents> {
  private rest: AriRestClient | undefined;
  private readonly socket: AriLinks['socket'];
  private readonly connectRest: AriLinks['connectRest'];
  private readonly clock: Clock;
  private readonly channels = new Map<string, ChannelEvents>();
  private readonly ending = new Set<string>();
  /** Channels this controller dialled (agent and callback legs), by id assigned before the dial. */
  private readonly originated = new Map<string, DialledRole>();
  /** Dialled channels whose originate request has not been answered yet: Asterisk may not list them. */
  private readonly dialling = new Set<string>();
  /** Playback waiters, with the channel they play on: a channel that ends settles its waiters. */
  private readonly playbacks = new Map<string, { channelId: string; settle: (outcome: PlaybackOutcome) => void }>();
  /** N14: recording waiters by name, with the channel recorded (none for a bridge's). */
  private readonly recordings = new Map<string, { channelId?: string; settle: (outcome: RecordingOutcome) => void }>();
  private readonly stopController = new AbortController();
  /** Per reconcile in flight: the channels that left while its listing was on its way. */
  private readonly endedWhileListing = new Set<Set<string>>();

  constructor(
    private readonly settings: AriSettings,
    private readonly logger: Logger,
    options: AriAdapterOptions = {},
  ) {
    super();
    this.clock = options.clock ?? systemClock;
    const links = options.links ?? {
      connectRest: (...a) => ari.connect(...a),
      socket: new EventSocket({ ...settings, logger, clock: this.clock }),
    };
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
        await settleAfter(this.clock, delay, this.stopController.signal);
        delay = Math.min(delay * 2, 10_000);
      }
    }
    if (!this.stopController.signal.aborted) this.socket.start();
  }

  stop(): void {
    this.stopController.abort();
    this.socket.stop();
    for (const { settle } of this.playbacks.values()) settle('gone');
    this.playbacks.clear();
    for (const { settle } of this.recordings.values()) settle({ state: 'gone' });
    this.recordings.clear();
  }

  /** Why a channel is in the app: a leg this controller dialled, or an inbound caller. */
  roleOf(channelId: string): ChannelRole {
    return this.originated.get(channelId) ?? 'inbound';
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

  /**
   * Issue 12: sends a channel on in the dialplan at a label of an extension (a shed caller to the
   * generated entry's apology). The channel leaves the app: StasisEnd follows.
   */
  continueAt(channelId: string, target: { context: string; extension: string; label: string }): Promise<void> {
    return this.channelOp('continue', channelId, (r) => r.channels.continueInDialplan({ channelId, ...target }));
  }

  setVar(channelId: string, variable: string, value: string): Promise<void> {
    return this.channelOp('setVar', channelId, (r) => r.channels.setChannelVar({ channelId, variable, value }));
  }

  /**
   * Starts a playback and returns a promise of its outcome. The waiter is registered before
   * the request goes out, so a PlaybackFinished that beats the REST reply is not missed; it
   * settles 'gone' when the channel leaves, so a PlaybackFinished lost while the events socket
   * was down cannot hold a call (or an agent's whisper) until the other side hangs up.
   */
  async play(channelId: string, media: string[], playbackId: string): Promise<{ finished: Promise<PlaybackOutcome> }> {
    if (!this.channels.has(channelId)) throw new ChannelGoneError(channelId, 'play', 'not in the app');
    const finished = new Promise<PlaybackOutcome>((resolve) => this.playbacks.set(playbackId, { channelId, settle: resolve }));
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
   * caller of originate, even before the channel is answered. The leg's role and owning call
   * travel as its Stasis arguments (see channel-role.ts).
   */
  async originate(params: {
    channelId: string;
    endpoint: string;
    callerId: string;
    timeoutS: number;
    role: DialledRole;
    /** The call that owns the leg. */
    owner: string;
  }): Promise<DialledChannel> {
    const held = new HeldEmitter();
    const events = held as unknown as ChannelEvents;
    this.channels.set(params.channelId, events);
    this.originated.set(params.channelId, params.role);
    this.dialling.add(params.channelId);
    try {
      await this.restCall((r) =>
        r.channels.originate({
          endpoint: params.endpoint,
          channelId: params.channelId,
          app: this.settings.app,
          appArgs: legArgs(params.role, params.owner),
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
   * N14: a snoop channel on a caller's channel that hears both directions, placed in the app
   * under an id chosen here with role `snoop` and its call as Stasis arguments (so it is never
   * taken for a new caller, and an orphaned one is hung up after a reconnect). Its events are
   * held like a dialled leg's: 'answered' says it entered the app (only then can it record).
   * Asterisk ends it when the caller's channel goes.
   */
  async snoop(params: { channelId: string; snoopId: string; owner: string }): Promise<DialledChannel> {
    const { channelId, snoopId, owner } = params;
    const held = new HeldEmitter();
    const events = held as unknown as ChannelEvents;
    this.channels.set(snoopId, events);
    this.originated.set(snoopId, 'snoop');
    this.dialling.add(snoopId);
    try {
      await this.channelOp('snoop', channelId, (r) =>
        r.channels.snoopChannel({ channelId, snoopId, spy: 'both', whisper: 'none', app: this.settings.app, appArgs: legArgs('snoop', owner) }),
      );
    } catch (err) {
      this.channels.delete(snoopId);
      this.originated.delete(snoopId);
      throw err;
    } finally {
      this.dialling.delete(snoopId);
    }
    return { events, release: () => held.release() };
  }

  /**
   * N14: records a channel in the app (a snoop channel) or a bridge, into Asterisk's recording
   * directory as `<name>.<format>`. Like play(), the waiter is registered before the request, so
   * a RecordingFinished that beats the REST reply is not missed; it settles 'gone' when the
   * recorded channel leaves without a report. No beep, no end on silence or keys: a recording
   * ends when it is stopped, at maxDurationS, or with its channel or bridge.
   */
  async record(target: { channelId: string } | { bridgeId: string }, params: RecordParams): Promise<{ finished: Promise<RecordingOutcome> }> {
    const channelId = 'channelId' in target ? target.channelId : undefined;
    const finished = new Promise<RecordingOutcome>((resolve) =>
      this.recordings.set(params.name, { ...(channelId === undefined ? {} : { channelId }), settle: resolve }),
    );
    const options = {
      name: params.name,
      format: params.format,
      maxDurationSeconds: params.maxDurationS,
      maxSilenceSeconds: 0,
      ifExists: 'fail',
      beep: false,
      terminateOn: 'none',
    };
    try {
      if (channelId !== undefined) await this.channelOp('record', channelId, (r) => r.channels.record({ channelId, ...options }));
      else await this.restCall((r) => r.bridges.record({ bridgeId: (target as { bridgeId: string }).bridgeId, ...options }));
    } catch (err) {
      this.recordings.delete(params.name);
      throw err;
    }
    return { finished };
  }

  /** N14: stops a live recording and keeps its file; one that has already ended is no error. */
  async stopRecording(name: string): Promise<void> {
    try {
      await this.restCall((r) => r.recordings.stop({ recordingName: name }));
    } catch (err) {
      if (!GONE.test((err as Error).message)) throw err;
    }
  }

  /** N14: a stored recording as Asterisk knows it, or undefined when there is none by that name. */
  async storedRecording(name: string): Promise<{ name: string; format: string } | undefined> {
    try {
      return (await this.restCall((r) => r.recordings.getStored({ recordingName: name }))) as { name: string; format: string };
    } catch (err) {
      if (GONE.test((err as Error).message)) return undefined;
      throw err;
    }
  }

  /** N14: deletes a stored recording; false when Asterisk had none by that name. */
  async deleteStoredRecording(name: string): Promise<boolean> {
    try {
      await this.restCall((r) => r.recordings.deleteStored({ recordingName: name }));
      return true;
    } catch (err) {
      if (GONE.test((err as Error).message)) return false;
      throw err;
    }
  }

  /**
   * N14: a stored recording's audio (GET /recordings/stored/{name}/file, Asterisk 14+), or
   * undefined when there is none. A plain HTTP request with the ARI credentials, not ari-client:
   * its Swagger 1.1 client is not trusted with binary bodies, and this body can be megabytes.
   */
  async storedRecordingFile(name: string): Promise<Buffer | undefined> {
    if (!this.rest) throw new Error('ARI is not connected');
    const { url, user, password } = this.settings;
    const res = await fetch(`${url.replace(/\/+$/, '')}/ari/recordings/stored/${encodeURIComponent(name)}/file`, {
      headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      signal: this.stopController.signal,
    });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`ARI: GET recording file -> ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
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
          // A leg we dialled: its answer goes to the call that is ringing it, not to a new call.
          this.channels.get(channel.id)?.emit('answered');
        } else if (!this.channels.has(channel.id)) {
          const { role } = roleOf(event.args ?? []);
          // A leg dialled by a controller that is gone (its call with it): nobody will take it.
          if (role !== 'inbound') this.endOrphan(channel.id, role);
          else this.adopt(channel, false);
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
      case 'RecordingFinished':
      case 'RecordingFailed':
        if (event.recording) this.settleRecording(event.recording, event.type === 'RecordingFailed');
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
    this.settlePlaybacksOf(channelId);
    // Keep the emitter a little longer so the hang-up cause from ChannelDestroyed reaches the call.
    this.clock.timer(DESTROY_GRACE_MS, this.stopController.signal, () => this.destroyed(channelId, undefined));
  }

  /** A channel left: its playbacks will never finish, and its recordings have ended. */
  private settlePlaybacksOf(channelId: string): void {
    for (const [playbackId, waiter] of [...this.playbacks]) {
      if (waiter.channelId === channelId) this.settlePlayback(playbackId, 'gone');
    }
    for (const [name, waiter] of [...this.recordings]) {
      if (waiter.channelId !== channelId) continue;
      this.recordings.delete(name);
      waiter.settle({ state: 'gone' });
    }
  }

  private settleRecording(recording: LiveRecordingInfo, failed: boolean): void {
    const waiter = this.recordings.get(recording.name);
    if (!waiter) return;
    this.recordings.delete(recording.name);
    waiter.settle({
      state: failed || recording.state === 'failed' ? 'failed' : 'done',
      ...(typeof recording.duration === 'number' ? { durationS: recording.duration } : {}),
      ...(recording.cause ? { cause: recording.cause } : {}),
    });
  }

  /** Hangs up a dialled leg that no call here owns (its controller stopped or lost it). */
  private endOrphan(channelId: string, role: ChannelRole): void {
    this.logger.warn({ channelId, role }, 'hanging up a dialled leg whose call is gone');
    this.restCall((r) => r.channels.hangup({ channelId, reason: 'normal' })).catch((err: unknown) => {
      if (!GONE.test((err as Error).message)) this.logger.warn({ err, channelId }, 'hanging up an orphaned leg failed');
    });
  }

  private destroyed(channelId: string, cause: number | undefined): void {
    const events = this.channels.get(channelId);
    if (!events) return;
    if (!this.ending.has(channelId)) events.emit('end', cause, undefined);
    this.settlePlaybacksOf(channelId);
    this.channels.delete(channelId);
    this.ending.delete(channelId);
    this.originated.delete(channelId);
    events.emit('destroyed', cause);
    events.removeAllListeners();
  }

  private settlePlayback(playbackId: string, outcome: PlaybackOutcome): void {
    const waiter = this.playbacks.get(playbackId);
    this.playbacks.delete(playbackId);
    waiter?.settle(outcome);
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
    const inApp = live.filter((c) => c.dialplan?.app_name === 'Stasis' && stasisArgs(c.dialplan.app_data).app === this.settings.app);
    const liveIds = new Set(live.map((c) => c.id));
    for (const id of knownBefore) {
      if (this.channels.has(id) && !liveIds.has(id)) {
        this.logger.warn({ channelId: id }, 'channel vanished while events were not flowing');
        this.endChannel(id, undefined, 'vanished');
        this.destroyed(id, undefined);
      }
    }
    for (const channel of inApp) {
      if (this.channels.has(channel.id) || endedWhileListing.has(channel.id)) continue;
      // Only inbound callers are adopted (their flow starts again). A dialled leg that nobody
      // here knows belonged to a call of the old connection: an agent's phone rings or an agent
      // sits in silence for a caller who is now back in the flow, and a callback leg's call is
      // gone; both are hung up (the callback scheduler dials again by its own rules).
      const { role } = roleOf(stasisArgs(channel.dialplan?.app_data).args);
      if (role !== 'inbound') {
        this.endOrphan(channel.id, role);
        continue;
      }
      this.logger.info({ channelId: channel.id, state: channel.state }, 'adopting channel already in the app');
      this.adopt(channel, true);
    }
  }
}
