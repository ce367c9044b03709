// Runs SIPp as a real SIP caller against the sandbox's PJSIP transport and reads its message
// log back, so tests can check what crossed the wire and when.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';

export interface SippMessage {
  at: number; // epoch ms
  direction: 'sent' | 'received';
  firstLine: string;
}

export interface SippRun {
  exitCode: number;
  messages: SippMessage[];
  output: string;
}

export async function runSipp(options: {
  scenario: string;
  service: string;
  keys?: Record<string, string>;
  localPort?: number;
  /** How long the caller stays after the answer (the scenario's <pause/>). */
  holdMs?: number;
  timeoutS?: number;
}): Promise<SippRun> {
  const args = [
    '127.0.0.1:5060', '-sf', resolvePath(options.scenario), '-s', options.service,
    '-i', '127.0.0.1', '-p', String(options.localPort ?? 5070),
    '-m', '1', '-l', '1', '-d', String(options.holdMs ?? 2000),
  ];
  for (const [k, v] of Object.entries(options.keys ?? {})) args.push('-key', k, v);
  return sipp(args, options.timeoutS ?? 60);
}

/**
 * SIPp's built-in UAS as an agent's phone on `port`: it answers one INVITE (180, then 200 with
 * SDP) and stays until the BYE. Resolves when that call is over or after timeoutS.
 */
export function runSippPhone(options: { port: number; timeoutS?: number }): Promise<SippRun> {
  return sipp(['-sn', 'uas', '-i', '127.0.0.1', '-p', String(options.port), '-m', '1'], options.timeoutS ?? 60);
}

async function sipp(scenarioArgs: string[], timeoutS: number): Promise<SippRun> {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-sipp-'));
  const messageFile = join(dir, 'messages.log');
  const args = [
    ...scenarioArgs, '-nostdin', '-timeout', `${timeoutS}s`, '-timeout_error',
    '-trace_msg', '-message_file', messageFile, '-trace_err', '-error_file', join(dir, 'errors.log'),
  ];
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile('sipp', args, { cwd: dir, timeout: (timeoutS + 10) * 1000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, output: `${stdout}\n${stderr}\n${readdirSync(dir).join(' ')}` });
    });
  });
  const log = existsSync(messageFile) ? readFileSync(messageFile, 'utf8') : '';
  return { exitCode: code, messages: parseMessageLog(log), output };
}

// SIPp's message log: a dashed line with the date and time, then "UDP message sent/received",
// a blank line and the SIP message itself.
function parseMessageLog(text: string): SippMessage[] {
  const out: SippMessage[] = [];
  const blocks = text.split(/^-{10,}\s*/m).slice(1);
  for (const block of blocks) {
    const lines = block.split('\n');
    const stamp = /(\d{4}-\d{2}-\d{2})\s+(\d{2}:\d{2}:\d{2}\.\d+)/.exec(lines[0] ?? '');
    const direction = /message sent/i.test(block) ? 'sent' : /message received/i.test(block) ? 'received' : undefined;
    const firstLine = lines.find((l) => /^(SIP\/2\.0 \d{3}|[A-Z]+ sip:)/.test(l.trim()))?.trim();
    if (!stamp || !direction || !firstLine) continue;
    out.push({ at: Date.parse(`${stamp[1]}T${stamp[2]!.slice(0, 12)}`), direction, firstLine });
  }
  return out;
}
