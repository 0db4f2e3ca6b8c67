/** What dating needs of an ingest clock (server/ingest/ingest-clock.ts implements it). */
export interface CaptureClock {
  captureOf(timestampMs: number): number | null;
  readonly latestAt: number | null;
  readonly latest: number | null;
  /** The first timestamp whose capture instant is at or after `c`, or null if none has arrived yet. */
  firstAtOrAfter(c: number): number | null;
  /** The earliest arrival of any packet stamped at or after `t`, or null when unknown. */
  arrivedFrom(t: number): number | null;
}

/** A transcoded segment placed on the capture timeline, frame by frame. */
export interface SegmentDates {
  /** Capture instant of each video frame, in order. */
  readonly frames: readonly number[];
  /** Each video frame's timestamp in seconds (the transcoder's filters see it as `t`). */
  readonly pts: readonly number[];
  /** Contains the capture instant of every frame and audio sample in the segment. */
  readonly captureStart: number;
  readonly captureEnd: number;
}

/** Where an audio sample may precede the segment's first frame, or outlast its last (one AAC frame, 21 ms). */
const AUDIO_SPILL_MS = 25;

/**
 * Places a segment's frames on the ingest clock. The transcoder keeps input timestamps, so a frame
 * stamped `t` shows an input frame stamped at most half a frame later (the fps filter rounds to
 * the nearest), and its capture instant is the clock's reading half a frame ahead of `t`: never
 * earlier than the source frame's arrival. Media the clock has seen but has no step for yet
 * takes the clock's latest observation, which is later than anything it has seen arrive. Null
 * when the segment lies outside what this clock recorded (another connection's media).
 */
export function dateSegment(videoPtsSeconds: readonly number[], clock: CaptureClock, frameMs: number): SegmentDates | null {
  const first = videoPtsSeconds[0];
  const last = videoPtsSeconds[videoPtsSeconds.length - 1];
  const latestAt = clock.latestAt;
  if (first === undefined || last === undefined || latestAt === null || clock.latest === null) return null;
  const ahead = Math.ceil(frameMs / 2);
  const at = (ms: number): number | null => (ms > (clock.latest as number) ? latestAt : clock.captureOf(ms));
  const frames: number[] = [];
  for (const pts of videoPtsSeconds) {
    const c = at(Math.round(pts * 1000) + ahead);
    if (c === null) return null;
    frames.push(c);
  }
  const start = at(Math.round(first * 1000) - AUDIO_SPILL_MS) ?? frames[0];
  const end = at(Math.round(last * 1000) + Math.ceil(frameMs) + AUDIO_SPILL_MS);
  if (start === undefined || end === null) return null;
  return { frames, pts: videoPtsSeconds, captureStart: start, captureEnd: Math.max(end, frames[frames.length - 1] as number) };
}

/**
 * The offsets, in seconds from a segment's first frame, where a span on the capture timeline
 * begins and ends: the first frame captured at or after `start`, and the first captured at or
 * after `end` (frames before it are inside). With `fps`, frame k is k/fps from the first.
 */
export function frameOffsets(frames: readonly number[], start: number, end: number | null, fps: number, durationSec: number): { from: number; to: number } {
  const firstAt = (t: number): number => {
    const k = frames.findIndex((c) => c >= t);
    return k < 0 ? frames.length : k;
  };
  return { from: firstAt(start) / fps, to: end === null ? durationSec + 1 : firstAt(end) / fps };
}
