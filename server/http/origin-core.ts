import type { IncomingMessage, ServerResponse } from 'node:http';
import parseRange from 'range-parser';
import { isObjectKey } from '../store/object-store.ts';

const TYPES: Readonly<Record<string, string>> = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
  // A slot's captions (delay/vtt.ts): released with it, never changed after, cached like it.
  vtt: 'text/vtt; charset=utf-8',
};

const CHECKPOINT = /^hearings\/[^/]+\/checkpoint\.json$/;

/** The public-store key of an origin path (below /hls/), and its media type; null for anything else. */
export function mediaKey(pathBelowHls: string): { key: string; type: string; playlist: boolean } | null {
  let key: string;
  try {
    key = decodeURIComponent(pathBelowHls.replace(/^\//, ''));
  } catch {
    return null;
  }
  // A live hearing's signed checkpoint (delay/checkpoint-writer.ts) changes with each slot, as its
  // playlists do, and is cached as briefly. `playlist` means that: what changes.
  if (CHECKPOINT.test(key)) return isObjectKey(key) ? { key, type: 'application/json', playlist: true } : null;
  const ext = /\.([a-z0-9]+)$/.exec(key)?.[1] ?? '';
  const type = TYPES[ext];
  return type && isObjectKey(key) ? { key, type, playlist: ext === 'm3u8' } : null;
}

/** The hearing whose public media playlist this key is (what counts as a viewer's poll). */
export function playlistHearing(key: string): string | null {
  return /^hearings\/([^/]+)\/[^/]+\/index\.m3u8$/.exec(key)?.[1] ?? null;
}

/** The hearing whose media a public-store key is, or null for a key outside every hearing. */
export function mediaHearing(key: string): string | null {
  return /^hearings\/([^/]+)\//.exec(key)?.[1] ?? null;
}

/** Whether a hearing's media may be served: from memory (null when it must be asked), or asked. */
export interface ServeGate {
  cached(hearingId: string): boolean | null;
  allows(hearingId: string): Promise<boolean>;
}

/** The single byte range a request asks for: none, one, or one that cannot be met. */
export function rangeOf(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (!header) return null;
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  // A malformed header, or several ranges (which no HLS client asks for), gets the whole object.
  return Array.isArray(ranges) && ranges.length === 1 && ranges.type === 'bytes' ? (ranges[0] as { start: number; end: number }) : null;
}

/** Whether the client's copy is current, by ETag first, then by date (RFC 9110 13.1.3). */
export function notModified(ifNoneMatch: string | undefined, ifModifiedSince: string | undefined, etag: string, modifiedAt: Date): boolean {
  const bare = etag.replace(/^W\//, '');
  if (ifNoneMatch) return ifNoneMatch.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === bare);
  const since = Date.parse(ifModifiedSince ?? '');
  return Number.isFinite(since) && Math.floor(modifiedAt.getTime() / 1000) * 1000 <= since;
}

/** The headers every origin answer carries: CORS for players on any site, and no sniffing. */
export function setOriginHeaders(res: ServerResponse): void {
  for (const [name, value] of MEDIA_HEADERS) res.setHeader(name, value);
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Range, If-None-Match, If-Modified-Since');
}

/**
 * The headers every media answer carries, whichever path answers it (Express's origin or the front
 * door's prepared bytes): any site's player may read it, and nothing sniffs it as something else.
 */
export const MEDIA_HEADERS: readonly (readonly [string, string])[] = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Expose-Headers', 'Content-Range, ETag'],
  ['Cross-Origin-Resource-Policy', 'cross-origin'],
  ['X-Content-Type-Options', 'nosniff'],
];

/** Validators, caching, and the status and length for a range; the caller sends the body. */
export function prepareAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  media: { type: string; playlist: boolean },
  info: { size: number; modifiedAt: Date; etag: string },
): { body: 'none' } | { body: 'whole' } | { body: 'range'; start: number; end: number } | { body: 'unsatisfiable' } {
  res.setHeader('ETag', info.etag);
  res.setHeader('Last-Modified', info.modifiedAt.toUTCString());
  res.setHeader('Accept-Ranges', 'bytes');
  // Playlists change every segment; segments never change once published.
  res.setHeader('Cache-Control', media.playlist ? 'public, max-age=1' : 'public, max-age=31536000, immutable');
  if (notModified(req.headers['if-none-match'], req.headers['if-modified-since'], info.etag, info.modifiedAt)) {
    res.statusCode = 304;
    return { body: 'none' };
  }
  res.setHeader('Content-Type', media.type);
  const range = rangeOf(req.headers.range, info.size);
  if (range === 'unsatisfiable') {
    res.setHeader('Content-Range', `bytes */${info.size}`);
    return { body: 'unsatisfiable' };
  }
  if (range) {
    res.statusCode = 206;
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
  }
  res.setHeader('Content-Length', String(range ? range.end - range.start + 1 : info.size));
  return range ? { body: 'range', ...range } : { body: 'whole' };
}

