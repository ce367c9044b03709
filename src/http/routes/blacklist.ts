// N11: the blacklist, for operators: list, add, remove, and the audit of every change. Numbers
// are unmasked: the API is authenticated and its readers are the people who keep the list.
// An entry is never deleted: DELETE marks it removed (who, why) and the audit keeps it.
import express, { Router } from 'express';
import { z } from 'zod';
import { BlacklistDuplicateError, BlacklistValueError, inForceAt, type BlacklistEntry, type BlacklistKind, type BlacklistStore } from '../../blacklist/blacklist-store.js';
import { ApiError } from '../errors.js';
import { parseInput } from '../parse-input.js';

export interface BlacklistRoutesDeps {
  store: BlacklistStore;
  now: () => number;
}

const MINUTE_MS = 60_000;
const Who = z.string().trim().min(1).max(64).describe('who does it: an operator name, kept in the audit');
const Reason = z.string().trim().min(1).max(500);
const Flag = z.enum(['0', '1', 'false', 'true']).transform((v) => v === '1' || v === 'true');
const Limit = z
  .string()
  .regex(/^\d{1,5}$/, 'expected a positive integer')
  .transform(Number)
  .pipe(z.number().int().min(1).max(5000));
const Id = z.string().regex(/^\d{1,12}$/, 'a blacklist entry id is a positive integer').transform(Number);

const ListQuery = z.object({ all: Flag.default(false), limit: Limit.default(500) }).strict();
const AuditQuery = z.object({ entry: Id.optional(), limit: Limit.default(500) }).strict();

const NewEntryBody = z
  .object({
    number: z.string().min(1).max(32).optional().describe('an exact caller ID: optional "+" and 3-20 digits'),
    pattern: z.string().min(1).max(100).optional().describe('an Asterisk extension pattern, as for callback numbers'),
    anonymous: z.literal(true).optional().describe('every withheld caller ID'),
    reason: Reason,
    by: Who,
    expiresAt: z.number().int().positive().optional().describe('epoch ms from which the entry no longer matches'),
    ttlMinutes: z.number().int().min(1).max(5_256_000).optional().describe('the entry expires this many minutes from now'),
  })
  .strict()
  .superRefine((body, ctx) => {
    const given = (['number', 'pattern', 'anonymous'] as const).filter((k) => body[k] !== undefined);
    if (given.length !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of number, pattern or anonymous: true' });
    if (body.expiresAt !== undefined && body.ttlMinutes !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['ttlMinutes'], message: 'give expiresAt or ttlMinutes, not both' });
    }
  });

const RemoveBody = z.object({ by: Who, reason: Reason }).strict();

/** An entry as the API shows it: with whether it is in force now. */
const view = (entry: BlacklistEntry, now: number) => ({ ...entry, active: inForceAt(entry, now) });

/** GET/POST /blacklist, GET /blacklist/audit, GET/DELETE /blacklist/:id (behind the API token). */
export function blacklistRoutes(deps: BlacklistRoutesDeps): Router {
  const { store } = deps;
  const router = Router();
  const json = express.json({ limit: '4kb' });
  const notFound = (id: number) => new ApiError(404, 'blacklist-entry-not-found', `no blacklist entry with id ${id}`);

  router.get('/blacklist', (req, res) => {
    const { all, limit } = parseInput(ListQuery, req.query);
    const now = deps.now();
    res.json({ entries: store.list({ now, all, limit }).map((e) => view(e, now)) });
  });

  router.get('/blacklist/audit', (req, res) => {
    const { entry, limit } = parseInput(AuditQuery, req.query);
    res.json({ audit: store.audit(entry === undefined ? { limit } : { entryId: entry, limit }) });
  });

  router.get('/blacklist/:id', (req, res) => {
    const id = parseInput(Id, req.params.id, 'invalid blacklist entry id');
    const entry = store.get(id);
    if (!entry) throw notFound(id);
    res.json({ entry: view(entry, deps.now()), audit: store.audit({ entryId: id }) });
  });

  router.post('/blacklist', json, (req, res) => {
    const body = parseInput(NewEntryBody, req.body, 'invalid blacklist entry');
    const now = deps.now();
    const kind: BlacklistKind = body.anonymous ? 'anonymous' : body.pattern !== undefined ? 'pattern' : 'exact';
    const expiresAt = body.ttlMinutes !== undefined ? now + body.ttlMinutes * MINUTE_MS : (body.expiresAt ?? null);
    if (expiresAt !== null && expiresAt <= now) {
      throw new ApiError(422, 'blacklist-expiry-past', 'the expiry is not in the future', { now });
    }
    try {
      const entry = store.add({ kind, value: body.number ?? body.pattern ?? '', reason: body.reason, addedBy: body.by, now, expiresAt });
      res.status(201).json({ entry: view(entry, now) });
    } catch (err) {
      if (err instanceof BlacklistValueError) {
        throw kind === 'pattern'
          ? new ApiError(422, 'blacklist-pattern-invalid', err.message)
          : new ApiError(422, 'blacklist-number-invalid', err.message);
      }
      if (err instanceof BlacklistDuplicateError) {
        throw new ApiError(409, 'blacklist-duplicate', err.message, { existing: view(err.existing, now) });
      }
      throw err;
    }
  });

  router.delete('/blacklist/:id', json, (req, res) => {
    const id = parseInput(Id, req.params.id, 'invalid blacklist entry id');
    const { by, reason } = parseInput(RemoveBody, req.body ?? {}, 'a removal needs by and reason');
    const now = deps.now();
    const result = store.remove(id, { by, reason, now });
    if (result.ok) {
      res.json({ entry: view(result.entry, now) });
      return;
    }
    if (result.why === 'not-found') throw notFound(id);
    throw new ApiError(409, 'blacklist-entry-removed', `blacklist entry ${id} was already removed`, { entry: view(result.entry, now) });
  });
  return router;
}
