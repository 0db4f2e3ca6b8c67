import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import { CourtcastError } from '../domain/errors.ts';
import { ID_PATTERN } from '../domain/ids.ts';
import { sameSecret } from '../domain/same-secret.ts';
import type { Accounts } from '../service/identity/accounts.ts';
import type { Tokens } from '../service/identity/tokens.ts';
import { MAX_OFFER_BYTES } from '../webrtc/offer.ts';
import { cameraOf, cameraStream, cameraSuffix } from './camera-query.ts';
import { bearerOf, staffRight } from './courtroom-right.ts';
import { problemRateLimit } from './rate-limit.ts';
import { sessionRoutes } from './webrtc-session-routes.ts';

/** The WHIP sessions, as the routes use them (server/ingest/whip-ingest.ts). */
export interface WhipSessions {
  /** `allowed` is asked every second: a session opened by a clerk ends when the clerk's rights do. */
  publish(courtroomId: string, offer: string, remote: string, allowed: () => boolean): Promise<{ readonly sessionId: string; readonly answer: string }>;
  belongsTo(sessionId: string, courtroomId: string): boolean;
  end(sessionId: string, why: 'deleted'): Promise<void>;
}

export interface WhipApiDeps {
  readonly whip: WhipSessions;
  /** A courtroom's stream key now (null: no such courtroom). */
  readonly keyOf: (courtroomId: string) => string | null;
  /** ICE servers a publisher should use, announced in Link headers (RFC 9725 §4.6). */
  readonly iceServers: readonly { readonly urls: string; readonly username?: string; readonly credential?: string }[];
  readonly tokens: Tokens;
  readonly accounts: Accounts;
  /** What a courtroom's publisher is told: whether it is received, and its hearing's phase. */
  readonly status: (courtroomId: string) => WhipCourtroomStatus;
}

/** The courtroom as its publisher sees it (no media, nothing the public does not learn later). */
export interface WhipCourtroomStatus {
  /** Whether the ingest receives the courtroom now (from this publisher or any encoder). */
  readonly publishing: boolean;
  /** The live hearing of the courtroom on this node, and the clerk's phase of it. */
  readonly hearing: { readonly id: string; readonly title: string; readonly phase: string } | null;
}

/**
 * CORS for publishers on other origins (a capture page, a browser extension). The bearer token is
 * the only credential, never a cookie, so any origin may ask; what it may do is what its key allows.
 */
const cors: RequestHandler = (_req, res, next) => {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Location, Link, ETag');
  next();
};

/**
 * Who may publish for a courtroom's camera (`?source=`: one of its further cameras, pushed with
 * its own key): the holder of its stream key (an encoder, OBS, a courtroom PC), or a signed-in
 * clerk who serves the courtroom (the capture page). Returns the camera's ingest stream and what
 * keeps the right alive: the key's holder until the key rotates (the session is kicked then), a
 * clerk while the account is in force and still serves the courtroom. Wrong key, unknown
 * courtroom and unknown camera answer alike (401), so keys cannot be probed per room.
 */
async function authorize(req: Request, res: Response, d: WhipApiDeps): Promise<{ courtroomId: string; camera: string | undefined; streamId: string; allowed: () => boolean }> {
  const courtroomId = String(req.params.courtroomId);
  const presented = bearerOf(req.get('authorization'));
  const camera = cameraOf(req);
  const streamId = cameraStream(courtroomId, camera);
  const key = ID_PATTERN.test(courtroomId) ? d.keyOf(streamId) : null;
  const refuse = () => {
    res.setHeader('WWW-Authenticate', 'Bearer realm="courtcast-whip"');
    return new CourtcastError('UNAUTHORIZED', "send the courtroom's stream key, or a clerk's token, as the bearer token");
  };
  if (presented === undefined || key === null) throw refuse();
  if (sameSecret(presented, key)) return { courtroomId, camera, streamId, allowed: () => true };
  const right = await staffRight(d, presented);
  if (!right) throw refuse();
  const allowed = right.serving(courtroomId);
  if (!allowed()) throw new CourtcastError('FORBIDDEN', 'you do not serve this courtroom');
  return { courtroomId, camera, streamId, allowed };
}

const linkOf = (s: WhipApiDeps['iceServers'][number]): string =>
  `<${s.urls}>; rel="ice-server"${s.username !== undefined ? `; username="${s.username}"; credential="${s.credential ?? ''}"; credential-type="password"` : ''}`;

/**
 * WHIP (RFC 9725): a publisher POSTs its SDP offer to /whip/{courtroomId} with the courtroom's
 * key as bearer token and gets the answer and its session's URL; DELETE on that URL ends it.
 * Trickled candidates are not taken (405 on PATCH): the answer carries all of ours, and the
 * publisher's offer all of its own.
 */
export function whipApi(d: WhipApiDeps): Router {
  const router = Router();
  const preflight: RequestHandler = (_req, res) => {
    res.setHeader('Access-Control-Allow-Methods', 'POST, DELETE, PATCH, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, If-Match');
    res.setHeader('Access-Control-Max-Age', '600');
    if (d.iceServers.length > 0) res.setHeader('Link', d.iceServers.map(linkOf));
    res.status(204).end();
  };
  router.use(cors);
  router.options('/:courtroomId', preflight);
  router.options('/:courtroomId/:sessionId', preflight);
  // A publisher reconnects now and then; a flood of offers is someone else.
  const offers = problemRateLimit({ windowMs: 60_000, limit: 60 });
  const sdpBody = express.text({ type: 'application/sdp', limit: MAX_OFFER_BYTES });
  router.post('/:courtroomId', offers, async (req, res) => {
    const { courtroomId, camera, streamId, allowed } = await authorize(req, res, d);
    if (!req.is('application/sdp')) throw new CourtcastError('UNSUPPORTED_MEDIA', 'send the offer as application/sdp');
    await new Promise<void>((resolve, reject) => sdpBody(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
    if (typeof req.body !== 'string' || req.body === '') throw new CourtcastError('VALIDATION_FAILED', 'the body is not an SDP offer');
    const { sessionId, answer } = await d.whip.publish(streamId, req.body, req.ip ?? '', allowed);
    res.status(201);
    res.setHeader('Location', `/whip/${courtroomId}/${sessionId}${cameraSuffix(camera)}`);
    res.setHeader('ETag', `"${sessionId}"`);
    res.setHeader('Cache-Control', 'no-store');
    if (d.iceServers.length > 0) res.setHeader('Link', d.iceServers.map(linkOf));
    res.type('application/sdp').send(answer);
  });
  router.get('/:courtroomId/status', async (req, res) => {
    const { courtroomId } = await authorize(req, res, d);
    res.setHeader('Cache-Control', 'no-store');
    res.json(d.status(courtroomId));
  });
  sessionRoutes(router, 'courtroomId', async (req, res) => ({ courtroomId: (await authorize(req, res, d)).streamId }), { belongsTo: (id, room) => d.whip.belongsTo(id, room), end: (id) => d.whip.end(id, 'deleted') });
  return router;
}
