// npm run demo: starts the Asterisk sandbox and the controller (npm start), places one call
// that listens to the greeting, says something (N3: the silent-line protocol hears it), presses
// 1 in the menu, hangs up after the goodbye (N10: the caller hangs up first), then prints the
// call's event log from the API.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { loadConfig, readEnvironment } from '../src/config/env.js';
import { REAL_ENTRY } from '../test/e2e/support/lane.js';
import { TestCallers } from '../test/e2e/support/test-caller.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long the controller gets to stop after SIGTERM before its process group is killed. */
const STOP_GRACE_MS = 8000;

/** True while any process of the group is alive (signal 0 only checks). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false; // ESRCH: nobody left in the group.
  }
}

async function waitGroupGone(pgid: number, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; groupAlive(pgid); await sleep(100)) {
    if (Date.now() >= until) return false;
  }
  return true;
}

/**
 * Stops the controller and everything under it (npx, tsx, node): SIGTERM to its process group,
 * then waits until every process of the group has exited (npx may go first, while the controller
 * still detaches its calls and flushes its log), with SIGKILL after STOP_GRACE_MS. Killing only
 * npx left the controller holding HTTP_PORT, and the next `npm start` failed.
 */
async function stopGroup(child: ChildProcess): Promise<void> {
  const pgid = child.pid;
  if (pgid === undefined || !groupAlive(pgid)) return;
  process.kill(-pgid, 'SIGTERM');
  if (await waitGroupGone(pgid, STOP_GRACE_MS)) return;
  console.error(`the controller did not stop within ${STOP_GRACE_MS} ms: killing it`);
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // Gone in the meantime.
  }
  if (!(await waitGroupGone(pgid, 2000))) console.error(`process group ${pgid} is still there after SIGKILL`);
}

async function main(): Promise<void> {
  if (spawnSync('bash', ['docker/sandbox.sh', 'up'], { stdio: 'inherit' }).status !== 0) process.exit(1);
  const config = loadConfig(readEnvironment());
  // Its own process group, so that stopping it reaches the controller under npx and tsx.
  const controller = spawn('npx', ['tsx', 'src/main.ts'], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= stopGroup(controller));
  // Ctrl-C reaches the demo's process group, not the controller's (detached): stop it here.
  process.once('SIGINT', () => {
    console.error('\ninterrupted: stopping the controller');
    void stop().finally(() => process.exit(130));
  });
  const base = `http://${config.http.host}:${config.http.port}`;
  const api = async (path: string) => {
    const res = await fetch(base + path, { headers: { Authorization: `Bearer ${config.http.apiToken}` } });
    return (await res.json()) as Record<string, unknown>;
  };
  try {
    for (let i = 0; ; i++) {
      const health = await fetch(`${base}/health`).then((r) => r.json() as Promise<{ ari: boolean }>).catch(() => undefined);
      if (health?.ari) break;
      if (controller.exitCode !== null) throw new Error(`the controller exited with code ${controller.exitCode}`);
      if (i > 100) throw new Error('the controller did not come up within 20 s');
      await sleep(200);
    }
    // N15: the demo shows the in-hours call whatever the time; the override says why and ends
    // with the demo (or after 5 minutes).
    const override = await fetch(`${base}/api/hours/override`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${config.http.apiToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ state: 'open', reason: 'npm run demo', by: 'demo', expiresAt: Date.now() + 5 * 60_000 }),
    });
    if (!override.ok) throw new Error(`opening the hours for the demo failed: ${override.status} ${await override.text()}`);
    const callers = new TestCallers(readEnvironment(), REAL_ENTRY);
    await callers.connect();
    const number = '13800138000';
    console.log(`\n>>> demo call from ${number} to 4008008000: speaks after the greeting, presses 1, hangs up after the goodbye\n`);
    const caller = await callers.dial(number);
    await caller.answered();
    let callId = '';
    const waitFor = async (type: string) => {
      for (const until = Date.now() + 60_000; ; ) {
        if (Date.now() > until) throw new Error(`no ${type} event within 60 s`);
        const { calls } = (await api('/api/calls?limit=1')) as { calls: { id: string }[] };
        callId = calls[0]?.id ?? '';
        const { events } = callId ? ((await api(`/api/calls/${callId}/events`)) as { events: { type: string }[] }) : { events: [] };
        if (events.some((e) => e.type === type)) return;
        await sleep(200);
      }
    };
    await waitFor('greeting.played');
    await sleep(1000);
    await caller.play('sound:hello-world'); // the caller says something
    await waitFor('menu.prompted');
    await sleep(3000); // hear part of the menu
    await caller.press('1');
    await waitFor('goodbye.played');
    await caller.hangup();
    callers.close();
    await sleep(500);
    const { call } = await api(`/api/calls/${callId}`);
    const { events } = (await api(`/api/calls/${callId}/events`)) as { events: { ts: number; type: string; rule: string | null; data: unknown }[] };
    console.log('\n>>> the call row (GET /api/calls/:id):\n', call);
    console.log('\n>>> its event log (GET /api/calls/:id/events):');
    const t0 = events[0]?.ts ?? 0;
    for (const e of events) {
      console.log(`  +${String(e.ts - t0).padStart(6)} ms  ${(e.rule ?? '').padEnd(4)} ${e.type.padEnd(16)} ${JSON.stringify(e.data)}`);
    }
    await fetch(`${base}/api/hours/override?by=demo`, { method: 'DELETE', headers: { Authorization: `Bearer ${config.http.apiToken}` } });
    console.log('\nAsterisk keeps running: npm run asterisk:down stops it.');
  } finally {
    await stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
