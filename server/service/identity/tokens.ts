import { errors, jwtVerify, SignJWT } from 'jose';
import { CourtcastError } from '../../domain/errors.ts';
import type { User } from '../../domain/users.ts';

/** What a verified token says. */
export interface TokenClaims {
  readonly userId: string;
  /** When it was issued, in ms: compared with the account's tokensValidAfter. */
  readonly issuedAtMs: number;
  /** When it lapses, in ms: an open connection is closed then. */
  readonly expiresAtMs: number;
}

/** Issues and verifies short-lived signed session tokens (HS256). */
export class Tokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly issuer = 'courtcast',
    private readonly now: () => number = Date.now,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** A token for a user; it names the user only, and rights are re-read on every use. */
  async issue(user: User): Promise<{ token: string; expiresAt: string }> {
    const nowMs = this.now();
    const exp = Math.floor(nowMs / 1000) + this.ttlSeconds;
    // `iat` has whole seconds only; a password change within the same second must still end
    // the tokens issued before it, so the millisecond is carried as a claim of its own.
    const token = await new SignJWT({ name: user.username, iatMs: nowMs })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer(this.issuer)
      .setIssuedAt(Math.floor(nowMs / 1000))
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** The claims of a valid token; any fault (forged, expired, malformed) is UNAUTHORIZED. */
  async verify(token: string): Promise<TokenClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: this.issuer, algorithms: ['HS256'], currentDate: new Date(this.now()) });
      if (typeof payload.sub !== 'string') throw new CourtcastError('UNAUTHORIZED', 'the token names no user');
      if (typeof payload.iatMs !== 'number' || typeof payload.exp !== 'number') throw new CourtcastError('UNAUTHORIZED', 'the token is not valid');
      return { userId: payload.sub, issuedAtMs: payload.iatMs, expiresAtMs: payload.exp * 1000 };
    } catch (err) {
      if (err instanceof CourtcastError) throw err;
      const expired = err instanceof errors.JWTExpired;
      throw new CourtcastError('UNAUTHORIZED', expired ? 'the token has expired' : 'the token is not valid', undefined, { cause: err });
    }
  }
}
