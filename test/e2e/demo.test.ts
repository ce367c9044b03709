// `npm run demo` as a new user runs it: the demo call goes through, and afterwards nothing the
// demo started is left running (a controller left behind kept HTTP_PORT, and the next
// `npm start` died on it).
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig, readEnvironment } from '../../src/config/env.js';

/** True when a new listener can bind host:port (nobody holds it). */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

describe('npm run demo', () => {
  it('race: the demo stops the controller it started; HTTP_PORT is free afterwards', async () => {
    const { http } = loadConfig(readEnvironment());
    expect(await portFree(http.host, http.port)).toBe(true);
    const demo = spawn('npm', ['run', 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    demo.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    demo.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => demo.once('exit', resolve));
    expect(code, output).toBe(0);
    // The demo's call was logged from answer to hang-up.
    expect(output).toContain('call.answered');
    expect(output).toContain('call.hangup');
    // Nothing of the demo is left: the port is free and no controller process remains.
    expect(await portFree(http.host, http.port)).toBe(true);
    const left = spawnSync('pgrep', ['-f', 'tsx src/main.ts'], { encoding: 'utf8' }).stdout.trim();
    expect(left).toBe('');
  }, 180_000);
});
