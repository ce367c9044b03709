// Starts the real Asterisk sandbox for the end-to-end tests. It does not skip: a machine where
// the sandbox cannot start fails the suite with the reason, so CI cannot pass on unit tests alone.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { entryContext } from '../../src/asterisk/render-config.js';
import { loadConfig } from '../../src/config/env.js';
import { loadFlow } from '../../src/flow/load-flow.js';
import { loadCatalogue } from '../../src/prompts/catalogue.js';
import { clearDeadLanes, laneNames, MAX_LANES } from './support/lane.js';

const ROOT = process.env.HOTLINE_SANDBOX_CACHE ?? '/var/cache/hotline-sandbox';
// Both e2e projects (vitest.config.ts) name this setup and vitest loads it once per project, so
// the count of users lives in the process environment, which both instances share.
const USERS = 'HOTLINE_E2E_SANDBOX_USERS';
const users = () => Number(process.env[USERS] ?? '0');

export default function setup(): () => void {
  // The sandbox starts once per run and stops after the last project that uses it.
  process.env[USERS] = String(users() + 1);
  const stop = () => {
    process.env[USERS] = String(users() - 1);
    if (users() > 0 || process.env.HOTLINE_KEEP_SANDBOX === '1') return;
    spawnSync('bash', ['docker/sandbox.sh', 'down'], { stdio: 'inherit' });
  };
  if (users() > 1) return stop;
  if (process.getuid?.() !== 0) {
    throw new Error(
      'end-to-end tests need root to start the Asterisk sandbox (debootstrap, chroot, mount); run npm test as root',
    );
  }
  ensureSipp();
  const up = spawnSync('bash', ['docker/sandbox.sh', 'up'], { stdio: 'inherit' });
  if (up.status !== 0) {
    throw new Error(`the Asterisk sandbox did not start (docker/sandbox.sh up exited ${up.status}); see its output above`);
  }
  installTestDialplan();
  clearDeadLanes();
  return stop;
}

// SIPp is the real SIP caller of the SIP-path tests (Debian's sip-tester package).
function ensureSipp(): void {
  if (spawnSync('sipp', ['-v']).error === undefined) return;
  const install = spawnSync(
    'bash',
    ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sip-tester'],
    { stdio: 'inherit' },
  );
  if (install.status !== 0) throw new Error('SIPp is missing and installing sip-tester failed; see the output above');
}

// The test agents and callees (test/fixtures/asterisk/extensions_local.conf), and one entry
// context per lane (support/lane.ts), generated from the sandbox's flow like the real entry.
function installTestDialplan(): void {
  const config = loadConfig();
  const flow = loadFlow(config.flowFile, loadCatalogue(config.promptCatalogue).ids, { onWarning: () => undefined });
  const lanes = Array.from({ length: MAX_LANES }, (_, i) => laneNames(i + 1)).map((lane) => entryContext(lane.context, lane.app, flow));
  const text = [readFileSync('test/fixtures/asterisk/extensions_local.conf', 'utf8'), '; End-to-end lanes (test/e2e/global-setup.ts).', ...lanes].join('\n');
  writeFileSync(`${ROOT}/root/etc/asterisk/extensions_local.conf`, text);
  // The test agents' SIP phones (N6: an offline endpoint is skipped).
  copyFileSync('test/fixtures/asterisk/pjsip_local.conf', `${ROOT}/root/etc/asterisk/pjsip_local.conf`);
  execFileSync('chroot', [`${ROOT}/root`, 'asterisk', '-rx', 'dialplan reload']);
  execFileSync('chroot', [`${ROOT}/root`, 'asterisk', '-rx', 'module reload res_pjsip.so']);
}
