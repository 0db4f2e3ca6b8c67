import type { Hearing } from '../domain/courts.ts';
import { CourtcastError } from '../domain/errors.ts';
import type { Principal } from '../domain/users.ts';
import type { Governance } from '../service/court/governance.ts';
import type { Registry } from '../service/court/registry.ts';
import { defineRoute, type AnyRoute } from './route-table.ts';
import { applicationBody, applicationDecisionBody, governanceIdParam, idParam, objectionBody, reviewBody, revokeBody, rulingBody } from './schemas.ts';

export interface GovernanceRoutesDeps {
  readonly registry: Registry;
  readonly governance: Governance;
  readonly mayRead: (p: Principal, h: Hearing) => boolean;
}

const id = { id: idParam };
const record = 'the hearing’s governance record';

/**
 * A hearing's broadcast governance, in the staff API's table: the application and its decision,
 * revocation, objections and rulings, and the confidentiality review. Who may do what is the
 * governance service's rule; this layer validates and answers.
 */
export function governanceRoutes(d: GovernanceRoutesDeps): AnyRoute[] {
  const { governance } = d;
  return [
    defineRoute({
      method: 'get', path: '/hearings/:id/governance', name: 'governance', auth: 'staff', summary: 'Application, decision, objections and confidentiality review, with what blocks the live broadcast and the replay', params: id, ok: { status: 200, description: record },
      handler: async ({ params, principal }) => {
        const h = await d.registry.hearing(params.id);
        if (!d.mayRead(principal, h)) throw new CourtcastError('FORBIDDEN', 'you do not serve this courtroom');
        return governance.view(h);
      },
    }),
    defineRoute({
      method: 'post', path: '/hearings/:id/applications', name: 'apply', auth: 'staff', summary: 'File the application to broadcast (live, replay or both) with grounds (clerk of the courtroom, supervisor, admin); audited', params: id, body: applicationBody, ok: { status: 201, description: record },
      handler: ({ params, body, principal }) => governance.apply(params.id, body, principal),
    }),
    defineRoute({
      method: 'post', path: '/hearings/:id/applications/:applicationId/decision', name: 'decide', auth: 'staff',
      summary: 'Approve or refuse the pending application with a reason (approver of the court only; refused with NOT_APPROVED while the hearing is private, an objection is undecided or upheld, or a ground lacks standing masks); audited',
      params: { id: idParam, applicationId: governanceIdParam }, body: applicationDecisionBody, ok: { status: 200, description: record },
      handler: ({ params, body, principal }) => governance.decide(params.id, params.applicationId, body.outcome, body.reason, principal),
    }),
    defineRoute({
      method: 'post', path: '/hearings/:id/approval/revoke', name: 'revoke', auth: 'staff', summary: 'Revoke the approval in force (approver of the court); a live broadcast is cut at once and shows the no-broadcast card; audited', params: id, body: revokeBody, ok: { status: 200, description: record },
      handler: ({ params, body, principal }) => governance.revoke(params.id, body.reason, principal),
    }),
    defineRoute({
      method: 'post', path: '/hearings/:id/objections', name: 'object', auth: 'staff', summary: 'Record an objection by the prosecutor or a party; until ruled on, nothing is approved and a live broadcast is withdrawn; audited', params: id, body: objectionBody, ok: { status: 201, description: record },
      handler: ({ params, body, principal }) => governance.object(params.id, body, principal),
    }),
    defineRoute({
      method: 'post', path: '/hearings/:id/objections/:objectionId/ruling', name: 'rule', auth: 'staff', summary: 'Uphold (no broadcast) or dismiss an objection with reasons (approver of the court); audited', params: { id: idParam, objectionId: governanceIdParam }, body: rulingBody, ok: { status: 200, description: record },
      handler: ({ params, body, principal }) => governance.rule(params.id, params.objectionId, body.outcome, body.reason, principal),
    }),
    defineRoute({
      method: 'post', path: '/hearings/:id/reviews', name: 'review', auth: 'staff',
      summary: 'Sign off the confidentiality review (every checklist answer yes; supervisor or approver of the court): the hearing’s public page, and its replay, need one given on the hearing as it stands; audited',
      params: id, body: reviewBody, ok: { status: 201, description: record },
      handler: ({ params, body, principal }) => governance.review(params.id, { checklist: body.checklist, note: body.note ?? null }, principal),
    }),
  ];
}
