import { AUDIO_SAMPLE_RATE, audioEncodeOptions, SLATE_COLOR, slateTextFilter, videoEncodeOptions, type RungOptions, type SlateCard } from './args.ts';
import { PIXELATE_ROWS } from './live-slots.ts';
import { GLOBAL_INPUT_FLAGS, type FfmpegSpec } from './spec.ts';
import { isRegionKind, maskPolicy, type MaskKind, type RegionKind, type WholePictureKind } from '../domain/masks.ts';

/**
 * A mask as the renderer sees it: what, where, and when in seconds from the segment's start. A
 * `slate` replaces the whole picture with a slate card (its `card`) and silences the sound: the
 * off-air part of a segment a program edge falls in.
 */
export interface SegmentMask {
  readonly kind: Exclude<MaskKind, WholePictureKind> | 'slate';
  readonly region?: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly pitch?: number;
  readonly card?: SlateCard;
  /** Seconds from the first frame of the segment; `to` may exceed the segment. */
  readonly from: number;
  readonly to: number;
}

const AAC_FRAME_SECONDS = 1024 / AUDIO_SAMPLE_RATE;
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
 * The frames a mask covers, as a timeline expression on absolute timestamps: frame k (at
 * origin + k/fps) is covered when k/fps lies in [from, to). The bounds sit half a frame away
 * from any frame, so timestamp rounding cannot move a frame across them.
 */
export function frameWindow(m: Pick<SegmentMask, 'from' | 'to'>, origin: number, fps: number): string {
  const first = Math.max(0, Math.ceil(m.from * fps - 1e-6));
  const last = Math.ceil(m.to * fps - 1e-6) - 1;
  return `enable='between(t,${(origin + (first - 0.5) / fps).toFixed(6)},${(origin + (last + 0.5) / fps).toFixed(6)})'`;
}

/**
 * The sound a mask covers. A filter switches whole audio frames (1024 samples) by their first
 * sample's time, so the window opens one audio frame early: a frame that starts just before the
 * mask but reaches into it is covered too.
 */
function soundWindow(m: Pick<SegmentMask, 'from' | 'to'>, origin: number): string {
  return `enable='between(t,${(origin + m.from - AAC_FRAME_SECONDS).toFixed(6)},${(origin + m.to).toFixed(6)})'`;
}

/** What a region treatment is given: the region, its frame window, and the labels to chain. */
interface RegionStep {
  readonly region: NonNullable<SegmentMask['region']>;
  readonly enable: string;
  readonly height: number;
  readonly input: string;
  readonly output: string;
  /** Makes this step's internal labels unique in the graph. */
  readonly tag: string;
}

/** Cuts the region out, treats it with `treat` and lays it back over the picture. */
function treatRegion(s: RegionStep, treat: string): string[] {
  const c = regionExpr(s.region, 'iw', 'ih');
  const o = regionExpr(s.region, 'main_w', 'main_h');
  return [`${s.input}split[base${s.tag}][cut${s.tag}]`, `[cut${s.tag}]crop=w=${c.w}:h=${c.h}:x=${c.x}:y=${c.y},${treat}[fx${s.tag}]`, `[base${s.tag}][fx${s.tag}]overlay=x=${o.x}:y=${o.y}:${s.enable}${s.output}`];
}

/**
 * How each region kind is drawn, keyed by every region kind in the domain's table: a region kind
 * without a treatment here does not compile, so no kind can fall through to an untouched copy.
 */
const REGION_TREATMENT: Readonly<Record<RegionKind, (s: RegionStep) => string[]>> = {
  black: (s) => {
    const r = regionExpr(s.region, 'iw', 'ih');
    return [`${s.input}drawbox=x=${r.x}:y=${r.y}:w=${r.w}:h=${r.h}:color=black:t=fill:${s.enable}${s.output}`];
  },
  blur: (s) => treatRegion(s, 'boxblur=luma_radius=min(w\\,h)/4:luma_power=3:chroma_radius=min(cw\\,ch)/4:chroma_power=3'),
  // Pixel blocks are a fixed share of the picture height (as in the live slots), so every rung
  // hides as much as the others.
  pixelate: (s) => {
    const block = Math.max(2, Math.round(s.height / PIXELATE_ROWS));
    return treatRegion(s, `pixelize=w=${block}:h=${block}`);
  },
};

/**
 * The video filter graph (for -vf) that applies every region mask over its time range. Blur and
 * pixelate cut the region out, treat it and lay it back; black paints it. Each step is enabled
 * only between its mask's times (offsets from `origin`, the segment's first timestamp, since the
 * render keeps the original timestamps), so frames outside stay untouched.
 */
export function videoMaskFilter(masks: readonly SegmentMask[], height: number, origin: number, fps: number): string | null {
  const regions = masks.flatMap((m) => (m.kind !== 'slate' && isRegionKind(m.kind) && m.region ? [{ ...m, kind: m.kind, region: m.region }] : []));
  const slates = masks.filter((m) => m.kind === 'slate' && m.card);
  if (regions.length === 0 && slates.length === 0) return null;
  const steps: string[] = ['null[in0]'];
  let label = '[in0]';
  regions.forEach((m, i) => {
    steps.push(...REGION_TREATMENT[m.kind]({ region: m.region, enable: frameWindow(m, origin, fps), height, input: label, output: `[in${i + 1}]`, tag: String(i) }));
    label = `[in${i + 1}]`;
  });
  // Slate cards go over everything: the frames they cover are off the air.
  slates.forEach((m, i) => {
    const enable = frameWindow(m, origin, fps);
    const out = `[sl${i}]`;
    steps.push(`${label}drawbox=x=0:y=0:w=iw:h=ih:color=${SLATE_COLOR}:t=fill:${enable},${slateTextFilter(m.card!, height, enable)}${out}`);
    label = out;
  });
  // -vf takes one chain with internal labels; the last label is the output.
  return `${steps.join(';')};${label}null`;
}

/** What a segment mask does to the sound: a slate silences it; a mask kind says in its policy. */
const soundOf = (m: SegmentMask): 'none' | 'silence' | 'pitch' => (m.kind === 'slate' ? 'silence' : maskPolicy(m.kind).sound);

/** Whether a segment mask changes the picture. */
const hidesPicture = (m: SegmentMask): boolean => m.kind === 'slate' || maskPolicy(m.kind).picture !== 'none';

/**
 * The audio filter (for -af): mute silences its range; voice distortion shifts the pitch of the
 * whole segment it touches (the pitch shifter has no timeline), which can only over-mask.
 * rubberband keeps timestamps (asetrate would rescale them) and compensates its own latency.
 */
export function audioMaskFilter(masks: readonly SegmentMask[], origin: number, audioEnd: number): string | null {
  const parts: string[] = [];
  const voice = masks.find((m) => soundOf(m) === 'pitch' && m.pitch);
  // The shifter holds back its last ~60 ms at the end of input: feed it silence past the end and
  // trim back to the original's end, so the segment's sound neither stops short nor runs over.
  if (voice?.pitch) parts.push('apad=pad_dur=0.5', `rubberband=pitch=${voice.pitch.toFixed(4)}`, `atrim=end=${audioEnd.toFixed(6)}`);
  for (const m of masks.filter((x) => soundOf(x) === 'silence')) parts.push(`volume=0:${soundWindow(m, origin)}`);
  return parts.length > 0 ? parts.join(',') : null;
}

/** One rung of a segment to re-render. */
export interface RenderRung {
  readonly rung: RungOptions;
  readonly input: string;
  readonly output: string;
  /** The input's first timestamp in seconds (video for video rungs), from which masks count. */
  readonly origin: number;
  /** Where the input's sound ends, in the same timestamps. */
  readonly audioEnd: number;
}

/** Options for re-rendering every rung of one segment with masks. */
export interface MaskRenderOptions {
  readonly rungs: readonly RenderRung[];
  readonly masks: readonly SegmentMask[];
  readonly fps: number;
  readonly segmentSeconds: number;
}

/** The time base of MPEG-TS, in which renders keep every original timestamp. */
const TS_TIME_BASE = '1/90000';

/**
 * Re-renders every rung of one pending segment with its masks, in one FFmpeg (one start-up, not
 * one per rung), as a drop-in replacement (FIELD-NOTES): original timestamps kept (-copyts, no
 * mux delay, no B-frames), the AAC encoder's priming packet dropped so the audio neither overlaps
 * the segment before nor shifts, and a stream no mask touches copied, not re-encoded. The caller
 * then rewrites the continuity counters.
 *
 * Every video rung that shares the top rung's timestamps is made from the top rung's picture,
 * decoded and masked once in one filter graph, then split and scaled down (as the live transcode
 * scales after its slots): the same mask geometry on every rung, at a third of the filtering of
 * one mask chain per rung. The encoders are given the TS time base explicitly, since a graph's
 * outputs have no input stream to take it from. A rung cut at other timestamps (none in a ladder
 * from one transcode) is masked from its own picture with a per-output filter.
 */
export function maskRenderSpec(o: MaskRenderOptions): FfmpegSpec {
  const top = o.rungs.reduce<number>((best, r, i) => ((r.rung.height ?? -1) > (o.rungs[best]?.rung.height ?? -1) ? i : best), 0);
  const topRung = o.rungs[top]!;
  const fromTop = (r: RenderRung): boolean => r.rung.height !== undefined && topRung.rung.height !== undefined && Math.abs(r.origin - topRung.origin) < 0.0005;
  const topMasks = topRung.rung.height !== undefined ? videoMaskFilter(o.masks, topRung.rung.height, topRung.origin, o.fps) : null;
  const shared = topMasks ? o.rungs.flatMap((r, i) => (fromTop(r) ? [i] : [])) : [];
  const graph = topMasks && shared.length > 0
    ? [
        `[${top}:v:0]${topMasks},split=${shared.length}${shared.map((i) => `[s${i}]`).join('')}`,
        ...shared.filter((i) => i !== top).map((i) => `[s${i}]scale=-2:${o.rungs[i]!.rung.height},setsar=1[v${i}]`),
      ].join(';')
    : undefined;
  const graphOutput = (i: number): string => (i === top ? `[s${i}]` : `[v${i}]`);
  return {
    inputs: o.rungs.map((r, i) => ({ url: r.input, options: i === 0 ? [...GLOBAL_INPUT_FLAGS, '-copyts'] : [] })),
    ...(graph ? { complexFilter: graph } : {}),
    outputs: o.rungs.map((r, i) => {
      const inGraph = shared.includes(i);
      const own = r.rung.height !== undefined && !inGraph ? videoMaskFilter(o.masks, r.rung.height, r.origin, o.fps) : null;
      // An untouched copy of a segment a mask must hide would air as "masked": refuse to make one.
      if (r.rung.height !== undefined && !inGraph && !own && o.masks.some(hidesPicture)) throw new Error(`no picture filter for the masks of rung ${r.rung.name}: refusing an untouched copy`);
      const encode = (source: string[], timeBase: string) => [...source, '-fps_mode', 'passthrough', '-enc_time_base:v', timeBase, ...videoEncodeOptions(r.rung, o.fps, o.segmentSeconds, 'render')];
      const video = r.rung.height === undefined
        ? []
        : inGraph
          ? encode(['-map', graphOutput(i)], TS_TIME_BASE)
          : own
            ? encode(['-map', `${i}:v:0`, '-vf', own], '-1')
            : ['-map', `${i}:v:0`, '-c:v', 'copy'];
      const af = audioMaskFilter(o.masks, r.origin, r.audioEnd);
      if (!af && o.masks.some((m) => soundOf(m) !== 'none')) throw new Error(`no sound filter for the masks of rung ${r.rung.name}: refusing an untouched copy`);
      const audio = af ? ['-map', `${i}:a:0`, '-af', af, ...audioEncodeOptions(r.rung.audioKbps)] : ['-map', `${i}:a:0`, '-c:a', 'copy'];
      return {
        target: r.output,
        options: [...video, ...audio, '-f', 'mpegts', '-mpegts_copyts', '1', '-muxdelay', '0', '-muxpreload', '0', '-pat_period', '3600', '-sdt_period', '3600', '-y'],
      };
    }),
  };
}
