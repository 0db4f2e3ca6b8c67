import { Router, type Request, type Response } from 'express';
import type { Hearing } from '../domain/courts.ts';
import { CourtcastError } from '../domain/errors.ts';
import type { Principal } from '../domain/users.ts';
import type { Governance } from '../service/court/governance.ts';
import type { Registry } from '../service/court/registry.ts';
import { principalOf } from './auth.ts';
import { parse, route } from './handlers.ts';
import { applicationBody, applicationDecisionBody, governanceIdParam, idParam, objectionBody, reviewBody, revokeBody, rulingBody } from './schemas.ts';

export interface GovernanceRoutesDeps {
  readonly registry: Registry;
  readonly governance: Governance;
  readonly mayRead: (p: Principal, h: Hearing) => boolean;
}

/**
 * A hearing's broadcast governance, mounted under /api/hearings/:id: the application and its
 * decision, revocation, objections and rulings, and the confidentiality review. Who may do what
 * is the governance service's rule; this layer validates and answers.
 */
export function governanceRoutes(d: GovernanceRoutesDeps): Router {
  const r = Router({ mergeParams: true });
  const { governance } = d;
  const hearingId = (req: Request, res: Response) => parse(idParam, req.params.id, res);

  r.get('/governance', route(async (req, res) => {
    const id = hearingId(req, res);
    if (!id) return;
    const h = await d.registry.hearing(id);
    if (!d.mayRead(principalOf(res), h)) throw new CourtcastError('FORBIDDEN', 'you do not serve this courtroom');
    res.json(await governance.view(h));
  }));
  r.post('/applications', route(async (req, res) => {
    const id = hearingId(req, res);
    const body = id && parse(applicationBody, req.body ?? {}, res);
    if (id && body) res.status(201).json(await governance.apply(id, body, principalOf(res)));
  }));
  r.post('/applications/:applicationId/decision', route(async (req, res) => {
    const id = hearingId(req, res);
    const app = id && parse(governanceIdParam, req.params.applicationId, res);
    const body = app && parse(applicationDecisionBody, req.body ?? {}, res);
    if (id && app && body) res.json(await governance.decide(id, app, body.outcome, body.reason, principalOf(res)));
  }));
  r.post('/approval/revoke', route(async (req, res) => {
    const id = hearingId(req, res);
    const body = id && parse(revokeBody, req.body ?? {}, res);
    if (id && body) res.json(await governance.revoke(id, body.reason, principalOf(res)));
  }));
  r.post('/objections', route(async (req, res) => {
    const id = hearingId(req, res);
    const body = id && parse(objectionBody, req.body ?? {}, res);
    if (id && body) res.status(201).json(await governance.object(id, body, principalOf(res)));
  }));
  r.post('/objections/:objectionId/ruling', route(async (req, res) => {
    const id = hearingId(req, res);
    const ob = id && parse(governanceIdParam, req.params.objectionId, res);
    const body = ob && parse(rulingBody, req.body ?? {}, res);
    if (id && ob && body) res.json(await governance.rule(id, ob, body.outcome, body.reason, principalOf(res)));
  }));
  r.post('/reviews', route(async (req, res) => {
    const id = hearingId(req, res);
    const body = id && parse(reviewBody, req.body ?? {}, res);
    if (id && body) res.status(201).json(await governance.review(id, { checklist: body.checklist, note: body.note ?? null }, principalOf(res)));
  }));
  return r;
}
