// The calls in progress, for health, shutdown and (later) transfers. Owned by the composition root.
import type { CallSession } from './call-session.js';

export class CallRegistry {
  private readonly calls = new Map<string, CallSession>();

  add(call: CallSession): void {
    this.calls.set(call.id, call);
  }

  remove(id: string): void {
    this.calls.delete(id);
  }

  get(id: string): CallSession | undefined {
    return this.calls.get(id);
  }

  has(id: string): boolean {
    return this.calls.has(id);
  }

  get size(): number {
    return this.calls.size;
  }

  all(): CallSession[] {
    return [...this.calls.values()];
  }
}
