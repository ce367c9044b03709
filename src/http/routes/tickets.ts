// N13: a ticket by the number the caller was read, and its status as the back office moves it
// on (what a caller keying the number hears next).
import express, { Router } from 'express';
import { z } from 'zod';
import { TICKET_NUMBER, TICKET_STATUSES, type TicketStore } from '../../tickets/ticket-store.js';
import { invalidRequest, ticketNotFound } from '../errors.js';
import { parseInput } from '../parse-input.js';

const StatusBody = z.object({ status: z.enum(TICKET_STATUSES) }).strict();

function ticketNumber(raw: string): string {
  if (!TICKET_NUMBER.test(raw)) {
    throw invalidRequest('invalid ticket number', [{ path: 'number', message: 'a ticket number is 10 digits' }]);
  }
  return raw;
}

export function ticketRoutes(tickets: TicketStore): Router {
  const router = Router();
  router.get('/tickets/:number', (req, res) => {
    const number = ticketNumber(req.params.number);
    const ticket = tickets.find(number);
    if (ticket === undefined) throw ticketNotFound(number);
    res.json({ ticket, history: tickets.history(number) });
  });
  router.put('/tickets/:number/status', express.json({ limit: '4kb' }), (req, res) => {
    const number = ticketNumber(req.params.number);
    const { status } = parseInput(StatusBody, req.body, 'invalid request body');
    const ticket = tickets.setStatus(number, status);
    if (ticket === undefined) throw ticketNotFound(number);
    res.json({ ticket });
  });
  return router;
}
