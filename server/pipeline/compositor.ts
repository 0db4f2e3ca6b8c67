import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { layoutTiles, type Layout, type Tile } from '../domain/layouts.ts';
import type { Logger } from '../domain/logger.ts';
import { AUDIO_SAMPLE_RATE, rtmpPullInput, type SlateLine } from '../media/args.ts';
import { baseIndex, compositeBases, compositeSpec, switchableInPlace, switchCommands, type CompositeCamera } from '../media/composite.ts';
import { freeLoopbackPort } from '../media/ports.ts';
import { ZmqCommandClient } from '../media/zmq-client.ts';
import { FfmpegProcess } from '../media/ffmpeg-process.ts';
import type { RestartPolicy } from '../media/restart-policy.ts';
import { Supervisor } from '../media/supervisor.ts';
import type { CaptureClock } from './capture-dating.ts';
import { CompositeClock, type CompositeInput } from './composite-clock.ts';

/** How long a switch waits for the compositor to get to it before it takes a new run instead. */
const SWITCH_WAIT_MS = 3_000;
/** How long a new run waits for a camera that has begun publishing to send its first media. */
const MEDIA_WAIT_MS = 2_000;
/**
 * How long a camera may send nothing before the compositor stops waiting for it: its read ends and
 * its tile shows its card. Every frame of the program waits for every camera's, so a camera that
 * hangs with its connection open holds the whole picture back this long (it is within the two
 * seconds the card is due, and well inside the shortest delay).
 */
export const CAMERA_READ_TIMEOUT_MS = 1_500;
/** How often the compositor looks for a camera whose read ended and that sends again. */
const RETAKE_POLL_MS = 250;

/**
 * The camera an FFmpeg error line names by its input's URL (`<url>?token=***: <error>` or
 * `<url>: <error>`), or null. One camera's URL may begin another's (`…/courtroom-x` and
 * `…/courtroom-x.bench`): the URL must end where the line's does. Pure.
 */
export function inputNamedIn(line: string, urls: ReadonlyMap<string, string>): string | null {
  for (const [name, url] of urls) if (line.startsWith(url) && '?:'.includes(line[url.length] ?? '-')) return name;
  return null;
}

/** A running compositor: the cameras it reads in input order, stacked how, showing which tiles, switched through what. */
interface RunningComposite {
  readonly run: number;
  readonly startedAt: number;
  readonly inputs: readonly string[];
  readonly stack: readonly string[];
  tiles: readonly Tile[];
  readonly clock: CompositeClock;
  readonly zmq: ZmqCommandClient;
  /** Each input's URL as FFmpeg names it in its errors (no query), by camera. */
  readonly urls: ReadonlyMap<string, string>;
  /**
   * The cameras whose read has ended in this run (a timeout or an error), when, and whether the
   * camera was still publishing then (it hung; one that left is taken back when it comes).
   */
  readonly ended: Map<string, { readonly at: number; readonly hung: boolean }>;
}

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
  isPublishing(streamId: string): boolean;
}

/** What composing one hearing's program needs. */
export interface CompositorOptions {
  readonly hearingId: string;
  /** Every camera the program may show: the courtroom's own feed and its further cameras. */
  readonly cameras: readonly CompositorCamera[];
  /** The layout it starts with, and the cameras in its tiles in order. */
  readonly layout: Layout;
  readonly shown: readonly string[];
  /** The stream the program is published as: how far the compositor has got is read from it. */
  readonly programStream: string;
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
  /**
   * Whether the public sees no program picture now (the hearing not on the air): a new run then
   * costs nothing anyone sees, so every camera that comes is taken in at once, ready to switch to.
   */
  readonly offAir?: () => boolean;
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
  /** The arrangement in force: what the next run starts with, and what a switch moves the running one to. */
  private layout: Layout;
  private order: readonly string[];
  /** What the running one is switched through, and what it shows now. */
  private running: RunningComposite | null = null;
  /** Nothing captured before this may be composed by a later run (a switch that needed a new run). */
  private notBefore = 0;

  constructor(private readonly o: CompositorOptions) {
    this.now = o.now ?? Date.now;
    this.layout = o.layout;
    this.order = o.shown;
    this.supervisor = new Supervisor((run) => this.build(run), o.policy, o.logger, { hearingId: o.hearingId, role: 'compositor' });
    this.supervisor.on('exit', (_exit, run) => void (run !== this.currentRun && this.clocks.delete(run)));
  }

  /** The clock of the run now publishing the program; null before the first. */
  get clock(): CompositeClock | null {
    return this.clocks.get(this.currentRun) ?? null;
  }

  /** The arrangement in force: the layout and the cameras in its tiles. */
  get arrangement(): { readonly layout: Layout; readonly cameras: readonly string[] } {
    return { layout: this.layout, cameras: this.order };
  }

  private build(run: number): FfmpegProcess {
    const at = this.now();
    // Camera frames handed over from the GOP in progress land after the base, so no timestamp is
    // negative (FLV would otherwise move every stream on, and none would be where the clock says).
    const base = at - this.o.handoverMs - 1_000;
    this.running?.zmq.close();
    this.running = null;
    const cameras: CompositeCamera[] = [];
    const inputs: CompositeInput[] = [];
    const urls = new Map<string, string>();
    for (const c of this.o.cameras) {
      const clock = this.o.ingest.clockOf(c.stream);
      const latest = clock?.latest ?? null;
      const latestAt = clock?.latestAt ?? null;
      if (!clock || latest === null || latestAt === null) continue;
      // The camera's newest timestamp was captured at latestAt: it lands at latestAt − base.
      const offsetMs = latestAt - base - latest;
      const input = rtmpPullInput(this.o.ingest.pullUrl(c.stream, { fromKeyframe: true }), CAMERA_READ_TIMEOUT_MS);
      urls.set(c.name, input.url.split('?')[0]!);
      // Every input keeps its own timestamps: the offsets are what put them on one timeline.
      cameras.push({ source: c.name, offsetSec: offsetMs / 1000, input: { url: input.url, options: [...(cameras.length === 0 ? ['-copyts'] : []), ...input.options] } });
      inputs.push({ clock, offsetMs });
    }
    const reads = cameras.map((c) => c.source);
    const tiles = layoutTiles(this.layout, this.order);
    // Retried after the policy's delay (see Supervisor): a camera may publish by then.
    if (!tiles.some((t) => reads.includes(t.source))) throw new Error('no camera the program shows is publishing');
    const clock = new CompositeClock(inputs);
    this.clocks.set(run, clock);
    this.currentRun = run;
    const dir = path.join(this.o.workDir, `c${String(run).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    const zmqPort = this.zmqPort;
    if (zmqPort === null) throw new Error('no loopback port for the compositor’s commands yet');
    const stack = [...tiles.map((t) => t.source), ...reads.filter((n) => !tiles.some((t) => t.source === n))].filter((n) => reads.includes(n));
    const running: RunningComposite = { run, startedAt: at, inputs: reads, stack, tiles, clock, zmq: new ZmqCommandClient(zmqPort), urls, ended: new Map() };
    this.running = running;
    const spec = compositeSpec({
      cameras,
      tiles,
      switchable: { layout: this.layout, zmqPort },
      width: this.o.width,
      height: this.o.height,
      fps: this.o.fps,
      ...(this.o.sound !== undefined ? { sound: this.o.sound } : {}),
      // A run begun for a switch shows nothing captured before it.
      startSec: (Math.max(at - this.o.handoverMs, this.notBefore) - base) / 1000,
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
    proc.on('stderr', (line) => this.noteEndedRead(running, line));
    return proc;
  }

  /** Every camera it may read, by name. */
  get cameras(): readonly string[] {
    return this.o.cameras.map((c) => c.name);
  }

  /** The cameras the running run reads now: those it began with, less those whose read has ended. */
  get reading(): readonly string[] {
    const r = this.running;
    return r ? r.inputs.filter((n) => !r.ended.has(n)) : [];
  }

  /**
   * Whether a camera that comes calls for a new run: the program shows it or carries its sound,
   * or nobody sees the program now. One the program does not show is otherwise taken in by the
   * switch that shows it (a new run then).
   */
  needs(name: string): boolean {
    return this.order.includes(name) || name === this.o.sound || (this.o.offAir?.() ?? false);
  }

  /** The loopback port of the runs' zmq filter (one at a time; taken at the first start). */
  private zmqPort: number | null = null;

  private closed = false;
  private stopped = false;
  private retakeTimer: NodeJS.Timeout | null = null;

  /**
   * FFmpeg names an input in an error only when it stops reading it (a read that timed out, a
   * connection gone, garbage it gave up on): from then on that camera's tile shows its card for
   * the rest of the run.
   */
  private noteEndedRead(r: RunningComposite, line: string): void {
    const name = inputNamedIn(line, r.urls);
    if (name === null || r.ended.has(name)) return;
    r.ended.set(name, { at: this.now(), hung: this.isPublishing(name) });
    this.o.logger.warn({ hearingId: this.o.hearingId, run: r.run, camera: name, line }, 'the compositor stopped reading a camera: its tile shows its card');
  }

  /**
   * A camera whose read ended while it went on publishing (it hung, then came back) is not read
   * again by the run: once it sends again, and the program needs it, a new run takes it in.
   */
  private retakeCameras(): void {
    const r = this.running;
    if (!r || this.stopped || this.closed) return;
    for (const [name, { at, hung }] of r.ended) {
      const stream = this.streamOf(name);
      const latestAt = stream === null ? 0 : (this.o.ingest.clockOf(stream)?.latestAt ?? 0);
      if (!hung || !this.needs(name) || !this.isPublishing(name) || latestAt <= at) continue;
      r.ended.clear();
      this.o.logger.info({ hearingId: this.o.hearingId, run: r.run, camera: name, endedAt: at, latestAt }, 'a camera the compositor had stopped reading sends again');
      void this.supervisor.restartNow(true, 'a camera whose read had ended sends again');
      return;
    }
  }

  start(): void {
    this.stopped = false;
    this.retakeTimer ??= setInterval(() => this.retakeCameras(), RETAKE_POLL_MS).unref();
    if (this.zmqPort !== null) return void this.supervisor.enable();
    void freeLoopbackPort().then(
      (port) => {
        this.zmqPort = port;
        // Closed or stopped meanwhile: the next start enables it.
        if (!this.closed && !this.stopped) this.supervisor.enable();
      },
      (err: unknown) => this.o.logger.error({ hearingId: this.o.hearingId, err }, 'no loopback port for the compositor'),
    );
  }

  /**
   * Moves the program to another layout or other cameras, from the frame captured at `at`.
   * The running compositor is switched in place, between two frames, once it has composed every
   * frame from before `at` (so nothing from before the switch is drawn in the new arrangement).
   * Resolves with the instant from which every frame composed was surely composed in the new
   * arrangement: until then a frame captured after `at` may still show the old one, which the
   * caller covers. Where the run cannot be switched in place (an inset stacked under its main
   * picture, a camera it does not read, no answer) a new run starts, showing nothing captured
   * before `at`.
   */
  async switchTo(layout: Layout, shown: readonly string[], at: number): Promise<number> {
    this.layout = layout;
    this.order = [...shown];
    const r = this.running;
    const to = layoutTiles(layout, shown);
    const missing = shown.some((n) => (!r?.inputs.includes(n) || r.ended.has(n)) && this.isPublishing(n));
    if (!r || missing || !switchableInPlace(r.stack, to.filter((t) => r.inputs.includes(t.source)))) return this.switchByRun(at, 'the switch needs a new compositor run');
    if (!(await this.composedThrough(r, at))) return this.switchByRun(at, 'the compositor did not get to the switch in time');
    const commands = switchCommands({ cameras: r.inputs, from: r.tiles, to, base: baseIndex(compositeBases(), layout, to), width: this.o.width, height: this.o.height });
    const replies = await r.zmq.sendBatch(commands).catch(() => null);
    if (!replies || replies.some((x) => x.code !== 0) || this.running !== r) return this.switchByRun(at, 'the compositor did not take the switch');
    r.tiles = to;
    return Math.max(...replies.map((x) => x.ackedAt));
  }

  /** A camera's stream in the ingest, by its name (null: not one of the courtroom's). */
  private streamOf(name: string): string | null {
    return this.o.cameras.find((c) => c.name === name)?.stream ?? null;
  }

  private isPublishing(name: string): boolean {
    const stream = this.streamOf(name);
    return stream !== null && this.o.ingest.isPublishing(stream);
  }

  /** Waits, a bounded time, until the run has published every frame composed from before `at`. */
  private async composedThrough(r: RunningComposite, at: number): Promise<boolean> {
    const deadline = this.now() + SWITCH_WAIT_MS;
    const frameMs = 1000 / this.o.fps;
    let [t, out]: (number | null)[] = [null, null];
    while (this.running === r && this.now() < deadline) {
      t = r.clock.firstAtOrAfter(at);
      // Only this run's program: an earlier run's stood on another timeline, and ended before this one began.
      const published = this.o.ingest.clockOf(this.o.programStream);
      out = published && (published.latestAt ?? 0) >= r.startedAt ? published.latest : null;
      if (t !== null && out !== null && out >= t - frameMs) return true;
      await new Promise((res) => setTimeout(res, 10));
    }
    this.o.logger.warn({ hearingId: this.o.hearingId, at, switchAt: t, publishedUntil: out }, 'the compositor had not published the frames before a switch in time');
    return false;
  }

  private async switchByRun(at: number, why: string): Promise<number> {
    this.notBefore = Math.max(this.notBefore, at);
    this.o.logger.info({ hearingId: this.o.hearingId, why }, 'switching the program by a new compositor run');
    await this.supervisor.restartNow(true, why);
    return this.now();
  }

  /** Stops composing (no camera of the program publishes) until started again. */
  stop(): Promise<void> {
    this.stopped = true;
    return this.supervisor.disable();
  }

  /** Composes again from now, with the cameras publishing now (one came or went). */
  async restart(): Promise<void> {
    // A camera is read from its first media on: one that has just begun publishing is waited for
    // a moment, or the new run would leave it out.
    const deadline = this.now() + MEDIA_WAIT_MS;
    while (this.now() < deadline && this.o.cameras.some((c) => this.o.ingest.isPublishing(c.stream) && (this.o.ingest.clockOf(c.stream)?.latest ?? null) === null)) await new Promise((res) => setTimeout(res, 50));
    return this.supervisor.restartNow(true, 'a camera of the program came or went');
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retakeTimer) clearInterval(this.retakeTimer);
    this.retakeTimer = null;
    this.running?.zmq.close();
    this.running = null;
    await this.supervisor.close();
    this.o.closed?.();
  }
}
