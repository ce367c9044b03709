// Agent presence and the agent's screen (N6). Presence changes are POSTs without a body: the
// action is the path, so a retry of the same request has the same effect.
import { Router, type RequestHandler, type Response } from 'express';
import { AgentPoolError, type AgentPool } from '../../agents/agent-pool.js';
import { offerType, type AgentEvent, type AgentNotifier } from '../../agents/agent-notifier.js';
import type { Clock } from '../../clock/clock.js';
import { ApiError, tooManyStreams } from '../errors.js';

export interface AgentRoutesDeps {
  pool: AgentPool;
  notifier: AgentNotifier;
  /** Times the heartbeat. */
  clock: Clock;
  /** Comment lines that keep proxies and browsers from closing an idle stream. Default 15 s. */
  heartbeatMs?: number;
}

/** Open event streams of one agent, fed by one subscription to the notifier. */
interface Screen {
  streams: Set<Response>;
  unsubscribe: () => void;
}

const STATUS: Record<AgentPoolError['code'], number> = {
  'agent-not-found': 404,
  'group-not-found': 404,
  'agent-busy': 409,
  'agent-logged-out': 409,
};

function withPool<T>(action: () => T): T {
  try {
    return action();
  } catch (err) {
    if (err instanceof AgentPoolError && err.code !== 'group-not-found') {
      throw new ApiError(STATUS[err.code], err.code, err.message);
    }
    throw err;
  }
}

const ACTIONS = ['login', 'logout', 'pause', 'resume'] as const;

/** GET /agents, POST /agents/:id/{login,logout,pause,resume}; behind the API token. */
export function agentRoutes(pool: AgentPool): Router {
  const router = Router();

  router.get('/agents', (_req, res) => {
    res.json({ agents: pool.list() });
  });

  for (const action of ACTIONS) {
    router.post(`/agents/:id/${action}`, (req, res) => {
      const agent = withPool(() => pool[action](req.params.id));
      res.json({ agent });
    });
  }

  return router;
}

function writeEvent(res: Response, event: AgentEvent): void {
  const data = 'info' in event ? event.info : { callId: event.callId };
  // JSON.stringify never emits a raw newline, which would end the SSE data field early.
  res.write(`event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * GET /agents/:id/events: a server-sent event stream (`offer`, `connected`, `ended`) for the
 * agent's screen. `auth` is mounted here rather than in front of the whole API because this
 * route alone accepts `?token=` (see require-stream-token.ts). An agent has at most
 * `maxStreams` open at once (the next gets 429 `too-many-streams`); its streams share one
 * subscription to the notifier, however many there are.
 */
export function agentEventRoutes(deps: AgentRoutesDeps, auth: RequestHandler, maxStreams: number): Router {
  const { pool, notifier, clock } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const screens = new Map<string, Screen>();
  const router = Router();

  const screenOf = (id: string): Screen => {
    let screen = screens.get(id);
    if (screen === undefined) {
      const streams = new Set<Response>();
      const unsubscribe = notifier.subscribe(id, (event) => {
        for (const stream of streams) writeEvent(stream, event);
      });
      screen = { streams, unsubscribe };
      screens.set(id, screen);
    }
    return screen;
  };

  router.get('/agents/:id/events', auth, (req, res) => {
    // The separate auth handler stops express's types from inferring the params.
    const { id } = req.params as { id: string };
    withPool(() => pool.agent(id));
    if ((screens.get(id)?.streams.size ?? 0) >= maxStreams) throw tooManyStreams(id, maxStreams);

    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx buffers responses by default, which would hold events back.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write(': connected\n\n');

    // A screen that reconnects mid-call still gets the whisper of the call it is on.
    const current = notifier.currentCall(id);
    if (current) {
      writeEvent(res, { type: offerType(current.info), info: current.info });
      if (current.connected) writeEvent(res, { type: 'connected', callId: current.info.callId });
    }

    const screen = screenOf(id);
    screen.streams.add(res);
    // One timer at a time, armed again at each beat; the stream's end cancels it (the
    // controller's stop closes every open stream).
    const open = new AbortController();
    const beat = () => {
      clock.timer(heartbeatMs, open.signal, () => {
        res.write(': heartbeat\n\n');
        beat();
      });
    };
    beat();
    const closed = () => {
      open.abort();
      screen.streams.delete(res);
      if (screen.streams.size === 0) {
        screen.unsubscribe();
        screens.delete(id);
      }
    };
    // A client gone before this handler ran (its 'close' already emitted) must not keep a slot.
    if (res.destroyed) closed();
    else res.on('close', closed);
  });

  return router;
}
