import { Router } from 'express';
import { z } from 'zod';
import type { TransparencyLog } from '../audit/transparency-log.ts';
import { parse, route } from './handlers.ts';
import { sendProblem } from './problem.ts';
import { idParam } from './schemas.ts';

/** At most this many entries per request: a monitor pages through a long log. */
const MAX_ENTRIES = 1_000;

const size = z.coerce.number().int().nonnegative().max(2 ** 31);
const rangeQuery = z.object({ start: size, end: size }).refine((q) => q.end >= q.start && q.end - q.start <= MAX_ENTRIES, `end must be from start to start + ${MAX_ENTRIES}`);
const consistencyQuery = z.object({ first: size, second: size }).refine((q) => q.second >= q.first, 'second must not be smaller than first');

/**
 * The transparency log, public and without sign-in (at /transparency), for anyone to check what
 * the court sealed: the newest signed tree head, the entries, a consistency proof between two tree
 * sizes, and the proof that a hearing's final seal is in the log. Hashes are hex. Short cache
 * lives: a head is current for seconds.
 */
export function transparencyApi(log: Pick<TransparencyLog, 'head' | 'range' | 'consistency' | 'find' | 'inclusion'>): Router {
  const api = Router();
  api.use((_req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'public, max-age=5');
    next();
  });
  api.get('/head', route(async (_req, res) => void res.json(await log.head())));
  api.get('/entries', route(async (req, res) => {
    const q = parse(rangeQuery, req.query, res);
    if (q) res.json({ start: q.start, entries: await log.range(q.start, q.end) });
  }));
  api.get('/proof/consistency', route(async (req, res) => {
    const q = parse(consistencyQuery, req.query, res);
    if (q) res.json({ first: q.first, second: q.second, proof: await log.consistency(q.first, q.second) });
  }));
  // Every seal the log holds for the hearing, each with its proof (one, unless the archive was
  // sealed again with other contents: a verifier holding either can tell).
  api.get('/proof/seal/:id', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    const found = await log.find((s) => s.kind === 'seal' && s.hearingId === id);
    if (found.length === 0) return sendProblem(res, 'NOT_FOUND', 'the log holds no seal of this hearing');
    res.json({ seals: await Promise.all(found.map((i) => log.inclusion(i))) });
  }));
  return api;
}
