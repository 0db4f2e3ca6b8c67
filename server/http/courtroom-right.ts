import { mayControl, type Principal } from '../domain/users.ts';
import type { Accounts } from '../service/identity/accounts.ts';
import type { Tokens } from '../service/identity/tokens.ts';

/**
 * A staff token's standing: the principal now (null when the token is not valid or its account
 * no longer is), and, for a courtroom, a check that says at any later moment whether the account
 * is still in force and still serves it. WebRTC sessions (sending over WHIP, previewing over WHEP)
 * outlive the request that opened them; they ask this every second.
 */
export async function staffRight(d: { readonly tokens: Tokens; readonly accounts: Accounts }, token: string): Promise<{ principal: Principal; serving: (courtroomId: string) => () => boolean } | null> {
  const claims = await d.tokens.verify(token).catch(() => null);
  if (!claims) return null;
  const principal = () => {
    const found = d.accounts.principal(claims.userId, claims.issuedAtMs);
    return found.ok ? found.principal : null;
  };
  const now = principal();
  if (!now) return null;
  return {
    principal: now,
    serving: (courtroomId) => () => {
      const p = principal();
      return p !== null && mayControl(p, courtroomId);
    },
  };
}

/** The bearer token of an Authorization header, if it has one of plain characters. */
export const bearerOf = (header: string | undefined): string | undefined => /^Bearer ([\x21-\x7e]{1,2000})$/.exec(header ?? '')?.[1];
