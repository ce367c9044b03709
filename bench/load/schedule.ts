// The order of the bench's runs: per repetition and rate every system once, the systems rotated
// from one rate (and repetition) to the next, so that none always runs first, on a fresher
// Asterisk, or right after the heaviest one.
import type { SystemName } from './dialplan.js';

export interface RunSpec {
  repetition: number;
  rate: number;
  system: SystemName;
}

export function schedule(o: { repetitions: number; rates: readonly number[]; systems: readonly SystemName[] }): RunSpec[] {
  const out: RunSpec[] = [];
  for (let repetition = 1; repetition <= o.repetitions; repetition++) {
    for (const [i, rate] of o.rates.entries()) {
      const shift = (repetition - 1 + i) % o.systems.length;
      for (const system of [...o.systems.slice(shift), ...o.systems.slice(0, shift)]) out.push({ repetition, rate, system });
    }
  }
  return out;
}
