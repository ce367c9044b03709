import { Router } from 'express';

export interface HealthStatus {
  ari: boolean;
  ami: boolean;
  activeCalls: number;
}

/**
 * GET /health, without a token so a monitor can probe it.
 * `status` is 'degraded' when either Asterisk link is down. The HTTP status is 503 only when ARI
 * is down: without ARI no call is answered, so a monitor or load balancer must act; with AMI
 * down, calls still flow and the body says what is missing.
 */
export function healthRoutes(health: () => HealthStatus): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    const { ari, ami, activeCalls } = health();
    res.status(ari ? 200 : 503).json({ status: ari && ami ? 'ok' : 'degraded', ari, ami, activeCalls });
  });
  return router;
}
