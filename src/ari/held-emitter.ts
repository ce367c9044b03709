// An emitter that holds its events until released. A dialled channel can ring, be refused and
// be destroyed before the REST call that dialled it has returned (a phone that is busy at once):
// those events arrive on the websocket first, and without holding them the code that dialled
// would wait for an end that already happened.
import { EventEmitter } from 'node:events';

export class HeldEmitter extends EventEmitter {
  private held: Array<{ name: string | symbol; args: unknown[] }> | null = [];

  override emit(name: string | symbol, ...args: unknown[]): boolean {
    if (this.held) {
      this.held.push({ name, args });
      return true;
    }
    return super.emit(name, ...args);
  }

  /** Delivers the held events, in order, then passes events straight through. */
  release(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const { name, args } of held) super.emit(name, ...args);
  }
}
