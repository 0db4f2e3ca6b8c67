import { timingSafeEqual } from 'node:crypto';
import express, { Router, type RequestHandler } from 'express';
import type { z } from 'zod';
import type { Courtroom, Hearing, PublicHearing } from '../domain/courts.ts';
import type { BroadcastService } from '../service/broadcasts.ts';
import { publicPrefix } from '../service/broadcasts.ts';
import type { Registry } from '../service/registry.ts';
import { sendProblem, zodErrors } from './problem.ts';
import { commandBody, commandParam, idParam, newCourtBody, newCourtroomBody, newHearingBody } from './schemas.ts';

/** Parses with a schema, or answers 400 problem+json and returns undefined. */
function parse<S extends z.ZodType>(schema: S, value: unknown, res: express.Response): z.infer<S> | undefined {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  sendProblem(res, 'VALIDATION_FAILED', 'the request is invalid', { errors: zodErrors(r.error) });
  return undefined;
}

/** Wraps an async handler so a rejection reaches the problem handler. */
const route =
  (fn: (req: express.Request, res: express.Response) => Promise<void>): RequestHandler =>
  (req, res, next) =>
    void fn(req, res).catch(next);

/** Staff API access: a bearer token until accounts and roles arrive. */
export function requireToken(token: string): RequestHandler {
  const expected = Buffer.from(`Bearer ${token}`);
  return (req, res, next) => {
    const got = Buffer.from(req.get('authorization') ?? '');
    if (got.length === expected.length && timingSafeEqual(got, expected)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(401).type('application/problem+json').send(JSON.stringify({ type: 'about:blank', title: 'unauthorized', status: 401, code: 'UNAUTHORIZED' }));
  };
}

/** A courtroom as staff see it: everything, the stream key included. */
const staffCourtroom = (r: Courtroom): Courtroom => r;

/** The staff API: courts, courtrooms, hearings and broadcast commands. */
export function staffApi(registry: Registry, broadcasts: BroadcastService, token: string): Router {
  const api = Router();
  api.use(requireToken(token));
  api.use(express.json({ limit: '32kb' }));

  api.post('/courts', route(async (req, res) => {
    const body = parse(newCourtBody, req.body ?? {}, res);
    if (body) res.status(201).json(await registry.createCourt(body));
  }));
  api.get('/courts', route(async (_req, res) => void res.json(await registry.listCourts())));

  api.post('/courts/:courtId/courtrooms', route(async (req, res) => {
    const courtId = parse(idParam, req.params.courtId, res);
    const body = courtId && parse(newCourtroomBody, req.body ?? {}, res);
    if (courtId && body) res.status(201).json(staffCourtroom(await registry.createCourtroom(courtId, body)));
  }));
  api.get('/courtrooms/:id', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (id) res.json(staffCourtroom(await registry.courtroom(id)));
  }));
  api.post('/courtrooms/:id/rotate-key', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    const room = await registry.rotateKey(id);
    broadcasts.kickEncoder(room.id);
    res.json(staffCourtroom(room));
  }));

  api.post('/hearings', route(async (req, res) => {
    const body = parse(newHearingBody, req.body ?? {}, res);
    if (body) res.status(201).json(await registry.createHearing(body));
  }));
  api.get('/hearings', route(async (_req, res) => void res.json(await registry.listHearings())));
  api.get('/hearings/:id', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (id) res.json({ hearing: await registry.hearing(id), live: broadcasts.session(id)?.status() ?? null });
  }));
  api.post('/hearings/:id/broadcast/:command', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const cmd = id && parse(commandParam, req.params.command, res);
    const body = cmd && parse(commandBody, req.body ?? {}, res);
    if (id && cmd && body) res.json(await broadcasts.command(id, cmd));
  }));
  return api;
}

/** What anyone may know about a hearing. */
function publicView(h: Hearing, courtName: string, baseUrl: string): PublicHearing & { playlistUrl: string | null } {
  const { courtId: _omit, ...rest } = h;
  const playlistUrl = h.status === 'live' ? `${baseUrl}/hls/${publicPrefix(h.id)}/master.m3u8` : null;
  return { ...rest, courtName, playlistUrl };
}

/** The public API: the schedule and one hearing's status. Only public hearings are listed. */
export function publicApi(registry: Registry, broadcasts: BroadcastService, baseUrl: (req: express.Request) => string): Router {
  const api = Router();
  api.use((_req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'public, max-age=2');
    next();
  });
  api.get('/schedule', route(async (req, res) => {
    const courts = new Map((await registry.listCourts()).map((c) => [c.id as string, c.name]));
    const hearings = (await registry.listHearings()).filter((h) => h.isPublic);
    res.json(hearings.map((h) => publicView(h, courts.get(h.courtId) ?? '', baseUrl(req))));
  }));
  api.get('/hearings/:id', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    const h = await registry.hearing(id);
    if (!h.isPublic) return sendProblem(res, 'NOT_FOUND', `no hearing ${id}`);
    const court = await registry.court(h.courtId);
    const live = broadcasts.session(id)?.status();
    res.json({ ...publicView(h, court.name, baseUrl(req)), broadcast: live ? { phase: live.phase, delaySeconds: live.delaySeconds } : null });
  }));
  return api;
}
