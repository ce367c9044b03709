// The call log API. Phone numbers are returned unmasked: the API is authenticated and operators
// need them to call back; only the logs mask them.
import { Router } from 'express';
import { z } from 'zod';
import type { CallQueries } from '../../store/call-queries.js';
import { callNotFound } from '../errors.js';
import { parseInput } from '../parse-input.js';

// Digits only: z.coerce.number() would also take "1e3", " 5" or "0x10".
const positiveInt = (max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'expected a non-negative integer')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));

const ListCallsQuery = z
  .object({
    limit: positiveInt(500).default(50),
    before: positiveInt(Number.MAX_SAFE_INTEGER).optional(),
  })
  // A misspelt parameter (`limt`) silently ignored would look like a wrong result.
  .strict();

export function callRoutes(queries: CallQueries): Router {
  const router = Router();

  /** GET /api/calls?limit=50&before=<ms epoch>: newest first; page on with before = last startedAt. */
  router.get('/calls', (req, res) => {
    const { limit, before } = parseInput(ListCallsQuery, req.query);
    res.json({ calls: queries.listCalls(before === undefined ? { limit } : { limit, before }) });
  });

  router.get('/calls/:id', (req, res) => {
    const call = queries.getCall(req.params.id);
    if (call === undefined) throw callNotFound(req.params.id);
    res.json({ call });
  });

  router.get('/calls/:id/events', (req, res) => {
    const { id } = req.params;
    if (queries.getCall(id) === undefined) throw callNotFound(id);
    res.json({ callId: id, events: queries.listEvents(id) });
  });

  return router;
}
