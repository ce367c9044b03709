// What every verb receives. Nothing global: the call, its flow, its recorder and its clock.
import type { Logger } from 'pino';
import type { AgentDesk } from '../agents/agent-desk.js';
import type { CallbackStore } from '../callbacks/callback-store.js';
import type { CallPort } from '../calls/call-port.js';
import type { EarlierCalls } from '../store/caller-history.js';
import type { EventData, EventType } from '../store/events.js';
import type { TicketStore } from '../tickets/ticket-store.js';
import type { Flow, StepOf, Verb } from './schema.js';

export interface Clock {
  now(): number;
  /** Resolves after ms, rejects when the signal aborts (the call ended). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface FlowContext {
  call: CallPort;
  flow: Flow;
  clock: Clock;
  logger: Logger;
  record<T extends EventType>(type: T, data: EventData[T]): void;
  /** The menu keys this caller chose so far (for the agent whisper). */
  trail: string[];
  /** Agents to transfer to (N6); absent where no agent desk is wired. */
  agents?: AgentDesk;
  /** Where callback requests are stored (N7/N8). */
  callbacks?: CallbackStore;
  /** N12: this caller's calls earlier today (looked up once, on first use). */
  earlierToday?: () => EarlierCalls;
  /** N13: service tickets. */
  tickets?: TicketStore;
  /** N13: the ticket this call created or asked about, for the agent whisper. */
  ticket?: string;
}

/** A verb runs one step and names the next one (undefined ends the flow). */
export type VerbHandler<V extends Verb> = (ctx: FlowContext, step: StepOf<V>, stepId: string) => Promise<string | undefined>;
