import { readFile } from 'node:fs/promises';
import path from 'node:path';
import HLS from 'hls-parser';
import { audioSpan, videoPts } from '../media/ts-continuity.ts';
import { dateSegment, type CaptureClock, type SegmentDates } from './capture-dating.ts';
import { SerialPoll } from './serial-poll.ts';
import type { SlotStamp } from './slot-proof.ts';

/** One finished segment of one playlist, as FFmpeg listed it. */
export interface ListedSegment {
  readonly index: number;
  readonly file: string;
  readonly durationSec: number;
}

/** What a read of a playlist found: its segments, or why it could not be read. */
export type Listing = { readonly ok: true; readonly segments: ListedSegment[] } | { readonly ok: false; readonly why: string };

/** hls-parser in its strict mode: otherwise it prints every fault to the console and guesses on. */
function parseStrictly(text: string): ReturnType<typeof HLS.parse> {
  HLS.setOptions({ strictMode: true, silent: true });
  try {
    return HLS.parse(text);
  } finally {
    HLS.setOptions({ strictMode: false, silent: false });
  }
}

/**
 * Reads an FFmpeg-written playlist and returns the segments it lists. FFmpeg renames the playlist
 * into place, so a read sees a whole one: a missing file (nothing written yet) lists nothing, but
 * an empty or unparseable one is a fault (a disk that refused FFmpeg's write), reported as such.
 */
export async function readListed(playlistPath: string): Promise<Listing> {
  let text: string;
  try {
    text = await readFile(playlistPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, segments: [] };
    return { ok: false, why: err instanceof Error ? err.message : String(err) };
  }
  try {
    const pl = parseStrictly(text);
    if (pl.isMasterPlaylist) return { ok: false, why: 'a master playlist where a media playlist belongs' };
    const base = pl.mediaSequenceBase ?? 0;
    return {
      ok: true,
      segments: pl.segments.map((s, i) => ({ index: base + i, file: path.join(path.dirname(playlistPath), s.uri), durationSec: s.duration })),
    };
  } catch (err) {
    return { ok: false, why: text.length === 0 ? 'the playlist is empty' : err instanceof Error ? err.message : String(err) };
  }
}

/** A segment that every rung has finished, stamped with its capture interval. */
export interface CompletedSegment {
  readonly run: number;
  readonly index: number;
  /** Conservative capture interval [captureStart, captureEnd), ms since the epoch, ingest clock. */
  readonly captureStart: number;
  readonly captureEnd: number;
  /** Best estimate of the first frame's capture time, for EXT-X-PROGRAM-DATE-TIME. */
  readonly programDateTime: number;
  readonly durationSec: number;
  /** Local file of each rung, by rung name. */
  readonly files: Readonly<Record<string, string>>;
  /**
   * Capture instant of each video frame, when the segment was dated on the ingest clock; absent
   * when it was dated by observation (no clock for this input).
   */
  readonly frames?: readonly number[];
  /** Where each frame's content may have been captured from, for a composed picture (capture-dating.ts `SegmentDates`). */
  readonly spanStarts?: readonly number[];
  /** Each video frame's timestamp in seconds (as `t` in the transcoder's filters), with `frames`. */
  readonly pts?: readonly number[];
  /** The timestamp (s) `captureStart` dates, with `frames` (pipeline/capture-dating.ts). */
  readonly mediaStart?: number;
  /**
   * When the transcoder handled this segment's frames: not before `start` (no frame was ingested
   * earlier) and all by `end` (when it was listed). Live mask slots are proven against this,
   * since a slot acts on frames as FFmpeg processes them, which may be well after their capture.
   */
  readonly produced: { readonly start: number; readonly end: number };
  /**
   * What the live mask slots did to it, by mask id, stamped by the pipeline when it completed; a
   * mask without a stamp was not put on by a slot (pipeline/slot-proof.ts).
   */
  readonly liveStamps?: Readonly<Record<string, SlotStamp>>;
}

/** Options for a watcher over one FFmpeg run. */
export interface WatcherOptions {
  readonly run: number;
  readonly rungs: readonly string[];
  readonly playlistOf: (rung: string) => string;
  /** Widening of the capture interval: polling jitter plus encoder latency. */
  readonly slackMs: number;
  /** No frame this run reads can have been ingested earlier: its spawn, less what the ingest hands a new reader. */
  readonly runStartedAt: number;
  readonly now: () => number;
  readonly onSegment: (segment: CompletedSegment) => void;
  /**
   * The ingest clock of this run's input, when it has one: segments are then dated by their
   * frames' timestamps (the transcoder keeps them) rather than by when they were listed.
   */
  readonly clock?: CaptureClock | null;
  /** Told when a segment of a run with a clock could not be dated on it (it falls back to bounds). */
  readonly onUndated?: (why: string) => void;
  /** Told of each read of a rung's playlist that failed, and (with null) when it reads again. */
  readonly onUnreadable?: (rung: string, why: string | null) => void;
  /** The rung whose file is read for frame timestamps (a video rung). */
  readonly datingRung?: string;
  readonly fps?: number;
}

/**
 * Turns FFmpeg's playlists into completed segments with capture times. Capture time is ours, not
 * FFmpeg's (whose PROGRAM-DATE-TIME drifts on stalls), and the interval must contain the ingest
 * time of every frame in the segment, so both ends are bounds we can prove:
 * - end: when we first see the segment listed; every frame in it was ingested before that.
 * - start: the earlier of two lower bounds, so it holds if either does:
 *   (a) end minus duration minus `slackMs` (holds while FFmpeg keeps up with real time), and
 *   (b) the run's spawn time, less how long before it the ingest may have received what it hands
 *       a new reader (the GOP in progress), plus the media time before this segment (holds
 *       because a live source cannot deliver media faster than real time).
 * A wider interval only ever makes more of the timeline off-air.
 */
export class SegmentWatcher {
  /** When each segment was first listed, and its duration as each rung's playlist gives it. */
  private readonly firstSeen = new Map<number, { at: number; durations: Map<string, number> }>();
  private readonly perRung = new Map<string, Map<number, string>>();
  private nextIndex = 0;
  private mediaBeforeMs = 0;
  private lastEnd: number | null = null;
  /** The newest frame timestamp (s) read in this run, and whether its clock had to be dropped. */
  private lastPts = Number.NEGATIVE_INFINITY;
  private clockForsaken = false;
  private readonly serial = new SerialPoll(() => this.pass());
  private readonly unreadable = new Set<string>();

  constructor(private readonly o: WatcherOptions) {
    for (const r of o.rungs) this.perRung.set(r, new Map());
  }

  /** Capture end of the last segment emitted, or null before the first. */
  get lastCaptureEnd(): number | null {
    return this.lastEnd;
  }

  /** Reads every rung's playlist once and emits whatever has completed, in order. */
  poll(): Promise<void> {
    return this.serial.run();
  }

  private async dates(files: Record<string, string>): Promise<SegmentDates | null> {
    const clock = this.o.clock;
    const rung = this.o.datingRung;
    if (!clock || !rung || !files[rung] || this.clockForsaken) return null;
    try {
      const pts = videoPts(await readFile(files[rung] as string));
      // Every rung's sound, the audio-only rung's above all: its muxer cuts segments on its own.
      const sounds = (await Promise.all(Object.values(files).map(async (f) => audioSpan(await readFile(f))))).filter((x) => x !== null);
      if (pts.length === 0) this.o.onUndated?.('no video timestamps');
      // Timestamps that run backwards mean this run is reading media of another connection
      // (one that restarted its clock): its frames are not on this clock, so stop using it.
      if (pts.length > 0 && (pts[0] as number) < this.lastPts - 0.001) this.clockForsaken = true;
      this.lastPts = Math.max(this.lastPts, pts[pts.length - 1] ?? this.lastPts);
      const dated = this.clockForsaken ? null : dateSegment(pts, clock, 1000 / (this.o.fps ?? 30), sounds);
      if (!dated) this.o.onUndated?.(this.clockForsaken ? 'timestamps ran backwards' : 'outside the ingest clock');
      return dated;
    } catch (err) {
      this.o.onUndated?.(err instanceof Error ? err.message : String(err));
      return null;
    }
  }

  private async pass(): Promise<void> {
    const lists = await Promise.all(this.o.rungs.map((r) => readListed(this.o.playlistOf(r))));
    const seenAt = this.o.now();
    lists.forEach((listing, i) => {
      const rung = this.o.rungs[i] as string;
      if (!listing.ok) {
        this.unreadable.add(rung);
        this.o.onUnreadable?.(rung, listing.why);
        return;
      }
      if (this.unreadable.delete(rung)) this.o.onUnreadable?.(rung, null);
      const files = this.perRung.get(rung) as Map<number, string>;
      for (const s of listing.segments) {
        if (s.index < this.nextIndex) continue;
        files.set(s.index, s.file);
        const seen = this.firstSeen.get(s.index) ?? { at: seenAt, durations: new Map<string, number>() };
        seen.durations.set(rung, s.durationSec);
        this.firstSeen.set(s.index, seen);
      }
    });
    await this.emitReady();
  }

  private async emitReady(): Promise<void> {
    for (;;) {
      const i = this.nextIndex;
      const seen = this.firstSeen.get(i);
      const files: Record<string, string> = {};
      for (const r of this.o.rungs) {
        const f = this.perRung.get(r)?.get(i);
        if (f) files[r] = f;
      }
      if (!seen || Object.keys(files).length < this.o.rungs.length) return;
      // The bounds take the longest rung (a wider interval only takes more off the air); the
      // playlists say how long the picture lasts, which FFmpeg gives exactly on a video rung (the
      // audio-only rung's runs to the AAC frame that straddles the cut).
      const durMs = Math.max(...seen.durations.values()) * 1000;
      const durationSec = (this.o.datingRung !== undefined ? seen.durations.get(this.o.datingRung) : undefined) ?? durMs / 1000;
      const byClock = seen.at - durMs - this.o.slackMs;
      const byMedia = this.o.runStartedAt + this.mediaBeforeMs;
      this.mediaBeforeMs += durMs;
      const produced = { start: Math.floor(Math.min(byClock, byMedia)), end: seen.at };
      const dated = await this.dates(files);
      this.o.onSegment({
        run: this.o.run,
        index: i,
        // On the ingest clock when there is one; otherwise the observed bounds, which hold too.
        captureStart: dated ? dated.captureStart : produced.start,
        captureEnd: dated ? dated.captureEnd : produced.end,
        programDateTime: dated ? (dated.frames[0] as number) : Math.round(seen.at - durMs),
        durationSec,
        files,
        ...(dated ? { frames: dated.frames, pts: dated.pts, mediaStart: dated.mediaStart, ...(dated.spanStarts ? { spanStarts: dated.spanStarts } : {}) } : {}),
        produced,
      });
      this.firstSeen.delete(i);
      for (const m of this.perRung.values()) m.delete(i);
      this.nextIndex = i + 1;
      this.lastEnd = dated ? dated.captureEnd : seen.at;
    }
  }
}
