import { decide, type BroadcastProgram, type ReleaseDecision } from '../domain/program.ts';
import { noCaptions, segmentCaptions, type CaptionSource } from './caption-release.ts';
import { gate, type ReleaseReason } from './gate.ts';
import type { EntrySource } from './playlist.ts';
import type { RenderCache } from './render-cache.ts';
import { cutAnchors, liveProven, type CutAnchor, type PendingSegment } from './render-plan.ts';
import type { PublicSlate, SlateSource } from './slates.ts';

/** What happened to one slot of the public timeline; observed by audit and metrics. */
export interface ReleaseRecord {
  readonly seq: number;
  readonly captureStart: number;
  readonly captureEnd: number;
  /** `aired` = program media; otherwise the slate that stood in, and why. */
  readonly outcome: 'aired' | PublicSlate;
  readonly reason: ReleaseReason;
  /** For aired media: whether it aired re-rendered with masks. */
  readonly masked?: boolean;
  /** For masked media: proven by live mask slots rather than re-rendered. */
  readonly live?: boolean;
  /** Aired with a program edge inside: its off-air frames replaced by the slate picture. */
  readonly spliced?: boolean;
  /** For aired media: the ids of the masks over it (applied live or by a render). */
  readonly masks?: readonly string[];
  /** For aired media: the transcoder run it came from. */
  readonly run?: number;
  /** For aired media dated on the ingest clock: the timestamp (s) in its files that `captureStart` dates. */
  readonly mediaStart?: number;
  /** For spliced media: where each cut lies in its files, and the capture instant beside it. */
  readonly cuts?: readonly CutAnchor[];
  readonly durationSec: number;
  readonly releasedAt: number;
}

/** A write to the public store, prepared synchronously and carried out in order. */
export interface Release {
  readonly record: ReleaseRecord;
  readonly source: EntrySource;
  readonly durationSec: number;
  readonly programDateTime: number;
  /** Local file per rung to publish. */
  readonly files: Readonly<Record<string, string>>;
  /** WebVTT per caption language to publish beside them. */
  readonly texts: Readonly<Record<string, string>>;
  /** Pending files to delete once published. */
  readonly cleanup: readonly string[];
  /** Work to do once published (dropping a mask render). */
  readonly afterwards?: () => Promise<void>;
}

/** What a slot's release is made from. */
export interface SlotReleaseOptions {
  readonly rungs: readonly string[];
  readonly slates: SlateSource;
  readonly segmentSeconds: number;
  /** False for a hearing that is not public: every slot is the no-broadcast card. */
  readonly broadcast: boolean;
  readonly renders: RenderCache;
  readonly now: () => number;
  /** The hearing's captions; none when it publishes no subtitles. */
  readonly captions?: CaptionSource;
}

/**
 * Turns one slot into its release: a segment through the gate (its own media, its masked render,
 * or the slate the gate chose), or a slate. Synchronous, like every decision of the delay line.
 */
export class SlotReleases {
  constructor(private readonly o: SlotReleaseOptions) {}

  /** The program's decision over a span; a hearing that is not public only ever gets the card. */
  decision(program: BroadcastProgram, span: { start: number; end: number }): ReleaseDecision | { action: 'slate'; slate: PublicSlate } {
    if (!this.o.broadcast) return { action: 'slate', slate: 'no-broadcast' };
    return decide(program, span);
  }

  /** A pending segment, as the gate lets it air. */
  segment(s: PendingSegment, program: BroadcastProgram): Release {
    const decision = this.decision(program, { start: s.captureStart, end: s.captureEnd });
    const plan = this.o.renders.plan(s, program);
    const render = this.o.renders.take(s, plan);
    const outcome = gate({
      decision,
      complete: this.o.rungs.every((r) => s.files[r] !== undefined),
      plan,
      rendered: render.files !== null,
      liveProven: () => plan !== null && liveProven(s, plan.over),
    });
    const cleanup = Object.values(s.files);
    // A render's output goes once whatever airs in its place is published.
    const afterwards = render.discard ? { afterwards: render.discard } : {};
    if ('slate' in outcome) return { ...this.slate(outcome.slate, outcome.reason, s.captureStart, s.captureEnd, s.programDateTime, cleanup), ...afterwards };
    const { air, ...flags } = outcome;
    return {
      record: {
        seq: -1,
        captureStart: s.captureStart,
        captureEnd: s.captureEnd,
        releasedAt: this.o.now(),
        outcome: 'aired',
        reason: 'program',
        run: s.run,
        ...(s.mediaStart !== undefined ? { mediaStart: s.mediaStart } : {}),
        durationSec: s.durationSec,
        ...(plan && plan.over.length > 0 ? { masks: plan.over.map((m) => m.id) } : {}),
        ...(flags.spliced && plan?.windows ? { cuts: cutAnchors(plan.windows, s) } : {}),
        ...flags,
      },
      // A render keeps the original's timestamps and counters, so it continues the run.
      source: { kind: 'program', run: s.run },
      durationSec: s.durationSec,
      programDateTime: s.programDateTime,
      files: air === 'render' && render.files ? render.files : s.files,
      // Text follows the picture: decided with the same program, only for media that airs.
      texts: this.o.captions ? segmentCaptions(this.o.captions, s, program) : {},
      cleanup,
      ...afterwards,
    };
  }

  /** A slate standing for [captureStart, captureEnd). */
  slate(slate: PublicSlate, reason: ReleaseReason, captureStart: number, captureEnd: number, pdt: number, cleanup: readonly string[]): Release {
    const files = Object.fromEntries(this.o.rungs.map((r) => [r, this.o.slates.file(slate, r)]));
    return {
      record: { seq: -1, captureStart, captureEnd, outcome: slate, reason, durationSec: this.o.segmentSeconds, releasedAt: this.o.now() },
      source: { kind: 'slate', slate },
      durationSec: this.o.segmentSeconds,
      programDateTime: pdt,
      files,
      texts: noCaptions(this.o.captions?.languages ?? []),
      cleanup,
    };
  }
}
