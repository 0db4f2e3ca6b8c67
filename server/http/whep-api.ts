import express, { Router, type Request, type Response } from 'express';
import { CourtcastError } from '../domain/errors.ts';
import { ID_PATTERN } from '../domain/ids.ts';
import type { Principal } from '../domain/users.ts';
import type { Accounts } from '../service/identity/accounts.ts';
import type { Tokens } from '../service/identity/tokens.ts';
import { checkOffer, MAX_OFFER_BYTES } from '../webrtc/offer.ts';
import { cameraOf, cameraStream, cameraSuffix } from './camera-query.ts';
import { bearerOf, staffRight } from './courtroom-right.ts';
import { problemRateLimit } from './rate-limit.ts';
import { sessionRoutes } from './webrtc-session-routes.ts';

/** The WHEP previews, as the routes use them (server/ingest/whep-preview.ts). */
export interface WhepSessions {
  subscribe(courtroomId: string, offer: string, allowed: () => boolean): Promise<{ readonly sessionId: string; readonly answer: string }>;
  belongsTo(sessionId: string, courtroomId: string): boolean;
  end(sessionId: string): Promise<void>;
}

export interface WhepApiDeps {
  readonly whep: WhepSessions;
  readonly tokens: Tokens;
  readonly accounts: Accounts;
  /** The courtroom of a hearing that may be previewed by `principal` (throws as the HLS preview does). */
  readonly previewable: (hearingId: string, principal: Principal) => Promise<string>;
}

/**
 * Staff only, as the HLS preview: a signed-in clerk who controls the hearing's courtroom (or an
 * admin). Nothing else opens it, whatever the token: the public never gets anything undelayed.
 * Resolves with the stream previewed: the courtroom's own feed, or one of its cameras (whose
 * stream lies under the courtroom's name, so no name reaches another courtroom's).
 */
async function authorize(req: Request, res: Response, d: WhepApiDeps): Promise<{ courtroomId: string; camera: string | undefined; allowed: () => boolean }> {
  const hearingId = String(req.params.hearingId);
  const token = bearerOf(req.get('authorization'));
  const refuse = () => {
    res.setHeader('WWW-Authenticate', 'Bearer realm="courtcast-whep"');
    return new CourtcastError('UNAUTHORIZED', 'sign in first: the preview is for the clerks of the courtroom');
  };
  if (token === undefined || !ID_PATTERN.test(hearingId)) throw refuse();
  const camera = cameraOf(req);
  // A token that is not valid learns nothing about the hearing.
  const right = await staffRight(d, token);
  if (!right) throw refuse();
  const courtroomId = await d.previewable(hearingId, right.principal);
  const allowed = right.serving(courtroomId);
  if (!allowed()) throw new CourtcastError('FORBIDDEN', 'you do not serve this courtroom');
  return { courtroomId: cameraStream(courtroomId, camera), camera, allowed };
}

/**
 * WHEP: the clerk console POSTs a receive-only offer to /whep/{hearingId} with its token and gets
 * the courtroom as ingested, undelayed, over WebRTC (`?source=<camera>`: one of its further
 * cameras, for the console's multiview); DELETE on the session's URL ends it. Same origin only
 * (no CORS): the console is the one client.
 */
export function whepApi(d: WhepApiDeps): Router {
  const router = Router();
  const sdpBody = express.text({ type: 'application/sdp', limit: MAX_OFFER_BYTES });
  router.post('/:hearingId', problemRateLimit({ windowMs: 60_000, limit: 120 }), async (req, res) => {
    const { courtroomId, camera, allowed } = await authorize(req, res, d);
    if (!req.is('application/sdp')) throw new CourtcastError('UNSUPPORTED_MEDIA', 'send the offer as application/sdp');
    await new Promise<void>((resolve, reject) => sdpBody(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
    if (typeof req.body !== 'string' || req.body === '') throw new CourtcastError('VALIDATION_FAILED', 'the body is not an SDP offer');
    checkOffer(req.body, 'viewer');
    const { sessionId, answer } = await d.whep.subscribe(courtroomId, req.body, allowed);
    res.status(201);
    res.setHeader('Location', `/whep/${String(req.params.hearingId)}/${sessionId}${cameraSuffix(camera)}`);
    res.setHeader('Cache-Control', 'no-store');
    res.type('application/sdp').send(answer);
  });
  sessionRoutes(router, 'hearingId', (req, res) => authorize(req, res, d), d.whep);
  return router;
}
