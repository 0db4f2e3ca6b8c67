import { Router, type Request, type Response } from 'express';
import type { HotObject } from '../store/hot-object-store.ts';
import { isObjectKey, type ObjectReader } from '../store/object-store.ts';
import { sendProblem } from './problem.ts';

const TYPES: Readonly<Record<string, string>> = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
};

/** The single byte range a request asks for: none, one, or one that cannot be met. */
function rangeOf(req: Request, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (!req.headers.range) return null;
  const ranges = req.range(size);
  if (ranges === -1) return 'unsatisfiable';
  // A malformed header, or several ranges (which no HLS client asks for), gets the whole object.
  return Array.isArray(ranges) && ranges.length === 1 && ranges.type === 'bytes' ? (ranges[0] as { start: number; end: number }) : null;
}

/** Whether the client's copy is current, by ETag first, then by date (RFC 9110 13.1.3). */
function notModified(req: Request, etag: string, modifiedAt: Date): boolean {
  const tags = req.get('if-none-match');
  if (tags) return tags.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*');
  const since = Date.parse(req.get('if-modified-since') ?? '');
  return Number.isFinite(since) && Math.floor(modifiedAt.getTime() / 1000) * 1000 <= since;
}

/**
 * The HLS origin. It serves the public store and nothing else: the key is checked against the
 * store's strict pattern after decoding, only playlist and segment types are served, and there is
 * no path from here to pending or master media, whatever the URL. What the process published
 * itself is answered from memory (`hot`); validators (ETag, Last-Modified) make a poll of an
 * unchanged playlist a 304, and segments honour single byte ranges.
 */
export function originRouter(publicStore: ObjectReader, onPlaylist?: (hearingId: string, client: string) => void, hot?: (key: string) => HotObject | null): Router {
  const router = Router();
  router.use((req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Range, If-None-Match, If-Modified-Since');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Range, ETag');
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  });
  router.get(/.*/, async (req, res, next) => {
    let key: string;
    try {
      key = decodeURIComponent(req.path.replace(/^\//, ''));
    } catch {
      return sendProblem(res, 'NOT_FOUND', 'no such media');
    }
    const ext = /\.([a-z0-9]+)$/.exec(key)?.[1] ?? '';
    const type = TYPES[ext];
    if (!type || !isObjectKey(key)) return sendProblem(res, 'NOT_FOUND', 'no such media');
    try {
      const held = hot?.(key) ?? null;
      const info = held ? { size: held.body.length, modifiedAt: held.modifiedAt } : await publicStore.head(key);
      if (!info) return sendProblem(res, 'NOT_FOUND', 'no such media');
      const hearing = /^hearings\/([^/]+)\/[^/]+\/index\.m3u8$/.exec(key)?.[1];
      if (hearing && onPlaylist) onPlaylist(hearing, `${req.ip ?? ''}|${req.get('user-agent') ?? ''}`);
      // Without the body in memory the validator is the object's size and date: enough for
      // objects that are replaced whole, never edited.
      const etag = held?.etag ?? `W/"${info.size.toString(36)}-${info.modifiedAt.getTime().toString(36)}"`;
      res.setHeader('ETag', etag);
      res.setHeader('Last-Modified', info.modifiedAt.toUTCString());
      res.setHeader('Accept-Ranges', 'bytes');
      // Playlists change every segment; segments never change once published.
      res.setHeader('Cache-Control', ext === 'm3u8' ? 'public, max-age=1' : 'public, max-age=31536000, immutable');
      if (notModified(req, etag.replace(/^W\//, ''), info.modifiedAt)) return void res.status(304).end();
      res.setHeader('Content-Type', type);
      const range = rangeOf(req, info.size);
      if (range === 'unsatisfiable') {
        res.setHeader('Content-Range', `bytes */${info.size}`);
        return sendProblem(res, 'RANGE_NOT_SATISFIABLE', 'the requested range is outside the object');
      }
      if (range) res.status(206).setHeader('Content-Range', `bytes ${range.start}-${range.end}/${info.size}`);
      const length = range ? range.end - range.start + 1 : info.size;
      res.setHeader('Content-Length', String(length));
      if (held) return void res.end(range ? held.body.subarray(range.start, range.end + 1) : held.body);
      await streamFromStore(publicStore, key, range, res, next);
    } catch (err) {
      next(err);
    }
  });
  return router;
}

async function streamFromStore(store: ObjectReader, key: string, range: { start: number; end: number } | null, res: Response, next: (err: unknown) => void): Promise<void> {
  const found = await store.stream(key, range ?? undefined);
  if (!found) return sendProblem(res, 'NOT_FOUND', 'no such media');
  found.body.on('error', next);
  found.body.pipe(res);
}
