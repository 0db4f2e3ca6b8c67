/** Staff roles. Clerks are scoped to the courtrooms they serve; the others are not. */
export const ROLES = ['clerk', 'supervisor', 'archivist', 'admin'] as const;
/** A staff role. */
export type Role = (typeof ROLES)[number];

/** A staff account as stored. The password hash never leaves the service layer. */
export interface User {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
  /** Courtrooms a clerk serves; ignored for other roles. */
  readonly courtroomIds: readonly string[];
  readonly passwordHash: string;
  readonly disabled: boolean;
}

/** Who is acting: what a verified token says. */
export interface Principal {
  readonly userId: string;
  readonly username: string;
  readonly roles: readonly Role[];
  readonly courtroomIds: readonly string[];
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

/** Whether a principal may read a hearing's audit trail. */
export function mayReadAudit(p: Principal): boolean {
  return hasRole(p, 'supervisor', 'archivist', 'admin');
}

/** The role a principal acts in when several apply: the most powerful one. */
export function actingRole(p: Principal): Role {
  for (const r of ['admin', 'supervisor', 'clerk', 'archivist'] as const) if (p.roles.includes(r)) return r;
  return 'archivist';
}
