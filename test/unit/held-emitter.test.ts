// N6: events of a dialled agent leg that arrive before the dial returns (busy at once) are held,
// then delivered in order to the listeners attached when it returns; none is lost.
import { describe, expect, it } from 'vitest';
import { HeldEmitter } from '../../src/ari/held-emitter.js';

describe('HeldEmitter (agent legs, N6)', () => {
  it('N6: holds events until release, then delivers them in order and passes later ones straight through', () => {
    const emitter = new HeldEmitter();
    const seen: string[] = [];
    emitter.emit('state', 'Busy');
    emitter.emit('destroyed', 17);
    // What the adapter does right after emitting 'destroyed': the clear is held as well, so
    // listeners attached before the release still hear what came before it.
    emitter.removeAllListeners();
    emitter.on('state', (s: string) => seen.push(`state ${s}`));
    emitter.on('destroyed', (c: number) => seen.push(`destroyed ${c}`));
    expect(seen).toEqual([]);
    emitter.release();
    expect(seen).toEqual(['state Busy', 'destroyed 17']);
    // ...and the clear then happened in its place: nothing is delivered after it.
    emitter.emit('state', 'Up');
    expect(seen).toEqual(['state Busy', 'destroyed 17']);
  });

  it('N6: after release, events and clears pass straight through', () => {
    const emitter = new HeldEmitter();
    const seen: string[] = [];
    emitter.release();
    emitter.on('state', (s: string) => seen.push(s));
    emitter.emit('state', 'Ringing');
    emitter.release(); // a second release delivers nothing twice
    emitter.removeAllListeners('state');
    emitter.emit('state', 'Up');
    expect(seen).toEqual(['Ringing']);
  });
});
