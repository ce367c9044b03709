import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from 'pino';
import type { CallQueries } from '../store/call-queries.js';
import { ApiError, routeNotFound } from './errors.js';
import { requireToken } from './require-token.js';
import { callRoutes } from './routes/calls.js';
import { healthRoutes, type HealthStatus } from './routes/health.js';

export interface HttpAppDeps {
  queries: CallQueries;
  health: () => HealthStatus;
  apiToken: string;
  logger: Pick<Logger, 'error' | 'warn'>;
}

export function createHttpApp(deps: HttpAppDeps): Express {
  const { logger } = deps;
  const app = express();
  app.disable('x-powered-by');

  app.use(healthRoutes(deps.health));
  app.use('/api', requireToken(deps.apiToken, logger), callRoutes(deps.queries));

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
