// ChildSignals: childSignal() for a parent with very many children (the ARI adapter's stop signal,
// one child per live channel), with one listener on the parent whatever their number.
import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { childSignal, ChildSignals, doneReason } from '../../src/clock/clock.js';

describe('ChildSignals', () => {
  it('behaves as childSignal(): the same children abort, with the same reasons, in the same order', () => {
    const script = fc.array(fc.oneof(fc.constant('make' as const), fc.nat({ max: 30 }), fc.constant('parent' as const)), { maxLength: 60 });
    fc.assert(
      fc.property(script, (steps) => {
        const runs = [
          (parent: AbortSignal) => () => childSignal(parent),
          (parent: AbortSignal) => {
            const children = new ChildSignals(parent);
            return () => children.child();
          },
        ].map((kind) => {
          const parent = new AbortController();
          const make = kind(parent.signal);
          const made: { signal: AbortSignal; abort(reason?: unknown): void }[] = [];
          const log: string[] = [];
          for (const step of steps) {
            if (step === 'make') {
              const child = make();
              const n = made.length;
              if (child.signal.aborted) log.push(`${n} born aborted: ${String(child.signal.reason)}`);
              else child.signal.addEventListener('abort', () => log.push(`${n} aborted: ${(child.signal.reason as Error).message}`));
              made.push(child);
            } else if (step === 'parent') parent.abort(new Error('stopped'));
            else made[step]?.abort(step % 2 === 0 ? new Error(`own ${step}`) : undefined);
          }
          return log;
        });
        expect(runs[1]).toEqual(runs[0]);
      }),
    );
  });

  it('puts one listener on the parent however many children come and go', () => {
    const parent = new AbortController();
    const children = new ChildSignals(parent.signal);
    const live = Array.from({ length: 1000 }, () => children.child());
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    expect(children.size).toBe(1000);
    for (const child of live.slice(0, 600)) child.abort();
    expect(children.size).toBe(400);
    parent.abort(new Error('stopped'));
    expect(children.size).toBe(0);
    expect(live.every((c) => c.signal.aborted)).toBe(true);
    expect((live[999]!.signal.reason as Error).message).toBe('stopped');
    expect((live[0]!.signal.reason as Error).message).toBe('done');
  });

  it("a wait that simply ended is aborted with an Error 'done' that carries no stack frames", () => {
    const reason = doneReason();
    expect([reason instanceof Error, reason.message, reason.stack]).toEqual([true, 'done', 'Error: done']);
    const child = childSignal(new AbortController().signal);
    child.abort();
    expect((child.signal.reason as Error).stack).toBe('Error: done');
    expect(new Error('other').stack).toMatch(/\n\s+at /);
  });
});
