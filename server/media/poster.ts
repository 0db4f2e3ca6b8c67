import { SLATE_COLOR } from './args.ts';
import { GLOBAL_INPUT_FLAGS, type FfmpegSpec } from './spec.ts';

/** A poster's size: 16:9, as large as social sites show a link's picture. */
export const POSTER = { width: 1280, height: 720 } as const;

/** A file a filter option names: an absolute path of plain characters, so it needs no quoting. */
const PLAIN_PATH = /^\/[\w./+-]+$/;

function plain(file: string, what: string): string {
  if (!PLAIN_PATH.test(file)) throw new Error(`${what} not allowed: ${file}`);
  return file;
}

/**
 * One picture of an MPEG-TS segment, `at` seconds past its first, scaled into the poster's size
 * (letterboxed if the segment is not 16:9), as JPEG.
 */
export function frameSpec(o: { readonly segmentFile: string; readonly at: number; readonly outFile: string }): FfmpegSpec {
  const { width: w, height: h } = POSTER;
  return {
    inputs: [{ url: o.segmentFile, options: [...GLOBAL_INPUT_FLAGS] }],
    outputs: [
      {
        target: o.outFile,
        // Seeking after decoding: a segment's timestamps do not start at zero, and it is short.
        options: ['-map', '0:v:0', '-ss', o.at.toFixed(3), '-frames:v', '1', '-vf', `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2`, '-q:v', '3', '-f', 'image2', '-y'],
      },
    ],
  };
}

/** One line of a poster card: its text is read from a file, so no title can break the filter graph. */
export interface CardLine {
  readonly textFile: string;
  /** Its size as a share of the picture's height. */
  readonly size: number;
  readonly fontFile?: string;
}

/**
 * A card for a hearing with no picture to show (scheduled, not broadcast, no replay): its lines
 * centred as a block on the slates' colour, as JPEG. drawtext reads each text from its file with
 * expansion off, so `%{…}` in a title is printed, not run.
 */
export function cardSpec(o: { readonly lines: readonly CardLine[]; readonly outFile: string }): FfmpegSpec {
  const { width: w, height: h } = POSTER;
  const heights = o.lines.map((l) => Math.round(h * l.size * 1.5));
  const total = heights.reduce((a, b) => a + b, 0);
  let top = Math.round((h - total) / 2);
  const draw = o.lines.map((l, i) => {
    const y = top;
    top += heights[i]!;
    const font = l.fontFile ? `:fontfile=${plain(l.fontFile, 'font file')}` : '';
    return `drawtext=textfile=${plain(l.textFile, 'text file')}:expansion=none${font}:fontcolor=white:fontsize=${Math.round(h * l.size)}:x=(w-text_w)/2:y=${y}`;
  });
  return {
    inputs: [{ url: `color=c=${SLATE_COLOR}:s=${w}x${h}:d=1`, options: [...GLOBAL_INPUT_FLAGS, '-f', 'lavfi'] }],
    outputs: [{ target: o.outFile, options: ['-vf', draw.join(','), '-frames:v', '1', '-q:v', '3', '-f', 'image2', '-y'] }],
  };
}

/** How wide a text is drawn, in Latin letters: Han and other full-width characters count double. */
const widthOf = (s: string): number => [...s].reduce((n, ch) => n + (/[\u1100-\u11ff\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1), 0);

/** As much of a text as fits `units` with an ellipsis after it. */
function ellipsize(s: string, units: number): string {
  let out = '';
  for (const ch of s) {
    if (widthOf(`${out}${ch}…`) > units) break;
    out += ch;
  }
  return `${out.trimEnd()}…`;
}

/** A text cut to `units`, with an ellipsis when something was left out. */
const clip = (s: string, units: number): string => (widthOf(s) <= units ? s : ellipsize(s, units));

/**
 * A text broken into at most `maxLines` lines that fit a poster's width (`maxUnits` as widthOf
 * counts): at spaces where it has them, else between characters (Chinese has none); what does not
 * fit ends in an ellipsis.
 */
export function fitLines(text: string, maxUnits: number, maxLines: number): string[] {
  const trimmed = text.trim();
  const spaced = /\s/.test(trimmed);
  const tokens = spaced ? trimmed.split(/\s+/) : [...trimmed];
  const join = (a: string, b: string): string => (a === '' ? b : spaced ? `${a} ${b}` : a + b);
  const lines = [''];
  let next = 0;
  for (; next < tokens.length; next++) {
    const last = lines.length - 1;
    const longer = join(lines[last]!, tokens[next]!);
    if (lines[last] === '' || widthOf(longer) <= maxUnits) {
      lines[last] = longer;
      continue;
    }
    if (lines.length === maxLines) break;
    lines.push(tokens[next]!);
  }
  if (next < tokens.length) {
    // Words are dropped whole from the end until the ellipsis fits; characters, one at a time.
    let last = lines[lines.length - 1]!;
    while (spaced && last.includes(' ') && widthOf(`${last}…`) > maxUnits) last = last.slice(0, last.lastIndexOf(' '));
    lines[lines.length - 1] = ellipsize(`${last} `, maxUnits);
  }
  return lines.map((l) => clip(l, maxUnits));
}
