import { randomUUID } from 'node:crypto';
import { CourtcastError } from '../domain/errors.ts';
import { publicUser, type Principal, type PublicUser, type Role, type User } from '../domain/users.ts';
import type { StateStore } from '../store/state-store.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

/** Input for a new account (validated for shape at the edge). */
export interface NewUser {
  readonly username: string;
  readonly displayName?: string;
  readonly password: string;
  readonly roles: readonly Role[];
  readonly courtroomIds?: readonly string[];
}

/** A change to an account. */
export interface UserPatch {
  readonly displayName?: string;
  readonly password?: string;
  readonly roles?: readonly Role[];
  readonly courtroomIds?: readonly string[];
  readonly disabled?: boolean;
}

/** A hash that matches no password, checked when a username is unknown so timing reveals nothing. */
let decoyHash: Promise<string> | null = null;

/** Staff accounts in the state store. Passwords are stored only as scrypt hashes. */
export class Accounts {
  constructor(private readonly state: StateStore) {}

  private async byUsername(username: string): Promise<User | null> {
    const all = await this.state.list<User>('users');
    return all.find((u) => u.username.toLowerCase() === username.toLowerCase()) ?? null;
  }

  async create(input: NewUser): Promise<PublicUser> {
    if (await this.byUsername(input.username)) throw new CourtcastError('CONFLICT', `username ${input.username} is taken`);
    const user: User = {
      id: `us_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      username: input.username,
      displayName: input.displayName ?? input.username,
      roles: [...new Set(input.roles)],
      courtroomIds: [...new Set(input.courtroomIds ?? [])],
      passwordHash: await hashPassword(input.password),
      disabled: false,
    };
    await this.state.put('users', user.id, user);
    return publicUser(user);
  }

  async list(): Promise<PublicUser[]> {
    return (await this.state.list<User>('users')).map(publicUser).sort((a, b) => a.username.localeCompare(b.username));
  }

  async get(id: string): Promise<User> {
    const u = await this.state.get<User>('users', id);
    if (!u) throw new CourtcastError('NOT_FOUND', `no user ${id}`);
    return u;
  }

  async update(id: string, patch: UserPatch): Promise<PublicUser> {
    const u = await this.get(id);
    const next: User = {
      ...u,
      ...(patch.displayName !== undefined ? { displayName: patch.displayName } : {}),
      ...(patch.roles !== undefined ? { roles: [...new Set(patch.roles)] } : {}),
      ...(patch.courtroomIds !== undefined ? { courtroomIds: [...new Set(patch.courtroomIds)] } : {}),
      ...(patch.disabled !== undefined ? { disabled: patch.disabled } : {}),
      ...(patch.password !== undefined ? { passwordHash: await hashPassword(patch.password) } : {}),
    };
    await this.state.put('users', id, next);
    return publicUser(next);
  }

  async remove(id: string): Promise<void> {
    await this.get(id);
    await this.state.delete('users', id);
  }

  /** The account for a username and password, or null. Disabled accounts never authenticate. */
  async authenticate(username: string, password: string): Promise<User | null> {
    const user = await this.byUsername(username);
    if (!user) {
      decoyHash ??= hashPassword('decoy-password-never-used');
      await verifyPassword(password, await decoyHash);
      return null;
    }
    const ok = await verifyPassword(password, user.passwordHash);
    return ok && !user.disabled ? user : null;
  }

  /** Re-reads an account behind a token, so a disabled or deleted user loses access at once. */
  async principal(userId: string): Promise<Principal | null> {
    const u = await this.state.get<User>('users', userId);
    if (!u || u.disabled) return null;
    return { userId: u.id, username: u.username, roles: u.roles, courtroomIds: u.courtroomIds };
  }

  /** Whether any account exists (bootstrap). */
  async any(): Promise<boolean> {
    return (await this.state.list<User>('users')).length > 0;
  }
}
