// A whole controller in-process, with its own database file and flow, talking to the sandbox
// Asterisk. Tests read what happened through its real HTTP API.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, readEnvironment } from '../../../src/config/env.js';
import { startController, type Controller } from '../../../src/controller.js';
import { createLogger } from '../../../src/log/logger.js';
import type { CallRow, EventRow } from '../../../src/store/call-queries.js';
import { currentLane } from './lane.js';

export interface TestController {
  controller: Controller;
  /** The API token, for requests the helpers here do not cover. */
  token: string;
  calls(): Promise<CallRow[]>;
  events(callId: string): Promise<EventRow[]>;
  /** The hotline call of a caller number, once its row shows it ended. */
  endedCall(caller: string, timeoutMs?: number): Promise<CallRow>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Called in the tick the controller connects (events socket open, REST transport chosen), as its first channel listing goes out. */
  onConnect?: () => void;
}

export async function startTestController(
  flowFile: string,
  extraEnv: Record<string, string> = {},
  options: StartOptions = {},
): Promise<TestController> {
  const env = readEnvironment();
  const dir = mkdtempSync(join(tmpdir(), 'hotline-e2e-'));
  const config = loadConfig({
    ...env,
    HOTLINE_DB: join(dir, 'hotline.db'),
    HTTP_PORT: '0',
    FLOW_FILE: flowFile,
    // This file's lane: its own ARI application, reached through its own entry context.
    ARI_APP: currentLane().app,
    ...extraEnv,
  });
  const logger = createLogger({ level: (process.env.E2E_LOG_LEVEL as 'info' | undefined) ?? 'warn' });
  const controller = await startController(config, { logger });
  const { onConnect } = options;
  if (onConnect) {
    // The events socket needs I/O to open (and the REST transport is chosen after it opens),
    // so it cannot be connected yet; say so if it is.
    if (controller.ari.connected) {
      await controller.stop();
      throw new Error('the controller connected before onConnect could be attached');
    }
    controller.ari.once('connected', onConnect);
  }
  const deadline = Date.now() + 20_000;
  while (!controller.ari.connected) {
    if (Date.now() > deadline) throw new Error('controller did not connect to ARI within 20 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(controller.httpUrl + path, { headers: { Authorization: `Bearer ${config.http.apiToken}` } });
    if (!res.ok) throw new Error(`GET ${path} -> ${res.status}`);
    return (await res.json()) as T;
  };
  const calls = async () => (await api<{ calls: CallRow[] }>('/api/calls?limit=500')).calls;
  return {
    controller,
    token: config.http.apiToken,
    calls,
    events: async (id) => (await api<{ events: EventRow[] }>(`/api/calls/${id}/events`)).events,
    async endedCall(caller, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const row = (await calls()).find((c) => c.caller === caller && c.endedAt !== null);
        if (row) return row;
        if (Date.now() > until) throw new Error(`no ended call from ${caller} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop: () => controller.stop(),
  };
}

let serial = 0;
/** A caller number unique to this run, so tests can find their own call rows. */
export function freshCaller(): string {
  serial += 1;
  return `138${String(Date.now() % 1e6).padStart(6, '0')}${String(serial % 100).padStart(2, '0')}`;
}
