// Puts the bench's dialplan (dialplan.ts) into the running sandbox Asterisk and takes it out
// again: the file BENCH_DIALPLAN_FILE in the sandbox's /etc/asterisk, which the generated
// extensions.conf includes, read by `dialplan reload`. A reload elsewhere reads it again, but
// `docker/sandbox.sh up` regenerates /etc/asterisk without it (it keeps only *_local.conf), so
// the bench still checks its entries before every run and writes them again when they are gone.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIALPLAN_FILE, SHED_LABEL } from '../../src/asterisk/render-config.js';
import { asteriskCli, SANDBOX_CACHE, SANDBOX_ROOT } from './asterisk.js';
import { ARRIVAL_CONTEXT, BENCH_ENTRIES, benchDialplanFile, type BenchDialplan, SYSTEMS, type SystemName } from './dialplan.js';

const FILE = join(SANDBOX_ROOT, 'etc/asterisk', BENCH_DIALPLAN_FILE);

export async function installDialplan(texts: BenchDialplan): Promise<void> {
  // Written aside and renamed: a reload by someone else meanwhile reads the old file or the new.
  writeFileSync(`${FILE}.tmp`, benchDialplanFile(texts));
  renameSync(`${FILE}.tmp`, FILE);
  await asteriskCli('dialplan reload');
  for (const system of SYSTEMS) {
    if (!(await dialplanInstalled(system))) {
      throw new Error(
        `Asterisk did not load the ${system} entry of ${FILE}: is it included at the end of extensions.conf (a sandbox generated before the include: npm run asterisk:up)? ` +
          `Its parser's complaints are in ${join(SANDBOX_CACHE, 'run', 'console.log')}`,
      );
    }
  }
}

/**
 * Whether a system's number still leads to its context, and the context is there; the
 * controller's with the label a shed caller is sent to.
 */
export async function dialplanInstalled(system: SystemName): Promise<boolean> {
  const { number, context } = BENCH_ENTRIES[system];
  const arrival = await asteriskCli(`dialplan show ${number}@${ARRIVAL_CONTEXT}`);
  const own = await asteriskCli(`dialplan show ${number}@${context}`);
  return arrival.includes(`Goto(${context},`) && own.includes(`'${number}' =>`) && (system !== 'controller' || own.includes(`[${SHED_LABEL}]`));
}

export async function removeDialplan(): Promise<void> {
  rmSync(FILE, { force: true });
  await asteriskCli('dialplan reload');
}
