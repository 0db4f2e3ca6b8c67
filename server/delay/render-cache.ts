import type { BroadcastProgram } from '../domain/program.ts';
import type { Logger } from '../domain/logger.ts';
import type { SlateCard } from '../media/args.ts';
import type { PublicSlate } from './slates.ts';
import type { CompletedSegment } from '../pipeline/segment-watcher.ts';
import { RenderNotMade, type MaskRenderer } from './mask-renderer.ts';
import { liveProven, renderPlan, segmentId, type PendingSegment, type RenderPlan } from './render-plan.ts';

/**
 * A transcoder keeping up trails the ingest by up to a segment plus its encoding latency; one
 * that trails by more than two segments and a second is behind real time.
 */
const BEHIND_SEGMENTS = 2;
const BEHIND_SLACK_MS = 1_000;

interface Job {
  readonly key: string;
  state: 'running' | 'done' | 'failed';
  files?: Record<string, string>;
}

/** How renders are made and when they are needed; the delay line passes these through. */
export interface RenderHooks {
  /** Without one, nothing is rendered (every masked segment airs as the card). */
  readonly renderer?: MaskRenderer;
  /** How far the live transcoder trails the ingest, in ms; renders wait while it is behind. */
  readonly transcoderBacklogMs?: () => number;
  /** True while the hearing has shed renders under overload (domain/shedding.ts): none starts. */
  readonly rendersShed?: () => boolean;
}

/** Options for a hearing's render cache. */
export interface RenderCacheOptions extends RenderHooks {
  readonly hearingId: string;
  readonly delayMs: number;
  readonly segmentMs: number;
  readonly fps: number;
  /** False for a hearing that is not public: nothing of it airs, so no edge is ever spliced. */
  readonly broadcast: boolean;
  /** The card of each slate in the hearing's language, drawn over a segment's off-air frames. */
  readonly card: (kind: PublicSlate) => SlateCard;
  readonly logger: Logger;
}

/**
 * The renders of one hearing's pending segments, by segment: started when a segment's plan
 * changes (a mask added or lifted, an edge placed), and consulted by the gate at release, where
 * only a finished render of exactly the segment's current plan counts.
 */
export class RenderCache {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly o: RenderCacheOptions) {}

  /** The render a segment needs under this program, or null. */
  plan(s: PendingSegment, program: BroadcastProgram): RenderPlan | null {
    return renderPlan(s, program, { fps: this.o.fps, broadcast: this.o.broadcast, card: this.o.card });
  }

  /**
   * Starts a render for every pending segment whose plan changed since its last render. Called at
   * every tick, so a mask added or lifted reaches every segment still in the window.
   */
  schedule(pending: Iterable<PendingSegment>, program: BroadcastProgram): void {
    const renderer = this.o.renderer;
    if (!renderer) return;
    // A transcoder that has fallen behind gets the machine to itself until it catches up: a render
    // started now would slow it further. Segments whose release comes first air as the card
    // (unproven masks); the rest are rendered once it has caught up.
    if ((this.o.transcoderBacklogMs?.() ?? 0) > BEHIND_SEGMENTS * this.o.segmentMs + BEHIND_SLACK_MS) return;
    // Shed for longer: from the moment the transcoder is judged to fall behind until it has kept
    // real time for a while, so renders do not tip it straight back.
    if (this.o.rendersShed?.()) return;
    for (const s of pending) {
      if (Object.keys(s.files).length === 0) continue;
      const plan = this.plan(s, program);
      const id = segmentId(s);
      if (plan === null || this.jobs.get(id)?.key === plan.key) continue;
      if (plan.windows === null && liveProven(s, plan.over)) continue;
      const job: Job = { key: plan.key, state: 'running' };
      this.jobs.set(id, job);
      renderer
        .render({ id, files: s.files, masks: plan.masks, deadline: s.captureEnd + this.o.delayMs, ...(s.pts?.[0] !== undefined ? { origin: s.pts[0] } : {}) })
        .then((files) => {
          job.state = 'done';
          job.files = files;
        })
        .catch((err: unknown) => {
          job.state = 'failed';
          // A replaced render is expected in a storm of masks; its successor decides what airs.
          if (err instanceof RenderNotMade && err.reason === 'superseded') return;
          if (err instanceof RenderNotMade) this.o.logger.warn({ hearingId: this.o.hearingId, segment: id }, 'mask render skipped: it could not finish before its release, so the segment airs as the card');
          else this.o.logger.error({ hearingId: this.o.hearingId, err, segment: id }, 'mask render failed: the segment will air as a slate');
        });
    }
  }

  /**
   * Takes a segment's render out of the cache at its release: its files if it finished for exactly
   * `plan`, and how to delete its output once whatever airs is published.
   */
  take(s: CompletedSegment, plan: RenderPlan | null): { files: Record<string, string> | null; discard?: () => Promise<void> } {
    const id = segmentId(s);
    const job = this.jobs.get(id);
    this.jobs.delete(id);
    const renderer = this.o.renderer;
    const files = job && plan && job.key === plan.key && job.state === 'done' && job.files ? job.files : null;
    return { files, ...(job && renderer ? { discard: () => renderer.discard(id) } : {}) };
  }
}
