import { Router } from 'express';
import type { HotObject } from '../store/hot-object-store.ts';
import type { ObjectReader } from '../store/object-store.ts';
import { answerHotPath } from './hot-answer.ts';
import { mediaHearing, mediaKey, playlistHearing, prepareAnswer, setOriginHeaders, type ServeGate } from './origin-core.ts';
import { sendProblem } from './problem.ts';

/**
 * The HLS origin. It serves the public store and nothing else: the key is checked against the
 * store's strict pattern after decoding, only playlist and segment types are served, and there is
 * no path from here to pending or master media, whatever the URL. What the process published
 * itself is answered from memory (usually before this router: see hot-answer.ts and front-door.ts); validators (ETag,
 * Last-Modified) make a poll of an unchanged playlist a 304, and segments honour single byte ranges.
 * A hearing's media is served only while the gate (the rule of every public page) allows it: a
 * hearing that is not, or no longer, publishable is a 404 here as everywhere else.
 */
export function originRouter(publicStore: ObjectReader, gate: ServeGate, onPlaylist?: (hearingId: string, client: string) => void, hot?: (key: string) => HotObject | null): Router {
  const router = Router();
  router.use((req, res, next) => {
    setOriginHeaders(res);
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  });
  router.get(/.*/, async (req, res, next) => {
    const media = mediaKey(req.path);
    const owner = media ? mediaHearing(media.key) : null;
    if (!media || !owner) return sendProblem(res, 'NOT_FOUND', 'no such media');
    try {
      if (!(await gate.allows(owner))) return sendProblem(res, 'NOT_FOUND', 'no such media');
      if (hot && answerHotPath(req, res, req.path, gate, hot, onPlaylist)) return;
      const info = await publicStore.head(media.key);
      if (!info) return sendProblem(res, 'NOT_FOUND', 'no such media');
      const hearing = media.playlist ? playlistHearing(media.key) : null;
      if (hearing && onPlaylist) onPlaylist(hearing, `${req.ip ?? ''}|${req.get('user-agent') ?? ''}`);
      // Without the body in memory the validator is the object's size and date: enough for
      // objects that are replaced whole, never edited.
      const etag = `W/"${info.size.toString(36)}-${info.modifiedAt.getTime().toString(36)}"`;
      const answer = prepareAnswer(req, res, media, { ...info, etag });
      if (answer.body === 'none') return void res.end();
      if (answer.body === 'unsatisfiable') return sendProblem(res, 'RANGE_NOT_SATISFIABLE', 'the requested range is outside the object');
      const found = await publicStore.stream(media.key, answer.body === 'range' ? answer : undefined);
      if (!found) return sendProblem(res, 'NOT_FOUND', 'no such media');
      found.body.on('error', next);
      found.body.pipe(res);
    } catch (err) {
      next(err);
    }
  });
  return router;
}
