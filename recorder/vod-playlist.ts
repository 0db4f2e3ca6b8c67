import HLS from 'hls-parser';
import { declaredLost, isLost, type ManifestEntry } from './manifest.ts';

/** The entries whose objects the archive holds: all but those declared lost. */
function kept(entries: readonly ManifestEntry[]): ManifestEntry[] {
  const lost = declaredLost(entries);
  return lost.size === 0 ? [...entries] : entries.filter((e) => !isLost(lost, e));
}

/** Where one aired entry's media came from: a run of the transcoder, or a slate. */
const sourceOf = (e: ManifestEntry): string => (e.outcome === 'aired' ? `run:${e.run ?? 0}` : `slate:${e.outcome ?? ''}`);

/**
 * The replay playlist of one rung of the as-aired recording: every archived slot of that rung in
 * order, as a finished (VOD) playlist. A discontinuity is marked wherever the media does not
 * continue the entry before it: a slate, another transcoder run, or a slot missing from the archive.
 * A player opens it where the broadcast began (EXT-X-START), not on the slates aired between the
 * hearing's opening and its start: the recording keeps them, a viewer need not sit through them.
 */
export function airedPlaylist(entries: readonly ManifestEntry[], rung: string, segmentSeconds: number, ext: 'ts' | 'vtt' = 'ts'): string {
  const aired = airedInOrder(entries, rung);
  const segments = aired.map((e, i) => {
    const prev = aired[i - 1];
    const continues = prev !== undefined && sourceOf(prev) === sourceOf(e) && e.outcome === 'aired' && (prev.seq ?? 0) + 1 === e.seq;
    return new HLS.types.Segment({
      uri: `${e.seq}.${ext}`,
      duration: e.durationSec ?? segmentSeconds,
      discontinuity: i > 0 && !continues,
      ...(e.captureStart !== undefined ? { programDateTime: new Date(e.captureStart) } : {}),
    });
  });
  const target = Math.max(segmentSeconds, ...aired.map((e) => Math.ceil(e.durationSec ?? segmentSeconds)));
  const first = aired.findIndex((e) => e.outcome === 'aired');
  const offset = segments.slice(0, Math.max(0, first)).reduce((sum, s) => sum + s.duration, 0);
  // EXT-X-START needs version 6 in a media playlist only for PRECISE; the offset alone is version 3.
  const start = offset > 0 ? { start: { offset: Math.round(offset * 1000) / 1000, precise: false } } : {};
  return HLS.stringify(new HLS.types.MediaPlaylist({ version: 3, targetDuration: target, playlistType: 'VOD', endlist: true, mediaSequenceBase: 0, segments, ...start }));
}

/** The top rung's aired entries in playing order (what the as-aired MP4 is joined from). */
export function airedInOrder(entries: readonly ManifestEntry[], rung: string): ManifestEntry[] {
  return kept(entries).filter((e) => e.kind === 'aired' && e.rung === rung).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
}

/**
 * The master's segments in recording order: by run, then by index within the run. Given a camera,
 * that camera's own master instead (kind `source`).
 */
export function masterInOrder(entries: readonly ManifestEntry[], source?: string): ManifestEntry[] {
  const ours = (e: ManifestEntry) => (source === undefined ? e.kind === 'master' : e.kind === 'source' && e.source === source);
  return kept(entries).filter(ours).sort((a, b) => (a.run ?? 0) - (b.run ?? 0) || (a.index ?? 0) - (b.index ?? 0));
}

/** Where an archive keeps the captions aired in one language: a rendition beside the rungs. */
export const subtitlesRung = (lang: string): string => `subtitles/${lang}`;

/** The caption languages whose aired captions an archive holds. */
export function airedCaptionLanguages(entries: readonly ManifestEntry[]): string[] {
  return [...new Set(kept(entries).flatMap((e) => (e.kind === 'aired' && e.rung?.startsWith('subtitles/') ? [e.rung.slice('subtitles/'.length)] : [])))].sort();
}
