/**
 * When each RTP timestamp of one stream reached us, read by the relay's timestamps. The relay's
 * FFmpeg stamps what it reads on one timeline for all of a publisher's kinds (see RtpForwarder):
 * milliseconds since `originAt`, the instant forwarding began, with each kind's first packet
 * placed at its arrival and the rest by its RTP timestamp from there. A relay timestamp therefore
 * names the RTP timestamp it came from, and this says when that media reached werift. Timestamps
 * are unwrapped (they are 32-bit and wrap); entries older than `horizonMs` are dropped. Pure apart
 * from the clock it is given.
 */
export class RtpArrivals {
  private base: number | null = null;
  private last: number | null = null;
  private unwrapped = 0;
  /** Where the first packet sits on the relay's timeline, in this stream's clock ticks. */
  private offsetTicks = 0;
  /** Unwrapped timestamps (relative to the base), ascending, and when the latest packet of each arrived. */
  private readonly ts: number[] = [];
  private readonly at: number[] = [];

  /**
   * @param originAt the instant (ms) the relay's timeline counts from; null when the relay reads
   *   one stream alone, which FFmpeg stamps from its first packet (no sender report is used then).
   */
  constructor(
    readonly clockRate: number,
    private readonly horizonMs: number,
    private readonly originAt: number | null = null,
  ) {}

  /** A packet stamped `rtp` arrived at `at` (and was handed to the reader). */
  add(rtp: number, at: number): void {
    if (this.base === null || this.last === null) {
      this.base = rtp;
      this.last = rtp;
      if (this.originAt !== null) this.offsetTicks = Math.max(0, Math.round(((at - this.originAt) * this.clockRate) / 1000));
    }
    // The signed 32-bit difference: reordered packets step back, a wrap steps forward.
    this.unwrapped += ((rtp - this.last) << 0) | 0;
    this.last = rtp;
    const t = this.unwrapped;
    const n = this.ts.length;
    if (n > 0 && t <= this.ts[n - 1]!) {
      // A later packet of a frame (same timestamp), or a late one: its frame arrived no earlier.
      const k = this.ts.lastIndexOf(t);
      if (k >= 0) this.at[k] = Math.max(this.at[k]!, at);
    } else {
      this.ts.push(t);
      this.at.push(at);
    }
    while (this.at.length > 0 && at - this.at[0]! > this.horizonMs) {
      this.ts.shift();
      this.at.shift();
    }
  }

  /**
   * The packet added last, with where it sits on the relay's timeline (in clock ticks since
   * `originAt`), and the RTP timestamp the timeline's zero falls on; null before the first.
   */
  get latest(): { readonly rtp: number; readonly ticks: number; readonly zeroRtp: number } | null {
    if (this.base === null || this.last === null) return null;
    return { rtp: this.last, ticks: this.unwrapped + this.offsetTicks, zeroRtp: (this.base - this.offsetTicks) >>> 0 };
  }

  /**
   * When the media a reader stamped `ms` (on the relay's timeline) had wholly reached us: the
   * arrival of the last packet stamped at or before `ms + spanMs` (a frame or audio block the
   * reader made from media up to that time). Null when nothing that late has arrived, or when it
   * is older than what is kept.
   */
  reachedBy(ms: number, spanMs = 0): number | null {
    const target = Math.round(((ms + spanMs) * this.clockRate) / 1000) - this.offsetTicks;
    const n = this.ts.length;
    // Within half a millisecond: the reader's timestamps are whole milliseconds.
    const slack = Math.ceil(this.clockRate / 2000);
    if (n === 0 || target + slack < this.ts[0]! || target > this.ts[n - 1]! + this.clockRate) return null;
    let lo = 0;
    let hi = n - 1;
    // The last entry at or before the target.
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.ts[mid]! <= target + slack) lo = mid;
      else hi = mid - 1;
    }
    // Media after it may still be in flight: the next entry's arrival is the honest bound when the
    // target lies between the two.
    const exact = Math.abs(this.ts[lo]! - target) <= slack;
    if (exact) return this.at[lo]!;
    return lo + 1 < n ? this.at[lo + 1]! : null;
  }
}
