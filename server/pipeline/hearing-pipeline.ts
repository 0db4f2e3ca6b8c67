import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TypedEmitter } from '../domain/events.ts';
import { MAIN_CAMERA } from '../domain/courts.ts';
import { masterSpec, transcodeSpec, type InputOptions, type RungOptions } from '../media/args.ts';
import type { OverlayStyle } from '../media/time-overlay.ts';
import { OverlayClock } from './overlay-clock.ts';
import type { FfmpegSpec } from '../media/spec.ts';
import { FfmpegProcess, type FfmpegExit } from '../media/ffmpeg-process.ts';
import type { Logger } from '../domain/logger.ts';
import type { RestartPolicy } from '../media/restart-policy.ts';
import { Supervisor } from '../media/supervisor.ts';
import { MasterSealer, type MasterSegment } from './master-sealer.ts';
import { SourceRecorder, type SourceRole } from './source-recorder.ts';
import { SegmentWatcher, type CompletedSegment } from './segment-watcher.ts';
import { LiveMaskSlots } from './live-masks.ts';
import type { CaptureClock } from './capture-dating.ts';
import { freeLoopbackPorts } from '../media/ports.ts';
import { logRelayWarnings } from './relay-warnings.ts';

export type { MasterSegment } from './master-sealer.ts';

/** Encoder health as the pipeline sees it. */
export type EncoderState = 'waiting' | 'connected' | 'lost';

/** Events of a hearing pipeline. */
export interface PipelineEvents {
  segment: (segment: CompletedSegment) => void;
  /** Media stopped at `at` (capture time) because the transcoder ended; the picture after it is missing. */
  gap: (at: number) => void;
  master: (segment: MasterSegment) => void;
  /** A segment of one of the courtroom's further cameras was sealed (in its own manifest). */
  sourceMaster: (source: string, segment: MasterSegment) => void;
  /** One camera's recorder or relay FFmpeg exited. */
  sourceExit: (source: string, role: SourceRole, exit: FfmpegExit, run: number, willRestart: boolean) => void;
  encoder: (state: EncoderState) => void;
  ffmpegExit: (exit: FfmpegExit, run: number, willRestart: boolean) => void;
  /** The master recorder's FFmpeg exited: the recording log needs every interruption. */
  masterExit: (exit: FfmpegExit, run: number, willRestart: boolean) => void;
}

/** Everything a hearing pipeline needs; built by the composition root from config. */
export interface PipelineOptions {
  readonly hearingId: string;
  readonly ffmpegPath: string;
  readonly logger: Logger;
  readonly ladder: readonly RungOptions[];
  readonly segmentSeconds: number;
  readonly fps: number;
  /**
   * The input of each run: a fresh pull URL of the courtroom's RTMP ingest. The transcoder's starts
   * at a keyframe with no older sound, so every rung starts on one frame; the master's takes
   * everything from the moment it connects.
   */
  readonly input: (reader: 'transcode' | 'master') => InputOptions;
  /**
   * How long before a transcoder run is spawned its first frames may have reached the ingest (which
   * hands a keyframe reader the GOP in progress). Segments that cannot be dated on the clock are
   * bounded from below by the spawn less this, so their capture bounds still hold.
   */
  readonly inputHeadStartMs?: number;
  /**
   * The ingest clock of the input a run is about to read. The run then keeps input timestamps
   * and its segments are dated by their frames on that clock.
   */
  readonly clock?: (reader: 'transcode' | 'master') => CaptureClock | null;
  /**
   * The compositor of a program composed from several cameras (pipeline/compositor.ts), which
   * the transcoder then reads (its clock is the compositor's): run while any of its cameras
   * publishes, and started afresh when one comes.
   */
  readonly program?: ProgramCompositor;
  /**
   * A relay that brings another protocol into the RTMP ingest (SRT), kept running while the
   * hearing is open; given the file its progress goes to (inside its run directory).
   */
  readonly gateway?: (progressFile: string) => FfmpegSpec;
  /** The courtroom's further cameras, each recorded as it reaches the ingest while it publishes. */
  readonly sources?: readonly { readonly name: string; readonly input: () => InputOptions; readonly clock: () => CaptureClock | null; readonly gateway?: (progressFile: string) => FfmpegSpec }[];
  /** Strings to redact from logs (stream keys, tokens). */
  readonly secrets?: () => readonly string[];
  /** This hearing's private directories. Neither may lie under the public store. */
  readonly pendingDir: string;
  readonly masterDir: string;
  readonly policy: RestartPolicy;
  /** Live mask slots in the transcoder (0 or absent: none; masks are then re-rendered). */
  readonly liveMaskSlots?: number;
  /** The court's time on the public picture, in its zone; absent for courts that overlay in the room. */
  readonly timeOverlay?: { readonly timeZone: string; readonly style: OverlayStyle };
  /** First run number; a recovered hearing continues after its last run. */
  readonly firstRun?: number;
  readonly pollMs?: number;
  readonly slackMs?: number;
  readonly now?: () => number;
}

interface TranscodeRun {
  readonly watcher: SegmentWatcher;
  produced: boolean;
}

const runName = (prefix: string, run: number): string => `${prefix}${String(run).padStart(4, '0')}`;
/** Name of the file holding a run's FFmpeg pid. */
export const PID_FILE = 'ffmpeg.pid';

/** What the pipeline asks of the compositor of a composed program (pipeline/compositor.ts). */
export interface ProgramCompositor {
  /** Every camera it may read (`main` for the courtroom's own feed). */
  readonly cameras: readonly string[];
  /** Whether a camera coming calls for a new run: the program shows it, or carries its sound. */
  needs(name: string): boolean;
  start(): void;
  restart(): Promise<void>;
  /** Stops composing until started again (no camera of it publishes). */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One live hearing's media pipeline: supervised FFmpegs that write the master and the ladder
 * into private directories, and the watchers that turn their output into segments with capture
 * times and sealed master segments. It never touches the public store.
 */
export class HearingPipeline extends TypedEmitter<PipelineEvents> {
  private readonly transcoder: Supervisor;
  private readonly recorder: Supervisor;
  private readonly gateway: Supervisor | null;
  private readonly transcodeRuns = new Map<number, TranscodeRun>();
  private readonly masterRuns = new Map<number, MasterSealer>();
  private readonly sources = new Map<string, SourceRecorder>();
  private poller: NodeJS.Timeout | null = null;
  private encoderState: EncoderState = 'waiting';
  private readonly now: () => number;
  private slots: LiveMaskSlots | null = null;
  private overlay: { readonly file: string; readonly clock: OverlayClock } | null = null;
  /** When the transcoder last completed a segment and the recorder last sealed one. */
  private lastSegmentAt = 0;
  private lastMasterAt = 0;
  /** Failed reads of each run's rung playlists since they last read, by `run/rung`. */
  private readonly unreadable = new Map<string, number>();
  /** The courtroom's cameras publishing now (`main` its own feed), and whether the compositor is to run. */
  private readonly publishing = new Set<string>();
  private programRunning = false;

  constructor(private readonly o: PipelineOptions) {
    super((err, event) => o.logger.error({ hearingId: o.hearingId, err, event }, 'pipeline listener failed'));
    this.now = o.now ?? Date.now;
    const tags = { hearingId: o.hearingId };
    this.transcoder = new Supervisor((run) => this.buildTranscode(run), o.policy, o.logger, { ...tags, role: 'transcode' }, o.firstRun);
    this.transcoder.on('exit', (exit, run, willRestart) => void this.onTranscodeExit(exit, run, willRestart));
    this.recorder = new Supervisor((run) => this.buildRecorder(run), o.policy, o.logger, { ...tags, role: 'master' }, o.firstRun);
    this.recorder.on('exit', (exit, run, willRestart) => void this.onRecorderExit(exit, run, willRestart));
    this.gateway = o.gateway ? new Supervisor((run) => this.buildGateway(run), o.policy, o.logger, { ...tags, role: 'gateway' }, o.firstRun) : null;
    for (const x of o.sources ?? []) {
      const recorder = new SourceRecorder({
        hearingId: o.hearingId,
        source: x.name,
        masterDir: o.masterDir,
        input: x.input,
        clock: x.clock,
        ...(x.gateway ? { gateway: x.gateway } : {}),
        segmentSeconds: o.segmentSeconds,
        ffmpegPath: o.ffmpegPath,
        policy: o.policy,
        logger: o.logger,
        ...(o.secrets ? { secrets: o.secrets } : {}),
        ...(o.firstRun !== undefined ? { firstRun: o.firstRun } : {}),
        now: this.now,
        pidFile: PID_FILE,
        onSealed: (m) => this.emit('sourceMaster', x.name, m),
        onExit: (role, exit, run, willRestart) => this.emit('sourceExit', x.name, role, exit, run, willRestart),
      });
      this.sources.set(x.name, recorder);
    }
  }

  /** One of the courtroom's further cameras publishes (again): it is recorded. */
  sourceConnected(name: string): void {
    this.sources.get(name)?.connected();
    this.programCameraCame(name);
  }

  /** One of them left: what the ingest had sent it is worked off, for at most `drainMs`. */
  async sourceLost(name: string, drainMs: number): Promise<void> {
    await Promise.all([this.sources.get(name)?.lost(drainMs), this.programCameraLeft(name, drainMs)]);
  }

  /** A camera of a composed program publishes: the program is composed afresh, with it. */
  private programCameraCame(name: string): void {
    this.publishing.add(name);
    const p = this.o.program;
    if (!p?.cameras.includes(name)) return;
    this.transcoder.enable();
    // A camera the program neither shows nor hears is taken in when a switch shows it.
    if (this.programRunning) {
      if (p.needs(name)) void p.restart();
    } else {
      this.programRunning = true;
      p.start();
    }
  }

  /**
   * A camera of a composed program left. While another of its cameras publishes the program goes
   * on, the lost one's tile showing its card (its frames end; no restart). Once none does, the
   * compositor stops, and the transcoder works off what it had: the public gets the stand-by
   * slate, as for a courtroom whose one encoder left.
   */
  private async programCameraLeft(name: string, drainMs: number): Promise<void> {
    this.publishing.delete(name);
    const p = this.o.program;
    if (!p?.cameras.includes(name) || p.cameras.some((n) => this.publishing.has(n))) return;
    this.programRunning = false;
    await p.stop();
    await this.transcoder.release(drainMs);
  }

  /** The current encoder state. */
  get encoder(): EncoderState {
    return this.encoderState;
  }

  /** When the newest media reached the ingest server, on an input with a clock; null otherwise. */
  get ingestLatestAt(): number | null {
    return this.o.clock?.('transcode')?.latestAt ?? null;
  }

  /** The OS pid of the running ingest relay (SRT), if any. */
  get gatewayPid(): number | undefined {
    return this.gateway?.process?.pid;
  }

  /** The OS pid of the running master recorder, if any. */
  get masterPid(): number | undefined {
    return this.recorder.process?.pid;
  }

  /** The OS pid of the running transcoder, if any. */
  get ffmpegPid(): number | undefined {
    return this.transcoder.process?.pid;
  }

  private process(spec: ReturnType<typeof masterSpec>, role: string, run: number, runDir: string): FfmpegProcess {
    const proc = new FfmpegProcess(spec, {
      ffmpegPath: this.o.ffmpegPath,
      logger: this.o.logger,
      tags: { hearingId: this.o.hearingId, role, run },
      secrets: this.o.secrets?.() ?? [],
    });
    // A pid file lets a restarted server stop FFmpegs orphaned by a crash (see reapOrphans).
    proc.on('spawned', (pid) => {
      if (pid !== undefined) writeFileSync(path.join(runDir, PID_FILE), String(pid));
    });
    return proc;
  }

  private sealer(run: number, prefix: string, clock: CaptureClock | null): MasterSealer {
    const dir = path.join(this.o.masterDir, runName(prefix, run));
    mkdirSync(dir, { recursive: true });
    return new MasterSealer({
      run,
      dir,
      masterDir: this.o.masterDir,
      now: this.now,
      clock,
      onSealed: (m) => {
        this.lastMasterAt = this.now();
        this.emit('master', m);
      },
      onError: (err, file) => this.o.logger.error({ hearingId: this.o.hearingId, err, file }, 'cannot seal master segment'),
    });
  }

  private buildTranscode(run: number): FfmpegProcess {
    const pendingRun = path.join(this.o.pendingDir, runName('r', run));
    const rungs = this.o.ladder.map((r) => r.name);
    // FFmpeg's HLS muxer does not create directories; this runs once per run, so sync is fine.
    for (const r of rungs) mkdirSync(path.join(pendingRun, r), { recursive: true });
    const slots = this.slots;
    const clock = this.o.clock?.('transcode') ?? null;
    const datingRung = this.o.ladder.find((r) => r.height !== undefined)?.name;
    const overlay = this.overlay;
    const spec = transcodeSpec({
      ...(clock ? { keepTimestamps: true } : {}),
      // Without an ingest clock there is no capture time to show, and wall time is not one.
      ...(clock && overlay && this.o.timeOverlay ? { timeOverlay: { textFile: overlay.file, style: this.o.timeOverlay.style } } : {}),
      ...(slots ? { liveMasks: slots.plan } : {}),
      input: this.o.input('transcode'),
      ladder: this.o.ladder,
      segmentSeconds: this.o.segmentSeconds,
      fps: this.o.fps,
      pendingDir: (rung) => path.join(pendingRun, rung),
    });
    const watcher = new SegmentWatcher({
      run,
      rungs,
      playlistOf: (rung) => path.join(pendingRun, rung, 'index.m3u8'),
      slackMs: this.o.slackMs ?? 250,
      runStartedAt: this.now() - (this.o.inputHeadStartMs ?? 0),
      now: this.now,
      onSegment: (s) => this.onSegment(s),
      ...(clock && datingRung ? { clock, datingRung, fps: this.o.fps } : {}),
      onUndated: (why) => this.o.logger.warn({ hearingId: this.o.hearingId, run, why }, 'a segment could not be dated on the ingest clock; it is dated by its observed bounds'),
      onUnreadable: (rung, why) => this.playlistFault(run, rung, why),
    });
    this.transcodeRuns.set(run, { watcher, produced: false });
    const proc = this.process(spec, 'transcode', run, pendingRun);
    if (slots) proc.on('spawned', () => void slots.newRun(run, clock));
    return proc;
  }

  private buildGateway(run: number): FfmpegProcess {
    const dir = path.join(this.o.pendingDir, runName('g', run));
    mkdirSync(dir, { recursive: true });
    const proc = this.process(this.o.gateway!(path.join(dir, 'progress.txt')), 'gateway', run, dir);
    logRelayWarnings(proc, this.o.logger, { hearingId: this.o.hearingId });
    return proc;
  }

  private buildRecorder(run: number): FfmpegProcess {
    const clock = this.o.clock?.('master') ?? null;
    const sealer = this.sealer(run, 'm', clock);
    this.masterRuns.set(run, sealer);
    const spec = masterSpec({ input: this.o.input('master'), masterDir: sealer.dir, segmentSeconds: this.o.segmentSeconds, keepTimestamps: clock !== null });
    return this.process(spec, 'master', run, sealer.dir);
  }

  /** A pending playlist that cannot be read is a fault: logged when it begins and when it ends, not at every poll. */
  private playlistFault(run: number, rung: string, why: string | null): void {
    const key = `${run}/${rung}`;
    const failed = this.unreadable.get(key);
    const tags = { hearingId: this.o.hearingId, run, rung };
    if (why === null) {
      this.unreadable.delete(key);
      if (failed) this.o.logger.info({ ...tags, failedReads: failed }, 'the pending playlist reads again');
      return;
    }
    if (failed === undefined) this.o.logger.warn({ ...tags, why }, 'the pending playlist cannot be read (a disk that refused FFmpeg’s write?); no segment is taken from it until it can');
    this.unreadable.set(key, (failed ?? 0) + 1);
  }

  /**
   * The data disk takes writes again after failing since `faultSince`. Whatever waits on a restart
   * delay starts now, and a run that has produced nothing since the fault is replaced: FFmpeg may
   * have lost files or its playlist mid-run and not noticed.
   */
  async storageRecovered(faultSince: number): Promise<void> {
    await Promise.all([
      this.transcoder.restartNow(this.lastSegmentAt < faultSince),
      this.recorder.restartNow(this.lastMasterAt < faultSince),
    ]);
  }

  private onSegment(completed: CompletedSegment): void {
    this.lastSegmentAt = this.now();
    // What the live slots did to it is final now: every frame of it has been read.
    const s = this.slots ? { ...completed, liveStamps: this.slots.stamp(completed) } : completed;
    const state = this.transcodeRuns.get(s.run);
    if (state && !state.produced) {
      state.produced = true;
      this.setEncoder('connected');
    }
    this.emit('segment', s);
  }

  private setEncoder(state: EncoderState): void {
    if (state === this.encoderState) return;
    this.encoderState = state;
    this.emit('encoder', state);
  }

  private async onTranscodeExit(exit: FfmpegExit, run: number, willRestart: boolean): Promise<void> {
    const state = this.transcodeRuns.get(run);
    if (state) {
      // Pick up what FFmpeg finished on its way out.
      await state.watcher.poll();
      this.transcodeRuns.delete(run);
      this.slots?.endRun(run, this.now());
      const last = state.watcher.lastCaptureEnd;
      if (last !== null) this.emit('gap', last);
    }
    this.emit('ffmpegExit', exit, run, willRestart);
  }

  private async onRecorderExit(exit: FfmpegExit, run: number, willRestart: boolean): Promise<void> {
    await this.masterRuns.get(run)?.poll();
    this.masterRuns.delete(run);
    this.emit('masterExit', exit, run, willRestart);
  }

  private pollAll(): Promise<unknown> {
    const watchers = [...this.transcodeRuns.values()].map((state) => state.watcher.poll());
    const sealers = [...this.masterRuns.values()].map((sealer) => sealer.poll());
    const sources = [...this.sources.values()].map((r) => r.poll());
    return Promise.all([...watchers, ...sealers, ...sources]);
  }

  /** The live mask slots, when the transcoder has them. */
  get liveMasks(): LiveMaskSlots | null {
    return this.slots;
  }

  /** Starts polling; in listening mode, starts FFmpeg too. */
  async start(): Promise<void> {
    if (this.poller) return;
    const perKind = this.o.liveMaskSlots ?? 0;
    if (perKind > 0) {
      const [videoPort, audioPort] = (await freeLoopbackPorts(2)) as [number, number];
      this.slots = new LiveMaskSlots({ videoPort, audioPort, perKind }, this.o.logger, this.o.fps, this.now);
    }
    if (this.o.timeOverlay && this.o.clock) {
      mkdirSync(this.o.pendingDir, { recursive: true });
      const file = path.join(this.o.pendingDir, 'time-overlay.txt');
      this.overlay = { file, clock: new OverlayClock({ file, timeZone: this.o.timeOverlay.timeZone, clock: () => this.o.clock?.('transcode') ?? null, now: this.now }).start() };
    }
    this.poller = setInterval(() => void this.pollAll(), this.o.pollMs ?? 100);
    this.gateway?.enable();
    for (const r of this.sources.values()) r.start();
    // It waits for a camera of its own (see Compositor), which may already be publishing.
    if (this.o.program) {
      this.programRunning = true;
      this.o.program.start();
    }
  }

  /** The ingest server reports the encoder is publishing (RTMP). */
  encoderConnected(): void {
    this.recorder.enable();
    // The courtroom's own feed is a camera of a composed program too.
    if (this.o.program) this.programCameraCame(MAIN_CAMERA);
    else this.transcoder.enable();
  }

  /**
   * The ingest server reports the encoder went away (RTMP). The transcoder and the master
   * recorder are not stopped: the ingest ends their input after the media it had sent them, so
   * they first work off what they are behind on (the master keeps it, the public gets it), for at
   * most `drainMs`.
   */
  async encoderLost(drainMs: number): Promise<void> {
    this.setEncoder('lost');
    const transcoder = this.o.program ? this.programCameraLeft(MAIN_CAMERA, drainMs) : this.transcoder.release(drainMs);
    await Promise.all([transcoder, this.recorder.release(drainMs)]);
  }

  /** Whether a transcoder is running (after an encoder left, until it has worked off its input). */
  get transcoding(): boolean {
    return this.transcoder.process !== null;
  }

  /** Stops FFmpeg (letting it finish its segment) and the watchers. Safe to call twice. */
  async close(): Promise<void> {
    await Promise.all([this.transcoder.close(), this.recorder.close(), this.gateway?.close(), this.o.program?.close(), ...[...this.sources.values()].map((r) => r.close())]);
    this.slots?.close();
    this.overlay?.clock.stop();
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    // The last segments FFmpeg listed on its way out are sealed before close resolves, so the
    // master is complete when the hearing's record is.
    await this.pollAll();
  }
}
