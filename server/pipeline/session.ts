import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { TypedEmitter } from '../domain/events.ts';
import { transcodeSpec, type InputOptions, type RungOptions } from '../media/args.ts';
import { FfmpegProcess, type FfmpegExit, type MediaLogger } from '../media/ffmpeg-process.ts';
import type { RestartPolicy } from '../media/restart-policy.ts';
import { Supervisor } from '../media/supervisor.ts';
import { readListed, SegmentWatcher, type CompletedSegment } from './segment-watcher.ts';

/** A master segment, sealed with its hash as soon as FFmpeg finished it. */
export interface MasterSegment {
  readonly run: number;
  readonly index: number;
  readonly file: string;
  readonly size: number;
  readonly sha256: string;
  readonly listedAt: number;
}

/** Whether FFmpeg runs only while the encoder is connected (RTMP pull) or always (SRT listener). */
export type RunMode = 'while-connected' | 'always-listening';

/** Encoder health as the pipeline sees it. */
export type EncoderState = 'waiting' | 'connected' | 'lost';

/** Events of a pipeline session. */
export interface PipelineEvents {
  segment: (segment: CompletedSegment) => void;
  master: (segment: MasterSegment) => void;
  encoder: (state: EncoderState) => void;
  ffmpegExit: (exit: FfmpegExit, run: number, willRestart: boolean) => void;
}

/** Everything a pipeline session needs; built by the composition root from config. */
export interface PipelineOptions {
  readonly hearingId: string;
  readonly ffmpegPath: string;
  readonly logger: MediaLogger;
  readonly ladder: readonly RungOptions[];
  readonly segmentSeconds: number;
  readonly fps: number;
  readonly mode: RunMode;
  /** The input of each run (a fresh pull URL or a listener). */
  readonly input: () => InputOptions;
  /** This hearing's private directories. Neither may lie under the public store. */
  readonly pendingDir: string;
  readonly masterDir: string;
  readonly policy: RestartPolicy;
  readonly pollMs?: number;
  readonly slackMs?: number;
  readonly now?: () => number;
}

interface RunState {
  readonly run: number;
  readonly watcher: SegmentWatcher;
  readonly masterDir: string;
  masterNext: number;
  produced: boolean;
}

/**
 * One live hearing's media pipeline: a supervised FFmpeg that writes the master and the ladder
 * into private directories, and the watchers that turn its output into segments with capture
 * times. It never touches the public store.
 */
export class PipelineSession extends TypedEmitter<PipelineEvents> {
  private readonly supervisor: Supervisor;
  private readonly runs = new Map<number, RunState>();
  private poller: NodeJS.Timeout | null = null;
  private encoderState: EncoderState = 'waiting';
  private readonly now: () => number;

  constructor(private readonly o: PipelineOptions) {
    super((err, event) => o.logger.error({ hearingId: o.hearingId, err, event }, 'pipeline listener failed'));
    this.now = o.now ?? Date.now;
    const tags = { hearingId: o.hearingId, role: 'transcode' };
    this.supervisor = new Supervisor((run) => this.buildRun(run), o.policy, o.logger, tags);
    this.supervisor.on('exit', (exit, run, willRestart) => void this.onRunExit(exit, run, willRestart));
  }

  /** The current encoder state. */
  get encoder(): EncoderState {
    return this.encoderState;
  }

  /** The OS pid of the running FFmpeg, if any. */
  get ffmpegPid(): number | undefined {
    return this.supervisor.process?.pid;
  }

  private runDir(root: string, run: number): string {
    return path.join(root, `r${String(run).padStart(4, '0')}`);
  }

  private buildRun(run: number): FfmpegProcess {
    const pendingRun = this.runDir(this.o.pendingDir, run);
    const masterRun = this.runDir(this.o.masterDir, run);
    const rungs = this.o.ladder.map((r) => r.name);
    const spec = transcodeSpec({
      input: this.o.input(),
      ladder: this.o.ladder,
      segmentSeconds: this.o.segmentSeconds,
      fps: this.o.fps,
      masterDir: masterRun,
      pendingDir: (rung) => path.join(pendingRun, rung),
    });
    const watcher = new SegmentWatcher({
      run,
      rungs,
      playlistOf: (rung) => path.join(pendingRun, rung, 'index.m3u8'),
      slackMs: this.o.slackMs ?? 250,
      runStartedAt: this.now(),
      now: this.now,
      onSegment: (s) => this.onSegment(s),
    });
    // FFmpeg's HLS muxer does not create directories; this runs once per run, so sync is fine.
    for (const dir of [masterRun, ...rungs.map((r) => path.join(pendingRun, r))]) mkdirSync(dir, { recursive: true });
    this.runs.set(run, { run, watcher, masterDir: masterRun, masterNext: 0, produced: false });
    const proc = new FfmpegProcess(spec, { ffmpegPath: this.o.ffmpegPath, logger: this.o.logger, tags: { hearingId: this.o.hearingId, run } });
    return proc;
  }

  private onSegment(s: CompletedSegment): void {
    const state = this.runs.get(s.run);
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

  private async onRunExit(exit: FfmpegExit, run: number, willRestart: boolean): Promise<void> {
    const state = this.runs.get(run);
    if (state) {
      await this.pollRun(state); // pick up the segments FFmpeg finished on its way out
      this.runs.delete(run);
      if (state.produced) this.setEncoder('lost');
    }
    this.emit('ffmpegExit', exit, run, willRestart);
  }

  private async pollRun(state: RunState): Promise<void> {
    await state.watcher.poll();
    const listed = await readListed(path.join(state.masterDir, 'index.m3u8'));
    for (const m of listed) {
      if (m.index < state.masterNext) continue;
      state.masterNext = m.index + 1;
      await this.sealMaster(state.run, m.index, m.file);
    }
  }

  private async sealMaster(run: number, index: number, file: string): Promise<void> {
    try {
      const body = await readFile(file);
      const sha256 = createHash('sha256').update(body).digest('hex');
      const seg: MasterSegment = { run, index, file, size: body.length, sha256, listedAt: this.now() };
      await appendFile(path.join(this.o.masterDir, 'manifest.jsonl'), `${JSON.stringify(seg)}\n`);
      this.emit('master', seg);
    } catch (err) {
      this.o.logger.error({ hearingId: this.o.hearingId, err, file }, 'cannot seal master segment');
    }
  }

  /** Starts polling; in listening mode, starts FFmpeg too. */
  start(): void {
    if (this.poller) return;
    this.poller = setInterval(() => {
      for (const state of this.runs.values()) void this.pollRun(state);
    }, this.o.pollMs ?? 100);
    if (this.o.mode === 'always-listening') this.supervisor.enable();
  }

  /** The ingest server reports the encoder is publishing (RTMP). */
  encoderConnected(): void {
    if (this.o.mode === 'while-connected') this.supervisor.enable();
  }

  /** The ingest server reports the encoder went away (RTMP). */
  async encoderLost(): Promise<void> {
    if (this.o.mode === 'while-connected') {
      await this.supervisor.disable();
      this.setEncoder('lost');
    }
  }

  /** Stops FFmpeg (letting it finish its segment) and the watchers. Safe to call twice. */
  async close(): Promise<void> {
    await this.supervisor.close();
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
  }
}
