// A controller in its own process (`node --import tsx src/main.ts`, as `npm start` runs it), for
// the tests that end one the way a crash or an OOM kill does: SIGKILL, no shutdown code run.
// What is in SQLite and in Asterisk is then all the next controller has. Started by the load
// bench's launcher (bench/load/systems.ts), in this file's lane.
import { dirname, join } from 'node:path';
import { startController, type ControllerProcess } from '../../../bench/load/systems.js';
import { readEnvironment } from '../../../src/config/env.js';
import { currentLane } from './lane.js';

export interface KillableController extends ControllerProcess {
  /** GET or POST on its API with the token; the JSON body. */
  api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
}

export async function startControllerProcess(flowFile: string, o: { dbFile: string; env?: Record<string, string> }): Promise<KillableController> {
  const proc = await startController({
    app: currentLane().app,
    flowFile,
    dbFile: o.dbFile,
    logFile: join(dirname(o.dbFile), 'controller.log'),
    maxCalls: 200,
    logLevel: 'warn',
    // A test's few calls do not saturate the machine (bench/load/priority.ts).
    priority: 'normal',
    env: o.env ?? {},
  });
  const token = readEnvironment().API_TOKEN ?? '';
  return {
    ...proc,
    async api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
      const res = await fetch(proc.url + path, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!res.ok) throw new Error(`${method} ${path} -> ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
  };
}
