import { CourtcastError } from '../domain/errors.ts';
import { FfmpegProcess, type FfmpegProcessOptions } from './ffmpeg-process.ts';
import type { FfmpegSpec } from './spec.ts';

/** Runs a finite FFmpeg job (a slate render, a probe) and resolves when it succeeded. */
export async function runFfmpeg(spec: FfmpegSpec, opts: FfmpegProcessOptions, timeoutMs = 60_000): Promise<void> {
  const proc = new FfmpegProcess(spec, opts);
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  proc.start();
  const exit = await proc.exited;
  clearTimeout(timer);
  if (exit.code !== 0) {
    throw new CourtcastError('INTERNAL', `FFmpeg job failed: ${exit.message}`, undefined, { cause: exit });
  }
}
