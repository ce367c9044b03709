// Playback and recording waiters indexed by channel (src/ari/channel-waiters.ts): the same
// settlements as a scan of every waiter, which is what the adapter did before the index.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChannelWaiters } from '../../src/ari/channel-waiters.js';

type Op =
  | { op: 'add'; id: string; channel: string | undefined }
  | { op: 'settle'; id: string }
  | { op: 'delete'; id: string }
  | { op: 'channel-ends'; channel: string }
  | { op: 'stop' };

const ids = fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5', 'p6');
const channels = fc.constantFrom('c1', 'c2', 'c3');
const ops: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), id: ids, channel: fc.option(channels, { nil: undefined }) }),
  fc.record({ op: fc.constant('settle' as const), id: ids }),
  fc.record({ op: fc.constant('delete' as const), id: ids }),
  fc.record({ op: fc.constant('channel-ends' as const), channel: channels }),
  fc.constant({ op: 'stop' as const }),
);

describe('ChannelWaiters', () => {
  it('settles what a scan of every waiter would, in the same order, each waiter at most once', () => {
    fc.assert(
      fc.property(fc.array(ops, { maxLength: 60 }), (script) => {
        const waiters = new ChannelWaiters<string>();
        // The model: one Map scanned on every channel end (the adapter's code before the index).
        const model = new Map<string, { channel: string | undefined; tag: string }>();
        const got: string[] = [];
        const want: string[] = [];
        script.forEach((step, n) => {
          if (step.op === 'add') {
            const tag = `${step.id}#${n}`;
            waiters.add(step.id, step.channel, (outcome) => got.push(`${tag} ${outcome}`));
            // A replaced waiter (ids are unique in the adapter, but) counts as registered now.
            model.delete(step.id);
            model.set(step.id, { channel: step.channel, tag });
          } else if (step.op === 'settle') {
            expect(waiters.settle(step.id, 'done')).toBe(model.has(step.id));
            const w = model.get(step.id);
            model.delete(step.id);
            if (w) want.push(`${w.tag} done`);
          } else if (step.op === 'delete') {
            waiters.delete(step.id);
            model.delete(step.id);
          } else if (step.op === 'channel-ends') {
            waiters.settleChannel(step.channel, 'gone');
            for (const [id, w] of [...model]) {
              if (w.channel !== step.channel) continue;
              model.delete(id);
              want.push(`${w.tag} gone`);
            }
          } else {
            waiters.settleAll('stopped');
            for (const w of model.values()) want.push(`${w.tag} stopped`);
            model.clear();
          }
          expect(waiters.size).toBe(model.size);
          for (const [id, w] of model) expect(waiters.channelOf(id)).toBe(w.channel);
        });
        expect(got).toEqual(want);
      }),
      { numRuns: 1000 },
    );
  });

  it('a channel that ends leaves no index entry behind', () => {
    const waiters = new ChannelWaiters<string>();
    for (let i = 0; i < 100; i++) {
      waiters.add(`p${i}`, `c${i}`, () => undefined);
      waiters.settleChannel(`c${i}`, 'gone');
    }
    expect(waiters.size).toBe(0);
    expect((waiters as unknown as { byChannel: Map<string, unknown> }).byChannel.size).toBe(0);
  });
});
