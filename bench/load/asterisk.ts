// The bench's hands on the sandbox Asterisk: its CLI (through the chroot, as docker/sandbox.sh
// does) and ARI's REST for the channels left over after a run.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../src/config/env.js';

export const SANDBOX_CACHE = process.env.HOTLINE_SANDBOX_CACHE ?? '/var/cache/hotline-sandbox';
export const SANDBOX_ROOT = join(SANDBOX_CACHE, 'root');

/** One CLI command (`asterisk -rx`), bounded. */
export function asteriskCli(command: string, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('chroot', [SANDBOX_ROOT, 'asterisk', '-C', '/etc/asterisk/asterisk.conf', '-rx', command], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`asterisk -rx ${JSON.stringify(command)}: ${err.message} ${stderr}`.trim()));
      else resolve(stdout);
    });
  });
}

/** The RTP range Asterisk runs with, from `rtp show settings`. */
export function parseRtpRange(text: string): { start: number; end: number } | undefined {
  const start = /Port start:\s*(\d+)/.exec(text)?.[1];
  const end = /Port end:\s*(\d+)/.exec(text)?.[1];
  return start === undefined || end === undefined ? undefined : { start: Number(start), end: Number(end) };
}

/** Asterisk's process id, as docker/sandbox.sh recorded it (chroot execs asterisk: the same pid). */
export function asteriskPid(): number | undefined {
  try {
    const pid = Number(readFileSync(join(SANDBOX_CACHE, 'run', 'asterisk.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface AriChannel {
  id: string;
  name: string;
  state: string;
  dialplan?: { context?: string; exten?: string; app_name?: string; app_data?: string };
}

/** ARI REST with the sandbox's credentials; every request bounded. */
export class AriRest {
  private readonly auth: string;

  constructor(private readonly ari: Config['ari']) {
    this.auth = `Basic ${Buffer.from(`${ari.user}:${ari.password}`).toString('base64')}`;
  }

  async request(method: string, path: string, timeoutMs = 10_000): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.ari.url.replace(/\/$/, '')}/ari${path}`, {
      method,
      headers: { Authorization: this.auth },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Not JSON: kept as text.
    }
    return { status: res.status, body };
  }

  /**
   * Fails with what to do when ARI does not take these credentials: the sandbox was generated
   * from another env file (docker/sandbox.sh writes ari.conf from the hotline.env it is given).
   */
  async checkCredentials(): Promise<void> {
    const { status } = await this.request('GET', '/asterisk/info');
    if (status === 401) {
      throw new Error(
        `ARI at ${this.ari.url} refuses ARI_USER/ARI_PASSWORD from this project's settings: the running sandbox was generated from another env file. ` +
          'When no other run uses it, `npm run asterisk:up` regenerates it from hotline.env.',
      );
    }
    if (status !== 200) throw new Error(`ARI at ${this.ari.url} answered GET /asterisk/info with ${status}`);
  }

  async channels(): Promise<AriChannel[]> {
    const { status, body } = await this.request('GET', '/channels', 30_000);
    if (status !== 200 || !Array.isArray(body)) throw new Error(`GET /channels answered ${status}`);
    return body as AriChannel[];
  }

  async hangup(id: string): Promise<void> {
    await this.request('DELETE', `/channels/${encodeURIComponent(id)}`).catch(() => undefined);
  }

  /** Whether an application of that name is connected (GET /applications/<name>). */
  async hasApplication(name: string): Promise<boolean> {
    const { status } = await this.request('GET', `/applications/${encodeURIComponent(name)}`).catch(() => ({ status: 0 }));
    return status === 200;
  }
}

/** A channel of a bench system: in its context, or still at its number in the arrival context. */
export function isChannelOf(channel: AriChannel, entry: { context: string; number: string }, app?: string): boolean {
  const d = channel.dialplan;
  if (!d) return false;
  if (d.context === entry.context || d.exten === entry.number) return true;
  return app !== undefined && d.app_name === 'Stasis' && (d.app_data ?? '').split(',')[0] === app;
}
