// The call event catalogue: every event type a call can log, the SPEC rule it proves, and the
// shape of its data. The rule is derived from the type, so a verb cannot log the wrong rule id.

export type RuleId = `N${number}`;

export interface EventData {
  'call.ringing': { cadenceOnMs: number; cadenceOffMs: number; answerAfterRings: number };
  'call.answered': { delayMs: number; targetMs: number; rings: number; withinBudget: boolean };
  'call.answer-breach': { delayMs: number; limitMs: number };
  'call.adopted': {
    state: string;
    /** The step the flow resumed at; null: it started over at the flow's start, for `reason`. */
    resumedAt: string | null;
    reason?: AdoptedAtStartReason;
    /** The step the call was in, when it could not be resumed there (unknown-step, unreadable). */
    recorded?: string;
  };
  'call.detached': { step?: string };
  'call.shed': {
    reason: 'capacity' | 'event-loop' | 'ari-latency';
    liveCalls: number;
    maxCalls: number;
    loopDelayMs: number;
    maxLoopDelayMs: number;
    /** ARI's last-window p99 round trip, or its oldest unanswered request's age when longer. */
    ariLatencyMs: number;
    maxAriLatencyMs: number;
    /** dialplan: handed back to the entry's apology; callback: the controller takes a number; controller: its own apology. */
    route: 'dialplan' | 'callback' | 'controller';
  };
  'greeting.played': { variant: string; holiday: boolean; weekend: boolean; prompts: string[]; interrupted: boolean };
  'prompt.played': { prompts: string[]; interrupted: boolean };
  'menu.prompted': { step: string; prompt: string; attempt: number };
  'menu.choice': { step: string; digit: string; target: string; typeAhead: boolean };
  'menu.invalid': { step: string; digit: string; count: number; tries: number };
  'menu.no-input': { step: string; count: number; tries: number };
  'menu.fallback': { step: string; reason: 'invalid' | 'no-input'; target: string };
  'silent.attempt': { step: string; attempt: number; prompt: string; startedAt: number; endedAt: number; interrupted: boolean };
  'silent.ended': { step: string; by: 'voice' | 'dtmf'; attempt: number };
  'silent.goodbye': { step: string; startedAt: number; endedAt: number };
  'silent.gave-up': { step: string; target: string };
  'goodbye.played': { variant: string; prompts: string[]; startedAt: number; endedAt: number };
  'linger.prompted': { n: number; prompt: string; startedAt: number; endedAt: number };
  'linger.resumed': { by: 'voice' | 'dtmf'; n: number; target: string };
  'linger.expired': { waits: number };
  'transfer.started': { step: string; group: string; candidates: string[]; unreachable: Array<{ agent: string; state: string }> };
  'transfer.leg': { agent: string; workNumber: string; outcome: string; ringMs: number; limitMs: number; cause?: number };
  'transfer.whisper': { agent: string; prompts: string[]; accepted: boolean };
  'transfer.bridged': { group: string; agent: string; workNumber: string };
  'transfer.ended': { agent: string; by: 'caller' | 'agent' };
  /**
   * Adopted after a controller restart in a conversation with `agent`: 'talking', it went on
   * (the leg was taken back; transfer.ended follows); 'over', it had ended during the restart
   * and the transfer step runs again.
   */
  'transfer.resumed': { agent: string; step: string; outcome: 'talking' | 'over' };
  'transfer.failed': { step: string; group: string; keyPath: string[] | null; prompts: string[] };
  'queue.joined': { step: string; group: string; position: number; waiting: number; callback?: number; requestedAt?: number };
  'queue.reassured': { step: string; group: string; n: number; waitedMs: number; startedAt: number; endedAt: number; interrupted: boolean };
  'queue.offered': { step: string; group: string; n: number; waitedMs: number; startedAt: number; key: string | null };
  'queue.served': { step: string; group: string; agent: string; waitedMs: number };
  'queue.position': { step: string; group: string; position: number; ahead: number; waitedMs: number; startedAt: number; interrupted: boolean };
  'queue.left': { step: string; group: string; reason: 'served' | 'callback' | 'timeout' | 'full' | 'hangup'; waitedMs: number };
  'callback.readback': { number: string; source: 'caller-id' | 'keyed'; attempt: number };
  'callback.refused': { number: string; reason: string };
  'callback.requested': { id: number; number: string; reason: string; promisedBy: number };
  'callback.abandoned': { tries: number };
  'callback.attempt': {
    id: number;
    attempt: number;
    agent: string;
    /** answered, no-answer, busy, unreachable, failed; issue 9: machine, not-sure (an answered callee retried by the policy). */
    outcome: string;
    ringMs: number;
    dueAt: number;
    lateMs: number;
    /** Issue 9: AMD's verdict on the answered callee (status, AMDCAUSE, analysis time from the answer), when detection ran or was asked for. */
    amd?: { status: string; cause: string; analysisMs: number };
  };
  'callback.expired': { id: number; attempts: number; promisedBy: number; outcome: string | null };
  'callback.started': { id: number; attempt: number; reason: string; group: string; agent: string };
  'callback.whisper': { id: number; agent: string; prompts: string[]; heard: boolean };
  'call.dropped': { state: string; cause: number; callback: number | null };
  'callback.cancelled': { id: number; reason: string };
  'callback.rescheduled': { id: number; hour: number; dueAt: number; promisedBy: number; attempt: number };
  'callback.declined': { id: number; tries: number; keys: string[] };
  'callback.deferred': { id: number; dueAt: number; promisedBy: number; closedMs: number };
  'hours.checked': { step: string; state: 'open' | 'closed' | 'holiday'; reason: string; override: number | null; opensAt: number | null };
  'survey.rated': { step: string; rating: number; agent: string | null; group: string | null; ticket: string | null; attempt: number };
  'survey.abandoned': { step: string; tries: number; keys: string[] };
  'revisit.scheduled': { ticket: string; callback: number; resolvedAt: number; dueAt: number; promisedBy: number; reason: string };
  'revisit.skipped': { ticket: string; reason: string };
  'recording.announced': { step: string; prompt: string; declineKey: string | null; interrupted: boolean };
  'recording.declined': { step: string; key: string };
  'recording.started': { id: number; name: string; mode: 'call' | 'agent'; who: 'caller' | 'caller+agent'; agent: string | null };
  'recording.stopped': { id: number; name: string; status: 'done' | 'failed'; durationMs: number | null; bytes: number | null; cause?: string };
  'recording.failed': { name: string; mode: 'call' | 'agent'; message: string };
  'recording.deleted': { id: number; name: string; reason: string; by: string; file: 'deleted' | 'missing' };
  'language.chosen': { step: string; language: string; previous: string; by: 'country-code' | 'key' | 'kept'; key: string | null; countryCode: string | null };
  'language.kept': { step: string; language: string; typeAhead: boolean };
  'repeat.checked': { step: string; earlierCalls: number; group: string | null; target: string | null };
  'repeat.routed': { step: string; group: string; target: string };
  'repeat.declined': { step: string; digit: string | null };
  'ticket.created': { step: string; number: string; group: string | null };
  'ticket.read': { step: string; number: string; reads: number; complete: boolean };
  'ticket.lookup': { step: string; number: string; found: boolean; status: string | null; attempt: number };
  'blacklist.matched': { entry: number | null; kind: 'exact' | 'pattern' | 'anonymous'; value: string; reason: string; source: 'list' | 'flow'; prompt: string };
  'blacklist.auto-added': { entry: number; calls: number; limit: number; withinMinutes: number; blockMinutes: number; expiresAt: number };
  'wrong-number.played': { step: string; prompts: string[] };
  'call.silence': { maxGapMs: number; maxDeadAirMs: number; budgetMs: number; withinBudget: boolean };
  /** by: the caller (a BYE) or the system (this controller, or Asterisk shutting down: shutdown). */
  'call.hangup': { by: 'caller' | 'system'; cause?: number; causeText?: string; step?: string; shutdown?: boolean };
  'flow.error': { step?: string; message: string };
}

export type EventType = keyof EventData;

/**
 * Why an adopted call starts its flow over: no resume point was written (the crash came before
 * the first batch, or the call never entered a flow), its step is not in the flow now (the flow
 * changed), the call was not answered yet (nothing was heard but ringback), the stored point
 * could not be read or its facts not understood.
 */
export type AdoptedAtStartReason = 'no-resume-point' | 'unknown-step' | 'not-answered' | 'unreadable';

export const EVENT_RULES: { [T in EventType]: RuleId | null } = {
  'call.ringing': 'N1',
  'call.answered': 'N1',
  'call.answer-breach': 'N1',
  'call.adopted': 'N14',
  'call.detached': 'N14',
  // Issue 12: a caller the controller did not take is still answered inside the ring budget.
  'call.shed': 'N1',
  'greeting.played': 'N2',
  'prompt.played': null,
  'menu.prompted': 'N4',
  'menu.choice': 'N4',
  'menu.invalid': 'N4',
  'menu.no-input': 'N4',
  'menu.fallback': 'N4',
  'silent.attempt': 'N3',
  'silent.ended': 'N3',
  'silent.goodbye': 'N3',
  'silent.gave-up': 'N3',
  'goodbye.played': 'N10',
  'linger.prompted': 'N10',
  'linger.resumed': 'N10',
  'linger.expired': 'N10',
  'call.silence': 'N5',
  'callback.readback': 'N7',
  'callback.refused': 'N7',
  'callback.requested': 'N7',
  'callback.abandoned': 'N7',
  'callback.attempt': 'N8',
  'callback.expired': 'N8',
  'callback.started': 'N8',
  'callback.whisper': 'N8',
  'call.dropped': 'N9',
  'callback.cancelled': 'N8',
  'callback.rescheduled': 'N8',
  'callback.declined': 'N8',
  'callback.deferred': 'N8',
  'hours.checked': 'N15',
  'survey.rated': 'N16',
  'survey.abandoned': 'N16',
  'revisit.scheduled': 'N16',
  'revisit.skipped': 'N16',
  'recording.announced': 'N14',
  'recording.declined': 'N14',
  'recording.started': 'N14',
  'recording.stopped': 'N14',
  'recording.failed': 'N14',
  'recording.deleted': 'N14',
  'transfer.started': 'N6',
  'transfer.leg': 'N1',
  'transfer.whisper': 'N6',
  'transfer.bridged': 'N6',
  'transfer.ended': 'N6',
  'transfer.resumed': 'N14',
  'transfer.failed': 'N6',
  'queue.joined': 'N5',
  'queue.reassured': 'N5',
  'queue.offered': 'N5',
  'queue.served': 'N5',
  'queue.position': 'N5',
  'queue.left': 'N5',
  'language.chosen': 'N18',
  'language.kept': 'N18',
  'repeat.checked': 'N12',
  'repeat.routed': 'N12',
  'repeat.declined': 'N12',
  'ticket.created': 'N13',
  'ticket.read': 'N13',
  'ticket.lookup': 'N13',
  'blacklist.matched': 'N11',
  'blacklist.auto-added': 'N11',
  'wrong-number.played': 'N11',
  'call.hangup': 'N10',
  'flow.error': 'N14',
};

export interface CallStart {
  id: string;
  channelId: string;
  caller: string;
  called: string;
  startedAt: number;
  /** The flow version the call runs (flow_versions.id); null or absent when not recorded. */
  flowVersion?: number | null;
}

export interface CallEnd {
  endedAt: number;
  hangupBy: 'caller' | 'system' | 'unknown';
  hangupCause: number | null;
  outcome: string;
  /** N5: longest stretch without audio, listening windows included (null: never answered). */
  maxGapMs: number | null;
  /** N5: longest silence outside the listening windows the flow declares. */
  maxDeadAirMs: number | null;
}

/**
 * The audit trail writer. Methods never throw into a call: a store failure is logged by the
 * implementation and the call goes on. Rows are buffered and written in batched transactions;
 * flush() writes what is buffered now (called at call end and on shutdown).
 */
export interface Recorder {
  callStarted(call: CallStart): void;
  callAnswered(callId: string, answeredAt: number, delayMs: number): void;
  callEnded(callId: string, end: CallEnd): void;
  event<T extends EventType>(callId: string, type: T, data: EventData[T], ts?: number): void;
  /**
   * The call entered `step`: its resume point, with the facts a resumed step needs (stored as
   * JSON; pass a fresh object, it is serialised when written). An adopted call resumes there.
   */
  callStep(callId: string, step: string, facts: Readonly<Record<string, unknown>>): void;
  flush(): void;
  close(): void;
}
