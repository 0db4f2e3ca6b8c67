import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HotObject } from '../store/hot-object-store.ts';
import type { DoorConnection } from './front-door.ts';
import type { RawHead } from './raw-head.ts';
import { MEDIA_HEADERS, mediaHearing, mediaKey, notModified, playlistHearing, rangeOf, type ServeGate } from './origin-core.ts';

/** What a hot answer reads of a request, whichever server parsed it. */
export interface HotRequest {
  readonly method: string;
  /** The path below /hls, without the query, still percent-encoded. */
  readonly path: string;
  readonly range: string | undefined;
  readonly ifNoneMatch: string | undefined;
  readonly ifModifiedSince: string | undefined;
}

/** An answer from memory: status, headers as alternating names and values (what writeHead takes), body. */
export interface HotAnswer {
  readonly status: 200 | 206 | 304;
  /** For a plain 200 the same array for every request of the object, so writers may cache by it. */
  readonly headers: readonly string[];
  /** Null for a 304; a HEAD request's writer leaves the body out itself. */
  readonly body: string | Buffer | null;
  /** The hearing whose media playlist this was: a viewer's poll. */
  readonly pollOf: string | null;
}

/** Headers of every answer from memory: players on any site may read them, and nothing is sniffed. */
const CORS_PAIRS: readonly string[] = MEDIA_HEADERS.flat();

interface Media {
  readonly key: string;
  readonly type: string;
  readonly playlist: boolean;
  readonly owner: string;
  readonly pollOf: string | null;
}

/**
 * What each path names, remembered: viewers ask for the same few paths many times a second, and
 * decoding and matching one costs as much as the rest of the answer. Paths come from anyone, so
 * the memory is emptied whenever it fills rather than grown.
 */
const MEDIA = new Map<string, Media | null>();
const MEDIA_LIMIT = 4096;

function mediaOf(path: string): Media | null {
  const known = MEDIA.get(path);
  if (known !== undefined) return known;
  const m = mediaKey(path);
  const owner = m ? mediaHearing(m.key) : null;
  const media = m && owner ? { ...m, owner, pollOf: m.playlist ? playlistHearing(m.key) : null } : null;
  if (MEDIA.size >= MEDIA_LIMIT) MEDIA.clear();
  MEDIA.set(path, media);
  return media;
}

/** The plain 200 of each held object, made once and kept as long as the object is. */
const WHOLE = new WeakMap<HotObject, HotAnswer>();

function validatorPairs(held: HotObject, media: Media): string[] {
  // Playlists change every segment; segments never change once published.
  const cache = media.playlist ? 'public, max-age=1' : 'public, max-age=31536000, immutable';
  return [...CORS_PAIRS, 'ETag', held.etag, 'Last-Modified', held.modifiedAt.toUTCString(), 'Accept-Ranges', 'bytes', 'Cache-Control', cache];
}

function wholeAnswer(held: HotObject, media: Media): HotAnswer {
  let a = WHOLE.get(held);
  if (!a) {
    a = {
      status: 200,
      headers: [...validatorPairs(held, media), 'Content-Type', media.type, 'Content-Length', String(held.body.length)],
      // A playlist's bytes as a latin1 string (the same bytes): Node sends a string body in the
      // same write as the head, and for answers this small that write is most of the cost.
      body: media.playlist ? held.body.toString('latin1') : held.body,
      pollOf: media.pollOf,
    };
    WHOLE.set(held, a);
  }
  return a;
}

/** The gate has to ask about this hearing before its media can be answered (from memory or not). */
export interface MustAsk {
  readonly ask: string;
}

/**
 * The answer from memory to a GET or HEAD for a public object; `{ ask }` when the gate's memory of
 * the hearing is stale (ask it, then try again); null for anything not answered from memory: other
 * methods and paths, hearings the gate does not allow, objects not held, unsatisfiable ranges.
 * Pure but for the caches.
 */
export function hotAnswer(r: HotRequest, gate: ServeGate, hot: (key: string) => HotObject | null): HotAnswer | MustAsk | null {
  if (r.method !== 'GET' && r.method !== 'HEAD') return null;
  const media = mediaOf(r.path);
  if (!media) return null;
  const allowed = gate.cached(media.owner);
  if (allowed !== true) return allowed === null ? { ask: media.owner } : null;
  const held = hot(media.key);
  if (!held) return null;
  if (!r.range && !r.ifNoneMatch && !r.ifModifiedSince) return wholeAnswer(held, media);
  const headers = validatorPairs(held, media);
  if (notModified(r.ifNoneMatch, r.ifModifiedSince, held.etag, held.modifiedAt)) return { status: 304, headers, body: null, pollOf: media.pollOf };
  const size = held.body.length;
  const range = rangeOf(r.range, size);
  if (range === 'unsatisfiable') return null;
  headers.push('Content-Type', media.type);
  if (!range) return { status: 200, headers: [...headers, 'Content-Length', String(size)], body: held.body, pollOf: media.pollOf };
  headers.push('Content-Range', `bytes ${range.start}-${range.end}/${size}`, 'Content-Length', String(range.end - range.start + 1));
  return { status: 206, headers, body: held.body.subarray(range.start, range.end + 1), pollOf: media.pollOf };
}

/** Who is asking: a loopback proxy's (nginx's) X-Forwarded-For, as Express's `trust proxy: loopback` reads it. */
export function clientAddress(peer: string, forwarded: string | undefined): string {
  const loopback = peer === '::1' || peer.startsWith('127.') || peer.startsWith('::ffff:127.');
  if (!loopback || forwarded === undefined) return peer;
  return forwarded.split(',').map((a) => a.trim()).at(-1) ?? peer;
}

/** The last poll each connection reported, so that a player's keep-alive polls are reported about once a second. */
const REPORTED = new WeakMap<object, { hearing: string; forwardedFor: string | undefined; userAgent: string | undefined; at: number }>();
const REPORT_EVERY_MS = 1_000;

/**
 * Reports a playlist poll to the viewer counter. The counter hashes each client and refreshes its
 * entry, which costs as much as the rest of the answer; a viewer is counted over a window of
 * seconds, so a connection polling the same hearing again within a second, for the same client
 * (a proxy's connection carries many), changes nothing.
 */
export function reportPoll(
  connection: object,
  asker: { readonly peer: string; readonly forwardedFor: string | undefined; readonly userAgent: string | undefined },
  hearing: string,
  onPlaylist: (hearingId: string, client: string) => void,
): void {
  const last = REPORTED.get(connection);
  const now = Date.now();
  if (last && last.hearing === hearing && last.forwardedFor === asker.forwardedFor && last.userAgent === asker.userAgent && now - last.at < REPORT_EVERY_MS) return;
  REPORTED.set(connection, { hearing, forwardedFor: asker.forwardedFor, userAgent: asker.userAgent, at: now });
  onPlaylist(hearing, `${clientAddress(asker.peer, asker.forwardedFor)}|${asker.userAgent ?? ''}`);
}

/**
 * Answers a GET or HEAD for a public object held in memory on Node's HTTP server, before the
 * application's middleware (connections the front door handed over, and the origin router).
 * Returns false, having touched nothing, for whatever `hotAnswer` does not answer.
 */
export function answerHotPath(req: IncomingMessage, res: ServerResponse, path: string, gate: ServeGate, hot: (key: string) => HotObject | null, onPlaylist?: (hearingId: string, client: string) => void): boolean {
  const h = req.headers;
  const a = hotAnswer({ method: req.method ?? '', path, range: h.range, ifNoneMatch: h['if-none-match'], ifModifiedSince: h['if-modified-since'] }, gate, hot);
  // A stale gate is the router's to ask (it awaits); this server answers nothing it has to wait for.
  if (!a || 'ask' in a) return false;
  if (a.pollOf && onPlaylist) {
    const forwardedFor = typeof h['x-forwarded-for'] === 'string' ? h['x-forwarded-for'] : undefined;
    reportPoll(req.socket, { peer: req.socket.remoteAddress ?? '', forwardedFor, userAgent: h['user-agent'] }, a.pollOf, onPlaylist);
  }
  res.writeHead(a.status, a.headers as string[]);
  if (a.body === null) res.end();
  else if (typeof a.body === 'string') res.end(a.body, 'latin1');
  else res.end(a.body);
  return true;
}

/** `answerHotPath` for a whole request URL: only what is below /hls/. */
export function answerHot(req: IncomingMessage, res: ServerResponse, gate: ServeGate, hot: (key: string) => HotObject | null, onPlaylist?: (hearingId: string, client: string) => void): boolean {
  if (!req.url?.startsWith('/hls/')) return false;
  return answerHotPath(req, res, req.url.slice('/hls'.length).split('?')[0] as string, gate, hot, onPlaylist);
}

/**
 * The front door's answerer: from memory, after the gate has asked about a hearing it no longer
 * remembers, or none (the connection goes to Node's server). Polls are reported as on Node's path.
 */
export function doorAnswerer(gate: ServeGate, hot: (key: string) => HotObject | null, onPlaylist?: (hearingId: string, client: string) => void) {
  return (head: RawHead, connection: DoorConnection): HotAnswer | null | Promise<unknown> => {
    const a = hotAnswer(head, gate, hot);
    if (a && 'ask' in a) return gate.allows(a.ask);
    if (a?.pollOf && onPlaylist) reportPoll(connection.socket, { peer: connection.peer, forwardedFor: head.forwardedFor, userAgent: head.userAgent }, a.pollOf, onPlaylist);
    return a;
  };
}
