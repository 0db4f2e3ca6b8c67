import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AUDIO_SAMPLE_RATE, type RungOptions } from '../media/args.ts';
import type { MediaLogger } from '../media/ffmpeg-process.ts';
import { maskRenderSpec, type RenderRung, type SegmentMask } from '../media/mask-filters.ts';
import { runFfmpeg } from '../media/run.ts';
import { aacFrameCount, continueCounters, firstPts } from '../media/ts-continuity.ts';

/** Renders one segment's rungs with masks; the delay line proves a release by the render's key. */
export interface MaskRenderer {
  render(job: { id: string; files: Readonly<Record<string, string>>; masks: readonly SegmentMask[] }): Promise<Record<string, string>>;
  /** Deletes a job's output. */
  discard(id: string): Promise<void>;
}

/** Options for the FFmpeg-backed renderer. */
export interface FfmpegMaskRendererOptions {
  readonly ffmpegPath: string;
  readonly ladder: readonly RungOptions[];
  readonly fps: number;
  readonly segmentSeconds: number;
  /** Private working directory (beside pending media, never under the public store). */
  readonly workDir: string;
  readonly logger: MediaLogger;
  /** Renders at once; the machine has two cores and the live transcode needs one. */
  readonly concurrency?: number;
}

/**
 * Re-renders pending segments with their masks, rung by rung, a bounded number at a time, as
 * drop-in replacements (same timestamps, continuity counters carried on). A failure (FFmpeg
 * error, killed process) rejects, and the delay line then airs the slate.
 */
export class FfmpegMaskRenderer implements MaskRenderer {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly o: FfmpegMaskRendererOptions) {}

  private async slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= (this.o.concurrency ?? 1)) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private dir(id: string): string {
    return path.join(this.o.workDir, id.replace(/[^A-Za-z0-9_-]/g, '_'));
  }

  async render(job: { id: string; files: Readonly<Record<string, string>>; masks: readonly SegmentMask[] }): Promise<Record<string, string>> {
    return this.slot(async () => {
      const dir = this.dir(job.id);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const rungs: RenderRung[] = [];
      const originals = new Map<string, Buffer>();
      for (const rung of this.o.ladder) {
        const input = job.files[rung.name];
        if (!input) throw new Error(`segment ${job.id} has no ${rung.name} rung`);
        const original = await readFile(input);
        originals.set(rung.name, original);
        const starts = firstPts(original);
        const origin = (rung.height !== undefined ? starts.video : starts.audio) ?? starts.audio ?? starts.video;
        if (origin === null || starts.audio === null) throw new Error(`segment ${job.id} ${rung.name}: no timestamps found`);
        const audioEnd = starts.audio + (aacFrameCount(original) * 1024) / AUDIO_SAMPLE_RATE;
        rungs.push({ rung, input, output: path.join(dir, `${rung.name}.ts.part`), origin, audioEnd });
      }
      const spec = maskRenderSpec({ rungs, masks: job.masks, fps: this.o.fps, segmentSeconds: this.o.segmentSeconds });
      await runFfmpeg(spec, { ffmpegPath: this.o.ffmpegPath, logger: this.o.logger, tags: { role: 'mask-render', job: job.id } }, 30_000);
      const out: Record<string, string> = {};
      for (const r of rungs) {
        // Counters continue the original's, so the segments either side still follow on.
        const output = path.join(dir, `${r.rung.name}.ts`);
        await writeFile(output, continueCounters(await readFile(r.output), originals.get(r.rung.name)!));
        await rm(r.output, { force: true });
        out[r.rung.name] = output;
      }
      return out;
    });
  }

  async discard(id: string): Promise<void> {
    await rm(this.dir(id), { recursive: true, force: true });
  }
}
