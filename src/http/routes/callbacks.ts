// N8: the callback queue, for operators. Numbers are unmasked: the API is authenticated and the
// people reading it are the ones who call back.
import { Router } from 'express';
import { z } from 'zod';
import type { CallbackStore } from '../../callbacks/callback-store.js';
import { parseInput } from '../parse-input.js';

const ListCallbacksQuery = z
  .object({
    status: z.string().regex(/^[a-z-]{1,32}$/, 'a status is lower-case letters and "-"').optional(),
    limit: z
      .string()
      .regex(/^\d{1,4}$/, 'expected a positive integer')
      .transform(Number)
      .pipe(z.number().int().min(1).max(500))
      .default(100),
  })
  .strict();

/** GET /callbacks?status=pending&limit=100: most urgent (earliest promised deadline) first. */
export function callbackRoutes(callbacks: CallbackStore): Router {
  const router = Router();
  router.get('/callbacks', (req, res) => {
    const { status, limit } = parseInput(ListCallbacksQuery, req.query);
    res.json({ callbacks: callbacks.list(status === undefined ? { limit } : { status, limit }) });
  });
  return router;
}
