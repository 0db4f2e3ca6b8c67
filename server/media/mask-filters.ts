import { AUDIO_SAMPLE_RATE, audioEncodeOptions, videoEncodeOptions, type RungOptions } from './args.ts';
import { PIXELATE_ROWS } from './live-slots.ts';
import { GLOBAL_INPUT_FLAGS, type FfmpegSpec } from './spec.ts';

/** A mask as the renderer sees it: what, where, and when in seconds from the segment's start. */
export interface SegmentMask {
  readonly kind: 'black' | 'blur' | 'pixelate' | 'mute' | 'voice';
  readonly region?: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly pitch?: number;
  /** Seconds from the first frame of the segment; `to` may exceed the segment. */
  readonly from: number;
  readonly to: number;
}

const secs = (v: number): string => Math.max(0, v).toFixed(3);
const frac = (v: number): string => Math.min(1, Math.max(0, v)).toFixed(4);

/**
 * A region as FFmpeg expressions of the picture's own size (so it holds on any rung), on even
 * pixels for 4:2:0 chroma. `W`/`H` name the picture's width and height in the filter at hand.
 */
export function regionExpr(r: NonNullable<SegmentMask['region']>, W: string, H: string): { x: string; y: string; w: string; h: string } {
  const e = (f: number, dim: string) => `trunc(${dim}*${frac(f)}/2)*2`;
  return { x: e(r.x, W), y: e(r.y, H), w: `max(2\\,${e(r.w, W)})`, h: `max(2\\,${e(r.h, H)})` };
}

/**
 * The video filter graph (for -vf) that applies every region mask over its time range. Blur and
 * pixelate cut the region out, treat it and lay it back; black paints it. Each step is enabled
 * only between its mask's times, so frames outside stay untouched.
 */
export function videoMaskFilter(masks: readonly SegmentMask[], height: number): string | null {
  const regions = masks.filter((m) => m.region && (m.kind === 'black' || m.kind === 'blur' || m.kind === 'pixelate'));
  if (regions.length === 0) return null;
  const steps: string[] = [];
  let label = '[in0]';
  // Mask times are from the segment's first frame; a pending segment's own timestamps are not.
  steps.push(`setpts=PTS-STARTPTS${label}`);
  regions.forEach((m, i) => {
    const enable = `enable='between(t,${secs(m.from)},${secs(m.to)})'`;
    const out = `[in${i + 1}]`;
    if (m.kind === 'black') {
      const r = regionExpr(m.region!, 'iw', 'ih');
      steps.push(`${label}drawbox=x=${r.x}:y=${r.y}:w=${r.w}:h=${r.h}:color=black:t=fill:${enable}${out}`);
    } else {
      const c = regionExpr(m.region!, 'iw', 'ih');
      const o = regionExpr(m.region!, 'main_w', 'main_h');
      // Strong enough that detail inside the region is gone at every rung size.
      // Pixel blocks are a fixed share of the picture height (as in the live slots), so every rung
      // hides as much as the others.
      const block = Math.max(2, Math.round(height / PIXELATE_ROWS));
      const treat = m.kind === 'blur' ? 'boxblur=luma_radius=min(w\\,h)/4:luma_power=3:chroma_radius=min(cw\\,ch)/4:chroma_power=3' : `pixelize=w=${block}:h=${block}`;
      steps.push(`${label}split[base${i}][cut${i}]`, `[cut${i}]crop=w=${c.w}:h=${c.h}:x=${c.x}:y=${c.y},${treat}[fx${i}]`, `[base${i}][fx${i}]overlay=x=${o.x}:y=${o.y}:${enable}${out}`);
    }
    label = out;
  });
  // -vf takes one chain with internal labels; the last label is the output.
  return `${steps.join(';')};${label}null`;
}

/**
 * The audio filter (for -af): mute silences its range; voice distortion shifts the pitch of the
 * whole segment it touches (pitch filters have no timeline), which can only over-mask.
 */
export function audioMaskFilter(masks: readonly SegmentMask[]): string | null {
  const parts: string[] = ['asetpts=PTS-STARTPTS'];
  const voice = masks.find((m) => m.kind === 'voice' && m.pitch);
  if (voice?.pitch) {
    const p = voice.pitch;
    parts.push(`asetrate=${Math.round(AUDIO_SAMPLE_RATE * p)}`, `aresample=${AUDIO_SAMPLE_RATE}`, `atempo=${(1 / p).toFixed(6)}`);
  }
  for (const m of masks.filter((x) => x.kind === 'mute')) parts.push(`volume=0:enable='between(t,${secs(m.from)},${secs(m.to)})'`);
  return parts.length > 1 ? parts.join(',') : null;
}

/** Options for re-rendering one rung of one segment with masks. */
export interface MaskRenderOptions {
  readonly rung: RungOptions;
  readonly input: string;
  readonly output: string;
  readonly masks: readonly SegmentMask[];
  readonly fps: number;
  readonly segmentSeconds: number;
}

/**
 * Re-encodes one pending segment of one rung with its masks, with the rung's own encoding so the
 * result plays wherever the original would (a discontinuity marks it in the playlist).
 */
export function maskRenderSpec(o: MaskRenderOptions): FfmpegSpec {
  const video = o.rung.height !== undefined;
  const vf = o.rung.height !== undefined ? videoMaskFilter(o.masks, o.rung.height) : null;
  const af = audioMaskFilter(o.masks);
  return {
    inputs: [{ url: o.input, options: [...GLOBAL_INPUT_FLAGS] }],
    outputs: [
      {
        target: o.output,
        options: [
          ...(video ? ['-map', '0:v:0', ...(vf ? ['-vf', vf] : []), ...videoEncodeOptions(o.rung, o.fps, o.segmentSeconds)] : []),
          '-map', '0:a:0',
          ...(af ? ['-af', af] : []),
          ...audioEncodeOptions(o.rung.audioKbps),
          '-f', 'mpegts', '-y',
        ],
      },
    ],
  };
}
