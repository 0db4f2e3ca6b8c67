/**
 * What each caption language airs in one public slot: the cues the program lets air over the
 * segment's media, as WebVTT; nothing for a slate. Pure.
 */
import { airedCue, type CaptionLanguage, type CaptionPolicy, type Cue } from '../domain/captions.ts';
import type { BroadcastProgram } from '../domain/program.ts';
import type { PendingSegment } from './render-plan.ts';
import { NO_CUES, placeCues, vttSegment } from './vtt.ts';

/** A hearing's captions as the delay line sees them. */
export interface CaptionSource {
  /** The subtitle renditions the hearing publishes (each gets a file for every slot). */
  readonly languages: readonly CaptionLanguage[];
  /** Every cue received so far, each in its newest version. */
  readonly cues: () => readonly Cue[];
  readonly policy: CaptionPolicy;
}

/** Each language's WebVTT for a slot that shows no program media (a slate): no cue. */
export function noCaptions(languages: readonly CaptionLanguage[]): Record<string, string> {
  return Object.fromEntries(languages.map((lang) => [lang, NO_CUES]));
}

/**
 * Each language's WebVTT for a segment that airs: every cue over its capture span that the program
 * lets air, placed by its frames. A segment not dated frame by frame cannot place a cue on its
 * picture, so it airs none (the words go to the transcript, never early or late on screen).
 */
export function segmentCaptions(source: CaptionSource, s: PendingSegment, program: BroadcastProgram): Record<string, string> {
  const { frames, pts } = s;
  if (!frames || !pts || pts.length === 0) return noCaptions(source.languages);
  const over = source.cues().filter((c) => c.start < s.captureEnd && s.captureStart < c.end);
  const clock = { frames, pts, durationSec: s.durationSec };
  return Object.fromEntries(
    source.languages.map((lang) => {
      const aired = over.filter((c) => c.lang === lang).flatMap((c) => airedCue(c, program, source.policy) ?? []);
      return [lang, vttSegment(placeCues(aired, clock), pts[0] as number)];
    }),
  );
}
