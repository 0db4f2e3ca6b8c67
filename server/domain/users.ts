/**
 * Staff roles. Clerks are scoped to the courtrooms they serve and approvers (the court's
 * leadership, who approve broadcasts) to their courts; the others are not scoped.
 */
export const ROLES = ['clerk', 'supervisor', 'archivist', 'admin', 'approver', 'captioner'] as const;
/** A staff role. */
export type Role = (typeof ROLES)[number];

/** A staff account as stored. The password hash never leaves the service layer. */
export interface User {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
  /** Courtrooms a clerk or a captioner serves; ignored for other roles. */
  readonly courtroomIds: readonly string[];
  /** Courts an approver leads; ignored for other roles. Absent on accounts made before approvers. */
  readonly courtIds?: readonly string[];
  readonly passwordHash: string;
  readonly disabled: boolean;
  /** Tokens issued before this instant (ms) are refused: set by a password change or a disable. */
  readonly tokensValidAfter?: number;
  /** Approver rights asked for and not yet confirmed by a second person (domain/approver-grants.ts). */
  readonly pendingGrant?: PendingGrant;
}

/**
 * Approving a broadcast is the court leadership's act, so making someone an approver takes two
 * people: the admin who asks, and a second admin or a supervisor who confirms. Until then the
 * account holds the grant as pending and cannot approve anything.
 */
export interface PendingGrant {
  /** The courts the account is to approve for. */
  readonly courtIds: readonly string[];
  readonly requestedBy: { readonly userId: string; readonly username: string };
  readonly requestedAt: number;
}

/** Who is acting: what a verified token says. */
export interface Principal {
  readonly userId: string;
  readonly username: string;
  readonly roles: readonly Role[];
  readonly courtroomIds: readonly string[];
  readonly courtIds: readonly string[];
}

/** Why an open connection lost its rights. */
export type RevocationCause = 'ACCOUNT_DISABLED' | 'ACCOUNT_DELETED' | 'SESSION_ENDED' | 'TOKEN_EXPIRED';

/**
 * Whether an account still honours a token issued at `issuedAtMs`; the cause when it does not.
 * Pure, so HTTP, Socket.IO and tests agree on what revokes a session.
 */
export function tokenRevocation(u: User | null | undefined, issuedAtMs: number): RevocationCause | null {
  if (!u) return 'ACCOUNT_DELETED';
  if (u.disabled) return 'ACCOUNT_DISABLED';
  if (u.tokensValidAfter !== undefined && issuedAtMs < u.tokensValidAfter) return 'SESSION_ENDED';
  return null;
}

/** The principal an account acts as. */
export function principalOf(u: User): Principal {
  return { userId: u.id, username: u.username, roles: u.roles, courtroomIds: u.courtroomIds, courtIds: u.courtIds ?? [] };
}

/** The account as shown to admins and to its owner. */
export type PublicUser = Omit<User, 'passwordHash'>;

/** Drops the secret parts of an account. */
export function publicUser(u: User): PublicUser {
  const { passwordHash: _secret, ...rest } = u;
  return rest;
}

/** Whether a principal holds any of the roles. */
export function hasRole(p: Principal, ...roles: Role[]): boolean {
  return p.roles.some((r) => roles.includes(r));
}

/**
 * Whether a principal may control broadcasts in a courtroom: a supervisor or admin anywhere, a
 * clerk only in the courtrooms they serve.
 */
export function mayControl(p: Principal, courtroomId: string): boolean {
  if (hasRole(p, 'supervisor', 'admin')) return true;
  return hasRole(p, 'clerk') && p.courtroomIds.includes(courtroomId);
}

/**
 * Whether a principal may send a hearing's captions: whoever controls its courtroom, or a
 * captioner (a stenographer, or the court's speech-to-text engine) serving that courtroom. A
 * captioner has no other right: its words air only as the program lets the picture air.
 */
export function mayCaption(p: Principal, courtroomId: string): boolean {
  return mayControl(p, courtroomId) || (hasRole(p, 'captioner') && p.courtroomIds.includes(courtroomId));
}

/**
 * Whether a principal may decide on a court's broadcasts (approve, refuse, revoke, rule on
 * objections): an approver of that court only. Nobody else, admins included: approving is the
 * court leadership's judicial act, not an administrator's.
 */
export function mayApprove(p: Principal, courtId: string): boolean {
  return hasRole(p, 'approver') && p.courtIds.includes(courtId);
}

/**
 * Whether a principal may sign off the confidentiality review of a court's hearing before its
 * page or replay is published: the court's approvers and supervisors.
 */
export function mayReview(p: Principal, courtId: string): boolean {
  return mayApprove(p, courtId) || hasRole(p, 'supervisor');
}

/** Whether a principal may read a hearing's audit trail. */
export function mayReadAudit(p: Principal): boolean {
  return hasRole(p, 'supervisor', 'archivist', 'admin');
}

/** The role a principal acts in when several apply: the most powerful one. */
export function actingRole(p: Principal): Role {
  for (const r of ['admin', 'approver', 'supervisor', 'clerk', 'archivist', 'captioner'] as const) if (p.roles.includes(r)) return r;
  return 'archivist';
}
