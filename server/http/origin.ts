import { Router } from 'express';
import { isObjectKey, type ObjectReader } from '../store/object-store.ts';
import { sendProblem } from './problem.ts';

const TYPES: Readonly<Record<string, string>> = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
};

/**
 * The HLS origin. It serves the public store and nothing else: the key is checked against the
 * store's strict pattern after decoding, only playlist and segment types are served, and there is
 * no path from here to pending or master media, whatever the URL.
 */
export function originRouter(publicStore: ObjectReader, onPlaylist?: (hearingId: string, client: string) => void): Router {
  const router = Router();
  router.use((req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Range');
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
      const found = await publicStore.stream(key);
      if (!found) return sendProblem(res, 'NOT_FOUND', 'no such media');
      const hearing = /^hearings\/([^/]+)\/[^/]+\/index\.m3u8$/.exec(key)?.[1];
      if (hearing && onPlaylist) onPlaylist(hearing, `${req.ip ?? ''}|${req.get('user-agent') ?? ''}`);
      res.setHeader('Content-Type', type);
      res.setHeader('Content-Length', String(found.info.size));
      // Playlists change every segment; segments never change once published.
      res.setHeader('Cache-Control', ext === 'm3u8' ? 'public, max-age=1' : 'public, max-age=31536000, immutable');
      found.body.on('error', next);
      found.body.pipe(res);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
