import { AIRED_OBJECT, DOWNLOADS } from '../domain/recording-keys.ts';
import { pipeline } from 'node:stream/promises';
import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { ArchiveCatalogue } from '../../recorder/archive-catalogue.ts';
import { userActor, type AuditTrail } from '../audit/trail.ts';
import { CASE_TYPES } from '../domain/courts.ts';
import { CourtcastError } from '../domain/errors.ts';
import type { Accounts } from '../service/identity/accounts.ts';
import type { Tokens } from '../service/identity/tokens.ts';
import { authenticate, principalOf, requireRole } from './auth.ts';
import { parse, route } from './handlers.ts';
import { idParam, sourceNameParam as sourceName } from './schemas.ts';
import { rangeOf } from './origin-core.ts';

const instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

/** GET /api/archive/hearings */
export const searchQuery = z
  .object({
    caseNumber: z.string().trim().min(1).max(100).optional(),
    courtId: idParam.optional(),
    courtroomId: idParam.optional(),
    caseType: z.enum(CASE_TYPES).optional(),
    from: instant.optional(),
    to: instant.optional(),
    status: z.enum(['recording', 'finalizing', 'complete']).optional(),
  })
  .strict();

/** POST /api/archive/hearings/:id/orders */
export const orderBody = z
  .object({
    reference: z.string().trim().min(1).max(200),
    judge: z.string().trim().min(1).max(200),
    reason: z.string().trim().min(1).max(2000),
    /** The further camera whose recording the order unseals; none, the courtroom's master. */
    source: sourceName.optional(),
    from: instant,
    to: instant,
    expiresAt: instant,
  })
  .strict();

/** POST /api/archive/hearings/:id/lost-parts */
export const lostBody = z.object({ reason: z.string().trim().min(1).max(2000) }).strict();

const airedKey = z.string().regex(AIRED_OBJECT, 'not an as-aired object');
const masterName = z.string().regex(/^[a-z]\d{4,9}-\d{6}\.ts$/, 'not a master segment');



const TYPES: Record<string, string> = { m3u8: 'application/vnd.apple.mpegurl', ts: 'video/mp2t', mp4: 'video/mp4', json: 'application/json', vtt: 'text/vtt; charset=utf-8' };
const typeOf = (key: string): string => TYPES[key.split('.').pop() ?? ''] ?? 'application/octet-stream';

export interface ArchiveApiDeps {
  readonly catalogue: ArchiveCatalogue;
  readonly audit: AuditTrail;
  readonly tokens: Tokens;
  readonly accounts: Accounts;
  /** Declares the parts of a finalizing archive that nothing can supply lost; answers their keys. */
  readonly declareLost: (hearingId: string, reason: string, by: { userId: string; username: string }, onDeclared: (keys: readonly string[]) => Promise<void>) => Promise<string[]>;
}

/** The archive's public key, for anyone verifying: mounted without sign-in. */
export function archiveKeyRoute(catalogue: ArchiveCatalogue): RequestHandler {
  return (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    // Players on other sites check replays with it.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.type('application/x-pem-file').send(catalogue.publicKeyPem);
  };
}

/**
 * The archivists' API (at /api/archive; all but the public key needs sign-in): search, a hearing's record, its
 * verification, the as-aired replay and downloads with byte ranges; the sealed master only under an
 * unsealing order in force, every access to it (and every refusal) on the hearing's audit trail.
 * Clerks get 403: the archive is not theirs.
 */
export function archiveApi(d: ArchiveApiDeps): Router {
  const { catalogue, audit } = d;
  const api = Router();
  api.get('/public-key', archiveKeyRoute(catalogue));
  api.use(authenticate(d.tokens, d.accounts));
  const readers = requireRole('archivist', 'admin');
  const orderers = requireRole('supervisor', 'admin');

  /** Puts an access to the sealed master on the record; the answer waits for it (a refusal is recorded too). */
  const recordAccess = async (res: express.Response, hearingId: string, action: string, params: Record<string, unknown>): Promise<void> => {
    await audit.append(hearingId, { actor: userActor(principalOf(res)), action, params, effectiveAt: Date.now() });
  };
  const sealedGuard = async <T>(res: express.Response, hearingId: string, what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      if (err instanceof CourtcastError && err.code === 'FORBIDDEN') await recordAccess(res, hearingId, 'master-access-refused', { what, why: err.message });
      throw err;
    }
  };

  /** Streams an object, honouring a single byte range. */
  const send = async (req: express.Request, res: express.Response, key: string, open: (range?: { start: number; end: number }) => Promise<{ body: NodeJS.ReadableStream; info: { size: number } } | null>, size: number | null) => {
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Cache-Control', 'private, no-store');
    res.type(typeOf(key));
    // Ranges are read as the origin reads them (one range, or the whole object).
    const asked = size === null ? null : rangeOf(req.headers.range, size);
    if (asked === 'unsatisfiable') {
      res.setHeader('Content-Range', `bytes */${size}`);
      throw new CourtcastError('RANGE_NOT_SATISFIABLE', 'the requested range is outside the object');
    }
    const range = asked ?? undefined;
    const found = await open(range);
    if (!found) throw new CourtcastError('NOT_FOUND', 'not in the archive (yet)');
    if (range) {
      res.status(206).setHeader('Content-Range', `bytes ${range.start}-${range.end}/${found.info.size}`);
      res.setHeader('Content-Length', String(range.end - range.start + 1));
    } else res.setHeader('Content-Length', String(found.info.size));
    await pipeline(found.body, res);
  };

  api.get('/hearings', readers, route(async (req, res) => {
    const q = parse(searchQuery, req.query, res);
    if (q) res.json(await catalogue.search(q));
  }));

  api.get('/hearings/:id', readers, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    const trail = await audit.list(id);
    res.json({ ...(await catalogue.record(id)), orders: await catalogue.orders(id), audit: trail, recording: await catalogue.recording(id, trail), sourceRecordings: await catalogue.sourceRecordings(id, trail) });
  }));

  api.post('/hearings/:id/verify', readers, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (id) res.json(await catalogue.verify(id));
  }));

  // The as-aired recording: replay (playlists and segments) and its MP4.
  api.get('/hearings/:id/aired/{*rest}', readers, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const rest = id && parse(airedKey, (req.params as { rest?: string[] }).rest?.join('/'), res);
    if (!id || !rest) return;
    const key = `aired/${rest}`;
    await send(req, res, key, (range) => catalogue.open(id, key, range), (await catalogue.head(id, key))?.size ?? null);
  }));

  api.get('/hearings/:id/download/:file', readers, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const file = id && parse(z.enum(DOWNLOADS), req.params.file, res);
    if (!id || !file) return;
    const name = `${id}-${file}`;
    if (file === 'master.mp4') {
      const { orders, segments } = await sealedGuard(res, id, file, () => catalogue.unsealed(id));
      const all = (await catalogue.record(id)).master.segments;
      if (segments.length < all) {
        await recordAccess(res, id, 'master-access-refused', { what: file, why: 'the orders in force cover only part of the master' });
        throw new CourtcastError('FORBIDDEN', 'the orders in force unseal only part of the master: play the ordered interval instead');
      }
      await recordAccess(res, id, 'master-downloaded', { orders: orders.map((o) => o.reference) });
    } else if (file === 'aired.mp4') await recordAccess(res, id, 'archive-downloaded', { file });
    const url = file.endsWith('.mp4') ? await catalogue.presigned(id, file, name) : null;
    // A browser page cannot read a cross-origin redirect: it asks for the link and navigates to it.
    if (req.query.as === 'link') return void res.json({ url });
    if (url) return void res.redirect(303, url);
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    const head = await catalogue.head(id, file);
    const open = (range?: { start: number; end: number }) =>
      file === 'master.mp4' ? catalogue.masterFile(id, range) : catalogue.open(id, file, range);
    await send(req, res, file, open, head?.size ?? null);
  }));

  // The sealed master: only the part an order in force unseals, every access recorded.
  api.get('/hearings/:id/master/index.m3u8', readers, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    const { orders, segments } = await sealedGuard(res, id, 'master playlist', () => catalogue.unsealed(id));
    await recordAccess(res, id, 'master-played', { orders: orders.map((o) => o.reference), segments: segments.length });
    res.setHeader('Cache-Control', 'private, no-store');
    res.type(TYPES.m3u8 as string).send(catalogue.masterPlaylist(segments));
  }));
  api.get('/hearings/:id/master/:name', readers, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const name = id && parse(masterName, req.params.name, res);
    if (!id || !name) return;
    const seg = await sealedGuard(res, id, name, () => catalogue.masterSegment(id, name));
    await recordAccess(res, id, 'master-segment-read', { segment: seg.entry.key });
    res.setHeader('Cache-Control', 'private, no-store');
    res.type('video/mp2t').setHeader('Content-Length', String(seg.info.size));
    await pipeline(seg.body, res);
  }));

  // A further camera's sealed master, under the orders that name that camera.
  api.get('/hearings/:id/sources/:source/master/index.m3u8', readers, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const source = id && parse(sourceName, req.params.source, res);
    if (!id || !source) return;
    const { orders, segments } = await sealedGuard(res, id, `camera ${source} master playlist`, () => catalogue.unsealed(id, source));
    await recordAccess(res, id, 'master-played', { source, orders: orders.map((o) => o.reference), segments: segments.length });
    res.setHeader('Cache-Control', 'private, no-store');
    res.type(TYPES.m3u8 as string).send(catalogue.masterPlaylist(segments));
  }));
  api.get('/hearings/:id/sources/:source/master/:name', readers, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const source = id && parse(sourceName, req.params.source, res);
    const name = source && parse(masterName, req.params.name, res);
    if (!id || !source || !name) return;
    const seg = await sealedGuard(res, id, `camera ${source} ${name}`, () => catalogue.masterSegment(id, name, source));
    await recordAccess(res, id, 'master-segment-read', { source, segment: seg.entry.key });
    res.setHeader('Cache-Control', 'private, no-store');
    res.type('video/mp2t').setHeader('Content-Length', String(seg.info.size));
    await pipeline(seg.body, res);
  }));

  api.get('/hearings/:id/orders', requireRole('archivist', 'supervisor', 'admin'), route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (id) res.json(await catalogue.orders(id));
  }));
  api.post('/hearings/:id/orders', express.json({ limit: '16kb' }), orderers, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const body = id && parse(orderBody, req.body ?? {}, res);
    if (!id || !body) return;
    const p = principalOf(res);
    const order = await catalogue.addOrder(id, body, { userId: p.userId, username: p.username });
    await recordAccess(res, id, 'unsealing-order-entered', { order: order.id, reference: order.reference, judge: order.judge, ...(order.source ? { source: order.source } : {}), from: order.from, to: order.to, expiresAt: order.expiresAt });
    res.status(201).json(order);
  }));

  // A node died with parts of an archive it never uploaded: a supervisor lets the archive finish
  // without them. The parts stay on the chain, the declaration is sealed with them, and the
  // recording log names the hole it leaves.
  api.post('/hearings/:id/lost-parts', express.json({ limit: '16kb' }), orderers, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const body = id && parse(lostBody, req.body ?? {}, res);
    if (!id || !body) return;
    // The declaration is for good: it is made only if the trail can say who made it.
    if (!(await audit.ready(id))) throw new CourtcastError('STORE_UNAVAILABLE', 'the audit trail cannot record it now, so nothing was declared lost');
    const p = principalOf(res);
    // On the trail before finalizing reads it into the archived record.
    const keys = await d.declareLost(id, body.reason, { userId: p.userId, username: p.username }, (lost) => recordAccess(res, id, 'archive-parts-declared-lost', { keys: lost, reason: body.reason }));
    res.json({ keys });
  }));

  return api;
}
