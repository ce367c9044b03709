// What the bench needs before its first call, set up by itself: SIPp, the sandbox Asterisk, and
// an RTP range and HTTP session limit wide enough for its callers. Asterisk is never restarted
// here (another run may be using it): a sandbox that is down is started with the bench's
// settings, one that runs is regenerated with them (docker/sandbox.sh up: Asterisk reloads) only
// when it is too small or older than the include of the bench's dialplan file, and if a reload
// cannot widen it the bench stops and says what to do.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIALPLAN_FILE } from '../../src/asterisk/render-config.js';
import { DEFAULT_MAX_CALLS } from '../../src/config/env.js';
import { asteriskCli, parseRtpRange, SANDBOX_ROOT } from './asterisk.js';

/** SIPp (Debian's sip-tester), installed as the end-to-end setup does. */
export function ensureSipp(): void {
  if (spawnSync('sipp', ['-v']).error === undefined) return;
  console.log('bench: installing SIPp (sip-tester)');
  const install = spawnSync('bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester'], { stdio: 'inherit' });
  if (install.status !== 0) throw new Error('SIPp is missing and installing sip-tester failed; see the output above');
}

export interface SandboxNeeds {
  /** Callers live at once at the highest rate (each a channel with media). */
  peakLiveCalls: number;
  /** The controller's HOTLINE_MAX_CALLS, which sizes http.conf's sessionlimit. */
  maxCalls: number;
}

/**
 * Ports and sessions the bench asks for: 2 RTP ports (RTP + RTCP) per caller, with a quarter more
 * for callers still being torn down; an HTTP session per request in flight of the bare app,
 * which has no bound of its own, at most one per live call (plus the headroom the generated
 * http.conf keeps).
 */
export function sandboxSettings(needs: SandboxNeeds): { rtpPorts: number; sessionLimit: number } {
  const rtpPorts = 2 * Math.ceil(needs.peakLiveCalls * 1.25);
  return { rtpPorts, sessionLimit: Math.min(needs.maxCalls, needs.peakLiveCalls) + 100 };
}

function running(): boolean {
  return spawnSync('bash', ['docker/sandbox.sh', 'status'], { stdio: 'ignore' }).status === 0;
}

async function liveRtpPorts(): Promise<number> {
  const range = parseRtpRange(await asteriskCli('rtp show settings'));
  if (!range) throw new Error("Asterisk's `rtp show settings` shows no port range");
  return range.end - range.start + 1;
}

const generated = (file: string): string => {
  try {
    return readFileSync(join(SANDBOX_ROOT, 'etc/asterisk', file), 'utf8');
  } catch {
    return '';
  }
};

/** http.conf's sessionlimit as generated (Asterisk shows no live value); 100 is its default. */
function sessionLimitInFile(): number {
  return Number(/^sessionlimit\s*=\s*(\d+)/m.exec(generated('http.conf'))?.[1] ?? 100);
}

/** Whether extensions.conf includes the bench's dialplan file (one generated before that does not). */
function includesBenchDialplan(): boolean {
  return generated('extensions.conf').includes(`#tryinclude ${BENCH_DIALPLAN_FILE}`);
}

export interface SandboxState {
  rtpPorts: number;
  sessionLimit: number;
  /** What the bench did to it: nothing, started it, or regenerated and reloaded it. */
  action: 'none' | 'started' | 'regenerated';
}

/** Starts or widens the sandbox as the bench needs; returns the RTP ports Asterisk runs with. */
export async function ensureSandbox(needs: SandboxNeeds): Promise<SandboxState> {
  const want = sandboxSettings(needs);
  const up = running();
  if (up) {
    const have = { rtpPorts: await liveRtpPorts(), sessionLimit: sessionLimitInFile() };
    const included = includesBenchDialplan();
    if (have.rtpPorts >= want.rtpPorts && have.sessionLimit >= want.sessionLimit && included) return { ...have, action: 'none' };
    console.log(
      `bench: the sandbox has ${have.rtpPorts} RTP ports and ${have.sessionLimit} HTTP sessions${included ? '' : ", and its extensions.conf does not include the bench's dialplan file"}; ` +
        `regenerating it for ${want.rtpPorts} and ${want.sessionLimit}`,
    );
  }
  // The settings go through the environment, which wins over hotline.env (src/config/env.ts):
  // hotline.env is the operator's and stays as it is. RTP_PORTS must hold 4 × HOTLINE_MAX_CALLS;
  // neither goes below the defaults.
  const maxCalls = Math.max(DEFAULT_MAX_CALLS, want.sessionLimit - 100);
  const rtpPorts = Math.max(want.rtpPorts, 4 * maxCalls, 1000);
  const result = spawnSync('bash', ['docker/sandbox.sh', 'up'], {
    stdio: 'inherit',
    env: { ...process.env, HOTLINE_MAX_CALLS: String(maxCalls), RTP_PORTS: String(rtpPorts) },
  });
  if (result.status !== 0) throw new Error(`docker/sandbox.sh up exited ${result.status}; see its output above`);
  const rtp = await liveRtpPorts();
  if (rtp < want.rtpPorts) {
    throw new Error(
      `Asterisk still runs with ${rtp} RTP ports after the reload (it needs ${want.rtpPorts}). When no other run uses the sandbox, restart it with these settings: ` +
        `npm run asterisk:down && HOTLINE_MAX_CALLS=${maxCalls} RTP_PORTS=${rtpPorts} npm run asterisk:up`,
    );
  }
  return { rtpPorts: rtp, sessionLimit: sessionLimitInFile(), action: up ? 'regenerated' : 'started' };
}
