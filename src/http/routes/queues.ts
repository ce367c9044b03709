// N5: who waits in which agent group's hold queue, in order, and for how long. A caller who took
// the place of its pending callback (N8) waits since that request, and names the callback.
import { Router } from 'express';

export interface QueueSnapshot {
  group: string;
  waiting: Array<{ owner: string; requestedAt: number; position: number; callback?: number }>;
}

export function queueRoutes(snapshot: () => QueueSnapshot[], now: () => number): Router {
  const router = Router();
  router.get('/queues', (_req, res) => {
    const at = now();
    res.json({
      queues: snapshot().map((q) => ({
        group: q.group,
        waiting: q.waiting.map((w) => ({
          callId: w.owner, position: w.position, since: w.requestedAt, waitedMs: at - w.requestedAt,
          ...(w.callback === undefined ? {} : { callback: w.callback }),
        })),
      })),
    });
  });
  return router;
}
