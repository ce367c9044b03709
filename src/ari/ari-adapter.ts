// The one module that talks to Asterisk's ARI. It owns the events socket and the REST
// transport, routes events to per-channel emitters, turns "channel not found" into
// ChannelGoneError, and on every (re)connect reconciles its channels with what Asterisk really
// has: channels that entered the app while nobody listened are adopted, channels that vanished
// are ended.
//
// REST requests go over the events socket where Asterisk takes them (ws-transport.ts; probed at
// every connect), else over HTTP (http-transport.ts). Either way each has a timeout and ends with
// the signal of what it is for (ari-requester.ts): a request about a channel ends the moment the
// channel leaves the application, every other one when the adapter stops. A hang-up that fails
// is tried again until the channel is gone, so a call is never left ringing in the application.
import { EventEmitter, setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { childSignal, ChildSignals, systemClock, type Clock, type TimerHandle } from '../clock/clock.js';
import { ariPath, AriStatusError, type AriRequest, type AriTransport } from './ari-request.js';
import { AriRequester, type RequestFigures, type RequestOptions } from './ari-requester.js';
import { AMD_CONTEXT, AMD_EXTENSION, AMD_PARAMS_VARIABLE, AMD_STASIS_VARIABLE } from './amd-dialplan.js';
import type { RequestLatency } from './request-latency.js';
import { legArgs, roleOf, stasisArgs, type ChannelRole, type DialledRole } from './channel-role.js';
import { ChannelWaiters } from './channel-waiters.js';
import { HeldEmitter } from './held-emitter.js';
import { EventSocket, type EventSocketEvents } from './event-socket.js';
import { HttpTransport } from './http-transport.js';
import { WebSocketTransport } from './ws-transport.js';
import { ChannelGoneError, type AriEvent, type ChannelEventMap, type ChannelInfo, type LiveRecordingInfo } from './types.js';

/** auto: REST over the events socket where Asterisk takes it, else HTTP. */
export type AriTransportMode = 'auto' | 'websocket' | 'http';

export interface AriSettings {
  url: string;
  user: string;
  password: string;
  app: string;
  transport?: AriTransportMode;
  /** Each request's limit (default 5 s). */
  requestTimeoutMs?: number;
  /** HTTP connections to Asterisk at most, below http.conf's sessionlimit (default 50). */
  httpMaxConnections?: number;
}

/** Why ARI counts as down, for /health. */
export type AriDownReason =
  | 'not-connected'
  | 'events-socket-closed'
  | 'choosing-transport'
  | 'asterisk-shutting-down'
  | 'application-replaced';

export interface AriHealth {
  up: boolean;
  reason?: AriDownReason;
  /** How REST requests travel now (undefined until chosen). */
  transport?: AriTransport['kind'];
  requests: RequestFigures;
}

/** N8: an adopted channel that is the callee of a callback a controller before this one dialled. */
export interface AdoptedCallback {
  callback: number;
}

export interface AdapterEvents {
  /**
   * A channel is ours to handle; adopted when it was already in the app at (re)connect, and then
   * `callback` when it is an answered callback's callee (an outbound call), not a caller.
   */
  call: [channel: ChannelInfo, adopted: boolean, callback?: AdoptedCallback];
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

export type ChannelEvents = EventEmitter<ChannelEventMap & { destroyed: [cause: number | undefined, causeText?: string] }>;

// Asterisk's words for "that channel (or playback, recording) is not there (any more)".
const GONE = /not found|not in stasis|channel.*(gone|hung ?up)|unprocessable/i;
// How long a channel's emitter outlives StasisEnd, waiting for ChannelDestroyed's cause.
const DESTROY_GRACE_MS = 3000;
/**
 * How long an agent leg found talking to an adopted call waits for that call's flow to take
 * it back (the adopter reads the call's resume point first: milliseconds, seconds under load)
 * before it is hung up like any orphan.
 */
const LEG_CLAIM_MS = 15_000;
/**
 * How long after its request a prompt that has not started is asked about. Asterisk can lose
 * a prompt played in the instant a bridge goes: play_uri (res_stasis_playback.c) queues it on
 * the bridge the channel's control still names, which the channel has left, and nothing plays
 * and no PlaybackFinished ever comes. Still `queued` by then, it is stopped and played again.
 */
const PLAYBACK_START_CHECK_MS = 1000;
/** The suffix of a prompt's id when it is played again. */
const AGAIN = '-again';
// AST_SOFTHANGUP_SHUTDOWN: the soft hang-up Asterisk gives every channel when it shuts down or
// restarts (ChannelHangupRequest's `cause` is this flag when `soft` is set, not a Q.850 cause).
export const SOFTHANGUP_SHUTDOWN = 4;
// After a shutdown signal, the events socket normally closes within a second or two; still
// open after this long, the shutdown was called off.
const SHUTDOWN_CALLED_OFF_MS = 30_000;
// A hang-up that failed is tried again after this, doubling up to the maximum.
const HANGUP_RETRY_MS = 1000;
const HANGUP_RETRY_MAX_MS = 30_000;
// A recording's audio may be megabytes: its own limit.
const DOWNLOAD_TIMEOUT_MS = 60_000;

function isGoneError(err: unknown): boolean {
  if (err instanceof AriStatusError) return err.status === 404 || GONE.test(err.detail);
  return err instanceof Error && GONE.test(err.message);
}

/** A channel this controller dialled: its events are held until `release()`. */
export interface DialledChannel {
  events: ChannelEvents;
  /** Call once every listener is attached: the held events are delivered, in order. */
  release(): void;
}

export type EndpointState = 'online' | 'offline' | 'unknown' | 'missing';

/** The adapter's two links to Asterisk; tests hand in scripted ones. */
export interface AriLinks {
  socket: EventEmitter<EventSocketEvents> & { start(): void; stop(): void; readonly connected: boolean };
  /** The one transport REST requests take (no probing). */
  transport: AriTransport;
}

export interface AriAdapterOptions {
  clock?: Clock;
  /** Scripted links for tests; by default the events socket and the transports chosen at connect. */
  links?: AriLinks;
  /** Where every request's round trip is timed (issue 12: shedding on ARI latency). */
  latency?: RequestLatency;
}

export class AriAdapter extends EventEmitter<AdapterEvents> {
  private readonly socket: AriLinks['socket'];
  /** A scripted transport (tests): always used. */
  private readonly fixed: AriTransport | undefined;
  private readonly ws: WebSocketTransport | undefined;
  private readonly http: HttpTransport | undefined;
  /** The transport chosen for the current connection; undefined while it is being chosen. */
  private transport: AriTransport | undefined;
  private readonly requester: AriRequester;
  private readonly clock: Clock;
  /** Set by what says Asterisk is going away; cleared when the events socket opens again. */
  private down: 'asterisk-shutting-down' | 'application-replaced' | undefined;
  private everOpened = false;
  /** Counts connections: a probe that outlives its connection decides nothing. */
  private connection = 0;
  private readonly channels = new Map<string, ChannelEvents>();
  /** Per channel in the app: aborted when it leaves (or the adapter stops), so requests about it end at once. */
  private readonly channelLife = new Map<string, { signal: AbortSignal; abort(reason?: unknown): void }>();
  /** Hang-ups that failed, waiting to be tried again. */
  private readonly hangupRetries = new Map<string, TimerHandle>();
  private readonly ending = new Set<string>();
  /** Channels this controller dialled (agent and callback legs), by id assigned before the dial. */
  private readonly originated = new Map<string, DialledRole>();
  /** Dialled channels whose originate request has not been answered yet: Asterisk may not list them. */
  private readonly dialling = new Set<string>();
  /**
   * Issue 9: dialled legs sent into the answering-machine context. They leave the app
   * (StasisEnd) without ending and come back with AMD's verdict; the app stays subscribed to
   * them meanwhile, so their hang-up still arrives.
   */
  private readonly away = new Set<string>();
  /**
   * Agent legs found in a conversation with a call being adopted (reconcile), by channel id:
   * the owning call and the timer that hangs the leg up if the call's flow does not take it.
   */
  private readonly legsForAdopters = new Map<string, { owner: string; timer: TimerHandle }>();
  /** Issue 9: whether Asterisk runs app_amd, asked once per connection (undefined: not yet). */
  private amdModule: Promise<boolean> | undefined;
  /** Playback waiters, with the channel they play on: a channel that ends settles its waiters. */
  private readonly playbacks = new ChannelWaiters<PlaybackOutcome>();
  /** A prompt played again (see PLAYBACK_START_CHECK_MS): its first id → the id playing now. */
  private readonly replayed = new Map<string, string>();
  /** N14: recording waiters by name, with the channel recorded (none for a bridge's). */
  private readonly recordings = new ChannelWaiters<RecordingOutcome>();
  // Every request not about a channel and each ending channel's grace timer listen here while
  // they last: their number follows the load, not a leak, and Node's warning at the 11th would be
  // noise. The live channels' lives are children through `lives` (one listener for all of them),
  // which keeps this list short: EventTarget walks it on every add and remove.
  private readonly stopController = (() => {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    return controller;
  })();
  /** Children of the stop signal, one per live channel. */
  private readonly lives = new ChildSignals(this.stopController.signal);
  /** Per reconcile in flight: the channels that left while its listing was on its way. */
  private readonly endedWhileListing = new Set<Set<string>>();

  constructor(
    private readonly settings: AriSettings,
    private readonly logger: Logger,
    options: AriAdapterOptions = {},
  ) {
    super();
    this.clock = options.clock ?? systemClock;
    if (options.links) {
      this.socket = options.links.socket;
      this.fixed = options.links.transport;
    } else {
      const socket = new EventSocket({ ...settings, logger, clock: this.clock });
      this.socket = socket;
      this.ws = new WebSocketTransport(socket);
      this.http = new HttpTransport({ ...settings, maxConnections: settings.httpMaxConnections ?? 50 });
    }
    this.requester = new AriRequester(
      { clock: this.clock, logger, timeoutMs: settings.requestTimeoutMs ?? 5000, latency: options.latency },
      // While the transport is being chosen, HTTP works with any Asterisk.
      () => this.fixed ?? this.transport ?? this.http!,
    );
    this.socket.on('event', (event) => this.onEvent(event));
    this.socket.on('open', () => this.onOpen());
    this.socket.on('close', () => {
      this.transport = undefined;
      this.emit('disconnected');
    });
  }

  /** Events flow, a transport is chosen, and nothing said Asterisk is going away. */
  get connected(): boolean {
    return this.health().up;
  }

  /** For /health: up or why not, the transport, and the requests in flight. */
  health(): AriHealth {
    const requests = this.requester.figures();
    const transport = this.fixed?.kind ?? this.transport?.kind;
    const at = (reason: AriDownReason): AriHealth => ({ up: false, reason, ...(transport ? { transport } : {}), requests });
    if (!this.socket.connected) return at(this.everOpened ? 'events-socket-closed' : 'not-connected');
    if (this.down) return at(this.down);
    if (!transport) return at('choosing-transport');
    return { up: true, transport, requests };
  }

  /**
   * Asterisk said it is shutting down or restarting (AMI's Shutdown, or the shutdown soft
   * hang-up of its channels): ARI is down from now until the events socket opens again.
   */
  asteriskShuttingDown(): void {
    if (this.down === 'asterisk-shutting-down') return;
    this.down = 'asterisk-shutting-down';
    this.logger.warn('Asterisk is shutting down: ARI counts as down until it is back');
    this.emit('disconnected');
    // A shutdown that never closes the socket was called off (`core abort shutdown`).
    const connection = this.connection;
    this.clock.timer(SHUTDOWN_CALLED_OFF_MS, this.stopController.signal, () => {
      if (this.down !== 'asterisk-shutting-down' || connection !== this.connection || !this.socket.connected) return;
      this.down = undefined;
      this.logger.info('Asterisk did not go away after all: ARI counts as up again');
    });
  }

  /** Opens the events socket (it keeps reconnecting while Asterisk is down). */
  start(): Promise<void> {
    if (!this.stopController.signal.aborted) this.socket.start();
    return Promise.resolve();
  }

  stop(): void {
    this.stopController.abort(new Error('the ARI adapter stopped'));
    this.socket.stop();
    this.http?.close();
    this.playbacks.settleAll('gone');
    this.recordings.settleAll({ state: 'gone' });
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
    return this.channelOp('ring', channelId, { method: 'POST', path: ariPath('channels', channelId, 'ring') });
  }

  answer(channelId: string): Promise<void> {
    return this.channelOp('answer', channelId, { method: 'POST', path: ariPath('channels', channelId, 'answer') });
  }

  /**
   * Hangs up a channel. A failure other than "gone" rejects, and the hang-up is tried again
   * (after 1 s, 2 s… up to 30 s apart) until it succeeds, the channel leaves or the adapter
   * stops: a call the controller gave up on must not stay in the application.
   */
  async hangup(channelId: string, reason = 'normal'): Promise<void> {
    try {
      await this.hangupOnce(channelId, reason);
    } catch (err) {
      if (!(err instanceof ChannelGoneError)) this.retryHangup(channelId, reason, HANGUP_RETRY_MS);
      throw err;
    }
  }

  /**
   * Issue 12: sends a channel on in the dialplan at a label of an extension (a shed caller to the
   * generated entry's apology). The channel leaves the app: StasisEnd follows.
   */
  async continueAt(channelId: string, target: { context: string; extension: string; label: string }): Promise<void> {
    const request: AriRequest = {
      method: 'POST',
      path: ariPath('channels', channelId, 'continue'),
      query: { context: target.context, extension: target.extension, label: target.label },
    };
    // Not bound to the channel's life in the app, unlike other channel requests: the StasisEnd
    // this request itself causes can come before its answer (158 of 924 shed callers at 100
    // calls/s in the load bench), and only the answer says whether the caller went on in the
    // dialplan (204) or had hung up first (404). The request's own timeout still bounds it.
    try {
      await this.request(request);
    } catch (err) {
      if (isGoneError(err)) throw new ChannelGoneError(channelId, 'continue', (err as Error).message);
      throw err;
    }
  }

  /**
   * Issue 9: sends an answered leg this controller dialled through AMD() (the generated
   * answering-machine context, amd-dialplan.ts): AMD()'s arguments and the leg's own Stasis
   * arguments go in two channel variables, then the leg continues in the dialplan. It leaves
   * the app without ending here, and its 'answered' event comes again, with AMD's verdict in
   * the arguments; a hang-up during AMD ends it as usual. Rejects when the leg is gone.
   */
  async detectMachine(channelId: string, params: { amdArgs: string; role: DialledRole; owner: string }): Promise<void> {
    await Promise.all([
      this.setVar(channelId, AMD_PARAMS_VARIABLE, params.amdArgs),
      this.setVar(channelId, AMD_STASIS_VARIABLE, `${this.settings.app},${legArgs(params.role, params.owner)}`),
    ]);
    // Marked before the request: StasisEnd can arrive before its answer.
    this.away.add(channelId);
    try {
      await this.channelOp('continue', channelId, {
        method: 'POST',
        path: ariPath('channels', channelId, 'continue'),
        query: { context: AMD_CONTEXT, extension: AMD_EXTENSION, priority: 1 },
      });
    } catch (err) {
      this.away.delete(channelId);
      throw err;
    }
  }

  /**
   * Issue 9: whether Asterisk has AMD() (app_amd running), asked once per connection: a
   * dialplan application that is missing hangs up every callee sent to it. False when the
   * answer is "not loaded"; a request that fails otherwise counts as loaded for that dial, and
   * the question is asked again at the next one.
   */
  amdAvailable(): Promise<boolean> {
    this.amdModule ??= this.request({ method: 'GET', path: ariPath('asterisk', 'modules', 'app_amd.so') }).then(
      (module) => (module as { status?: string } | undefined)?.status !== 'Not Running',
      (err: unknown) => {
        if (err instanceof AriStatusError && err.status === 404) return false;
        this.amdModule = undefined;
        return true;
      },
    );
    return this.amdModule;
  }

  setVar(channelId: string, variable: string, value: string): Promise<void> {
    return this.channelOp('setVar', channelId, { method: 'POST', path: ariPath('channels', channelId, 'variable'), query: { variable, value } });
  }

  /**
   * Starts a playback and returns a promise of its outcome. The waiter is registered before
   * the request goes out, so a PlaybackFinished that beats the REST reply is not missed; it
   * settles 'gone' when the channel leaves, so a PlaybackFinished lost while the events socket
   * was down cannot hold a call (or an agent's whisper) until the other side hangs up.
   */
  /**
   * Plays media on a channel in the app; `finished` settles with the playback's end.
   * `checkStart`: the channel has just left a bridge, so the prompt may be lost in Asterisk
   * (see PLAYBACK_START_CHECK_MS); it is checked and played again if it was.
   */
  async play(channelId: string, media: string[], playbackId: string, options: { checkStart?: boolean } = {}): Promise<{ finished: Promise<PlaybackOutcome> }> {
    if (!this.channels.has(channelId)) throw new ChannelGoneError(channelId, 'play', 'not in the app');
    const finished = new Promise<PlaybackOutcome>((resolve) => this.playbacks.add(playbackId, channelId, resolve));
    try {
      await this.channelOp('play', channelId, { method: 'POST', path: ariPath('channels', channelId, 'play'), query: { media, playbackId } });
    } catch (err) {
      this.playbacks.delete(playbackId);
      throw err;
    }
    if (options.checkStart) {
      this.clock.timer(PLAYBACK_START_CHECK_MS, this.signalFor(channelId), () => void this.checkStarted(channelId, media, playbackId));
    }
    // Wrapped: an async function returning a bare promise would make the caller wait for the end.
    return { finished };
  }

  /**
   * A prompt that has not started a second after its request: when Asterisk still has it
   * `queued`, it is stopped and played again once, under a new id that the same waiter follows.
   * `queued` means the caller has heard nothing of it, so a channel that was only slow to start
   * it loses nothing either; one already `playing` (its PlaybackStarted late) is left alone.
   * Asked only for a prompt played just after its channel left a bridge: elsewhere `queued` for
   * a second is normal (behind a prompt an earlier controller started, seen after adoptions).
   */
  private async checkStarted(channelId: string, media: string[], playbackId: string): Promise<void> {
    const waiting = () => this.playbacks.channelOf(playbackId) !== undefined && !this.playbacks.isMarked(playbackId);
    if (!waiting()) return;
    const signal = this.signalFor(channelId);
    let state: string | undefined;
    try {
      state = ((await this.request({ method: 'GET', path: ariPath('playbacks', playbackId) }, signal)) as { state?: string }).state;
    } catch {
      return; // finished meanwhile (not found), or the channel left: its waiter settles as usual
    }
    if (state !== 'queued' || !waiting()) return;
    const again = `${playbackId}${AGAIN}`;
    this.logger.warn({ channelId, playbackId, media }, 'prompt never started (lost as a bridge went?): playing it again');
    this.playbacks.rename(playbackId, again);
    this.replayed.set(playbackId, again);
    try {
      await this.request({ method: 'DELETE', path: ariPath('playbacks', playbackId) }, signal).catch(() => undefined);
      await this.channelOp('play', channelId, { method: 'POST', path: ariPath('channels', channelId, 'play'), query: { media, playbackId: again } });
    } catch (err) {
      // The channel left, or Asterisk refused: the waiter ends now rather than never.
      this.logger.warn({ err, channelId, playbackId }, 'playing a lost prompt again failed');
      this.settlePlayback(again, isGoneError(err) ? 'gone' : 'failed');
    }
  }

  async stopPlayback(first: string): Promise<void> {
    // A prompt played again (checkStarted) is stopped under the id it plays under now.
    const playbackId = this.replayed.get(first) ?? first;
    // Ends with the playback's channel: once it has left there is nothing to stop.
    const signal = this.signalFor(this.playbacks.channelOf(playbackId));
    try {
      await this.request({ method: 'DELETE', path: ariPath('playbacks', playbackId) }, signal);
    } catch (err) {
      // Already finished, or its channel gone (or the adapter stopped): nothing left to stop.
      if (!isGoneError(err) && !signal.aborted) throw err;
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
    this.channelLife.set(params.channelId, this.lives.child());
    this.originated.set(params.channelId, params.role);
    this.dialling.add(params.channelId);
    try {
      // Not the leg's own signal: its end may come before this answer, and the caller of
      // originate learns it from the held events.
      await this.request({
        method: 'POST',
        path: 'channels',
        query: {
          endpoint: params.endpoint,
          channelId: params.channelId,
          app: this.settings.app,
          appArgs: legArgs(params.role, params.owner),
          callerId: params.callerId,
          timeout: params.timeoutS,
        },
      });
    } catch (err) {
      this.channels.delete(params.channelId);
      this.forgetLife(params.channelId);
      this.originated.delete(params.channelId);
      throw err;
    } finally {
      this.dialling.delete(params.channelId);
    }
    // Events that came while dialling (answer, busy, the end) wait for the caller's listeners.
    return { events, release: () => held.release() };
  }

  startMoh(channelId: string): Promise<void> {
    return this.channelOp('startMoh', channelId, { method: 'POST', path: ariPath('channels', channelId, 'moh'), query: { mohClass: 'default' } });
  }

  stopMoh(channelId: string): Promise<void> {
    return this.channelOp('stopMoh', channelId, { method: 'DELETE', path: ariPath('channels', channelId, 'moh') });
  }

  async createBridge(bridgeId: string): Promise<void> {
    await this.request({ method: 'POST', path: 'bridges', query: { type: 'mixing', bridgeId, name: bridgeId } });
  }

  addToBridge(bridgeId: string, channelId: string): Promise<void> {
    return this.channelOp('addToBridge', channelId, { method: 'POST', path: ariPath('bridges', bridgeId, 'addChannel'), query: { channel: channelId } });
  }

  async destroyBridge(bridgeId: string): Promise<void> {
    try {
      await this.request({ method: 'DELETE', path: ariPath('bridges', bridgeId) });
    } catch (err) {
      if (!isGoneError(err)) throw err;
    }
  }

  /** The channels in a bridge; null when there is no such bridge. */
  async bridgeChannels(bridgeId: string): Promise<string[] | null> {
    try {
      const bridge = (await this.request({ method: 'GET', path: ariPath('bridges', bridgeId) })) as { channels?: string[] };
      return bridge.channels ?? [];
    } catch (err) {
      if (isGoneError(err)) return null;
      throw err;
    }
  }

  /**
   * Hands an agent leg that was talking to an adopted call (found by reconcile) to that
   * call's flow: its events from now on, or undefined when there is no such leg for this
   * owner (never found, gone, or taken already). A leg not taken within LEG_CLAIM_MS is hung up.
   */
  takeAdoptedLeg(channelId: string, owner: string): ChannelEvents | undefined {
    const waiting = this.legsForAdopters.get(channelId);
    if (!waiting || waiting.owner !== owner) return undefined;
    waiting.timer.cancel();
    this.legsForAdopters.delete(channelId);
    // A leg leaving now (its end was told to nobody) is no conversation to go on with.
    return this.ending.has(channelId) ? undefined : this.channels.get(channelId);
  }

  /**
   * The adopted call `owner` will not take back these kept agent legs (all but `except`, the one
   * its conversation goes on with): they are hung up now, not after LEG_CLAIM_MS of silence.
   */
  endKeptLegs(owner: string, except?: string): void {
    for (const [channelId, kept] of this.legsForAdopters) {
      if (kept.owner !== owner || channelId === except) continue;
      kept.timer.cancel();
      this.legsForAdopters.delete(channelId);
      this.endOrphan(channelId, 'agent-leg');
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
    this.channelLife.set(snoopId, this.lives.child());
    this.originated.set(snoopId, 'snoop');
    this.dialling.add(snoopId);
    try {
      await this.channelOp('snoop', channelId, {
        method: 'POST',
        path: ariPath('channels', channelId, 'snoop'),
        query: { snoopId, spy: 'both', whisper: 'none', app: this.settings.app, appArgs: legArgs('snoop', owner) },
      });
    } catch (err) {
      this.channels.delete(snoopId);
      this.forgetLife(snoopId);
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
    const finished = new Promise<RecordingOutcome>((resolve) => this.recordings.add(params.name, channelId, resolve));
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
      if (channelId !== undefined) {
        await this.channelOp('record', channelId, { method: 'POST', path: ariPath('channels', channelId, 'record'), query: options });
      } else {
        await this.request({ method: 'POST', path: ariPath('bridges', (target as { bridgeId: string }).bridgeId, 'record'), query: options });
      }
    } catch (err) {
      this.recordings.delete(params.name);
      throw err;
    }
    return { finished };
  }

  /** N14: stops a live recording and keeps its file; one that has already ended is no error. */
  async stopRecording(name: string): Promise<void> {
    try {
      // Stopping twice is harmless: it may be tried again.
      await this.request({ method: 'POST', path: ariPath('recordings', 'live', name, 'stop') }, undefined, { retry: true });
    } catch (err) {
      if (!isGoneError(err)) throw err;
    }
  }

  /** N14: a stored recording as Asterisk knows it, or undefined when there is none by that name. */
  async storedRecording(name: string): Promise<{ name: string; format: string } | undefined> {
    try {
      return (await this.request({ method: 'GET', path: ariPath('recordings', 'stored', name) })) as { name: string; format: string };
    } catch (err) {
      if (isGoneError(err)) return undefined;
      throw err;
    }
  }

  /** N14: deletes a stored recording; false when Asterisk had none by that name. */
  async deleteStoredRecording(name: string): Promise<boolean> {
    try {
      await this.request({ method: 'DELETE', path: ariPath('recordings', 'stored', name) });
      return true;
    } catch (err) {
      if (isGoneError(err)) return false;
      throw err;
    }
  }

  /**
   * N14: a stored recording's audio (GET /recordings/stored/{name}/file, Asterisk 14+), or
   * undefined when there is none. Always over HTTP: the events socket carries text only
   * (Asterisk answers 406 there), and this body can be megabytes.
   */
  async storedRecordingFile(name: string): Promise<Buffer | undefined> {
    const http = this.http;
    if (!http) throw new Error('no HTTP link to Asterisk');
    const request: AriRequest = { method: 'GET', path: ariPath('recordings', 'stored', name, 'file') };
    const res = await this.requester.run(request, this.stopController.signal, { timeoutMs: DOWNLOAD_TIMEOUT_MS, measured: false }, (signal) => http.fetchBinary(request, signal));
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status >= 300) throw new AriStatusError(request, res.status, res.reason || 'error');
    return res.body;
  }

  /**
   * An endpoint's state as Asterisk sees it: 'online' when a contact is registered or reachable,
   * 'offline' when none is, 'missing' when Asterisk has no such endpoint (a typo in the config).
   */
  async endpointState(technology: string, resource: string): Promise<EndpointState> {
    try {
      const endpoint = (await this.request({ method: 'GET', path: ariPath('endpoints', technology, resource) })) as { state?: string };
      return endpoint.state === 'online' || endpoint.state === 'offline' ? endpoint.state : 'unknown';
    } catch (err) {
      if (isGoneError(err)) return 'missing';
      throw err;
    }
  }

  /**
   * Every channel Asterisk has. Over HTTP whatever the transport: Asterisk 22.10 writes a
   * WebSocket message into a buffer on its thread's stack (ast_websocket_write allocates the
   * whole frame with alloca), so a listing of a few thousand channels sent over the events socket
   * overflowed that stack and Asterisk died with a segfault in res_http_websocket.so (load bench,
   * 150 calls/s: the controller reconnected and reconciled with ~2,000 channels up).
   */
  async listChannels(): Promise<ChannelInfo[]> {
    return (await this.request({ method: 'GET', path: 'channels' }, undefined, this.http ? { transport: this.http } : undefined)) as ChannelInfo[];
  }

  /** A request for the service (not about one channel): it ends when the adapter stops. */
  private request(request: AriRequest, signal: AbortSignal = this.stopController.signal, options?: RequestOptions): Promise<unknown> {
    return this.requester.call(request, signal, options);
  }

  /** The signal of a channel in the app (aborted when it leaves), else the service's. */
  private signalFor(channelId: string | undefined): AbortSignal {
    return (channelId === undefined ? undefined : this.channelLife.get(channelId)?.signal) ?? this.stopController.signal;
  }

  /**
   * A request about one channel: it ends the moment the channel leaves the app, and "not
   * found" (or "not in Stasis") after a hang-up comes back as ChannelGoneError, a normal outcome.
   */
  private async channelOp(op: string, channelId: string, request: AriRequest, options?: RequestOptions): Promise<void> {
    const life = this.channelLife.get(channelId);
    const signal = life?.signal ?? this.stopController.signal;
    try {
      await this.requester.call(request, signal, options);
    } catch (err) {
      if (life?.signal.aborted && !this.stopController.signal.aborted) throw new ChannelGoneError(channelId, op, 'it left the application');
      if (isGoneError(err)) throw new ChannelGoneError(channelId, op, (err as Error).message);
      throw err;
    }
  }

  private hangupOnce(channelId: string, reason: string): Promise<void> {
    return this.channelOp('hangup', channelId, { method: 'DELETE', path: ariPath('channels', channelId), query: { reason } });
  }

  private retryHangup(channelId: string, reason: string, delayMs: number): void {
    if (!this.channels.has(channelId) || this.hangupRetries.has(channelId) || this.stopController.signal.aborted) return;
    this.logger.warn({ channelId, retryInMs: delayMs }, 'hang-up failed; trying again');
    const handle = this.clock.timer(delayMs, this.stopController.signal, () => {
      this.hangupRetries.delete(channelId);
      this.hangupOnce(channelId, reason).catch((err: unknown) => {
        if (!(err instanceof ChannelGoneError)) this.retryHangup(channelId, reason, Math.min(delayMs * 2, HANGUP_RETRY_MAX_MS));
      });
    });
    this.hangupRetries.set(channelId, handle);
  }

  /** A connection is open: choose how REST travels on it, then reconcile. */
  private onOpen(): void {
    const connection = ++this.connection;
    this.everOpened = true;
    this.down = undefined;
    // Another connection may be another Asterisk.
    this.amdModule = undefined;
    const mode = this.settings.transport ?? 'auto';
    if (this.fixed || mode !== 'auto') {
      this.transport = this.fixed ?? (mode === 'websocket' ? this.ws : this.http);
      this.connectedWith(this.transport!.kind);
      return;
    }
    this.transport = undefined;
    void this.probe(connection);
  }

  /**
   * Asks Asterisk for its version over the events socket: an answer means it takes REST there
   * (20.14 / 21.9 / 22.4 and later); silence (older versions ignore what clients send) means HTTP.
   */
  private async probe(connection: number): Promise<void> {
    const ws = this.ws!;
    const timeoutMs = this.settings.requestTimeoutMs ?? 5000;
    const wait = childSignal(this.stopController.signal);
    let timedOut = false;
    this.clock.timer(timeoutMs, wait.signal, () => {
      timedOut = true;
      wait.abort(new Error('no answer'));
    });
    let version: string | undefined;
    let chosen: AriTransport | undefined;
    try {
      const response = await ws.send({ method: 'GET', path: ariPath('asterisk', 'info'), query: { only: 'system' } }, wait.signal);
      chosen = ws;
      try {
        version = (JSON.parse(response.body) as { system?: { version?: string } }).system?.version;
      } catch {
        // An answer without a readable body still says the socket takes requests.
      }
    } catch (err) {
      // The socket closed meanwhile (the next connection probes again), or the adapter stopped.
      if (!timedOut) {
        if (!this.stopController.signal.aborted) this.logger.debug({ err: (err as Error).message }, 'ARI transport probe ended without an answer');
        return;
      }
      chosen = this.http;
    } finally {
      wait.abort();
    }
    if (connection !== this.connection || !this.socket.connected || !chosen) return;
    this.transport = chosen;
    if (chosen.kind === 'http') {
      this.logger.warn({ waitedMs: timeoutMs }, 'Asterisk does not take REST requests on the events socket (before 20.14 / 21.9 / 22.4?): using HTTP');
    }
    this.connectedWith(chosen.kind, version);
  }

  private connectedWith(transport: AriTransport['kind'], version?: string): void {
    this.logger.info({ transport, ...(version ? { asterisk: version } : {}) }, 'ARI REST transport chosen');
    this.emit('connected');
    this.reconcile().catch((err: unknown) => this.logger.error({ err }, 'reconcile after connect failed'));
  }

  private onEvent(event: AriEvent): void {
    const channel = event.channel;
    this.logger.trace({ type: event.type, channelId: channel?.id, cause: event.cause }, 'ARI event');
    switch (event.type) {
      case 'StasisStart':
        if (!channel) return;
        if (this.originated.has(channel.id)) {
          // A leg we dialled: its answer (or its return from AMD) goes to the call that is
          // ringing it, not to a new call.
          this.away.delete(channel.id);
          this.channels.get(channel.id)?.emit('answered', event.args ?? []);
        } else if (!this.channels.has(channel.id)) {
          const { role } = roleOf(event.args ?? []);
          // A leg dialled by a controller that is gone (its call with it): nobody will take it.
          if (role !== 'inbound') this.endOrphan(channel.id, role);
          else this.adopt(channel, false);
        }
        return;
      case 'StasisEnd':
        if (!channel) return;
        // Issue 9: gone into AMD(), not gone; its return or its destruction follows.
        if (this.away.has(channel.id)) return;
        this.noteEnded(channel.id);
        this.endChannel(channel.id, undefined, undefined);
        return;
      case 'ChannelDestroyed':
        if (!channel) return;
        this.noteEnded(channel.id);
        this.destroyed(channel.id, event.cause, event.cause_txt);
        return;
      case 'ChannelHangupRequest': {
        if (!channel) return;
        // A soft request's `cause` is Asterisk's reason flag, not a Q.850 cause.
        const soft = event.soft === true;
        if (soft && event.cause === SOFTHANGUP_SHUTDOWN) this.asteriskShuttingDown();
        this.channels.get(channel.id)?.emit('hangup-request', soft ? undefined : event.cause, soft, soft ? event.cause : undefined);
        return;
      }
      case 'ApplicationReplaced':
        // Another connection took the application: no event for it comes here any more.
        // Taking it back would only start a tug of war between two controllers.
        this.logger.error({ app: this.settings.app }, 'another connection took over the ARI application: this controller gets no calls');
        this.down = 'application-replaced';
        this.emit('disconnected');
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
      case 'PlaybackStarted':
        if (event.playback) this.playbacks.mark(event.playback.id);
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

  private adopt(channel: ChannelInfo, adopted: boolean, callback?: AdoptedCallback): void {
    this.follow(channel.id);
    if (callback) this.emit('call', channel, adopted, callback);
    else this.emit('call', channel, adopted);
  }

  /** A channel found in the app is followed from now on: its events, and requests that end with it. */
  private follow(channelId: string): void {
    this.channels.set(channelId, new EventEmitter());
    this.channelLife.set(channelId, this.lives.child());
  }

  private endChannel(channelId: string, cause: number | undefined, causeText: string | undefined): void {
    const events = this.channels.get(channelId);
    if (!events || this.ending.has(channelId)) return;
    this.ending.add(channelId);
    this.endRequestsOf(channelId);
    events.emit('end', cause, causeText);
    this.settlePlaybacksOf(channelId);
    // Keep the emitter a little longer so the hang-up cause from ChannelDestroyed reaches the call.
    this.clock.timer(DESTROY_GRACE_MS, this.stopController.signal, () => this.destroyed(channelId, undefined));
  }

  /** A channel left: its playbacks will never finish, and its recordings have ended. */
  private settlePlaybacksOf(channelId: string): void {
    this.playbacks.settleChannel(channelId, 'gone');
    // Prompts played again are rare: this map is almost always empty.
    for (const [first, again] of this.replayed) if (this.playbacks.channelOf(again) === undefined) this.replayed.delete(first);
    this.recordings.settleChannel(channelId, { state: 'gone' });
  }

  private settleRecording(recording: LiveRecordingInfo, failed: boolean): void {
    this.recordings.settle(recording.name, {
      state: failed || recording.state === 'failed' ? 'failed' : 'done',
      ...(typeof recording.duration === 'number' ? { durationS: recording.duration } : {}),
      ...(recording.cause ? { cause: recording.cause } : {}),
    });
  }

  /** Requests about a channel that has left end now; so does trying its hang-up again. */
  private endRequestsOf(channelId: string): void {
    this.channelLife.get(channelId)?.abort(new ChannelGoneError(channelId, 'request', 'it left the application'));
    this.hangupRetries.get(channelId)?.cancel();
    this.hangupRetries.delete(channelId);
  }

  /** Drops a channel's signal (aborted first: it stops listening to the service's). */
  private forgetLife(channelId: string): void {
    this.channelLife.get(channelId)?.abort();
    this.channelLife.delete(channelId);
  }

  /** Keeps an agent leg for its adopted call's flow for LEG_CLAIM_MS (see takeAdoptedLeg). */
  private keepForAdopter(channelId: string, owner: string): void {
    this.follow(channelId);
    this.originated.set(channelId, 'agent-leg');
    const timer = this.clock.timer(LEG_CLAIM_MS, this.stopController.signal, () => {
      if (!this.legsForAdopters.delete(channelId)) return;
      this.endOrphan(channelId, 'agent-leg');
    });
    this.legsForAdopters.set(channelId, { owner, timer });
    this.logger.info({ channelId, owner }, 'keeping an agent leg for its adopted call');
  }

  /** Hangs up a dialled leg that no call here owns (its controller stopped or lost it). */
  private endOrphan(channelId: string, role: ChannelRole): void {
    this.logger.warn({ channelId, role }, 'hanging up a dialled leg whose call is gone');
    this.request({ method: 'DELETE', path: ariPath('channels', channelId), query: { reason: 'normal' } }).catch((err: unknown) => {
      if (!isGoneError(err) && !this.stopController.signal.aborted) this.logger.warn({ err, channelId }, 'hanging up an orphaned leg failed');
    });
  }

  private destroyed(channelId: string, cause: number | undefined, causeText?: string): void {
    const events = this.channels.get(channelId);
    if (!events) return;
    this.endRequestsOf(channelId);
    if (!this.ending.has(channelId)) events.emit('end', cause, causeText);
    this.settlePlaybacksOf(channelId);
    this.channels.delete(channelId);
    this.forgetLife(channelId);
    this.ending.delete(channelId);
    this.originated.delete(channelId);
    this.away.delete(channelId);
    this.legsForAdopters.get(channelId)?.timer.cancel();
    this.legsForAdopters.delete(channelId);
    events.emit('destroyed', cause, causeText);
    events.removeAllListeners();
  }

  private settlePlayback(playbackId: string, outcome: PlaybackOutcome): void {
    this.playbacks.settle(playbackId, outcome);
    if (playbackId.endsWith(AGAIN)) this.replayed.delete(playbackId.slice(0, -AGAIN.length));
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
    const fresh = inApp.filter((c) => !this.channels.has(c.id) && !endedWhileListing.has(c.id));
    const calls = new Map<string, AdoptedCallback | undefined>();
    for (const channel of fresh) {
      const { role, owner } = roleOf(stasisArgs(channel.dialplan?.app_data).args);
      if (role === 'inbound') calls.set(channel.id, undefined);
      const callback = role === 'callback-leg' && channel.state === 'Up' ? callbackOf(owner) : undefined;
      if (callback !== undefined) calls.set(channel.id, { callback });
    }
    for (const channel of fresh) {
      // Inbound callers and answered callbacks' callees are adopted (their flow resumes). A
      // dialled leg that nobody here knows belonged to a call of the old connection. An
      // answered agent leg whose call is adopted now may be in a conversation with it: it is
      // kept for the call's flow to take back (takeAdoptedLeg; the conversation goes on), and
      // hung up if it does not. Any other is hung up: an agent's phone ringing for a caller who
      // is back in the flow, or a callee still ringing (the scheduler dials again by its rules).
      const { role, owner } = roleOf(stasisArgs(channel.dialplan?.app_data).args);
      if (role === 'agent-leg' && owner !== undefined && calls.has(owner) && channel.state === 'Up') {
        this.keepForAdopter(channel.id, owner);
        continue;
      }
      if (!calls.has(channel.id)) {
        this.endOrphan(channel.id, role);
        continue;
      }
      this.logger.info({ channelId: channel.id, state: channel.state, role }, 'adopting channel already in the app');
      this.adopt(channel, true, calls.get(channel.id));
    }
  }
}

/** The callback id a callee leg's owner names (`callback-<id>`, the scheduler's), if it does. */
function callbackOf(owner: string | undefined): number | undefined {
  const id = /^callback-(\d{1,15})$/.exec(owner ?? '')?.[1];
  return id === undefined ? undefined : Number(id);
}
