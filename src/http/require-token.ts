import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { unauthorized } from './errors.js';

// Both sides are hashed first: timingSafeEqual needs equal lengths, and comparing digests keeps
// the token's length from leaking through an early length check.
const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** N14: the API needs authentication. Expects `Authorization: Bearer <token>`. */
export function requireToken(apiToken: string, logger: Pick<Logger, 'warn'>): RequestHandler {
  if (apiToken.length === 0) throw new Error('requireToken: the API token must not be empty');
  const expected = digest(apiToken);

  return (req, res, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    const given = match?.[1];
    if (given !== undefined && timingSafeEqual(digest(given), expected)) {
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Bearer');
    logger.warn({ ip: req.ip, method: req.method, path: req.path, tokenGiven: given !== undefined }, 'http: unauthorized request');
    next(unauthorized(given === undefined ? 'missing bearer token' : 'invalid bearer token'));
  };
}
