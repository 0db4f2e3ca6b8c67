import { rm } from 'node:fs/promises';
import { TypedEmitter } from '../domain/events.ts';
import { isFinished, type BroadcastProgram } from '../domain/program.ts';
import type { CheckpointSigner } from '../domain/live-checkpoint.ts';
import type { Logger } from '../domain/logger.ts';
import type { CompletedSegment } from '../pipeline/segment-watcher.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { appendEntry, emptyTimeline, endTimeline, renderMasterPlaylist, withSource, type PublicTimeline, type VariantInfo } from './playlist.ts';
import { PublicWriter, type DelayLineState } from './public-writer.ts';
import { RenderCache, type RenderHooks } from './render-cache.ts';
import type { PendingSegment } from './render-plan.ts';
import { SlotReleases, type Release, type ReleaseRecord } from './release.ts';
import type { SlateSource } from './slates.ts';
import { masterPlaylistKey } from './public-keys.ts';
import type { CaptionSource } from './caption-release.ts';
import { LANGUAGE_NAMES } from '../domain/captions.ts';

/** Events of a delay line. */
export interface DelayLineEvents {
  released: (record: ReleaseRecord) => void;
  finished: () => void;
}

export type { DelayLineState } from './public-writer.ts';
export type { ReleaseRecord } from './release.ts';

/** Options for one hearing's delay line. */
export interface DelayLineOptions extends RenderHooks {
  readonly hearingId: string;
  readonly delayMs: number;
  readonly segmentSeconds: number;
  /** Frames per second of every rung (frame k of a segment is k/fps from its first). */
  readonly fps?: number;
  readonly rungs: readonly string[];
  readonly variants: readonly VariantInfo[];
  readonly window: number;
  readonly publicStore: ObjectStore;
  /** Key prefix of this hearing in the public store. */
  readonly publicPrefix: string;
  readonly slates: SlateSource;
  readonly program: () => BroadcastProgram;
  /** False for a hearing that is not public: every slot is the no-broadcast card, whatever the program says. */
  readonly broadcast?: boolean;
  readonly persist: (state: DelayLineState) => Promise<void>;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly tickMs?: number;
  /** How long past a missing segment's due time before a standby slate fills the gap. */
  readonly gapGraceMs?: number;
  /**
   * Whether this node may release now. A node whose hold on the hearing is not confirmed takes
   * no decisions (the public playlist waits) rather than race a node that may be taking over.
   */
  readonly mayRelease?: () => boolean;
  /** The hearing's captions, published as a subtitle rendition per language; none by default. */
  readonly captions?: CaptionSource;
  /** Where the release position starts; by default a few slates before now - D, so the playlist starts at once. */
  readonly initial?: DelayLineState;
  /** Signs the live checkpoint published beside the playlists. */
  readonly checkpoints?: CheckpointSigner;
}

/** A marker where media stopped: the slot after it gets a slate even if media resumes quickly. */
interface GapMarker {
  readonly gap: true;
  readonly captureStart: number;
  readonly captureEnd: number;
}

type Pending = PendingSegment | GapMarker;
const isGap = (p: Pending): p is GapMarker => 'gap' in p;

/** How long past a missing segment's due time a slate waits, by default: a transcoder's hiccups. */
export const GAP_GRACE_MS = 1_500;
const filesOf = (p: Pending): string[] => (isGap(p) ? [] : Object.values(p.files));

/**
 * The delay line and release gate of one hearing. Pending segments wait until
 * `captureEnd + D`; then the gate asks the program whether they air or are replaced by a slate,
 * and only then is anything written to the public store. Decisions are taken synchronously and
 * move `releasedUntil` at once, so a cut can never race a release: what a cut dumps starts exactly
 * where the last decision ended.
 */
export class DelayLine extends TypedEmitter<DelayLineEvents> {
  private readonly pending: Pending[] = [];
  private readonly renders: RenderCache;
  private releasedUntilMs: number;
  private timeline: PublicTimeline;
  private writes: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private done = false;
  private readonly now: () => number;
  private readonly segmentMs: number;
  /** Where the published timeline will have reached once everything pending is released. */
  private pdtCursor: number;
  private repairTimer: NodeJS.Timeout | null = null;
  private readonly writer: PublicWriter;
  private readonly releases: SlotReleases;

  constructor(private readonly o: DelayLineOptions) {
    super((err, event) => o.logger.error({ hearingId: o.hearingId, err, event }, 'delay line listener failed'));
    this.now = o.now ?? Date.now;
    this.segmentMs = o.segmentSeconds * 1000;
    const fresh = this.now() - o.delayMs - 2 * this.segmentMs;
    // After a long outage (a restart), skip the dead time rather than release a burst of slates.
    this.releasedUntilMs = o.initial ? Math.max(o.initial.releasedUntil, fresh - 3 * this.segmentMs) : fresh;
    this.timeline = o.initial?.timeline ?? emptyTimeline();
    this.pdtCursor = this.timeline.lastProgramDateTime ?? Number.NEGATIVE_INFINITY;
    this.renders = new RenderCache({
      hearingId: o.hearingId,
      delayMs: o.delayMs,
      segmentMs: this.segmentMs,
      fps: o.fps ?? 30,
      broadcast: o.broadcast !== false,
      card: (kind) => o.slates.card(kind),
      logger: o.logger,
      ...(o.renderer ? { renderer: o.renderer } : {}),
      ...(o.transcoderBacklogMs ? { transcoderBacklogMs: o.transcoderBacklogMs } : {}),
      ...(o.rendersShed ? { rendersShed: o.rendersShed } : {}),
    });
    this.releases = new SlotReleases({ rungs: o.rungs, slates: o.slates, segmentSeconds: o.segmentSeconds, broadcast: o.broadcast !== false, renders: this.renders, now: this.now, ...(o.captions ? { captions: o.captions } : {}) });
    this.writer = new PublicWriter({
      hearingId: o.hearingId,
      publicStore: o.publicStore,
      publicPrefix: o.publicPrefix,
      rungs: o.rungs,
      languages: o.captions?.languages ?? [],
      window: o.window,
      segmentSeconds: o.segmentSeconds,
      slates: o.slates,
      persist: o.persist,
      logger: o.logger,
      onSubstitute: (seq, source) => (this.timeline = withSource(this.timeline, seq, source)),
      ...(o.checkpoints ? { checkpoints: o.checkpoints } : {}),
    });
  }

  /** Why the public store last refused a write, while it still does; null when all is published. */
  get publishFault(): string | null {
    return this.writer.fault;
  }

  /** Capture time up to which every decision has been taken. */
  get releasedUntil(): number {
    return this.releasedUntilMs;
  }

  /** Whether the public playlist has ended. */
  get finished(): boolean {
    return this.done;
  }

  /** The public timeline as last decided. */
  get publicTimeline(): PublicTimeline {
    return this.timeline;
  }

  /**
   * Marks that media stopped at `at` (the transcoder ended). The next segment-length slot airs a
   * slate, so viewers see that something happened rather than a silent jump in the picture.
   */
  markGap(at: number): void {
    if (this.done) return;
    this.pending.push({ gap: true, captureStart: at, captureEnd: at + this.segmentMs });
    this.pdtCursor = Math.max(at, this.pdtCursor) + this.segmentMs;
  }

  /** Queues a finished segment. Segments must arrive in capture order. */
  addPending(segment: CompletedSegment): void {
    if (this.done) {
      void this.removeFiles(filesOf(segment));
      return;
    }
    // The published timeline never runs backwards, so a segment listed a little early (clock
    // jitter) is published at the end of the one before. Fixing that instant now, not at
    // release, lets mask renders place frames on exactly the timeline the public will see; it
    // only ever moves later, so it stays an upper bound of the true capture time.
    const programDateTime = Math.max(segment.programDateTime, this.pdtCursor);
    this.pdtCursor = programDateTime + segment.durationSec * 1000;
    this.pending.push({ ...segment, programDateTime, pdtPushed: programDateTime > segment.programDateTime + 1 });
  }

  /**
   * Deletes the pending media of every segment not yet released (a cut). Their slots still get
   * decided at their due time and, being dumped, get the slate.
   */
  dumpPending(): number {
    const files = this.pending.flatMap(filesOf);
    for (let i = 0; i < this.pending.length; i++) {
      const s = this.pending[i] as Pending;
      if (!isGap(s)) this.pending[i] = { ...s, files: {} };
    }
    void this.removeFiles(files);
    return files.length;
  }

  /** Writes the master playlist and starts the release clock. */
  async start(): Promise<void> {
    await this.o.publicStore.put(masterPlaylistKey(this.o.publicPrefix), renderMasterPlaylist(this.o.variants, (this.o.captions?.languages ?? []).map((lang) => ({ lang, name: LANGUAGE_NAMES[lang] }))));
    this.tick();
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 100);
    // Outlives the release clock: a playlist held at the end must still be written when the disk is back.
    this.repairTimer = setInterval(() => this.repair(), 1_000);
  }

  /** Takes every decision that is due now. Synchronous by design; the writes follow in order. */
  tick(): void {
    if (this.done) return;
    if (this.o.mayRelease && !this.o.mayRelease()) return;
    const due = this.now() - this.o.delayMs;
    const program = this.o.program();
    this.renders.schedule(this.pending.filter((p): p is PendingSegment => !isGap(p)), program);
    for (let next = this.pending[0]; next && next.captureEnd <= due; next = this.pending[0]) {
      this.pending.shift();
      this.queue(isGap(next) ? this.gapSlate(program, next.captureStart) : this.decideSegment(next, program));
    }
    // Media is late (encoder lost, FFmpeg restarting): the public gets a slate rather than a stall.
    const grace = this.o.gapGraceMs ?? GAP_GRACE_MS;
    while (due - this.releasedUntilMs >= this.segmentMs + grace) {
      this.queue(this.gapSlate(program));
    }
    if (isFinished(program, this.releasedUntilMs)) this.finish(program);
  }

  private decideSegment(s: PendingSegment, program: BroadcastProgram): Release {
    this.releasedUntilMs = Math.max(this.releasedUntilMs, s.captureEnd);
    return this.releases.segment(s, program);
  }

  private gapSlate(program: BroadcastProgram, from = this.releasedUntilMs): Release {
    const start = from;
    const end = start + this.segmentMs;
    this.releasedUntilMs = Math.max(this.releasedUntilMs, end);
    const d = this.releases.decision(program, { start, end });
    return this.releases.slate(d.action === 'slate' ? d.slate : 'standby', 'gap', start, end, start, []);
  }

  private finish(program: BroadcastProgram): void {
    const end = program.endedAt ?? this.releasedUntilMs;
    this.queue(this.releases.slate('ended', 'program', end, end + this.segmentMs, end, []), true);
    this.done = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.pending.splice(0)) void this.removeFiles(filesOf(s));
  }

  /** Appends to the timeline now (so order is fixed) and publishes in the background, in order. */
  private queue(release: Release, last = false): void {
    const appended = appendEntry(this.timeline, release, this.o.window);
    this.timeline = last ? endTimeline(appended.timeline) : appended.timeline;
    const snapshot = this.timeline;
    const until = this.releasedUntilMs;
    const record = { ...release.record, seq: appended.entry.seq };
    this.writes = this.writes
      .then(() => this.publish(release, appended.entry.seq, { releasedUntil: until, timeline: snapshot }, appended.removed.map((r) => r.seq)))
      .then((outcome) => {
        if (outcome === null) return;
        this.emit('released', outcome === record.outcome ? record : { ...record, outcome, reason: 'store-fault' });
        if (last) this.emit('finished');
      })
      .catch((err: unknown) => this.o.logger.error({ hearingId: this.o.hearingId, err, seq: record.seq }, 'publishing failed'));
  }

  /** Publishes one release through the public writer, then cleans up its pending files. */
  private async publish(release: Release, seq: number, state: DelayLineState, removed: number[]): Promise<ReleaseRecord['outcome'] | null> {
    const outcome = await this.writer.release(seq, release.files, release.texts, state, removed);
    await this.removeFiles(release.cleanup);
    await release.afterwards?.();
    if (outcome === 'held') return null;
    return outcome === 'standby' ? 'standby' : release.record.outcome;
  }

  /** Retries a held playlist in line with the releases; finishes if the end was what was held. */
  private repair(): void {
    if (!this.writer.holding) return;
    this.writes = this.writes
      .then(async () => {
        const listed = await this.writer.repair();
        if (listed?.timeline.ended) this.emit('finished');
      })
      .catch((err: unknown) => this.o.logger.error({ hearingId: this.o.hearingId, err }, 'repairing the public playlist failed'));
  }

  private async removeFiles(files: readonly string[]): Promise<void> {
    await Promise.all(files.map((f) => rm(f, { force: true })));
  }

  /** Resolves when every queued write has landed. */
  async flushed(): Promise<void> {
    await this.writes;
  }

  /** Stops the clock. Pending media stays on disk (restart recovery may still release it). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.repairTimer) clearInterval(this.repairTimer);
    this.repairTimer = null;
    await this.writes;
    await this.writer.close();
  }
}
