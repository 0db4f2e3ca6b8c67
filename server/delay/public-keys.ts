/**
 * The public store's key layout, owned here because the delay line is its only writer: a hearing's
 * files live under its prefix, a master playlist, then one folder per rung with its playlist and a
 * `${seq}.ts` per timeline entry; each caption language a folder under `subtitles/` with a
 * `${seq}.vtt` per entry. The origin serves these keys as URL paths under /hls/; the
 * recorder copies the segments; the public API links the master playlist.
 */
export const hearingPrefix = (hearingId: string): string => `hearings/${hearingId}`;
export const masterPlaylistKey = (prefix: string): string => `${prefix}/master.m3u8`;
export const rungPlaylistKey = (prefix: string, rung: string): string => `${prefix}/${rung}/index.m3u8`;
export const segmentKey = (prefix: string, rung: string, seq: number): string => `${prefix}/${rung}/${seq}.ts`;
export const subtitlePlaylistPath = (lang: string): string => `subtitles/${lang}/index.m3u8`;
export const subtitlePlaylistKey = (prefix: string, lang: string): string => `${prefix}/${subtitlePlaylistPath(lang)}`;
export const subtitleKey = (prefix: string, lang: string, seq: number): string => `${prefix}/subtitles/${lang}/${seq}.vtt`;
/** The signed live checkpoint of what the hearing's folder has published (delay/checkpoint-writer.ts). */
export const checkpointKey = (prefix: string): string => `${prefix}/checkpoint.json`;
