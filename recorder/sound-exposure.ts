import { addSpan, type BroadcastProgram, type Span } from '../server/domain/program.ts';

/** A stretch of a file's own timeline, in seconds. */
export interface MediaSpan {
  readonly start: number;
  readonly end: number;
}

/** What one archived as-aired slot of one rung carried, read from its file (timestamps in seconds). */
export interface AiredSlotMedia {
  readonly seq: number;
  readonly rung: string;
  /** The slot's capture interval as the gate decided it (ms since the epoch). */
  readonly captureStart: number;
  /**
   * The timestamp (s) `captureStart` dates, where the archive says (since the gate dated a slot
   * from whichever came first, its picture or any rung's sound); else from just before the picture.
   */
  readonly mediaStart?: number;
  /**
   * A spliced slot's cuts, where the archive says: each one's timestamp (s) and the capture instant
   * the gate gave the aired media beside it. Sound near a cut is placed from the cut.
   */
  readonly cuts?: readonly { readonly media: number; readonly capture: number }[];
  /** The slot's picture on the top video rung: its first frame's timestamp and its last frame's end. */
  readonly picture: MediaSpan | null;
  /** This rung's sound that is not silence (a splice's slated part and a mute are silent). */
  readonly loud: readonly MediaSpan[];
}

/**
 * Whether a slot's sound must be listened to: it was spliced (silence stands in for what was off
 * the air), or its sound runs beyond its picture by more than `toleranceMs`. Elsewhere the gate's
 * rules hold for sound as for pictures: a slot airs only wholly on the air.
 */
export function needsListening(o: { spliced: boolean; picture: MediaSpan | null; sound: MediaSpan | null }, toleranceMs: number): boolean {
  if (!o.picture || !o.sound) return false;
  const beyond = Math.max(o.picture.start - o.sound.start, o.sound.end - o.picture.end) * 1000;
  return o.spliced || beyond > toleranceMs;
}

/** Sound that aired outside the program, on the capture timeline. */
export interface ExposedSound {
  readonly rung: string;
  readonly seq: number;
  readonly from: number;
  readonly to: number;
  readonly ms: number;
}

/** Where the gate dated a slot's start before its first frame (the sound spill it allowed for), in archives that do not say. */
const SPILL_MS = 25;

/** The parts of [from, to) that lie in none of `allowed` (sorted, disjoint). */
function outside(from: number, to: number, allowed: readonly Span[]): Span[] {
  const out: Span[] = [];
  let at = from;
  for (const a of allowed) {
    if (a.end <= at) continue;
    if (a.start >= to) break;
    if (a.start > at) out.push({ start: at, end: a.start });
    at = Math.max(at, a.end);
  }
  if (at < to) out.push({ start: at, end: to });
  return out;
}

/** The capture time the program let air: its on-air intervals less every dumped and withdrawn span. */
function airable(program: BroadcastProgram, until: number): Span[] {
  const onAir = program.onAir.map((i) => ({ start: i.start, end: i.end ?? until })).sort((a, b) => a.start - b.start);
  const blocked = [...program.dumped, ...(program.withdrawn ?? [])].reduce<Span[]>((acc, s) => addSpan(acc, s), []);
  return onAir.flatMap((i) => outside(i.start, i.end, blocked));
}

/**
 * The sound that aired outside the program, computed from the archived as-aired files alone (the
 * record of what went out): every loud stretch of a slot's sound, placed on the capture timeline
 * from the timestamp its capture start dates (`mediaStart`; in older archives, just before the
 * first frame, from which the gate then dated a slot), less what the program let air, beyond `toleranceMs`, per rung and slot. Before issue 22 a run's first segment
 * led with sound from before its first frame, and the audio-only rung, cut by its own muxer, ran
 * about 1.6 s ahead of the pictures, so its slots aired sound from before edges.
 */
export function soundBeyondProgram(slots: readonly AiredSlotMedia[], program: BroadcastProgram, toleranceMs: number): ExposedSound[] {
  const until = Math.max(0, ...slots.map((s) => s.captureStart)) + 60_000;
  const allowed = airable(program, until);
  return slots.flatMap((s) => {
    const picture = s.picture;
    if (!picture) return [];
    const anchors = [{ media: s.mediaStart ?? picture.start - SPILL_MS / 1000, capture: s.captureStart }, ...(s.cuts ?? [])];
    // From the nearest anchor: the media did not reach us evenly, so the further from an instant
    // the gate dated, the less media time says of capture time.
    const captureOf = (t: number): number => {
      const a = anchors.reduce((best, x) => (Math.abs(x.media - t) < Math.abs(best.media - t) ? x : best));
      return a.capture + (t - a.media) * 1000;
    };
    return s.loud
      .flatMap((l) => outside(captureOf(l.start), captureOf(l.end), allowed))
      .filter((x) => x.end - x.start > toleranceMs)
      .map((x) => ({ rung: s.rung, seq: s.seq, from: Math.round(x.start), to: Math.round(x.end), ms: Math.round(x.end - x.start) }));
  });
}
