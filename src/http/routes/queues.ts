// N5: who waits in which agent group's hold queue, in order, and for how long.
import { Router } from 'express';

export interface QueueSnapshot {
  group: string;
  waiting: Array<{ owner: string; requestedAt: number; position: number }>;
}

export function queueRoutes(snapshot: () => QueueSnapshot[], now: () => number): Router {
  const router = Router();
  router.get('/queues', (_req, res) => {
    const at = now();
    res.json({
      queues: snapshot().map((q) => ({
        group: q.group,
        waiting: q.waiting.map((w) => ({ callId: w.owner, position: w.position, since: w.requestedAt, waitedMs: at - w.requestedAt })),
      })),
    });
  });
  return router;
}
