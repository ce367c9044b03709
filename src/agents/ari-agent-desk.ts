// The AgentDesk on a real Asterisk: agent legs are originated into the app with Asterisk owning
// the ring timeout, and end as a typed outcome; the bridge is a mixing bridge per call.
import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AmiEvents } from '../ami/ami-monitor.js';
import type { AriAdapter, ChannelEvents, DialledChannel } from '../ari/ari-adapter.js';
import { isChannelGone } from '../ari/types.js';
import type { Language } from '../flow/schema.js';
import { mediaFor } from '../prompts/media.js';
import type { AgentDesk, AgentLeg, Candidates, LegOutcome, OfferInfo } from './agent-desk.js';
import type { AgentNotifier } from './agent-notifier.js';
import { AgentPoolError, type Agent, type AgentPool } from './agent-pool.js';
import { checkReachability } from './endpoint-reachability.js';

// Q.850 causes. Asterisk 22.4 changed a dial timeout from 16 to 19, so "no answer" is read
// from the cause or, for a normal clearing, from having rung the whole time.
const BUSY = new Set([17, 21]);
const NO_ANSWER = new Set([18, 19]);
const UNREACHABLE = new Set([1, 3, 20, 27, 38]);

const LEG_GRACE_MS = 5000;
const CAUSE_WAIT_MS = 500;

export function classifyLeg(cause: number | undefined, ringMs: number, timeoutMs: number): LegOutcome {
  if (cause !== undefined && BUSY.has(cause)) return 'busy';
  if (cause !== undefined && NO_ANSWER.has(cause)) return 'no-answer';
  if (cause !== undefined && UNREACHABLE.has(cause)) return 'unreachable';
  if (ringMs >= timeoutMs - 250) return 'no-answer';
  return 'failed';
}

export class AriAgentDesk implements AgentDesk {
  private readonly legs = new Map<string, ChannelEvents>();
  /** Keys an answered agent pressed, from the answer on: a 1 during the whisper accepts too. */
  private readonly pressed = new Map<string, { keys: string[]; collect: (digit: string) => void }>();

  constructor(
    private readonly ari: AriAdapter,
    private readonly pool: AgentPool,
    private readonly notifier: AgentNotifier,
    private readonly logger: Logger,
    /** AMI's hang-up causes: ARI's ChannelDestroyed for a leg can carry 0 (seen for "busy"). */
    private readonly causes?: EventEmitter<AmiEvents>,
  ) {}

  async candidates(group: string): Promise<Candidates> {
    let available: Agent[];
    try {
      available = this.pool.candidates(group);
    } catch (err) {
      // A call that started before a reload may name a group the reload removed: nobody to ring.
      if (err instanceof AgentPoolError && err.code === 'group-not-found') return { agents: [], unreachable: [] };
      throw err;
    }
    const { reachable, unreachable } = await checkReachability(
      available,
      (technology, resource) => this.ari.endpointState(technology, resource),
      (err, agent) => this.logger.warn({ err: (err as Error).message, agent: agent.id }, 'endpoint state unknown; ringing anyway'),
    );
    return { agents: reachable, unreachable };
  }

  async ring(agent: Agent, offer: OfferInfo, timeoutMs: number, signal: AbortSignal): Promise<AgentLeg> {
    const channelId = randomUUID();
    const started = Date.now();
    const leg = (outcome: LegOutcome, cause?: number): AgentLeg => ({
      agent, outcome, ringMs: Date.now() - started, cause, channelId,
    });
    if (!this.pool.claim(agent.id)) return leg('busy');
    let dialled: DialledChannel;
    try {
      dialled = await this.ari.originate({
        channelId,
        endpoint: agent.endpoint,
        callerId: offer.caller,
        timeoutS: Math.max(1, Math.ceil(timeoutMs / 1000)),
        appArgs: `agent,${offer.callId}`,
      });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, agent: agent.id }, 'agent leg could not be dialled');
      this.pool.markFree(agent.id, { answered: false });
      return leg('unreachable');
    }
    const { events } = dialled;
    this.legs.set(channelId, events);
    this.logger.debug({ agent: agent.id, channelId }, 'agent leg ringing');
    this.notifier.offer(agent.id, offer);
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
    this.causes?.on('hangup', onAmiHangup);
    return new Promise<AgentLeg>((resolve) => {
      let finished = false;
      const done = (result: AgentLeg) => {
        if (finished) return; // a late cause report after the outcome changes nothing
        finished = true;
        clearTimeout(guard);
        events.off('state', onState);
        events.off('hangup-request', onRequest);
        this.causes?.off('hangup', onAmiHangup);
        this.logger.debug({ agent: agent.id, outcome: result.outcome, cause: result.cause }, 'agent leg ended');
        events.off('answered', onAnswer);
        events.off('destroyed', onGone);
        signal.removeEventListener('abort', onCallerGone);
        if (result.outcome !== 'answered') {
          this.legs.delete(channelId);
          this.pool.markFree(agent.id, { answered: false });
          this.notifier.ended(agent.id, offer.callId);
        }
        resolve(result);
      };
      const onAnswer = () => {
        const keys: string[] = [];
        const collect = (digit: string) => keys.push(digit);
        events.on('dtmf', collect);
        this.pressed.set(channelId, { keys, collect });
        done(leg('answered'));
      };
      const onGone = (destroyedCause: number | undefined) => {
        const settle = () => {
          const cause = destroyedCause || signalled || destroyedCause;
          const result = leg('failed', cause);
          done({ ...result, outcome: classifyLeg(cause, result.ringMs, timeoutMs) });
        };
        if (destroyedCause || signalled || !this.causes) {
          settle();
          return;
        }
        // No cause yet: AMI's Hangup event for the leg usually follows within milliseconds.
        const wait = setTimeout(settle, CAUSE_WAIT_MS);
        const early = (uniqueId: string) => {
          if (uniqueId !== channelId) return;
          clearTimeout(wait);
          this.causes?.off('hangup', early);
          setImmediate(settle); // after onAmiHangup has noted the cause
        };
        this.causes.on('hangup', early);
        setTimeout(() => this.causes?.off('hangup', early), CAUSE_WAIT_MS).unref();
      };
      const onCallerGone = () => {
        // The caller hung up while this agent rang: stop the ringing now.
        this.ari.hangup(channelId).catch((err: unknown) => {
          if (!isChannelGone(err)) this.logger.warn({ err }, 'cancelling an agent leg failed');
        });
        done(leg('failed'));
      };
      // Asterisk owns the ring timeout, but a leg whose end never reaches us (seen with a
      // dialplan that indicated busy and kept the line) must not hold the caller forever.
      const guard = setTimeout(() => {
        this.logger.warn({ agent: agent.id, channelId }, 'agent leg did not end after its ring budget; hanging it up');
        this.ari.hangup(channelId).catch(() => undefined);
        done(leg('failed'));
      }, timeoutMs + LEG_GRACE_MS);
      events.once('answered', onAnswer);
      events.once('destroyed', onGone);
      if (signal.aborted) onCallerGone();
      else signal.addEventListener('abort', onCallerGone, { once: true });
      // Every listener is on: what happened while dialling (a busy phone's end) comes now.
      dialled.release();
    });
  }

  async whisper(leg: AgentLeg, prompts: string[], language: Language, signal: AbortSignal): Promise<boolean> {
    const playbackId = randomUUID();
    const stop = () => {
      this.ari.stopPlayback(playbackId).catch(() => undefined);
    };
    signal.addEventListener('abort', stop, { once: true });
    try {
      const { finished } = await this.ari.play(leg.channelId, prompts.map((p) => mediaFor(p, language)), playbackId);
      const outcome = await finished;
      return outcome !== 'gone' && outcome !== 'stopped' && this.legs.has(leg.channelId);
    } catch (err) {
      if (isChannelGone(err)) return false;
      throw err;
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  async awaitAccept(leg: AgentLeg, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    const events = this.legs.get(leg.channelId);
    if (!events || signal.aborted) return false;
    // The agent may answer the question before the whisper has finished asking it.
    const early = this.pressed.get(leg.channelId)?.keys[0];
    if (early !== undefined) return early === '1';
    return new Promise<boolean>((resolve) => {
      const finish = (accepted: boolean) => {
        clearTimeout(timer);
        events.off('dtmf', onKey);
        events.off('end', onEnd);
        signal.removeEventListener('abort', onEnd);
        resolve(accepted);
      };
      const onKey = (digit: string) => finish(digit === '1');
      const onEnd = () => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      events.on('dtmf', onKey);
      events.once('end', onEnd);
      signal.addEventListener('abort', onEnd, { once: true });
    });
  }

  async connect(callId: string, leg: AgentLeg, signal: AbortSignal): Promise<'caller' | 'agent'> {
    const events = this.legs.get(leg.channelId);
    if (!events) return 'agent';
    const bridgeId = `call-${callId}`;
    await this.ari.createBridge(bridgeId);
    try {
      await this.ari.addToBridge(bridgeId, callId);
      await this.ari.addToBridge(bridgeId, leg.channelId);
      this.notifier.connected(leg.agent.id, callId);
      return await new Promise<'caller' | 'agent'>((resolve) => {
        const finish = (who: 'caller' | 'agent') => {
          events.off('end', onAgentGone);
          signal.removeEventListener('abort', onCallerGone);
          resolve(who);
        };
        const onAgentGone = () => finish('agent');
        const onCallerGone = () => finish('caller');
        events.once('end', onAgentGone);
        if (signal.aborted) onCallerGone();
        else signal.addEventListener('abort', onCallerGone, { once: true });
      });
    } finally {
      await this.ari.destroyBridge(bridgeId);
    }
  }

  async release(leg: AgentLeg, callId: string, talked: boolean): Promise<void> {
    const pressed = this.pressed.get(leg.channelId);
    if (pressed) {
      this.legs.get(leg.channelId)?.off('dtmf', pressed.collect);
      this.pressed.delete(leg.channelId);
    }
    if (this.legs.delete(leg.channelId)) {
      await this.ari.hangup(leg.channelId).catch((err: unknown) => {
        if (!isChannelGone(err)) this.logger.warn({ err }, 'hanging up an agent leg failed');
      });
    }
    // Wrap-up and the longest-idle clock are for calls the agent took, not ones declined.
    this.pool.markFree(leg.agent.id, { answered: talked });
    this.notifier.ended(leg.agent.id, callId);
  }

  async startMusic(callId: string): Promise<void> {
    await this.ari.startMoh(callId);
  }

  async stopMusic(callId: string): Promise<void> {
    try {
      await this.ari.stopMoh(callId);
    } catch (err) {
      if (!isChannelGone(err)) throw err;
    }
  }
}
