// An adopted call resumes where it was. As the flow enters each step, the call handler writes
// the step and the facts later steps read (carryFacts) through the recorder; the controller
// that adopts the call after a crash or a restart reads them back (resumeAdopted) and runs the
// flow from that step with those facts, so a caller who was in the menu hears the menu prompt
// again, not the greeting. Without a usable point the flow starts over, and the call.adopted
// event says why.
//
// The step resumed at runs from its start: the caller hears its prompt again, at most. That is
// right for every verb but two, which say so in their definition (`resume`): create-ticket
// (a ticket made already is read again, not made twice) and survey (a rating given already is
// not given twice). The others, and why starting them again is safe: answer passes an answered
// call; greet, play, wrong-number, goodbye replay a phrase the crash cut (or that the adopter
// cannot know was heard); menu, language, repeat-caller, ticket-status, silent-line and
// record ask again (the answer was not taken, or was and is in the carried facts); hours and
// hangup decide again; capture-number asks again and a number confirmed twice is merged into the
// same callback row; transfer, when the caller was talking to an agent, takes the agent's leg
// back and the conversation goes on in the bridge Asterisk kept (else it says where the call
// goes and rings the group again, the bridge removed, a queued caller keeping its place);
// reschedule-callback asks for the hour again (an adopted callee has its callback from its row).
import type { Logger } from 'pino';
import { z } from 'zod';
import { Digit, StepId } from '../flow/schema-parts.js';
import type { Flow } from '../flow/schema.js';
import { Language } from '../prompts/language.js';
import type { AdoptedAtStartReason } from '../store/events.js';
import type { ResumePoints } from '../store/resume-points.js';
import type { CallFacts } from './call-facts.js';

/**
 * The facts a resumed step needs that earlier steps set: the language (N18: every prompt), the
 * menu keys (N6: the whisper and the agent's screen), the ticket (N13/N16: the whisper, the
 * survey), the recording answer (N14: a caller who declined is never recorded, one who agreed
 * is not asked again), the group and when it was first asked for (N9: a dropped call keeps its
 * place), the agent who talked with the caller (N16: the survey rates that conversation), the
 * conversation going on (its agent and leg: the adopter takes the leg back and it goes on).
 * Left out: whether the agent hung up first (read only inside the transfer step that sets it),
 * the earlier calls today (looked up again), a callback's reserved agent (its leg dies with the
 * controller that dialled it).
 */
const CarriedFacts = z
  .object({
    language: Language,
    // One key per step at most, and a call runs at most 1000 steps (run-flow.ts).
    trail: z.array(Digit).max(1000),
    ticket: z.string().min(1).max(64).optional(),
    recording: z.enum(['given', 'declined']).optional(),
    group: z.string().min(1).max(200).optional(),
    queuedAt: z.number().int().nonnegative().optional(),
    agent: z.string().min(1).max(200).optional(),
    talking: z.object({ agent: z.string().min(1).max(200), leg: z.string().min(1).max(200) }).strict().optional(),
  })
  .strict();
export type CarriedFacts = z.output<typeof CarriedFacts>;

/** A fresh snapshot of the facts a resumed step needs (the recorder serialises it later). */
export function carryFacts(facts: CallFacts): CarriedFacts {
  return {
    language: facts.language,
    trail: [...facts.trail],
    ...(facts.ticket === undefined ? {} : { ticket: facts.ticket }),
    ...(facts.recording === undefined ? {} : { recording: facts.recording }),
    ...(facts.group === undefined ? {} : { group: facts.group }),
    ...(facts.queuedAt === undefined ? {} : { queuedAt: facts.queuedAt }),
    ...(facts.agent === undefined ? {} : { agent: facts.agent }),
    ...(facts.talking === undefined ? {} : { talking: { ...facts.talking } }),
  };
}

function restoreFacts(facts: CallFacts, carried: CarriedFacts): void {
  facts.language = carried.language;
  facts.trail.splice(0, facts.trail.length, ...carried.trail);
  if (carried.ticket !== undefined) facts.ticket = carried.ticket;
  if (carried.recording !== undefined) facts.recording = carried.recording;
  if (carried.group !== undefined) facts.group = carried.group;
  if (carried.queuedAt !== undefined) facts.queuedAt = carried.queuedAt;
  if (carried.agent !== undefined) facts.agent = carried.agent;
  if (carried.talking !== undefined) facts.talking = carried.talking;
}

/** Where an adopted call's flow starts, and what the call.adopted event says about it. */
export interface AdoptedStart {
  startAt: string;
  /** The step resumed at; null: the flow starts over at its start. */
  resumedAt: string | null;
  reason?: AdoptedAtStartReason;
  /** The step the call was in, when it could not be resumed there. */
  recorded?: string;
}

export interface AdoptedCall {
  id: string;
  /** Answered already: a call still ringing has heard nothing but ringback, and starts over. */
  answered: boolean;
  facts: CallFacts;
}

/**
 * Reads the adopted call's resume point and, when the flow has its step, restores the facts
 * carried with it. Never rejects: whatever goes wrong, the flow starts over at its start.
 */
export async function resumeAdopted(
  points: ResumePoints | undefined,
  call: AdoptedCall,
  flow: Pick<Flow, 'start' | 'steps'>,
  logger: Pick<Logger, 'info' | 'warn'>,
): Promise<AdoptedStart> {
  const over = (reason: AdoptedAtStartReason, recorded?: string): AdoptedStart => {
    logger.info({ reason, ...(recorded === undefined ? {} : { recorded }) }, 'adopted call starts its flow over');
    return { startAt: flow.start, resumedAt: null, reason, ...(recorded === undefined ? {} : { recorded }) };
  };
  let point;
  try {
    point = await points?.read(call.id);
  } catch (err) {
    logger.warn({ err }, 'reading the resume point of an adopted call failed');
    return over('unreadable');
  }
  if (!point) return over('no-resume-point');
  const step = StepId.safeParse(point.step);
  if (!step.success || !Object.hasOwn(flow.steps, step.data)) return over('unknown-step', point.step.slice(0, 200));
  if (!call.answered) return over('not-answered', step.data);
  const carried = CarriedFacts.safeParse(point.facts);
  if (!carried.success) return over('unreadable', step.data);
  restoreFacts(call.facts, carried.data);
  logger.info({ resumedAt: step.data, language: carried.data.language }, 'adopted call resumes where it was');
  return { startAt: step.data, resumedAt: step.data };
}
