/**
 * The public store's key layout, owned here because the delay line is its only writer: a hearing's
 * files live under its prefix, a master playlist, then one folder per rung with its playlist and a
 * `${seq}.ts` per timeline entry. The origin serves these keys as URL paths under /hls/; the
 * recorder copies the segments; the public API links the master playlist.
 */
export const hearingPrefix = (hearingId: string): string => `hearings/${hearingId}`;
export const masterPlaylistKey = (prefix: string): string => `${prefix}/master.m3u8`;
export const rungPlaylistKey = (prefix: string, rung: string): string => `${prefix}/${rung}/index.m3u8`;
export const segmentKey = (prefix: string, rung: string, seq: number): string => `${prefix}/${rung}/${seq}.ts`;
