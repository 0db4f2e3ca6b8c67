import type { MaskKind } from '../domain/masks.ts';

/**
 * Live mask slots: filters declared disabled in the transcoder and switched at run time through
 * FFmpeg's `zmq` (video) and `azmq` (audio) filters. Pure builders of the filter graph and of the
 * command strings; the pipeline owns the sockets and the proof.
 *
 * Every slot sits on the source, before the ladder splits, so all rungs carry the same mask and
 * the master (recorded elsewhere) never does. Recipes from FIELD-NOTES: a resizable blur slot is
 * a cheap full-frame blur, then a crop that may change size, then an overlay that may move; a crop
 * must never feed a blur directly, or resizing it garbles the output.
 */

/**
 * The mask kinds a slot can carry. The no-broadcast card is a slate, never a slot. Voice has no
 * slot: a segment the switch falls in is re-rendered from the pending rendition, and a second
 * pitch shift on top of a live one would not be the ratio asked for, whereas the other kinds
 * (black, blur, pixelate, mute) survive being applied twice.
 */
export const SLOT_KINDS = ['black', 'blur', 'pixelate', 'mute'] as const;
/** A kind of live slot. */
export type SlotKind = (typeof SLOT_KINDS)[number];

/**
 * The live slot each mask kind uses, or null when it has none and every segment it touches is
 * re-rendered (or carded). Keyed by every kind, so a new kind must say.
 */
const LIVE_SLOT: Readonly<Record<MaskKind, SlotKind | null>> = { black: 'black', blur: 'blur', pixelate: 'pixelate', mute: 'mute', voice: null, card: null };

/** The live slot a mask kind uses, if any. */
export const liveSlotOf = (kind: MaskKind): SlotKind | null => LIVE_SLOT[kind];

/** Where the slots are: one loopback port per filter, and how many slots of each kind. */
export interface LiveSlotPlan {
  readonly videoPort: number;
  readonly audioPort: number;
  /** Slots per kind. */
  readonly perKind: number;
}

/** A region in normalised picture coordinates. */
export interface SlotRegion {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

/** Whether a slot kind lives on the audio filter. */
export const isAudioSlot = (kind: SlotKind): boolean => kind === 'mute';

/** Pixelation blocks are 1/PIXELATE_ROWS of the picture height, live and in re-renders alike. */
export const PIXELATE_ROWS = 16;
/** Rows of the downscaled picture the live blur works from. */
const BLUR_ROWS = 24;

/** The filter instance names of slot `i` of a kind; the last one carries `enable`. */
export function slotFilters(kind: SlotKind, i: number): { crop?: string; main: string } {
  switch (kind) {
    case 'black':
      return { main: `drawbox@kb${i}` };
    case 'blur':
      return { crop: `crop@bc${i}`, main: `overlay@bo${i}` };
    case 'pixelate':
      return { crop: `crop@pc${i}`, main: `overlay@po${i}` };
    case 'mute':
      return { main: `volume@mu${i}` };
  }
}

// Both the option parser and the filter-graph parser unescape once, hence the double escapes.
/** The zmq filter's option binding a loopback port. */
export const zmqBind = (port: number): string => `bind_address=tcp\\\\://127.0.0.1\\\\:${port}`;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * The video part of the transcoder's filter graph: `head` (the decoded, frame-rate-fixed source
 * chain) through every slot into `tail` (the chain that splits the ladder). Black boxes come last,
 * so a black mask wins over a blur or pixelate drawn on the same place.
 */
export function liveVideoGraph(plan: LiveSlotPlan, head: string, tail: string): string[] {
  const n = plan.perKind;
  const boxes = range(n).map((i) => `${slotFilters('black', i).main}=x=0:y=0:w=2:h=2:color=black:t=fill:enable=0`);
  const statements = [`${head},zmq=${zmqBind(plan.videoPort)},split=3[lm0][lb][lp]`];
  // The treated pictures are scaled back onto the source's exact size (scale2ref), so a crop
  // and its overlay use the same pixel grid.
  statements.push(`[lb]scale=w=-2:h=${BLUR_ROWS}:flags=area,boxblur=2:1[lbs]`, `[lbs][lm0]scale2ref=w=iw:h=ih:flags=bicubic[lbf][lm1]`);
  statements.push(`[lp]scale=w=-2:h=${PIXELATE_ROWS}:flags=area[lps]`, `[lps][lm1]scale2ref=w=iw:h=ih:flags=neighbor[lpf][lm2]`);
  let main = '[lm2]';
  let step = 0;
  for (const [kind, src] of [['blur', '[lbf]'], ['pixelate', '[lpf]']] as const) {
    const outs = range(n).map((i) => `[${kind}c${i}]`);
    statements.push(`${src}split=${n}${outs.join('')}`);
    for (const i of range(n)) {
      const f = slotFilters(kind, i);
      statements.push(`${outs[i]}${f.crop}=w=2:h=2:x=0:y=0[${kind}o${i}]`);
      const next = `[lt${++step}]`;
      statements.push(`${main}[${kind}o${i}]${f.main}=x=0:y=0:enable=0${next}`);
      main = next;
    }
  }
  statements.push(`${main}${[...boxes, tail].join(',')}`);
  return statements;
}

/** The audio chain of the transcoder: `head` through the mute slots into `tail`. */
export function liveAudioChain(plan: LiveSlotPlan, head: string, tail: string): string {
  const mutes = range(plan.perKind).map((i) => `${slotFilters('mute', i).main}=volume=0:enable=0`);
  return [head, `azmq=${zmqBind(plan.audioPort)}`, ...mutes, tail].join(',');
}

const frac = (v: number): string => Math.min(1, Math.max(0, v)).toFixed(4);
const even = (dim: string, f: number): string => `trunc(${dim}*${frac(f)}/2)*2`;

/**
 * Where a slot is on, in media time (FFmpeg's `t`, seconds): from `from` until before `to`. With
 * input timestamps kept, media time is the encoder's clock, so a slot switched on with a window
 * acts on exactly the frames stamped inside it, whenever the transcoder gets to them.
 */
export interface SlotWindow {
  readonly from: number;
  readonly to: number;
}

/** The `enable` expression of a window, or `1` (on for every frame processed from now on). */
export function enableExpression(window: SlotWindow | null): string {
  if (window === null) return '1';
  const from = `gte(t,${window.from.toFixed(4)})`;
  return Number.isFinite(window.to) ? `${from}*lt(t,${window.to.toFixed(4)})` : from;
}

/**
 * The commands that switch slot `i` on for a mask, in order; geometry first, `enable` last, so
 * that, sent as one batch, the slot appears fully placed on a single frame.
 */
export function slotOnCommands(kind: SlotKind, i: number, mask: { region?: SlotRegion }, window: SlotWindow | null = null): string[] {
  const f = slotFilters(kind, i);
  const r = mask.region;
  const enable = `${f.main} enable ${enableExpression(window)}`;
  switch (kind) {
    case 'black':
      if (!r) throw new Error('a black slot needs a region');
      return [...[`w max(2\\,${even('iw', r.w)})`, `h max(2\\,${even('ih', r.h)})`, `x ${even('iw', r.x)}`, `y ${even('ih', r.y)}`].map((c) => `${f.main} ${c}`), enable];
    case 'blur':
    case 'pixelate':
      if (!r) throw new Error(`a ${kind} slot needs a region`);
      return [
        `${f.crop} w max(2\\,${even('iw', r.w)})`,
        `${f.crop} h max(2\\,${even('ih', r.h)})`,
        `${f.crop} x ${even('iw', r.x)}`,
        `${f.crop} y ${even('ih', r.y)}`,
        `${f.main} x ${even('main_w', r.x)}`,
        `${f.main} y ${even('main_h', r.y)}`,
        enable,
      ];
    case 'mute':
      return [enable];
  }
}

/** The command that narrows a windowed slot to end at `window.to` (a lift on the capture clock). */
export function slotWindowCommand(kind: SlotKind, i: number, window: SlotWindow): string {
  return `${slotFilters(kind, i).main} enable ${enableExpression(window)}`;
}

/** The command that switches slot `i` off (back to its declared, neutral state). */
export function slotOffCommand(kind: SlotKind, i: number): string {
  return `${slotFilters(kind, i).main} enable 0`;
}
