import type { ChildProcess } from 'node:child_process';
import ffmpeg from 'fluent-ffmpeg';
import { TypedEmitter } from '../domain/events.ts';
import type { Logger } from '../domain/logger.ts';
import { specToArgs, type FfmpegSpec } from './spec.ts';
import { tuneChildMalloc } from './malloc-tuning.ts';

/** How a child FFmpeg ended. `failedToStart` means it never spawned (bad path, bad arguments). */
export interface FfmpegExit {
  readonly code: number | null;
  readonly signal: string | null;
  readonly failedToStart: boolean;
  readonly ranMs: number;
  readonly message: string;
}

/** Events of one FFmpeg child. */
export interface FfmpegProcessEvents {
  /** FFmpeg spawned; `pid` is its process id. */
  spawned: (pid: number | undefined) => void;
  /** One line of FFmpeg's stderr. */
  stderr: (line: string) => void;
  /** The process is gone, for whatever reason. Emitted exactly once. */
  exit: (exit: FfmpegExit) => void;
}

/** Options for one FFmpeg child. */
export interface FfmpegProcessOptions {
  readonly ffmpegPath: string;
  readonly logger: Logger;
  /** Tags added to every log line (hearing, run, role). */
  readonly tags: Record<string, unknown>;
  /** Strings (stream keys, tokens) replaced by *** wherever this class logs. */
  readonly secrets?: readonly string[];
  /**
   * Scheduling niceness (0 normal, up to 19 lowest): background jobs such as mask renders run
   * nicer than the live transcode, so they take only the CPU it leaves.
   */
  readonly niceness?: number;
}

/**
 * One FFmpeg child process, driven through fluent-ffmpeg (the only place that touches it).
 * `start()` spawns it; `exited` settles when it is gone; `close()` stops it and is safe to call
 * twice. A media failure never throws out of here: it becomes an `exit` event.
 */
export class FfmpegProcess extends TypedEmitter<FfmpegProcessEvents> {
  private command: ffmpeg.FfmpegCommand | null = null;
  private startedAt = 0;
  private spawned = false;
  private done = false;
  private closing: Promise<void> | null = null;
  private pendingSignal: NodeJS.Signals | null = null;
  private resolveExit!: (e: FfmpegExit) => void;
  /** Settles once, with how the process ended. */
  readonly exited: Promise<FfmpegExit>;
  private readonly stderrTail: string[] = [];

  constructor(
    private readonly spec: FfmpegSpec,
    private readonly opts: FfmpegProcessOptions,
  ) {
    super((err, event) => opts.logger.error({ ...opts.tags, err, event }, 'ffmpeg listener failed'));
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  /**
   * fluent-ffmpeg exposes the ChildProcess only while it runs (on an undocumented field), so it is
   * kept here at start: it is the only source of the exit code and signal.
   */
  private child: ChildProcess | undefined;

  /** The OS process id, once spawned. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The full argument list, as logged on failure, with secrets redacted. */
  get args(): string[] {
    return specToArgs(this.spec).map((a) => this.redact(a));
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.opts.secrets ?? []) if (secret.length >= 4) out = out.replaceAll(secret, '***');
    return out;
  }

  /** Spawns FFmpeg. Calling it twice is a programming error. */
  start(): void {
    if (this.command) throw new Error('FfmpegProcess.start called twice');
    tuneChildMalloc();
    // fluent-ffmpeg starts a nice child through `nice`, which execs FFmpeg: same pid, nice from its first instruction.
    const cmd = ffmpeg(this.opts.niceness ? { niceness: this.opts.niceness } : {}).setFfmpegPath(this.opts.ffmpegPath);
    for (const input of this.spec.inputs) {
      cmd.input(input.url);
      if (input.options.length > 0) cmd.inputOptions(...splatOptions(input.options));
    }
    if (this.spec.complexFilter) cmd.complexFilter(this.spec.complexFilter);
    for (const output of this.spec.outputs) {
      cmd.output(output.target);
      if (output.options.length > 0) cmd.outputOptions(...splatOptions(output.options));
    }
    cmd.on('start', () => {
      this.child = (cmd as unknown as { ffmpegProc?: ChildProcess }).ffmpegProc;
      this.spawned = true;
      this.startedAt = Date.now();
      this.emit('spawned', this.pid);
      if (this.pendingSignal) cmd.kill(this.pendingSignal);
    });
    cmd.on('stderr', (raw: string) => {
      const line = this.redact(raw);
      this.stderrTail.push(line);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
      this.opts.logger.debug({ ...this.opts.tags, line }, 'ffmpeg');
      this.emit('stderr', line);
    });
    // Code and signal come from the child itself, never from parsing fluent's message text.
    cmd.on('end', () => this.finish('exited normally'));
    cmd.on('error', (err: Error) => this.finish(this.redact(err.message)));
    this.startedAt = Date.now();
    this.command = cmd;
    cmd.run();
  }

  private finish(message: string): void {
    if (this.done) return;
    this.done = true;
    const code = this.child?.exitCode ?? null;
    const signal = this.child?.signalCode ?? null;
    const exit: FfmpegExit = { code, signal, failedToStart: !this.spawned, ranMs: Date.now() - this.startedAt, message };
    const level = this.closing || code === 0 ? 'info' : 'warn';
    this.opts.logger[level](
      { ...this.opts.tags, ...exit, args: level === 'warn' ? this.args : undefined, stderr: this.stderrTail.slice(-8) },
      'ffmpeg exited',
    );
    this.resolveExit(exit);
    this.emit('exit', exit);
  }

  /** Sends a signal without waiting (tests and emergency stops). */
  kill(signal: NodeJS.Signals): void {
    if (this.done) return;
    // fluent-ffmpeg spawns asynchronously and drops a signal sent before: keep it for the spawn.
    if (!this.spawned) this.pendingSignal = signal;
    else this.command?.kill(signal);
  }

  /**
   * Stops FFmpeg: SIGINT first so it finishes the segment it is writing and its playlists,
   * SIGKILL after `graceMs`. Safe to call twice and before start.
   */
  close(graceMs = 3000): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      if (!this.command || this.done) return;
      this.kill('SIGINT');
      const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    })();
    return this.closing;
  }
}

/**
 * fluent-ffmpeg splits a lone string (or a one-argument array) on spaces, which would break filter
 * expressions; several arguments are taken verbatim. A lone option must therefore have no space.
 */
function splatOptions(options: readonly string[]): string[] {
  if (options.length === 1 && options[0]?.includes(' ')) throw new Error(`ambiguous lone FFmpeg option: ${options[0]}`);
  return [...options];
}
