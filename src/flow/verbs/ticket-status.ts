// N13: the caller keys a ticket number (ending with #) and hears its status. An unknown number
// is said to be unknown, and the caller may key it again up to the configured tries.
import { digitPrompts } from '../../prompts/digit-prompts.js';
import { isOpen, TICKET_NUMBER } from '../../tickets/ticket-store.js';
import { z } from 'zod';
import type { VerbRunner } from '../context.js';
import { defineVerb } from '../define-verb.js';
import { keyNumber } from '../key-number.js';
import { Ms, StepId } from '../schema-parts.js';

export const TicketStatusStep = z
  .object({
    verb: z.literal('ticket-status'),
    tries: z.number().int().min(1).max(5).default(2),
    timeoutMs: Ms(1000, 30_000).default(5000).describe('wait for each key'),
    next: StepId.describe('after the status was read'),
    failed: StepId.describe('when no known ticket number was keyed'),
  })
  .strict();
export type TicketStatusStep = z.output<typeof TicketStatusStep>;

const run: VerbRunner<TicketStatusStep> = async (ctx, step, stepId) => {
  const { call } = ctx;
  const { tickets } = ctx.services;
  if (!tickets) throw new Error('no ticket store is wired');
  call.forgetInput();
  for (let attempt = 1; attempt <= step.tries; attempt++) {
    await call.play(['ticket.ask'], { bargeIn: true });
    const keyed = await keyNumber(call, step.timeoutMs);
    if (keyed === '') {
      ctx.record('ticket.lookup', { step: stepId, number: '', found: false, status: null, attempt });
      continue;
    }
    const ticket = TICKET_NUMBER.test(keyed) ? tickets.find(keyed) : undefined;
    ctx.record('ticket.lookup', { step: stepId, number: keyed, found: ticket !== undefined, status: ticket?.status ?? null, attempt });
    if (!ticket) {
      await call.play(['ticket.unknown']);
      continue;
    }
    // Ticket numbers are easy to guess: only the caller's own open ticket goes into the whisper.
    if (ticket.caller === call.caller && isOpen(ticket)) ctx.facts.ticket = ticket.number;
    await call.play(['ticket.status', ...digitPrompts(ticket.number), `ticket.status.${ticket.status}`]);
    return step.next;
  }
  return step.failed;
};

export const ticketStatus = defineVerb({
  verb: 'ticket-status',
  schema: TicketStatusStep,
  run,
  needs: ['tickets'],
  targets: (step) => [
    { path: ['next'], step: step.next },
    { path: ['failed'], step: step.failed },
  ],
  windows: (step) => [{ path: ['timeoutMs'], ms: step.timeoutMs }],
  // ticket.ask always plays (earlier keys are forgotten); no known number: failed.
  graph: (step) => ({ heard: true, idle: { path: ['failed'], step: step.failed } }),
});
