import HLS from 'hls-parser';
import { subtitlePlaylistPath } from './public-keys.ts';

/** What a public entry carries: released media or a slate standing in for it. */
export type EntrySource =
  /** Program media of one FFmpeg run, as transcoded or re-rendered with masks (same timestamps). */
  | { readonly kind: 'program'; readonly run: number }
  | { readonly kind: 'slate'; readonly slate: string };

/** One entry of the public timeline; every rung has a file named `${seq}.ts` for it. */
export interface PublicEntry {
  readonly seq: number;
  readonly durationSec: number;
  /** Capture time of the first frame (program) or the instant the slate stands for. */
  readonly programDateTime: number;
  readonly discontinuity: boolean;
  readonly source: EntrySource;
}

/** The public timeline of one hearing: a sliding window, plus what it needs to stay continuous. */
export interface PublicTimeline {
  readonly nextSeq: number;
  readonly discontinuitySequence: number;
  readonly entries: readonly PublicEntry[];
  readonly ended: boolean;
  readonly lastProgramDateTime: number | null;
}

/**
 * The timeline with one entry's source replaced (a segment the store would not take, aired as
 * the standby slate instead). Discontinuity flags around it follow the new source; an entry at the
 * start of the window is flagged, since what came before it is no longer known.
 */
export function withSource(t: PublicTimeline, seq: number, source: EntrySource): PublicTimeline {
  const i = t.entries.findIndex((e) => e.seq === seq);
  if (i < 0) return t;
  const entries = [...t.entries];
  const prev = entries[i - 1];
  entries[i] = { ...(entries[i] as PublicEntry), source, discontinuity: prev ? !sameSource(prev.source, source) : true };
  const next = entries[i + 1];
  if (next) entries[i + 1] = { ...next, discontinuity: !sameSource(source, next.source) };
  return { ...t, entries };
}

/** An empty timeline. */
export function emptyTimeline(): PublicTimeline {
  return { nextSeq: 0, discontinuitySequence: 0, entries: [], ended: false, lastProgramDateTime: null };
}

const sameSource = (a: EntrySource, b: EntrySource): boolean =>
  a.kind === 'program' && b.kind === 'program' && a.run === b.run;

/**
 * Appends an entry, marking a discontinuity wherever the media does not continue the previous
 * entry: every slate (its timestamps restart each time it is repeated) and every change of
 * FFmpeg run. Program date-times never go backwards. Entries beyond `window` slide out.
 */
export function appendEntry(
  t: PublicTimeline,
  e: { durationSec: number; programDateTime: number; source: EntrySource },
  window: number,
): { timeline: PublicTimeline; entry: PublicEntry; removed: PublicEntry[] } {
  const prev = t.entries.at(-1);
  const discontinuity = prev !== undefined && !sameSource(prev.source, e.source);
  const pdt = Math.max(e.programDateTime, t.lastProgramDateTime ?? -Infinity);
  const entry: PublicEntry = { seq: t.nextSeq, durationSec: e.durationSec, programDateTime: pdt, discontinuity, source: e.source };
  const all = [...t.entries, entry];
  const removed = all.slice(0, Math.max(0, all.length - window));
  const kept = all.slice(removed.length);
  // RFC 8216 6.2.2: the sequence counts the discontinuity tags that slid out of the window.
  const droppedDiscontinuities = removed.filter((r) => r.discontinuity).length;
  return {
    timeline: {
      ...t,
      nextSeq: t.nextSeq + 1,
      discontinuitySequence: t.discontinuitySequence + droppedDiscontinuities,
      entries: kept,
      lastProgramDateTime: pdt + e.durationSec * 1000,
    },
    entry,
    removed,
  };
}

/** Marks the timeline ended (EXT-X-ENDLIST). */
export function endTimeline(t: PublicTimeline): PublicTimeline {
  return { ...t, ended: true };
}

/**
 * EXT-X-TARGETDURATION for a timeline: the segment length the pipeline cuts at (its keyframes are
 * forced every segment, so program and slate entries last that long, give or take a frame), raised
 * to any entry whose duration rounds above it (RFC 8216 4.3.3.1: every EXTINF, rounded to the
 * nearest integer, is at most the target) and never below `floor`, the target already published
 * (RFC 8216 6.2.1: it must not change; it grows only if an entry would otherwise break the first
 * rule). Players hold about three target durations behind the live edge, so a target of twice the
 * segment length kept viewers seconds further behind than they need be.
 */
export function targetDuration(segmentSeconds: number, entries: readonly Pick<PublicEntry, 'durationSec'>[], floor = 0): number {
  return Math.max(floor, Math.max(1, Math.round(segmentSeconds)), ...entries.map((e) => Math.round(e.durationSec)));
}

/**
 * The media playlist of one rung, or of one caption language (`ext` vtt: the same entries, each
 * its WebVTT file); segment URIs are relative to the playlist.
 */
export function renderMediaPlaylist(t: PublicTimeline, targetDuration: number, ext: 'ts' | 'vtt' = 'ts'): string {
  const first = t.entries[0];
  const pl = new HLS.types.MediaPlaylist({
    version: 3,
    targetDuration,
    mediaSequenceBase: first?.seq ?? t.nextSeq,
    discontinuitySequenceBase: t.discontinuitySequence,
    endlist: t.ended,
    segments: t.entries.map(
      (e) =>
        new HLS.types.Segment({
          uri: `${e.seq}.${ext}`,
          duration: e.durationSec,
          discontinuity: e.discontinuity,
          programDateTime: new Date(e.programDateTime),
        }),
    ),
  });
  return HLS.stringify(pl);
}

/** A variant of the public master playlist. */
export interface VariantInfo {
  readonly rung: string;
  readonly bandwidth: number;
  readonly width?: number;
  readonly height?: number;
  readonly codecs: string;
}

/** A subtitle rendition of the public master playlist: a caption language and its name in that language. */
export interface SubtitleInfo {
  readonly lang: string;
  readonly name: string;
}

/**
 * The master playlist listing every rung, each at `<rung>/index.m3u8`, and every caption language
 * as a subtitle rendition every variant may show (none selected by default: a viewer turns them on).
 */
export function renderMasterPlaylist(variants: readonly VariantInfo[], subtitles: readonly SubtitleInfo[] = []): string {
  const renditions = subtitles.map(
    (sub) => new HLS.types.Rendition({ type: 'SUBTITLES', uri: subtitlePlaylistPath(sub.lang), groupId: 'subs', language: sub.lang, name: sub.name, isDefault: false, autoselect: true, forced: false }),
  );
  const pl = new HLS.types.MasterPlaylist({
    version: 3,
    variants: variants.map(
      (v) =>
        new HLS.types.Variant({
          uri: `${v.rung}/index.m3u8`,
          bandwidth: v.bandwidth,
          codecs: v.codecs,
          resolution: v.width && v.height ? { width: v.width, height: v.height } : undefined,
          subtitles: renditions,
        }),
    ),
  });
  return HLS.stringify(pl);
}
