// What every verb receives. Nothing global: the call, its flow, its recorder, its clock, what is
// known about the call so far (facts) and the services the controller wires (read-only).
import type { Logger } from 'pino';
import type { CallFacts } from '../calls/call-facts.js';
import type { CallPort } from '../calls/call-port.js';
import type { Clock } from '../clock/clock.js';
import type { EventData, EventType } from '../store/events.js';
import type { Flow } from './schema.js';
import type { Services } from './services.js';

export interface FlowContext {
  call: CallPort;
  flow: Flow;
  clock: Clock;
  logger: Logger;
  record<T extends EventType>(type: T, data: EventData[T]): void;
  /** Per call: direction, caller, language, the menu keys chosen (trail), the ticket, earlier calls today. */
  facts: CallFacts;
  /** Shared by all calls; a verb declares the ones it needs (`needs`), and the loader checks them. */
  services: Readonly<Services>;
  /**
   * Writes the call's resume point again, with the facts as they are now: for a fact that
   * changes inside a step and must survive a restart (a conversation that began or ended).
   * The point of each step entered is written without asking (handle-call).
   */
  saveResumePoint?(): void;
}

/** A verb runs one step and names the next one (undefined ends the flow). */
export type VerbRunner<S> = (ctx: FlowContext, step: S, stepId: string) => Promise<string | undefined>;
