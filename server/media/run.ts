import { CourtcastError } from '../domain/errors.ts';
import { FfmpegProcess, type FfmpegProcessOptions } from './ffmpeg-process.ts';
import type { FfmpegSpec } from './spec.ts';

/**
 * Runs a finite FFmpeg job (a slate render, a probe) and resolves when it succeeded. An abort
 * (the job is no longer wanted) kills the process, which then rejects like any failure.
 */
export async function runFfmpeg(spec: FfmpegSpec, opts: FfmpegProcessOptions, timeoutMs = 60_000, signal?: AbortSignal): Promise<void> {
  const proc = new FfmpegProcess(spec, opts);
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const abort = () => proc.kill('SIGKILL');
  signal?.addEventListener('abort', abort, { once: true });
  proc.start();
  if (signal?.aborted) abort();
  const exit = await proc.exited;
  clearTimeout(timer);
  signal?.removeEventListener('abort', abort);
  if (exit.code !== 0) {
    throw new CourtcastError('INTERNAL', `FFmpeg job failed: ${exit.message}`, undefined, { cause: exit });
  }
}
