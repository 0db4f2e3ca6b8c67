import type { RequestHandler, Response } from 'express';
import { CourtcastError } from '../domain/errors.ts';
import type { Principal, Role } from '../domain/users.ts';
import { hasRole } from '../domain/users.ts';
import { REVOCATION_MESSAGES, type Accounts } from '../service/identity/accounts.ts';
import type { Tokens } from '../service/identity/tokens.ts';

/** The authenticated principal of a request (set by `authenticate`). */
export function principalOf(res: Response): Principal {
  const p = res.locals.principal as Principal | undefined;
  if (!p) throw new CourtcastError('UNAUTHORIZED', 'not signed in');
  return p;
}

/** Reads the bearer token, verifies it, and re-reads the account so revocation is immediate. */
export function authenticate(tokens: Tokens, accounts: Accounts): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
    if (!m?.[1]) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return next(new CourtcastError('UNAUTHORIZED', 'sign in first: send Authorization: Bearer <token>'));
    }
    tokens
      .verify(m[1])
      .then((claims) => {
        const found = accounts.principal(claims.userId, claims.issuedAtMs);
        if (!found.ok) throw new CourtcastError('UNAUTHORIZED', REVOCATION_MESSAGES[found.cause], { cause: found.cause });
        res.locals.principal = found.principal;
        next();
      })
      .catch(next);
  };
}

/** Lets the request through only for the given roles. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (_req, res, next) => {
    const p = principalOf(res);
    if (hasRole(p, ...roles)) return next();
    next(new CourtcastError('FORBIDDEN', `this needs the role ${roles.join(' or ')}`));
  };
}
