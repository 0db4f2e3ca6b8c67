import { spawn, type ChildProcess } from 'node:child_process';
import { specToArgs } from '../../server/media/spec.ts';
import { syntheticEncoderSpec } from '../../server/media/synthetic.ts';

export const TEST_FPS = 30;
export const FRAME_MS = 1000 / TEST_FPS;

/**
 * A test courtroom encoder: real FFmpeg pushing the counter pattern and, by default, the sound time
 * code (media/synthetic.ts). The counter of a frame maps back to its emission time as
 * `epoch + value * FRAME_MS`, a slight underestimate (FFmpeg starts emitting a little after spawn),
 * which the tests account for where it matters; the time code of sound counts from the same epoch.
 */
export class TestEncoder {
  private child: ChildProcess | null = null;
  readonly exited: Promise<number | null>;
  private resolveExit!: (code: number | null) => void;
  stderr = '';
  /** The counter of the first frame this encoder sends (set by `start`). */
  firstFrame = -1;

  constructor(
    readonly target: string,
    readonly format: 'flv' | 'mpegts',
    readonly epoch: number,
    /** 320x180 unless a test needs more: the tests' ladder tops out at 180p. */
    readonly size = { width: 320, height: 180 },
    /** `timecode` (the default): sound that tells when it was made; `tone`: a steady 440 Hz for pitch tests. */
    readonly sound: 'timecode' | 'tone' = 'timecode',
  ) {
    this.exited = new Promise((r) => (this.resolveExit = r));
  }

  /** Spawns FFmpeg; the counter continues from the wall clock relative to `epoch`. */
  start(): this {
    const frameOffset = Math.round((Date.now() - this.epoch) / FRAME_MS);
    this.firstFrame = frameOffset;
    const spec = syntheticEncoderSpec({
      target: this.target,
      format: this.format,
      width: this.size.width,
      height: this.size.height,
      fps: TEST_FPS,
      frameOffset,
      toneHz: 440,
      sound: this.sound,
      caption: 'Test courtroom',
    });
    const child = spawn('ffmpeg', specToArgs(spec), { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    child.on('exit', (code) => this.resolveExit(code));
    this.child = child;
    return this;
  }

  /** Emission-time estimate of a counter value. */
  timeOf(value: number): number {
    return this.epoch + value * FRAME_MS;
  }

  /** Stalls the encoder (SIGSTOP): its connection stays open and nothing more is sent, as a hung camera. */
  stall(): void {
    this.child?.kill('SIGSTOP');
  }

  /** Lets a stalled encoder go on; `-re` makes it catch up on the frames it owes, then keep time. */
  unstall(): void {
    this.child?.kill('SIGCONT');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    // A stalled child takes no signal but SIGKILL until it goes on.
    if (signal !== 'SIGKILL') this.child?.kill('SIGCONT');
    this.child?.kill(signal);
    return this.exited;
  }
}
