import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { CallQueries } from '../store/call-queries.js';
import type { TicketStore } from '../tickets/ticket-store.js';
import { ApiError, routeNotFound } from './errors.js';
import { resolveLimits, type HttpLimitsOverride } from './limits.js';
import { authFailureLimit, requestLimit } from './rate-limit.js';
import { requireStreamToken } from './require-stream-token.js';
import { requireToken } from './require-token.js';
import { agentEventRoutes, agentRoutes, type AgentRoutesDeps } from './routes/agents.js';
import { callbackRoutes, type CallbackRoutesDeps } from './routes/callbacks.js';
import { queueRoutes, type QueueSnapshot } from './routes/queues.js';
import { callRoutes } from './routes/calls.js';
import { healthRoutes, type HealthStatus } from './routes/health.js';
import { hoursRoutes, type HoursRoutesDeps } from './routes/hours.js';
import { ticketRoutes } from './routes/tickets.js';
import { recordingRoutes, type RecordingRoutesDeps } from './routes/recordings.js';
import { flowRoutes, type FlowRoutesDeps } from './routes/flow.js';
import { blacklistRoutes, type BlacklistRoutesDeps } from './routes/blacklist.js';

export interface HttpAppDeps {
  queries: CallQueries;
  health: () => HealthStatus;
  apiToken: string;
  logger: Pick<Logger, 'error' | 'warn'>;
  /** Agent presence and the agent screen's event stream; without it those routes are absent. */
  agents?: AgentRoutesDeps;
  callbacks?: CallbackRoutesDeps;
  /** N5: the hold queues now. */
  queues?: { snapshot: () => QueueSnapshot[]; now: () => number };
  tickets?: TicketStore;
  /** N14: call recordings (rows, audio with Range, deletion); without it those routes are absent. */
  recordings?: RecordingRoutesDeps;
  /** N15: service hours, the operator override and the holiday calendar; without it those routes are absent. */
  hours?: HoursRoutesDeps;
  /** The running flow, its versions, and POST /api/flow; without it those routes are absent. */
  flow?: FlowRoutesDeps;
  /** N11: the blacklist (list, add, remove, audit); without it those routes are absent. */
  blacklist?: BlacklistRoutesDeps;
  /** Rate limits and the stream cap; DEFAULT_HTTP_LIMITS (limits.ts) for what is not given. */
  limits?: HttpLimitsOverride;
  /** The service's signal: the rate limiters' reset timers stop with it. */
  signal?: AbortSignal;
}

// No browser page is served yet; the coming operator pages get a strict policy from the
// start: their own scripts, styles and API only, no inline code, no framing. HSTS is left to
// whoever terminates TLS (this server speaks plain HTTP, on loopback by default).
const securityHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
  // The event stream's ?token= must not leave in a Referer.
  referrerPolicy: { policy: 'no-referrer' },
  strictTransportSecurity: false,
});

// API answers are per-request facts (calls, agent states): nothing may keep them.
const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

export function createHttpApp(deps: HttpAppDeps): Express {
  const { logger } = deps;
  const limits = resolveLimits(deps.limits);
  const authFailures = authFailureLimit(limits.authFailures, deps.signal);
  const bearer = requireToken(deps.apiToken, logger);
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders, noStore);

  app.use('/health', requestLimit(limits.health, deps.signal));
  app.use(healthRoutes(deps.health));
  app.use(requestLimit(limits.requests, deps.signal));

  app.use('/api', authFailures.gate);
  // Express answers OPTIONS itself for any path a router knows, which would come before the
  // token checks below: OPTIONS needs the token like every other method (no CORS here, so a
  // browser's preflight is refused, as it should be).
  app.use('/api', (req, res, next) => (req.method === 'OPTIONS' ? bearer(req, res, next) : next()));
  // The event stream goes first: it has its own token check, which also accepts ?token=.
  if (deps.agents) {
    app.use('/api', agentEventRoutes(deps.agents, requireStreamToken(deps.apiToken, logger), limits.streamsPerAgent));
  }
  app.use('/api', bearer, callRoutes(deps.queries));
  if (deps.agents) app.use('/api', agentRoutes(deps.agents.pool));
  if (deps.callbacks) app.use('/api', callbackRoutes(deps.callbacks));
  if (deps.queues) app.use('/api', queueRoutes(deps.queues.snapshot, deps.queues.now));
  if (deps.tickets) app.use('/api', ticketRoutes(deps.tickets));
  if (deps.recordings) app.use('/api', recordingRoutes(deps.recordings));
  if (deps.hours) app.use('/api', hoursRoutes(deps.hours));
  if (deps.flow) app.use('/api', flowRoutes(deps.flow));
  if (deps.blacklist) app.use('/api', blacklistRoutes(deps.blacklist));

  app.use((req, _res, next) => {
    next(routeNotFound(req.method, req.path));
  });

  app.use(authFailures.count);

  const onError: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof ApiError) {
      res.status(err.status).json(err.toBody());
      return;
    }
    // Express's own errors (a malformed URL, say) carry a 4xx status; anything else is ours.
    const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : 500;
    if (status >= 400 && status < 500) {
      res.status(status).json({ error: 'invalid-request', message: err instanceof Error ? err.message : 'bad request' });
      return;
    }
    logger.error({ err, method: req.method, path: req.path }, 'http: request failed');
    res.status(500).json({ error: 'internal', message: 'internal error' });
  };
  app.use(onError);

  return app;
}
