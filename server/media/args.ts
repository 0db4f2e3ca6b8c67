import { liveAudioChain, liveVideoGraph, type LiveSlotPlan } from './live-slots.ts';
import { GLOBAL_INPUT_FLAGS, type FfmpegSpec } from './spec.ts';
import { timeOverlayFilter, type OverlayStyle } from './time-overlay.ts';

/** A rung as media/ sees it: no config types, just the numbers. */
export interface RungOptions {
  readonly name: string;
  /** Absent for the audio-only rung. */
  readonly height?: number;
  readonly videoKbps?: number;
  readonly audioKbps: number;
}

/** Where the pipeline's FFmpeg reads from. */
export interface InputOptions {
  readonly url: string;
  /** Extra input flags: read timeouts, probe sizes. */
  readonly options: readonly string[];
}

/** Options for the live transcode: the ladder (the master has a recorder process of its own). */
export interface TranscodeOptions {
  readonly input: InputOptions;
  readonly ladder: readonly RungOptions[];
  readonly segmentSeconds: number;
  readonly fps: number;
  /** Directory for one rung's pending segments of this run. */
  readonly pendingDir: (rung: string) => string;
  /** How many entries FFmpeg keeps in its own playlists; we track segments ourselves. */
  readonly playlistEntries?: number;
  /** Live mask slots, switched at run time through loopback zmq ports. */
  readonly liveMasks?: LiveSlotPlan;
  /**
   * Keep the input's timestamps in every rung (-copyts, and no muxer offset), so each frame's
   * PTS is the encoder's own timestamp and maps onto the ingest clock.
   */
  readonly keepTimestamps?: boolean;
  /** The court's time on every video rung, drawn after the masks so no mask hides it. */
  readonly timeOverlay?: { readonly textFile: string; readonly style: OverlayStyle };
}

/** Input flag that keeps input timestamps through the filters and encoders. */
const KEEP_INPUT_TIMESTAMPS = ['-copyts'];
/** Muxer flags that write those timestamps unshifted (mpegts otherwise adds 1.4 s). */
const UNSHIFTED_MPEGTS = ['-hls_ts_options', 'mpegts_copyts=1', '-muxdelay', '0', '-muxpreload', '0'];

/** Audio encoding shared by every rung and every slate, so a slate can replace any segment. */
export const AUDIO_SAMPLE_RATE = 48_000;

/** The output options that cut HLS segments of `segmentSeconds` into `dir`. */
export function hlsOutput(dir: string, segmentSeconds: number, playlistEntries: number): { target: string; options: string[] } {
  return {
    target: `${dir}/index.m3u8`,
    options: [
      '-f', 'hls',
      '-hls_time', String(segmentSeconds),
      '-hls_list_size', String(playlistEntries),
      // temp_file: a segment appears under its name only once complete, so a listed
      // segment is a finished one (FIELD-NOTES: files grow while written).
      '-hls_flags', 'temp_file+independent_segments',
      '-hls_segment_type', 'mpegts',
      '-hls_segment_filename', `${dir}/%06d.ts`,
    ],
  };
}

/**
 * How x264 is driven. `live` (the transcode, slates): veryfast with zerolatency, whose sliced
 * threads hand each frame out at once. `render` (a retroactive mask's re-encode of a finished
 * segment, which must beat the delay): nothing waits on single frames, so x264's frame threads
 * may pipeline; ultrafast with CABAC and the deblocking filter put back, which cost little and
 * keep masked segments close to the live picture's quality at the same bitrate.
 */
export type X264Mode = 'live' | 'render';

const X264_MODE: Readonly<Record<X264Mode, readonly string[]>> = {
  live: ['-preset', 'veryfast', '-tune', 'zerolatency'],
  render: ['-preset', 'ultrafast', '-x264-params', 'cabac=1:deblock=1,0,0'],
};

/** x264 flags for one video rung. GOP = one segment exactly, so every rung cuts on the same frames. */
export function videoEncodeOptions(rung: RungOptions, fps: number, segmentSeconds: number, mode: X264Mode = 'live'): string[] {
  const gop = String(fps * segmentSeconds);
  const kbps = rung.videoKbps ?? 800;
  return [
    '-c:v', 'libx264',
    ...X264_MODE[mode],
    '-profile:v', 'main',
    '-pix_fmt', 'yuv420p',
    '-b:v', `${kbps}k`,
    '-maxrate', `${kbps}k`,
    '-bufsize', `${kbps * 2}k`,
    '-g', gop,
    '-keyint_min', gop,
    '-sc_threshold', '0', // no extra keyframes on scene cuts: they would break alignment
    '-bf', '0', // no B-frames: a re-rendered segment must be a drop-in replacement
    // Counted in frames, not in `t`: with input timestamps kept (-copyts) `t` starts wherever the
    // encoder's clock stood, and a time-based rule would force a keyframe on every early frame.
    '-force_key_frames', `expr:eq(mod(n,${gop}),0)`,
  ];
}

/**
 * AAC flags shared by every rung, every slate and every render. The encoder's first packet is its
 * priming (1024 samples of start-up, stamped one AAC frame before the first real sample); MPEG-TS
 * has no edit list to hide it, so it would air as 21 ms of sound before the picture and stretch the
 * segment (a slate's 2 s would carry 95 AAC frames, the first segment of every transcoder run one
 * more than the rest). Dropped, every segment's sound starts with its picture.
 */
export function audioEncodeOptions(kbps: number): string[] {
  return ['-c:a', 'aac', '-b:a', `${kbps}k`, '-ar', String(AUDIO_SAMPLE_RATE), '-ac', '2', '-bsf:a', 'noise=drop=eq(n\\,0)'];
}

/** Label of a video rung's scaled stream in the filter graph. */
const videoLabel = (i: number): string => `v${i}`;

/** The master output: the ingested streams copied, never filtered, cut into segments. */
function masterOutput(dir: string, segmentSeconds: number, entries: number): { target: string; options: string[] } {
  const out = hlsOutput(dir, segmentSeconds, entries);
  return { target: out.target, options: ['-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', ...out.options] };
}

/**
 * The master recorder on its own: stream copy only (about 0.003 cores), so that a crash of the
 * transcoder never costs master media.
 */
export function masterSpec(o: { input: InputOptions; masterDir: string; segmentSeconds: number; playlistEntries?: number; keepTimestamps?: boolean }): FfmpegSpec {
  const out = masterOutput(o.masterDir, o.segmentSeconds, o.playlistEntries ?? 6);
  // With the encoder's own timestamps kept, each master segment can be dated on the ingest clock.
  const keep = o.keepTimestamps ? KEEP_INPUT_TIMESTAMPS : [];
  return {
    inputs: [{ url: o.input.url, options: [...GLOBAL_INPUT_FLAGS, ...keep, ...o.input.options] }],
    outputs: [o.keepTimestamps ? { target: out.target, options: [...out.options.slice(0, 6), ...UNSHIFTED_MPEGTS, ...out.options.slice(6)] } : out],
  };
}

/**
 * The live transcode: one FFmpeg reading the courtroom from the RTMP ingest and writing every rung
 * of the ladder into private directories.
 */
export function transcodeSpec(o: TranscodeOptions): FfmpegSpec {
  const entries = o.playlistEntries ?? 6;
  const videoRungs = o.ladder.filter((r) => r.height !== undefined);
  const splits = videoRungs.map((_, i) => `[s${i}]`).join('');
  const scales = videoRungs.map((r, i) => `[s${i}]scale=-2:${r.height},setsar=1[${videoLabel(i)}]`);
  // A constant frame rate makes the GOP a fixed number of frames, hence fixed-length segments.
  const head = `[0:v:0]fps=${o.fps}`;
  const split = `split=${videoRungs.length}${splits}`;
  const tail = o.timeOverlay ? `${timeOverlayFilter(o.timeOverlay.textFile, o.timeOverlay.style)},${split}` : split;
  const live = o.liveMasks && o.liveMasks.perKind > 0 ? o.liveMasks : null;
  const video = live ? liveVideoGraph(live, head, tail) : [`${head},${tail}`];
  // With live slots the audio goes through them too, split once per rung; without, each rung
  // maps the input's audio directly.
  const audioLabels = o.ladder.map((_, i) => `[a${i}]`);
  const audio = live ? [liveAudioChain(live, '[0:a:0]anull', `asplit=${o.ladder.length}${audioLabels.join('')}`)] : [];
  const complexFilter = [...video, ...scales, ...audio].join(';');

  const outputs = [
    ...o.ladder.map((rung, ri) => {
      const out = hlsOutput(o.pendingDir(rung.name), o.segmentSeconds, entries);
      const vi = videoRungs.indexOf(rung);
      const video = vi >= 0 ? ['-map', `[${videoLabel(vi)}]`, ...videoEncodeOptions(rung, o.fps, o.segmentSeconds)] : [];
      const unshifted = o.keepTimestamps ? UNSHIFTED_MPEGTS : [];
      return { target: out.target, options: [...video, '-map', live ? audioLabels[ri]! : '0:a:0', ...audioEncodeOptions(rung.audioKbps), ...unshifted, ...out.options] };
    }),
  ];
  const keep = o.keepTimestamps ? KEEP_INPUT_TIMESTAMPS : [];
  return { inputs: [{ url: o.input.url, options: [...GLOBAL_INPUT_FLAGS, ...keep, ...o.input.options] }], complexFilter, outputs };
}

/** Input flags for pulling an RTMP stream from our own ingest server. */
export function rtmpPullInput(url: string, readTimeoutMs: number): InputOptions {
  // A stalled publisher whose socket stays open would hang FFmpeg forever without a read timeout.
  return { url, options: ['-rw_timeout', String(readTimeoutMs * 1000)] };
}

/** Input flags for an SRT listener that a courtroom encoder calls with its key as passphrase. */
export function srtListenInput(o: { host: string; port: number; passphrase: string }): InputOptions {
  const url = `srt://${o.host}:${o.port}?mode=listener&passphrase=${encodeURIComponent(o.passphrase)}&pbkeylen=16`;
  // Default probing delays the first segment by ~6 s; 0.5 s is plenty for H.264 + AAC. Nothing
  // is held back while it probes: the ingest dates media when the relay hands it on, and what the
  // relay held came out in a burst, its first frames dated up to 0.7 s late (a start then could
  // air what came before it).
  return { url, options: ['-analyzeduration', '500000', '-probesize', '500000', '-fflags', 'nobuffer'] };
}

/**
 * A stream-copy relay from an SRT listener into the RTMP ingest, published under the courtroom's
 * key like any RTMP encoder: SRT media then reaches the ingest clock, the master recorder and the
 * transcoder by the same road as RTMP, and copying costs next to nothing, so it never lags.
 * `-progress` into the run directory keeps the run's directory on its command line, which is how
 * a restarted server recognises an orphaned relay (pipeline/recovery.ts).
 */
export function srtGatewaySpec(o: { listen: InputOptions; publishUrl: string; progressFile: string }): FfmpegSpec {
  return {
    inputs: [{ url: o.listen.url, options: [...GLOBAL_INPUT_FLAGS, '-progress', o.progressFile, ...o.listen.options] }],
    outputs: [{ target: o.publishUrl, options: ['-map', '0:v:0', '-map', '0:a:0?', '-c', 'copy', '-f', 'flv', '-flvflags', 'no_duration_filesize'] }],
  };
}

/**
 * Slate text must survive filter-graph quoting: letters (Latin or Han), digits, spaces and light
 * punctuation, Chinese punctuation included. Nothing that quotes, escapes or separates.
 */
export const SLATE_TEXT_PATTERN = /^[\p{Script=Han}A-Za-z0-9 .\-\u3001\u3002\uff0c]{1,60}$/u;

/** A font file handed to drawtext: an absolute path of plain characters (no quoting needed). */
export const FONT_FILE_PATTERN = /^\/[\w./+-]+$/;

/** One line of a slate card, with the font file that has its glyphs (absent: fontconfig's default). */
export interface SlateLine {
  readonly text: string;
  readonly fontFile?: string;
}

/** A slate card: its lines, top to bottom (two for a bilingual court). */
export type SlateCard = readonly SlateLine[];

/** The slates' background colour. */
export const SLATE_COLOR = '0x1b2a3a';

/**
 * The slate's lines, centred as a block, sized to the picture height. Slate segments and the slate
 * parts of spliced segments (a program edge inside a segment) draw it alike, so both look the
 * same. `enable` (a timeline option) limits every line to the frames it covers.
 */
export function slateTextFilter(card: SlateCard, height: number, enable?: string): string {
  if (card.length === 0 || card.length > 3) throw new Error('a slate card has one to three lines');
  const size = Math.round(height / (card.length > 1 ? 14 : 12));
  const step = Math.round(size * 1.6);
  return card
    .map((line, i) => {
      if (!SLATE_TEXT_PATTERN.test(line.text)) throw new Error(`slate text not allowed: ${line.text}`);
      if (line.fontFile !== undefined && !FONT_FILE_PATTERN.test(line.fontFile)) throw new Error(`font file not allowed: ${line.fontFile}`);
      const offset = Math.round((i - (card.length - 1) / 2) * step);
      const y = offset === 0 ? '(h-text_h)/2' : `(h-text_h)/2${offset > 0 ? '+' : ''}${offset}`;
      const font = line.fontFile ? `:fontfile=${line.fontFile}` : '';
      return `drawtext=text='${line.text}'${font}:fontcolor=white:fontsize=${size}:x=(w-text_w)/2:y=${y}${enable ? `:${enable}` : ''}`;
    })
    .join(',');
}

/** Options for rendering one slate segment for one rung. */
export interface SlateOptions {
  readonly rung: RungOptions;
  readonly card: SlateCard;
  readonly seconds: number;
  readonly fps: number;
  readonly outFile: string;
}

/** A still card with centred text and silence, encoded exactly like the rung it stands in for. */
export function slateSpec(o: SlateOptions): FfmpegSpec {
  const duration = String(o.seconds);
  const silence = { url: `anullsrc=r=${AUDIO_SAMPLE_RATE}:cl=stereo`, options: ['-f', 'lavfi', '-t', duration] };
  const common = ['-t', duration, '-f', 'mpegts', '-y'];
  if (o.rung.height === undefined) {
    return {
      inputs: [{ url: silence.url, options: [...GLOBAL_INPUT_FLAGS, ...silence.options] }],
      outputs: [{ target: o.outFile, options: ['-map', '0:a', ...audioEncodeOptions(o.rung.audioKbps), ...common] }],
    };
  }
  const h = o.rung.height;
  const w = Math.round((h * 16) / 9 / 2) * 2;
  const card = `color=c=${SLATE_COLOR}:s=${w}x${h}:r=${o.fps}:d=${duration}`;
  const text = slateTextFilter(o.card, h);
  return {
    inputs: [
      { url: card, options: [...GLOBAL_INPUT_FLAGS, '-f', 'lavfi'] },
      { url: silence.url, options: silence.options },
    ],
    outputs: [
      {
        target: o.outFile,
        options: [
          '-map', '0:v', '-map', '1:a',
          '-vf', text,
          ...videoEncodeOptions(o.rung, o.fps, o.seconds),
          ...audioEncodeOptions(o.rung.audioKbps),
          ...common,
        ],
      },
    ],
  };
}

/**
 * Joins finished TS segments (a concat list file) into one MP4 without re-encoding: the packets
 * are copied as they are, and the index goes first (faststart) so a browser can play or seek the
 * file while it downloads.
 */
export function remuxSpec(o: { listFile: string; output: string; metadata?: Readonly<Record<string, string>> }): FfmpegSpec {
  // Container tags (creation_time and our own capture times) carry when the picture was captured;
  // use_metadata_tags keeps tags MP4 has no atom of its own for.
  const tags = Object.entries(o.metadata ?? {}).flatMap(([k, v]) => ['-metadata', `${k}=${v}`]);
  return {
    inputs: [{ url: o.listFile, options: [...GLOBAL_INPUT_FLAGS, '-f', 'concat', '-safe', '0'] }],
    outputs: [{ target: o.output, options: ['-map', '0:v?', '-map', '0:a?', '-c', 'copy', ...tags, '-movflags', '+faststart+use_metadata_tags', '-f', 'mp4', '-y'] }],
  };
}
