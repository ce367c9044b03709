// The service's timers belong to the service: a controller that stops leaves no timer behind
// (ARI and AMI reconnects, the shutdown bound, the recorder's flush), on the injected clock.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock/virtual-clock.js';
import { startController } from '../../src/controller.js';
import { unreachableAsteriskConfig } from './support/unreachable-config.js';

describe('controller stop', () => {
  it('race: stop() with calls unwound at once leaves no timer running (the 3 s shutdown bound is cancelled)', async () => {
    const clock = new VirtualClock();
    // Nothing listens on port 9 of loopback: ARI and AMI stay unreachable and keep retrying.
    const config = unreachableAsteriskConfig();
    const controller = await startController(config, { logger: pino({ level: 'silent' }), clock });
    // Let the first connection attempts fail and arm their retry timers.
    for (let i = 0; i < 20 && clock.pending === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(clock.pending).toBeGreaterThan(0);
    await controller.stop();
    expect(clock.pending).toBe(0);
  });
});
