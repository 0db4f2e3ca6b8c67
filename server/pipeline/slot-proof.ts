import type { Mask } from '../domain/masks.ts';
import { isAudioSlot, type SlotKind, type SlotWindow } from '../media/live-slots.ts';
import { frameSpanStart, type CaptureClock } from './capture-dating.ts';
import type { CompletedSegment } from './segment-watcher.ts';

/** One use of a slot by one mask in one FFmpeg run: what the proof of a segment rests on. */
export interface SlotUse {
  readonly run: number;
  readonly kind: SlotKind;
  readonly slot: number;
  readonly maskId: string;
  /** When FFmpeg acknowledged switching the slot on; null until it has (or if it refused). */
  on: number | null;
  /**
   * The media-time window the slot was switched on for (narrowed by a lift), on the run's ingest
   * clock; null for a slot switched on for whatever FFmpeg processes next (an input without a clock).
   */
  window: SlotWindow | null;
  /** For a slot without a window: when it was acknowledged off (infinite when that is unknown). */
  off: number | null;
  /** When the slot stopped being this mask's (another mask was set on it): later frames prove nothing. */
  until: number | null;
  /** The ingest clock the window is on. */
  readonly clock: CaptureClock | null;
}

/** Audio may reach this far past a segment's first and last frames (capture-dating's spill). */
const AUDIO_SPILL_S = 0.025;

/**
 * Margins of a slot without a window. Pictures need none: a frame is filtered after it is
 * captured and before its segment completes. Sound gets a margin: the muxer may file a few audio
 * packets captured just before a segment's first frame into it.
 */
const PROCESSING_MARGIN_MS = { picture: 0, sound: 300 };

/** Whether a frame that may have been captured from after `from` up to `c` may fall inside a mask. */
const inside = (m: Mask, from: number, c: number): boolean => c >= m.start && (m.end === null || from < m.end);

/**
 * What one mask's live slot did to a segment, fixed when the segment completes (every frame of
 * it has been read by then): which video frames carry the mask, or that the whole segment does
 * (all its sound; or, without a clock, every frame).
 */
export interface SlotStamp {
  readonly frames?: readonly boolean[];
  readonly whole?: boolean;
}

/**
 * What a slot use did to segment `s`. A slot with a window masks a frame when two things hold:
 * its timestamp lies in the window, and FFmpeg read it after the switch was acknowledged (earlier
 * frames passed an unswitched slot). The second is proven by the ingest clock: FFmpeg cannot read
 * media before it arrived here, so media that first arrived after the ack was read after it; a
 * segment FFmpeg began producing after the ack is proven whole. Sound counts only whole: every
 * sample of the segment in the window. Taken at completion the window is the narrowest any of
 * its frames met (a lift only narrows it), so the stamp never claims more than happened.
 */
export function stampOf(u: SlotUse, s: CompletedSegment, fps: number): SlotStamp {
  if (u.on === null || u.run !== s.run) return {};
  if (u.until !== null && s.produced.end > u.until) return {};
  if (u.window === null || u.clock === null || !s.frames || !s.pts) return { whole: processingCovers(u, s) };
  const on = u.on;
  const window = u.window;
  const clock = u.clock;
  // The frame at t shows input stamped at least half a frame earlier (the fps filter picks the
  // nearest, and emits a frame only once input at or past it has come in), so it was read no
  // earlier than that input arrived.
  const readAfterOn = (t: number): boolean => s.produced.start >= on || (clock.arrivedFrom(Math.floor((t - 0.5 / fps) * 1000) - 1) ?? Number.NEGATIVE_INFINITY) >= on;
  const inWindow = (from: number, to: number): boolean => from >= window.from && to < window.to;
  const pts = s.pts;
  if (isAudioSlot(u.kind)) {
    const first = (pts[0] as number) - AUDIO_SPILL_S;
    const last = (pts[pts.length - 1] as number) + 1 / fps + AUDIO_SPILL_S;
    return { whole: inWindow(first, last) && readAfterOn(first) };
  }
  return { frames: pts.map((t) => inWindow(t, t) && readAfterOn(t)) };
}

/**
 * Whether the live slots put mask `m` on every frame of segment `s` that the mask covers, by the
 * stamps the pipeline put on the segment. Frames the mask does not cover need nothing, so a
 * segment a live mask starts or ends in is proven frame by frame like any other.
 */
export function liveCovers(m: Mask, s: CompletedSegment): boolean {
  const stamp = s.liveStamps?.[m.id];
  if (!stamp) return false;
  if (stamp.whole) return true;
  const frames = stamp.frames;
  if (!frames || !s.frames) return false;
  const dated = s.frames;
  return dated.every((c, k) => !inside(m, frameSpanStart(dated, k, s.captureStart, s.spanStarts), c) || frames[k] === true);
}

/** Whether one slot use alone puts mask `m` on every frame of `s` it covers. */
export function slotCovers(u: SlotUse, m: Mask, s: CompletedSegment, fps: number): boolean {
  if (u.maskId !== m.id) return false;
  return liveCovers(m, { ...s, liveStamps: { [m.id]: stampOf(u, s, fps) } });
}

/**
 * A slot without a window acts on frames as FFmpeg processes them, so the proof uses when the
 * segment was produced: on before it began, off (if at all) only after it was complete.
 */
function processingCovers(u: SlotUse, s: CompletedSegment): boolean {
  const margin = isAudioSlot(u.kind) ? PROCESSING_MARGIN_MS.sound : PROCESSING_MARGIN_MS.picture;
  return u.on !== null && u.on <= s.produced.start - margin && (u.off === null || u.off >= s.produced.end + margin);
}

/**
 * The window for a mask starting at capture instant `start` and ending at `end` (null while
 * live), on a clock, in media seconds: from the first timestamp captured at `start` (or, when
 * that media has not arrived yet, the first after the newest seen) to the first captured at
 * `end`. Frames are dated half a frame ahead of their timestamp (capture-dating), so the window
 * opens half a frame early to take every frame dated inside, and closes half a frame late to take
 * the frame dated past the end that may still show a source captured before it; audio gets a
 * little more either side for the samples that spill past a segment's frames.
 */
export function maskWindow(clock: CaptureClock, start: number, end: number | null, kind: SlotKind, fps: number): SlotWindow | null {
  const orNext = (t: number | null): number | null => t ?? (clock.latest === null ? null : clock.latest + 1);
  const from = orNext(clock.firstAtOrAfter(start));
  if (from === null) return null;
  // A composite's mask lifts only where every tile has moved past its end.
  const to = end === null ? Number.POSITIVE_INFINITY : orNext(clock.firstWhollyAtOrAfter ? clock.firstWhollyAtOrAfter(end) : clock.firstAtOrAfter(end));
  if (to === null) return null;
  const half = Math.ceil(1000 / fps / 2) + 1;
  const [before, after] = isAudioSlot(kind) ? [half + 30, 60 + 1000 / fps] : [half, half];
  return { from: (from - before) / 1000, to: (to + after) / 1000 };
}
