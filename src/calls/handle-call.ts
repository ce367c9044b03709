// From StasisStart to the last row: builds the call's session, runs its flow, and always
// finishes the record (hang-up side, cause, outcome) whatever way the call ended.
import type { Logger } from 'pino';
import type { AgentDesk } from '../agents/agent-desk.js';
import type { CallbackStore } from '../callbacks/callback-store.js';
import type { HoursService } from '../calendar/hours-service.js';
import type { AriAdapter } from '../ari/ari-adapter.js';
import { isChannelGone, type ChannelInfo } from '../ari/types.js';
import type { Clock } from '../clock/clock.js';
import type { FlowContext } from '../flow/context.js';
import { runFlow } from '../flow/run-flow.js';
import type { Flow } from '../flow/schema.js';
import type { Services } from '../flow/services.js';
import { dayStart } from '../calendar/local-time.js';
import type { CallerHistory } from '../store/caller-history.js';
import type { EventData, EventType, Recorder } from '../store/events.js';
import type { ResumePoints } from '../store/resume-points.js';
import type { TicketStore } from '../tickets/ticket-store.js';
import type { SurveyStore } from '../surveys/survey-store.js';
import { closeLeftRecordings, resumeRecordings, type Recordings } from '../recording/call-recording.js';
import type { RecordingRow } from '../recording/recording-store.js';
import type { BlacklistStore } from '../blacklist/blacklist-store.js';
import { refuseCall, screenCall } from '../blacklist/screen-call.js';
import { createCallFacts, type CallbackCall, type CallDirection } from './call-facts.js';
import { CallSession } from './call-session.js';
import { carryFacts, resumeAdopted } from './resume.js';
import { isDropped, recoverDroppedCall } from '../callbacks/dropped-call.js';
import type { CallRegistry } from './call-registry.js';
import type { Admission, Ticket } from '../overload/admission.js';
import { shedCall } from '../overload/shed-call.js';

export interface CallHandlerDeps {
  ari: AriAdapter;
  recorder: Recorder;
  registry: CallRegistry;
  /** The flow in force now; a call keeps the flow it started with across reloads. */
  currentFlow: () => Flow;
  clock: Clock;
  logger: Logger;
  /** The service's signal: waits after a call (its hang-up cause) end when the controller stops. */
  signal: AbortSignal;
  agents?: AgentDesk;
  callbacks?: CallbackStore;
  callerHistory?: CallerHistory;
  surveys?: SurveyStore;
  tickets?: TicketStore;
  /** N14: call recordings (the record step and the transfer's bridge). */
  recordings?: Recordings;
  /** N15: the service hours the `hours` verb branches on. */
  hours?: HoursService;
  /** N11: inbound callers are screened against it before the flow; without it nobody is. */
  blacklist?: BlacklistStore;
  /** Issue 12: admits or sheds new inbound callers before the flow; without it every caller is taken. */
  admission?: Admission;
  /** Where adopted calls were in their flow (written through the recorder); without it they start over. */
  resumePoints?: ResumePoints;
}

/** How a call enters the flow. */
export interface CallStart {
  /** Taken over from an earlier controller (it was already in the application). */
  adopted: boolean;
  /** inbound (default): a caller dialled the hotline; outbound: the hotline dialled out. */
  direction?: CallDirection;
  /** The step the flow starts at; default the flow's start. */
  startAt?: string;
  /** N8: the call is a scheduled callback (outbound), with its reserved agent. */
  callback?: CallbackCall;
}

export type CallHandler = (channel: ChannelInfo, start: CallStart) => Promise<void>;

// How long to wait after the flow for the channel's end and a hang-up cause that ARI did not
// carry (AMI's Hangup follows a plain BYE within milliseconds).
const CAUSE_WAIT_MS = 500;

/**
 * Before an adopted call's flow: a bridge the old controller left it in goes, so the caller hears
 * the flow and a transfer can bridge it again under the same id; unless the caller was talking
 * to an agent, whose leg the transfer step resumed at takes back (the conversation goes on). A
 * call resumed past its answer step gets what that step gives an answered call: voice heard
 * from here on (N3), in the flow.
 */
async function adoptInFlow(call: CallSession, resumed: boolean, talking: boolean): Promise<void> {
  if (!call.answered) return;
  // A conversation with an agent goes on in its bridge: the transfer step resumed at decides.
  if (!talking) await call.leaveStaleBridge();
  if (!resumed) return;
  await call.detectTalk();
  call.enter('in-flow');
}

export function createCallHandler(deps: CallHandlerDeps): CallHandler {
  // One read-only bundle for every call; the flow was checked against it at load.
  const services: Readonly<Services> = Object.freeze({
    agents: deps.agents,
    callbacks: deps.callbacks,
    tickets: deps.tickets,
    callerHistory: deps.callerHistory,
    surveys: deps.surveys,
    hours: deps.hours,
    recordings: deps.recordings,
  });
  return (channel, start) => handleCall(deps, services, channel, start);
}

async function handleCall(
  deps: CallHandlerDeps,
  services: Readonly<Services>,
  channel: ChannelInfo,
  { adopted, direction = 'inbound', startAt, callback }: CallStart,
): Promise<void> {
  const { ari, recorder, registry, clock } = deps;
  const events = ari.events(channel.id);
  if (!events || registry.has(channel.id)) return;
  const flow = deps.currentFlow();
  // The other party: the caller ID inbound; outbound, the line the hotline dialled (Asterisk's
  // connected line), else the channel's caller ID.
  const caller = (direction === 'outbound' ? channel.connected?.number : undefined) || (channel.caller?.number ?? '');
  const logger = deps.logger.child({ callId: channel.id, caller });
  const { callerHistory } = services;
  const facts = createCallFacts({
    ...(callback ? { callback } : {}),
    direction,
    caller,
    // N18: a callback speaks the language of the call that asked for it.
    language: callback?.language ?? flow.hotline.language,
    // Asked once per call, when a verb first needs it (repeat-caller, then the whisper).
    lookupEarlier: callerHistory
      ? () =>
          callerHistory.earlierToday(caller, dayStart(new Date(call.createdAt), flow.hotline.timezone), {
            id: call.id,
            startedAt: call.createdAt,
          })
      : undefined,
  });
  const call = new CallSession({ ari, events, channel, facts, clock, logger, voice: flow.voice });
  registry.add(call);
  recorder.callStarted({
    id: call.id,
    channelId: channel.id,
    caller: call.caller,
    called: call.called,
    startedAt: call.createdAt,
    flowVersion: flow.version?.id ?? null,
  });
  // N12 reads this, written at once: a repeat caller is found even while the recorder's rows
  // for this call are still buffered.
  callerHistory?.noteCall({ id: call.id, caller: call.caller, startedAt: call.createdAt });
  const record = <T extends EventType>(type: T, data: EventData[T]) => {
    recorder.event(call.id, type, data, clock.now());
    // The calls row carries the answer figures too, so reports need no event scan.
    if (type === 'call.answered') {
      const { delayMs } = data as EventData['call.answered'];
      recorder.callAnswered(call.id, clock.now(), delayMs);
    }
  };
  let stepNow: string | undefined;
  const saveResumePoint = () => {
    if (stepNow !== undefined) recorder.callStep(call.id, stepNow, carryFacts(facts));
  };
  const ctx: FlowContext = { call, flow, clock, logger, record, facts, services, saveResumePoint };
  logger.info({ called: call.called, adopted, direction }, 'call started');
  // Adopted after a crash or a restart: back to the step the call was in, with its facts.
  // Starting over is at startAt when given (an adopted callback's entry), else the flow's start.
  const resume = adopted ? await resumeAdopted(deps.resumePoints, call, { start: startAt ?? flow.start, steps: flow.steps }, logger) : undefined;
  if (resume) {
    // An agent leg kept for this call that no conversation of it goes on with (an agent still
    // hearing the whisper, or waiting on hold music for a callee) is hung up now.
    ari.endKeptLegs(call.id, facts.talking?.leg);
    const { resumedAt, reason, recorded } = resume;
    record('call.adopted', {
      state: channel.state, resumedAt, ...(reason === undefined ? {} : { reason }), ...(recorded === undefined ? {} : { recorded }),
    });
  }
  // Logged once, by the controller that dialled it (not again by one that adopted the callee).
  if (callback && !adopted) {
    record('callback.started', {
      id: callback.id, attempt: callback.attempt, reason: callback.reason, group: callback.group, agent: callback.claim.agentId,
    });
  }

  let outcome = 'completed';
  let ticket: Ticket | undefined;
  /** N14: recordings an earlier controller left open, closed once this call has ended. */
  let leftRecordings: RecordingRow[] = [];
  try {
    // An outbound call (a callback) starts answered at callbacks.entry, with no answer step to
    // move it on: it is in the flow from here (a transfer from 'answered' is not a transition).
    if (direction === 'outbound' && call.answered) call.enter('in-flow');
    // N9: the callback of a dropped call begins with the apology.
    if (callback?.reason === 'dropped' && !adopted) await call.play(['dropped.apology']);
    // N11: a caller the blacklist refuses hears the refusal instead of the flow.
    const refusal = direction === 'inbound' && deps.blacklist ? screenCall(ctx, deps.blacklist, { adopted }) : undefined;
    if (refusal) outcome = 'blacklisted';
    // Issue 12: a new caller past the capacity, or while this controller lags, is shed before
    // its flow. Calls in progress (adopted) and the hotline's own callbacks are counted, never shed.
    const { admission } = deps;
    const admit = refusal || !admission ? undefined : admission.admit(direction === 'inbound' && !adopted ? 'new' : 'kept');
    if (admit?.admitted) ticket = admit.ticket;
    if (admission && admit && !admit.admitted) {
      outcome = 'shed';
      const { handedBack } = await shedCall(ctx, call, admit.shed, admission);
      if (!handedBack) await call.hangup();
    } else {
      if (refusal) {
        await refuseCall(ctx, refusal);
      } else {
        if (adopted) {
          await adoptInFlow(call, Boolean(resume?.resumedAt), facts.talking !== undefined);
          leftRecordings = await resumeRecordings(ctx);
        }
        await runFlow(ctx, resume?.startAt ?? startAt ?? flow.start, {
          // Each step entered is the call's resume point; the recorder writes it with its batch.
          onStep: (stepId) => {
            stepNow = stepId;
            saveResumePoint();
          },
          resumed: Boolean(resume?.resumedAt),
        });
      }
      await call.hangup();
    }
  } catch (err) {
    if (call.detached) {
      outcome = 'detached';
    } else if (call.signal.aborted || isChannelGone(err)) {
      // A refused caller who hangs up during the refusal stays 'blacklisted' (N11), a shed one 'shed'.
      if (outcome !== 'blacklisted' && outcome !== 'shed') outcome = 'abandoned';
    } else {
      outcome = 'failed';
      logger.error({ err }, 'flow failed');
      record('flow.error', { message: (err as Error).message });
      await call.hangup().catch((e: unknown) => logger.warn({ err: e }, 'hang-up after a failure failed'));
    }
  } finally {
    // A callee who hung up before reaching the reserved agent frees it (no-op once released).
    await callback?.releaseAgent().catch((err: unknown) => logger.warn({ err }, 'freeing the reserved agent failed'));
    ticket?.release();
    // Not when the call goes on under the next controller: its adopter closes them.
    if (leftRecordings.length > 0 && outcome !== 'detached') await closeLeftRecordings(ctx, leftRecordings);
    if (outcome === 'detached') {
      // The call goes on under the next controller, which adopts it and finishes its record.
      record('call.detached', {});
      logger.info('call left to the next controller');
    } else if (call.handedBack) {
      // Issue 12: shed to the entry dialplan's apology; the rest of the call is Asterisk's.
      recorder.callEnded(call.id, {
        endedAt: clock.now(),
        hangupBy: 'unknown',
        hangupCause: null,
        outcome,
        maxGapMs: null,
        maxDeadAirMs: null,
      });
      logger.info({ outcome }, 'call handed back to the dialplan');
    } else {
      const silence = call.silence();
      // Who hung up and why, as Asterisk reported it (a caller's plain BYE: 16, by the caller).
      const { by, cause, causeText, shutdown } = await call.hangupOutcome(CAUSE_WAIT_MS, deps.signal);
      record('call.hangup', {
        by,
        ...(cause === undefined ? {} : { cause }),
        ...(causeText === undefined ? {} : { causeText }),
        ...(shutdown ? { shutdown } : {}),
      });
      const endedIn = call.endedIn ?? call.lifecycle.state;
      if (isDropped({ by, cause, endedIn }) && cause !== undefined) {
        // N9: dropped while waiting for or talking to an agent: call back at once, with an apology.
        const row = services.callbacks
          ? recoverDroppedCall({ callId: call.id, facts, endedIn, by, cause, now: clock.now() }, services.callbacks, flow.callbacks.allowedPatterns)
          : undefined;
        record('call.dropped', { state: endedIn, cause, callback: row?.id ?? null });
        if (row) record('callback.requested', { id: row.id, number: row.number, reason: row.reason, promisedBy: row.promisedBy });
      }
      if (silence) {
        const budgetMs = flow.deadAirBudgetMs;
        record('call.silence', { ...silence, budgetMs, withinBudget: silence.maxDeadAirMs <= budgetMs });
      }
      recorder.callEnded(call.id, {
        endedAt: clock.now(),
        hangupBy: by,
        hangupCause: cause ?? null,
        outcome,
        maxGapMs: silence?.maxGapMs ?? null,
        maxDeadAirMs: silence?.maxDeadAirMs ?? null,
      });
      logger.info({ outcome, by, cause }, 'call ended');
    }
    registry.remove(call.id);
  }
}
