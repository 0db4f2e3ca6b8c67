/** What dating needs of an ingest clock (server/ingest/ingest-clock.ts implements it). */
export interface CaptureClock {
  captureOf(timestampMs: number): number | null;
  readonly latestAt: number | null;
  readonly latest: number | null;
  /** The first timestamp whose capture instant is at or after `c`, or null if none has arrived yet. */
  firstAtOrAfter(c: number): number | null;
  /** The earliest arrival of any packet stamped at or after `t`, or null when unknown. */
  arrivedFrom(t: number): number | null;
  /**
   * For a picture made of several sources (a composite): the earliest capture instant of what the
   * picture at `t` may show, where `captureOf` gives the latest. Absent when a picture is one
   * source's frame (the two are the same).
   */
  earliestCaptureOf?(timestampMs: number): number | null;
  /**
   * For a composite: the first timestamp from which every source's frames were captured at or
   * after `c` (`firstAtOrAfter` gives the first from which any source's may be). Absent for one source.
   */
  firstWhollyAtOrAfter?(c: number): number | null;
}

/** A transcoded segment placed on the capture timeline, frame by frame. */
export interface SegmentDates {
  /** Capture instant of each video frame, in order. */
  readonly frames: readonly number[];
  /**
   * Where each frame's content may have been captured from, when a frame can show sources
   * captured at different instants (a composite; see frameSpanStart); absent otherwise.
   */
  readonly spanStarts?: readonly number[];
  /** Each video frame's timestamp in seconds (the transcoder's filters see it as `t`). */
  readonly pts: readonly number[];
  /** Contains the capture instant of every frame and audio sample in the segment. */
  readonly captureStart: number;
  readonly captureEnd: number;
  /**
   * The timestamp (s) that `captureStart` dates: the first frame's less a sound spill, or the
   * first sound of any rung where it leads. What aired is placed on the capture timeline from it.
   */
  readonly mediaStart: number;
}

/** Where an audio sample may precede the segment's first frame, or outlast its last (one AAC frame, 21 ms). */
const AUDIO_SPILL_MS = 25;

/** Where a segment's sound lies on its own timestamps, in seconds (media/ts-continuity.ts `audioSpan`). */
export interface SoundSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * Places a segment's frames on the ingest clock. The transcoder keeps input timestamps, so a frame
 * stamped `t` shows an input frame stamped at most half a frame later (the fps filter rounds to
 * the nearest), and its capture instant is the clock's reading half a frame ahead of `t`: never
 * earlier than the source frame's arrival. Media the clock has seen but has no step for yet
 * takes the clock's latest observation, which is later than anything it has seen arrive. Null
 * when the segment lies outside what this clock recorded (another connection's media).
 *
 * The interval covers the segment's sound as well as its pictures: `sounds` are the spans of the
 * sound every rung of the segment carries, and sound before the first frame or after the last
 * (the audio-only rung is cut by its own muxer) widens it. Sound is media like the picture.
 */
export function dateSegment(videoPtsSeconds: readonly number[], clock: CaptureClock, frameMs: number, sounds: readonly SoundSpan[] = []): SegmentDates | null {
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
  const startMs = Math.min(Math.round(first * 1000) - AUDIO_SPILL_MS, ...sounds.map((s) => Math.floor(s.start * 1000)));
  const endMs = Math.max(Math.round(last * 1000) + Math.ceil(frameMs) + AUDIO_SPILL_MS, ...sounds.map((s) => Math.ceil(s.end * 1000)));
  // Sound stamped before the clock's first step (an encoder's priming) is dated back from the
  // first frame by its media time: earlier, so the interval still contains it.
  const start = at(startMs) ?? (frames[0] as number) - (Math.round(first * 1000) + ahead - startMs);
  const end = at(endMs);
  if (end === null) return null;
  const captureStart = Math.min(start, frames[0] as number);
  const spanStarts = composedSpanStarts(videoPtsSeconds, frames, captureStart, clock, ahead);
  if (spanStarts === null) return null;
  return {
    frames,
    ...(spanStarts ? { spanStarts } : {}),
    pts: videoPtsSeconds,
    captureStart: Math.min(captureStart, ...(spanStarts ?? [])),
    captureEnd: Math.max(end, frames[frames.length - 1] as number),
    mediaStart: startMs / 1000,
  };
}

/**
 * For a clock of composed pictures, where each frame's content may have been captured from: its
 * predecessor's instant, or earlier where one of its tiles shows a source frame captured before
 * that (the cameras are lined up to within about a frame, not exactly). The fps filter shows the
 * source frame stamped nearest the output's, so no tile of frame `t` is older than the source
 * frame at or before `t` less half a frame. Undefined for a clock of single pictures; null when a
 * frame cannot be dated yet.
 */
function composedSpanStarts(pts: readonly number[], frames: readonly number[], captureStart: number, clock: CaptureClock, ahead: number): number[] | null | undefined {
  if (!clock.earliestCaptureOf) return undefined;
  const out: number[] = [];
  for (let k = 0; k < pts.length; k++) {
    const ms = Math.round((pts[k] as number) * 1000) - ahead;
    const earliest = ms > (clock.latest as number) ? clock.latestAt : clock.earliestCaptureOf(ms);
    if (earliest === null) return null;
    out.push(Math.min(frameSpanStart(frames, k, captureStart), earliest));
  }
  return out;
}

/**
 * Where frame `k` of a segment may have been captured: after the instant its predecessor is dated
 * (the segment's capture start for the first) and up to its own. A frame is dated at the latest
 * source it may show, which is right for release (never early) and for an edge's start, but a
 * frame dated just past a span's end may show a source captured just before it: the span still
 * reaches that frame.
 */
export const frameSpanStart = (frames: readonly number[], k: number, captureStart: number, spanStarts?: readonly number[]): number =>
  spanStarts?.[k] ?? (k === 0 ? captureStart : (frames[k - 1] as number));

/**
 * The offsets, in seconds from a segment's first frame, where a span on the capture timeline
 * begins and ends: the first frame captured at or after `start`, and the first frame that may
 * only have been captured at or after `end` (every frame before it may lie inside). With `fps`,
 * frame k is k/fps from the first. A span that covers the first frame reaches back over any sound
 * before it, and one that covers the last frame reaches past the sound after it (the segment's
 * sound is not cut at its frames).
 */
export function frameOffsets(frames: readonly number[], captureStart: number, start: number, end: number | null, fps: number, durationSec: number, spanStarts?: readonly number[]): { from: number; to: number } {
  const firstWhere = (ok: (k: number) => boolean): number => {
    for (let k = 0; k < frames.length; k++) if (ok(k)) return k;
    return frames.length;
  };
  const from = firstWhere((k) => (frames[k] as number) >= start);
  const to = end === null ? frames.length : firstWhere((k) => frameSpanStart(frames, k, captureStart, spanStarts) >= end);
  return { from: soundFrom(from, fps, durationSec), to: end === null ? durationSec + 1 : soundTo(to, frames.length, fps, durationSec) };
}

/** The start offset of a run of frames from frame `k`: the whole sound before the picture when `k` is the first. */
export function soundFrom(k: number, fps: number, durationSec: number): number {
  return k === 0 ? -(durationSec + 1) : k / fps;
}

/** The end offset of a run of frames up to frame `k` (exclusive): past the sound's end when `k` is past the last frame. */
export function soundTo(k: number, frameCount: number, fps: number, durationSec: number): number {
  return k >= frameCount ? durationSec + 1 : k / fps;
}
