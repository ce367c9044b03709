// N13: the caller keys a ticket number (ending with #) and hears its status. An unknown number
// is said to be unknown, and the caller may key it again up to the configured tries.
import { digitPrompts } from '../../prompts/digit-prompts.js';
import { isOpen, TICKET_NUMBER } from '../../tickets/ticket-store.js';
import type { VerbHandler } from '../context.js';
import { keyNumber } from '../key-number.js';

export const ticketStatus: VerbHandler<'ticket-status'> = async (ctx, step, stepId) => {
  const { call } = ctx;
  if (!ctx.tickets) throw new Error('no ticket store is wired');
  call.forgetInput();
  for (let attempt = 1; attempt <= step.tries; attempt++) {
    await call.play(['ticket.ask'], { bargeIn: true });
    const keyed = await keyNumber(call, step.timeoutMs);
    if (keyed === '') {
      ctx.record('ticket.lookup', { step: stepId, number: '', found: false, status: null, attempt });
      continue;
    }
    const ticket = TICKET_NUMBER.test(keyed) ? ctx.tickets.find(keyed) : undefined;
    ctx.record('ticket.lookup', { step: stepId, number: keyed, found: ticket !== undefined, status: ticket?.status ?? null, attempt });
    if (!ticket) {
      await call.play(['ticket.unknown']);
      continue;
    }
    // Ticket numbers are easy to guess: only the caller's own open ticket goes into the whisper.
    if (ticket.caller === call.caller && isOpen(ticket)) ctx.ticket = ticket.number;
    await call.play(['ticket.status', ...digitPrompts(ticket.number), `ticket.status.${ticket.status}`]);
    return step.next;
  }
  return step.failed;
};
