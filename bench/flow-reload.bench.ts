// How long a flow reload holds up the event loop (every live call's prompts, keys and timers):
// the same large flow loaded in the main thread (the old reload) and in a worker thread (the
// reload now), side by side in one run. `npm run bench:reload`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { systemClock } from '../src/clock/clock.js';
import { loadFlowOffThread } from '../src/flow/load-flow-off-thread.js';
import { loadFlow } from '../src/flow/load-flow.js';
import { loadCatalogue } from '../src/prompts/catalogue.js';

const ids = loadCatalogue('prompts/catalogue.yaml').ids;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reload-bench-'));

/** A valid flow just under the loader's 256 KB limit: a long chain of play steps. */
function bigFlow(): string {
  const lines = ['hotline: { name: Bench line, number: "100" }', 'steps:'];
  let i = 0;
  while (lines.join('\n').length < 250 * 1024) {
    lines.push(`  s${i}: { verb: play, prompt: menu.main, next: s${i + 1} }`);
    i += 1;
  }
  lines.push(`  s${i}: { verb: hangup }`);
  return `${lines.join('\n')}\n`;
}

const files = {
  shipped: 'dialplans/hotline.yaml',
  '250 KB': path.join(dir, 'big.yaml'),
};
fs.writeFileSync(files['250 KB'], bigFlow());

async function measure(load: () => Promise<unknown>): Promise<{ wallMs: number; maxLoopDelayMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  // A live call's timer: what the event loop must keep serving during the reload.
  let maxGap = 0;
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 1);
  histogram.enable();
  // Let the timer run first, so a load that blocks shows as the gap it leaves.
  await new Promise((resolve) => setTimeout(resolve, 5));
  const start = performance.now();
  await load();
  const wallMs = performance.now() - start;
  // And once more after it, so the gap is seen.
  await new Promise((resolve) => setTimeout(resolve, 5));
  histogram.disable();
  clearInterval(tick);
  return { wallMs, maxLoopDelayMs: Math.max(maxGap, histogram.max / 1e6) };
}

const signal = new AbortController().signal;
const rows: string[] = [];
for (const [name, file] of Object.entries(files)) {
  for (let rep = 0; rep < 2; rep++) {
    const main = await measure(() => Promise.resolve(loadFlow(file, ids, { onWarning: () => undefined })));
    const worker = await measure(() => loadFlowOffThread(file, ids, { onWarning: () => undefined }, { clock: systemClock, signal }));
    rows.push(
      `| ${name} #${rep + 1} | ${main.wallMs.toFixed(0)} ms | ${main.maxLoopDelayMs.toFixed(1)} ms | ${worker.wallMs.toFixed(0)} ms | ${worker.maxLoopDelayMs.toFixed(1)} ms |`,
    );
  }
}
console.log('| flow | main thread: reload | event loop held up | worker thread: reload | event loop held up |');
console.log('| --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
fs.rmSync(dir, { recursive: true, force: true });
