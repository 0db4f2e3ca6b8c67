import express, { Router, type RequestHandler, type Response } from 'express';
import { problemRateLimit } from './rate-limit.ts';
import { z } from 'zod';
import type { Courtroom, Hearing } from '../domain/courts.ts';
import { CourtcastError } from '../domain/errors.ts';
import { hasRole, mayApprove, mayControl, mayReadAudit, publicUser, type Principal } from '../domain/users.ts';
import type { Governance } from '../service/court/governance.ts';
import { userActor, type AuditTrail } from '../audit/trail.ts';
import type { Accounts } from '../service/identity/accounts.ts';
import type { Tokens } from '../service/identity/tokens.ts';
import { authenticate, principalOf, requireRole } from './auth.ts';
import type { BroadcastService } from '../service/broadcast/broadcasts.ts';
import type { PreviewPiece } from '../service/broadcast/preview.ts';
import { previewTarget } from '../service/cluster/remote-calls.ts';
import type { Registry } from '../service/court/registry.ts';
import type { Replays } from '../service/publicity/replays.ts';
import { parse, route } from './handlers.ts';
import { commandBody, commandParam, idParam, loginBody, maskIdParam, newMaskBody, presetsBody, newCourtBody, newCourtroomBody, newHearingBody, newUserBody, userPatchBody, hearingPatchBody } from './schemas.ts';
import { governanceRoutes } from './governance-api.ts';

const userIdParam = z.string().regex(/^us_[A-Za-z0-9]{8,40}$/, 'not a valid user id');



/** What the staff API needs. */
export interface StaffApiDeps {
  readonly registry: Registry;
  readonly broadcasts: BroadcastService;
  readonly accounts: Accounts;
  readonly tokens: Tokens;
  readonly audit: AuditTrail;
  readonly replays: Replays;
  readonly governance: Governance;
}

/** Whether a principal may read a hearing's details and governance: its clerks, its court's approvers, and the unscoped roles. */
const mayRead = (p: Principal, h: Hearing): boolean => hasRole(p, 'admin', 'supervisor', 'archivist') || mayControl(p, h.courtroomId) || mayApprove(p, h.courtId);

/** POST /api/hearings/:id/replay */
const replayBody = z
  .object({ decision: z.enum(['published', 'withheld']), reason: z.string().trim().min(1).max(2000).optional() })
  .strict();

/** A courtroom as non-admin staff see it: no stream key. */
const withoutKey = (r: Courtroom): Omit<Courtroom, 'streamKey'> => {
  const { streamKey: _secret, ...rest } = r;
  return rest;
};

/** The staff API: sign-in, accounts, courts, courtrooms, hearings and broadcast commands. */
export function staffApi(d: StaffApiDeps): Router {
  const { registry, broadcasts, accounts, tokens, audit } = d;
  const api = Router();
  api.use(express.json({ limit: '32kb' }));

  // Sign-in is the only staff endpoint without a token; it is rate-limited against guessing.
  const loginLimit = problemRateLimit({ windowMs: 60_000, limit: 20 });
  api.post('/auth/login', loginLimit, route(async (req, res) => {
    const body = parse(loginBody, req.body ?? {}, res);
    if (!body) return;
    const user = await accounts.authenticate(body.username, body.password);
    if (!user) throw new CourtcastError('UNAUTHORIZED', 'wrong username or password');
    res.json({ ...(await tokens.issue(user)), user: publicUser(user) });
  }));

  api.use(authenticate(tokens, accounts));
  api.get('/me', (_req, res) => void res.json(principalOf(res)));

  const admin = requireRole('admin');
  const planners = requireRole('admin', 'supervisor');
  api.get('/users', admin, route(async (_req, res) => void res.json(await accounts.list())));
  api.post('/users', admin, route(async (req, res) => {
    const body = parse(newUserBody, req.body ?? {}, res);
    if (body) res.status(201).json(await accounts.create(body));
  }));
  api.patch('/users/:id', admin, route(async (req, res) => {
    const id = parse(userIdParam, req.params.id, res);
    const body = id && parse(userPatchBody, req.body ?? {}, res);
    if (id && body) res.json(await accounts.update(id, body));
  }));
  api.delete('/users/:id', admin, route(async (req, res) => {
    const id = parse(userIdParam, req.params.id, res);
    if (!id) return;
    await accounts.remove(id);
    res.status(204).end();
  }));

  api.post('/courts', admin, route(async (req, res) => {
    const body = parse(newCourtBody, req.body ?? {}, res);
    if (body) res.status(201).json(await registry.createCourt(body));
  }));
  api.get('/courts', route(async (_req, res) => void res.json(await registry.listCourts())));

  api.post('/courts/:courtId/courtrooms', admin, route(async (req, res) => {
    const courtId = parse(idParam, req.params.courtId, res);
    const body = courtId && parse(newCourtroomBody, req.body ?? {}, res);
    if (courtId && body) res.status(201).json(await registry.createCourtroom(courtId, body));
  }));
  api.get('/courtrooms/:id', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    const room = await registry.courtroom(id);
    const p = principalOf(res);
    if (!mayControl(p, room.id) && !hasRole(p, 'archivist')) throw new CourtcastError('FORBIDDEN', 'you do not serve this courtroom');
    // Only admins see the stream key: it is the courtroom's ingest credential.
    res.json(hasRole(p, 'admin') ? room : withoutKey(room));
  }));
  api.post('/courtrooms/:id/rotate-key', admin, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    const room = await registry.rotateKey(id);
    broadcasts.kickEncoder(room.id);
    res.json(room);
  }));

  api.put('/courtrooms/:id/presets', admin, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const body = id && parse(presetsBody, req.body ?? [], res);
    if (!id || !body) return;
    for (const p of body) {
      if (p.region.x + p.region.w > 1 || p.region.y + p.region.h > 1) throw new CourtcastError('VALIDATION_FAILED', `preset "${p.name}" reaches outside the picture`);
    }
    res.json(withoutKey(await registry.setPresets(id, body)));
  }));

  api.post('/hearings', planners, route(async (req, res) => {
    const body = parse(newHearingBody, req.body ?? {}, res);
    if (body) res.status(201).json(await registry.createHearing(body));
  }));
  api.get('/hearings', route(async (_req, res) => {
    const p = principalOf(res);
    // Clerks see the hearings of the courtrooms they serve, approvers those of their courts.
    res.json((await registry.listHearings()).filter((h) => mayRead(p, h)));
  }));
  api.get('/hearings/:id', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    const hearing = await registry.hearing(id);
    if (!mayRead(principalOf(res), hearing)) throw new CourtcastError('FORBIDDEN', 'you do not serve this courtroom');
    // The audit head is published with the hearing, so a copy of this record can later prove
    // that the chain in the store was not cut short or replaced.
    const auditHead = await audit.publishedHead(id).catch(() => null);
    res.json({ hearing, live: (await broadcasts.view(id))?.status ?? null, auditHead });
  }));
  api.patch('/hearings/:id', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const body = id && parse(hearingPatchBody, req.body ?? {}, res);
    if (!id || !body) return;
    const p = principalOf(res);
    if (!hasRole(p, 'admin', 'supervisor')) await registry.controllableHearing(id, p);
    const { before, after } = await registry.updateHearing(id, body);
    const changed = Object.fromEntries(Object.keys(body).flatMap((k) => (JSON.stringify(before[k as keyof Hearing]) === JSON.stringify(after[k as keyof Hearing]) ? [] : [[k, { from: before[k as keyof Hearing], to: after[k as keyof Hearing] }]])));
    // A change to the restrictions lapses an approval given on the old ones: a live broadcast
    // is withdrawn before the change is even recorded.
    await d.governance.enforce(after, p);
    await audit.append(id, { actor: userActor(p), action: 'hearing-changed', params: { changed }, effectiveAt: Date.now() }).catch(() => undefined);
    res.json(after);
  }));
  api.use('/hearings/:id', governanceRoutes({ registry, governance: d.governance, mayRead }));
  api.post('/hearings/:id/replay', planners, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const body = id && parse(replayBody, req.body ?? {}, res);
    if (!id || !body) return;
    res.json(await d.replays.decide(id, body.decision, userActor(principalOf(res)), body.reason ?? null));
  }));
  api.get('/hearings/:id/replay', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (id) res.json(await d.replays.get(id));
  }));

  api.post('/hearings/:id/broadcast/:command', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const cmd = id && parse(commandParam, req.params.command, res);
    const body = cmd && parse(commandBody, req.body ?? {}, res);
    if (!id || !cmd || !body) return;
    const p = principalOf(res);
    await broadcasts.controllable(id, p);
    const actor = userActor(p);
    res.json(await broadcasts.command(id, cmd, { actor, reason: body.reason ?? null }));
  }));

  // The clerk's undelayed preview: the master as ingested. Not public (DESIGN invariant 1 holds
  // because only signed-in staff who control this courtroom can fetch it).
  api.get('/hearings/:id/preview/index.m3u8', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    await broadcasts.controllable(id, principalOf(res));
    const piece = await broadcasts.preview(id, { kind: 'playlist' });
    if (!piece) throw new CourtcastError('NOT_FOUND', 'no preview yet: the encoder has not sent a segment');
    res.setHeader('Cache-Control', 'no-store');
    sendPreview(res, piece);
  }));
  api.get('/hearings/:id/preview/:run/:file', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const target = id && parse(previewTarget, { kind: 'segment', run: req.params.run, file: req.params.file }, res);
    if (!id || !target) return;
    await broadcasts.controllable(id, principalOf(res));
    // Read where the hearing runs, whichever node this request reached.
    const piece = await broadcasts.preview(id, target);
    if (!piece) throw new CourtcastError('NOT_FOUND', 'no such preview segment (or the hearing is not live)');
    res.setHeader('Cache-Control', 'private, max-age=60');
    sendPreview(res, piece);
  }));

  api.post('/hearings/:id/masks', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const body = id && parse(newMaskBody, req.body ?? {}, res);
    if (!id || !body) return;
    const p = principalOf(res);
    await broadcasts.controllable(id, p);
    const actor = userActor(p);
    const result = await broadcasts.requestMask(id, body, actor);
    res.status(201).json({ mask: result.mask, alreadyPublic: result.alreadyPublic, live: result.status });
  }));
  api.post('/hearings/:id/masks/:maskId/lift', route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    const maskId = id && parse(maskIdParam, req.params.maskId, res);
    if (!id || !maskId) return;
    const p = principalOf(res);
    await broadcasts.controllable(id, p);
    const actor = userActor(p);
    res.json(await broadcasts.liftMask(id, maskId, { actor }));
  }));

  const auditors: RequestHandler = (_req, res, next) =>
    next(mayReadAudit(principalOf(res)) ? undefined : new CourtcastError('FORBIDDEN', 'the audit trail is for supervisors, archivists and admins'));
  api.get('/hearings/:id/audit', auditors, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    await registry.hearing(id);
    res.json(await audit.list(id));
  }));
  api.get('/hearings/:id/audit/verify', auditors, route(async (req, res) => {
    const id = parse(idParam, req.params.id, res);
    if (!id) return;
    await registry.hearing(id);
    res.json(await audit.verify(id));
  }));
  return api;
}

function sendPreview(res: Response, piece: PreviewPiece): void {
  res.type(piece.contentType).send(Buffer.from(piece.body, piece.encoding));
}
