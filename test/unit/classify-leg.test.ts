// N1/N6: an agent leg's end, read from Asterisk's cause. Asterisk 22.4 changed a dial timeout's
// cause from 16 to 19, so a normal clearing after the whole ring budget also counts as no-answer.
import { describe, expect, it } from 'vitest';
import { classifyLeg } from '../../src/calls/outbound-leg.js';

describe('classifyLeg (N1 N6)', () => {
  it('N6: user busy and call rejected are busy', () => {
    expect(classifyLeg(17, 100, 3000)).toBe('busy');
    expect(classifyLeg(21, 100, 3000)).toBe('busy');
  });
  it('N1: no user responding / no answer are no-answer, whenever they come', () => {
    expect(classifyLeg(19, 3010, 3000)).toBe('no-answer');
    expect(classifyLeg(18, 500, 3000)).toBe('no-answer');
  });
  it('N1: a normal clearing after the whole budget is a no-answer (Asterisk before 22.4), before it a failure', () => {
    expect(classifyLeg(16, 2900, 3000)).toBe('no-answer');
    expect(classifyLeg(16, 1000, 3000)).toBe('failed');
  });
  it('N6: unallocated number, no route, absent, out of order are unreachable', () => {
    for (const cause of [1, 3, 20, 27, 38]) expect(classifyLeg(cause, 10, 3000)).toBe('unreachable');
  });
  it('N6: an unknown cause early on is a failure', () => {
    expect(classifyLeg(undefined, 10, 3000)).toBe('failed');
    expect(classifyLeg(0, 10, 3000)).toBe('failed');
  });
});
