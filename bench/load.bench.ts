// npm run bench:load (issue 12): SIPp callers at a list of rates against three systems, run
// alternately in one bench so that each is measured beside the others: the controller with a
// bench flow (answer at once, greeting, menu), Asterisk's own dialplan playing the same files
// (the floor), and a bare ari-client app doing the same. One table on stdout, the JSON report
// under reports/, and a verdict per rate against the issue's goals. Sets up what it needs
// itself (SIPp, the sandbox, its RTP range, the bench's dialplan) and bounds every run.
// Flags: bench/load/options.ts (`npm run bench:load -- --help`).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadConfig } from '../src/config/env.js';
import { dayContext } from '../src/calendar/hotline-calendar.js';
import { greetingPrompts } from '../src/flow/greeting-choice.js';
import { loadFlow } from '../src/flow/load-flow.js';
import { cycleMs } from '../src/flow/ring-budget.js';
import type { Flow } from '../src/flow/schema.js';
import { loadCatalogue } from '../src/prompts/catalogue.js';
import { mediaFor } from '../src/prompts/media.js';
import { entryContext } from '../src/asterisk/render-config.js';
import { asteriskCli, AriRest } from './load/asterisk.js';
import { BENCH_APPS, BENCH_ENTRIES, bareDialplan, type BenchDialplan, floorDialplan, type SystemName } from './load/dialplan.js';
import { installDialplan, removeDialplan } from './load/install-dialplan.js';
import { parseOptions, UsageError } from './load/options.js';
import type { RunResult } from './load/results.js';
import { runOnce, type BenchContext } from './load/run.js';
import { schedule, type RunSpec } from './load/schedule.js';
import { ensureSandbox, ensureSipp } from './load/sandbox.js';
import { runningSipp, sippBoundS } from './load/sipp.js';
import { started } from './load/systems.js';
import { resultsTable } from './load/table.js';
import { formatVerdicts, GOALS, verdicts } from './load/verdict.js';

const FLOW_FILE = 'bench/load/flow.yaml';
const LOGS_DIR = 'reports/bench-load-logs';
const TIMERS = 'the bench flow has no N3 or N10 step, and its callers hang up during the menu prompt, before the menu\'s 5 s wait for a key';

/** The prompts a call of the bench flow hears today: the greeting's files, then the menu's. */
function benchPrompts(flow: Flow): { greeting: string[]; menu: string[] } {
  const menu = Object.values(flow.steps).find((s) => s.verb === 'menu');
  if (!menu || menu.verb !== 'menu') throw new Error(`${FLOW_FILE} has no menu step`);
  return { greeting: greetingPrompts(dayContext(new Date(), flow.hotline)).prompts, menu: [menu.prompt] };
}

function machine() {
  // `sipp -v` exits 99 after printing its version.
  const firstLine = (text: string) => text.split('\n').find((l) => l.trim() !== '')?.trim();
  const version = (cmd: string, args: string[]) => firstLine(spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? '');
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    sipp: version('sipp', ['-v']),
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const runs = schedule(options);
  const holdMs = options.hold * 1000;
  // Each run: SIPp's calls, the last caller's hold, the tail; an ARI system's run also starts
  // its process and places its warm-up calls.
  const estimateS = runs.reduce((s, r) => s + options.seconds + options.hold + 3 + (r.system === 'dialplan' ? 0 : 7), options.settle);
  console.log(
    `bench: ${runs.length} runs (${options.repetitions} × rates ${options.rates.join(', ')} × ${options.systems.join(', ')}), ` +
      `${options.seconds} s of calls each, callers hang up ${options.hold} s after the answer; about ${Math.ceil(estimateS / 60)} min ` +
      `(each run bounded at ${sippBoundS(options.seconds, holdMs)} s); the controller and the bare app at ${options.priority} CPU priority`,
  );

  ensureSipp();
  const maxRate = Math.max(...options.rates);
  const sandbox = await ensureSandbox({ peakLiveCalls: Math.ceil(maxRate * (options.hold + 2)), maxCalls: options.maxCalls });
  const config = loadConfig();
  const rest = new AriRest(config.ari);
  await rest.checkCredentials();
  const flow = loadFlow(FLOW_FILE, loadCatalogue(config.promptCatalogue).ids, { onWarning: () => undefined });
  const prompts = benchPrompts(flow);
  const lang = flow.hotline.language;
  const file = (id: string) => mediaFor(id, lang).replace(/^sound:/, '');
  const dialplan: BenchDialplan = {
    controller: entryContext(BENCH_ENTRIES.controller.context, BENCH_APPS.controller, flow),
    dialplan: floorDialplan(BENCH_ENTRIES.dialplan, { greeting: prompts.greeting.map(file), menu: prompts.menu.map(file) }),
    bare: bareDialplan(BENCH_ENTRIES.bare, BENCH_APPS.bare),
  };
  await installDialplan(dialplan);
  rmSync(LOGS_DIR, { recursive: true, force: true });
  mkdirSync(LOGS_DIR, { recursive: true });

  const ctx: BenchContext = {
    ari: config.ari,
    rest,
    dialplan,
    media: { greeting: prompts.greeting.map((id) => mediaFor(id, lang)), menu: prompts.menu.map((id) => mediaFor(id, lang)) },
    // The flow answers after `answerAfterRings` rings (0 here); the floor and the bare app at once.
    answerDelayMs: { controller: flow.ring.answerAfterRings * cycleMs(flow.ring), dialplan: 0, bare: 0 },
    flowFile: FLOW_FILE,
    maxCalls: options.maxCalls,
    logLevel: options.logLevel,
    priority: options.priority,
    seconds: options.seconds,
    holdMs,
    settleS: options.settle,
    logsDir: LOGS_DIR,
  };

  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    console.error('\nbench: interrupted; stopping its processes and removing its dialplan');
    for (const sipp of runningSipp) sipp.kill('SIGINT');
    void Promise.all([...started].map((p) => p.stop()))
      .then(removeDialplan)
      .finally(() => process.exit(130));
  });

  const results: RunResult[] = [];
  const settling = new Map<SystemName, Promise<void>>();
  const startedAt = new Date();
  for (const spec of runs) {
    if (interrupted) break;
    // One process per system at a time (two controllers would share one ARI application).
    await settling.get(spec.system);
    try {
      const { result, settled } = await runOnce(spec, ctx);
      results.push(result);
      settling.set(spec.system, settled);
      const a = result.answerMs;
      console.log(
        `  rep ${spec.repetition}, ${spec.rate} calls/s, ${spec.system}: ${result.sipp.attempted} attempted, ${result.sipp.answered} answered, ` +
          `${result.sipp.failed} failed, ${result.sipp.endedByHotline} hung up by the hotline, INVITE→200 p99 ${a.p99 ?? '–'} ms (${result.durationS} s)${result.errors.length ? `; ${result.errors.join('; ')}` : ''}`,
      );
    } catch (err) {
      console.error(`  rep ${spec.repetition}, ${spec.rate} calls/s, ${spec.system}: ${(err as Error).message}`);
      results.push(failedRun(spec, (err as Error).message));
    }
  }
  await Promise.all(settling.values());
  await removeDialplan();

  const verdictList = verdicts(results);
  console.log(`\nINVITE→200 beyond the configured answer delay (0: every system answers at once); stuck: channels up ${options.settle} s after the run\n`);
  console.log(resultsTable(results));
  console.log(`\nN3/N10 timer lateness: none to measure (${TIMERS})`);
  console.log(`\nGoals (issue 12, item 3), each repetition side by side:\n${formatVerdicts(verdictList)}`);
  const report = {
    startedAt: startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    machine: { ...machine(), asterisk: (await asteriskCli('core show version').catch(() => '')).trim() },
    options,
    sandbox,
    flow: FLOW_FILE,
    prompts,
    goals: GOALS,
    timers: `N3/N10 timer lateness: none to measure (${TIMERS})`,
    runs: results,
    verdicts: verdictList,
  };
  mkdirSync(dirname(options.out), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nJSON: ${options.out}; process logs: ${join(LOGS_DIR, '')}`);
}

function failedRun(spec: RunSpec, error: string): RunResult {
  return {
    ...spec,
    startedAt: new Date().toISOString(),
    durationS: 0,
    sipp: { attempted: 0, successful: 0, failed: 0, failures: {}, answered: 0, refused: {}, unanswered: 0, endedByCaller: 0, endedByHotline: 0, exitCode: null, timedOut: false },
    answerDelayMs: 0,
    answerMs: { count: 0, p50: undefined, p95: undefined, p99: undefined, max: undefined },
    stuck: null,
    errors: [error],
  };
}

main().catch(async (err: unknown) => {
  if (err instanceof UsageError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(err);
  await Promise.all([...started].map((p) => p.stop()));
  process.exit(1);
});
