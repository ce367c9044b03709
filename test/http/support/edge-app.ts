// The whole HTTP app (agents, callbacks, tickets) on an ephemeral port through listenHttp, as
// the controller starts it, and a raw node:http client: any method, a body on any method, a
// chosen source address (127.0.0.x) to be a different client.
import http, { type IncomingHttpHeaders, type Server } from 'node:http';
import { callbackDeps } from './callback-deps.js';
import type { AddressInfo } from 'node:net';
import { AgentsConfig } from '../../../src/agents/agent-config.js';
import { AgentNotifier } from '../../../src/agents/agent-notifier.js';
import { AgentPool } from '../../../src/agents/agent-pool.js';
import { createAgentStateStore } from '../../../src/agents/agent-state-store.js';
import { createCallbackStore } from '../../../src/callbacks/callback-store.js';
import { systemClock } from '../../../src/clock/clock.js';
import { createHttpApp, type HttpAppDeps } from '../../../src/http/app.js';
import { listenHttp } from '../../../src/http/listen.js';
import { createLogger } from '../../../src/log/logger.js';
import { createCallQueries } from '../../../src/store/call-queries.js';
import { openDatabase } from '../../../src/store/database.js';
import { createTicketStore } from '../../../src/tickets/ticket-store.js';

export const TOKEN = 'test-token-0123456789';

export interface EdgeApp {
  base: string;
  port: number;
  notifier: AgentNotifier;
  ticketNumber: string;
  close(): Promise<void>;
}

export async function startEdgeApp(limits?: HttpAppDeps['limits']): Promise<EdgeApp> {
  const db = openDatabase(':memory:');
  const service = new AbortController();
  const config = AgentsConfig.parse({
    agents: {
      a1: { endpoint: 'PJSIP/1001', workNumber: '1001', name: 'Li' },
      a2: { endpoint: 'PJSIP/1002', workNumber: '1002', name: 'Wang' },
    },
    groups: { repair: { name: '维修', members: ['a1', 'a2'] } },
  });
  const pool = new AgentPool(config, createAgentStateStore(db), systemClock, service.signal);
  const notifier = new AgentNotifier();
  const callbacks = createCallbackStore(db);
  callbacks.add({ callId: 'c1', number: '13800138000', reason: 'complaint', now: 0 });
  const tickets = createTicketStore(db, () => Date.UTC(2026, 4, 1, 3, 0));
  const ticketNumber = tickets.create({ callId: 'c1', caller: '13800138000', group: 'repair' }).number;
  const app = createHttpApp({
    queries: createCallQueries(db),
    health: () => ({ ari: true, ami: true, activeCalls: 0 }),
    apiToken: TOKEN,
    logger: createLogger({ level: 'silent' }),
    agents: { pool, notifier, clock: systemClock, heartbeatMs: 60_000 },
    callbacks: callbackDeps(callbacks),
    tickets,
    ...(limits === undefined ? {} : { limits }),
  });
  const server: Server = await listenHttp(app, 0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    notifier,
    ticketNumber,
    async close() {
      service.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      db.close();
    },
  };
}

export interface Sent {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** The client's address, 127.0.0.1 unless told: another address is another client. */
  from?: string;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed, when it is JSON. */
  json: Record<string, unknown> | undefined;
}

/** One request on its own connection; an event stream is cut once its headers are in. */
export function send(app: Pick<EdgeApp, 'port'>, { method = 'GET', path, headers = {}, body, from }: Sent): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: app.port, method, path, headers, agent: false, ...(from ? { localAddress: from } : {}) },
      (res) => {
        const answer = (text: string): Answer => {
          let json: Record<string, unknown> | undefined;
          if (/^application\/json/.test(res.headers['content-type'] ?? '')) {
            try {
              json = JSON.parse(text) as Record<string, unknown>;
            } catch {
              json = undefined;
            }
          }
          return { status: res.statusCode ?? 0, headers: res.headers, text, json };
        };
        if (/^text\/event-stream/.test(res.headers['content-type'] ?? '')) {
          res.destroy();
          resolve(answer(''));
          return;
        }
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(answer(text)));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const bearer = (token = TOKEN): Record<string, string> => ({ Authorization: `Bearer ${token}` });
