// The verb table: one module per verb. Adding a verb = a schema entry + a module + a line here;
// the mapped type makes a missing handler a compile error.
import type { VerbHandler } from '../context.js';
import type { Verb } from '../schema.js';
import { answer } from './answer.js';
import { captureNumber } from './capture-number.js';
import { createTicket } from './create-ticket.js';
import { goodbye } from './goodbye.js';
import { greet } from './greet.js';
import { hangup } from './hangup.js';
import { menu } from './menu.js';
import { play } from './play.js';
import { repeatCaller } from './repeat-caller.js';
import { silentLine } from './silent-line.js';
import { ticketStatus } from './ticket-status.js';
import { transfer } from './transfer.js';

export const verbs: { [V in Verb]: VerbHandler<V> } = {
  answer,
  greet,
  menu,
  play,
  'silent-line': silentLine,
  goodbye,
  hangup,
  transfer,
  'capture-number': captureNumber,
  'repeat-caller': repeatCaller,
  'create-ticket': createTicket,
  'ticket-status': ticketStatus,
};
