import { FfmpegProcess } from './ffmpeg-process.ts';
import type { Logger } from '../domain/logger.ts';
import { backoffPolicy } from './restart-policy.ts';
import { Supervisor } from './supervisor.ts';
import { syntheticEncoderSpec, type SyntheticEncoderOptions } from './synthetic.ts';

/**
 * A synthetic courtroom encoder that keeps pushing, like a hardware encoder that reconnects on
 * its own. Each restart continues the frame counter from the wall clock, so counters stay
 * comparable across restarts.
 */
export class SyntheticEncoder {
  private readonly supervisor: Supervisor;

  constructor(
    o: Omit<SyntheticEncoderOptions, 'frameOffset'> & { readonly counterEpochMs: number },
    ffmpegPath: string,
    logger: Logger,
  ) {
    const frameMs = 1000 / o.fps;
    this.supervisor = new Supervisor(
      () => {
        const frameOffset = Math.max(0, Math.round((Date.now() - o.counterEpochMs) / frameMs));
        return new FfmpegProcess(syntheticEncoderSpec({ ...o, frameOffset }), { ffmpegPath, logger, tags: { role: 'synthetic-encoder' } });
      },
      backoffPolicy({ baseMs: 1000, maxMs: 5000, healthyMs: 10_000 }),
      logger,
      { role: 'synthetic-encoder' },
    );
  }

  /** Starts pushing. */
  start(): void {
    this.supervisor.enable();
  }

  /** Stops for good. */
  close(): Promise<void> {
    return this.supervisor.close();
  }
}
