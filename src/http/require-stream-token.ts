// The browser's EventSource cannot send an Authorization header, so the agent event stream also
// accepts the token as `?token=`. Only that route takes it: a token in a URL can end up in
// browser history and proxy logs, which is acceptable for a long-lived stream an agent's own
// screen opens over HTTPS, not as a general way in. This app never logs query strings (logs
// carry req.path only). The comparison is constant-time, like the header's.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { unauthorized } from './errors.js';
import { requireToken } from './require-token.js';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Bearer header as everywhere else, or `?token=` when no Authorization header is sent. */
export function requireStreamToken(apiToken: string, logger: Pick<Logger, 'warn'>): RequestHandler {
  const viaHeader = requireToken(apiToken, logger);
  const expected = digest(apiToken);

  return (req, res, next) => {
    const given: unknown = (req.query as Record<string, unknown>).token;
    if (req.get('authorization') !== undefined || given === undefined) {
      viaHeader(req, res, next);
      return;
    }
    // A repeated ?token=a&token=b arrives as an array: refused, not guessed at.
    if (typeof given === 'string' && timingSafeEqual(digest(given), expected)) {
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Bearer');
    logger.warn({ ip: req.ip, method: req.method, path: req.path, tokenGiven: true }, 'http: unauthorized request');
    next(unauthorized('invalid token'));
  };
}
