// Waiters for the end of something that runs on a channel (a playback, a recording), found by
// their own id when Asterisk reports the end, and by their channel when the channel leaves first.
// Indexed both ways: a channel that ends takes its own few waiters instead of a scan of every
// live call's (O(live calls) per hang-up: 2 % of the controller's CPU at 50 calls/s).

export class ChannelWaiters<Outcome> {
  private readonly byId = new Map<string, { channelId: string | undefined; settle: (outcome: Outcome) => void; marked?: true }>();
  private readonly byChannel = new Map<string, Set<string>>();

  get size(): number {
    return this.byId.size;
  }

  /**
   * Registers a waiter. One already under `id` is replaced, never settled, and the new one counts
   * as the latest registered (the adapter's ids are unique: a playback id per play, a recording
   * name per recording).
   */
  add(id: string, channelId: string | undefined, settle: (outcome: Outcome) => void): void {
    this.unlink(id);
    this.byId.set(id, { channelId, settle });
    if (channelId === undefined) return;
    let ids = this.byChannel.get(channelId);
    if (!ids) this.byChannel.set(channelId, (ids = new Set()));
    ids.add(id);
  }

  /** The channel a waiter's work runs on (undefined for none, or no such waiter). */
  channelOf(id: string): string | undefined {
    return this.byId.get(id)?.channelId;
  }

  /** Forgets a waiter without settling it (its request failed: the caller gets the error). */
  delete(id: string): void {
    this.unlink(id);
  }

  /** Marks a waiter (a playback Asterisk said has started); the mark goes with it. */
  mark(id: string): void {
    const waiter = this.byId.get(id);
    if (waiter) waiter.marked = true;
  }

  /** True when a waiter is under `id` and marked. */
  isMarked(id: string): boolean {
    return this.byId.get(id)?.marked === true;
  }

  /** Moves a waiter to a new id (on the same channel, unmarked); false when there is none under `from`. */
  rename(from: string, to: string): boolean {
    const waiter = this.byId.get(from);
    if (!waiter) return false;
    this.unlink(from);
    this.add(to, waiter.channelId, waiter.settle);
    return true;
  }

  /** Settles and forgets one waiter; false when there is none under `id`. */
  settle(id: string, outcome: Outcome): boolean {
    const waiter = this.byId.get(id);
    if (!waiter) return false;
    this.unlink(id);
    waiter.settle(outcome);
    return true;
  }

  /** Settles and forgets every waiter on a channel, in the order they were added. */
  settleChannel(channelId: string, outcome: Outcome): void {
    const ids = this.byChannel.get(channelId);
    if (!ids) return;
    for (const id of [...ids]) this.settle(id, outcome);
  }

  /** Settles and forgets every waiter. */
  settleAll(outcome: Outcome): void {
    for (const id of [...this.byId.keys()]) this.settle(id, outcome);
  }

  private unlink(id: string): void {
    const waiter = this.byId.get(id);
    if (!waiter) return;
    this.byId.delete(id);
    if (waiter.channelId === undefined) return;
    const ids = this.byChannel.get(waiter.channelId);
    ids?.delete(id);
    if (ids?.size === 0) this.byChannel.delete(waiter.channelId);
  }
}
