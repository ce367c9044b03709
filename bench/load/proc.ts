// CPU time and resident memory of another process (the controller, the bare app, Asterisk),
// from Linux's /proc: process.cpuUsage() only knows its own process.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** utime + stime in clock ticks, from /proc/<pid>/stat (fields 14 and 15). */
export function parseProcStatTicks(text: string): number {
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
  const fields = text.slice(text.lastIndexOf(')') + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('unreadable /proc/<pid>/stat');
  return utime + stime;
}

/** VmRSS in kB from /proc/<pid>/status. */
export function parseVmRssKb(text: string): number {
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text)?.[1];
  if (kb === undefined) throw new Error('no VmRSS in /proc/<pid>/status');
  return Number(kb);
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100; // Linux's USER_HZ nearly everywhere
    }
  }
  return ticksPerSecond;
}

export interface ProcSample {
  cpuMs: number;
  rssKb: number;
}

/** The process's CPU time so far and its RSS now; undefined once it is gone. */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const ticks = parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const rssKb = parseVmRssKb(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpuMs: (ticks * 1000) / clockTicks(), rssKb };
  } catch {
    return undefined;
  }
}
