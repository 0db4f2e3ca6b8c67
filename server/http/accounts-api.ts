import { z } from 'zod';
import { STAFF_TRAIL, userActor, type AuditTrail } from '../audit/trail.ts';
import { CourtcastError } from '../domain/errors.ts';
import type { Principal } from '../domain/users.ts';
import type { AccountChange, Accounts, UserPatch } from '../service/identity/accounts.ts';
import { defineRoute, type AnyRoute } from './route-table.ts';
import { grantDecisionBody, newUserBody, userPatchBody } from './schemas.ts';

const userIdParam = z.string().regex(/^us_[A-Za-z0-9]{8,40}$/, 'not a valid user id');
const id = { id: userIdParam };

export interface AccountsRoutesDeps {
  readonly accounts: Accounts;
  readonly audit: AuditTrail;
}

/** What a change did, for the trail: never a password or its hash, only that it changed. */
const changedFields = (patch: UserPatch): Record<string, unknown> => {
  const { password, ...rest } = patch;
  return { ...rest, ...(password !== undefined ? { password: 'changed' } : {}) };
};

/**
 * Staff accounts in the staff API's table. Every change is on the staff trail; a change that
 * would make someone an approver is stored as a request that a second admin or a supervisor
 * confirms (domain/approver-grants.ts), so no one person can put a new approver in place.
 */
export function accountsRoutes(d: AccountsRoutesDeps): AnyRoute[] {
  const { accounts, audit } = d;
  // A grant is only asked for or decided when the trail can take it: it is never made off the record.
  const onRecord = async (): Promise<void> => {
    if (!(await audit.ready(STAFF_TRAIL))) throw new CourtcastError('STORE_UNAVAILABLE', 'the staff trail cannot record the change now; try again');
  };
  const record = async (p: Principal, action: string, params: Record<string, unknown>): Promise<void> => {
    await audit.append(STAFF_TRAIL, { actor: userActor(p), action, params, effectiveAt: Date.now() });
  };
  const recordGrant = async (p: Principal, change: AccountChange): Promise<void> => {
    if (change.held.length > 0) await record(p, 'approver-grant-requested', { userId: change.user.id, username: change.user.username, courtIds: change.held });
  };
  const asksForGrant = (roles: readonly string[] | undefined): boolean => roles?.includes('approver') ?? false;
  return [
    defineRoute({ method: 'get', path: '/users', name: 'listUsers', auth: ['admin', 'supervisor'], summary: 'List accounts, with any approver grant waiting for confirmation', ok: { status: 200, description: 'users' }, handler: () => accounts.list() }),
    defineRoute({
      method: 'post', path: '/users', name: 'createUser', auth: ['admin'], summary: 'Create an account; approver rights asked for wait for a second admin’s or a supervisor’s confirmation; audited', body: newUserBody, ok: { status: 201, description: 'user' },
      handler: async ({ body, principal: p }) => {
        if (asksForGrant(body.roles)) await onRecord();
        const change = await accounts.create(body, p);
        await record(p, 'account-created', { userId: change.user.id, username: change.user.username, roles: change.user.roles, courtroomIds: change.user.courtroomIds, courtIds: change.user.courtIds ?? [] });
        await recordGrant(p, change);
        return change.user;
      },
    }),
    defineRoute({
      method: 'patch', path: '/users/:id', name: 'updateUser', auth: ['admin'], summary: 'Change an account; approver rights it adds wait for a second admin’s or a supervisor’s confirmation; audited', params: id, body: userPatchBody, ok: { status: 200, description: 'user' },
      handler: async ({ params, body, principal: p }) => {
        if (asksForGrant(body.roles) || body.courtIds !== undefined) await onRecord();
        const change = await accounts.update(params.id, body, p);
        await record(p, 'account-changed', { userId: change.user.id, username: change.user.username, changed: changedFields(body) });
        await recordGrant(p, change);
        return change.user;
      },
    }),
    defineRoute({
      method: 'post', path: '/users/:id/approver-grant', name: 'decideApproverGrant', auth: ['admin', 'supervisor'],
      summary: 'Confirm or refuse the approver rights an admin asked for (an admin or supervisor other than the one who asked and the account itself); audited', params: id, body: grantDecisionBody, ok: { status: 200, description: 'user' },
      handler: async ({ params, body, principal: p }) => {
        await onRecord();
        const { user, courtIds } = await accounts.decideGrant(params.id, body.outcome, p);
        await record(p, `approver-grant-${body.outcome}`, { userId: user.id, username: user.username, courtIds });
        return user;
      },
    }),
    defineRoute({
      method: 'delete', path: '/users/:id', name: 'deleteUser', auth: ['admin'], summary: 'Delete an account; audited', params: id, ok: { status: 204, description: 'deleted' },
      handler: async ({ params, principal: p }) => {
        const u = await accounts.get(params.id);
        await accounts.remove(params.id);
        await record(p, 'account-removed', { userId: u.id, username: u.username });
      },
    }),
    defineRoute({ method: 'get', path: '/staff/audit', name: 'staffAudit', auth: ['admin', 'supervisor'], summary: 'The staff trail: every account change and approver grant, hash-chained', ok: { status: 200, description: 'entries' }, handler: () => audit.list(STAFF_TRAIL) }),
    defineRoute({ method: 'get', path: '/staff/audit/verify', name: 'verifyStaffAudit', auth: ['admin', 'supervisor'], summary: 'Verify the staff trail’s hash chain; names the first bad entry', ok: { status: 200, description: 'verdict' }, handler: () => audit.verify(STAFF_TRAIL) }),
  ];
}
