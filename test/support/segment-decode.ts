import { spawn } from 'node:child_process';

/** What to take from a segment in its one decode. */
export interface SegmentWants {
  /** Video frames as 640x360 grey: the whole picture, or only its top 40 rows (where the counter is). */
  readonly pictures?: 'frames' | 'strips';
  /** Its first audio stream as mono 32-bit float PCM at this rate. */
  readonly soundRate?: number;
}

export interface DecodedSegment {
  /** One buffer per decoded frame, in decode order (every frame once, whatever its timestamp). */
  readonly pictures: Uint8Array[];
  readonly sound: Float32Array | null;
}

export const FRAME_W = 640;
export const FRAME_H = 360;
/** The strip of a frame that holds the burned-in counter. */
export const STRIP_H = 40;

/**
 * Decodes one MPEG-TS segment once, for pictures and sound together: a test that reads a
 * segment's counters and hears its time code used to start three FFmpeg processes for it, and
 * each start costs about 0.15 s of CPU on these machines, which the live tests beside it need.
 * The segment goes in on stdin, the pictures come back on stdout and the sound on a third pipe.
 */
export function decodeSegment(ts: Buffer, want: SegmentWants): Promise<DecodedSegment> {
  const args = ['-v', 'error', '-f', 'mpegts', '-i', 'pipe:0'];
  if (want.pictures) {
    const crop = want.pictures === 'strips' ? `,crop=${FRAME_W}:${STRIP_H}:0:0` : '';
    args.push('-map', '0:v:0', '-vf', `scale=${FRAME_W}:${FRAME_H}${crop},format=gray`, '-fps_mode', 'passthrough', '-f', 'rawvideo', 'pipe:1');
  }
  if (want.soundRate) args.push('-map', '0:a:0', '-ac', '1', '-ar', String(want.soundRate), '-f', 'f32le', 'pipe:3');
  if (!want.pictures && !want.soundRate) return Promise.resolve({ pictures: [], sound: null });
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
    const video: Buffer[] = [];
    const audio: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => video.push(d));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => audio.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4_000)));
    // FFmpeg may stop reading early (a broken segment): the write then fails, and the exit says why.
    child.stdin.on('error', () => {});
    child.stdin.end(ts);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg could not decode the segment (exit ${code}): ${stderr.trim()}`));
      const v = Buffer.concat(video);
      const frame = FRAME_W * (want.pictures === 'strips' ? STRIP_H : FRAME_H);
      const pictures: Uint8Array[] = [];
      for (let i = 0; i + frame <= v.length; i += frame) pictures.push(v.subarray(i, i + frame));
      const a = Buffer.concat(audio);
      const sound = want.soundRate ? new Float32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.length - (a.length % 4))) : null;
      resolve({ pictures, sound });
    });
  });
}
