/**
 * Privacy masks on the capture timeline: pure data and rules, no I/O. A mask hides part of what
 * the public would see or hear over [start, end); an open end means "until lifted". Regions are
 * normalised (0-1) so one mask holds on every rung of the ladder.
 */

/**
 * What a kind of mask hides, declared with the kind. `picture`: a region of it, the whole of it
 * (the segments it touches air as the no-broadcast card) or nothing; `sound`: silenced, shifted in
 * pitch, or left; `text`: what it does to the captions of the words spoken under it: `hide` (they
 * air as the court's "inaudible" marker, or not at all), `court` (the court's caption policy says
 * whether they are hidden), `keep`. A kind must hide something, and a kind that silences the sound
 * hides its words too: the types do not let a mute keep its captions. `standing`: whether a
 * hearing may require it throughout. Validation, the gate, the render plan, the captions, the
 * renderer's treatments and the live slots all read this table (the last two keyed by kind), so a
 * kind added without saying what it hides, or how it is drawn, does not compile.
 */
type SoundAndText =
  | { readonly sound: 'none'; readonly text: 'keep' }
  | { readonly sound: 'silence'; readonly text: 'hide' }
  | { readonly sound: 'pitch'; readonly text: 'hide' | 'court' };
export type MaskKindPolicy = { readonly standing: boolean } & (({ readonly picture: 'region' | 'whole' } & SoundAndText) | ({ readonly picture: 'none' } & Exclude<SoundAndText, { sound: 'none' }>));

/** Every mask kind and what it hides. */
export const MASK_KIND_POLICY = {
  black: { picture: 'region', sound: 'none', text: 'keep', standing: true },
  blur: { picture: 'region', sound: 'none', text: 'keep', standing: true },
  pixelate: { picture: 'region', sound: 'none', text: 'keep', standing: true },
  mute: { picture: 'none', sound: 'silence', text: 'hide', standing: true },
  // A distorted voice is still heard: whether its words are written out is the court's choice.
  voice: { picture: 'none', sound: 'pitch', text: 'court', standing: true },
  // The no-broadcast card is not drawn on the picture: the gate slates what it touches, whole.
  card: { picture: 'whole', sound: 'silence', text: 'hide', standing: false },
} as const satisfies Record<string, MaskKindPolicy>;

/** A kind of mask. */
export type MaskKind = keyof typeof MASK_KIND_POLICY;
type Policies = typeof MASK_KIND_POLICY;
/** The kinds whose policy matches `P`. */
type KindsWhere<P> = { [K in MaskKind]: Policies[K] extends P ? K : never }[MaskKind];
/** Kinds that cover a region of the picture. */
export type RegionKind = KindsWhere<{ picture: 'region' }>;
/** Kinds that replace whole segments with the no-broadcast card. */
export type WholePictureKind = KindsWhere<{ picture: 'whole' }>;
/** Kinds a hearing may require throughout. */
export type StandingKind = KindsWhere<{ standing: true }>;

/** Every kind, as a list for schemas. */
export const MASK_KINDS = Object.keys(MASK_KIND_POLICY) as [MaskKind, ...MaskKind[]];

/** What a kind hides. */
export const maskPolicy = (kind: MaskKind): MaskKindPolicy => MASK_KIND_POLICY[kind];
/** Whether a kind covers a region of the picture (and so needs one). */
export const isRegionKind = (kind: MaskKind): kind is RegionKind => MASK_KIND_POLICY[kind].picture === 'region';
/** Whether a kind replaces whole segments with the no-broadcast card. */
export const isWholePictureKind = (kind: MaskKind): kind is WholePictureKind => MASK_KIND_POLICY[kind].picture === 'whole';
/** The kinds a hearing may require throughout, as a list for schemas. */
export const STANDING_MASK_KINDS = MASK_KINDS.filter((k) => MASK_KIND_POLICY[k].standing) as [StandingKind, ...StandingKind[]];

/** A rectangle in normalised picture coordinates. */
export interface Region {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** One mask. */
export interface Mask {
  readonly id: string;
  readonly kind: MaskKind;
  /** Only for region kinds. */
  readonly region?: Region;
  /** Only for voice: the pitch ratio (0.5-0.95 lowers, 1.05-2 raises). */
  readonly pitch?: number;
  readonly start: number;
  readonly end: number | null;
  /**
   * The end was given with the mask, as an instant on the published timeline (a retroactive
   * interval), so it maps to frames exactly. An end set by a lift is the clerk's wall-clock
   * instant, which gets the conservative mapping instead.
   */
  readonly exactEnd?: boolean;
  /** The name of the hearing's standing mask this is: it holds for the whole hearing and cannot be lifted. */
  readonly standing?: string;
  /**
   * Drawn on one camera of a composed program: that camera and the region on its own picture.
   * `region` is then where that lies on the program, and a switch that moves the camera ends the
   * mask and goes on with a piece over the camera's new tile (domain/arrangements.ts).
   */
  readonly on?: { readonly source: string; readonly region: Region };
  /** A later piece of a mask drawn on a camera: the id of its first piece, by which it is lifted. */
  readonly of?: string;
}

/** Why a mask was refused. */
export type MaskProblem = 'region-required' | 'region-out-of-bounds' | 'region-not-allowed' | 'empty-interval' | 'pitch-out-of-range';

/** Checks a mask's shape; null when it is sound. */
export function maskProblem(m: Mask): MaskProblem | null {
  const isRegion = isRegionKind(m.kind);
  if (isRegion && !m.region) return 'region-required';
  if (!isRegion && m.region) return 'region-not-allowed';
  if (m.region) {
    const { x, y, w, h } = m.region;
    const inUnit = [x, y, w, h].every((v) => Number.isFinite(v) && v >= 0 && v <= 1);
    if (!inUnit || w <= 0 || h <= 0 || x + w > 1 + 1e-9 || y + h > 1 + 1e-9) return 'region-out-of-bounds';
  }
  if (MASK_KIND_POLICY[m.kind].sound === 'pitch' && (m.pitch === undefined || m.pitch < 0.5 || m.pitch > 2 || Math.abs(m.pitch - 1) < 0.05)) return 'pitch-out-of-range';
  if (m.end !== null && m.end <= m.start) return 'empty-interval';
  return null;
}

/** A mask as a clerk asks for it. */
export interface NewMask {
  readonly kind: MaskKind;
  readonly region?: Region;
  readonly pitch?: number;
  /** Capture time; defaults to now. Earlier means retroactive. */
  readonly start?: number;
  readonly end?: number | null;
}

/**
 * Makes a mask from a clerk's request at `now`, or says why it cannot be: a mask may reach back
 * (retroactive) but never start in the future. An end given with the request is an instant on
 * the published timeline, so it maps to frames exactly.
 */
export function mintMask(input: NewMask, now: number, id: string): { ok: true; mask: Mask } | { ok: false; problem: MaskProblem | 'starts-in-future' } {
  const mask: Mask = {
    id,
    kind: input.kind,
    ...(input.region ? { region: input.region } : {}),
    ...(input.pitch !== undefined ? { pitch: input.pitch } : {}),
    start: input.start ?? now,
    end: input.end ?? null,
    ...(input.end != null ? { exactEnd: true } : {}),
  };
  const problem = maskProblem(mask);
  if (problem) return { ok: false, problem };
  if (mask.start > now) return { ok: false, problem: 'starts-in-future' };
  return { ok: true, mask };
}

/** Whether a mask covers any of [start, end). */
export function maskOverlaps(m: Mask, span: { start: number; end: number }): boolean {
  return m.start < span.end && (m.end === null || span.start < m.end);
}

/** The masks that touch a span, in a stable order. */
export function masksOver(masks: readonly Mask[], span: { start: number; end: number }): Mask[] {
  return masks.filter((m) => maskOverlaps(m, span)).sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * A key for "this span rendered with exactly these masks": a render made for one key proves
 * nothing about another. The key clips each mask to the span, so extending a mask's end beyond
 * the span does not invalidate renders it cannot affect.
 */
export function renderKey(masks: readonly Mask[], span: { start: number; end: number }): string {
  return JSON.stringify(
    masksOver(masks, span).map((m) => [m.id, m.kind, m.region ?? null, m.pitch ?? null, Math.max(m.start, span.start), m.end === null ? span.end : Math.min(m.end, span.end)]),
  );
}

/** Adds a mask; an existing id is replaced (the command layer keeps ids unique). */
export function addMask(masks: readonly Mask[], m: Mask): Mask[] {
  return [...masks.filter((x) => x.id !== m.id), m];
}

/**
 * Lifts an open mask at `at`, and the open piece of one drawn on a camera (named by its first
 * piece's id). A mask that never began is removed; an ended one is unchanged.
 */
export function liftMask(masks: readonly Mask[], id: string, at: number): Mask[] {
  return masks.flatMap((m) => {
    if ((m.id !== id && m.of !== id) || m.end !== null) return [m];
    return at > m.start ? [{ ...m, end: at }] : [];
  });
}
