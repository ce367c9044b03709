// Puts the bench's dialplan (dialplan.ts) into the running Asterisk and takes it out again.
// A `dialplan reload` elsewhere (the end-to-end setup, `npm run asterisk:up`) drops what the CLI
// added, so the bench checks its entries before every run and puts them back when they are gone.
import { asteriskCli } from './asterisk.js';
import { addCommands, ARRIVAL_CONTEXT, arrivalDialplan, BENCH_ENTRIES, SYSTEMS, type SystemName } from './dialplan.js';

export type BenchDialplan = Readonly<Record<SystemName, string>>;

async function add(text: string): Promise<void> {
  for (const command of addCommands(text)) {
    const out = await asteriskCli(command);
    if (!/added into|replace by/.test(out)) throw new Error(`Asterisk refused ${command}: ${out.trim()}`);
  }
}

export async function installDialplan(texts: BenchDialplan): Promise<void> {
  for (const system of SYSTEMS) {
    // From scratch: a longer earlier version would leave priorities behind.
    await asteriskCli(`dialplan remove context ${BENCH_ENTRIES[system].context}`);
    await add(texts[system]);
  }
  await add(arrivalDialplan(SYSTEMS.map((s) => BENCH_ENTRIES[s])));
}

/** Whether a system's number still leads to its context, and the context is there. */
export async function dialplanInstalled(system: SystemName): Promise<boolean> {
  const { number, context } = BENCH_ENTRIES[system];
  const arrival = await asteriskCli(`dialplan show ${number}@${ARRIVAL_CONTEXT}`);
  const own = await asteriskCli(`dialplan show ${number}@${context}`);
  return arrival.includes(`Goto(${context},`) && own.includes(`'${number}' =>`);
}

export async function removeDialplan(): Promise<void> {
  for (const system of SYSTEMS) {
    const { number, context } = BENCH_ENTRIES[system];
    await asteriskCli(`dialplan remove extension ${number}@${ARRIVAL_CONTEXT}`);
    await asteriskCli(`dialplan remove context ${context}`);
  }
}
