import type { Request, Response, Router } from 'express';
import { CourtcastError } from '../domain/errors.ts';
import { sendProblem } from './problem.ts';

/**
 * A WHIP or WHEP session's own URL (`/{scope}/{sessionId}`), RFC 9725: DELETE ends it, for whoever
 * may open sessions in that scope; PATCH (trickled ICE candidates) is not taken, since every
 * candidate travels in the offer and the answer.
 */
export function sessionRoutes(
  router: Router,
  scope: string,
  authorize: (req: Request, res: Response) => Promise<{ courtroomId: string }>,
  sessions: { belongsTo(sessionId: string, courtroomId: string): boolean; end(sessionId: string): Promise<void> },
): void {
  router.delete(`/:${scope}/:sessionId`, async (req, res) => {
    const { courtroomId } = await authorize(req, res);
    const sessionId = String(req.params.sessionId);
    if (!sessions.belongsTo(sessionId, courtroomId)) throw new CourtcastError('NOT_FOUND', 'no such session');
    await sessions.end(sessionId);
    res.status(200).end();
  });
  router.patch(`/:${scope}/:sessionId`, async (req, res) => {
    await authorize(req, res);
    res.setHeader('Allow', 'DELETE');
    sendProblem(res, 'METHOD_NOT_ALLOWED', 'this server does not take trickled ICE candidates: send them all in the offer');
  });
}
