// N5 "no dead air", measured on every call. Two figures:
//  - maxGapMs: the longest stretch the caller heard nothing from us (listening windows included);
//  - maxDeadAirMs: the longest stretch outside both audio and a listening window the flow
//    declared, i.e. silence nobody chose (slow ARI round trips, a stuck step).
// It only takes timestamps, so it is exact under fake timers and needs no clock of its own.
export interface SilenceFigures {
  maxGapMs: number;
  maxDeadAirMs: number;
}

export class SilenceMeter {
  private active = false;
  private playing = 0;
  private listening = 0;
  private lastAudioAt = 0;
  private lastCoveredAt = 0;
  private maxGap = 0;
  private maxDeadAir = 0;

  /** Measuring starts when the call is answered: before that the caller hears ringback. */
  answered(t: number): void {
    this.active = true;
    this.lastAudioAt = t;
    this.lastCoveredAt = t;
  }

  audioStarted(t: number): void {
    if (this.active && this.playing === 0) {
      this.maxGap = Math.max(this.maxGap, t - this.lastAudioAt);
      if (this.listening === 0) this.maxDeadAir = Math.max(this.maxDeadAir, t - this.lastCoveredAt);
    }
    this.playing += 1;
  }

  audioEnded(t: number): void {
    this.playing = Math.max(0, this.playing - 1);
    if (this.playing === 0) {
      this.lastAudioAt = t;
      if (this.listening === 0) this.lastCoveredAt = t;
    }
  }

  listenStarted(t: number): void {
    if (this.active && this.playing === 0 && this.listening === 0) {
      this.maxDeadAir = Math.max(this.maxDeadAir, t - this.lastCoveredAt);
    }
    this.listening += 1;
  }

  listenEnded(t: number): void {
    this.listening = Math.max(0, this.listening - 1);
    if (this.listening === 0 && this.playing === 0) this.lastCoveredAt = t;
  }

  /** The figures at the end of the call (null when it was never answered). */
  finish(t: number): SilenceFigures | null {
    if (!this.active) return null;
    if (this.playing === 0) {
      this.maxGap = Math.max(this.maxGap, t - this.lastAudioAt);
      if (this.listening === 0) this.maxDeadAir = Math.max(this.maxDeadAir, t - this.lastCoveredAt);
    }
    return { maxGapMs: this.maxGap, maxDeadAirMs: this.maxDeadAir };
  }
}
