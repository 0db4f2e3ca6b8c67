import { LAYOUTS, layoutCapacity, layoutTiles, type Layout, type Tile } from '../domain/layouts.ts';
import type { Region } from '../domain/masks.ts';
import { AUDIO_SAMPLE_RATE, FONT_FILE_PATTERN, SLATE_COLOR, SLATE_TEXT_PATTERN, type InputOptions, type SlateLine } from './args.ts';
import { zmqBind } from './live-slots.ts';
import { GLOBAL_INPUT_FLAGS, type FfmpegSpec } from './spec.ts';

/** One camera of a composite: where to read it, and how far its timestamps move onto the composite's timeline. */
export interface CompositeCamera {
  readonly source: string;
  readonly input: InputOptions;
  /** Composite timestamp = the camera's own + this (s); see pipeline/composite-clock.ts. */
  readonly offsetSec: number;
}

/** What composing a program picture from several cameras needs. */
export interface CompositeOptions {
  readonly cameras: readonly CompositeCamera[];
  /** Where each shown camera goes (domain/layouts.ts); a camera without a tile is read but not shown. */
  readonly tiles: readonly Tile[];
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /**
   * The camera whose sound the program carries (the court's mixer feed, usually); silence while it
   * is not among the cameras read. Absent: the program has no sound.
   */
  readonly sound?: string;
  /**
   * Where on the composite's timeline the black picture starts (s; 0 by default): no earlier than
   * the first camera frame can land, so the composite does not open with a burst of black frames
   * stamped before any camera had anything.
   */
  readonly startSec?: number;
  /**
   * Drawn under every tile: what the tile shows while its camera is not there (absent when the
   * run started, or gone since: its frames end and the tile passes what is under it).
   */
  readonly unavailable?: SlateLine;
  readonly output: { readonly target: string; readonly options: readonly string[] };
  /**
   * Built to be switched while it runs (see `switchCommands`): the layout it starts with, and the
   * loopback port of its zmq filter. Absent: the tiles are fixed for the run.
   */
  readonly switchable?: { readonly layout: Layout; readonly zmqPort: number };
}

/**
 * A tile's "camera unavailable" card: the slates' colour over the tile and one line of text in
 * its middle. The text and font are checked as a slate's are (nothing that quotes or escapes).
 */
function tileCard(t: Region, line: SlateLine, width: number, height: number): string {
  if (!SLATE_TEXT_PATTERN.test(line.text)) throw new Error(`card text not allowed: ${line.text}`);
  if (line.fontFile !== undefined && !FONT_FILE_PATTERN.test(line.fontFile)) throw new Error(`font file not allowed: ${line.fontFile}`);
  const [x, y, w, h] = [Math.round(t.x * width), Math.round(t.y * height), even(t.w * width), even(t.h * height)];
  const font = line.fontFile ? `:fontfile=${line.fontFile}` : '';
  return `drawbox=x=${x}:y=${y}:w=${w}:h=${h}:color=${SLATE_COLOR}:t=fill,drawtext=text='${line.text}'${font}:fontcolor=white:fontsize=${Math.max(8, Math.round(h / 10))}:x=${x}+(${w}-text_w)/2:y=${y}+(${h}-text_h)/2`;
}

/** Even pixels, as the encoders want them. */
const even = (x: number): number => Math.max(2, Math.round(x / 2) * 2);

/** A picture under the tiles: a layout with so many tiles used, each with its card. */
export interface CompositeBase {
  readonly layout: Layout;
  readonly count: number;
}

/**
 * Every picture a switchable composite may need under its tiles: one per layout and number of
 * tiles used (thirteen). Each is drawn once, so keeping them all costs a frame each at the start
 * and next to nothing after. Pure.
 */
export function compositeBases(): CompositeBase[] {
  return LAYOUTS.flatMap((layout) => Array.from({ length: layoutCapacity(layout) }, (_, k) => ({ layout, count: k + 1 })));
}

/** Which of `bases` lies under `tiles` of `layout`. */
export function baseIndex(bases: readonly CompositeBase[], layout: Layout, tiles: readonly Tile[]): number {
  const i = bases.findIndex((b) => b.layout === layout && b.count === tiles.length);
  if (i < 0) throw new Error(`no picture for ${tiles.length} tiles of ${layout}`);
  return i;
}

/** Where a hidden camera's picture is kept scaled (it is decoded still, so it can be shown at once). */
const HIDDEN = { w: 64, h: 36 };

/** The size and place of a camera's tile in pixels, and whether it is shown. */
interface Placed {
  readonly shown: boolean;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

function placed(source: string, tiles: readonly Tile[], width: number, height: number): Placed {
  const t = tiles.find((x) => x.source === source);
  if (!t) return { shown: false, x: 0, y: 0, ...HIDDEN };
  return { shown: true, x: Math.round(t.x * width), y: Math.round(t.y * height), w: even(t.w * width), h: even(t.h * height) };
}

/**
 * The compositor: every camera moved onto the composite's timeline by its offset (each keeps its
 * own timestamps on input), scaled into its tile and laid over a black picture, at a constant
 * frame rate; the named camera's sound moved by the same offset. Where a camera has no frame yet
 * its tile shows what is under it: black, or the "camera unavailable" card when one is given, as
 * it does once a camera's frames end (a camera that is lost). Pure.
 *
 * With a `switchable` layout, every camera read has its own scale and overlay, named by its place
 * among the inputs (`scale@s0`, `overlay@o0`), shown or not, and the picture under the tiles is
 * chosen among `compositeBases` (`streamselect@base`): `switchCommands` moves to another layout
 * or other cameras through the zmq filter on its port, without a new run.
 */
export function compositeSpec(o: CompositeOptions): FfmpegSpec {
  const index = new Map(o.cameras.map((c, i) => [c.source, i]));
  const shown = o.tiles.filter((t) => index.has(t.source));
  if (shown.length === 0) throw new Error('a composite needs a camera in a tile');
  const start = o.startSec ? `+${o.startSec.toFixed(6)}/TB` : '';
  // The picture under the tiles is drawn once and repeated: drawn afresh for every frame, the
  // cards' boxes and text cost half again what the tiles do (bench/compositor.ts).
  const base = (tiles: readonly Region[], out: string): string => {
    const cards = o.unavailable ? tiles.map((t) => tileCard(t, o.unavailable!, o.width, o.height)).join(',') : '';
    return `color=c=black:s=${o.width}x${o.height}:r=${o.fps}${cards ? `,${cards}` : ''},trim=end_frame=1,loop=loop=-1:size=1:start=0,setpts=N/(${o.fps}*TB)${start}${out}`;
  };
  const chains: string[] = [];
  // Shown cameras are laid in tile order (an inset over its main picture); hidden ones after.
  const order = o.switchable ? [...shown.map((t) => t.source), ...o.cameras.map((c) => c.source).filter((n) => !shown.some((t) => t.source === n))] : shown.map((t) => t.source);
  if (o.switchable) {
    const bases = compositeBases();
    bases.forEach((b, k) => chains.push(base(layoutTiles(b.layout, Array.from({ length: b.count }, (_, i) => String(i))), `[b${k}]`)));
    // The cards lie under every tile the layout names, its camera here or not.
    const picked = baseIndex(bases, o.switchable.layout, o.tiles);
    // The commands come in ahead of the choice among the pictures: the frame that brings them is
    // chosen with them, so the picture changes on the same frame as the tiles (after the choice,
    // it would change a frame later).
    chains.push(`[b0]zmq=${zmqBind(o.switchable.zmqPort)}[z0]`);
    chains.push(`[z0]${bases.slice(1).map((_, k) => `[b${k + 1}]`).join('')}streamselect@base=inputs=${bases.length}:map=${picked}[k0]`);
  } else chains.push(base(o.tiles, '[k0]'));
  order.forEach((name, n) => {
    const i = index.get(name) as number;
    const cam = o.cameras[i] as CompositeCamera;
    const p = placed(name, shown, o.width, o.height);
    const out = n === order.length - 1 ? '[program]' : `[k${n + 1}]`;
    if (!o.switchable) {
      chains.push(`[${i}:v:0]setpts=PTS+${cam.offsetSec.toFixed(6)}/TB,fps=${o.fps},scale=${p.w}:${p.h},setsar=1[t${n}]`);
      chains.push(`[k${n}][t${n}]overlay=x=${p.x}:y=${p.y}:eof_action=pass${out}`);
      return;
    }
    chains.push(`[${i}:v:0]setpts=PTS+${cam.offsetSec.toFixed(6)}/TB,fps=${o.fps},scale@s${i}=w=${p.w}:h=${p.h},setsar=1[t${n}]`);
    chains.push(`[k${n}][t${n}]overlay@o${i}=x=${p.x}:y=${p.y}:eof_action=pass:enable=${p.shown ? 1 : 0}${out}`);
  });
  const sound = o.sound === undefined ? undefined : index.get(o.sound);
  // Silence once the sound's camera is lost, or while it is absent, as long as the picture goes
  // on: readers of the program wait for sound to interleave with the picture, and the audio-only
  // rung would stop.
  if (sound !== undefined) chains.push(`[${sound}:a:0]asetpts=PTS+${(o.cameras[sound] as CompositeCamera).offsetSec.toFixed(6)}/TB,apad[sound]`);
  else if (o.sound !== undefined) chains.push(`anullsrc=r=${AUDIO_SAMPLE_RATE}:cl=stereo${o.startSec ? `,asetpts=PTS+${o.startSec.toFixed(6)}/TB` : ''}[sound]`);
  return {
    inputs: o.cameras.map((c, i) => ({ url: c.input.url, options: [...(i === 0 ? GLOBAL_INPUT_FLAGS : []), ...c.input.options] })),
    complexFilter: chains.join(';'),
    outputs: [{ target: o.output.target, options: ['-map', '[program]', ...(o.sound !== undefined ? ['-map', '[sound]'] : []), ...o.output.options] }],
  };
}

/**
 * Whether a switchable run can move from one arrangement to another by commands: its overlays are
 * stacked in the order the run began with, so where tiles overlap (an inset) the new arrangement
 * must stack them the same way. Pure.
 */
export function switchableInPlace(stack: readonly string[], to: readonly Tile[]): boolean {
  const overlaps = (a: Tile, b: Tile) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  return to.every((a, i) => to.slice(i + 1).every((b) => !overlaps(a, b) || stack.indexOf(a.source) < stack.indexOf(b.source)));
}

/**
 * The commands that take a switchable run (`compositeSpec`) from tiles `from` to tiles `to`, for
 * the cameras it reads in input order: each camera shown is scaled and placed into its new tile,
 * each no longer shown is hidden, and the picture under them is the new one. They go as one batch,
 * which FFmpeg applies between two frames. Pure.
 */
export function switchCommands(o: { readonly cameras: readonly string[]; readonly from: readonly Tile[]; readonly to: readonly Tile[]; readonly base: number; readonly width: number; readonly height: number }): string[] {
  const out = [`streamselect@base map ${o.base}`];
  o.cameras.forEach((name, i) => {
    const [was, now] = [placed(name, o.from, o.width, o.height), placed(name, o.to, o.width, o.height)];
    if (!now.shown) {
      if (was.shown) out.push(`overlay@o${i} enable 0`);
      return;
    }
    if (was.w !== now.w || was.h !== now.h) out.push(`scale@s${i} w ${now.w}`, `scale@s${i} h ${now.h}`);
    if (was.x !== now.x || was.y !== now.y) out.push(`overlay@o${i} x ${now.x}`, `overlay@o${i} y ${now.y}`);
    if (!was.shown) out.push(`overlay@o${i} enable 1`);
  });
  return out;
}
