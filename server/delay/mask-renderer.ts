import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AUDIO_SAMPLE_RATE, type RungOptions } from '../media/args.ts';
import type { Logger } from '../domain/logger.ts';
import { maskRenderSpec, type RenderRung, type SegmentMask } from '../media/mask-filters.ts';
import { runFfmpeg } from '../media/run.ts';
import { aacFrameCount, continueCounters, firstPts } from '../media/ts-continuity.ts';

/**
 * Renders run at this niceness: with the live transcode at 0, the kernel gives a render about a
 * tenth of a contended core, so a render never makes the transcoder miss real time; it only
 * finishes later, and one that could not finish before its release is not started.
 */
const RENDER_NICENESS = 10;

/** One segment to re-render. */
export interface RenderJob {
  readonly id: string;
  readonly files: Readonly<Record<string, string>>;
  readonly masks: readonly SegmentMask[];
  /** When the segment is released: a render that cannot finish by then is not started. */
  readonly deadline?: number;
  /**
   * The timestamp (s) of the segment's first frame, from which the masks count on every rung. The
   * audio-only rung has no frames of its own and its sound need not start there.
   */
  readonly origin?: number;
}

export interface MaskRenderer {
  render(job: RenderJob): Promise<Record<string, string>>;
  /** Deletes a job's output. */
  discard(id: string): Promise<void>;
}

/** A render that re-encodes pictures takes several times one that re-encodes only sound. */
const kindOf = (job: RenderJob): 'picture' | 'sound' => (job.masks.some((m) => m.region || m.kind === 'slate') ? 'picture' : 'sound');

/** Options for the FFmpeg-backed renderer. */
export interface FfmpegMaskRendererOptions {
  readonly ffmpegPath: string;
  readonly ladder: readonly RungOptions[];
  readonly fps: number;
  readonly segmentSeconds: number;
  /** Private working directory (beside pending media, never under the public store). */
  readonly workDir: string;
  readonly logger: Logger;
  /** Renders at once; the machine has two cores and the live transcode needs one. */
  readonly concurrency?: number;
}

/** Why a render was given up without being made; the segment airs as the card if nothing replaces it. */
export class RenderNotMade extends Error {
  constructor(
    readonly id: string,
    readonly reason: 'superseded' | 'too-late',
  ) {
    super(reason === 'superseded' ? `segment ${id}: a newer render replaced this one` : `segment ${id}: a render could not finish before its release`);
  }
}

interface Queued {
  readonly job: RenderJob;
  readonly resolve: (files: Record<string, string>) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Re-renders pending segments with their masks, rung by rung, a bounded number at a time, as
 * drop-in replacements (same timestamps, continuity counters carried on). A failure (FFmpeg
 * error, killed process) rejects, and the delay line then airs the slate.
 *
 * Waiting renders go by release, earliest first: in a storm of masks the segment that airs next
 * is the one whose render still matters. A render asked for again (its segment's masks changed
 * meanwhile) replaces the earlier one, waiting or running, since only the newest can air.
 */
export class FfmpegMaskRenderer implements MaskRenderer {
  private readonly queue: Queued[] = [];
  private readonly running = new Map<string, AbortController>();
  /**
   * How long the last render of each kind took, the estimate for the next: one that re-encodes
   * pictures takes several times one that re-encodes only sound.
   */
  private readonly lastMs = { picture: 0, sound: 0 };

  constructor(private readonly o: FfmpegMaskRendererOptions) {}

  render(job: RenderJob): Promise<Record<string, string>> {
    for (const q of this.queue.filter((w) => w.job.id === job.id)) {
      this.queue.splice(this.queue.indexOf(q), 1);
      q.reject(new RenderNotMade(job.id, 'superseded'));
    }
    this.running.get(job.id)?.abort();
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    const limit = this.o.concurrency ?? 1;
    while (this.running.size < limit) {
      // A segment's earlier render may still be stopping: its successor waits for the directory.
      const ready = this.queue.filter((q) => !this.running.has(q.job.id));
      const next = ready.reduce<Queued | undefined>((a, q) => (a === undefined || (q.job.deadline ?? Infinity) < (a.job.deadline ?? Infinity) ? q : a), undefined);
      if (!next) return;
      this.queue.splice(this.queue.indexOf(next), 1);
      // When renders fall behind, one that would finish after its segment's release only delays
      // the ones behind it (its segment airs as the card either way): skip it, so they still
      // make their releases.
      if (next.job.deadline !== undefined && Date.now() + this.lastMs[kindOf(next.job)] > next.job.deadline) {
        next.reject(new RenderNotMade(next.job.id, 'too-late'));
        continue;
      }
      const abort = new AbortController();
      this.running.set(next.job.id, abort);
      this.make(next.job, abort.signal)
        .then(next.resolve, (err: unknown) => next.reject(abort.signal.aborted ? new RenderNotMade(next.job.id, 'superseded') : err))
        .finally(() => {
          this.running.delete(next.job.id);
          this.pump();
        });
    }
  }

  private dir(id: string): string {
    return path.join(this.o.workDir, id.replace(/[^A-Za-z0-9_-]/g, '_'));
  }

  private async make(job: RenderJob, signal: AbortSignal): Promise<Record<string, string>> {
    const started = Date.now();
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
      // Masks and slate windows count from the segment's first frame; the audio-only rung's sound
      // starts where its own muxer cut it, so it counts from that frame too, not from its sound.
      const origin = (rung.height !== undefined ? starts.video : (job.origin ?? starts.audio)) ?? starts.audio ?? starts.video;
      if (origin === null || starts.audio === null) throw new Error(`segment ${job.id} ${rung.name}: no timestamps found`);
      const audioEnd = starts.audio + (aacFrameCount(original) * 1024) / AUDIO_SAMPLE_RATE;
      rungs.push({ rung, input, output: path.join(dir, `${rung.name}.ts.part`), origin, audioEnd });
    }
    const spec = maskRenderSpec({ rungs, masks: job.masks, fps: this.o.fps, segmentSeconds: this.o.segmentSeconds });
    await runFfmpeg(spec, { ffmpegPath: this.o.ffmpegPath, logger: this.o.logger, tags: { role: 'mask-render', job: job.id }, niceness: RENDER_NICENESS }, 30_000, signal);
    const out: Record<string, string> = {};
    for (const r of rungs) {
      // Counters continue the original's, so the segments either side still follow on.
      const output = path.join(dir, `${r.rung.name}.ts`);
      await writeFile(output, continueCounters(await readFile(r.output), originals.get(r.rung.name)!));
      await rm(r.output, { force: true });
      out[r.rung.name] = output;
    }
    this.lastMs[kindOf(job)] = Date.now() - started;
    return out;
  }

  async discard(id: string): Promise<void> {
    await rm(this.dir(id), { recursive: true, force: true });
  }
}
