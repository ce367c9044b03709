// Rate limits at the HTTP edge, on express-rate-limit (in-memory, fixed windows, per IP). A
// limited request gets 429 with the stable body `{ error: 'rate-limited', … }`, `Retry-After`
// and the IETF `RateLimit` headers. Clients are told apart by the socket's address: `trust
// proxy` is off, so behind a reverse proxy every client shares the proxy's budget.
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type RateLimitRequestHandler } from 'express-rate-limit';
import { ApiError, rateLimited } from './errors.js';
import type { RateLimit } from './limits.js';

const clientKey = (req: Request): string => ipKeyGenerator(req.ip ?? 'unknown');

function retryAfterSeconds(res: Response): number | undefined {
  const value = Number(res.get('Retry-After'));
  return Number.isFinite(value) ? value : undefined;
}

function sendRateLimited(res: Response, retryAfter: number | undefined): void {
  res.status(429).json(rateLimited(retryAfter).toBody());
}

/**
 * Each limiter's store resets its counts on a timer of its own; the service's signal stops it
 * (a stopped controller leaves no timer behind).
 */
function limiter({ limit, windowMs }: RateLimit, signal?: AbortSignal): RateLimitRequestHandler {
  const store = new MemoryStore();
  signal?.addEventListener('abort', () => store.shutdown(), { once: true });
  return rateLimit({
    store,
    limit,
    windowMs,
    keyGenerator: clientKey,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // express-rate-limit sets Retry-After before it calls this.
    handler: (_req, res) => sendRateLimited(res, retryAfterSeconds(res)),
  });
}

/** Counts every request (per IP) and answers 429 past the limit. */
export const requestLimit = (limit: RateLimit, signal?: AbortSignal): RequestHandler => limiter(limit, signal);

export interface AuthFailureLimit {
  /** In front of authentication: 429 for an IP that has used up its failures. */
  gate: RequestHandler;
  /** An error handler: counts each `unauthorized` error, answers 429 past the limit. */
  count: ErrorRequestHandler;
}

/**
 * Failed authentication per IP. Only failures count (a screen with the right token never
 * does); once an IP has had `limit` of them in a window, everything it sends is refused until
 * the window ends.
 */
export function authFailureLimit(limit: RateLimit, signal?: AbortSignal): AuthFailureLimit {
  const failures = limiter(limit, signal);

  const gate: RequestHandler = (req, res, next) => {
    Promise.resolve(failures.getKey(clientKey(req)))
      .then((info) => {
        if (info === undefined || info.totalHits < limit.limit) {
          next();
          return;
        }
        // The window's length: an upper bound of the time left (which would need the wall
        // clock here; src/ reads time only through its Clock).
        const seconds = Math.ceil(limit.windowMs / 1000);
        res.set('Retry-After', String(seconds));
        sendRateLimited(res, seconds);
      })
      .catch(next);
  };

  const count: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (!(err instanceof ApiError) || err.code !== 'unauthorized') {
      next(err);
      return;
    }
    // Within the limit the limiter calls on, and the 401 goes out; past it, it answers 429.
    void failures(req, res, (limiterError?: unknown) => next(limiterError ?? err));
  };

  return { gate, count };
}
