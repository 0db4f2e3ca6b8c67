import express, { Router, type RequestHandler, type Response } from 'express';
import { problemRateLimit } from './rate-limit.ts';
import { cueView } from '../service/broadcast/caption-track.ts';
import { z } from 'zod';
import { cameraView, isPushed, sourceStreamId, type CameraView, type Courtroom, type CourtroomSource, type Hearing } from '../domain/courts.ts';
import { CourtcastError } from '../domain/errors.ts';
import { REPLAY_DECISIONS } from '../domain/public-state.ts';
import { hasRole, mayApprove, mayControl, mayReadAudit, publicUser, type Principal } from '../domain/users.ts';
import type { Governance } from '../service/court/governance.ts';
import { userActor, type AuditTrail } from '../audit/trail.ts';
import { judgedAudit, loggedAuditHeads } from '../audit/audit-in-log.ts';
import type { TransparencyLog } from '../audit/transparency-log.ts';
import type { Accounts } from '../service/identity/accounts.ts';
import type { Tokens } from '../service/identity/tokens.ts';
import { authenticate, principalOf } from './auth.ts';
import type { BroadcastService } from '../service/broadcast/broadcasts.ts';
import type { PreviewPiece } from '../service/broadcast/preview.ts';
import { previewFile, previewRun } from '../service/cluster/remote-calls.ts';
import type { Registry } from '../service/court/registry.ts';
import type { Replays } from '../service/publicity/replays.ts';
import { commandBody, commandParam, courtCaptionsBody, cueBody, idParam, loginBody, maskIdParam, newMaskBody, presetsBody, newCourtBody, newCourtroomBody, newHearingBody, hearingPatchBody, programBody, sourceNameParam, sourcesBody, switchBody } from './schemas.ts';
import { governanceRoutes } from './governance-api.ts';
import { accountsRoutes } from './accounts-api.ts';
import { commandDescription } from './command-docs.ts';
import { defineRoute, mountRoutes, type AnyRoute } from './route-table.ts';

/** What the staff API needs. */
export interface StaffApiDeps {
  readonly registry: Registry;
  readonly broadcasts: BroadcastService;
  readonly accounts: Accounts;
  readonly tokens: Tokens;
  readonly audit: AuditTrail;
  readonly replays: Replays;
  readonly governance: Governance;
  /** The court's transparency log: a trail's verdict says whether the heads logged of it still hold. */
  readonly transparency?: Pick<TransparencyLog, 'find' | 'range'>;
}

/** Whether a principal may read a hearing's details and governance: its clerks, its court's approvers, and the unscoped roles. */
const mayRead = (p: Principal, h: Hearing): boolean => hasRole(p, 'admin', 'supervisor', 'archivist') || mayControl(p, h.courtroomId) || mayApprove(p, h.courtId);

/** POST /api/hearings/:id/replay */
const replayBody = z
  .object({ decision: z.enum(REPLAY_DECISIONS), reason: z.string().trim().min(1).max(2000).optional() })
  .strict();

/** A source as staff see it: like its courtroom, its camera without credentials and its key for admins only. */
type SourceView = Omit<CourtroomSource, 'streamKey' | 'camera'> & { streamKey?: string; camera?: CameraView };

/** A courtroom as staff see it: its cameras without credentials, which nobody is shown; stream keys for admins only. */
const courtroomView = (r: Courtroom, o: { key: boolean }): Omit<Courtroom, 'streamKey' | 'camera' | 'sources'> & { streamKey?: string; camera?: CameraView; sources?: SourceView[] } => {
  const { streamKey, camera, sources, ...rest } = r;
  // A pulled camera's key is the server's own relay's: nobody is shown it.
  const sourceView = ({ streamKey: key, camera: cam, ...x }: CourtroomSource): SourceView => ({ ...x, ...(o.key && key && isPushed(x.ingest) ? { streamKey: key } : {}), ...(cam ? { camera: cameraView(cam) } : {}) });
  return { ...rest, ...(o.key ? { streamKey } : {}), ...(camera ? { camera: cameraView(camera) } : {}), ...(sources ? { sources: sources.map(sourceView) } : {}) };
};

const id = { id: idParam };
const auditors: RequestHandler = (_req, res, next) =>
  next(mayReadAudit(principalOf(res)) ? undefined : new CourtcastError('FORBIDDEN', 'the audit trail is for supervisors, archivists and admins'));

/** The staff API's operations, mounted at /api: sign-in, accounts, courts, courtrooms, hearings, broadcast commands, masks and audit. */
export function staffRoutes(d: StaffApiDeps): AnyRoute[] {
  const { registry, broadcasts, accounts, tokens, audit } = d;
  return [
    // Sign-in is the only staff endpoint without a token; it is rate-limited against guessing.
    defineRoute({
      method: 'post', path: '/auth/login', name: 'login', auth: 'public', summary: 'Sign in; returns a short-lived bearer token', body: loginBody, ok: { status: 200, description: 'token' },
      before: [problemRateLimit({ windowMs: 60_000, limit: 20 })],
      handler: async ({ body }) => {
        const user = await accounts.authenticate(body.username, body.password);
        if (!user) throw new CourtcastError('UNAUTHORIZED', 'wrong username or password');
        return { ...(await tokens.issue(user)), user: publicUser(user) };
      },
    }),
    defineRoute({ method: 'get', path: '/me', name: 'me', auth: 'staff', summary: 'Who the token belongs to', ok: { status: 200, description: 'principal' }, handler: async ({ principal }) => principal }),
    ...accountsRoutes({ accounts, audit }),
    defineRoute({ method: 'post', path: '/courts', name: 'createCourt', auth: ['admin'], summary: 'Create a court', body: newCourtBody, ok: { status: 201, description: 'court' }, handler: ({ body }) => registry.createCourt(body) }),
    defineRoute({
      method: 'put', path: '/courts/:courtId/captions', name: 'setCourtCaptions', auth: ['admin'], summary: "Set the court's captions (null: none) for hearings that go live from now on; one on the air keeps its own", params: { courtId: idParam }, body: courtCaptionsBody, ok: { status: 200, description: 'court' },
      handler: ({ params, body }) => registry.setCourtCaptions(params.courtId, body.captions),
    }),
    defineRoute({ method: 'get', path: '/courts', name: 'listCourts', auth: 'staff', summary: 'List courts', ok: { status: 200, description: 'courts' }, handler: () => registry.listCourts() }),
    defineRoute({
      method: 'post', path: '/courts/:courtId/courtrooms', name: 'createCourtroom', auth: ['admin'], summary: 'Create a courtroom (returns its stream key)', params: { courtId: idParam }, body: newCourtroomBody, ok: { status: 201, description: 'courtroom' },
      handler: async ({ params, body }) => courtroomView(await registry.createCourtroom(params.courtId, body), { key: true }),
    }),
    defineRoute({
      method: 'get', path: '/courtrooms/:id', name: 'courtroom', auth: 'staff', summary: 'A courtroom; its stream key only for admins', params: id, ok: { status: 200, description: 'courtroom' },
      handler: async ({ params, principal }) => {
        const room = await registry.courtroom(params.id);
        if (!mayControl(principal, room.id) && !hasRole(principal, 'archivist')) throw new CourtcastError('FORBIDDEN', 'you do not serve this courtroom');
        // Only admins see the stream key: it is the courtroom's ingest credential.
        return courtroomView(room, { key: hasRole(principal, 'admin') });
      },
    }),
    defineRoute({
      method: 'post', path: '/courtrooms/:id/rotate-key', name: 'rotateKey', auth: ['admin'], summary: 'Rotate the stream key; the old key stops working at once', params: id, ok: { status: 200, description: 'courtroom' },
      handler: async ({ params }) => {
        const room = await registry.rotateKey(params.id);
        broadcasts.kickEncoder(room.id);
        return courtroomView(room, { key: true });
      },
    }),
    defineRoute({
      method: 'put', path: '/courtrooms/:id/sources', name: 'setSources', auth: ['admin'], summary: "Replace the courtroom's further cameras (returns the pushed ones' keys); a source removed or re-keyed is disconnected", params: id, body: sourcesBody, ok: { status: 200, description: 'courtroom' },
      handler: async ({ params, body }) => {
        const before = await registry.courtroom(params.id);
        const room = await registry.setSources(params.id, body);
        const keyOf = (r: Courtroom, name: string) => r.sources?.find((x) => x.name === name)?.streamKey;
        for (const x of before.sources ?? []) if (keyOf(room, x.name) !== x.streamKey) broadcasts.kickEncoder(sourceStreamId(room.id, x.name));
        return courtroomView(room, { key: true });
      },
    }),
    defineRoute({
      method: 'put', path: '/courtrooms/:id/program', name: 'setProgram', auth: ['admin'], summary: "Compose the courtroom's program from its cameras: a layout, the cameras in its tiles (`main` is its own feed) and the camera whose sound airs; null for its own feed alone. Hearings opened afterwards take it", params: id, body: programBody.nullable(), ok: { status: 200, description: 'courtroom' },
      handler: async ({ params, body }) => courtroomView(await registry.setProgram(params.id, body), { key: true }),
    }),
    defineRoute({
      method: 'post', path: '/courtrooms/:id/sources/:name/rotate-key', name: 'rotateSourceKey', auth: ['admin'], summary: "Rotate a pushed source's key; the old key stops working at once", params: { id: idParam, name: sourceNameParam }, ok: { status: 200, description: 'courtroom' },
      handler: async ({ params }) => {
        const room = await registry.rotateSourceKey(params.id, params.name);
        broadcasts.kickEncoder(sourceStreamId(room.id, params.name));
        return courtroomView(room, { key: true });
      },
    }),
    defineRoute({
      method: 'put', path: '/courtrooms/:id/presets', name: 'setPresets', auth: ['admin'], summary: 'Replace the courtroom mask presets', params: id, body: presetsBody, ok: { status: 200, description: 'courtroom' },
      handler: async ({ params, body }) => {
        for (const p of body) {
          if (p.region.x + p.region.w > 1 || p.region.y + p.region.h > 1) throw new CourtcastError('VALIDATION_FAILED', `preset "${p.name}" reaches outside the picture`);
        }
        return courtroomView(await registry.setPresets(params.id, body), { key: false });
      },
    }),
    defineRoute({ method: 'post', path: '/hearings', name: 'createHearing', auth: ['admin', 'supervisor'], summary: 'Schedule a hearing', body: newHearingBody, ok: { status: 201, description: 'hearing' }, handler: ({ body }) => registry.createHearing(body) }),
    defineRoute({
      method: 'get', path: '/hearings', name: 'listHearings', auth: 'staff', summary: 'List the hearings the account may read', ok: { status: 200, description: 'hearings' },
      // Clerks see the hearings of the courtrooms they serve, approvers those of their courts.
      handler: async ({ principal }) => (await registry.listHearings()).filter((h) => mayRead(principal, h)),
    }),
    defineRoute({
      method: 'get', path: '/hearings/:id', name: 'hearing', auth: 'staff', summary: 'A hearing, its live status and its published audit head', params: id, ok: { status: 200, description: 'hearing' },
      handler: async ({ params, principal }) => {
        const hearing = await registry.hearing(params.id);
        if (!mayRead(principal, hearing)) throw new CourtcastError('FORBIDDEN', 'you do not serve this courtroom');
        // The audit head is published with the hearing, so a copy of this record can later prove
        // that the chain in the store was not cut short or replaced.
        const auditHead = await audit.publishedHead(params.id).catch(() => null);
        return { hearing, live: (await broadcasts.view(params.id))?.status ?? null, auditHead };
      },
    }),
    defineRoute({
      method: 'patch', path: '/hearings/:id', name: 'updateHearing', auth: 'staff', summary: 'Change a hearing’s details or privacy restrictions; a live broadcast whose approval the change lapses is withdrawn; audited', params: id, body: hearingPatchBody, ok: { status: 200, description: 'hearing' },
      handler: async ({ params, body, principal: p }) => {
        if (!hasRole(p, 'admin', 'supervisor')) await registry.controllableHearing(params.id, p);
        const { before, after } = await registry.updateHearing(params.id, body);
        const changed = Object.fromEntries(Object.keys(body).flatMap((k) => (JSON.stringify(before[k as keyof Hearing]) === JSON.stringify(after[k as keyof Hearing]) ? [] : [[k, { from: before[k as keyof Hearing], to: after[k as keyof Hearing] }]])));
        // A change to the restrictions lapses an approval given on the old ones: a live broadcast
        // is withdrawn before the change is even recorded.
        await d.governance.enforce(after, p);
        await audit.append(params.id, { actor: userActor(p), action: 'hearing-changed', params: { changed }, effectiveAt: Date.now() }).catch(() => undefined);
        return after;
      },
    }),
    ...governanceRoutes({ registry, governance: d.governance, mayRead }),
    defineRoute({
      method: 'post', path: '/hearings/:id/replay', name: 'decideReplay', auth: ['admin', 'supervisor'], summary: 'Publish or withhold (with a reason) an ended hearing’s replay; audited', params: id, body: replayBody, ok: { status: 200, description: 'decision' },
      handler: ({ params, body, principal }) => d.replays.decide(params.id, body.decision, userActor(principal), body.reason ?? null),
    }),
    defineRoute({ method: 'get', path: '/hearings/:id/replay', name: 'replay', auth: 'staff', summary: 'The replay decision of an ended hearing', params: id, ok: { status: 200, description: 'decision or null' }, handler: ({ params }) => d.replays.get(params.id) }),
    defineRoute({
      method: 'post', path: '/hearings/:id/broadcast/:command', name: 'command', auth: 'staff', summary: commandParam.options.join(' | '), description: commandDescription(), params: { id: idParam, command: commandParam }, body: commandBody, ok: { status: 200, description: 'live status' },
      handler: async ({ params, body, principal }) => {
        await broadcasts.controllable(params.id, principal);
        return broadcasts.command(params.id, params.command, { actor: userActor(principal), reason: body.reason ?? null });
      },
    }),
    // The clerk's undelayed preview: the master as ingested. Not public (DESIGN invariant 1 holds
    // because only signed-in staff who control this courtroom can fetch it).
    defineRoute({
      method: 'get', path: '/hearings/:id/preview/index.m3u8', name: 'previewPlaylist', auth: 'staff', summary: 'Undelayed preview for clerks of the courtroom (not public)', params: id, ok: { status: 200, description: 'playlist' },
      handler: async ({ params, principal, res }) => {
        await broadcasts.controllable(params.id, principal);
        const piece = await broadcasts.preview(params.id, { kind: 'playlist' });
        if (!piece) throw new CourtcastError('NOT_FOUND', 'no preview yet: the encoder has not sent a segment');
        res.setHeader('Cache-Control', 'no-store');
        sendPreview(res, piece);
      },
    }),
    defineRoute({
      method: 'get', path: '/hearings/:id/preview/:run/:file', name: 'previewSegment', auth: 'staff', summary: 'A segment of the undelayed preview (clerks of the courtroom; not public)', params: { id: idParam, run: previewRun, file: previewFile }, ok: { status: 200, description: 'MPEG-TS' },
      handler: async ({ params, principal, res }) => {
        await broadcasts.controllable(params.id, principal);
        // Read where the hearing runs, whichever node this request reached.
        const piece = await broadcasts.preview(params.id, { kind: 'segment', run: params.run, file: params.file });
        if (!piece) throw new CourtcastError('NOT_FOUND', 'no such preview segment (or the hearing is not live)');
        res.setHeader('Cache-Control', 'private, max-age=60');
        sendPreview(res, piece);
      },
    }),
    defineRoute({
      method: 'post', path: '/hearings/:id/masks', name: 'addMask', auth: 'staff', summary: 'Add a privacy mask: live from now, or retroactive with a start in the past; answers with the part already public', params: id, body: newMaskBody, ok: { status: 201, description: 'mask' },
      handler: async ({ params, body, principal }) => {
        await broadcasts.controllable(params.id, principal);
        const result = await broadcasts.requestMask(params.id, body, userActor(principal));
        return { mask: result.mask, alreadyPublic: result.alreadyPublic, live: result.status };
      },
    }),
    defineRoute({
      method: 'post', path: '/hearings/:id/captions', name: 'sendCue', auth: 'staff', summary: 'Send a caption cue (or correct one by its id while it is not yet released): it airs with the media captured over its span, as the program lets that span air', params: id, body: cueBody, ok: { status: 200, description: 'the cue as taken, with its capture times' },
      handler: async ({ params, body, principal }) => {
        await broadcasts.captionable(params.id, principal);
        const { cue, inWindow, recorded } = await broadcasts.sendCue(params.id, body);
        return { cue: cueView(cue), inWindow, recorded };
      },
    }),
    defineRoute({
      method: 'post', path: '/hearings/:id/masks/:maskId/lift', name: 'liftMask', auth: 'staff', summary: 'Lift an open mask from now', params: { id: idParam, maskId: maskIdParam }, ok: { status: 200, description: 'live status' },
      handler: async ({ params, principal }) => {
        await broadcasts.controllable(params.id, principal);
        return broadcasts.liftMask(params.id, params.maskId, { actor: userActor(principal) });
      },
    }),
    defineRoute({
      method: 'post', path: '/hearings/:id/program/switch', name: 'switchProgram', auth: 'staff', summary: 'Switch a composed program to another layout or other cameras, from the frame captured now', params: id, body: switchBody, ok: { status: 200, description: 'live status' },
      handler: async ({ params, body, principal }) => {
        await broadcasts.controllable(params.id, principal);
        return broadcasts.switchArrangement(params.id, { layout: body.layout, cameras: body.cameras }, { actor: userActor(principal), reason: body.reason ?? null });
      },
    }),
    defineRoute({
      method: 'get', path: '/hearings/:id/audit', name: 'audit', auth: 'staff', before: [auditors], summary: 'The hearing audit trail (supervisor, archivist, admin)', params: id, ok: { status: 200, description: 'entries' },
      handler: async ({ params }) => {
        await registry.hearing(params.id);
        return audit.list(params.id);
      },
    }),
    defineRoute({
      method: 'get', path: '/hearings/:id/audit/verify', name: 'verifyAudit', auth: 'staff', before: [auditors], summary: 'Verify the hash chain; names the first bad entry', params: id, ok: { status: 200, description: 'verdict' },
      handler: async ({ params }) => {
        await registry.hearing(params.id);
        const verdict = await audit.verify(params.id);
        if (!d.transparency) return verdict;
        return judgedAudit(verdict, await audit.list(params.id), await loggedAuditHeads(d.transparency, params.id));
      },
    }),
  ];
}

/** The staff API, mounted at /api from its route table. */
export function staffApi(d: StaffApiDeps): Router {
  const api = Router();
  api.use(express.json({ limit: '32kb' }));
  mountRoutes(api, staffRoutes(d), authenticate(d.tokens, d.accounts));
  // What is not in the table still needs a sign-in first: an unknown path tells a stranger nothing.
  api.use(authenticate(d.tokens, d.accounts));
  return api;
}

function sendPreview(res: Response, piece: PreviewPiece): void {
  res.type(piece.contentType).send(Buffer.from(piece.body, piece.encoding));
}
