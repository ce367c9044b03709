// N8: the callback queue, for operators: list, request, cancel, reschedule. Numbers are
// unmasked: the API is authenticated and the people reading it are the ones who call back.
// A requested number goes through the same allow-list as a caller's (N7), and a due time past
// the promised deadline is refused: the product never schedules a broken promise.
import express, { Router } from 'express';
import { z } from 'zod';
import type { CallbackStore } from '../../callbacks/callback-store.js';
import { CALLBACK_REASONS } from '../../callbacks/deadlines.js';
import { checkCallbackNumber } from '../../callbacks/number-policy.js';
import { ApiError } from '../errors.js';
import { parseInput } from '../parse-input.js';

export interface CallbackRoutesDeps {
  store: CallbackStore;
  /** The flow in force: its allowed number patterns and agent groups. */
  policy: () => { allowedPatterns: readonly string[]; groups: readonly string[] };
  now: () => number;
}

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

const NewCallbackBody = z
  .object({
    number: z.string().min(1).max(32),
    reason: z.enum(CALLBACK_REASONS).default('unanswered-query'),
    group: z.string().min(1).max(64).optional(),
  })
  .strict();

const RescheduleBody = z.object({ dueAt: z.number().int().positive() }).strict();

const Id = z.string().regex(/^\d{1,12}$/, 'a callback id is a positive integer').transform(Number);

/** GET/POST /callbacks, DELETE/PATCH /callbacks/:id (behind the API token). */
export function callbackRoutes(deps: CallbackRoutesDeps): Router {
  const { store } = deps;
  const router = Router();
  const json = express.json({ limit: '4kb' });
  const notFound = (id: number) => new ApiError(404, 'callback-not-found', `no open callback with id ${id}`);

  router.get('/callbacks', (req, res) => {
    const { status, limit } = parseInput(ListCallbacksQuery, req.query);
    res.json({ callbacks: store.list(status === undefined ? { limit } : { status, limit }) });
  });

  router.post('/callbacks', json, (req, res) => {
    const body = parseInput(NewCallbackBody, req.body, 'invalid callback request');
    const policy = deps.policy();
    const checked = checkCallbackNumber(body.number, policy.allowedPatterns);
    if (!checked.ok) {
      throw new ApiError(422, 'callback-number-not-allowed', `the number cannot be called back (${checked.reason})`, {
        reason: checked.reason,
      });
    }
    if (body.group !== undefined && !policy.groups.includes(body.group)) {
      throw new ApiError(404, 'group-not-found', `no agent group with id ${body.group}`);
    }
    const row = store.add({ callId: null, number: checked.number, reason: body.reason, group: body.group ?? null, now: deps.now() });
    res.status(201).json({ callback: row });
  });

  router.delete('/callbacks/:id', (req, res) => {
    const id = parseInput(Id, req.params.id, 'invalid callback id');
    const row = store.cancel(id, 'operator');
    if (!row) throw notFound(id);
    res.json({ callback: row });
  });

  router.patch('/callbacks/:id', json, (req, res) => {
    const id = parseInput(Id, req.params.id, 'invalid callback id');
    const { dueAt } = parseInput(RescheduleBody, req.body, 'invalid reschedule');
    const current = store.get(id);
    if (!current || current.status !== 'pending') throw notFound(id);
    if (dueAt > current.promisedBy) {
      throw new ApiError(422, 'due-after-deadline', 'the new due time is past the promised deadline', {
        promisedBy: current.promisedBy,
      });
    }
    const row = store.reschedule(id, dueAt);
    if (!row) throw notFound(id);
    res.json({ callback: row });
  });
  return router;
}
