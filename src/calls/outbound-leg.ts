// One outbound leg: "dial this endpoint for this call" turned into a typed outcome. Agent legs
// (N6 transfers) and callback legs (N8) use it. Asterisk owns the ring timeout (the
// originate timeout, in whole seconds); the leg is originated into the app under an id chosen
// here with its role and owning call as Stasis arguments, and its events are held until every
// listener is on, so a phone that is busy at once is not missed. The cause comes from ARI, or
// from AMI when ARI's ChannelDestroyed carries none. A guard timer ends a leg whose end never
// arrives. A dial whose owner goes away (the caller hung up) hangs the leg up and resolves only
// once the leg is gone: whoever frees the agent afterwards frees an agent with no phone ringing.
// Issue 9: a dial that asks for answering-machine detection sends the answered leg through
// AMD() (src/ari/amd-dialplan.ts) and resolves with its verdict; a callee who hangs up while
// AMD listens did not answer. What a verdict means is the caller's policy, not this module's.
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AmiEvents } from '../ami/ami-monitor.js';
import type { AriAdapter, ChannelEvents } from '../ari/ari-adapter.js';
import { amdVerdictOf, type AmdStatus } from '../ari/amd-dialplan.js';
import type { DialledRole } from '../ari/channel-role.js';
import { isChannelGone } from '../ari/types.js';
import { childSignal, type Clock } from '../clock/clock.js';
import { mediaFor } from '../prompts/media.js';
import type { Language } from '../prompts/language.js';
import type { BridgeLeg } from './call-port.js';

export type LegOutcome = 'answered' | 'no-answer' | 'busy' | 'unreachable' | 'failed';

// Q.850 causes. Asterisk 22.4 changed a dial timeout from 16 to 19, so "no answer" is read
// from the cause or, for a normal clearing, from having rung the whole time.
const BUSY = new Set([17, 21]);
const NO_ANSWER = new Set([18, 19]);
const UNREACHABLE = new Set([1, 3, 20, 27, 38]);

/** Past the ring budget, how long to wait for a leg's end before hanging it up ourselves. */
const LEG_GRACE_MS = 5000;
/** How long to wait for AMI's cause when ARI's ChannelDestroyed carried none. */
const CAUSE_WAIT_MS = 500;
/** How long a hang-up waits for the leg's channel to be gone. */
const GONE_WAIT_MS = 5000;
/** Past AMD's total analysis time, how long to wait for its verdict before hanging the leg up. */
const AMD_GRACE_MS = 5000;

export function classifyLeg(cause: number | undefined, ringMs: number, timeoutMs: number): LegOutcome {
  if (cause !== undefined && BUSY.has(cause)) return 'busy';
  if (cause !== undefined && NO_ANSWER.has(cause)) return 'no-answer';
  if (cause !== undefined && UNREACHABLE.has(cause)) return 'unreachable';
  if (ringMs >= timeoutMs - 250) return 'no-answer';
  return 'failed';
}

export interface DialParams {
  /** An Asterisk dial string: `PJSIP/1001`, `Local/1001@agents`, `PJSIP/138…@trunk`. */
  endpoint: string;
  callerId: string;
  /** Ring budget (N1); Asterisk rounds it up to whole seconds. */
  ringBudgetMs: number;
  role: DialledRole;
  /** The call that owns the leg. */
  owner: string;
  /** The owner's signal: when it aborts, the leg is hung up. */
  signal: AbortSignal;
  /**
   * The leg's channel id, when the caller must know it before the dial (N8: a callback's agent
   * is told the callee's call before the callee is dialled); default a fresh UUID.
   */
  channelId?: string;
  /** Issue 9: listen to the answered leg with AMD() before handing it out. */
  amd?: AmdRequest;
}

/** Issue 9: answering-machine detection of an answered leg. */
export interface AmdRequest {
  /** AMD()'s arguments, comma-separated (src/callbacks/answering-machine.ts). */
  args: string;
  /** AMD's total analysis time: its verdict is due by then (plus a grace). */
  totalMs: number;
}

/**
 * AMD's verdict on an answered leg. HANGUP: the callee hung up while AMD listened (the dial's
 * outcome is then 'no-answer'). UNAVAILABLE: Asterisk has no AMD() (app_amd not loaded), so the
 * leg was handed out as answered without detection.
 */
export interface AmdResult {
  status: AmdStatus | 'UNAVAILABLE';
  /** AMDCAUSE (e.g. `LONGGREETING-1500-1500`); '' when there is none. */
  cause: string;
  /** From the answer to the verdict: what a person who answered heard as silence. */
  analysisMs: number;
}

export interface DialResult {
  outcome: LegOutcome;
  /** From the dial to the answer or the end of ringing. */
  ringMs: number;
  cause?: number;
  channelId: string;
  /** The live leg, when answered. */
  leg?: AnsweredLeg;
  /** Issue 9: AMD's verdict, when the dial asked for detection and the leg was answered. */
  amd?: AmdResult;
}

/** An answered leg: what the owner may do with it until it is gone. */
export interface AnsweredLeg extends BridgeLeg {
  readonly channelId: string;
  /** True once the leg's channel has left the app. */
  readonly ended: boolean;
  /** Keys pressed on the leg since the answer, in order (taken by nextKey). */
  readonly keys: readonly string[];
  /** Plays prompts on the leg; false when the leg went away or the signal stopped it. */
  play(promptIds: readonly string[], language: Language, signal: AbortSignal): Promise<boolean>;
  /** The first key pressed since the answer, else the next one within timeoutMs; null on timeout or end. */
  nextKey(timeoutMs: number, signal: AbortSignal): Promise<string | null>;
  /** Hangs the leg up and resolves once its channel is gone (bounded); idempotent. */
  hangup(): Promise<void>;
  /** Hold music on the leg, or off; a leg that went away is no error. A prompt played on it stops the music. */
  music(on: boolean): Promise<void>;
}

export interface OutboundDialerDeps {
  ari: AriAdapter;
  clock: Clock;
  logger: Logger;
  /** AMI's hang-up causes: ARI's ChannelDestroyed for a leg can carry 0 (seen for "busy"). */
  causes?: EventEmitter<AmiEvents>;
  /** The service's signal: grace timers end with the controller. */
  signal: AbortSignal;
}

export class OutboundDialer {
  constructor(private readonly deps: OutboundDialerDeps) {}

  /**
   * An answered leg a controller before this one dialled, still talking to the call it is
   * handed back to after an adoption (AriAdapter.takeAdoptedLeg gave its events): the same
   * handle as a leg answered here.
   */
  adopt(channelId: string, events: ChannelEvents): AnsweredLeg {
    return new LiveLeg(channelId, events, this.deps);
  }

  async dial(params: DialParams): Promise<DialResult> {
    const { ari, clock, logger } = this.deps;
    const channelId = params.channelId ?? randomUUID();
    const started = clock.now();
    /** Set at the answer: the ring ended there, whatever AMD does afterwards. */
    let answeredAt: number | undefined;
    const result = (outcome: LegOutcome, cause?: number, leg?: AnsweredLeg, amd?: AmdResult): DialResult => ({
      outcome,
      ringMs: (answeredAt ?? clock.now()) - started,
      channelId,
      ...(cause === undefined ? {} : { cause }),
      ...(leg ? { leg } : {}),
      ...(amd ? { amd } : {}),
    });
    if (params.signal.aborted) return result('failed');
    // Issue 9: AMD where Asterisk has it, else what answers is "connected" (said in the result).
    let amd = params.amd;
    let unavailable = false;
    if (amd && !(await ari.amdAvailable())) {
      logger.warn({ channelId }, 'Asterisk has no AMD() (app_amd is not loaded): the callee counts as connected without detection');
      amd = undefined;
      unavailable = true;
    }
    if (params.signal.aborted) return result('failed');
    let dialled;
    try {
      dialled = await ari.originate({
        channelId,
        endpoint: params.endpoint,
        callerId: params.callerId,
        timeoutS: Math.max(1, Math.ceil(params.ringBudgetMs / 1000)),
        role: params.role,
        owner: params.owner,
      });
    } catch (err) {
      logger.warn({ err: (err as Error).message, endpoint: params.endpoint }, 'leg could not be dialled');
      return result('unreachable');
    }
    const { events } = dialled;
    const causes = this.deps.causes;
    // A Local or SIP leg may say "busy" only through its state or the hang-up request's cause:
    // the final ChannelDestroyed can carry 0.
    let signalled: number | undefined;
    const onState = (state: string) => {
      if (state === 'Busy') signalled = 17;
    };
    const onRequest = (cause: number | undefined) => {
      if (cause) signalled ??= cause;
    };
    const onAmiHangup = (uniqueId: string, cause: number) => {
      if (uniqueId === channelId) onRequest(cause);
    };
    events.on('state', onState);
    events.on('hangup-request', onRequest);
    causes?.on('hangup', onAmiHangup);
    // Ends the guard and the cause wait as soon as the dial has its outcome.
    const dialling = childSignal(this.deps.signal);

    return new Promise<DialResult>((resolve) => {
      let finished = false;
      const done = (outcome: DialResult) => {
        if (finished) return; // a late cause report after the outcome changes nothing
        finished = true;
        dialling.abort();
        events.off('state', onState);
        events.off('hangup-request', onRequest);
        causes?.off('hangup', onAmiHangup);
        events.off('answered', onAnswer);
        if (onVerdict) events.off('answered', onVerdict);
        if (onHungUp) events.off('destroyed', onHungUp);
        events.off('destroyed', onGone);
        params.signal.removeEventListener('abort', onOwnerGone);
        logger.debug({ channelId, outcome: outcome.outcome, cause: outcome.cause }, 'leg dial ended');
        resolve(outcome);
      };
      const onAnswer = () => {
        answeredAt = clock.now();
        // Everything the answered leg needs is attached in this same tick: no event is lost.
        const leg = new LiveLeg(channelId, events, this.deps);
        if (params.signal.aborted) {
          // The owner left in the same instant: the leg is not handed out, it is ended here.
          void leg.hangup().then(() => done(result('failed')));
          return;
        }
        if (amd) {
          detect(leg, amd);
          return;
        }
        const skipped = unavailable ? { status: 'UNAVAILABLE' as const, cause: '', analysisMs: 0 } : undefined;
        done(result('answered', undefined, leg, skipped));
      };
      // Issue 9: the answered leg goes through AMD(); its return into the app carries the verdict.
      let onVerdict: ((args: string[]) => void) | undefined;
      let onHungUp: (() => void) | undefined;
      const detect = (leg: LiveLeg, request: AmdRequest) => {
        const analysed = () => clock.now() - answeredAt!;
        ringGuard.cancel();
        events.off('destroyed', onGone);
        // A callee who hangs up while AMD listens never comes back: that is no answer.
        onHungUp = () => done(result('no-answer', undefined, undefined, { status: 'HANGUP', cause: '', analysisMs: analysed() }));
        onVerdict = (args: string[]) => {
          events.off('destroyed', onHungUp!);
          const verdict = amdVerdictOf(args) ?? { status: 'NOTSURE' as const, cause: '' };
          const amdResult: AmdResult = { ...verdict, analysisMs: analysed() };
          logger.debug({ channelId, ...amdResult }, 'answering-machine verdict');
          if (verdict.status === 'HANGUP' || params.signal.aborted) {
            const outcome = verdict.status === 'HANGUP' ? 'no-answer' : 'failed';
            void leg.hangup().then(() => done(result(outcome, undefined, undefined, amdResult)));
            return;
          }
          done(result('answered', undefined, leg, amdResult));
        };
        events.once('destroyed', onHungUp);
        events.once('answered', onVerdict);
        // AMD decides within its total analysis time; a verdict that never comes (the events
        // socket was down when the leg came back) must not hold the callback forever.
        clock.timer(request.totalMs + AMD_GRACE_MS, dialling.signal, () => {
          logger.warn({ channelId }, 'no answering-machine verdict in time; hanging the leg up');
          events.off('destroyed', onHungUp!);
          events.off('answered', onVerdict!);
          void leg.hangup().then(() => done(result('failed')));
        });
        ari.detectMachine(channelId, { amdArgs: request.args, role: params.role, owner: params.owner }).catch((err: unknown) => {
          if (isChannelGone(err)) return; // hung up already: its end resolves the dial
          logger.warn({ err: (err as Error).message, channelId }, 'the leg could not be sent to AMD(); hanging it up');
          events.off('destroyed', onHungUp!);
          events.off('answered', onVerdict!);
          void leg.hangup().then(() => done(result('failed')));
        });
      };
      const onGone = (destroyedCause: number | undefined) => {
        const settle = () => {
          const cause = destroyedCause || signalled || destroyedCause;
          const ended = result('failed', cause);
          done({ ...ended, outcome: classifyLeg(cause, ended.ringMs, params.ringBudgetMs) });
        };
        if (destroyedCause || signalled || !causes) {
          settle();
          return;
        }
        // No cause yet: AMI's Hangup event for the leg usually follows within milliseconds.
        const early = (uniqueId: string) => {
          if (uniqueId !== channelId) return;
          causes.off('hangup', early);
          wait.cancel();
          // After onAmiHangup (registered earlier) has noted the cause.
          queueMicrotask(settle);
        };
        const wait = clock.timer(CAUSE_WAIT_MS, dialling.signal, () => {
          causes.off('hangup', early);
          settle();
        });
        causes.on('hangup', early);
      };
      const hangUpThen = (outcome: () => DialResult, why: string) => {
        logger.debug({ channelId, why }, 'hanging up a ringing leg');
        void hangUpUntilGone(this.deps, channelId, events, true).then(() => done(outcome()));
      };
      const onOwnerGone = () => {
        // The owner (the caller) left while this leg rang (or AMD listened to it): stop it, and
        // say so only once the leg is gone.
        events.off('answered', onAnswer);
        if (onVerdict) events.off('answered', onVerdict);
        if (onHungUp) events.off('destroyed', onHungUp);
        events.off('destroyed', onGone);
        const at = result('failed');
        hangUpThen(() => at, 'owner gone');
      };
      // Asterisk owns the ring timeout, but a leg whose end never reaches us (seen with a
      // dialplan that indicated busy and kept the line) must not hold the caller forever.
      const ringGuard = clock.timer(params.ringBudgetMs + LEG_GRACE_MS, dialling.signal, () => {
        logger.warn({ channelId }, 'leg did not end after its ring budget; hanging it up');
        events.off('answered', onAnswer);
        events.off('destroyed', onGone);
        const at = result('failed');
        hangUpThen(() => at, 'guard');
      });
      events.once('answered', onAnswer);
      events.once('destroyed', onGone);
      if (params.signal.aborted) onOwnerGone();
      else params.signal.addEventListener('abort', onOwnerGone, { once: true });
      // Every listener is on: what happened while dialling (a busy phone's end) comes now.
      dialled.release();
    });
  }
}

/**
 * Hangs the leg up (when `hangUp`) and resolves once its channel is destroyed (the adapter
 * forgets it), or after GONE_WAIT_MS; never rejects. Whoever frees the agent after this frees
 * an agent whose phone is quiet.
 */
async function hangUpUntilGone(deps: OutboundDialerDeps, channelId: string, events: ChannelEvents, hangUp: boolean): Promise<void> {
  if (hangUp) {
    try {
      await deps.ari.hangup(channelId);
    } catch (err) {
      if (!isChannelGone(err)) deps.logger.warn({ err, channelId }, 'hanging up a leg failed');
    }
  }
  await waitGone(deps.ari, channelId, events, deps.clock, deps.signal);
}

/** Resolves once the channel is destroyed (the adapter forgets it), or after GONE_WAIT_MS. */
function waitGone(ari: AriAdapter, channelId: string, events: ChannelEvents, clock: Clock, service: AbortSignal): Promise<void> {
  if (ari.events(channelId) === undefined) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const bound = childSignal(service);
    const finish = () => {
      bound.abort();
      events.off('destroyed', finish);
      resolve();
    };
    events.once('destroyed', finish);
    clock.timer(GONE_WAIT_MS, bound.signal, finish);
  });
}

class LiveLeg implements AnsweredLeg {
  readonly gone: Promise<void>;
  readonly keys: string[] = [];
  private left = false;
  private hangingUp: Promise<void> | undefined;

  constructor(
    readonly channelId: string,
    private readonly events: ChannelEvents,
    private readonly deps: OutboundDialerDeps,
  ) {
    events.on('dtmf', (digit) => this.keys.push(digit));
    this.gone = new Promise<void>((resolve) => {
      events.once('end', () => {
        this.left = true;
        resolve();
      });
    });
  }

  get ended(): boolean {
    return this.left;
  }

  async play(promptIds: readonly string[], language: Language, signal: AbortSignal): Promise<boolean> {
    if (this.left || signal.aborted) return false;
    const { ari } = this.deps;
    const playbackId = randomUUID();
    const stop = () => {
      ari.stopPlayback(playbackId).catch((err: unknown) => this.deps.logger.warn({ err }, 'stopping a prompt on a leg failed'));
    };
    signal.addEventListener('abort', stop, { once: true });
    try {
      const { finished } = await ari.play(this.channelId, promptIds.map((p) => mediaFor(p, language)), playbackId);
      const outcome = await finished;
      return outcome !== 'gone' && outcome !== 'stopped' && !this.left;
    } catch (err) {
      if (isChannelGone(err)) return false;
      throw err;
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  nextKey(timeoutMs: number, signal: AbortSignal): Promise<string | null> {
    const waiting = this.keys.shift();
    if (waiting !== undefined) return Promise.resolve(waiting);
    if (this.left || signal.aborted) return Promise.resolve(null);
    return new Promise<string | null>((resolve) => {
      const wait = childSignal(signal);
      const finish = (key: string | null) => {
        wait.abort();
        this.events.off('dtmf', onKey);
        this.events.off('end', onEnd);
        signal.removeEventListener('abort', onEnd);
        resolve(key);
      };
      // Registered after the collector: the key is already in `keys` when this runs.
      const onKey = () => finish(this.keys.shift() ?? null);
      const onEnd = () => finish(null);
      this.events.on('dtmf', onKey);
      this.events.once('end', onEnd);
      signal.addEventListener('abort', onEnd, { once: true });
      this.deps.clock.timer(timeoutMs, wait.signal, () => finish(null));
    });
  }

  hangup(): Promise<void> {
    this.hangingUp ??= this.hangupOnce();
    return this.hangingUp;
  }

  async music(on: boolean): Promise<void> {
    if (this.left) return;
    try {
      await (on ? this.deps.ari.startMoh(this.channelId) : this.deps.ari.stopMoh(this.channelId));
    } catch (err) {
      if (!isChannelGone(err)) throw err;
    }
  }

  // Free only once gone: an agent is not offered a new call while this one still rings or talks.
  private hangupOnce(): Promise<void> {
    return hangUpUntilGone(this.deps, this.channelId, this.events, !this.left);
  }
}
