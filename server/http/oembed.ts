import type express from 'express';
import type { RequestHandler } from 'express';
import { ID_PATTERN } from '../domain/ids.ts';
import type { PublicHearings } from '../service/publicity/public-hearings.ts';
import { sendProblem } from './problem.ts';

const WIDTH = 640;
const HEIGHT = 410;

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
        const maxwidth = Number(req.query.maxwidth) > 0 ? Math.min(WIDTH, Number(req.query.maxwidth)) : WIDTH;
        const height = Math.round((maxwidth * HEIGHT) / WIDTH);
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
          width: maxwidth,
          height,
          html: `<iframe src="${escapeAttr(src)}" width="${maxwidth}" height="${height}" title="${escapeAttr(h.title)}" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen style="border:0"></iframe>`,
        });
      })
      .catch((err: unknown) => next(err));
  };
}
