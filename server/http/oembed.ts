import type express from 'express';
import type { RequestHandler } from 'express';
import { ID_PATTERN } from '../domain/ids.ts';
import type { PublicHearings } from '../service/publicity/public-hearings.ts';
import { sendProblem } from './problem.ts';

const WIDTH = 640;
/** Below this the player's controls would crowd its picture out. */
const MIN_WIDTH = 200;

/**
 * The iframe's height for a width: the 16:9 picture and the player's bar, which takes a second
 * row in a narrow box (the player fits any box; this is the size it looks best in).
 */
export const embedHeight = (width: number): number => Math.round((width * 9) / 16) + (width < 560 ? 84 : 50);

/** The largest width up to `maxwidth` whose height is within `maxheight`; null if even the smallest is not. */
export function embedWidth(maxwidth: number, maxheight: number): number | null {
  for (let w = Math.min(WIDTH, Math.floor(maxwidth)); w >= MIN_WIDTH; w--) if (embedHeight(w) <= maxheight) return w;
  return null;
}

/** The hearing id in a Courtcast page URL (/watch/ID, /embed/ID or /hearings/ID), if it is one. */
function hearingIdOf(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  const m = /^\/(?:watch|embed|hearings)\/([^/]+)\/?$/.exec(u.pathname);
  return m?.[1] && ID_PATTERN.test(m[1]) ? m[1] : null;
}

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * oEmbed (https://oembed.com) for hearing pages, so a CMS turns a pasted link into the player:
 * a `video` answer whose html is the iframe embed. Only public hearings; anything else is 404.
 */
export function oembedRoute(hearings: PublicHearings, baseUrl: (req: express.Request) => string): RequestHandler {
  return (req, res, next) => {
    const url = typeof req.query.url === 'string' ? req.query.url : '';
    const format = typeof req.query.format === 'string' ? req.query.format : 'json';
    if (format !== 'json') return sendProblem(res, 'UNSUPPORTED_MEDIA', 'only format=json is offered');
    const id = hearingIdOf(url);
    if (!id) return sendProblem(res, 'NOT_FOUND', 'not a Courtcast hearing URL');
    hearings
      .get(id)
      .then((h) => {
        if (!h) return sendProblem(res, 'NOT_FOUND', `no hearing ${id}`);
        const base = baseUrl(req) || `${req.protocol}://${req.get('host')}`;
        const asked = (v: unknown): number => (Number(v) > 0 ? Number(v) : Number.POSITIVE_INFINITY);
        // oEmbed: an answer must keep within maxwidth and maxheight, or be 501.
        const width = embedWidth(asked(req.query.maxwidth), asked(req.query.maxheight));
        if (width === null) return sendProblem(res, 'NOT_IMPLEMENTED', `no embed fits within ${String(req.query.maxwidth ?? '∞')}×${String(req.query.maxheight ?? '∞')}`);
        const height = embedHeight(width);
        const src = `${base}/embed/${h.id}`;
        res.setHeader('Access-Control-Allow-Origin', '*');
        // Links built from the Host header must not be cached for other clients.
        res.setHeader('Cache-Control', baseUrl(req) ? 'public, max-age=300' : 'no-store');
        res.json({
          version: '1.0',
          type: 'video',
          provider_name: 'Courtcast',
          provider_url: base,
          title: h.title,
          width,
          height,
          html: `<iframe src="${escapeAttr(src)}" width="${width}" height="${height}" title="${escapeAttr(h.title)}" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen style="border:0"></iframe>`,
        });
      })
      .catch((err: unknown) => next(err));
  };
}
