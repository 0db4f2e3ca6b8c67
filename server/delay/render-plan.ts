import { isWholePictureKind, masksOver, renderKey, type Mask } from '../domain/masks.ts';
import { liveSlotOf } from '../media/live-slots.ts';
import { slateWindows, type BroadcastProgram, type SlateWindow } from '../domain/program.ts';
import type { SegmentMask } from '../media/mask-filters.ts';
import { frameOffsets, frameSpanStart, soundFrom, soundTo } from '../pipeline/capture-dating.ts';
import { liveCovers } from '../pipeline/slot-proof.ts';
import type { CompletedSegment } from '../pipeline/segment-watcher.ts';
import type { SlateCard } from '../media/args.ts';
import type { PublicSlate } from './slates.ts';

/** A segment waiting for release, with whether its published date had to be pushed later. */
export type PendingSegment = CompletedSegment & { readonly pdtPushed?: boolean };

/**
 * Whether live mask slots already put every one of these masks on the segment, by the stamps the
 * pipeline put on it when it completed. A kind without a live slot (the card, voice) never proves live.
 */
export function liveProven(s: CompletedSegment, masks: readonly Mask[]): boolean {
  return masks.length > 0 && masks.every((m) => liveSlotOf(m.kind) !== null && liveCovers(m, s));
}

/** A segment's id among a hearing's runs. */
export const segmentId = (s: CompletedSegment): string => `r${s.run}-${s.index}`;

/**
 * Masks on a segment's own clock, in seconds from its first frame. A segment dated on the ingest
 * clock knows each frame's capture instant, so a mask covers exactly the frames captured inside
 * it, however late the transcoder ran. Without them (an input with no ingest clock) only the
 * segment's bounds are known: a mask starting before the segment's capture end covers it from
 * the first frame, and an end maps from the capture start (covering every frame that may precede
 * it), except a retroactive end given on an unpushed published timeline, which maps exactly.
 */
export function segmentMasks(masks: readonly Mask[], s: CompletedSegment & { readonly pdtPushed?: boolean }, fps: number): SegmentMask[] {
  return masks.flatMap((m): SegmentMask[] => {
    // Whole-picture kinds are the gate's: it cards the segments they touch.
    if (isWholePictureKind(m.kind)) return [];
    const extra = { ...(m.region ? { region: m.region } : {}), ...(m.pitch ? { pitch: m.pitch } : {}) };
    if (s.frames && s.frames.length > 0) return [{ kind: m.kind, ...extra, ...frameOffsets(s.frames, s.captureStart, m.start, m.end, fps, s.durationSec, s.spanStarts) }];
    // Without per-frame dates a frame's capture may lie anywhere up to the segment's end, so a
    // mask that starts before that end covers the segment from its first frame.
    const from = m.start < s.captureEnd ? 0 : (m.start - s.programDateTime) / 1000;
    const exact = m.exactEnd === true && s.pdtPushed !== true;
    const to = m.end === null ? s.durationSec + 1 : (m.end - (exact ? s.programDateTime : s.captureStart)) / 1000;
    return [{ kind: m.kind, ...extra, from, to }];
  });
}

/**
 * What a render of a segment must do. Its key names exactly that, so a finished render proves a
 * release only for the plan it was made for.
 */
export interface RenderPlan {
  readonly key: string;
  /** What the renderer applies, on the segment's own clock. */
  readonly masks: readonly SegmentMask[];
  /** The program's masks over the segment (what a live slot proof must cover). */
  readonly over: readonly Mask[];
  /** Whether any mask (not only an edge) shapes the segment. */
  readonly masked: boolean;
  /** Where a program edge falls inside: the frames a slate picture replaces; null if none does. */
  readonly windows: readonly SlateWindow[] | null;
}

/**
 * The render a segment needs under a program: the masks over it and, where a program edge falls
 * inside it (a segment dated frame by frame, of a broadcast hearing), the slate windows over its
 * off-air frames. Null when it needs none.
 */
export function renderPlan(s: PendingSegment, program: BroadcastProgram, o: { readonly fps: number; readonly broadcast: boolean; readonly card: (kind: PublicSlate) => SlateCard }): RenderPlan | null {
  const span = { start: s.captureStart, end: s.captureEnd };
  const masks = (program.masks ?? []).filter((m) => !isWholePictureKind(m.kind));
  const over = masksOver(masks, span);
  const maskKey = renderKey(masks, span);
  const masked = maskKey !== '[]';
  const frames = s.frames;
  const windows = !o.broadcast || !frames ? null : slateWindows(program, frames, s.captureStart, s.captureEnd, s.spanStarts);
  if (windows === null || !frames) return masked ? { key: maskKey, masks: segmentMasks(over, s, o.fps), over, masked, windows: null } : null;
  // A window at either end of the frames silences the sound beyond them too (it is off the air as well).
  const slates = windows.map((w): SegmentMask => ({ kind: 'slate', card: o.card(w.slate), from: soundFrom(w.from, o.fps, s.durationSec), to: soundTo(w.to, frames.length, o.fps, s.durationSec) }));
  // The cards are in the key: the same windows in another language are another render.
  return { key: `${maskKey}|${JSON.stringify(windows)}|${JSON.stringify(slates.map((m) => m.card))}`, masks: [...segmentMasks(over, s, o.fps), ...slates], over, masked, windows };
}

/** Where a splice cuts a segment's media, and the capture instant the gate gave the aired side of the cut. */
export interface CutAnchor {
  /** The cut's timestamp (s) in the segment's files: the first slated frame's, or the first aired frame's after a window. */
  readonly media: number;
  /** The aired frame's span at the cut (ms since the epoch): where it ends before a window, where it begins after one. */
  readonly capture: number;
}

/**
 * The anchors of a spliced segment's cuts. The frame before a window airs up to the cut, having
 * been captured up to its date; the frame after one airs from the cut, having been captured from
 * its span's start (the gate airs a frame only when that whole span is on the air). Whoever
 * listens to the aired files can then place the sound beside each cut on the capture clock the
 * gate used, rather than extrapolating across the segment from its first frame, which is off by
 * however unevenly the media reached us within the segment. Pure.
 */
export function cutAnchors(windows: readonly SlateWindow[], s: Pick<CompletedSegment, 'frames' | 'pts' | 'captureStart' | 'spanStarts'>): CutAnchor[] {
  const { frames, pts } = s;
  if (!frames || !pts) return [];
  const out: CutAnchor[] = [];
  for (const w of windows) {
    const [before, after] = [pts[w.from], pts[w.to]];
    if (w.from > 0 && before !== undefined) out.push({ media: before, capture: frames[w.from - 1] as number });
    if (w.to < frames.length && after !== undefined) out.push({ media: after, capture: frameSpanStart(frames, w.to, s.captureStart, s.spanStarts) });
  }
  return out;
}
