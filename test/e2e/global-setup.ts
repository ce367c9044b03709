// Starts the real Asterisk sandbox for the end-to-end tests. It does not skip: a machine where
// the sandbox cannot start fails the suite with the reason, so CI cannot pass on unit tests alone.
import { spawnSync } from 'node:child_process';

export default function setup(): () => void {
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
  return () => {
    if (process.env.HOTLINE_KEEP_SANDBOX === '1') return;
    spawnSync('bash', ['docker/sandbox.sh', 'down'], { stdio: 'inherit' });
  };
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
