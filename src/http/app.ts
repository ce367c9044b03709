import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from 'pino';
import type { CallbackStore } from '../callbacks/callback-store.js';
import type { CallQueries } from '../store/call-queries.js';
import type { TicketStore } from '../tickets/ticket-store.js';
import { ApiError, routeNotFound } from './errors.js';
import { requireStreamToken } from './require-stream-token.js';
import { requireToken } from './require-token.js';
import { agentEventRoutes, agentRoutes, type AgentRoutesDeps } from './routes/agents.js';
import { callbackRoutes } from './routes/callbacks.js';
import { callRoutes } from './routes/calls.js';
import { healthRoutes, type HealthStatus } from './routes/health.js';
import { ticketRoutes } from './routes/tickets.js';

export interface HttpAppDeps {
  queries: CallQueries;
  health: () => HealthStatus;
  apiToken: string;
  logger: Pick<Logger, 'error' | 'warn'>;
  /** Agent presence and the agent screen's event stream; without it those routes are absent. */
  agents?: AgentRoutesDeps;
  callbacks?: CallbackStore;
  tickets?: TicketStore;
}

export function createHttpApp(deps: HttpAppDeps): Express {
  const { logger } = deps;
  const app = express();
  app.disable('x-powered-by');

  app.use(healthRoutes(deps.health));
  // The event stream goes first: it has its own token check, which also accepts ?token=.
  if (deps.agents) app.use('/api', agentEventRoutes(deps.agents, requireStreamToken(deps.apiToken, logger)));
  app.use('/api', requireToken(deps.apiToken, logger), callRoutes(deps.queries));
  if (deps.agents) app.use('/api', agentRoutes(deps.agents.pool));
  if (deps.callbacks) app.use('/api', callbackRoutes(deps.callbacks));
  if (deps.tickets) app.use('/api', ticketRoutes(deps.tickets));

  app.use((req, _res, next) => {
    next(routeNotFound(req.method, req.path));
  });

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
