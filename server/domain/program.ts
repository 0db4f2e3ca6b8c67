/**
 * The broadcast program: a pure record of the clerk's decisions on the capture timeline, and the
 * one function that turns it into a release decision for a segment. Times are milliseconds since
 * the epoch, measured at ingest. Nothing here does I/O, so every rule is unit-tested on its own.
 *
 * Rules (DESIGN.md, "Operator actions"):
 * - start:  on-air from `at`.
 * - pause:  off-air from `at`; what was captured before still airs.
 * - cut:    off-air from the last released instant; [releasedUntil, at) is dumped and never airs.
 * - resume: on-air from `at`.
 * - end:    off-air from `at`; the playlist then ends.
 */

import { COMMAND_POLICY } from './commands.ts';
import { moveCameraMasks, tilesOf, type Arrangement } from './arrangements.ts';
import type { Layout } from './layouts.ts';
import { addMask, isWholePictureKind, liftMask, maskOverlaps, type Mask } from './masks.ts';

/** A half-open interval [start, end) on the capture timeline. `end` null means still open. */
export interface Interval {
  readonly start: number;
  readonly end: number | null;
}

/** A closed half-open interval [start, end). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** Where the broadcast stands, as a list for codecs. */
export const PROGRAM_PHASES = ['ready', 'on-air', 'paused', 'cut', 'ended'] as const;
/** Where the broadcast stands. */
export type ProgramPhase = (typeof PROGRAM_PHASES)[number];

/** The program itself: plain data, safe to persist as JSON. */
export interface BroadcastProgram {
  readonly phase: ProgramPhase;
  readonly onAir: readonly Interval[];
  readonly dumped: readonly Span[];
  /**
   * The dumped spans that were dumped because the broadcast lost its approval: they, and the
   * time off air after them, show the no-broadcast card rather than "interrupted".
   */
  readonly withdrawn?: readonly Span[];
  /** Privacy masks; a program persisted before masks existed reads as having none. */
  readonly masks?: readonly Mask[];
  /**
   * A composed program's arrangements, oldest first: the courtroom's as the hearing opened, then
   * each clerk's switch. Absent when the program is the courtroom's own feed.
   */
  readonly arrangements?: readonly Arrangement[];
  /** Open masks drawn on a camera the program does not show now: they go back on when it does. */
  readonly parked?: readonly Mask[];
  readonly endedAt: number | null;
  /** The latest action time; later actions never go back before it. */
  readonly lastActionAt: number;
}

/** A clerk's action. `cut` needs the release position so it can dump the unreleased window. */
export type ProgramAction =
  | { readonly type: 'start'; readonly at: number }
  | { readonly type: 'pause'; readonly at: number }
  | { readonly type: 'resume'; readonly at: number }
  | { readonly type: 'cut'; readonly at: number; readonly releasedUntil: number; readonly withdrawn?: boolean }
  | { readonly type: 'end'; readonly at: number }
  | { readonly type: 'mask'; readonly at: number; readonly mask: Mask }
  | { readonly type: 'lift'; readonly at: number; readonly maskId: string }
  /**
   * Another layout or other cameras from `at`. `covers` go on with it: black over what the switch
   * changes, until the compositor has surely switched (each lifted then by its id).
   */
  | { readonly type: 'switch'; readonly at: number; readonly layout: Layout; readonly cameras: readonly string[]; readonly covers: readonly Mask[] };

/** The kinds of slate the public may see instead of the picture. */
export type SlateKind = 'starting' | 'paused' | 'interrupted' | 'ended' | 'no-broadcast';

/** What the release gate does with one segment. */
export type ReleaseDecision = { readonly action: 'air' } | { readonly action: 'slate'; readonly slate: SlateKind };

/** Why an action was refused. */
export interface TransitionError {
  readonly from: ProgramPhase;
  readonly action: ProgramAction['type'];
  readonly message: string;
}

/**
 * Which phases each action may be taken from, as declared with each command's policy: an action
 * added here without a policy there does not compile.
 */
const ALLOWED: Readonly<Record<ProgramAction['type'], { readonly from: readonly ProgramPhase[] }>> = COMMAND_POLICY;

/** A fresh program: nothing on air yet. */
export function emptyProgram(createdAt = 0): BroadcastProgram {
  return { phase: 'ready', onAir: [], dumped: [], masks: [], endedAt: null, lastActionAt: createdAt };
}

/** Whether `action` may be applied to a program in `phase`. */
export function canApply(phase: ProgramPhase, action: ProgramAction['type']): boolean {
  return ALLOWED[action].from.includes(phase);
}

/** Closes the open on-air interval at `at`; an interval that would be empty is removed. */
function closeOpen(onAir: readonly Interval[], at: number): Interval[] {
  return onAir.flatMap((i) => {
    if (i.end !== null) return [i];
    return at > i.start ? [{ start: i.start, end: at }] : [];
  });
}

/** Truncates every on-air interval at `at`, so nothing at or after `at` stays on air. */
function truncate(onAir: readonly Interval[], at: number): Interval[] {
  return onAir.flatMap((i) => {
    if (i.start >= at) return [];
    const end = i.end === null ? at : Math.min(i.end, at);
    return [{ start: i.start, end }];
  });
}

/** Adds a span to a sorted list of spans, merging overlaps and neighbours. */
export function addSpan(spans: readonly Span[], span: Span): Span[] {
  if (span.end <= span.start) return [...spans];
  const all = [...spans, span].sort((a, b) => a.start - b.start);
  const out: Span[] = [];
  for (const s of all) {
    const last = out.at(-1);
    if (last && s.start <= last.end) out[out.length - 1] = { start: last.start, end: Math.max(last.end, s.end) };
    else out.push(s);
  }
  return out;
}

/**
 * The capture instant from which an action takes effect, computed here once for the program, the
 * audit record and the consoles: the action's time, but never before the previous action's (time
 * never runs backwards); for a cut, the last released instant, since everything not yet released
 * is dumped; for a mask, its own start (a retroactive mask reaches back by design).
 */
export function effectiveAt(program: BroadcastProgram, action: ProgramAction): number {
  if (action.type === 'mask') return action.mask.start;
  const at = Math.max(action.at, program.lastActionAt);
  return action.type === 'cut' ? Math.min(action.releasedUntil, at) : at;
}

/**
 * Applies one action. Times never run backwards: an action stamped before the previous one takes
 * effect at the previous one's time, which can only make more of the timeline off-air.
 */
export function applyAction(
  program: BroadcastProgram,
  action: ProgramAction,
): { ok: true; program: BroadcastProgram } | { ok: false; error: TransitionError } {
  if (!canApply(program.phase, action.type)) {
    return {
      ok: false,
      error: { from: program.phase, action: action.type, message: `cannot ${action.type} a broadcast that is ${program.phase}` },
    };
  }
  // A retroactive mask reaches back in time by design; only the clerk's own actions are ordered.
  if (action.type === 'mask') {
    // Drawn on a camera the program does not show now: parked until it does.
    if (action.mask.on && !action.mask.region) return { ok: true, program: { ...program, parked: addMask(program.parked ?? [], action.mask) } };
    return { ok: true, program: { ...program, masks: addMask(program.masks ?? [], action.mask) } };
  }
  if (action.type === 'lift') {
    const at = Math.max(action.at, program.lastActionAt);
    const parked = (program.parked ?? []).filter((m) => m.id !== action.maskId && m.of !== action.maskId);
    return { ok: true, program: { ...program, lastActionAt: at, masks: liftMask(program.masks ?? [], action.maskId, at), ...(program.parked ? { parked } : {}) } };
  }
  if (action.type === 'switch') {
    const at = Math.max(action.at, program.lastActionAt);
    const to = { at, layout: action.layout, cameras: [...action.cameras] };
    const moved = moveCameraMasks(program.masks ?? [], program.parked ?? [], tilesOf(to), at);
    const masks = action.covers.reduce((acc, c) => addMask(acc, { ...c, start: at }), moved.masks);
    return { ok: true, program: { ...program, lastActionAt: at, arrangements: [...(program.arrangements ?? []), to], masks, parked: moved.parked } };
  }
  const at = Math.max(action.at, program.lastActionAt);
  const base = { ...program, lastActionAt: at };
  switch (action.type) {
    case 'start':
    case 'resume':
      return { ok: true, program: { ...base, phase: 'on-air', onAir: [...program.onAir, { start: at, end: null }] } };
    case 'pause':
      return { ok: true, program: { ...base, phase: 'paused', onAir: closeOpen(program.onAir, at) } };
    case 'end':
      return { ok: true, program: { ...base, phase: 'ended', onAir: closeOpen(program.onAir, at), endedAt: at } };
    case 'cut': {
      // Everything not yet released is dumped; a released instant can never be un-aired.
      const from = effectiveAt(program, action);
      return {
        ok: true,
        program: {
          ...base,
          phase: 'cut',
          onAir: truncate(program.onAir, from),
          dumped: addSpan(program.dumped, { start: from, end: at }),
          ...(action.withdrawn ? { withdrawn: addSpan(program.withdrawn ?? [], { start: from, end: at }) } : {}),
        },
      };
    }
  }
}

const overlaps = (a: Span, b: Span): boolean => a.start < b.end && b.start < a.end;

/**
 * Decides what airs for a segment captured over [start, end). It airs only when the whole
 * interval lies inside one on-air interval and touches no dumped span; anything else is a slate.
 * Rounding inwards is deliberate: a segment straddling a pause or a start is slated, never aired.
 * The slate says what took the picture off: the end, a cut (the interrupted card), a pause, or
 * that the broadcast has not started; a viewer never reads "paused" when nobody paused.
 */
export function decide(program: BroadcastProgram, segment: Span): ReleaseDecision {
  const withdrawn = program.withdrawn ?? [];
  if (withdrawn.some((d) => overlaps(d, segment))) return { action: 'slate', slate: 'no-broadcast' };
  if (program.dumped.some((d) => overlaps(d, segment))) return { action: 'slate', slate: 'interrupted' };
  // The no-broadcast card replaces any segment it touches, whole: picture and sound.
  if ((program.masks ?? []).some((m) => isWholePictureKind(m.kind) && maskOverlaps(m, segment))) return { action: 'slate', slate: 'no-broadcast' };
  const inside = program.onAir.some((i) => i.start <= segment.start && (i.end === null || segment.end <= i.end));
  if (inside) return { action: 'air' };
  if (program.endedAt !== null && segment.end > program.endedAt) return { action: 'slate', slate: 'ended' };
  // The on-air interval that closed last before this segment ends says why it is off the air.
  const closedAt = Math.max(...program.onAir.flatMap((i) => (i.end !== null && i.end <= segment.end ? [i.end] : [])));
  if (!Number.isFinite(closedAt)) return { action: 'slate', slate: 'starting' };
  if (withdrawn.some((d) => d.start === closedAt)) return { action: 'slate', slate: 'no-broadcast' };
  return { action: 'slate', slate: program.dumped.some((d) => d.start === closedAt) ? 'interrupted' : 'paused' };
}

/** Whether the public playlist may close: the release position has passed the end. */
export function isFinished(program: BroadcastProgram, releasedUntil: number): boolean {
  return program.endedAt !== null && releasedUntil >= program.endedAt;
}

/** A run of a segment's frames [from, to) (frame indexes) that a slate picture replaces. */
export interface SlateWindow {
  readonly slate: SlateKind;
  readonly from: number;
  readonly to: number;
}

/**
 * Where a program edge (start, pause, resume, end, or a card mask) falls inside a segment: the
 * runs of its frames that must show a slate while the others air. Frame k counts as captured
 * over [frames[k-1], frames[k]] (each instant is an upper bound of the frame's capture, and the
 * one before is a lower bound), so it airs only when that whole span is on the air: an edge
 * rounds inwards by at most one frame. The first frame also answers for the segment's media
 * captured before it (from `captureStart`: sound ahead of the picture) and the last for the media
 * after it (to `captureEnd`), so a window that reaches either end of the frames reaches the end of
 * the segment's sound too. Null when nothing is to be split: every frame airs, none does, or the
 * segment touches dumped media (a cut's segments are carded whole, never spliced). A composed
 * picture's tiles may show sources captured a little before its predecessor's instant:
 * `spanStarts`, when given, is where each frame's span begins.
 */
export function slateWindows(program: BroadcastProgram, frames: readonly number[], captureStart: number, captureEnd?: number, spanStarts?: readonly number[]): SlateWindow[] | null {
  const lastFrame = frames[frames.length - 1];
  if (lastFrame === undefined) return null;
  const end = Math.max(lastFrame + 1, captureEnd ?? lastFrame + 1);
  if (program.dumped.some((d) => overlaps(d, { start: captureStart, end }))) return null;
  const kinds = frames.map((c, k) => {
    const d = decide(program, { start: spanStarts?.[k] ?? (k === 0 ? captureStart : (frames[k - 1] as number)), end: k === frames.length - 1 ? end : c + 1 });
    return d.action === 'air' ? null : d.slate;
  });
  const aired = kinds.filter((k) => k === null).length;
  if (aired === 0 || aired === kinds.length) return null;
  const windows: SlateWindow[] = [];
  kinds.forEach((slate, k) => {
    if (slate === null) return;
    const last = windows[windows.length - 1];
    if (last && last.to === k && last.slate === slate) windows[windows.length - 1] = { ...last, to: k + 1 };
    else windows.push({ slate, from: k, to: k + 1 });
  });
  return windows;
}
