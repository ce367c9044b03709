// N13: a ticket by the number the caller was read.
import { Router } from 'express';
import { TICKET_NUMBER, type TicketStore } from '../../tickets/ticket-store.js';
import { invalidRequest, ticketNotFound } from '../errors.js';

export function ticketRoutes(tickets: TicketStore): Router {
  const router = Router();
  router.get('/tickets/:number', (req, res) => {
    const { number } = req.params;
    if (!TICKET_NUMBER.test(number)) {
      throw invalidRequest('invalid ticket number', [{ path: 'number', message: 'a ticket number is 10 digits' }]);
    }
    const ticket = tickets.find(number);
    if (ticket === undefined) throw ticketNotFound(number);
    res.json({ ticket });
  });
  return router;
}
