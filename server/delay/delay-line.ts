import { rm } from 'node:fs/promises';
import { TypedEmitter } from '../domain/events.ts';
import { decide, isFinished, slateWindows, type BroadcastProgram, type ReleaseDecision } from '../domain/program.ts';
import type { MediaLogger } from '../media/ffmpeg-process.ts';
import type { CompletedSegment } from '../pipeline/segment-watcher.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { appendEntry, emptyTimeline, endTimeline, renderMasterPlaylist, withSource, type EntrySource, type PublicTimeline, type VariantInfo } from './playlist.ts';
import { PublicWriter, type DelayLineState } from './public-writer.ts';
import { SLATE_TEXT, type PublicSlate, type SlateSource } from './slates.ts';
import type { MaskRenderer } from './mask-renderer.ts';
import { masksOver, renderKey, type Mask } from '../domain/masks.ts';
import type { SegmentMask } from '../media/mask-filters.ts';
import type { SlateWindow } from '../domain/program.ts';
import { frameOffsets } from '../pipeline/capture-dating.ts';

const segmentId = (s: CompletedSegment): string => `r${s.run}-${s.index}`;

/**
 * A transcoder keeping up trails the ingest by up to a segment plus its encoding latency; one
 * that trails by more than two segments and a second is behind real time.
 */
const BEHIND_SEGMENTS = 2;
const BEHIND_SLACK_MS = 1_000;

/**
 * Masks on a segment's own clock, in seconds from its first frame. A segment dated on the ingest
 * clock knows each frame's capture instant, so a mask covers exactly the frames captured inside
 * it, however late the transcoder ran. Without them (an input with no ingest clock) only the
 * segment's bounds are known: a mask starting before the segment's capture end covers it from
 * the first frame, and an end maps from the capture start (covering every frame that may precede
 * it), except a retroactive end given on an unpushed published timeline, which maps exactly.
 */
export function segmentMasks(masks: readonly Mask[], s: CompletedSegment & { readonly pdtPushed?: boolean }, fps: number): SegmentMask[] {
  return masks.flatMap((m) => {
    if (m.kind === 'card') return [];
    const extra = { ...(m.region ? { region: m.region } : {}), ...(m.pitch ? { pitch: m.pitch } : {}) };
    if (s.frames && s.frames.length > 0) return [{ kind: m.kind, ...extra, ...frameOffsets(s.frames, m.start, m.end, fps, s.durationSec) }];
    // Without per-frame dates a frame's capture may lie anywhere up to the segment's end, so a
    // mask that starts before that end covers the segment from its first frame.
    const from = m.start < s.captureEnd ? 0 : (m.start - s.programDateTime) / 1000;
    const exact = m.exactEnd === true && s.pdtPushed !== true;
    const to = m.end === null ? s.durationSec + 1 : (m.end - (exact ? s.programDateTime : s.captureStart)) / 1000;
    return [{ kind: m.kind, ...extra, from, to }];
  });
}

/** What happened to one slot of the public timeline; observed by audit and metrics. */
export interface ReleaseRecord {
  readonly seq: number;
  readonly captureStart: number;
  readonly captureEnd: number;
  /** `aired` = program media; otherwise the slate that stood in, and why. */
  readonly outcome: 'aired' | PublicSlate;
  readonly reason: 'program' | 'gap' | 'media-missing' | 'mask-unproven' | 'store-fault';
  /** For aired media: whether it aired re-rendered with masks. */
  readonly masked?: boolean;
  /** For masked media: proven by live mask slots rather than re-rendered. */
  readonly live?: boolean;
  /** Aired with a program edge inside: its off-air frames replaced by the slate picture. */
  readonly spliced?: boolean;
  readonly releasedAt: number;
}

/** Events of a delay line. */
export interface DelayLineEvents {
  released: (record: ReleaseRecord) => void;
  finished: () => void;
}

export type { DelayLineState } from './public-writer.ts';

/** Options for one hearing's delay line. */
export interface DelayLineOptions {
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
  /** Re-renders segments that masks touch; without it, any masked segment gets the slate. */
  readonly renderer?: MaskRenderer;
  /** Proves that a segment already carries these masks from live mask slots (no render needed). */
  readonly liveProof?: (segment: CompletedSegment, masks: readonly Mask[]) => boolean;
  /** How far the live transcoder trails the ingest, in ms; renders wait while it is behind. */
  readonly transcoderBacklogMs?: () => number;
  readonly program: () => BroadcastProgram;
  /** False for a hearing that is not public: every slot is the no-broadcast card, whatever the program says. */
  readonly broadcast?: boolean;
  readonly persist: (state: DelayLineState) => Promise<void>;
  readonly logger: MediaLogger;
  readonly now?: () => number;
  readonly tickMs?: number;
  /** How long past a missing segment's due time before a standby slate fills the gap. */
  readonly gapGraceMs?: number;
  /** Where the release position starts; by default a few slates before now - D, so the playlist starts at once. */
  readonly initial?: DelayLineState;
}

/** A marker where media stopped: the slot after it gets a slate even if media resumes quickly. */
interface GapMarker {
  readonly gap: true;
  readonly captureStart: number;
  readonly captureEnd: number;
}

/** A segment waiting for release, with whether its published date had to be pushed later. */
type PendingSegment = CompletedSegment & { readonly pdtPushed?: boolean };
type Pending = PendingSegment | GapMarker;
const isGap = (p: Pending): p is GapMarker => 'gap' in p;
const filesOf = (p: Pending): string[] => (isGap(p) ? [] : Object.values(p.files));

/** A write to the public store, prepared synchronously and carried out in order. */
interface Release {
  readonly record: ReleaseRecord;
  readonly source: EntrySource;
  readonly durationSec: number;
  readonly programDateTime: number;
  /** Local file per rung to publish. */
  readonly files: Readonly<Record<string, string>>;
  /** Pending files to delete once published. */
  readonly cleanup: readonly string[];
  /** Work to do once published (dropping a mask render). */
  readonly afterwards?: () => Promise<void>;
}

/**
 * The delay line and release gate of one hearing. Pending segments wait until
 * `captureEnd + D`; then the gate asks the program whether they air or are replaced by a slate,
 * and only then is anything written to the public store. Decisions are taken synchronously and
 * move `releasedUntil` at once, so a cut can never race a release: what a cut dumps starts exactly
 * where the last decision ended.
 */
export class DelayLine extends TypedEmitter<DelayLineEvents> {
  private readonly pending: Pending[] = [];
  /** Mask renders by segment id; a render proves a release only for its own key. */
  private readonly renders = new Map<string, { key: string; state: 'running' | 'done' | 'failed'; files?: Record<string, string> }>();
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

  constructor(private readonly o: DelayLineOptions) {
    super((err, event) => o.logger.error({ hearingId: o.hearingId, err, event }, 'delay line listener failed'));
    this.now = o.now ?? Date.now;
    this.segmentMs = o.segmentSeconds * 1000;
    const fresh = this.now() - o.delayMs - 2 * this.segmentMs;
    // After a long outage (a restart), skip the dead time rather than release a burst of slates.
    this.releasedUntilMs = o.initial ? Math.max(o.initial.releasedUntil, fresh - 3 * this.segmentMs) : fresh;
    this.timeline = o.initial?.timeline ?? emptyTimeline();
    this.pdtCursor = this.timeline.lastProgramDateTime ?? Number.NEGATIVE_INFINITY;
    this.writer = new PublicWriter({
      hearingId: o.hearingId,
      publicStore: o.publicStore,
      publicPrefix: o.publicPrefix,
      rungs: o.rungs,
      window: o.window,
      segmentSeconds: o.segmentSeconds,
      slates: o.slates,
      persist: o.persist,
      logger: o.logger,
      onSubstitute: (seq, source) => (this.timeline = withSource(this.timeline, seq, source)),
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
    await this.o.publicStore.put(`${this.o.publicPrefix}/master.m3u8`, renderMasterPlaylist(this.o.variants));
    this.tick();
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 100);
    // Outlives the release clock: a playlist held at the end must still be written when the disk is back.
    this.repairTimer = setInterval(() => this.repair(), 1_000);
  }

  /** Takes every decision that is due now. Synchronous by design; the writes follow in order. */
  tick(): void {
    if (this.done) return;
    const due = this.now() - this.o.delayMs;
    const program = this.o.program();
    this.scheduleRenders(program);
    for (let next = this.pending[0]; next && next.captureEnd <= due; next = this.pending[0]) {
      this.pending.shift();
      this.queue(isGap(next) ? this.gapSlate(program, next.captureStart) : this.decideSegment(next, program));
    }
    // Media is late (encoder lost, FFmpeg restarting): the public gets a slate rather than a stall.
    const grace = this.o.gapGraceMs ?? 1500;
    while (due - this.releasedUntilMs >= this.segmentMs + grace) {
      this.queue(this.gapSlate(program));
    }
    if (isFinished(program, this.releasedUntilMs)) this.finish(program);
  }

  private decision(program: BroadcastProgram, span: { start: number; end: number }): ReleaseDecision | { action: 'slate'; slate: PublicSlate } {
    if (this.o.broadcast === false) return { action: 'slate', slate: 'no-broadcast' };
    return decide(program, span);
  }

  /**
   * Starts a render for every pending segment whose masks changed since its last render. Runs at
   * every tick, so a mask added or lifted reaches every segment still in the window.
   */
  private scheduleRenders(program: BroadcastProgram): void {
    // A transcoder that has fallen behind gets the machine to itself until it catches up: a render
    // started now would slow it further. Segments whose release comes first air as the card
    // (unproven masks); the rest are rendered once it has caught up.
    if ((this.o.transcoderBacklogMs?.() ?? 0) > BEHIND_SEGMENTS * this.segmentMs + BEHIND_SLACK_MS) return;
    if (!this.o.renderer) return;
    for (const s of this.pending) {
      if (isGap(s) || Object.keys(s.files).length === 0) continue;
      const plan = this.renderPlan(s, program);
      const id = segmentId(s);
      if (plan === null || this.renders.get(id)?.key === plan.key) continue;
      if (plan.windows === null && this.o.liveProof?.(s, plan.over)) continue;
      const job: { key: string; state: 'running' | 'done' | 'failed'; files?: Record<string, string> } = { key: plan.key, state: 'running' };
      this.renders.set(id, job);
      this.o.renderer
        .render({ id, files: s.files, masks: plan.masks, deadline: s.captureEnd + this.o.delayMs })
        .then((files) => {
          job.state = 'done';
          job.files = files;
        })
        .catch((err: unknown) => {
          job.state = 'failed';
          this.o.logger.error({ hearingId: this.o.hearingId, err, segment: id }, 'mask render failed: the segment will air as a slate');
        });
    }
  }

  /**
   * What a render of a segment must do, keyed so that a finished render proves exactly one plan:
   * the masks over it and, where a program edge falls inside it, the slate windows over its
   * off-air frames. Null when it needs no render.
   */
  private renderPlan(s: PendingSegment, program: BroadcastProgram): { key: string; masks: SegmentMask[]; over: Mask[]; windows: SlateWindow[] | null } | null {
    const span = { start: s.captureStart, end: s.captureEnd };
    const masks = (program.masks ?? []).filter((m) => m.kind !== 'card');
    const over = masksOver(masks, span);
    const maskKey = renderKey(masks, span);
    const fps = this.o.fps ?? 30;
    const windows = this.o.broadcast === false || !s.frames ? null : slateWindows(program, s.frames, s.captureStart);
    if (windows === null) return maskKey === '[]' ? null : { key: maskKey, masks: segmentMasks(over, s, fps), over, windows };
    const slates = windows.map((w): SegmentMask => ({ kind: 'slate', text: SLATE_TEXT[w.slate], from: w.from / fps, to: w.to / fps }));
    return { key: `${maskKey}|${JSON.stringify(windows)}`, masks: [...segmentMasks(over, s, fps), ...slates], over, windows };
  }

  private decideSegment(s: CompletedSegment, program: BroadcastProgram): Release {
    const decision = this.decision(program, { start: s.captureStart, end: s.captureEnd });
    this.releasedUntilMs = Math.max(this.releasedUntilMs, s.captureEnd);
    const complete = this.o.rungs.every((r) => s.files[r] !== undefined);
    const cleanup = Object.values(s.files);
    const base = { captureStart: s.captureStart, captureEnd: s.captureEnd, releasedAt: this.now() };
    const masks = (program.masks ?? []).filter((m) => m.kind !== 'card');
    const key = renderKey(masks, { start: s.captureStart, end: s.captureEnd });
    const render = this.renders.get(segmentId(s));
    this.renders.delete(segmentId(s));
    const renderer = this.o.renderer;
    const afterwards = render && renderer ? () => renderer.discard(segmentId(s)) : undefined;
    const plan = this.renderPlan(s, program);
    if (plan?.windows) {
      // A program edge falls inside: the on-air frames air only from a finished render of exactly
      // this plan (slate picture over the rest, masks on); otherwise the whole slot is the slate.
      if (complete && decision.action === 'slate' && render?.key === plan.key && render.state === 'done' && render.files) {
        return {
          record: { ...base, seq: -1, outcome: 'aired', reason: 'program', spliced: true, ...(key !== '[]' ? { masked: true } : {}) },
          source: { kind: 'program', run: s.run },
          durationSec: s.durationSec,
          programDateTime: s.programDateTime,
          files: render.files,
          cleanup,
          ...(afterwards ? { afterwards } : {}),
        };
      }
      const slate: PublicSlate = decision.action === 'slate' ? decision.slate : 'no-broadcast';
      return { ...this.slateRelease(slate, 'program', s.captureStart, s.captureEnd, s.programDateTime, cleanup), ...(afterwards ? { afterwards } : {}) };
    }
    if (decision.action === 'air' && complete && key !== '[]') {
      // Invariant 3: masked media airs only with every mask proven: by the live slots' acks...
      if (this.o.liveProof?.(s, masksOver(masks, { start: s.captureStart, end: s.captureEnd }))) {
        if (afterwards) void afterwards();
        return {
          record: { ...base, seq: -1, outcome: 'aired', reason: 'program', masked: true, live: true },
          source: { kind: 'program', run: s.run },
          durationSec: s.durationSec,
          programDateTime: s.programDateTime,
          files: s.files,
          cleanup,
        };
      }
      // ...or by a finished render of exactly these masks.
      if (render?.key === key && render.state === 'done' && render.files) {
        return {
          record: { ...base, seq: -1, outcome: 'aired', reason: 'program', masked: true },
          // A render keeps the original's timestamps and counters, so it continues the run.
          source: { kind: 'program', run: s.run },
          durationSec: s.durationSec,
          programDateTime: s.programDateTime,
          files: render.files,
          cleanup,
          ...(afterwards ? { afterwards } : {}),
        };
      }
      return { ...this.slateRelease('no-broadcast', 'mask-unproven', s.captureStart, s.captureEnd, s.programDateTime, cleanup), ...(afterwards ? { afterwards } : {}) };
    }
    if (afterwards) void afterwards();
    if (decision.action === 'air' && complete) {
      return {
        record: { ...base, seq: -1, outcome: 'aired', reason: 'program' },
        source: { kind: 'program', run: s.run },
        durationSec: s.durationSec,
        programDateTime: s.programDateTime,
        files: s.files,
        cleanup,
      };
    }
    // Fail closed: program media that cannot be published whole is replaced, never half-aired.
    const slate: PublicSlate = decision.action === 'slate' ? decision.slate : 'standby';
    const reason = decision.action === 'slate' ? 'program' : 'media-missing';
    return this.slateRelease(slate, reason, s.captureStart, s.captureEnd, s.programDateTime, cleanup);
  }

  private gapSlate(program: BroadcastProgram, from = this.releasedUntilMs): Release {
    const start = from;
    const end = start + this.segmentMs;
    this.releasedUntilMs = Math.max(this.releasedUntilMs, end);
    const d = this.decision(program, { start, end });
    return this.slateRelease(d.action === 'slate' ? d.slate : 'standby', 'gap', start, end, start, []);
  }

  private slateRelease(slate: PublicSlate, reason: ReleaseRecord['reason'], captureStart: number, captureEnd: number, pdt: number, cleanup: readonly string[]): Release {
    const files = Object.fromEntries(this.o.rungs.map((r) => [r, this.o.slates.file(slate, r)]));
    return {
      record: { seq: -1, captureStart, captureEnd, outcome: slate, reason, releasedAt: this.now() },
      source: { kind: 'slate', slate },
      durationSec: this.o.segmentSeconds,
      programDateTime: pdt,
      files,
      cleanup,
    };
  }

  private finish(program: BroadcastProgram): void {
    const end = program.endedAt ?? this.releasedUntilMs;
    this.queue(this.slateRelease('ended', 'program', end, end + this.segmentMs, end, []), true);
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
    const outcome = await this.writer.release(seq, release.files, state, removed);
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
