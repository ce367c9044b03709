// An emitter that holds its events until released. A dialled channel can ring, be refused and
// be destroyed before the REST call that dialled it has returned (a phone that is busy at once):
// those events arrive on the websocket first, and without holding them the code that dialled
// would wait for an end that already happened.
import { EventEmitter } from 'node:events';

type Held = { kind: 'emit'; name: string | symbol; args: unknown[] } | { kind: 'clear'; name?: string | symbol };

export class HeldEmitter extends EventEmitter {
  private held: Held[] | null = [];

  override emit(name: string | symbol, ...args: unknown[]): boolean {
    if (this.held) {
      this.held.push({ kind: 'emit', name, args });
      return true;
    }
    return super.emit(name, ...args);
  }

  // Clearing listeners is held too, and done in its place: the listeners attached by the code
  // that dialled must hear the held events that came before the clear.
  override removeAllListeners(name?: string | symbol): this {
    if (this.held) {
      this.held.push({ kind: 'clear', name });
      return this;
    }
    return name === undefined ? super.removeAllListeners() : super.removeAllListeners(name);
  }

  /** Delivers the held events and clears, in order, then passes everything straight through. */
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const item of held) {
      if (item.kind === 'emit') super.emit(item.name, ...item.args);
      else if (item.name === undefined) super.removeAllListeners();
      else super.removeAllListeners(item.name);
    }
  }
}
