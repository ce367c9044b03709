// The call lifecycle (DESIGN.md §6). Transitions are explicit so an impossible sequence (a
// bridged call that rings again) is a logged bug, not silent state corruption.
export type CallState = 'ringing' | 'answered' | 'in-flow' | 'queued' | 'transferring' | 'bridged' | 'ended';

// queued: in an agent group's hold queue (N5), on hold music; an agent given to the call rings
// (transferring), and one who does not take it sends the call back to the queue.
const ALLOWED: Record<CallState, readonly CallState[]> = {
  ringing: ['answered', 'ended'],
  answered: ['in-flow', 'ended'],
  'in-flow': ['transferring', 'queued', 'ended'],
  queued: ['transferring', 'in-flow', 'ended'],
  transferring: ['bridged', 'queued', 'in-flow', 'ended'],
  bridged: ['in-flow', 'ended'],
  ended: [],
};

export class Lifecycle {
  private current: CallState;

  constructor(initial: CallState, private readonly onChange: (from: CallState, to: CallState) => void) {
    this.current = initial;
  }

  get state(): CallState {
    return this.current;
  }

  /** Moves to `to`; returns false (and changes nothing) when the transition is not defined. */
  to(to: CallState): boolean {
    if (this.current === to) return true;
    if (!ALLOWED[this.current].includes(to)) return false;
    const from = this.current;
    this.current = to;
    this.onChange(from, to);
    return true;
  }
}
