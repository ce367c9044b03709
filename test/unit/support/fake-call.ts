// A CallPort for unit tests, driven by vitest fake timers (call vi.useFakeTimers() first).
// It mirrors CallSession (src/calls/call-session.ts):
//  - every key goes to the type-ahead buffer, whatever is going on;
//  - play with bargeIn returns { interrupted: true } at once when keys are waiting, without
//    playing; a key during a bargeIn playback stops it ({ interrupted: true }) and stays buffered;
//    a key during a playback without bargeIn is only buffered;
//  - nextDigit returns a waiting key at once, else the next key pressed, or null after timeoutMs;
//  - the caller hanging up aborts the signal with Error('call ended'): pending plays and waits
//    reject with that reason, and so does any later play or nextDigit;
//  - hangup() from the system side after the caller left does nothing.
// Each prompt id plays for a configurable duration of fake time (default 2000 ms).
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { vi } from 'vitest';
import type { CallPort, PlayOptions, PlayResult } from '../../../src/calls/call-port.js';
import type { Clock, FlowContext } from '../../../src/flow/context.js';
import { parseFlow } from '../../../src/flow/load-flow.js';
import type { Flow, Language } from '../../../src/flow/schema.js';
import { loadCatalogue } from '../../../src/prompts/catalogue.js';
import type { EventData, EventType } from '../../../src/store/events.js';

export const DEFAULT_PROMPT_MS = 2000;

interface Timed {
  /** Fake epoch ms when it happened. */
  at: number;
  /** Fake ms since the FakeCall was made (the test's t=0). */
  t: number;
}

export interface PlayAction extends Timed {
  kind: 'play';
  prompts: string[];
  bargeIn: boolean;
  /** Not played at all: bargeIn with keys already waiting. */
  skipped: boolean;
  /** Set when the play settles. */
  endT?: number;
  interrupted?: boolean;
  aborted?: boolean;
}

export type CallAction =
  | (Timed & { kind: 'ring' })
  | (Timed & { kind: 'answer' })
  | (Timed & { kind: 'hangup' })
  | PlayAction;

export interface DigitWait extends Timed {
  timeoutMs: number;
  /** The key returned, null on timeout; undefined while pending or when aborted. */
  result?: string | null;
  endT?: number;
}

export interface FakeCallOptions {
  id?: string;
  caller?: string;
  language?: Language;
  /** Epoch ms when "Asterisk created the channel"; default: now (fake time). */
  createdAt?: number;
  /** Starts answered (an adopted call). */
  answered?: boolean;
  /** Play time per prompt id, in ms. */
  durations?: Record<string, number>;
  defaultDurationMs?: number;
}

type DigitListener = (digit: string) => void;

export class FakeCall implements CallPort {
  readonly id: string;
  readonly caller: string;
  readonly language: Language;
  readonly createdAt: number;
  /** Fake epoch ms when this call object was made: t=0 of the recorded times. */
  readonly startedAt: number;
  readonly actions: CallAction[] = [];
  readonly waits: DigitWait[] = [];
  /** Keys pressed, with when. */
  readonly keys: Array<Timed & { digit: string }> = [];
  hungUpBySystem = false;
  private isAnswered: boolean;
  private readonly controller = new AbortController();
  private readonly digits: string[] = [];
  private readonly listeners = new Set<DigitListener>();
  private readonly durations: Record<string, number>;
  private readonly defaultDurationMs: number;

  constructor(options: FakeCallOptions = {}) {
    this.startedAt = Date.now();
    this.id = options.id ?? 'call-1';
    this.caller = options.caller ?? '13800138000';
    this.language = options.language ?? 'zh-CN';
    this.createdAt = options.createdAt ?? this.startedAt;
    this.isAnswered = options.answered ?? false;
    this.durations = { ...options.durations };
    this.defaultDurationMs = options.defaultDurationMs ?? DEFAULT_PROMPT_MS;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get answered(): boolean {
    return this.isAnswered;
  }

  /** Fake ms since this call was made. */
  now(): number {
    return Date.now() - this.startedAt;
  }

  durationOf(promptIds: readonly string[]): number {
    return promptIds.reduce((sum, id) => sum + (this.durations[id] ?? this.defaultDurationMs), 0);
  }

  async ring(): Promise<void> {
    this.signal.throwIfAborted();
    this.actions.push({ kind: 'ring', ...this.stamp() });
    await Promise.resolve();
  }

  async answer(): Promise<void> {
    this.signal.throwIfAborted();
    this.actions.push({ kind: 'answer', ...this.stamp() });
    this.isAnswered = true;
    await Promise.resolve();
  }

  async hangup(): Promise<void> {
    if (this.signal.aborted) return;
    this.hungUpBySystem = true;
    this.actions.push({ kind: 'hangup', ...this.stamp() });
    await Promise.resolve();
  }

  hasTypeAhead(): boolean {
    return this.digits.length > 0;
  }

  play(promptIds: readonly string[], options: PlayOptions = {}): Promise<PlayResult> {
    this.signal.throwIfAborted();
    const bargeIn = options.bargeIn ?? false;
    const action: PlayAction = { kind: 'play', ...this.stamp(), prompts: [...promptIds], bargeIn, skipped: false };
    this.actions.push(action);
    if (bargeIn && this.hasTypeAhead()) {
      action.skipped = true;
      action.interrupted = true;
      action.endT = action.t;
      return Promise.resolve({ interrupted: true });
    }
    return new Promise<PlayResult>((resolve, reject) => {
      const signal = this.signal;
      const settle = () => {
        clearTimeout(timer);
        this.listeners.delete(onDigit);
        signal.removeEventListener('abort', onAbort);
        action.endT = this.now();
      };
      const onDigit: DigitListener = () => {
        settle();
        action.interrupted = true;
        resolve({ interrupted: true });
      };
      const onAbort = () => {
        settle();
        action.aborted = true;
        reject(signal.reason as Error);
      };
      const timer = setTimeout(() => {
        settle();
        action.interrupted = false;
        resolve({ interrupted: false });
      }, this.durationOf(promptIds));
      if (bargeIn) this.listeners.add(onDigit);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  nextDigit(timeoutMs: number): Promise<string | null> {
    this.signal.throwIfAborted();
    const wait: DigitWait = { ...this.stamp(), timeoutMs };
    this.waits.push(wait);
    const waiting = this.digits.shift();
    if (waiting !== undefined) {
      wait.result = waiting;
      wait.endT = wait.t;
      return Promise.resolve(waiting);
    }
    return new Promise<string | null>((resolve, reject) => {
      const signal = this.signal;
      const settle = (result: string | null | undefined) => {
        clearTimeout(timer);
        this.listeners.delete(onDigit);
        signal.removeEventListener('abort', onAbort);
        wait.result = result;
        wait.endT = this.now();
      };
      const onDigit: DigitListener = () => {
        const digit = this.digits.shift() ?? null;
        settle(digit);
        resolve(digit);
      };
      const onAbort = () => {
        settle(undefined);
        reject(signal.reason as Error);
      };
      const timer = setTimeout(() => {
        settle(null);
        resolve(null);
      }, timeoutMs);
      this.listeners.add(onDigit);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ---- the caller's side ----

  /** The caller presses a key: it is buffered, then wakes a waiting nextDigit or a bargeIn play. */
  press(digit: string): void {
    if (this.signal.aborted) throw new Error('press() after the caller hung up');
    this.keys.push({ digit, ...this.stamp() });
    this.digits.push(digit);
    for (const listener of [...this.listeners]) listener(digit);
  }

  /** The caller hangs up: the channel leaves the app and the call's signal aborts. */
  callerHangsUp(): void {
    this.controller.abort(new Error('call ended'));
  }

  // ---- views for assertions ----

  kinds(): string[] {
    return this.actions.map((a) => a.kind);
  }

  plays(): PlayAction[] {
    return this.actions.filter((a): a is PlayAction => a.kind === 'play');
  }

  /** The first action of a kind; throws when there is none. */
  first<K extends CallAction['kind']>(kind: K): Extract<CallAction, { kind: K }> {
    const found = this.actions.find((a) => a.kind === kind);
    if (!found) throw new Error(`no '${kind}' action; actions: ${this.kinds().join(', ')}`);
    return found as Extract<CallAction, { kind: K }>;
  }

  private stamp(): Timed {
    const at = Date.now();
    return { at, t: at - this.startedAt };
  }
}

// ---- flow context ----

export interface RecordedEvent<T extends EventType = EventType> {
  type: T;
  data: EventData[T];
  /** Fake epoch ms. */
  ts: number;
}

/** Any recorded event, with its data typed by its type. */
export type AnyRecordedEvent = { [T in EventType]: RecordedEvent<T> }[EventType];

export interface TestContext extends FlowContext {
  events: AnyRecordedEvent[];
  /** Event types in order. */
  types(): EventType[];
  /** Data of every event of a type, in order. */
  dataOf<T extends EventType>(type: T): Array<EventData[T]>;
}

/** An AbortError as node:timers/promises rejects with (name AbortError, the reason as cause). */
function abortError(signal: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  return Object.assign(err, { code: 'ABORT_ERR' });
}

/**
 * The clock of src/flow/clock.ts on fake time. node:timers/promises is not faked by
 * vi.useFakeTimers(), so sleep is built on the (faked) global setTimeout with the same
 * contract: resolves after ms, rejects with an AbortError when the signal aborts.
 */
export const fakeClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortError(signal));
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortError(signal));
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    }),
};

export function makeContext(flow: Flow, call: CallPort): TestContext {
  const events: AnyRecordedEvent[] = [];
  return {
    call,
    flow,
    clock: fakeClock,
    logger: pino({ level: 'silent' }),
    record(type, data) {
      events.push({ type, data, ts: Date.now() } as AnyRecordedEvent);
    },
    events,
    types: () => events.map((e) => e.type),
    dataOf: <T extends EventType>(type: T) =>
      events.filter((e) => e.type === type).map((e) => e.data as EventData[T]),
  };
}

// ---- flows from YAML ----

const CATALOGUE = fileURLToPath(new URL('../../../prompts/catalogue.yaml', import.meta.url));
let promptIds: ReadonlySet<string> | undefined;

/** The prompt ids of the shipped catalogue (prompts/catalogue.yaml). */
export function catalogueIds(): ReadonlySet<string> {
  promptIds ??= loadCatalogue(CATALOGUE).ids;
  return promptIds;
}

/** A validated Flow from YAML text, checked against the shipped prompt catalogue. */
export function flowFromYaml(text: string): Flow {
  return parseFlow(text, 'test.yaml', catalogueIds());
}

/** Runs the pending microtasks and fake timers due in `ms` (0: only what is due now). */
export async function advance(ms = 0): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}
