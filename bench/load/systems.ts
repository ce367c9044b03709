// The bench's two ARI systems as child processes of their own (so /proc shows each one's CPU and
// memory alone): the controller (src/main.ts with the bench flow, its own database, HTTP port and
// ARI application) and the bare ari-client app. Both run under `node --import tsx`, so the pid
// is the process doing the work (no npx or tsx launcher in between), and both are stopped by
// that pid: SIGTERM, then SIGKILL if it has not exited within the grace.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Config } from '../../src/config/env.js';
import type { AdmissionStatus } from '../../src/overload/admission.js';
import { atPriority, type Priority } from './priority.js';

const STOP_GRACE_MS = 15_000;
const START_LIMIT_MS = 60_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface SystemProcess {
  pid: number;
  /** Set once the process has exited (its code, or the signal's name). */
  exited(): string | undefined;
  stop(): Promise<void>;
  /** SIGKILL, as a crash or an OOM kill would end it; resolves once it has exited. */
  kill(): Promise<void>;
}

/** Every process started here, so an interrupted bench can stop them all (by pid). */
export const started = new Set<SystemProcess>();

function track(child: ChildProcess, what: string, logFd: number): SystemProcess {
  if (child.pid === undefined) throw new Error(`${what} did not start`);
  let exit: string | undefined;
  const gone = new Promise<void>((done) =>
    child.once('exit', (code, signal) => {
      exit = signal ?? String(code);
      closeSync(logFd);
      done();
    }),
  );
  const proc: SystemProcess = {
    pid: child.pid,
    exited: () => exit,
    async stop() {
      started.delete(proc);
      if (exit !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await gone;
      clearTimeout(timer);
    },
    async kill() {
      started.delete(proc);
      if (exit === undefined) child.kill('SIGKILL');
      await gone;
    },
  };
  started.add(proc);
  return proc;
}

/**
 * The Node flags `npm start` runs the controller with (package.json `config.nodeFlags`), so the
 * bench measures the controller as it is deployed.
 */
export function controllerNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { config?: { nodeFlags?: string } };
  return (pkg.config?.nodeFlags ?? '').split(/\s+/).filter((f) => f !== '');
}

async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The part of the controller's /health the bench reads. */
export interface ControllerHealth {
  ari: boolean;
  activeCalls: number;
  load?: AdmissionStatus;
}

export interface ControllerProcess extends SystemProcess {
  /** Its HTTP API, e.g. http://127.0.0.1:41234. */
  url: string;
  health(): Promise<ControllerHealth | undefined>;
}

export async function startController(o: {
  app: string;
  flowFile: string;
  dbFile: string;
  logFile: string;
  maxCalls: number;
  logLevel: string;
  priority: Priority;
  /** More settings, over those above (the e2e tests' flow timings, for one). */
  env?: Record<string, string>;
}): Promise<ControllerProcess> {
  const port = await freeTcpPort();
  const logFd = openSync(o.logFile, 'a');
  const [command, ...args] = atPriority(o.priority, [process.execPath, ...controllerNodeFlags(), '--import', 'tsx', 'src/main.ts']);
  const child = spawn(command!, args, {
    stdio: ['ignore', logFd, logFd],
    env: {
      ...process.env,
      ARI_APP: o.app,
      FLOW_FILE: o.flowFile,
      HOTLINE_DB: o.dbFile,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      HOTLINE_MAX_CALLS: String(o.maxCalls),
      // Checked against HOTLINE_MAX_CALLS when the controller loads its config, but used only to
      // write rtp.conf; Asterisk's real range is the sandbox's (ensureSandbox).
      RTP_PORTS: String(Math.max(1000, 4 * o.maxCalls)),
      LOG_LEVEL: o.logLevel,
      ...o.env,
    },
  });
  const proc = track(child, 'the controller', logFd);
  const base = `http://127.0.0.1:${port}`;
  const health = async (): Promise<ControllerHealth | undefined> => {
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) });
      return (await res.json()) as ControllerHealth;
    } catch {
      return undefined;
    }
  };
  for (const until = Date.now() + START_LIMIT_MS; ; await sleep(200)) {
    if ((await health())?.ari) break;
    const exit = proc.exited();
    if (exit !== undefined || Date.now() > until) {
      await proc.stop();
      throw new Error(`the controller ${exit === undefined ? `was not connected to ARI within ${START_LIMIT_MS / 1000} s` : `exited (${exit})`}; see ${o.logFile}`);
    }
  }
  return { ...proc, url: base, health };
}

export async function startBareApp(o: {
  app: string;
  ari: Config['ari'];
  greeting: string[];
  menu: string[];
  logFile: string;
  priority: Priority;
}): Promise<SystemProcess> {
  const logFd = openSync(o.logFile, 'a');
  const [command, ...args] = atPriority(o.priority, [process.execPath, '--import', 'tsx', 'bench/load/bare-app.ts']);
  const child = spawn(command!, args, {
    stdio: ['ignore', 'pipe', logFd],
    env: {
      ...process.env,
      ARI_URL: o.ari.url,
      ARI_USER: o.ari.user,
      ARI_PASSWORD: o.ari.password,
      BENCH_APP: o.app,
      BENCH_GREETING: o.greeting.join(','),
      BENCH_MENU: o.menu.join(','),
    },
  });
  const proc = track(child, 'the bare app', logFd);
  // Ready once its WebSocket is open: it says so on stdout (ARI may still list the application
  // of the previous run's process for a moment, so asking Asterisk would not do).
  const ready = new Promise<boolean>((done) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (proc.exited() === undefined) writeSync(logFd, chunk);
      out += chunk.toString();
      if (/^ready$/m.test(out)) done(true);
    });
    child.once('exit', () => done(false));
    setTimeout(() => done(false), START_LIMIT_MS);
  });
  if (!(await ready)) {
    await proc.stop();
    throw new Error(`the bare app did not start; see ${o.logFile}`);
  }
  return proc;
}
