/**
 * WebVTT for the public subtitle renditions: one small VTT file beside each released segment,
 * carrying the aired cues that fall in it, on the segment's own media clock. Pure.
 */
import { SPEAKER_WORDS, type AiredCue } from '../domain/captions.ts';

/** MPEG-TS timestamps run at 90 kHz and wrap at 2^33. */
const TS_HZ = 90_000;
const TS_WRAP = 2 ** 33;

/** A time in seconds as WebVTT writes it (HH:MM:SS.mmm). */
export function vttTime(seconds: number): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const [h, m, s] = [Math.floor(ms / 3_600_000), Math.floor(ms / 60_000) % 60, Math.floor(ms / 1000) % 60];
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
}

/** Where a segment's frames were captured and stand in its files: what places a cue on its media clock. */
export interface SegmentClock {
  /** Each frame's capture instant (ms), in order. */
  readonly frames: readonly number[];
  /** Each frame's timestamp in the segment's files (s). */
  readonly pts: readonly number[];
  readonly durationSec: number;
}

/** A cue placed in one segment: seconds from the segment's first frame. */
export interface PlacedCue {
  readonly cue: AiredCue;
  readonly from: number;
  readonly to: number;
}

/**
 * The aired cues that show during a segment, each from the first frame captured at or after its
 * start to the first captured at or after its end (a caption appears with the picture it belongs
 * to), clipped to the segment. A cue that runs over several segments is in each of them, as HLS
 * subtitle renditions expect. Pure.
 */
export function placeCues(cues: readonly AiredCue[], s: SegmentClock): PlacedCue[] {
  const origin = s.pts[0];
  if (origin === undefined) return [];
  const offsetOf = (capture: number): number => {
    const k = s.frames.findIndex((f) => f >= capture);
    return k < 0 ? s.durationSec : (s.pts[k] as number) - origin;
  };
  return cues
    .map((cue) => ({ cue, from: offsetOf(cue.start), to: offsetOf(cue.end) }))
    .filter((p) => p.to > p.from)
    .sort((a, b) => a.from - b.from || a.cue.id.localeCompare(b.cue.id));
}

/** Escapes cue text for a WebVTT payload (the text itself is plain: no markup is accepted). */
const escapeText = (text: string): string => text.replace(/&/g, '&amp;');

/**
 * One WebVTT segment. `firstPts` (s) is the timestamp of the segment's first frame in its TS
 * files: X-TIMESTAMP-MAP ties the VTT's zero to it, so players line cues up with the picture.
 */
export function vttSegment(placed: readonly PlacedCue[], firstPts: number): string {
  const mpegts = Math.round(firstPts * TS_HZ) % TS_WRAP;
  const blocks = placed.map((p) => {
    const who = p.cue.speaker ? `<v ${SPEAKER_WORDS[p.cue.lang][p.cue.speaker]}>` : '';
    return `${vttTime(p.from)} --> ${vttTime(p.to)}\n${who}${escapeText(p.cue.text)}`;
  });
  return ['WEBVTT', `X-TIMESTAMP-MAP=MPEGTS:${mpegts},LOCAL:00:00:00.000`, '', ...blocks.flatMap((b) => [b, ''])].join('\n');
}

/** A WebVTT segment without cues: what a slot that shows no program media carries. */
export const NO_CUES = vttSegment([], 0);
