// One SIPp run of the bench: `rate` calls a second for `seconds`, each caller answered, silent
// (no RTP) and gone `holdMs` after the answer unless the hotline hangs up first
// (bench/load/caller.xml, written into the run's directory with its hold). Bounded twice: SIPp's own
// -timeout, and a kill by the bench a little after it. Its SIP and media ports are free ones, so
// SIPp callers of a test run elsewhere on the machine (port 5070, media 6000) are not in the way.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withoutHoldTimeouts, writeCallerScenario } from './caller-scenario.js';

/** A caller waits this long for each answer before SIPp fails (and cancels) the call. */
export const RECV_TIMEOUT_MS = 30_000;

/** SIPp processes running now, so an interrupted bench can stop them. */
export const runningSipp = new Set<ChildProcess>();

export interface SippRunOptions {
  number: string;
  rate: number;
  seconds: number;
  holdMs: number;
  /** Where SIPp writes its files. */
  dir: string;
}

export interface SippRunOutput {
  exitCode: number | null;
  timedOut: boolean;
  startedAt: number;
  endedAt: number;
  stats: string;
  shortMessages: string;
  /** SIPp's error log (less its warnings for callers whose hold ran out) and stderr, the first few KB. */
  errors: string;
}

/** Whether `count` UDP ports from `port` on loopback are free now. */
async function udpFree(port: number, count: number): Promise<boolean> {
  for (let p = port; p < port + count; p++) {
    const ok = await new Promise<boolean>((done) => {
      const socket = createSocket('udp4');
      socket.once('error', () => done(false));
      socket.bind(p, '127.0.0.1', () => socket.close(() => done(true)));
    });
    if (!ok) return false;
  }
  return true;
}

/** An even port from `from` up with `count` free ports (SIPp's media takes RTP, RTCP and video's). */
async function freePorts(from: number, count: number): Promise<number> {
  for (let port = from; port < from + 2000; port += 4) if (await udpFree(port, count)) return port;
  throw new Error(`no ${count} free UDP ports from ${from}`);
}

/** How long a run may take at most, s: placing calls, the last one's hold, a late answer, slack. */
export function sippBoundS(seconds: number, holdMs: number): number {
  return seconds + Math.ceil(holdMs / 1000) + RECV_TIMEOUT_MS / 1000 + 30;
}

export async function runSipp(o: SippRunOptions): Promise<SippRunOutput> {
  const sipPort = await freePorts(25060, 1);
  // Above the RTP ranges the sandbox is given (10000 up) and below Linux's ephemeral ports.
  const mediaPort = await freePorts(26000, 4);
  const files = { stats: join(o.dir, 'stats.csv'), short: join(o.dir, 'short.log'), errors: join(o.dir, 'errors.log') };
  const boundS = sippBoundS(o.seconds, o.holdMs);
  const calls = o.rate * o.seconds;
  const scenario = writeCallerScenario(o.dir, o.holdMs);
  const args = [
    '127.0.0.1:5060', '-sf', scenario, '-s', o.number, '-i', '127.0.0.1', '-p', String(sipPort), '-mp', String(mediaPort),
    '-r', String(o.rate), '-rp', '1000', '-m', String(calls), '-l', String(o.rate * (Math.ceil(o.holdMs / 1000) + RECV_TIMEOUT_MS / 1000 + 5)),
    '-recv_timeout', String(RECV_TIMEOUT_MS), '-nostdin', '-timeout', `${boundS}s`, '-timeout_error',
    '-trace_stat', '-stf', files.stats, '-fd', '1', '-trace_shortmsg', '-shortmessage_file', files.short, '-trace_err', '-error_file', files.errors,
  ];
  const startedAt = Date.now();
  const child = spawn('sipp', args, { cwd: o.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  runningSipp.add(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  let killed = false;
  const kill = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, (boundS + 15) * 1000);
  const exitCode = await new Promise<number | null>((done) => {
    child.once('error', () => done(null));
    child.once('close', (code) => done(code));
  });
  clearTimeout(kill);
  runningSipp.delete(child);
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  const errors = `${withoutHoldTimeouts(read(files.errors)).slice(0, 4096)}${stderr}`.trim();
  return {
    exitCode,
    // Stopped by SIPp's own -timeout (which then exits with an error) or killed by the bench.
    timedOut: killed || Date.now() - startedAt >= boundS * 1000,
    startedAt,
    endedAt: Date.now(),
    stats: read(files.stats),
    shortMessages: read(files.short),
    errors,
  };
}
