import type { CaptureClock } from './capture-dating.ts';

/** One camera of a composite: its ingest clock, and where its timestamps lie on the composite's. */
export interface CompositeInput {
  readonly clock: CaptureClock;
  /** Composite timestamp = this input's timestamp + `offsetMs`. */
  readonly offsetMs: number;
}

/**
 * The capture clock of a picture composed from several cameras, each moved onto the composite's
 * timeline by a constant offset: what dating, edges, masks and their proofs read for the program
 * when it is a composite (issue 29), so they work on it unchanged.
 *
 * A composite frame at `t` shows, from each camera, a frame stamped at most `t − offset`, so it
 * is dated at the latest any of them can have been captured: the maximum of their clocks. That
 * stays never early even when a camera's latency grows after its offset was taken (its frames are
 * then dated by their own arrival, later than the offset says). Pure: it only reads the clocks.
 */
export class CompositeClock implements CaptureClock {
  constructor(private readonly inputs: readonly CompositeInput[]) {
    if (inputs.length === 0) throw new Error('a composite needs at least one camera');
  }

  /** The latest capture instant of any camera's frame the composite at `t` may show; null until every camera has reached `t`. */
  captureOf(t: number): number | null {
    const c = this.everyCamera((i) => i.clock.captureOf(t - i.offsetMs));
    return c && Math.max(...c);
  }

  /** Each camera's reading, in composite terms where it is a timestamp; null when any camera cannot say. */
  private everyCamera(read: (i: CompositeInput) => number | null): number[] | null {
    const out: number[] = [];
    for (const i of this.inputs) {
      const v = read(i);
      if (v === null) return null;
      out.push(v);
    }
    return out;
  }

  /**
   * The earliest capture instant of any camera's frame the composite at `t` may show: the cameras
   * are lined up to within about a frame (each offset is taken from one observation, and a
   * latency may change after), so at a start or a mask's lift a tile may still show a frame
   * captured before the frame's latest. Null until every camera has reached `t`.
   */
  earliestCaptureOf(t: number): number | null {
    const c = this.everyCamera((i) => i.clock.captureOf(t - i.offsetMs));
    return c && Math.min(...c);
  }

  /** The newest composite timestamp every camera has reached. */
  get latest(): number | null {
    const l = this.everyCamera((i) => (i.clock.latest === null ? null : i.clock.latest + i.offsetMs));
    return l && Math.min(...l);
  }

  /** The newest observation on any camera: later than the arrival of anything the composite holds. */
  get latestAt(): number | null {
    const a = this.everyCamera((i) => i.clock.latestAt);
    return a && Math.max(...a);
  }

  /**
   * The first composite timestamp at which some camera's frame may have been captured at or after
   * `c`: every composite frame before it shows only frames observed before `c`. Null when no camera
   * has anything that late yet.
   */
  firstAtOrAfter(c: number): number | null {
    let min: number | null = null;
    for (const i of this.inputs) {
      const t = i.clock.firstAtOrAfter(c);
      if (t !== null) min = min === null ? t + i.offsetMs : Math.min(min, t + i.offsetMs);
    }
    return min;
  }

  /**
   * The first composite timestamp from which every camera's frames were captured at or after `c`:
   * where a mask may be lifted from the whole picture. Null while any camera has nothing that late.
   */
  firstWhollyAtOrAfter(c: number): number | null {
    const t = this.everyCamera((i) => {
      const own = i.clock.firstAtOrAfter(c);
      return own === null ? null : own + i.offsetMs;
    });
    return t && Math.max(...t);
  }

  /**
   * The earliest instant any camera's media for the composite at `t` or later arrived: the
   * compositor cannot have handled that frame before it. The earliest of the cameras' (rather than
   * the latest, which framesync's waiting would allow) keeps every proof built on it conservative.
   * Null when any camera cannot say.
   */
  arrivedFrom(t: number): number | null {
    const a = this.everyCamera((i) => i.clock.arrivedFrom(t - i.offsetMs));
    return a && Math.min(...a);
  }
}

/**
 * The offset that puts a camera's timestamps on a composite timeline measured in capture time
 * from `base` (ms since the epoch): from its clock's newest observation, timestamp `latest` seen
 * at `latestAt`. Null before the camera has been seen. Pure.
 */
export function offsetOnto(clock: Pick<CaptureClock, 'latest' | 'latestAt'>, base: number): number | null {
  if (clock.latest === null || clock.latestAt === null) return null;
  return clock.latestAt - base - clock.latest;
}
