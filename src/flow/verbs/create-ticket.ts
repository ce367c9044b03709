// N13: a service ticket. Its number is what the caller writes down and keys back later, so it is
// read digit by digit, twice (「请您记录好您的服务单号……」), and 1 reads it once more.
import { isIdentified } from '../../calls/caller-id.js';
import { digitPrompts } from '../../prompts/digit-prompts.js';
import { z } from 'zod';
import type { TicketStore } from '../../tickets/ticket-store.js';
import type { FlowContext, VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { Ms, StepId } from '../schema-parts.js';

export const CreateTicketStep = z
  .object({
    verb: z.literal('create-ticket'),
    group: z.string().min(1).optional().describe('the agent group that owns the ticket'),
    timeoutMs: Ms(1000, 30_000).default(4000).describe('wait for the 1 that repeats the number'),
    repeats: z.number().int().min(0).max(5).default(2).describe('extra read-backs a caller may ask for'),
    next: StepId,
  })
  .strict();
export type CreateTicketStep = z.output<typeof CreateTicketStep>;

function ticketsOf(ctx: FlowContext): TicketStore {
  const { tickets } = ctx.services;
  if (!tickets) throw new Error('no ticket store is wired');
  return tickets;
}

const run: VerbRunner<CreateTicketStep> = async (ctx, step, stepId) => {
  const { call } = ctx;
  const caller = isIdentified(call.caller) ? call.caller : null;
  const ticket = ticketsOf(ctx).create({ callId: call.id, caller, group: step.group ?? null });
  ctx.facts.ticket = ticket.number;
  ctx.record('ticket.created', { step: stepId, number: ticket.number, group: ticket.group });
  return await readNumber(ctx, step, stepId, ticket.number);
};

/**
 * Resumed after a crash: a ticket this step created already (the call's newest, other than the
 * one the facts carried into the step) is read again, never a second one created; none: the
 * step runs from its start. The caller may have missed the number, not the ticket.
 */
const resume: VerbRunner<CreateTicketStep> = async (ctx, step, stepId) => {
  const created = ticketsOf(ctx).newestOfCall(ctx.call.id);
  if (!created || created.number === ctx.facts.ticket) return await run(ctx, step, stepId);
  ctx.facts.ticket = created.number;
  return await readNumber(ctx, step, stepId, created.number);
};

/** Reads the number twice, and again on 1 up to the step's repeats. */
async function readNumber(ctx: FlowContext, step: CreateTicketStep, stepId: string, number: string): Promise<string> {
  const { call } = ctx;
  const digits = digitPrompts(number);
  const offer = (more: boolean) => (more ? ['ticket.repeat'] : []);
  // Not barge-in: a key must not cut the number short. Keys pressed meanwhile stay buffered, so
  // a caller who presses 1 during the offer is heard.
  call.forgetInput();
  let reads = 0;
  try {
    await call.play(['ticket.intro', ...digits, 'ticket.again', ...digits, ...offer(step.repeats > 0)]);
    reads = 2;
    for (let extra = 1; extra <= step.repeats; extra++) {
      const key = await call.nextDigit(step.timeoutMs);
      if (key !== '1') break;
      await call.play([...digits, ...offer(extra < step.repeats)]);
      reads += 1;
    }
  } finally {
    // Logged whatever happened: a caller who hung up mid-number may call back without it (N14).
    ctx.record('ticket.read', { step: stepId, number, reads, complete: !call.signal.aborted });
  }
  return step.next;
}

export const createTicket = defineVerb({
  verb: 'create-ticket',
  schema: CreateTicketStep,
  run,
  resume,
  needs: ['tickets'],
  targets: (step) => [{ path: ['next'], step: step.next }],
  windows: (step) => [{ path: ['timeoutMs'], ms: step.timeoutMs }],
  groups: (step) => (step.group === undefined ? [] : [{ path: ['group'], group: step.group }]),
  // The number is always read (no barge-in).
  graph: () => ({ heard: true }),
});
