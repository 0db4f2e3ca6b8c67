import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CourtcastError } from '../../domain/errors.ts';
import { TypedEmitter } from '../../domain/events.ts';
import { principalOf, publicUser, tokenRevocation, type Principal, type PublicUser, type RevocationCause, type Role, type User } from '../../domain/users.ts';
import { grantConfirmationRefusal, holdBackGrant, withGrant } from '../../domain/approver-grants.ts';
import { userCodec } from '../../domain/codecs.ts';
import { Records } from '../../store/records.ts';
import type { StateStore } from '../../store/state-store.ts';
import { hashPassword, SCRYPT_LOG_N, verifyPassword } from './passwords.ts';

/** Input for a new account (validated for shape at the edge). */
export interface NewUser {
  readonly username: string;
  readonly displayName?: string;
  readonly password: string;
  readonly roles: readonly Role[];
  readonly courtroomIds?: readonly string[];
  readonly courtIds?: readonly string[];
}

/** A change to an account. */
export interface UserPatch {
  readonly displayName?: string;
  readonly password?: string;
  readonly roles?: readonly Role[];
  readonly courtroomIds?: readonly string[];
  readonly courtIds?: readonly string[];
  readonly disabled?: boolean;
}

/**
 * Who makes a change to accounts: a signed-in person, whose approver grants wait for a second
 * person, or the deployment's own configuration (the bootstrap admin, the demo's seeded staff),
 * which is trusted as whoever wrote it.
 */
export type AccountsActor = Principal | 'configuration';

/** An account as changed, and the approver courts held back for confirmation (empty when none). */
export interface AccountChange {
  readonly user: PublicUser;
  readonly held: readonly string[];
}


/** Events of the accounts service. */
export interface AccountEvents {
  /** An account was changed, disabled or deleted: open connections must re-check their rights. */
  changed: (userId: string) => void;
}

/** What a principal lookup answers: who, or why not. */
export type PrincipalLookup = { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly cause: RevocationCause };

/** The key a username is claimed under: names differ by more than case. */
const claimKey = (username: string): string => username.toLowerCase();
const usernameClaim = z.object({ userId: z.string().min(1) });

const same = (a: User | undefined, b: User | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Staff accounts in the state store. Passwords are stored only as scrypt hashes. Every account is
 * also held in memory, written through on change and re-read from the store every few seconds
 * (changes made by another node), so checking a principal never waits on the store: a clerk's
 * cut works while Redis is down, and a disabled account loses its rights on the next command.
 */
export class Accounts extends TypedEmitter<AccountEvents> {
  private readonly cache = new Map<string, User>();
  private refreshTimer: NodeJS.Timeout | null = null;
  /** A hash an unknown username is checked against, so its answer takes as long as a known one's. */
  private decoyHash: Promise<string> | null = null;

  private readonly users: Records<User>;

  constructor(
    private readonly state: StateStore,
    private readonly now: () => number = Date.now,
    /** scrypt's cost as log2 N for new hashes (config `auth.scryptLogN`). */
    private readonly scryptLogN: number = SCRYPT_LOG_N,
  ) {
    super();
    this.users = new Records(state, 'users', userCodec);
  }

  /** Reads every account; with `refreshMs`, keeps re-reading in the background. */
  async load(refreshMs?: number): Promise<void> {
    await this.refresh();
    if (refreshMs && !this.refreshTimer) {
      this.refreshTimer = setInterval(() => void this.refresh().catch(() => undefined), refreshMs);
      this.refreshTimer.unref();
    }
  }

  private async refresh(): Promise<void> {
    const stored = new Map((await this.users.list()).map((u) => [u.id, u]));
    // Accounts made before usernames were claimed get their claim (the first one read keeps it).
    for (const u of stored.values()) if (!this.cache.has(u.id)) await this.state.putIfAbsent('usernames', claimKey(u.username), { userId: u.id });
    const changed = new Set<string>();
    for (const [id, u] of stored) if (!same(this.cache.get(id), u)) changed.add(id);
    for (const id of this.cache.keys()) if (!stored.has(id)) changed.add(id);
    for (const id of changed) {
      const u = stored.get(id);
      if (u) this.cache.set(id, u);
      else this.cache.delete(id);
    }
    for (const id of changed) this.emit('changed', id);
  }

  private remember(user: User): void {
    this.cache.set(user.id, user);
    this.emit('changed', user.id);
  }

  private byUsername(username: string): User | null {
    return [...this.cache.values()].find((u) => u.username.toLowerCase() === username.toLowerCase()) ?? null;
  }

  /**
   * Claims a username for an account, atomically across nodes: two nodes creating the same name at
   * once (two nodes bootstrapping their first admin) get one account, and the other a conflict. A
   * claim left by an account that no longer exists (a crash between claim and removal) is taken over.
   */
  private async claim(username: string, userId: string): Promise<void> {
    const key = claimKey(username);
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await this.state.putIfAbsent('usernames', key, { userId });
      if (existing === null) return;
      const held = usernameClaim.safeParse(existing);
      if (held.success && held.data.userId === userId) return;
      if (held.success && (await this.users.get(held.data.userId))) break;
      await this.state.delete('usernames', key);
    }
    // Another node made it: read it now rather than at the next refresh, so it signs in here too.
    await this.refresh().catch(() => undefined);
    throw new CourtcastError('CONFLICT', `username ${username} is taken`);
  }

  async create(input: NewUser, by: AccountsActor): Promise<AccountChange> {
    if (this.byUsername(input.username)) throw new CourtcastError('CONFLICT', `username ${input.username} is taken`);
    const asked = { roles: [...new Set(input.roles)], courtIds: [...new Set(input.courtIds ?? [])] };
    const { now, held } = by === 'configuration' ? { now: asked, held: [] } : holdBackGrant(null, asked);
    const user: User = {
      id: `us_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      username: input.username,
      displayName: input.displayName ?? input.username,
      roles: [...now.roles],
      courtroomIds: [...new Set(input.courtroomIds ?? [])],
      courtIds: [...(now.courtIds ?? [])],
      passwordHash: await hashPassword(input.password, this.scryptLogN),
      disabled: false,
      ...this.pending(held, by),
    };
    await this.claim(user.username, user.id);
    await this.users.put(user.id, user);
    this.remember(user);
    return { user: publicUser(user), held };
  }

  private pending(held: readonly string[], by: AccountsActor): Pick<User, 'pendingGrant'> {
    return held.length > 0 && by !== 'configuration' ? { pendingGrant: { courtIds: [...held], requestedBy: { userId: by.userId, username: by.username }, requestedAt: this.now() } } : {};
  }

  async list(): Promise<PublicUser[]> {
    return [...this.cache.values()].map(publicUser).sort((a, b) => a.username.localeCompare(b.username));
  }

  async get(id: string): Promise<User> {
    const u = this.cache.get(id) ?? (await this.users.get(id));
    if (!u) throw new CourtcastError('NOT_FOUND', `no user ${id}`);
    return u;
  }

  async update(id: string, patch: UserPatch, by: AccountsActor): Promise<AccountChange> {
    const u = await this.get(id);
    const asked = { roles: [...new Set(patch.roles ?? u.roles)], courtIds: [...new Set(patch.courtIds ?? u.courtIds ?? [])] };
    const touchesStanding = patch.roles !== undefined || patch.courtIds !== undefined;
    const { now, held } = by === 'configuration' || !touchesStanding ? { now: asked, held: [] } : holdBackGrant(u, asked);
    const { pendingGrant: _old, ...rest } = u;
    const next: User = {
      ...rest,
      ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
      roles: [...now.roles],
      ...(patch.courtroomIds !== undefined ? { courtroomIds: [...new Set(patch.courtroomIds)] } : {}),
      courtIds: [...(now.courtIds ?? [])],
      ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
      ...(patch.password !== undefined ? { passwordHash: await hashPassword(patch.password, this.scryptLogN) } : {}),
      // A new password or a disable ends every session the account had; re-enabling does not
      // bring old tokens back.
      ...(patch.password !== undefined || patch.disabled === true ? { tokensValidAfter: this.now() } : {}),
      // A change of roles or courts replaces a grant still waiting; any other change keeps it.
      ...(touchesStanding ? this.pending(held, by) : u.pendingGrant ? { pendingGrant: u.pendingGrant } : {}),
    };
    await this.users.put(id, next);
    this.remember(next);
    return { user: publicUser(next), held };
  }

  /**
   * Confirms or refuses an account's pending approver grant, as a second person: confirming makes
   * it an approver of the courts asked for, refusing drops the request. Either way it is gone.
   */
  async decideGrant(id: string, outcome: 'confirmed' | 'refused', by: Principal): Promise<{ readonly user: PublicUser; readonly courtIds: readonly string[] }> {
    const u = await this.get(id);
    const grant = u.pendingGrant;
    if (!grant) throw new CourtcastError('INVALID_TRANSITION', 'the account has no approver grant waiting');
    const refusal = grantConfirmationRefusal(by, u, grant);
    if (refusal) throw new CourtcastError('FORBIDDEN', refusal);
    const { pendingGrant: _done, ...rest } = u;
    const next: User = outcome === 'confirmed' ? { ...rest, ...withGrant(u, grant) } : rest;
    await this.users.put(id, next);
    this.remember(next);
    return { user: publicUser(next), courtIds: grant.courtIds };
  }

  async remove(id: string): Promise<void> {
    const u = await this.get(id);
    await this.users.delete(id);
    await this.state.delete('usernames', claimKey(u.username));
    this.cache.delete(id);
    this.emit('changed', id);
  }

  /** The account for a username and password, or null. Disabled accounts never authenticate. */
  async authenticate(username: string, password: string): Promise<User | null> {
    const user = this.byUsername(username);
    if (!user) {
      this.decoyHash ??= hashPassword('decoy-password-never-used', this.scryptLogN);
      await verifyPassword(password, await this.decoyHash);
      return null;
    }
    const ok = await verifyPassword(password, user.passwordHash);
    return ok && !user.disabled ? user : null;
  }

  /**
   * The principal behind a token issued at `issuedAtMs`, from memory: a disabled or deleted
   * account, or a token older than the last password change, is refused with its cause.
   */
  principal(userId: string, issuedAtMs: number): PrincipalLookup {
    const u = this.cache.get(userId);
    const cause = tokenRevocation(u, issuedAtMs);
    return cause || !u ? { ok: false, cause: cause ?? 'ACCOUNT_DELETED' } : { ok: true, principal: principalOf(u) };
  }

  /** Whether any account exists (bootstrap). */
  async any(): Promise<boolean> {
    return (await this.users.list()).length > 0;
  }

  /** Stops the background refresh. */
  close(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
    this.removeAll();
  }
}

/** The sentence a person reads when their session ends. */
export const REVOCATION_MESSAGES: Readonly<Record<RevocationCause, string>> = {
  ACCOUNT_DISABLED: 'the account has been disabled',
  ACCOUNT_DELETED: 'the account no longer exists',
  SESSION_ENDED: 'the session was ended (password changed or account disabled); sign in again',
  TOKEN_EXPIRED: 'the sign-in has expired; sign in again',
};
