/** The index of the first element of an ascending array that is at least `x` (its length if none). */
function firstAtLeast(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The ingest clock of one publish session: the encoder's media timestamps (ms) against the
 * instants this server observed the packets that carry them. It defines capture time: the capture
 * instant of media at timestamp `t` is the latest observation of any packet stamped at or before
 * `t`. That is a monotone step function, never earlier than the observation of the frame itself,
 * so releasing at capture end + D can never air a frame less than D after it reached us, however
 * late the transcoder runs; and a stall in the server moves only the frames it delayed, not the
 * rest of the hearing (a fixed offset learned from a stall would). Pure: no I/O, no timers.
 */
export class IngestClock {
  /** Media timestamps, ascending, and the envelope of observation instants at each (ascending too). */
  private readonly ts: number[] = [];
  private readonly at: number[] = [];
  /** When each timestamp was first observed (not raised by later packets): when it really arrived. */
  private readonly first: number[] = [];

  /**
   * @param horizonMs how far back observations are kept: the longest delay plus a margin; older
   *   media is released or dumped by then and never needs dating again.
   */
  constructor(private readonly horizonMs: number) {}

  /** Timestamps recorded; what the clock costs in memory is two numbers each. */
  get size(): number {
    return this.ts.length;
  }

  /** When the newest observation was made: no later than now, no earlier than any packet's arrival. */
  get latestAt(): number | null {
    return this.at.length > 0 ? (this.at[this.at.length - 1] as number) : null;
  }

  /** The newest timestamp observed, or null before the first packet. */
  get latest(): number | null {
    return this.ts.length > 0 ? (this.ts[this.ts.length - 1] as number) : null;
  }

  /** A packet stamped `ts` (ms, encoder time) was observed at `at` (ms since the epoch). */
  observe(ts: number, at: number): void {
    if (!Number.isFinite(ts) || !Number.isFinite(at)) return;
    const n = this.ts.length;
    const last = n > 0 ? (this.ts[n - 1] as number) : Number.NEGATIVE_INFINITY;
    if (ts > last) {
      // The envelope never runs backwards: a packet observed "earlier" than one before it (clock
      // steps) takes the later instant.
      this.ts.push(ts);
      this.at.push(Math.max(at, n > 0 ? (this.at[n - 1] as number) : at));
      this.first.push(at);
    } else {
      // Out of order (audio and video interleave): everything stamped at or after `ts` has now
      // been observed no earlier than `at`. `at` is the newest instant, so it raises those entries.
      const k = this.firstIndexAtOrAfter(ts);
      for (let i = k; i < n; i++) this.at[i] = Math.max(this.at[i] as number, at);
      if (this.ts[k] !== ts) {
        this.ts.splice(k, 0, ts);
        this.at.splice(k, 0, Math.max(at, k > 0 ? (this.at[k - 1] as number) : at));
        this.first.splice(k, 0, at);
      }
    }
    this.prune(at - this.horizonMs);
  }

  private firstIndexAtOrAfter(ts: number): number {
    return firstAtLeast(this.ts, ts);
  }

  /**
   * The capture instant of media at timestamp `t`: the latest observation of a packet stamped at
   * or before `t`. Null when `t` lies beyond what has arrived (it cannot be dated yet) or before
   * what is still kept.
   */
  captureOf(t: number): number | null {
    const n = this.ts.length;
    if (n === 0 || t > (this.ts[n - 1] as number) || t < (this.ts[0] as number)) return null;
    let k = this.firstIndexAtOrAfter(t);
    if (this.ts[k] !== t) k -= 1;
    return this.at[k] as number;
  }

  /**
   * The first timestamp whose capture instant is at or after `c`: every frame before it was
   * observed before `c`. Where a mask or an edge starts at `c`, it starts on this frame. Null
   * when nothing observed so far is that late (the edge lies in media yet to come).
   */
  firstAtOrAfter(c: number): number | null {
    const k = this.firstObservedAtOrAfter(c);
    return k < this.ts.length ? (this.ts[k] as number) : null;
  }

  /**
   * The earliest instant any packet stamped at or after `t` arrived, or null when none has (or
   * when `t` precedes what is kept). A
   * reader of the stream (the transcoder) cannot have handled media stamped `t` or later before
   * this instant, so a command acknowledged earlier reached it first. Costs the number of packets
   * from `t` to the newest; the transcoder reads within seconds of the newest.
   */
  arrivedFrom(t: number): number | null {
    // Before what is kept, pruned packets may have arrived earlier: unknown.
    if (this.ts.length === 0 || t < (this.ts[0] as number)) return null;
    let min = Number.POSITIVE_INFINITY;
    for (let i = this.firstIndexAtOrAfter(t); i < this.first.length; i++) min = Math.min(min, this.first[i] as number);
    return Number.isFinite(min) ? min : null;
  }

  private firstObservedAtOrAfter(c: number): number {
    return firstAtLeast(this.at, c);
  }

  private prune(before: number): void {
    // Keep the last entry older than the horizon: it dates the step that begins there.
    const k = this.firstObservedAtOrAfter(before) - 1;
    // Splicing is linear; do it in batches so each packet costs amortised constant time.
    if (k >= 1024) {
      this.ts.splice(0, k);
      this.at.splice(0, k);
      this.first.splice(0, k);
    }
  }
}
