// The e2e lanes (test/e2e/support/lane.ts) are what lets e2e files run in parallel on one
// Asterisk: two files in one lane share an ARI application and take each other's calls. CI once
// failed that way (a lock read while still empty was taken for a dead holder's), so the claim is
// checked here with real processes racing for the lanes.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const LANE = resolve(__dirname, '../e2e/support/lane.ts');
const TSX = resolve(__dirname, '../../node_modules/.bin/tsx');

// Each process claims a lane, reports it, and holds it a while so the others must pass it by.
// They start together: each busy-waits for the same instant after its slow start-up.
const CLAIM = `import { currentLane } from ${JSON.stringify(LANE)};
const at = Number(process.env.CLAIM_AT); while (Date.now() < at) {}
let lane; try { lane = currentLane().app; } catch (e) { lane = 'none'; }
console.log(lane);
setTimeout(() => {}, 1500);`;

let cache: string;
afterEach(() => rmSync(cache, { recursive: true, force: true }));

async function race(processes: number): Promise<string[]> {
  const script = join(cache, 'claim.mts');
  writeFileSync(script, CLAIM);
  const env = { ...process.env, HOTLINE_SANDBOX_CACHE: cache, HOTLINE_E2E_ALONE: '', CLAIM_AT: String(Date.now() + 2500) };
  const outs = await Promise.all(Array.from({ length: processes }, () => run(TSX, [script], { env })));
  return outs.map((o) => o.stdout.trim());
}

describe('e2e lanes', () => {
  it('processes that claim at the same moment never share a lane; those past the last lane get none', async () => {
    cache = mkdtempSync(join(tmpdir(), 'lanes-'));
    for (let round = 0; round < 2; round++) {
      const lanes = await race(10);
      const held = lanes.filter((l) => l !== 'none');
      expect(held).toHaveLength(8);
      expect(new Set(held).size).toBe(8);
    }
  }, 60_000);

  it('a lock left by a process that is gone is taken over by exactly one claimant', async () => {
    cache = mkdtempSync(join(tmpdir(), 'lanes-'));
    const locks = join(cache, 'run', 'e2e-lanes');
    mkdirSync(locks, { recursive: true });
    // pid 2^22+1 is above Linux's pid_max default: no such process.
    for (let n = 1; n <= 8; n++) writeFileSync(join(locks, `lane-${n}.lock`), String(4_194_305));
    const lanes = await race(10);
    const held = lanes.filter((l) => l !== 'none');
    expect(new Set(held).size).toBe(held.length);
    expect(held).toHaveLength(8);
    expect(readdirSync(locks).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);
});
