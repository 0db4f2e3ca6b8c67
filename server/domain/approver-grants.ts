import { hasRole, type PendingGrant, type Principal, type Role, type User } from './users.ts';

export type { PendingGrant };

/** What an account's roles and scopes are, or are asked to become. */
export type Standing = Pick<User, 'roles' | 'courtIds'>;

const approverCourts = (s: Standing | null): readonly string[] => (s && s.roles.includes('approver') ? (s.courtIds ?? []) : []);

/** The courts `after` approves for that `before` did not: what a change would grant. */
export function grantedCourts(before: Standing | null, after: Standing): string[] {
  const had = new Set(approverCourts(before));
  return [...new Set(approverCourts(after))].filter((c) => !had.has(c));
}

/**
 * Splits an asked-for standing into what takes effect now and what waits for confirmation: every
 * court not yet approved for is held back, and the approver role too unless the account already
 * approves somewhere it keeps.
 */
export function holdBackGrant(before: Standing | null, asked: Standing): { readonly now: Standing; readonly held: string[] } {
  const held = grantedCourts(before, asked);
  if (held.length === 0) return { now: asked, held };
  const courtIds = (asked.courtIds ?? []).filter((c) => !held.includes(c));
  const keepsRole = approverCourts(before).some((c) => courtIds.includes(c));
  const roles: Role[] = asked.roles.filter((r) => r !== 'approver' || keepsRole);
  return { now: { roles, courtIds }, held };
}

/** The standing after a pending grant is confirmed. */
export function withGrant(s: Standing, grant: PendingGrant): Standing {
  return { roles: [...new Set<Role>([...s.roles, 'approver'])], courtIds: [...new Set([...(s.courtIds ?? []), ...grant.courtIds])] };
}

/**
 * Who may confirm (or refuse) a pending grant: an admin or a supervisor who is neither the one who
 * asked for it nor the account that would receive it. The reason when not.
 */
export function grantConfirmationRefusal(p: Principal, grantee: Pick<User, 'id'>, grant: PendingGrant): string | null {
  if (!hasRole(p, 'admin', 'supervisor')) return 'only an admin or a supervisor confirms an approver grant';
  if (p.userId === grant.requestedBy.userId) return 'four eyes: the admin who asked for the grant cannot confirm it';
  if (p.userId === grantee.id) return 'four eyes: an account cannot confirm its own grant';
  return null;
}
