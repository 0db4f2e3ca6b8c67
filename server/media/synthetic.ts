import { GLOBAL_INPUT_FLAGS, specToArgs, type FfmpegSpec } from './spec.ts';

/**
 * The synthetic courtroom encoder: a test pattern with a burned-in wall clock, a tone, and a
 * frame counter drawn as 24 black/white blocks along the top so tests can read back exactly which
 * captured frames aired, from decoded pixels, after any rung's scaling.
 */
export const COUNTER_BITS = 24;

/** Geometry of the counter strip, in pixels of a 640x360 picture (scaled for other sizes). */
export const COUNTER_LAYOUT = { refWidth: 640, refHeight: 360, stripHeight: 40, x0: 8, y0: 8, pitch: 26, size: 24 } as const;

/** Options for the synthetic encoder. */
export interface SyntheticEncoderOptions {
  /** Push target: rtmp://…/live/KEY or srt://…?passphrase=KEY. */
  readonly target: string;
  readonly format: 'flv' | 'mpegts';
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Added to FFmpeg's frame number, so a restarted encoder continues the count. */
  readonly frameOffset: number;
  readonly toneHz: number;
  /**
   * `tone`: a steady tone at `toneHz`. `timecode`: sound that says when it was made (see
   * `timecodeSoundExpr`), continuing from `frameOffset` like the counter, so a test can tell the
   * capture time of any 25 ms of sound it hears.
   */
  readonly sound?: 'tone' | 'timecode';
  readonly caption: string;
}

/**
 * The sound time code: two tones that change every `SLOT_SECONDS`. In slot k (k = floor(10 T), T
 * the encoder's time in seconds since its epoch) the fine tone is at `fineHz + stepHz (k mod 40)`
 * and the coarse one at `coarseHz + stepHz (floor(k / 40) mod 64)`, so 25 ms of sound names its
 * slot within 256 s, and where the slot changes names the instant. stepHz is the reciprocal of
 * 25 ms: over a 25 ms window the candidate tones are orthogonal.
 */
export const TIMECODE = { slotSeconds: 0.1, fineHz: 600, coarseHz: 3000, stepHz: 40, fineValues: 40, coarseValues: 64 } as const;

/** The aevalsrc expression of the time code, for an encoder whose time starts at `offsetSeconds`. */
export function timecodeSoundExpr(offsetSeconds: number): string {
  const T = `(t+${offsetSeconds.toFixed(6)})`;
  const k = `floor(${T}/${TIMECODE.slotSeconds})`;
  const fine = `(${TIMECODE.fineHz}+${TIMECODE.stepHz}*mod(${k},${TIMECODE.fineValues}))`;
  const coarse = `(${TIMECODE.coarseHz}+${TIMECODE.stepHz}*mod(floor(${k}/${TIMECODE.fineValues}),${TIMECODE.coarseValues}))`;
  return `0.3*sin(2*PI*${fine}*t)+0.3*sin(2*PI*${coarse}*t)`;
}

/** The drawbox filters that paint the counter; bit k is white when (n + offset) has bit k set. */
export function counterFilters(width: number, height: number, frameOffset: number): string[] {
  const sx = width / COUNTER_LAYOUT.refWidth;
  const sy = height / COUNTER_LAYOUT.refHeight;
  const px = (v: number, s: number): number => Math.round(v * s);
  const strip = `drawbox=x=0:y=0:w=iw:h=${px(COUNTER_LAYOUT.stripHeight, sy)}:color=black:t=fill`;
  const bits = Array.from({ length: COUNTER_BITS }, (_, k) => {
    const x = px(COUNTER_LAYOUT.x0 + k * COUNTER_LAYOUT.pitch, sx);
    const mod = 2 ** (k + 1);
    return (
      `drawbox=x=${x}:y=${px(COUNTER_LAYOUT.y0, sy)}:w=${px(COUNTER_LAYOUT.size, sx)}:h=${px(COUNTER_LAYOUT.size, sy)}` +
      `:color=white:t=fill:enable='gte(mod(n+${frameOffset},${mod}),${2 ** k})'`
    );
  });
  return [strip, ...bits];
}

/** Reads the counter from a grey 640x360 frame (one byte a pixel). */
export function readCounter(gray: Uint8Array, width = COUNTER_LAYOUT.refWidth): number {
  let value = 0;
  for (let k = 0; k < COUNTER_BITS; k++) {
    const cx = COUNTER_LAYOUT.x0 + k * COUNTER_LAYOUT.pitch + COUNTER_LAYOUT.size / 2;
    const cy = COUNTER_LAYOUT.y0 + COUNTER_LAYOUT.size / 2;
    let sum = 0;
    for (let dy = -3; dy <= 3; dy++) for (let dx = -3; dx <= 3; dx++) sum += gray[(cy + dy) * width + cx + dx] ?? 0;
    if (sum / 49 > 128) value += 2 ** k;
  }
  return value;
}

/** The FFmpeg command of the synthetic encoder. */
export function syntheticEncoderSpec(o: SyntheticEncoderOptions): FfmpegSpec {
  const gop = String(o.fps * 2);
  return {
    inputs: syntheticInputs(o),
    outputs: [
      {
        target: o.target,
        options: [
          '-map', '0:v', '-map', '1:a',
          '-vf', syntheticPicture(o),
          '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
          '-g', gop, '-b:v', '1200k',
          '-c:a', 'aac', '-b:a', '96k', '-ar', '48000', '-ac', '2',
          '-f', o.format,
        ],
      },
    ],
  };
}

/** The pattern and the sound, paced in real time, as inputs 0 (picture) and 1 (sound). */
function syntheticInputs(o: Omit<SyntheticEncoderOptions, 'target' | 'format'>): FfmpegSpec['inputs'] {
  return [
    // -re paces the synthetic source in real time, as a camera would.
    { url: `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`, options: [...GLOBAL_INPUT_FLAGS, '-re', '-f', 'lavfi'] },
    {
      url: o.sound === 'timecode' ? `aevalsrc=exprs='${timecodeSoundExpr(o.frameOffset / o.fps)}':s=48000` : `sine=frequency=${o.toneHz}:sample_rate=48000`,
      options: ['-re', '-f', 'lavfi'],
    },
  ];
}

/** The counter strip and the burned-in clock. */
function syntheticPicture(o: Omit<SyntheticEncoderOptions, 'target' | 'format'>): string {
  const clock = `drawtext=text='${o.caption}  %{localtime}':fontcolor=white:fontsize=${Math.round(o.height / 16)}:x=10:y=h-th-10:box=1:boxcolor=black@0.6`;
  return [...counterFilters(o.width, o.height, o.frameOffset), clock].join(',');
}

/**
 * The synthetic courtroom as a WebRTC publisher's encoder sends it (OBS's WHIP output, a browser):
 * constrained-baseline H.264 and Opus, each as plain RTP to a local port, in packets small enough
 * for SRTP in one datagram. FFmpeg cannot answer a keyframe request, so its GOP is short.
 */
export function syntheticRtpSpec(o: Omit<SyntheticEncoderOptions, 'target' | 'format'> & { readonly gopFrames: number; readonly videoCodec?: 'H264' | 'VP8' }, ports: { readonly video: number; readonly audio: number }): FfmpegSpec {
  // VP8 as a browser without H.264 sends it: real-time, error resilient.
  const picture = o.videoCodec === 'VP8'
    ? ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-error-resilient', '1', '-auto-alt-ref', '0', '-lag-in-frames', '0']
    : ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline'];
  return {
    inputs: syntheticInputs(o),
    outputs: [
      {
        target: `rtp://127.0.0.1:${ports.video}?pkt_size=1200`,
        options: ['-map', '0:v', '-vf', syntheticPicture(o), ...picture, '-pix_fmt', 'yuv420p', '-g', String(o.gopFrames), '-b:v', '1200k', '-f', 'rtp'],
      },
      {
        target: `rtp://127.0.0.1:${ports.audio}?pkt_size=1200`,
        options: ['-map', '1:a', '-c:a', 'libopus', '-b:a', '64k', '-ar', '48000', '-ac', '2', '-application', 'lowdelay', '-f', 'rtp'],
      },
    ],
  };
}

/**
 * The arguments that run a transcode on a synthetic source for benchmarks and tests: the spec's
 * own input (a lavfi picture) plus a tone as its audio, both cut to `seconds`.
 */
export function withSyntheticTone(spec: FfmpegSpec, seconds: number, toneHz = 440): string[] {
  const args = specToArgs(spec).map((a) => (a === '0:a:0' ? '1:a:0' : a.replaceAll('[0:a:0]', '[1:a:0]')));
  const afterSource = args.indexOf('-i') + 2;
  const t = String(seconds);
  return ['-t', t, ...args.slice(0, afterSource), '-t', t, '-f', 'lavfi', '-i', `sine=frequency=${toneHz}:sample_rate=48000`, ...args.slice(afterSource)];
}
