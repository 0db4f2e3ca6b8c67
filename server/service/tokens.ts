import { errors, jwtVerify, SignJWT } from 'jose';
import { CourtcastError } from '../domain/errors.ts';
import type { User } from '../domain/users.ts';

/** Issues and verifies short-lived signed session tokens (HS256). */
export class Tokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly issuer = 'courtcast',
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** A token for a user; it names the user only, and rights are re-read on every use. */
  async issue(user: User): Promise<{ token: string; expiresAt: string }> {
    const exp = Math.floor(Date.now() / 1000) + this.ttlSeconds;
    const token = await new SignJWT({ name: user.username })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer(this.issuer)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** The user id a valid token names; any fault (forged, expired, malformed) is UNAUTHORIZED. */
  async verify(token: string): Promise<string> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: this.issuer, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string') throw new CourtcastError('UNAUTHORIZED', 'the token names no user');
      return payload.sub;
    } catch (err) {
      if (err instanceof CourtcastError) throw err;
      const expired = err instanceof errors.JWTExpired;
      throw new CourtcastError('UNAUTHORIZED', expired ? 'the token has expired' : 'the token is not valid', undefined, { cause: err });
    }
  }
}
