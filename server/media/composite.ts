import type { Tile } from '../domain/layouts.ts';
import { AUDIO_SAMPLE_RATE, FONT_FILE_PATTERN, SLATE_COLOR, SLATE_TEXT_PATTERN, type InputOptions, type SlateLine } from './args.ts';
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
}

/**
 * A tile's "camera unavailable" card: the slates' colour over the tile and one line of text in
 * its middle. The text and font are checked as a slate's are (nothing that quotes or escapes).
 */
function tileCard(t: Tile, line: SlateLine, width: number, height: number): string {
  if (!SLATE_TEXT_PATTERN.test(line.text)) throw new Error(`card text not allowed: ${line.text}`);
  if (line.fontFile !== undefined && !FONT_FILE_PATTERN.test(line.fontFile)) throw new Error(`font file not allowed: ${line.fontFile}`);
  const [x, y, w, h] = [Math.round(t.x * width), Math.round(t.y * height), even(t.w * width), even(t.h * height)];
  const font = line.fontFile ? `:fontfile=${line.fontFile}` : '';
  return `drawbox=x=${x}:y=${y}:w=${w}:h=${h}:color=${SLATE_COLOR}:t=fill,drawtext=text='${line.text}'${font}:fontcolor=white:fontsize=${Math.max(8, Math.round(h / 10))}:x=${x}+(${w}-text_w)/2:y=${y}+(${h}-text_h)/2`;
}

/** Even pixels, as the encoders want them. */
const even = (x: number): number => Math.max(2, Math.round(x / 2) * 2);

/**
 * The compositor: every camera moved onto the composite's timeline by its offset (each keeps its
 * own timestamps on input), scaled into its tile and laid over a black picture, at a constant
 * frame rate; the named camera's sound moved by the same offset. Where a camera has no frame yet
 * its tile shows what is under it: black, or the "camera unavailable" card when one is given, as
 * it does once a camera's frames end (a camera that is lost). Pure.
 */
export function compositeSpec(o: CompositeOptions): FfmpegSpec {
  const index = new Map(o.cameras.map((c, i) => [c.source, i]));
  const shown = o.tiles.filter((t) => index.has(t.source));
  if (shown.length === 0) throw new Error('a composite needs a camera in a tile');
  const start = o.startSec ? `+${o.startSec.toFixed(6)}/TB` : '';
  const cards = o.unavailable ? o.tiles.map((t) => tileCard(t, o.unavailable!, o.width, o.height)).join(',') : '';
  // The picture under the tiles is drawn once and repeated: drawn afresh for every frame, the
  // cards' boxes and text cost half again what the tiles do (bench/compositor.ts).
  const chains = [`color=c=black:s=${o.width}x${o.height}:r=${o.fps}${cards ? `,${cards}` : ''},trim=end_frame=1,loop=loop=-1:size=1:start=0,setpts=N/(${o.fps}*TB)${start}[k0]`];
  shown.forEach((t, n) => {
    const i = index.get(t.source) as number;
    const cam = o.cameras[i] as CompositeCamera;
    chains.push(`[${i}:v:0]setpts=PTS+${cam.offsetSec.toFixed(6)}/TB,fps=${o.fps},scale=${even(t.w * o.width)}:${even(t.h * o.height)},setsar=1[t${n}]`);
    const out = n === shown.length - 1 ? '[program]' : `[k${n + 1}]`;
    chains.push(`[k${n}][t${n}]overlay=x=${Math.round(t.x * o.width)}:y=${Math.round(t.y * o.height)}:eof_action=pass${out}`);
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
