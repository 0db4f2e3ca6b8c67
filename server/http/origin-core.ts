import type { IncomingMessage, ServerResponse } from 'node:http';
import parseRange from 'range-parser';
import type { HotObject } from '../store/hot-object-store.ts';
import { isObjectKey } from '../store/object-store.ts';

const TYPES: Readonly<Record<string, string>> = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
};

/** The public-store key of an origin path (below /hls/), and its media type; null for anything else. */
export function mediaKey(pathBelowHls: string): { key: string; type: string; playlist: boolean } | null {
  let key: string;
  try {
    key = decodeURIComponent(pathBelowHls.replace(/^\//, ''));
  } catch {
    return null;
  }
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
export function notModified(req: IncomingMessage, etag: string, modifiedAt: Date): boolean {
  const tags = req.headers['if-none-match'];
  const bare = etag.replace(/^W\//, '');
  if (tags) return tags.split(',').some((t) => t.trim() === '*' || t.trim().replace(/^W\//, '') === bare);
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  return Number.isFinite(since) && Math.floor(modifiedAt.getTime() / 1000) * 1000 <= since;
}

/** The headers every origin answer carries: CORS for players on any site, and no sniffing. */
export function setOriginHeaders(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Range, If-None-Match, If-Modified-Since');
  res.setHeader('Access-Control-Expose-Headers', 'Content-Range, ETag');
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

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
  if (notModified(req, info.etag, info.modifiedAt)) {
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

/** A 200 answer with the whole of a held object, computed once per object (kept as long as it is). */
interface WholeAnswer {
  readonly headers: Record<string, string>;
  /**
   * A playlist's bytes as a latin1 string (the same bytes): Node sends a string body in one write
   * with the response head, a Buffer in a second vectored one, and for answers this small that
   * write is most of what an answer costs (docs/benchmarks.md, the origin).
   */
  readonly body: string | Buffer;
}

const WHOLE = new WeakMap<HotObject, WholeAnswer>();

function wholeAnswer(held: HotObject, media: { type: string; playlist: boolean }): WholeAnswer {
  let a = WHOLE.get(held);
  if (!a) {
    a = {
      headers: {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Expose-Headers': 'Content-Range, ETag',
        'Cross-Origin-Resource-Policy': 'cross-origin',
        'X-Content-Type-Options': 'nosniff',
        ETag: held.etag,
        'Last-Modified': held.modifiedAt.toUTCString(),
        'Accept-Ranges': 'bytes',
        'Cache-Control': media.playlist ? 'public, max-age=1' : 'public, max-age=31536000, immutable',
        'Content-Type': media.type,
        'Content-Length': String(held.body.length),
      },
      body: media.playlist ? held.body.toString('latin1') : held.body,
    };
    WHOLE.set(held, a);
  }
  return a;
}

/** Who is asking: a loopback proxy's (nginx's) X-Forwarded-For, as Express's `trust proxy: loopback` reads it. */
function clientAddress(req: IncomingMessage): string {
  const peer = req.socket.remoteAddress ?? '';
  const forwarded = req.headers['x-forwarded-for'];
  const loopback = peer === '::1' || peer.startsWith('127.') || peer.startsWith('::ffff:127.');
  if (!loopback || typeof forwarded !== 'string') return peer;
  return forwarded.split(',').map((a) => a.trim()).at(-1) ?? peer;
}

/** The last poll each connection reported, so that a player's keep-alive polls are reported about once a second. */
const REPORTED = new WeakMap<object, { hearing: string; client: string; at: number }>();
const REPORT_EVERY_MS = 1_000;

/**
 * Reports a playlist poll to the viewer counter. The counter hashes each client and refreshes its
 * entry, which costs as much as the rest of the answer; a viewer is counted over a window of
 * seconds, so a connection polling the same hearing again within a second changes nothing.
 */
function countPoll(req: IncomingMessage, hearing: string, onPlaylist: (hearingId: string, client: string) => void): void {
  const client = `${clientAddress(req)}|${req.headers['user-agent'] ?? ''}`;
  const last = REPORTED.get(req.socket);
  const now = Date.now();
  if (last && last.hearing === hearing && last.client === client && now - last.at < REPORT_EVERY_MS) return;
  REPORTED.set(req.socket, { hearing, client, at: now });
  onPlaylist(hearing, client);
}

/**
 * Answers a GET or HEAD for a public object held in memory, straight on the HTTP server, before
 * the application's middleware: every viewer polls the same few playlists, and this is what
 * keeps the origin near a static file server. Returns false (and touches nothing) for anything
 * it does not answer: other paths, other methods, objects not in memory, unsatisfiable ranges.
 */
export function answerHot(req: IncomingMessage, res: ServerResponse, gate: ServeGate, hot: (key: string) => HotObject | null, onPlaylist?: (hearingId: string, client: string) => void): boolean {
  if (!req.url?.startsWith('/hls/')) return false;
  return answerHotPath(req, res, req.url.slice('/hls'.length).split('?')[0] as string, gate, hot, onPlaylist);
}

/**
 * `answerHot` for a path already below /hls (the Express router's view). Only a hearing the gate
 * allows from memory is answered here; anything the gate has to ask goes on to the router.
 */
export function answerHotPath(req: IncomingMessage, res: ServerResponse, path: string, gate: ServeGate, hot: (key: string) => HotObject | null, onPlaylist?: (hearingId: string, client: string) => void): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const media = mediaKey(path);
  const owner = media ? mediaHearing(media.key) : null;
  if (!media || !owner || gate.cached(owner) !== true) return false;
  const held = hot(media.key);
  if (!held) return false;
  if (req.headers.range && rangeOf(req.headers.range, held.body.length) === 'unsatisfiable') return false;
  const hearing = media.playlist ? playlistHearing(media.key) : null;
  if (hearing && onPlaylist) countPoll(req, hearing, onPlaylist);
  if (!req.headers.range && !req.headers['if-none-match'] && !req.headers['if-modified-since']) {
    // The common case, a plain fetch: headers computed once per object, written in one go.
    const whole = wholeAnswer(held, media);
    res.writeHead(200, whole.headers);
    if (typeof whole.body === 'string') res.end(whole.body, 'latin1');
    else res.end(whole.body);
    return true;
  }
  setOriginHeaders(res);
  const answer = prepareAnswer(req, res, media, { size: held.body.length, modifiedAt: held.modifiedAt, etag: held.etag });
  if (answer.body === 'range') res.end(held.body.subarray(answer.start, answer.end + 1));
  else if (answer.body === 'whole') res.end(held.body);
  else res.end();
  return true;
}
