// The call lifecycle: defined transitions move and are reported once; anything else is refused
// and changes nothing.
import { describe, expect, it } from 'vitest';
import { Lifecycle, type CallState } from '../../src/calls/lifecycle.js';

const STATES: CallState[] = ['ringing', 'answered', 'in-flow', 'queued', 'transferring', 'bridged', 'ended'];

const ALLOWED: Record<CallState, CallState[]> = {
  ringing: ['answered', 'ended'],
  answered: ['in-flow', 'ended'],
  'in-flow': ['transferring', 'queued', 'ended'],
  // N5: a queued caller is given an agent (transferring), gives up or takes a callback (in-flow).
  queued: ['transferring', 'in-flow', 'ended'],
  transferring: ['bridged', 'queued', 'in-flow', 'ended'],
  bridged: ['in-flow', 'ended'],
  ended: [],
};

function track(initial: CallState) {
  const changes: Array<[CallState, CallState]> = [];
  const lifecycle = new Lifecycle(initial, (from, to) => changes.push([from, to]));
  return { lifecycle, changes };
}

describe('Lifecycle', () => {
  it('walks a whole call: ringing → answered → in-flow → transferring → bridged → in-flow → ended', () => {
    const { lifecycle, changes } = track('ringing');
    for (const to of ['answered', 'in-flow', 'transferring', 'bridged', 'in-flow', 'ended'] as const) {
      expect(lifecycle.to(to)).toBe(true);
      expect(lifecycle.state).toBe(to);
    }
    expect(changes).toEqual([
      ['ringing', 'answered'],
      ['answered', 'in-flow'],
      ['in-flow', 'transferring'],
      ['transferring', 'bridged'],
      ['bridged', 'in-flow'],
      ['in-flow', 'ended'],
    ]);
  });

  const pairs = STATES.flatMap((from) => STATES.filter((to) => to !== from).map((to) => [from, to] as const));

  it.each(pairs.filter(([from, to]) => ALLOWED[from].includes(to)))('allows %s → %s', (from, to) => {
    const { lifecycle, changes } = track(from);
    expect(lifecycle.to(to)).toBe(true);
    expect(lifecycle.state).toBe(to);
    expect(changes).toEqual([[from, to]]);
  });

  it.each(pairs.filter(([from, to]) => !ALLOWED[from].includes(to)))('refuses %s → %s', (from, to) => {
    const { lifecycle, changes } = track(from);
    expect(lifecycle.to(to)).toBe(false);
    expect(lifecycle.state).toBe(from);
    expect(changes).toEqual([]);
  });

  it('a bridged call never rings again, and an ended call stays ended', () => {
    const bridged = track('bridged');
    expect(bridged.lifecycle.to('ringing')).toBe(false);
    expect(bridged.lifecycle.to('answered')).toBe(false);
    const ended = track('ended');
    for (const to of STATES.filter((s) => s !== 'ended')) expect(ended.lifecycle.to(to)).toBe(false);
    expect(ended.lifecycle.state).toBe('ended');
    expect(ended.changes).toEqual([]);
  });

  it('moving to the current state is accepted without a change being reported', () => {
    for (const state of STATES) {
      const { lifecycle, changes } = track(state);
      expect(lifecycle.to(state)).toBe(true);
      expect(lifecycle.state).toBe(state);
      expect(changes).toEqual([]);
    }
  });

  it('a refused transition leaves the call able to take a valid one', () => {
    const { lifecycle, changes } = track('ringing');
    expect(lifecycle.to('bridged')).toBe(false);
    expect(lifecycle.to('answered')).toBe(true);
    expect(changes).toEqual([['ringing', 'answered']]);
  });
});
