// What a call's resume points cost (an adopted call resumes where it was): the recorder's work
// for one call, with and without a resume point per step, in the same run on one database file.
// A call here: its row, ten events, its answer, six steps (the shipped flow's answer, language,
// hours, greet, menu, transfer or goodbye), its end; five calls per batch, as at 100 calls/s
// with the recorder's 50 ms flush, a write every two steps (BENCH_FLUSH_EVERY=1: every step).
// `npx tsx bench/resume-point.bench.ts`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCallFacts } from '../src/calls/call-facts.js';
import { carryFacts } from '../src/calls/resume.js';
import { VirtualClock } from '../src/clock/virtual-clock.js';
import { createLogger } from '../src/log/logger.js';
import { openDatabase } from '../src/store/database.js';
import { createSqliteRecorder } from '../src/store/sqlite-recorder.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PER_BATCH = 5;
// Phases (a call's start, its steps, its end) between two writes: 1 gives every step a batch of its own.
const FLUSH_EVERY = Number(process.env.BENCH_FLUSH_EVERY ?? 2);
const STEPS = ['answer', 'lang', 'office-hours', 'welcome', 'main', 'closing'];
const logger = createLogger({ level: 'warn' });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resume-bench-'));

function run(withSteps: boolean, round: number): number {
  const db = openDatabase(path.join(dir, `${withSteps ? 'with' : 'without'}-${round}.db`));
  // A timer that never fires: the bench flushes itself, every PER_BATCH calls.
  const rec = createSqliteRecorder(db, { logger, clock: new VirtualClock(), flushIntervalMs: 3_600_000, maxBatch: 10_000 });
  const start = performance.now();
  for (let base = 0; base < CALLS; base += PER_BATCH) {
    for (let s = 0; s < STEPS.length + 2; s++) {
      for (let c = base; c < base + PER_BATCH; c++) {
        const id = `call-${c}`;
        if (s === 0) {
          rec.callStarted({ id, channelId: id, caller: '13800138000', called: '4008008000', startedAt: c });
          continue;
        }
        if (s === STEPS.length + 1) {
          rec.callEnded(id, { endedAt: c + 1, hangupBy: 'caller', hangupCause: 16, outcome: 'completed', maxGapMs: 10, maxDeadAirMs: 0 });
          continue;
        }
        const facts = createCallFacts({ direction: 'inbound', caller: '13800138000', language: 'zh-CN' });
        if (s > 4) facts.trail.push('1');
        if (withSteps) rec.callStep(id, STEPS[s - 1]!, carryFacts(facts));
        rec.event(id, 'menu.prompted', { step: 'main', prompt: 'menu.main', attempt: 1 });
        if (s % 3 === 0) rec.event(id, 'prompt.played', { prompts: ['info.business'], interrupted: false });
        if (s === 1) rec.callAnswered(id, c, 500);
      }
      // Steps of five calls meet in one batch, as they do between two 50 ms flushes.
      if (s % FLUSH_EVERY === 0) rec.flush();
    }
  }
  rec.close();
  const ms = performance.now() - start;
  db.close();
  return ms;
}

try {
  const results: Record<'without' | 'with', number[]> = { without: [], with: [] };
  // Alternated, so that both see the same machine.
  for (let round = 0; round < ROUNDS; round++) {
    results.without.push(run(false, round));
    results.with.push(run(true, round));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [name, xs] of Object.entries(results)) {
    const ms = median(xs);
    console.log(`${name.padEnd(8)} resume points: ${((ms / CALLS) * 1000).toFixed(1)} µs per call (median of ${ROUNDS} runs of ${CALLS} calls; runs ${xs.map((x) => x.toFixed(0)).join(', ')} ms)`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
