import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../domain/logger.ts';
import { masterSpec, type InputOptions } from '../media/args.ts';
import type { FfmpegSpec } from '../media/spec.ts';
import { FfmpegProcess, type FfmpegExit } from '../media/ffmpeg-process.ts';
import type { RestartPolicy } from '../media/restart-policy.ts';
import { Supervisor } from '../media/supervisor.ts';
import type { CaptureClock } from './capture-dating.ts';
import { sourceMasterDir } from './master-manifest.ts';
import { MasterSealer, type MasterSegment } from './master-sealer.ts';
import { logRelayWarnings } from './relay-warnings.ts';

/** The FFmpegs of one camera: its recorder, and for a pulled camera the relay into the ingest. */
export type SourceRole = 'source-master' | 'source-relay';

/** What recording one of a courtroom's further cameras needs. */
export interface SourceRecorderOptions {
  readonly hearingId: string;
  readonly source: string;
  /** The hearing's master directory; the source's goes under it (`sourceMasterDir`). */
  readonly masterDir: string;
  /** A fresh pull of the source's stream from the ingest, for each run. */
  readonly input: () => InputOptions;
  /** The ingest clock of the source's stream, whose timestamps each run keeps. */
  readonly clock: () => CaptureClock | null;
  readonly segmentSeconds: number;
  readonly ffmpegPath: string;
  readonly policy: RestartPolicy;
  readonly logger: Logger;
  readonly secrets?: () => readonly string[];
  readonly firstRun?: number;
  readonly now: () => number;
  readonly onSealed: (segment: MasterSegment) => void;
  /** Told of every exit of the camera's recorder or relay FFmpeg: the record needs each interruption. */
  readonly onExit?: (role: SourceRole, exit: FfmpegExit, run: number, willRestart: boolean) => void;
  /** A run's FFmpeg pid goes in this file in its directory, so a restarted server can stop an orphan. */
  readonly pidFile: string;
  /** For a camera that is pulled (RTSP): the relay that brings it into the ingest, given its run's progress file. */
  readonly gateway?: (progressFile: string) => FfmpegSpec;
}

/**
 * Records one of a courtroom's further cameras exactly as it reaches the ingest (a stream copy,
 * as the courtroom's own master is), dated on the camera's own clock and sealed segment by segment
 * in a manifest of its own, while the camera publishes. It is the record that every camera was
 * kept, whatever the program showed.
 */
export class SourceRecorder {
  private readonly supervisor: Supervisor;
  private readonly relay: Supervisor | null;
  private readonly runs = new Map<number, MasterSealer>();
  readonly dir: string;

  constructor(private readonly o: SourceRecorderOptions) {
    this.dir = sourceMasterDir(o.masterDir, o.source);
    this.supervisor = new Supervisor((run) => this.build(run), o.policy, o.logger, { hearingId: o.hearingId, role: 'source-master', source: o.source }, o.firstRun);
    this.relay = o.gateway ? new Supervisor((run) => this.buildRelay(run), o.policy, o.logger, { hearingId: o.hearingId, role: 'source-relay', source: o.source }, o.firstRun) : null;
    this.supervisor.on('exit', (exit, run, willRestart) => {
      void this.runs
        .get(run)
        ?.poll()
        .finally(() => this.runs.delete(run));
      o.onExit?.('source-master', exit, run, willRestart);
    });
    this.relay?.on('exit', (exit, run, willRestart) => o.onExit?.('source-relay', exit, run, willRestart));
  }

  /** A run's directory (`m0001`, `g0001`), made if need be. */
  private runDir(prefix: 'm' | 'g', run: number): string {
    const dir = path.join(this.dir, `${prefix}${String(run).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** One run's FFmpeg, its pid kept in its directory so a restarted server can stop an orphan. */
  private spawn(spec: FfmpegSpec, role: SourceRole, run: number, dir: string): FfmpegProcess {
    const proc = new FfmpegProcess(spec, {
      ffmpegPath: this.o.ffmpegPath,
      logger: this.o.logger,
      tags: { hearingId: this.o.hearingId, role, source: this.o.source, run },
      secrets: this.o.secrets?.() ?? [],
    });
    proc.on('spawned', (pid) => {
      if (pid !== undefined) writeFileSync(path.join(dir, this.o.pidFile), String(pid));
    });
    return proc;
  }

  private build(run: number): FfmpegProcess {
    const clock = this.o.clock();
    const dir = this.runDir('m', run);
    const sealer = new MasterSealer({
      run,
      dir,
      masterDir: this.dir,
      now: this.o.now,
      clock,
      onSealed: (m) => this.o.onSealed(m),
      onError: (err, file) => this.o.logger.error({ hearingId: this.o.hearingId, source: this.o.source, err, file }, "cannot seal a camera's master segment"),
    });
    this.runs.set(run, sealer);
    return this.spawn(masterSpec({ input: this.o.input(), masterDir: dir, segmentSeconds: this.o.segmentSeconds, keepTimestamps: clock !== null }), 'source-master', run, dir);
  }

  private buildRelay(run: number): FfmpegProcess {
    const dir = this.runDir('g', run);
    const proc = this.spawn(this.o.gateway!(path.join(dir, 'progress.txt')), 'source-relay', run, dir);
    logRelayWarnings(proc, this.o.logger, { hearingId: this.o.hearingId, source: this.o.source });
    return proc;
  }

  /** While the hearing is open, a pulled camera is pulled (a pushed one comes by itself). */
  start(): void {
    this.relay?.enable();
  }

  /** The camera publishes: record it. */
  connected(): void {
    this.supervisor.enable();
  }

  /** The camera left: what the ingest had sent is worked off, for at most `drainMs`. */
  lost(drainMs: number): Promise<void> {
    return this.supervisor.release(drainMs);
  }

  poll(): Promise<unknown> {
    return Promise.all([...this.runs.values()].map((s) => s.poll()));
  }

  async close(): Promise<void> {
    await Promise.all([this.supervisor.close(), this.relay?.close()]);
    await this.poll();
  }
}
