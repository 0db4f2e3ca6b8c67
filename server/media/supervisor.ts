import { TypedEmitter } from '../domain/events.ts';
import type { FfmpegExit, FfmpegProcess } from './ffmpeg-process.ts';
import type { Logger } from '../domain/logger.ts';
import type { RestartPolicy } from './restart-policy.ts';

/** Events of a supervisor. */
export interface SupervisorEvents {
  /** A new run began; `run` counts from 1 over the supervisor's life. */
  run: (process: FfmpegProcess, run: number) => void;
  /** A run ended. `willRestart` tells whether another run is scheduled. */
  exit: (exit: FfmpegExit, run: number, willRestart: boolean) => void;
}

/**
 * Keeps one FFmpeg running while enabled: any exit (FFmpeg exits 0 even when its source is lost)
 * is followed by a restart after the policy's delay. Disabled, it stops the child and waits.
 */
export class Supervisor extends TypedEmitter<SupervisorEvents> {
  private current: FfmpegProcess | null = null;
  private runNo = 0;
  private attempt = 0;
  private enabled = false;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly factory: (run: number) => FfmpegProcess,
    private readonly policy: RestartPolicy,
    private readonly logger: Logger,
    private readonly tags: Record<string, unknown>,
    /** Runs are numbered from here, so a restarted server never reuses a run's directory. */
    firstRun = 1,
  ) {
    super((err, event) => logger.error({ ...tags, err, event }, 'supervisor listener failed'));
    this.runNo = firstRun - 1;
  }

  /** The running child, if any. */
  get process(): FfmpegProcess | null {
    return this.current;
  }

  /** The number of the latest run. */
  get runNumber(): number {
    return this.runNo;
  }

  /** Starts (or keeps) a child running. */
  enable(): void {
    if (this.closed) return;
    this.enabled = true;
    if (!this.current && !this.timer) this.spawn();
  }

  /**
   * Stops restarting, and lets the running child end on its own: its source ended (the encoder
   * left, and the ingest told the puller so after the media it had sent), so it first works off
   * whatever it still had to read. A child that has not ended within `graceMs` is stopped. Enabled
   * again meanwhile (the encoder is back), a new child starts once this one has ended.
   */
  async release(graceMs: number): Promise<void> {
    this.enabled = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const proc = this.current;
    if (!proc) return;
    const timer = setTimeout(() => void proc.close(), graceMs);
    timer.unref();
    await proc.exited;
    clearTimeout(timer);
  }

  /**
   * Starts a new run at once, as if the last one had been healthy: what held it back has gone (a
   * disk that refused its writes has room again, a camera came). A child that is still running is
   * stopped first when `replaceRunning` says so (its files may be broken, its inputs changed);
   * otherwise it is left alone. `why` goes in the log.
   */
  async restartNow(replaceRunning: boolean, why = 'its run was writing to a disk that failed'): Promise<void> {
    if (!this.enabled || this.closed) return;
    this.attempt = 0;
    if (this.timer) {
      clearTimeout(this.timer);
      this.spawn();
      return;
    }
    const proc = this.current;
    if (!proc || !replaceRunning) return;
    // Its exit schedules the next run after the policy's first delay, from attempt 1.
    this.logger.warn({ ...this.tags }, `restarting FFmpeg: ${why}`);
    await proc.close();
  }

  /** Stops the child and does not restart it until enabled again. */
  async disable(): Promise<void> {
    this.enabled = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current?.close();
  }

  private spawn(): void {
    this.timer = null;
    if (!this.enabled || this.closed) return;
    const run = ++this.runNo;
    let proc: FfmpegProcess;
    try {
      proc = this.factory(run);
    } catch (err) {
      // Building a run makes its directories: a full or failing disk refuses them. That is a
      // failed start like any other, retried after the policy's delay, not a reason to stop.
      this.attempt++;
      const delay = this.policy(this.attempt, { code: null, signal: null, failedToStart: true, ranMs: 0 });
      this.logger.error({ ...this.tags, err, run, retryInMs: delay }, 'could not prepare an FFmpeg run');
      if (delay === false) this.enabled = false;
      else this.timer = setTimeout(() => this.spawn(), delay);
      return;
    }
    this.current = proc;
    proc.on('exit', (exit) => this.onExit(proc, exit, run));
    this.emit('run', proc, run);
    proc.start();
  }

  private onExit(proc: FfmpegProcess, exit: FfmpegExit, run: number): void {
    if (this.current === proc) this.current = null;
    if (!this.enabled || this.closed) {
      this.emit('exit', exit, run, false);
      return;
    }
    this.attempt = exit.ranMs >= this.policy.healthyMs ? 1 : this.attempt + 1;
    const delay = this.policy(this.attempt, exit);
    this.emit('exit', exit, run, delay !== false);
    if (delay === false) {
      this.enabled = false;
      this.logger.error({ ...this.tags, run, attempt: this.attempt }, 'giving up restarting FFmpeg');
      return;
    }
    this.timer = setTimeout(() => this.spawn(), delay);
  }

  /** Stops for good. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    await this.disable();
  }
}
