import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { layoutTiles, type Layout } from '../domain/layouts.ts';
import type { Logger } from '../domain/logger.ts';
import { AUDIO_SAMPLE_RATE, rtmpPullInput, type SlateLine } from '../media/args.ts';
import { compositeSpec, type CompositeCamera } from '../media/composite.ts';
import { FfmpegProcess } from '../media/ffmpeg-process.ts';
import type { RestartPolicy } from '../media/restart-policy.ts';
import { Supervisor } from '../media/supervisor.ts';
import type { CaptureClock } from './capture-dating.ts';
import { CompositeClock, type CompositeInput } from './composite-clock.ts';

/** One camera the program may show: its name in the layout, and its stream in the ingest. */
export interface CompositorCamera {
  readonly name: string;
  readonly stream: string;
}

/** The part of the ingest a compositor reads cameras from and publishes its program to. */
export interface CompositorIngest {
  pullUrl(streamId: string, o?: { fromKeyframe?: boolean }): string;
  publishUrl(streamKey: string): string;
  clockOf(streamId: string): CaptureClock | null;
}

/** What composing one hearing's program needs. */
export interface CompositorOptions {
  readonly hearingId: string;
  /** Every camera the layout names, in tile order. */
  readonly cameras: readonly CompositorCamera[];
  readonly layout: Layout;
  /** The camera whose sound the program carries. */
  readonly sound?: string;
  /** What a tile shows while its camera is not there (absent: black). */
  readonly unavailable?: SlateLine;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly ingest: CompositorIngest;
  /** The key the program is published under, read at each run (see ingest/internal-keys.ts). */
  readonly publishKey: () => string;
  /**
   * How old the frames the ingest hands a keyframe reader may be (the GOP in progress): each run's
   * timeline starts that far before its spawn, and a second more.
   */
  readonly handoverMs: number;
  /** Where each run keeps its pid file (`c0001/`). */
  readonly workDir: string;
  readonly ffmpegPath: string;
  readonly policy: RestartPolicy;
  readonly logger: Logger;
  readonly secrets?: () => readonly string[];
  /** Told once the compositor has stopped for good (its key can go). */
  readonly closed?: () => void;
  readonly now?: () => number;
}

/**
 * The program picture of a courtroom with several cameras (issue 29): one FFmpeg that pulls each
 * camera that is publishing from the ingest, keeping its timestamps, moves each onto a common
 * timeline by its own clock (so frames captured together are shown together, whatever each
 * camera's latency), lays them out and publishes the result back into the ingest as the program.
 *
 * Each run's timeline is `capture instant − base` for a base just before the run started, so its
 * timestamps read as milliseconds into the run. A camera's offset is taken from its clock at the
 * spawn; the run's `CompositeClock` dates the program's frames from the cameras' own clocks,
 * never early. The program's readers must date it by `clock`, never by the program stream's own
 * arrival (that would date a frame by when the compositor got round to it).
 */
export class Compositor {
  private readonly supervisor: Supervisor;
  private readonly now: () => number;
  private readonly clocks = new Map<number, CompositeClock>();
  private currentRun = 0;

  constructor(private readonly o: CompositorOptions) {
    this.now = o.now ?? Date.now;
    this.supervisor = new Supervisor((run) => this.build(run), o.policy, o.logger, { hearingId: o.hearingId, role: 'compositor' });
    this.supervisor.on('exit', (_exit, run) => void (run !== this.currentRun && this.clocks.delete(run)));
  }

  /** The clock of the run now publishing the program; null before the first. */
  get clock(): CompositeClock | null {
    return this.clocks.get(this.currentRun) ?? null;
  }

  /** The cameras the current run shows (those that were publishing when it started). */
  shown: readonly string[] = [];

  private build(run: number): FfmpegProcess {
    const at = this.now();
    // Camera frames handed over from the GOP in progress land after the base, so no timestamp is
    // negative (FLV would otherwise move every stream on, and none would be where the clock says).
    const base = at - this.o.handoverMs - 1_000;
    const cameras: CompositeCamera[] = [];
    const inputs: CompositeInput[] = [];
    for (const c of this.o.cameras) {
      const clock = this.o.ingest.clockOf(c.stream);
      const latest = clock?.latest ?? null;
      const latestAt = clock?.latestAt ?? null;
      if (!clock || latest === null || latestAt === null) continue;
      // The camera's newest timestamp was captured at latestAt: it lands at latestAt − base.
      const offsetMs = latestAt - base - latest;
      const input = rtmpPullInput(this.o.ingest.pullUrl(c.stream, { fromKeyframe: true }), 5000);
      // Every input keeps its own timestamps: the offsets are what put them on one timeline.
      cameras.push({ source: c.name, offsetSec: offsetMs / 1000, input: { url: input.url, options: [...(cameras.length === 0 ? ['-copyts'] : []), ...input.options] } });
      inputs.push({ clock, offsetMs });
    }
    this.shown = cameras.map((c) => c.source);
    // Retried after the policy's delay (see Supervisor): a camera may publish by then.
    if (cameras.length === 0) throw new Error('no camera of the program is publishing');
    if (inputs.length > 0) {
      this.clocks.set(run, new CompositeClock(inputs));
      this.currentRun = run;
    }
    const dir = path.join(this.o.workDir, `c${String(run).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    const spec = compositeSpec({
      cameras,
      tiles: layoutTiles(this.o.layout, this.o.cameras.map((c) => c.name)),
      width: this.o.width,
      height: this.o.height,
      fps: this.o.fps,
      ...(this.o.sound !== undefined ? { sound: this.o.sound } : {}),
      startSec: (at - this.o.handoverMs - base) / 1000,
      ...(this.o.unavailable ? { unavailable: this.o.unavailable } : {}),
      output: {
        target: this.o.ingest.publishUrl(this.o.publishKey()),
        options: [
          '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
          // A keyframe a second, as the courtroom's encoders send: the ladder starts on one.
          '-g', String(this.o.fps), '-keyint_min', String(this.o.fps), '-sc_threshold', '0', '-b:v', '2500k',
          ...(this.o.sound !== undefined ? ['-c:a', 'aac', '-b:a', '128k', '-ar', String(AUDIO_SAMPLE_RATE), '-ac', '2'] : []),
          '-f', 'flv', '-flvflags', 'no_duration_filesize',
        ],
      },
    });
    const proc = new FfmpegProcess(spec, { ffmpegPath: this.o.ffmpegPath, logger: this.o.logger, tags: { hearingId: this.o.hearingId, role: 'compositor', run }, secrets: [this.o.publishKey(), ...(this.o.secrets?.() ?? [])] });
    proc.on('spawned', (pid) => void (pid !== undefined && writeFileSync(path.join(dir, 'ffmpeg.pid'), String(pid))));
    return proc;
  }

  /** Every camera it may read, by name. */
  get cameras(): readonly string[] {
    return this.o.cameras.map((c) => c.name);
  }

  start(): void {
    this.supervisor.enable();
  }

  /** Stops composing (no camera of the program publishes) until started again. */
  stop(): Promise<void> {
    return this.supervisor.disable();
  }

  /** Composes again from now, with the cameras publishing now (one came or went). */
  restart(): Promise<void> {
    return this.supervisor.restartNow(true, 'a camera of the program came or went');
  }

  async close(): Promise<void> {
    await this.supervisor.close();
    this.o.closed?.();
  }
}
