// The verb registry: one line per verb. Each module exports one definition (defineVerb) with its
// step schema, its runner and what the loader, the dead-air check and the key paths read; the
// flow schema's step union is built from this list (its order is the JSON schema's).
//
// A function, not a constant: transfer imports key-path, which reads this registry, so this
// module can be evaluated while transfer.ts is still evaluating; the list is only read once every
// module has loaded. No verb module may import schema.ts at run time (types are fine).
import type { VerbRunner } from '../context.js';
import type { FlowShape, GraphFacts, GroupRef, KeyEdge, ListeningWindow, PromptRef, TargetRef } from '../define-verb.js';
import type { Step, Verb } from '../schema.js';
import type { ServiceName } from '../services.js';
import { answer } from './answer.js';
import { captureNumber } from './capture-number.js';
import { createTicket } from './create-ticket.js';
import { goodbye } from './goodbye.js';
import { greet } from './greet.js';
import { hangup } from './hangup.js';
import { hours } from './hours.js';
import { language } from './language.js';
import { menu } from './menu.js';
import { play } from './play.js';
import { record } from './record.js';
import { repeatCaller } from './repeat-caller.js';
import { rescheduleCallback } from './reschedule-callback.js';
import { silentLine } from './silent-line.js';
import { survey } from './survey.js';
import { ticketStatus } from './ticket-status.js';
import { transfer } from './transfer.js';
import { wrongNumber } from './wrong-number.js';

export function verbDefinitions() {
  return [
    captureNumber,
    answer,
    greet,
    play,
    menu,
    silentLine,
    goodbye,
    hangup,
    transfer,
    repeatCaller,
    createTicket,
    ticketStatus,
    survey,
    hours,
    language,
    wrongNumber,
    record,
    rescheduleCallback,
  ] as const;
}

type SchemasOf<T extends readonly unknown[]> = { -readonly [K in keyof T]: T[K] extends { schema: infer S } ? S : never };

/** The step schemas, in registry order (the flow schema's discriminated union). */
export function stepSchemas(): SchemasOf<ReturnType<typeof verbDefinitions>> {
  return verbDefinitions().map((definition) => definition.schema) as never;
}

/** A definition as the loader and the interpreter see it: called only with a step of its verb. */
export interface StepDefinition {
  readonly verb: Verb;
  readonly needs: readonly ServiceName[];
  readonly run: VerbRunner<Step>;
  /** How the step runs when an adopted call resumes at it (default: run). */
  readonly resume: VerbRunner<Step>;
  targets(step: Step): TargetRef[];
  prompts(step: Step): PromptRef[];
  windows(step: Step): ListeningWindow[];
  groups(step: Step): GroupRef[];
  keyEdges(step: Step): KeyEdge[];
  graph(step: Step, flow: FlowShape): GraphFacts;
}

let byVerb: ReadonlyMap<string, StepDefinition> | undefined;

/** The definition of a step's verb. */
export function definitionOf(step: Step): StepDefinition {
  // Each definition takes only steps of its own verb, and the lookup is by that verb.
  byVerb ??= new Map(verbDefinitions().map((definition) => [definition.verb, definition as unknown as StepDefinition]));
  const found = byVerb.get(step.verb);
  if (!found) throw new Error(`unknown verb '${step.verb}'`);
  return found;
}
